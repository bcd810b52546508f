//! `bcconn exec [NAME] -- CMD ARGS..`: run CMD with the connection's
//! variables set, so a token never has to be printed or put on argv.
//!
//! CMD never gets bcconn's secret inputs (a client secret, another token),
//! and without `--pass-bcconn-env` not the shared settings either (a Redis
//! URL may hold a password); what was removed is named in
//! `BCCONN_EXEC_REMOVED`, so a bcconn inside CMD refuses rather than use
//! this machine's own pools. Both lists are in `env.rs`.
//!
//! On Unix bcconn replaces itself with CMD (exec): CMD's exit status, a
//! death by a signal included, is what the caller sees, and signals reach
//! CMD directly. Elsewhere bcconn waits for CMD and exits with its code.

use anyhow::Result;
use clap::Args;
use secrecy::ExposeSecret;

use super::cli::ToolFlag;
use crate::connect::{default, trust, vars};
use crate::context::Context;
use crate::env::{EXEC_MARKER, EXEC_REMOVES_ALWAYS, EXEC_REMOVES_SETTINGS};
use crate::error::ExitStatus;
use crate::error::Failure;
use crate::text::shell_word;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn exec shop -- python3 sync.py   # reads BIGCOMMERCE_ACCESS_TOKEN from its environment\n  \
    bcconn exec -- ./deploy.sh            # the default connection\n  \
    bcconn exec shop -- npm run sync      # any command, any language\n  \
    bcconn exec shop --for catalyst -- pnpm dev\n\n\
    CMD gets BIGCOMMERCE_STORE_HASH, BIGCOMMERCE_ACCESS_TOKEN, BIGCOMMERCE_API_URL and, for \
    OAuth connections, BIGCOMMERCE_CLIENT_ID; with --for catalyst, the names Catalyst reads \
    (see `bcconn env --help`). bcconn exits with CMD's exit code; on Unix \
    bcconn becomes CMD (exec), so a death by a signal is CMD's own (a shell shows 128+N).\n\n\
    CMD never gets BCCONN_CLIENT_SECRET, BCCONN_ACCESS_TOKEN or BCCONN_PASSPHRASE. \
    BCCONN_POOL_URL, BCCONN_STORE_URL, BCCONN_SECRET_KEY and BCCONN_SECRET_KEY_FILE are removed \
    too, and BCCONN_EXEC_REMOVED names them, so a bcconn inside CMD that needs them refuses \
    instead of using this machine's own; --pass-bcconn-env keeps them.")]
pub struct ExecArgs {
    /// The connection (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    pub name: Option<String>,
    /// Keep BCCONN_POOL_URL (and the store URL and sealing key) for a CMD that runs bcconn
    #[arg(long)]
    pub pass_bcconn_env: bool,
    #[command(flatten)]
    pub tool: ToolFlag,
    /// The saved storefront token to set (default: the most recently saved)
    #[arg(long, value_name = "TOKEN_NAME")]
    pub storefront: Option<String>,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

pub fn run(ctx: &Context, args: ExecArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let (c, source) = default::resolve(ctx, args.name.as_deref(), &file)?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| crate::error::usage("give a command after --"))?;
    // CMD can do anything: a connection an untrusted .bcconn chose asks.
    trust::before_handing_out(
        ctx,
        &source,
        "run the command",
        &format!("bcconn exec {} -- CMD", shell_word(&c.name)),
    )?;
    let vars = vars::for_set(
        ctx,
        c,
        args.tool.set(),
        vars::variables(ctx, &file, c, args.storefront.as_deref(), args.tool.set())?,
    );
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    for name in EXEC_REMOVES_ALWAYS.iter().chain(&vars::ALL_VARS) {
        cmd.env_remove(name);
    }
    if !args.pass_bcconn_env {
        for name in EXEC_REMOVES_SETTINGS {
            cmd.env_remove(name);
        }
    }
    if let Some(marker) = ctx.env.exec_marker(!args.pass_bcconn_env) {
        cmd.env(EXEC_MARKER, marker);
    }
    for (name, value) in &vars {
        cmd.env(name, value.expose_secret());
    }
    let cannot = |e: std::io::Error| -> anyhow::Error {
        let status = if e.kind() == std::io::ErrorKind::NotFound {
            ExitStatus::NotFound
        } else {
            ExitStatus::CannotRun
        };
        Failure::new(
            status,
            format!(
                "cannot run {}: {e}",
                crate::text::outside(&program.to_string_lossy(), 200)
            ),
        )
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
        Ok(ExitStatus::Child(
            status.code().map(|c| c.clamp(0, 255) as u8).unwrap_or(1),
        ))
    }
}
