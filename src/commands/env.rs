//! `bcconn env [NAME]`: a connection's variables as shell lines for
//! `eval "$(bcconn env shop)"`, or as a dotenv file or JSON for tools that
//! read those (`--format`); `--for catalyst` picks the names Catalyst reads.

use anyhow::Result;
use clap::Args;

use super::cli::ToolFlag;
use crate::connect::vars::{self, Format, Shell};
use crate::connect::{default, trust};
use crate::context::Context;
use crate::error::{ExitStatus, Failure};
use crate::text::shell_word;
use crate::ui;

/// Which shell `bcconn env` writes for (`--shell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShellKind {
    /// POSIX sh, and what bash and zsh read the same way.
    #[value(alias = "bash", alias = "zsh")]
    Sh,
    Fish,
    Powershell,
}

/// The syntax `bcconn env` writes (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatKind {
    /// `export NAME='value'`, for sh, bash and zsh
    #[value(alias = "bash", alias = "zsh")]
    Sh,
    /// `set -gx NAME 'value'`
    Fish,
    /// `$env:NAME = 'value'`
    Powershell,
    /// `NAME='value'` lines, for a .env file
    Dotenv,
    /// one JSON object
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    eval \"$(bcconn env shop)\"\n  \
    bcconn env shop --shell fish | source\n  \
    bcconn env --shell powershell | Invoke-Expression\n  \
    bcconn env shop --for catalyst --format dotenv \\\n    \
    > .env.local\n  \
    bcconn env shop --format json\n\n\
    Prints BIGCOMMERCE_STORE_HASH, BIGCOMMERCE_ACCESS_TOKEN, BIGCOMMERCE_API_URL (ending \
    /stores/HASH) and, for OAuth connections, BIGCOMMERCE_CLIENT_ID. With --for catalyst: \
    BIGCOMMERCE_STORE_HASH, BIGCOMMERCE_CHANNEL_ID, BIGCOMMERCE_STOREFRONT_TOKEN (a saved \
    storefront token and its first channel), BIGCOMMERCE_ACCESS_TOKEN, CATALYST_STORE_HASH and \
    CATALYST_ACCESS_TOKEN. The output holds the token: evaluate it, or keep the file out of \
    version control. `bcconn exec` sets them without printing anything.")]
pub struct EnvArgs {
    /// The connection (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    pub name: Option<String>,
    /// The syntax to write: a shell's, a dotenv file's, or JSON [default: sh]
    #[arg(long, value_enum, conflicts_with = "shell")]
    pub format: Option<FormatKind>,
    /// The shell to write for (the same as --format for the shells)
    #[arg(long, value_enum)]
    pub shell: Option<ShellKind>,
    #[command(flatten)]
    pub tool: ToolFlag,
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
    let format = match (args.format, args.shell) {
        (Some(FormatKind::Sh), _) | (None, Some(ShellKind::Sh) | None) => Format::Shell(Shell::Sh),
        (Some(FormatKind::Fish), _) | (None, Some(ShellKind::Fish)) => Format::Shell(Shell::Fish),
        (Some(FormatKind::Powershell), _) | (None, Some(ShellKind::Powershell)) => {
            Format::Shell(Shell::PowerShell)
        }
        (Some(FormatKind::Dotenv), _) => Format::Dotenv,
        (Some(FormatKind::Json), _) => Format::Json,
    };
    let all = vars::variables(ctx, &file, c, args.storefront.as_deref(), args.tool.set())?;
    let chosen = vars::for_set(ctx, c, args.tool.set(), all);
    let text = vars::render(format, &chosen)
        .map_err(|e| Failure::new(ExitStatus::Failure, format!("{e}; use --format json")))?;
    ui::out(&text)?;
    Ok(ExitStatus::Success)
}
