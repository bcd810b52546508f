//! `bcconn hooks list|create|enable|disable|delete`: the webhooks of the
//! connection's token. BigCommerce shows a hook only to the token (API
//! account or app) that created it, so each command works with one
//! connection (`-c NAME`, else the default one).

mod create;
mod delete;
mod list;
mod toggle;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::context::Context;
use crate::error::ExitStatus;
use create::HooksCreateArgs;
use delete::HooksDeleteArgs;
use list::HooksListArgs;
use toggle::HooksToggleArgs;

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// List the webhooks of the connection's token (header values masked)
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  bcconn hooks list -c shop\n  bcconn hooks list --json | jq '.[].id'"
    )]
    List(HooksListArgs),
    /// Create a webhook (destination: https on port 443)
    Create(HooksCreateArgs),
    /// Turn a webhook back on (BigCommerce turns off failing or idle ones)
    #[command(after_help = "Example:\n  bcconn hooks enable 12 -c shop")]
    Enable(HooksToggleArgs),
    /// Turn a webhook off; it stays until deleted
    #[command(after_help = "Example:\n  bcconn hooks disable 12 -c shop")]
    Disable(HooksToggleArgs),
    /// Delete a webhook (asks first on a terminal; --yes otherwise)
    #[command(
        visible_alias = "rm",
        after_help = "Examples:\n  bcconn hooks delete 12 -c shop\n  bcconn hooks delete 12 -c shop --yes"
    )]
    Delete(HooksDeleteArgs),
}

/// `-c NAME`: what every hooks command takes.
#[derive(Debug, Args)]
pub struct HookConnection {
    /// The connection whose token owns the webhooks (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    #[arg(short = 'c', long = "connection", value_name = "NAME")]
    pub connection: Option<String>,
}

/// A hook id: a positive number (BigCommerce's ids are integers from 1).
pub(super) fn hook_id(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err("webhook ids are numbers (see `bcconn hooks list`)".into()),
    }
}

pub fn run(ctx: &Context, cmd: HooksCommand) -> Result<ExitStatus> {
    match cmd {
        HooksCommand::List(args) => list::run(ctx, args),
        HooksCommand::Create(args) => create::run(ctx, args),
        HooksCommand::Enable(args) => toggle::run(ctx, args, true),
        HooksCommand::Disable(args) => toggle::run(ctx, args, false),
        HooksCommand::Delete(args) => delete::run(ctx, args),
    }
}
