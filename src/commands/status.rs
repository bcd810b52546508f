//! `bcconn status`: check saved tokens against their stores, live: all at
//! once, each pool within its concurrency level, with a counter on a
//! terminal while they run.

use std::cell::OnceCell;
use std::io::IsTerminal;

use anyhow::Result;
use clap::Args;

use crate::connect::status::{self, Row};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Connections to check (default: all)
    pub names: Vec<String>,
    /// Check every saved connection
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
    /// Print JSON (an array of results; `[]` when there are no connections)
    #[arg(long)]
    pub json: bool,
    /// Show every column in full, however wide the terminal
    #[arg(long)]
    pub wide: bool,
}

/// Narrowed, the detail wraps (its command whole, on a line of its own
/// if need be), or goes under its row; the store hash is cut before the
/// name and the status.
const COLUMNS: [ui::Column<'static>; 4] = [
    ui::Column::new("NAME", 9),
    ui::Column::new("STORE", 1),
    ui::Column::new("STATUS", 9),
    ui::Column::new("DETAIL", 0).wrap(),
];
const STATUS: usize = 2;

pub fn run(ctx: &Context, args: StatusArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let selected = status::selected(&file, &args.names)?;
    if selected.is_empty() && args.json {
        ui::out_json(&Vec::<Row>::new())?;
        return Ok(ExitStatus::Success);
    }
    if selected.is_empty() {
        ctx.ui
            .say("No connections yet. Create one with `bcconn create`.");
        return Ok(ExitStatus::Success);
    }
    let bar = OnceCell::new();
    let report = status::check(
        ctx,
        &file,
        &selected,
        |total| {
            bar.get_or_init(|| progress_bar(total));
        },
        |done| {
            if let Some(bar) = bar.get() {
                bar.set_position(done as u64);
            }
        },
    )?;
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    if args.json {
        ui::out_json(&report.rows)?;
    } else {
        let table: Vec<Vec<String>> = report
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.store_hash.clone(),
                    r.status.replace('_', " "),
                    r.detail.clone(),
                ]
            })
            .collect();
        let width = ctx.ui.table_width(ctx.env.columns, args.wide);
        let paint = |col: usize, cell: &str| {
            if col == STATUS {
                ui::verdict_color(cell)
            } else {
                None
            }
        };
        let mut t = ui::Table::new(&COLUMNS, &table).fit(width);
        if ui::Ui::stdout_color(ctx.env.no_color) {
            t = t.paint(&paint);
        }
        ui::out(&t.render())?;
    }
    // Webhooks BigCommerce turned off, for the connections that answered:
    // a warning each, the exit status unchanged.
    let answered: Vec<_> = selected
        .iter()
        .zip(&report.rows)
        .filter(|(_, r)| r.status == "ok")
        .map(|(c, _)| *c)
        .collect();
    crate::connect::hooks::warn_inactive(ctx, &file, &answered);
    // Saved storefront tokens about to end: a warning, the status stays.
    for w in crate::connect::storefront::saved::warnings_for(&file, &args.names, ctx.clock.now())? {
        ctx.ui.warn(&w);
    }
    let ok = report.all_ok();
    report.record(ctx);
    Ok(if ok {
        ExitStatus::Success
    } else {
        ExitStatus::NotOk
    })
}

/// "Checking 12/100 connections" on stderr, only when it is a terminal.
fn progress_bar(total: usize) -> indicatif::ProgressBar {
    if !crate::ui::stderr().is_terminal() || total < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} Checking {pos}/{len} connections")
    {
        bar.set_style(style.tick_chars("-\\|/ "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
