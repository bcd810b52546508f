//! `bcconn list`: saved connections. Reads the record file only: no secret
//! store, no network, so it stays fast and works offline.

use anyhow::Result;

use crate::cli::ListArgs;
use crate::context::Context;
use crate::store::Index;
use crate::store::summary::Summary;
use crate::store::view::{ConnView, view_in};
use crate::ui;

pub fn run(ctx: &Context, args: ListArgs) -> Result<u8> {
    if args.json {
        let file = ctx.records.load()?;
        let idx = Index::new(&file);
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
    let rows: Vec<Vec<String>> = summary
        .connections
        .iter()
        .map(|c| {
            let concurrency = match c.borrow_concurrency_from.as_deref() {
                Some(lender) => format!(
                    "{} (from {})",
                    idx.effective_concurrency(c),
                    idx.connection_name(lender).unwrap_or("(removed)")
                ),
                None => c.concurrency.to_string(),
            };
            let iclient = c
                .iclient_id
                .as_deref()
                .map(|id| idx.iclient_name(id).unwrap_or("(removed)"))
                .unwrap_or("-");
            vec![
                c.name.to_string(),
                c.store_hash.to_string(),
                c.auth_type.as_str().to_string(),
                c.state.as_str().to_string(),
                iclient.to_string(),
                scope_summary(&c.scopes),
                concurrency,
            ]
        })
        .collect();
    ui::out(&ui::table(
        &[
            "NAME",
            "STORE",
            "AUTH",
            "STATE",
            "ICLIENT",
            "SCOPES",
            "CONCURRENCY",
        ],
        &rows,
    ))?;
    Ok(0)
}

fn scope_summary(scopes: &[impl AsRef<str>]) -> String {
    match scopes {
        [] => "-".into(),
        [one] => one.as_ref().to_string(),
        [first, rest @ ..] => format!("{} +{}", first.as_ref(), rest.len()),
    }
}
