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

/// What the table needs to know about lenders: each connection's name and
/// effective level, by id, computed in one pass.
struct Lenders {
    index: HashMap<String, usize>,
    names: Vec<String>,
    levels: Vec<u8>,
}

impl Lenders {
    fn read(ctx: &Context) -> Result<Lenders> {
        let mut index = HashMap::new();
        let mut names = Vec::new();
        let mut own = Vec::new();
        let mut lender_ids: Vec<Option<String>> = Vec::new();
        ctx.records.list_rows(&mut |r| {
            index.insert(r.id.to_string(), names.len());
            names.push(r.name.to_string());
            own.push(r.concurrency);
            lender_ids.push(r.borrow_from.map(str::to_string));
            Ok(())
        })?;
        let lenders: Vec<Option<usize>> = lender_ids
            .iter()
            .map(|l| l.as_deref().and_then(|id| index.get(id).copied()))
            .collect();
        let levels = store::effective_levels(names.len(), |i| own[i], |i| lenders[i]);
        Ok(Lenders {
            index,
            names,
            levels,
        })
    }

    fn cells<'r>(&self, r: &ListRow<'r>) -> [Cow<'r, str>; 7] {
        let iclient = match (r.iclient_id, r.iclient_name) {
            (Some(_), Some(name)) => safe(name, NAME_CELL),
            (Some(_), None) => Cow::Borrowed("(removed)"),
            (None, _) => Cow::Borrowed("-"),
        };
        let scopes = match (r.first_scope, r.scope_count) {
            (None, _) => Cow::Borrowed("-"),
            (Some(s), 0 | 1) => safe(s, OTHER_CELL),
            (Some(s), n) => Cow::Owned(format!("{} +{}", safe(s, OTHER_CELL), n - 1)),
        };
        let me = self.index.get(r.id).copied();
        let concurrency = match r.borrow_from {
            Some(id) => {
                let lender = self
                    .index
                    .get(id)
                    .map(|&l| self.names[l].as_str())
                    .unwrap_or("(removed)");
                Cow::Owned(format!(
                    "{} (from {})",
                    me.map(|i| self.levels[i]).unwrap_or(r.concurrency),
                    safe(lender, NAME_CELL)
                ))
            }
            None => Cow::Owned(r.concurrency.to_string()),
        };
        [
            safe(r.name, NAME_CELL),
            Cow::Borrowed(r.store_hash),
            Cow::Borrowed(r.auth_type),
            Cow::Borrowed(r.state),
            iclient,
            scopes,
            concurrency,
        ]
    }
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
    let lenders = Lenders::read(ctx)?;
    if lenders.names.is_empty() {
        ctx.ui
            .say("No connections yet. Create one with `bcconn create`.");
        return Ok(0);
    }
    let width = ctx.ui.table_width(ctx.env.columns, args.wide);
    let color = ui::Ui::stdout_color(ctx.env.no_color);
    if width.is_some() || color {
        // For a person: fit the terminal, colour the states that need
        // attention.
        let mut rows: Vec<Vec<String>> = Vec::with_capacity(lenders.names.len());
        ctx.records.list_rows(&mut |r| {
            rows.push(lenders.cells(&r).iter().map(|c| c.to_string()).collect());
            Ok(())
        })?;
        let paint =
            |col: usize, cell: &str| (col == STATE).then(|| ui::state_color(cell)).flatten();
        let mut t = ui::Table::new(&HEADER, &rows).fit(width);
        if color {
            t = t.paint(&paint);
        }
        ui::out(&t.render())?;
        return Ok(0);
    }
    // Streamed: widths in a first pass, then each line straight to stdout.
    let mut widths = HEADER.map(ui::display_width);
    ctx.records.list_rows(&mut |r| {
        for (w, cell) in widths.iter_mut().zip(lenders.cells(&r).iter()) {
            *w = (*w).max(ui::display_width(cell));
        }
        Ok(())
    })?;
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
    let written = write(&HEADER).map_err(anyhow::Error::from).and_then(|()| {
        ctx.records.list_rows(&mut |r| {
            let cells = lenders.cells(&r);
            write(&cells.each_ref().map(|s| s.as_ref()))
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
    let lenders = Lenders::read(ctx)?;
    let iclients: HashMap<String, String> = ctx
        .records
        .iclients()?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
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
