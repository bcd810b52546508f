//! `bcconn create`: a new connection, from flags, the walk-through, or both.
//! Flags fill a `Draft`; the walk-through fills its holes on a terminal;
//! `connect::create` saves the plan and authorizes it.

mod args;

use anyhow::Result;

use crate::connect::authorize::Consent;
use crate::connect::plan::{After, Draft, IClientPick, TokenSource};
use crate::connect::{create, ready, tokens};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::store::AuthType;
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
    if args.interactive && !ctx.interactive {
        return Err(usage("--interactive needs a terminal (stdin and stderr)")
            .hint("run it in a terminal, or give the missing flags instead")
            .into());
    }
    // Flags that say everything mean go, as with `gh`: the walk-through is
    // for what they leave out, or when asked for.
    if ctx.interactive && !args.yes && (args.interactive || !complete(&draft)) {
        drop(records);
        // Before the first question: a secret with nowhere to go would
        // lose every answer at the last step.
        ready::secret_store(ctx)?;
        // The walk-through offers every iClient and lender: all records.
        let all = ctx.records.document()?;
        if crate::wizard::run(ctx, draft, &all, &opts)?.is_none() {
            ctx.ui.say("Cancelled; nothing was saved.");
            return Ok(ExitStatus::Interrupted);
        }
        return Ok(ExitStatus::Success);
    }
    let plan = draft.complete()?;
    // A pending OAuth connection on a saved iClient writes no secret.
    if plan.after() == After::Authorize || plan.token().is_some() {
        ready::secret_store(ctx)?;
    }
    let consent = Consent {
        yes: args.yes,
        matched: false,
    };
    create::execute_consented(ctx, plan, &opts, consent)?;
    Ok(ExitStatus::Success)
}

/// Whether the flags give every answer a plan needs.
fn complete(d: &Draft) -> bool {
    let auth = d.auth_type.unwrap_or(AuthType::Oauth2);
    d.name.is_some()
        && d.store_hash.is_some()
        && match auth {
            AuthType::Oauth2 => d.scopes.is_some() && d.iclient.is_some(),
            AuthType::Token => d.token.is_some(),
        }
}
