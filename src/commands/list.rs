//! `bcconn list`: saved connections. Reads the record file only: no secret
//! store, no network, so it stays fast and works offline.

use std::borrow::Cow;
use std::io::Write as _;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::context::Context;
use crate::store::summary::{Index, Row, Summary};
use crate::store::view::{ConnView, view_in};
use crate::ui;

pub fn run(ctx: &Context, args: ListArgs) -> Result<u8> {
    if args.json {
        let file = ctx.records.load()?;
        let idx = crate::store::Index::new(&file);
        let views: Vec<ConnView> = file.connections.iter().map(|c| view_in(&idx, c)).collect();
        ui::out_json(&views)?;
        return Ok(0);
    }
    let Some(bytes) = ctx.records.read_bytes()? else {
        ctx.ui
            .say("No connections yet. Create one with `bcconn create`.");
        return Ok(0);
    };
    // The table needs a few fields only: read them without copying.
    let summary = Summary::parse(&bytes, &ctx.records.path())?;
    if summary.connections.is_empty() {
        ctx.ui
            .say("No connections yet. Create one with `bcconn create`.");
        return Ok(0);
    }
    let idx = summary.index();
    // Streamed: widths in a first pass, then each line straight to stdout,
    // so 100,000 connections never become 700,000 strings.
    let header = [
        "NAME",
        "STORE",
        "AUTH",
        "STATE",
        "ICLIENT",
        "SCOPES",
        "CONCURRENCY",
    ];
    let cells = |c| cells(&idx, c);
    let width = |s: &str| s.chars().count();
    let mut widths = header.map(width);
    for c in &summary.connections {
        for (w, cell) in widths.iter_mut().zip(cells(c).iter()) {
            *w = (*w).max(width(cell));
        }
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut line = String::new();
    let mut write = |row: &[&str]| -> std::io::Result<()> {
        line.clear();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(' ', widths[i] - width(cell) + 2));
            }
        }
        out.write_all(line.trim_end().as_bytes())?;
        out.write_all(b"\n")
    };
    let written = write(&header).and_then(|()| {
        for c in &summary.connections {
            let row = cells(c);
            write(&row.each_ref().map(|s| s.as_ref()))?;
        }
        Ok(())
    });
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
}

/// One connection's row of the table.
fn cells<'s>(idx: &Index<'s>, c: &'s Row<'s>) -> [Cow<'s, str>; 7] {
    let concurrency = match c.borrow_concurrency_from.as_deref() {
        Some(lender) => Cow::Owned(format!(
            "{} (from {})",
            idx.effective_concurrency(c),
            idx.connection_name(lender).unwrap_or("(removed)")
        )),
        None => Cow::Owned(c.concurrency.to_string()),
    };
    let iclient = c
        .iclient_id
        .as_deref()
        .map(|id| idx.iclient_name(id).unwrap_or("(removed)"))
        .unwrap_or("-");
    [
        Cow::Borrowed(c.name.as_ref()),
        Cow::Borrowed(c.store_hash.as_str()),
        Cow::Borrowed(c.auth_type.as_str()),
        Cow::Borrowed(c.state.as_str()),
        Cow::Borrowed(iclient),
        scope_summary(&c.scopes),
        concurrency,
    ]
}

fn scope_summary<'a>(scopes: &'a [Cow<'a, str>]) -> Cow<'a, str> {
    match scopes {
        [] => Cow::Borrowed("-"),
        [one] => Cow::Borrowed(one.as_ref()),
        [first, rest @ ..] => Cow::Owned(format!("{} +{}", first, rest.len())),
    }
}
