//! `bcconn edit NAME`: change scopes, iClient or concurrency settings.

use anyhow::Result;
use clap::Args;

use crate::commands::cli::ConnectionFlags;
use crate::connect::commit::{Borrow, Changes};
use crate::connect::plan::requested_scopes;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The connection to change (see `bcconn list`)
    pub name: String,
    #[command(flatten)]
    pub conn: ConnectionFlags,
    /// Stop borrowing concurrency; use the connection's own level
    #[arg(long, conflicts_with = "borrow_concurrency_from")]
    pub no_borrow: bool,
}

pub fn run(ctx: &Context, args: EditArgs) -> Result<ExitStatus> {
    let f = &args.conn;
    let changes = Changes {
        scopes: requested_scopes(f.scopes.as_deref(), f.all_scopes)?,
        iclient: f.iclient.clone(),
        concurrency: f.concurrency,
        borrow: match (&f.borrow_concurrency_from, args.no_borrow) {
            (Some(lender), _) => Some(Borrow::From(lender.clone())),
            (None, true) => Some(Borrow::Stop),
            (None, false) => None,
        },
    };
    let changes = if changes.is_empty() && ctx.interactive {
        // On a terminal, no flags: walk through the connection's settings.
        let file = ctx.records.load()?;
        let conn = file.require_connection(&args.name)?.clone();
        drop(file);
        let all = ctx.records.document()?;
        match crate::wizard::edit::run(ctx, &conn, &all)? {
            Some(c) if c.is_empty() => return Ok(ExitStatus::Success),
            Some(c) => c,
            None => {
                ctx.ui.say("Cancelled; nothing was changed.");
                return Ok(ExitStatus::Interrupted);
            }
        }
    } else {
        changes
    };
    if changes.is_empty() {
        return Err(usage("nothing to change")
            .hint("pass --scopes, --all-scopes, --iclient, --concurrency, --borrow-concurrency-from or --no-borrow")
            .into());
    }
    let (name, warnings) = ctx.records.update(|file| {
        let current = file.require_connection(&args.name)?.clone();
        let mut warnings = changes.apply(file, &current.id)?;
        if changes.iclient.is_some() {
            let now = file.connection_by_id(&current.id)?.expect("just changed");
            warnings.extend(file.sibling_warnings(now)?);
        }
        Ok((current.name, warnings))
    })?;
    for w in warnings {
        ctx.ui.warn(&w);
    }
    ctx.ui.step(&format!("Updated connection {name:?}"));
    Ok(ExitStatus::Success)
}
