//! `bcconn secrets new-key | rotate-key | move`: the sealed store's keys,
//! and moving every secret from one store to another.

mod keys;
mod move_;

use anyhow::Result;
use clap::Subcommand;

use crate::context::Context;
use crate::error::ExitStatus;
use keys::{NewKeyArgs, RotateKeyArgs};
use move_::MoveArgs;

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Print a fresh sealing key (ID:BASE64 of 32 random bytes) for BCCONN_SECRET_KEY
    #[command(
        after_help = "Examples:\n  bcconn secrets new-key --output ~/.config/bcconn-key   # a 0600 file\n  export BCCONN_SECRET_KEY_FILE=~/.config/bcconn-key BCCONN_SECRET_STORE=sealed"
    )]
    NewKey(NewKeyArgs),
    /// Re-seal every sealed secret under a new key, in one transaction
    #[command(
        after_help = "Examples:\n  bcconn secrets new-key --output new.key\n  bcconn secrets rotate-key --new-key-file new.key\n  bcconn secrets rotate-key        # re-seal under the first key of BCCONN_SECRET_KEY"
    )]
    RotateKey(RotateKeyArgs),
    /// Move every secret into one secret store (sealed, os, keyutils or file)
    #[command(
        after_help = "Examples:\n  bcconn secrets move --to sealed\n  bcconn secrets move --to os"
    )]
    Move(MoveArgs),
}

pub fn run(ctx: &Context, cmd: SecretsCommand) -> Result<ExitStatus> {
    match cmd {
        SecretsCommand::NewKey(args) => keys::new_key(ctx, args),
        SecretsCommand::RotateKey(args) => keys::rotate_key(ctx, args),
        SecretsCommand::Move(args) => move_::run(ctx, args),
    }
}
