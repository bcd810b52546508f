//! `bcconn exec [NAME] -- CMD ARGS..`: run CMD with the connection's
//! variables set, so a token never has to be printed or put on argv.
//!
//! On Unix bcconn replaces itself with CMD (exec): CMD's exit status, a
//! death by a signal included, is what the caller sees, and signals reach
//! CMD directly. Elsewhere bcconn waits for CMD and exits with its code.

use anyhow::Result;
use secrecy::ExposeSecret;

use crate::cli::ExecArgs;
use crate::connect::{default, vars};
use crate::context::Context;
use crate::error::Failure;

pub fn run(ctx: &Context, args: ExecArgs) -> Result<u8> {
    let file = ctx.records.load()?;
    let (c, _) = default::resolve(ctx, args.name.as_deref(), &file)?;
    let vars = vars::variables(ctx, &file, c)?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| crate::error::usage("give a command after --"))?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    for (name, value) in &vars {
        cmd.env(name, value.expose_secret());
    }
    let cannot = |e: std::io::Error| -> anyhow::Error {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        };
        Failure {
            message: format!("cannot run {}: {e}", program.to_string_lossy()),
            hint: None,
            code,
        }
        .into()
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Only returns when CMD could not be started.
        Err(cannot(cmd.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(cannot)?;
        Ok(status.code().map(|c| c.clamp(0, 255) as u8).unwrap_or(1))
    }
}
