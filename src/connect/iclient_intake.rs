//! An iClient's client id and secret from a person, for `bcconn iclient
//! add|edit`: through the `Prompter` and [`super::intake`], as every other
//! question is asked.

use anyhow::Result;
use secrecy::SecretString;

use super::iclients::validate_client_id;
use super::intake::{SecretSource, read_secret, stopped};
use crate::context::Context;
use crate::error::usage;
use crate::seams::Ask;

/// The client id given, else asked for on a terminal.
pub fn client_id(ctx: &Context, given: Option<&str>) -> Result<String> {
    match given {
        Some(id) => Ok(validate_client_id(id)?),
        None if ctx.interactive => {
            let check = |input: &str| validate_client_id(input).map(|_| ()).map_err(|e| e.message);
            let id = ctx
                .ask(|p| {
                    p.text(&Ask {
                        message: "Client id:",
                        help: Some("Developer Portal › My Apps › View Client ID"),
                        default: None,
                        initial: None,
                        check: &check,
                    })
                })
                .map_err(stopped)?;
            Ok(validate_client_id(&id)?)
        }
        None => Err(usage("no client id given")
            .hint("pass --client-id ID (Developer Portal › My Apps › View Client ID)")
            .into()),
    }
}

/// The client secret: from stdin with `--client-secret-stdin`, else
/// `BCCONN_CLIENT_SECRET`, else a hidden prompt.
pub fn client_secret(ctx: &Context, stdin: bool) -> Result<SecretString> {
    read_secret(
        ctx,
        SecretSource {
            what: "client secret",
            stdin,
            stdin_flag: "--client-secret-stdin",
            env_value: ctx.env.client_secret.as_ref(),
            env_name: "BCCONN_CLIENT_SECRET",
        },
    )
}
