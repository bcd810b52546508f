//! `bcconn export`, `import`, `backup` and `restore`: the records as one
//! document (with their secrets: an encrypted bundle), and the database as
//! one file.

mod bundle;
mod export;
mod from_cli;
mod import;

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;

pub use export::{ExportArgs, export};
pub use import::{ImportArgs, import};

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  bcconn backup ~/bcconn-$(date +%F).db")]
pub struct BackupArgs {
    /// Where to write the copy (must not exist; created 0600)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  bcconn restore ~/bcconn-2026-12-01.db")]
pub struct RestoreArgs {
    /// A backup written by `bcconn backup`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub fn backup(ctx: &Context, args: BackupArgs) -> Result<ExitStatus> {
    let shown = crate::text::outside(&args.file.display().to_string(), 300);
    if std::fs::symlink_metadata(&args.file).is_ok() {
        return Err(usage(format!("{shown} exists"))
            .hint("name a new file; a backup never overwrites one")
            .into());
    }
    let parent = match args.file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !parent.is_dir() {
        return Err(usage(format!(
            "cannot write {shown}: the directory {} does not exist",
            crate::text::outside(&parent.display().to_string(), 300)
        ))
        .hint("create it first, or name a file in a directory that exists")
        .into());
    }
    if let Err(e) = ctx.records.backup(&args.file) {
        // An empty file made for the copy is not a backup.
        if std::fs::metadata(&args.file).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&args.file);
        }
        return Err(e);
    }
    ctx.ui.step(&format!(
        "Wrote a backup of the records to {}",
        args.file.display()
    ));
    Ok(ExitStatus::Success)
}

pub fn restore(ctx: &Context, args: RestoreArgs) -> Result<ExitStatus> {
    let kept =
        ctx.records.restore(&args.file).map_err(|e| {
            // A shared store is refused as it is (a usage error, exit 2):
            // no file would do.
            if matches!(
                e.downcast_ref::<crate::store::error::StoreError>(),
                Some(crate::store::error::StoreError::NotLocal { .. })
            ) {
                return e;
            }
            // About the file given: the current records were not touched.
            let (_, message, _) = crate::error::report(&e).into_parts();
            anyhow::Error::from(crate::error::failure(message).hint(
                "name a file written by `bcconn backup`; the current records were not changed",
            ))
        })?;
    ctx.ui.step(&format!(
        "Restored the records from {}",
        args.file.display()
    ));
    if let Some(kept) = kept {
        ctx.ui.say(&format!(
            "The database it replaced is kept as {}",
            kept.display()
        ));
    }
    Ok(ExitStatus::Success)
}
