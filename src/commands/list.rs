//! `bcconn list`: saved connections. Reads the records only: no secret
//! store, no network, so it stays fast and works offline. Rows are streamed
//! from the store: 100,000 connections never become 100,000 records in
//! memory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write as _;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::store::{self, ListRow};
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
const NAME_CELL: usize = store::MAX_NAME + 16;
const OTHER_CELL: usize = 200;

/// What the table needs beyond each row: iClient names, and for the few
/// connections that borrow, their effective level and lender's name (read
/// once, chains followed). Every other row runs at its own level.
struct Lenders {
    iclients: HashMap<String, String>,
    /// Borrowers and lenders by id: (name, effective level, lender id).
    borrowing: HashMap<String, (String, u8, Option<String>)>,
}

impl Lenders {
    fn read(reader: &store::Reader) -> Result<Lenders> {
        let iclients = reader
            .iclients()?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect();
        let rows = reader.borrowing()?;
        let index: HashMap<&str, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.0.as_str(), i))
            .collect();
        let levels = store::effective_levels(
            rows.len(),
            |i| rows[i].2,
            |i| rows[i].3.as_deref().and_then(|l| index.get(l).copied()),
        );
        let borrowing = rows
            .iter()
            .zip(levels)
            .map(|(r, level)| (r.0.clone(), (r.1.clone(), level, r.3.clone())))
            .collect();
        Ok(Lenders {
            iclients,
            borrowing,
        })
    }

    /// The widths of `q` (every row plain ASCII), with the iClient and
    /// concurrency cells as [`cells`] shows them.
    fn widths_of(&self, q: &store::ListWidths, widths: &mut [usize; 7]) {
        let iclient = q.iclient_ids.iter().map(|id| match id {
            Some(id) => match self.iclients.get(id) {
                Some(name) => ui::display_width(&safe(name, NAME_CELL)),
                None => ui::display_width("(removed)"),
            },
            None => 1,
        });
        let borrowed = self.borrowing.values().filter_map(|(_, level, lender)| {
            let name = self
                .borrowing
                .get(lender.as_deref()?)
                .map(|b| b.0.as_str())
                .unwrap_or("(removed)");
            Some(ui::display_width(&format!(
                "{level} (from {})",
                safe(name, NAME_CELL)
            )))
        });
        let columns = [
            q.name,
            q.store_hash,
            q.auth_type,
            q.state,
            iclient.max().unwrap_or(0),
            q.scopes,
            borrowed.max().unwrap_or(0).max(q.own_level),
        ];
        for (w, c) in widths.iter_mut().zip(columns) {
            *w = (*w).max(c);
        }
    }

    /// The level a row really runs with.
    fn level(&self, r: &ListRow<'_>) -> u8 {
        self.borrowing
            .get(r.id)
            .map(|b| b.1)
            .unwrap_or(r.concurrency)
    }

    /// The lender's name, for a row that borrows.
    fn lender(&self, r: &ListRow<'_>) -> Option<&str> {
        let id = r.borrow_from?;
        Some(
            self.borrowing
                .get(id)
                .map(|b| b.0.as_str())
                .unwrap_or("(removed)"),
        )
    }

    /// `3`, or `7 (from lender)` for a connection that borrows.
    fn concurrency<'r>(&self, r: &ListRow<'r>) -> Cow<'r, str> {
        match self.lender(r) {
            Some(name) => Cow::Owned(format!(
                "{} (from {})",
                self.level(r),
                safe(name, NAME_CELL)
            )),
            None => level_text(r.concurrency),
        }
    }
}

/// A level as text, without an allocation for the levels bcconn allows.
fn level_text<'r>(level: u8) -> Cow<'r, str> {
    const LEVELS: [&str; 26] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
        "17", "18", "19", "20", "21", "22", "23", "24", "25",
    ];
    match LEVELS.get(usize::from(level)) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(level.to_string()),
    }
}

