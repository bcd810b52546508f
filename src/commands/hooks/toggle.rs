//! `bcconn hooks enable|disable ID`: `is_active` on or off.

use anyhow::Result;
use clap::Args;

use super::{HookConnection, hook_id};
use crate::connect::hooks::Hooks;
use crate::context::Context;
use crate::error::ExitStatus;

#[derive(Debug, Args)]
// `-3` is a wrong id, not an unknown flag.
#[command(allow_negative_numbers = true)]
pub struct HooksToggleArgs {
    /// The webhook's id (see `bcconn hooks list`)
    #[arg(value_name = "ID", value_parser = hook_id)]
    pub id: u64,
    #[command(flatten)]
    pub conn: HookConnection,
}

pub fn run(ctx: &Context, args: HooksToggleArgs, active: bool) -> Result<ExitStatus> {
    let mut hooks = Hooks::open(ctx, args.conn.connection.as_deref())?;
    let hook = hooks.set_active(ctx, args.id, active)?;
    ctx.ui.step(&format!(
        "Webhook {} is {}",
        hook.short(),
        crate::bigcommerce::hooks::state(hook.is_active)
    ));
    Ok(ExitStatus::Success)
}
