//! `bcconn list`: saved connections. Reads the record file only: no secret
//! store, no network, so it stays fast and works offline.

use std::io::Write as _;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::context::Context;
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
    // The table needs a few fields only, kept compact; bcconn's own file
    // layout is read line by line, never whole.
    let table = match ctx.records.table()? {
        Some(t) if !t.is_empty() => t,
        _ => {
            ctx.ui
                .say("No connections yet. Create one with `bcconn create`.");
            return Ok(0);
        }
    };
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
    let width = |s: &str| s.chars().count();
    let mut widths = header.map(width);
    for i in 0..table.len() {
        for (w, cell) in widths.iter_mut().zip(table.cells(i).iter()) {
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
        for i in 0..table.len() {
            let row = table.cells(i);
            write(&row.each_ref().map(|s| s.as_ref()))?;
        }
        Ok(())
    });
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
}
