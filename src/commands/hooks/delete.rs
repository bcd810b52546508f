//! `bcconn hooks delete ID`: asks first on a terminal, as `bcconn delete`
//! does; without one, `--yes` says so.

use anyhow::Result;
use clap::Args;

use super::{HookConnection, hook_id};
use crate::connect::hooks::Hooks;
use crate::connect::intake::confirm;
use crate::context::Context;
use crate::error::ExitStatus;

#[derive(Debug, Args)]
// `-3` is a wrong id, not an unknown flag.
#[command(allow_negative_numbers = true)]
pub struct HooksDeleteArgs {
    /// The webhook's id (see `bcconn hooks list`)
    #[arg(value_name = "ID", value_parser = hook_id)]
    pub id: u64,
    #[command(flatten)]
    pub conn: HookConnection,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(ctx: &Context, args: HooksDeleteArgs) -> Result<ExitStatus> {
    let mut hooks = Hooks::open(ctx, args.conn.connection.as_deref())?;
    let mut shown = args.id.to_string();
    if !args.yes {
        // On a terminal the question says what the hook is (and an unknown
        // id is told before asking); without one nothing is sent.
        if ctx.interactive {
            shown = hooks.get(ctx, args.id)?.short();
        }
        if !confirm(ctx, &format!("Delete webhook {shown}?"))? {
            ctx.ui.say("Nothing deleted.");
            return Ok(ExitStatus::Success);
        }
    }
    hooks.delete(ctx, args.id)?;
    ctx.ui.step(&format!(
        "Deleted webhook {shown} of {:?}",
        hooks.connection().name
    ));
    Ok(ExitStatus::Success)
}
