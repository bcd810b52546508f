//! `bcconn env [NAME]`: shell lines that export a connection's variables,
//! for `eval "$(bcconn env shop)"`.

use anyhow::Result;

use crate::cli::{EnvArgs, ShellKind};
use crate::connect::vars::{self, Shell};
use crate::connect::{default, trust};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::text::shell_word;
use crate::ui;

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
    let text: String = vars::variables(ctx, &file, c)?
        .iter()
        .map(|(name, value)| vars::export_line(shell, name, value))
        .collect();
    ui::out(&text)?;
    Ok(ExitStatus::Success)
}
