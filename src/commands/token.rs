//! `bcconn token [NAME]`: the access token on stdout and nothing else, so that
//! `X_AUTH_TOKEN=$(bcconn token shop)` works. Without NAME, the default
//! connection (see `bcconn use`).

use anyhow::Result;
use clap::Args;
use secrecy::ExposeSecret;

use crate::connect::tokens::token_for;
use crate::connect::{default, trust};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::text::shell_word;
use crate::ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn token shop\n  \
    bcconn token            # the default connection (see `bcconn use`)")]
pub struct TokenArgs {
    /// The connection (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    pub name: Option<String>,
}

pub fn run(ctx: &Context, args: TokenArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let (c, source) = default::resolve(ctx, args.name.as_deref(), &file)?;
    trust::before_handing_out(
        ctx,
        &source,
        "print its token",
        &format!("bcconn token {}", shell_word(&c.name)),
    )?;
    let token = token_for(ctx, c).map_err(|e| e.into_error(c, &file))?;
    ui::out(&format!("{}\n", token.expose_secret()))?;
    Ok(ExitStatus::Success)
}
