//! `bcconn man --dir DIR`: one man page per command, from the clap
//! definitions (the same text as `--help`).

mod files;
mod sections;
mod synopsis;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use crate::context::Context;
use crate::error::ExitStatus;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  bcconn man --dir ~/.local/share/man/man1
  man bcconn-create
  sudo bcconn man --dir /usr/local/share/man/man1")]
pub struct ManArgs {
    /// The directory to write the pages into (created if missing): bcconn.1, bcconn-create.1, …
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

pub fn run(ctx: &Context, args: ManArgs) -> Result<ExitStatus> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let pages = write_pages(&args.dir)?;
    ctx.ui.step(&format!(
        "Wrote {} man pages to {} (bcconn.1, bcconn-create.1, …)",
        pages.len(),
        args.dir.display()
    ));
    ctx.ui.say(
        "Read one with `man bcconn-create` once DIR's parent is on the manual path \
         (~/.local/share/man usually is), or `man -l DIR/bcconn-create.1`.",
    );
    Ok(ExitStatus::Success)
}

/// Writes `bcconn.1` and `bcconn-<command>[-<sub>].1` for every visible
/// command; returns the file names.
pub fn write_pages(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut cmd = crate::commands::cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    let mut todo = vec![(cmd, true)];
    while let Some((cmd, top)) = todo.pop() {
        todo.extend(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| (s.clone(), false)),
        );
        // Rendered here and put in place by replacing the file: a link
        // already in DIR (a shared or packaged directory) is replaced,
        // never written through to whatever it points at.
        let name = format!("{}.1", cmd.get_display_name().unwrap_or(cmd.get_name()));
        let page =
            sections::render(cmd, top).with_context(|| format!("rendering the man page {name}"))?;
        crate::fsutil::replace_file(&dir.join(&name), &page, 0o644)
            .with_context(|| format!("writing a man page into {}", dir.display()))?;
        pages.push(name);
    }
    pages.sort();
    Ok(pages)
}
