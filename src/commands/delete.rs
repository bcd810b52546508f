//! `bcconn delete NAME`: forget a connection and its stored token.
//!
//! BigCommerce has no endpoint to revoke an app's token, so bcconn can only
//! forget it locally; it says where the person can revoke it for real.

use anyhow::Result;

use crate::cli::DeleteArgs;
use crate::connect::intake::confirm;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::store::{AuthType, Connection, State, Tx};

pub fn run(ctx: &Context, args: DeleteArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let conn = file.require_connection(&args.name)?.clone();
    refuse_if_lending(&file, &conn)?;
    if !args.yes
        && !confirm(
            ctx,
            &if conn.token_store.is_some() {
                format!("Delete connection {:?} and its stored token?", conn.name)
            } else {
                format!("Delete connection {:?}?", conn.name)
            },
        )?
    {
        ctx.ui.say("Nothing deleted.");
        return Ok(ExitStatus::Success);
    }
    let removed = ctx.records.update(|file| {
        let conn = file.require_connection(&args.name)?.clone();
        refuse_if_lending(file, &conn)?;
        file.remove_connection(&conn.id)?;
        if let Some(kind) = conn.token_store {
            file.secret_retire(kind.as_str(), &conn.token_account())?;
        }
        Ok(conn)
    })?;
    if let Some(kind) = removed.token_store
        && let Err(e) = ctx
            .secrets(kind)
            .and_then(|s| s.delete(&removed.token_account()))
            .and_then(|()| {
                ctx.records
                    .ledger_forget(kind.as_str(), &removed.token_account())
            })
    {
        ctx.ui.warn(&format!(
            "the record is gone but its token could not be removed from {}: {}",
            kind.describe(),
            crate::error::message(&e)
        ));
    }
    ctx.ui
        .step(&format!("Deleted connection {:?}", removed.name));
    // Nothing to revoke for a connection that never had a token, or whose
    // token BigCommerce already ended.
    if removed.state != State::Authorized {
        return Ok(ExitStatus::Success);
    }
    let revoke = match removed.auth_type {
        AuthType::Oauth2 => format!(
            "The token still works in BigCommerce: to revoke it, uninstall the app from store {} (control panel › Apps › My Apps).",
            removed.store_hash
        ),
        AuthType::Token => format!(
            "The token still works in BigCommerce: to revoke it, delete the API account in store {} (Settings › API › Store-level API accounts).",
            removed.store_hash
        ),
    };
    ctx.ui.say(&revoke);
    Ok(ExitStatus::Success)
}

fn refuse_if_lending(file: &Tx, conn: &Connection) -> Result<()> {
    let lenders = file.borrowers_of(&conn.id)?;
    let borrowers: Vec<&str> = lenders.iter().map(|c| c.name.as_str()).collect();
    if borrowers.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "{:?} lends its concurrency to {}",
        conn.name,
        borrowers.join(", ")
    ))
    .hint("point those at another connection (`bcconn edit NAME --borrow-concurrency-from OTHER` or `--no-borrow`) first")
    .into())
}
