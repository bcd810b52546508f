//! `bcconn token [NAME]`: the access token on stdout and nothing else, so that
//! `X_AUTH_TOKEN=$(bcconn token shop)` works. Without NAME, the default
//! connection (see `bcconn use`).

use anyhow::Result;
use secrecy::ExposeSecret;

use crate::cli::TokenArgs;
use crate::connect::default;
use crate::connect::tokens::token_for;
use crate::context::Context;
use crate::ui;

pub fn run(ctx: &Context, args: TokenArgs) -> Result<u8> {
    let file = ctx.records.load()?;
    let (c, _) = default::resolve(ctx, args.name.as_deref(), &file)?;
    let token = token_for(ctx, c).map_err(|e| e.into_error(c, &file))?;
    ui::out(&format!("{}\n", token.expose_secret()))?;
    Ok(0)
}
