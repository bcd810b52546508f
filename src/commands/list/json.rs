//! `list --json`.

use std::io::Write as _;

use anyhow::Result;

use super::lenders::Lenders;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::store;
use crate::ui;

/// `list --json`: one array, each connection as `show --json` prints it,
/// written as it is read.
pub(super) fn json(ctx: &Context) -> Result<ExitStatus> {
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
