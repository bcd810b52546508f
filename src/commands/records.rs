//! `bcconn export`, `import`, `backup` and `restore`: the records as one
//! document, and the database as one file.

use std::collections::HashSet;

use anyhow::Result;

use crate::cli::{BackupArgs, ExportArgs, ImportArgs, RestoreArgs};
use crate::connect::rules::few_names;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::store::migrate::Mode;
use crate::store::{self, Document};
use crate::ui;

/// The largest document `import` reads (100,000 connections take ~70 MB).
const IMPORT_MAX: u64 = 512 << 20;

pub fn export(ctx: &Context, args: ExportArgs) -> Result<ExitStatus> {
    let mut doc = ctx.records.document()?;
    // Personal, never exported.
    doc.default_connection = None;
    if !args.names.is_empty() {
        let tx = ctx.records.load()?;
        let mut ids = HashSet::new();
        for name in &args.names {
            ids.insert(tx.require_connection(name)?.id.clone());
        }
        doc.connections.retain(|c| ids.contains(&c.id));
        let used: HashSet<&str> = doc
            .connections
            .iter()
            .filter_map(|c| c.iclient_id.as_deref())
            .collect();
        let keep: Vec<_> = doc
            .iclients
            .iter()
            .filter(|i| used.contains(i.id.as_str()))
            .cloned()
            .collect();
        doc.iclients = keep;
    }
    ui::out_json(&doc)?;
    Ok(ExitStatus::Success)
}

pub fn import(ctx: &Context, args: ImportArgs) -> Result<ExitStatus> {
    let from_stdin = args.file.as_os_str() == "-";
    let bytes = if from_stdin {
        let buf = ctx.stdin.read_bounded(IMPORT_MAX)?;
        if buf.len() as u64 > IMPORT_MAX {
            return Err(usage(
                "standard input holds more than 512 MiB; that is not a bcconn document",
            )
            .into());
        }
        buf
    } else {
        crate::fsutil::read_regular(&args.file)?.ok_or_else(|| {
            usage(format!("{} does not exist", args.file.display()))
                .hint("name a file written by `bcconn export` (or an old bcconn.json), or - for standard input")
        })?
    };
    let shown = if from_stdin {
        std::path::PathBuf::from("standard input")
    } else {
        args.file.clone()
    };
    let doc: Document = store::parse(&bytes, &shown)?;
    let secrets_needed: Vec<String> = doc.iclients.iter().map(|i| i.name.clone()).collect();
    let report = ctx.records.import(
        doc,
        Mode::Fresh {
            replace: args.replace,
        },
        &shown,
    )?;
    // The tokens of replaced connections are no longer named by a record.
    for (kind, account) in &report.retired {
        if ctx.secrets(*kind).and_then(|s| s.delete(account)).is_ok() {
            let _ = ctx.records.ledger_forget(kind.as_str(), account);
        }
    }
    let line = |verb: &str, kind: &str, names: &[String]| {
        if !names.is_empty() {
            ctx.ui.step(&format!(
                "{verb} {} {kind}{}: {}",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                few_names(names)
            ));
        }
    };
    line("Added", "iClient", &report.iclients_added);
    line("Replaced", "iClient", &report.iclients_replaced);
    line("Added", "connection", &report.connections_added);
    line("Replaced", "connection", &report.connections_replaced);
    if report == Default::default() {
        ctx.ui
            .say("Nothing to import: the document holds no records.");
    }
    if !report.connections_added.is_empty() || !report.connections_replaced.is_empty() {
        ctx.ui.say(
            "Imported connections have no token: they are pending until `bcconn authorize NAME`.",
        );
    }
    if !secrets_needed.is_empty() {
        ctx.ui.say(&format!(
            "A document holds no secrets: give {} its client secret with `bcconn iclient edit NAME --client-secret-stdin`.",
            few_names(&secrets_needed)
        ));
    }
    Ok(ExitStatus::Success)
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
