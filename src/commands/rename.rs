//! `bcconn rename OLD NEW`. Secrets are keyed by id, so nothing else moves.

use anyhow::Result;
use clap::Args;

use crate::context::Context;
use crate::error::ExitStatus;
use crate::store;

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The connection's current name
    pub old: String,
    /// Its new name (unique, ignoring case)
    pub new: String,
}

pub fn run(ctx: &Context, args: RenameArgs) -> Result<ExitStatus> {
    let (old, new) = ctx.records.update(|file| {
        let id = file.require_connection(&args.old)?.id.clone();
        file.check_connection_name_free(&args.new, Some(&id))?;
        let c = file.connection_mut(&args.old)?.expect("found above");
        let old = std::mem::replace(&mut c.name, args.new.clone());
        c.updated_at = store::now();
        Ok((old, args.new.clone()))
    })?;
    ctx.ui.step(&format!("Renamed {old:?} to {new:?}"));
    Ok(ExitStatus::Success)
}
