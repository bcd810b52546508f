//! `bcconn iclient remove`: remove an iClient and its secret.

use anyhow::Result;
use clap::Args;

use crate::connect::intake::confirm;
use crate::connect::remove;
use crate::context::Context;
use crate::error::ExitStatus;

#[derive(Debug, Args)]
pub struct IclientRemoveArgs {
    /// The iClient to remove (see `bcconn iclient list`)
    pub name: String,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(ctx: &Context, args: IclientRemoveArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let ic = remove::removable(&file, &args.name)?;
    if !args.yes
        && !confirm(
            ctx,
            &format!("Remove iClient {:?} and its secret?", ic.name),
        )?
    {
        ctx.ui.say("Nothing removed.");
        return Ok(ExitStatus::Success);
    }
    let ic = remove::iclient(ctx, &args.name)?;
    ctx.ui
        .step(&format!("Removed iClient {:?} and its secret", ic.name));
    Ok(ExitStatus::Success)
}
