//! `bcconn token NAME`: the access token on stdout and nothing else, so that
//! `X_AUTH_TOKEN=$(bcconn token shop)` works.

use anyhow::Result;
use secrecy::ExposeSecret;

use crate::cli::TokenArgs;
use crate::context::Context;
use crate::error::{failure, usage};
use crate::secrets::connection_account;
use crate::ui::{self, shell_word};

pub fn run(ctx: &Context, args: TokenArgs) -> Result<u8> {
    let file = ctx.records.load()?;
    let c = file.require_connection(&args.name)?;
    let Some(kind) = c.token_store else {
        return Err(usage(format!(
            "connection {:?} has no token yet ({})",
            c.name,
            c.state.as_str()
        ))
        .hint(format!(
            "authorize it with `bcconn authorize {}`",
            shell_word(&c.name)
        ))
        .into());
    };
    let token = ctx
        .secrets(kind)?
        .get(&connection_account(&c.id))?
        .ok_or_else(|| {
            failure(format!(
                "the token of {:?} is missing from {}",
                c.name,
                kind.describe()
            ))
            .hint(format!(
                "authorize it again with `bcconn authorize {}`",
                shell_word(&c.name)
            ))
        })?;
    ui::out(&format!("{}\n", token.expose_secret()))?;
    Ok(0)
}
