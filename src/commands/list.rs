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

/// What one pass over the rows learns, so the second can write each line
/// at once: every connection's name and effective level by id (lenders are
/// named, chains followed), and each column's natural width.
struct Lenders {
    index: HashMap<String, usize>,
    names: Vec<String>,
    levels: Vec<u8>,
    iclients: HashMap<String, String>,
    widths: [usize; 7],
}

impl Lenders {
    /// `measure`: also the column widths (the table; `--json` needs none).
    fn read(ctx: &Context, measure: bool) -> Result<Lenders> {
        let iclients: HashMap<String, String> = ctx
            .records
            .iclients()?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect();
        let mut index = HashMap::new();
        let mut names = Vec::new();
        let mut own = Vec::new();
        let mut lender_ids: Vec<Option<String>> = Vec::new();
        let mut widths = HEADER.map(ui::display_width);
        ctx.records.list_rows(&mut |r| {
            index.insert(r.id.to_string(), names.len());
            names.push(r.name.to_string());
            own.push(r.concurrency);
            lender_ids.push(r.borrow_from.map(str::to_string));
            if measure {
                // All but the last column: it needs the lenders, known after.
                let cells = cells(&iclients, &r, Cow::Borrowed(""));
                for (w, cell) in widths.iter_mut().zip(cells.iter()).take(6) {
                    *w = (*w).max(ui::display_width(cell));
                }
            }
            Ok(())
        })?;
        let lenders: Vec<Option<usize>> = lender_ids
            .iter()
            .map(|l| l.as_deref().and_then(|id| index.get(id).copied()))
            .collect();
        let levels = store::effective_levels(names.len(), |i| own[i], |i| lenders[i]);
        let mut me = Lenders {
            index,
            names,
            levels,
            iclients,
            widths,
        };
        if measure {
            for (i, lender) in lender_ids.iter().enumerate() {
                let cell = me.concurrency(i, own[i], lender.as_deref());
                me.widths[6] = me.widths[6].max(ui::display_width(&cell));
            }
        }
        Ok(me)
    }

    /// `3`, or `7 (from lender)` for a connection that borrows.
    fn concurrency(&self, i: usize, own: u8, lender: Option<&str>) -> String {
        match lender {
            Some(id) => {
                let name = self
                    .index
                    .get(id)
                    .map(|&l| self.names[l].as_str())
                    .unwrap_or("(removed)");
                format!("{} (from {})", self.levels[i], safe(name, NAME_CELL))
            }
            None => own.to_string(),
        }
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
    if s.chars().any(crate::text::is_unsafe) || s.len() > max {
        Cow::Owned(crate::text::outside(s, max))
    } else {
        Cow::Borrowed(s)
    }
}

pub fn run(ctx: &Context, args: ListArgs) -> Result<u8> {
    if args.json {
        return json(ctx);
    }
    let mut lenders = Lenders::read(ctx, true)?;
    if lenders.names.is_empty() {
        ctx.ui
            .say("No connections yet. Create one with `bcconn create`.");
        return Ok(0);
    }
    // For a person: fit the terminal, colour the states that need
    // attention. Piped: every column whole. Either way one measuring pass
    // and one writing pass: 100,000 connections never become 700,000
    // strings held at once.
    let width = ctx.ui.table_width(ctx.env.columns, args.wide);
    let color = ui::Ui::stdout_color(ctx.env.no_color);
    ui::fit_widths(&HEADER, &mut lenders.widths, width);
    let paint = |col: usize, cell: &str| (col == STATE).then(|| ui::state_color(cell)).flatten();
    let paint: Option<ui::Paint<'_>> = if color { Some(&paint) } else { None };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = out
        .write_all(ui::table_line(&HEADER, &lenders.widths, None).as_bytes())
        .map_err(anyhow::Error::from)
        .and_then(|()| {
            ctx.records.list_rows(&mut |r| {
                // Rows are read in the same order as the measuring pass; a
                // row added meanwhile is shown with its own level.
                let level = match lenders.index.get(r.id) {
                    Some(&at) => lenders.concurrency(at, r.concurrency, r.borrow_from),
                    None => r.concurrency.to_string(),
                };
                let cells = cells(&lenders.iclients, &r, Cow::Owned(level));
                let line = ui::table_line(
                    &cells.each_ref().map(|s| s.as_ref()),
                    &lenders.widths,
                    paint,
                );
                out.write_all(line.as_bytes())
            })
        });
    match written.and_then(|()| out.flush().map_err(Into::into)) {
        Err(e) if !broken_pipe(&e) => Err(e),
        _ => Ok(0),
    }
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.to_string().contains("Broken pipe")
    })
}

/// `list --json`: one array, each connection as `show --json` prints it,
/// written as it is read.
fn json(ctx: &Context) -> Result<u8> {
    let lenders = Lenders::read(ctx, false)?;
    let iclients = &lenders.iclients;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut first = true;
    let name_of = |id: &str, missing: &str| {
        lenders
            .index
            .get(id)
            .map(|&i| lenders.names[i].clone())
            .unwrap_or_else(|| missing.to_string())
    };
    let written = out
        .write_all(b"[")
        .map_err(anyhow::Error::from)
        .and_then(|()| {
            ctx.records.each_connection(&mut |c| {
                let level = lenders
                    .index
                    .get(&c.id)
                    .map(|&i| lenders.levels[i])
                    .unwrap_or(c.concurrency);
                let v = store::view::view_with(
                    &c,
                    &ctx.env.api_url,
                    c.iclient_id.as_deref().map(|id| {
                        iclients
                            .get(id)
                            .cloned()
                            .unwrap_or_else(|| "(removed)".into())
                    }),
                    c.borrow_concurrency_from
                        .as_deref()
                        .map(|id| name_of(id, "(removed)")),
                    level,
                    c.superseded_by
                        .as_deref()
                        .map(|id| name_of(id, "(deleted)")),
                );
                out.write_all(if first { b"\n  " } else { b",\n  " })?;
                first = false;
                serde_json::to_writer(&mut out, &v)?;
                Ok(())
            })
        })
        .and_then(|()| {
            out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
            out.flush()?;
            Ok(())
        });
    match written {
        Err(e) if !broken_pipe(&e) => Err(e),
        _ => Ok(0),
    }
}
