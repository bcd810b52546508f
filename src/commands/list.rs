//! `bcconn list`: saved connections. Reads the record file only: no secret
//! store, no network, so it stays fast and works offline.

use std::io::Write as _;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::context::Context;
use crate::store::view::{ConnView, view_in};
use crate::ui;

const HEADER: [&str; 7] = [
    "NAME",
    "STORE",
    "AUTH",
    "STATE",
    "ICLIENT",
    "SCOPES",
    "CONCURRENCY",
];
const STATE: usize = 3;

pub fn run(ctx: &Context, args: ListArgs) -> Result<u8> {
    if args.json {
        let file = ctx.records.load()?;
        let idx = crate::store::Index::new(&file);
        let views: Vec<ConnView> = file
            .connections
            .iter()
            .map(|c| view_in(&idx, c, &ctx.env.api_url))
            .collect();
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
    let width = ctx.ui.table_width(ctx.env.columns, args.wide);
    let color = ui::Ui::stdout_color(ctx.env.no_color);
    if width.is_some() || color {
        // For a person: fit the terminal, colour the states that need
        // attention. (A terminal's worth of rows; scripts get the stream.)
        let rows: Vec<Vec<String>> = (0..table.len())
            .map(|i| table.cells(i).iter().map(|c| c.to_string()).collect())
            .collect();
        let paint =
            |col: usize, cell: &str| (col == STATE).then(|| ui::state_color(cell)).flatten();
        let mut t = ui::Table::new(&HEADER, &rows).fit(width);
        if color {
            t = t.paint(&paint);
        }
        ui::out(&t.render())?;
        return Ok(0);
    }
    // Streamed: widths in a first pass, then each line straight to stdout,
    // so 100,000 connections never become 700,000 strings.
    let mut widths = HEADER.map(ui::display_width);
    for i in 0..table.len() {
        for (w, cell) in widths.iter_mut().zip(table.cells(i).iter()) {
            *w = (*w).max(ui::display_width(cell));
        }
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut line = String::new();
    let mut write = |row: &[&str]| -> std::io::Result<()> {
        line.clear();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(ui::display_width(cell)) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.write_all(line.trim_end().as_bytes())?;
        out.write_all(b"\n")
    };
    let written = write(&HEADER).and_then(|()| {
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
