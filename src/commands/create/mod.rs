//! `bcconn create`: a new connection, from flags, the walk-through, or both.
//! Flags fill a `Draft`; the walk-through fills its holes on a terminal;
//! `connect::create` saves the plan and authorizes it.

mod args;

use anyhow::Result;

use crate::connect::plan::{IClientPick, TokenSource};
use crate::connect::{create, tokens};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
pub use args::CreateArgs;
use args::draft;

pub fn run(ctx: &Context, args: CreateArgs) -> Result<ExitStatus> {
    let mut draft = draft(ctx, &args)?;
    // Token connections carry the store hash in the credentials file; read it
    // before deciding what is missing.
    if let Some(TokenSource::File(path)) = &draft.token {
        let creds = tokens::read_credentials_file(path)?;
        match (&draft.store_hash, creds.store_hash) {
            (Some(given), Some(found)) if *given != found => {
                return Err(usage(format!(
                    "--store-hash {given} differs from the store in {} ({found})",
                    path.display()
                ))
                .into());
            }
            (None, found) => draft.store_hash = found,
            _ => {}
        }
        draft.token = Some(TokenSource::Given(creds.token));
    }
    let records = ctx.records.load()?;
    // Fail fast on what flags got wrong, before any prompt.
    if let Some(name) = &draft.name {
        records.check_connection_name_free(name, None)?;
    }
    if let Some(IClientPick::Existing(name)) = &draft.iclient {
        records.require_iclient(name)?;
    }
    if let Some(lender) = &draft.borrow_from {
        records.check_borrow(None, draft.name.as_deref().unwrap_or(""), lender)?;
    }
    let opts = args.flow.options();
    let (plan, opts) = if ctx.interactive && !args.yes {
        drop(records);
        // The walk-through offers every iClient and lender: all records.
        let all = ctx.records.document()?;
        match crate::wizard::run(ctx, draft, &all, &opts)? {
            Some(done) => done,
            None => {
                ctx.ui.say("Cancelled; nothing was saved.");
                return Ok(ExitStatus::Interrupted);
            }
        }
    } else {
        (draft.complete()?, opts)
    };
    create::execute(ctx, plan, &opts)?;
    Ok(ExitStatus::Success)
}
