//! `bcconn edit NAME`: change scopes, iClient or concurrency settings.

use anyhow::Result;

use crate::bigcommerce::scopes;
use crate::cli::EditArgs;
use crate::commands::create::{lender_store_warning, requested_scopes};
use crate::context::Context;
use crate::error::usage;
use crate::store::{self, AuthType, State};

pub fn run(ctx: &Context, args: EditArgs) -> Result<u8> {
    let f = &args.conn;
    if f.store_hash.is_some() {
        return Err(usage(
            "a saved connection's store hash cannot change (its token belongs to that store)",
        )
        .hint("create a new connection for the other store with `bcconn create`")
        .into());
    }
    let new_scopes = requested_scopes(f.scopes.as_deref(), f.all_scopes)?;
    if new_scopes.is_none()
        && f.iclient.is_none()
        && f.concurrency.is_none()
        && f.borrow_concurrency_from.is_none()
        && !args.no_borrow
    {
        return Err(usage("nothing to change")
            .hint("pass --scopes, --all-scopes, --iclient, --concurrency, --borrow-concurrency-from or --no-borrow")
            .into());
    }
    let mut warnings = Vec::new();
    let updated = ctx.records.update(|file| {
        let current = file.require_connection(&args.name)?.clone();
        let iclient_id = match &f.iclient {
            Some(name) => {
                if current.auth_type == AuthType::Token {
                    return Err(usage("token connections do not use an iClient").into());
                }
                Some(file.require_iclient(name)?.id.clone())
            }
            None => None,
        };
        let lender = match &f.borrow_concurrency_from {
            Some(name) => {
                let id = file.check_borrow(Some(&current.id), &current.name, name)?;
                if let Some(w) = lender_store_warning(file, &current.store_hash, &id) {
                    warnings.push(w);
                }
                Some(id)
            }
            None => None,
        };
        let c = file.connection_mut(&args.name).expect("found above");
        if let Some(s) = &new_scopes {
            if c.state == State::Authorized {
                let missing = scopes::missing(s, c.granted_scopes.as_deref().unwrap_or(&[]));
                if !missing.is_empty() {
                    warnings.push(format!(
                        "the current token lacks {}; run `bcconn authorize {}` to get them",
                        missing.join(", "),
                        crate::ui::shell_word(&c.name)
                    ));
                }
            }
            c.scopes = s.clone();
        }
        if let Some(id) = iclient_id {
            c.iclient_id = Some(id);
        }
        if let Some(level) = f.concurrency {
            c.concurrency = level;
        }
        if lender.is_some() {
            c.borrow_concurrency_from = lender;
        }
        if args.no_borrow {
            c.borrow_concurrency_from = None;
        }
        c.updated_at = store::now();
        Ok(c.clone())
    })?;
    for w in warnings {
        ctx.ui.warn(&w);
    }
    ctx.ui
        .step(&format!("Updated connection {:?}", updated.name));
    Ok(0)
}
