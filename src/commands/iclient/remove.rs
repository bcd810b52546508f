//! `bcconn iclient remove`: remove an iClient and its secret.

use anyhow::Result;

use crate::cli::IclientRemoveArgs;
use crate::connect::intake::confirm;
use crate::connect::remove;
use crate::context::Context;
use crate::error::ExitStatus;

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
