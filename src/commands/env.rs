//! `bcconn env [NAME]`: shell lines that export a connection's variables,
//! for `eval "$(bcconn env shop)"`.

use anyhow::Result;
use clap::Args;

use crate::connect::vars::{self, Shell};
use crate::connect::{default, trust};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::text::shell_word;
use crate::ui;

/// Which shell `bcconn env` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShellKind {
    /// POSIX sh, and what bash and zsh read the same way.
    #[value(alias = "bash", alias = "zsh")]
    Sh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    eval \"$(bcconn env shop)\"\n  \
    bcconn env shop --shell fish | source\n  \
    bcconn env --shell powershell | Invoke-Expression\n\n\
    Prints BIGCOMMERCE_STORE_HASH, BIGCOMMERCE_ACCESS_TOKEN, BIGCOMMERCE_API_URL (ending \
    /stores/HASH) and, for OAuth connections, BIGCOMMERCE_CLIENT_ID. The output holds the \
    token: evaluate it, do not save it. `bcconn exec` sets them without printing anything.")]
pub struct EnvArgs {
    /// The connection (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    pub name: Option<String>,
    /// The shell to write for
    #[arg(long, value_enum, default_value_t = ShellKind::Sh)]
    pub shell: ShellKind,
    /// The saved storefront token to export (default: the most recently saved)
    #[arg(long, value_name = "TOKEN_NAME")]
    pub storefront: Option<String>,
}

pub fn run(ctx: &Context, args: EnvArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let (c, source) = default::resolve(ctx, args.name.as_deref(), &file)?;
    // Its lines are `eval`ed: the token goes wherever the shell goes next.
    trust::before_handing_out(
        ctx,
        &source,
        "print its variables",
        &format!("bcconn env {}", shell_word(&c.name)),
    )?;
    let shell = match args.shell {
        ShellKind::Sh => Shell::Sh,
        ShellKind::Fish => Shell::Fish,
        ShellKind::Powershell => Shell::PowerShell,
    };
    let text: String = vars::variables(ctx, &file, c, args.storefront.as_deref())?
        .iter()
        .map(|(name, value)| vars::export_line(shell, name, value))
        .collect();
    ui::out(&text)?;
    Ok(ExitStatus::Success)
}