/// A row's cells, as shown: every column as stored is outside text (a
/// hand-edited database), so each is escaped and bounded.
fn cells<'r>(
    iclients: &'r HashMap<String, String>,
    r: &ListRow<'r>,
    concurrency: Cow<'r, str>,
) -> [Cow<'r, str>; 7] {
    let iclient = match r.iclient_id {
        Some(id) => match iclients.get(id) {
            Some(name) => safe(name, NAME_CELL),
            None => Cow::Borrowed("(removed)"),
        },
        None => Cow::Borrowed("-"),
    };
    let scopes = match (r.first_scope, r.scope_count) {
        (None, _) => Cow::Borrowed("-"),
        (Some(s), 0 | 1) => safe(s, OTHER_CELL),
        (Some(s), n) => Cow::Owned(format!("{} +{}", safe(s, OTHER_CELL), n - 1)),
    };
    [
        safe(r.name, NAME_CELL),
        safe(r.store_hash, OTHER_CELL),
        safe(r.auth_type, OTHER_CELL),
        safe(r.state, OTHER_CELL),
        iclient,
        scopes,
        concurrency,
    ]
}

/// A cell as shown: escaped and cut when it holds what a terminal would
/// act on, or is very long (a hand-edited record).
fn safe(s: &str, max: usize) -> Cow<'_, str> {
    // Printable ASCII within bounds is shown as it is, checked bytewise.
    if s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(s);
    }
    if s.chars().any(crate::text::is_unsafe) || s.len() > max {
        Cow::Owned(crate::text::outside(s, max))
    } else {
        Cow::Borrowed(s)
    }
}

pub fn run(ctx: &Context, args: ListArgs) -> Result<ExitStatus> {
    if args.json {
        return json(ctx);
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
    let mut widths = HEADER.map(ui::display_width);
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
    ui::fit_widths(&HEADER, &mut widths, width);
    let paint = |col: usize, cell: &str| (col == STATE).then(|| ui::state_color(cell)).flatten();
    let paint: Option<ui::Paint<'_>> = if color { Some(&paint) } else { None };
    let mut out = ui::Stdout::new(1 << 16);
    let mut line = ui::table_line(&HEADER, &widths, None);
    let written = out
        .write_all(line.as_bytes())
        .map_err(anyhow::Error::from)
        .and_then(|()| {
            reader.list_rows(&mut |r| {
                let cells = cells(&lenders.iclients, &r, lenders.concurrency(&r));
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
    Ok(ExitStatus::Success)
}

fn none_yet(ctx: &Context) -> Result<ExitStatus> {
    ctx.ui
        .say("No connections yet. Create one with `bcconn create`.");
    Ok(ExitStatus::Success)
}

/// `list --json`: one array, each connection as `show --json` prints it,
/// written as it is read.
fn json(ctx: &Context) -> Result<ExitStatus> {
    let Some(reader) = ctx.records.reader()? else {
        ui::out("[]\n")?;
        return Ok(ExitStatus::Success);
    };
    let lenders = Lenders::read(&reader)?;
    let mut out = ui::Stdout::new(1 << 16);
    let mut first = true;
    let name_of = |id: &str, missing: &str| -> String {
        lenders
            .borrowing
            .get(id)
            .map(|b| b.0.clone())
            .unwrap_or_else(|| missing.to_string())
    };
    let written = out
        .write_all(b"[")
        .map_err(anyhow::Error::from)
        .and_then(|()| {
            reader.each_connection(&mut |c| {
                let level = lenders
                    .borrowing
                    .get(&c.id)
                    .map(|b| b.1)
                    .unwrap_or(c.concurrency);
                // `superseded_by` may name any connection, not only one
                // in a borrowing chain: looked up by id when set (rare).
                let superseded = c.superseded_by.as_deref().map(|id| {
                    lenders
                        .borrowing
                        .get(id)
                        .map(|b| b.0.clone())
                        .or_else(|| reader.name_of(id).ok().flatten())
                        .unwrap_or_else(|| "(deleted)".into())
                });
                let v = store::view::view_with(
                    &c,
                    &ctx.env.api_url,
                    c.iclient_id.as_deref().map(|id| {
                        lenders
                            .iclients
                            .get(id)
                            .cloned()
                            .unwrap_or_else(|| "(removed)".into())
                    }),
                    c.borrow_concurrency_from
                        .as_deref()
                        .map(|id| name_of(id, "(removed)")),
                    level,
                    superseded,
                );
                out.write_all(if first { b"\n  " } else { b",\n  " })?;
                first = false;
                serde_json::to_writer(&mut out, &v)?;
                Ok(())
            })
        })
        .and_then(|()| Ok(out.write_all(if first { b"]\n" } else { b"\n]\n" })?));
    out.finish(written)?;
    Ok(ExitStatus::Success)
}
