//! `bcconn list`: saved connections. Reads the records only: no secret
//! store, no network, so it stays fast and works offline. Rows are streamed
//! from the store: 100,000 connections never become 100,000 records in
//! memory.

mod cells;
mod json;
mod lenders;
mod siblings;

use std::io::Write as _;

use anyhow::Result;
use clap::Args;

use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;
use cells::{NAME_CELL, OTHER_CELL, cells};
use lenders::Lenders;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON (an array of connections; `[]` when there are none)
    #[arg(long)]
    pub json: bool,
    /// Show every column in full, however wide the terminal
    #[arg(long)]
    pub wide: bool,
}

/// Narrowed, the table gives up the first scope's name first and a
/// connection's name and state last.
const COLUMNS: [ui::Column<'static>; 7] = [
    ui::Column::new("NAME", 9),
    ui::Column::new("STORE", 4),
    ui::Column::new("AUTH", 3),
    ui::Column::new("STATE", 9),
    ui::Column::new("ICLIENT", 2),
    ui::Column::new("SCOPES", 0),
    ui::Column::new("CONCURRENCY", 1),
];
const STATE: usize = 3;

pub fn run(ctx: &Context, args: ListArgs) -> Result<ExitStatus> {
    if args.json {
        return json::json(ctx);
    }
    // One snapshot for every pass: the widths fit the rows written.
    let Some(reader) = ctx.records.reader()? else {
        return none_yet(ctx);
    };
    let lenders = Lenders::read(&reader)?;
    // For a person: fit the terminal, colour the states that need
    // attention. Piped: every column whole. Either way one measuring pass
    // and one writing pass, nothing kept per row: 100,000 connections never
    // become 700,000 strings held at once.
    let header = COLUMNS.map(|c| c.header);
    let mut widths = header.map(ui::display_width);
    let rows = match reader.list_widths(NAME_CELL, OTHER_CELL)? {
        // Plain text everywhere: the engine measures in one aggregate.
        Some(q) => {
            lenders.widths_of(&q, &mut widths);
            q.rows
        }
        // Something to escape or cut: each row is measured as shown.
        None => {
            let mut rows = 0u64;
            reader.list_rows(&mut |r| {
                rows += 1;
                let cells = cells(&lenders.iclients, &r, lenders.concurrency(&r));
                for (w, cell) in widths.iter_mut().zip(cells.iter()) {
                    *w = (*w).max(ui::display_width(cell));
                }
                Ok(())
            })?;
            rows
        }
    };
    if rows == 0 {
        return none_yet(ctx);
    }
    let width = ctx.ui.table_width(ctx.env.columns, args.wide);
    let color = ui::Ui::stdout_color(ctx.env.no_color);
    ui::fit_widths(&COLUMNS, &mut widths, width);
    let paint = |col: usize, cell: &str| (col == STATE).then(|| ui::state_color(cell)).flatten();
    let paint: Option<ui::Paint<'_>> = if color { Some(&paint) } else { None };
    let mut out = ui::Stdout::new(1 << 16);
    let mut line = ui::table_line(&header, &widths, None);
    // Superseded rows (rare), their siblings named after the table: the
    // first few kept as (id, name shown), the rest counted.
    let mut superseded = siblings::Superseded::default();
    let written = out
        .write_all(line.as_bytes())
        .map_err(anyhow::Error::from)
        .and_then(|()| {
            reader.list_rows(&mut |r| {
                let cells = cells(&lenders.iclients, &r, lenders.concurrency(&r));
                if r.state == "superseded" {
                    superseded.add(r.id, &cells[0]);
                }
                line.clear();
                ui::push_table_line(
                    &mut line,
                    &cells.each_ref().map(|s| s.as_ref()),
                    &widths,
                    paint,
                );
                out.write_all(line.as_bytes())
            })
        });
    out.finish(written)?;
    superseded.name(ctx, &reader, width)?;
    Ok(ExitStatus::Success)
}

fn none_yet(ctx: &Context) -> Result<ExitStatus> {
    ctx.ui
        .say("No connections yet. Create one with `bcconn create`.");
    Ok(ExitStatus::Success)
}
