//! `bcconn hooks list`: the webhooks the connection's token sees, with
//! their headers by name (values are the destination's secrets: `***`).

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::HookConnection;
use crate::bigcommerce::hooks::{self, Hook};
use crate::connect::hooks::Hooks;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::text::shell_word;
use crate::ui;

#[derive(Debug, Args)]
pub struct HooksListArgs {
    #[command(flatten)]
    pub conn: HookConnection,
    /// Print JSON (an array; header values are "***")
    #[arg(long)]
    pub json: bool,
    /// Show every column in full, however wide the terminal
    #[arg(long)]
    pub wide: bool,
}

/// A hook as `--json` prints it: the same keys for every one.
#[derive(Serialize)]
struct View<'a> {
    id: u64,
    scope: &'a str,
    destination: &'a str,
    is_active: bool,
    /// Names, each with "***" for its value; null when BigCommerce said null.
    headers: Option<serde_json::Map<String, serde_json::Value>>,
    client_id: Option<&'a str>,
    store_hash: Option<&'a str>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}

fn view(h: &Hook) -> View<'_> {
    View {
        id: h.id,
        scope: &h.scope,
        destination: &h.destination,
        is_active: h.is_active,
        headers: h.header_names.as_ref().map(|names| {
            names
                .iter()
                .map(|n| (n.clone(), serde_json::Value::from("***")))
                .collect()
        }),
        client_id: h.client_id.as_deref(),
        store_hash: h.store_hash.as_deref(),
        created_at: h.created_at,
        updated_at: h.updated_at,
    }
}

/// Narrowed, the headers are cut first, then the destination; the id and
/// the state stay whole.
const COLUMNS: [ui::Column<'static>; 5] = [
    ui::Column::new("ID", 9),
    ui::Column::new("SCOPE", 3),
    ui::Column::new("DESTINATION", 2),
    ui::Column::new("STATE", 9),
    ui::Column::new("HEADERS", 0).wrap(),
];

pub fn run(ctx: &Context, args: HooksListArgs) -> Result<ExitStatus> {
    let mut hooks = Hooks::open(ctx, args.conn.connection.as_deref())?;
    let list = hooks.list(ctx)?;
    let name = hooks.connection().name.clone();
    if args.json {
        ui::out_json(&list.iter().map(view).collect::<Vec<_>>())?;
    } else if list.is_empty() {
        ctx.ui.say(&format!(
            "No webhooks for {name:?}. BigCommerce shows a connection only the webhooks its own token created."
        ));
        return Ok(ExitStatus::Success);
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|h| {
                vec![
                    h.id.to_string(),
                    h.scope.clone(),
                    h.destination.clone(),
                    hooks::state(h.is_active).into(),
                    h.masked_headers(),
                ]
            })
            .collect();
        let width = ctx.ui.table_width(ctx.env.columns, args.wide);
        ui::out(&ui::Table::new(&COLUMNS, &rows).fit(width).render())?;
    }
    // (JSON says it in is_active.)
    let inactive = list.iter().filter(|h| !h.is_active).count();
    if inactive > 0 && !args.json {
        ctx.ui.say(&format!(
            "{inactive} inactive: {}; `bcconn hooks enable ID -c {}` turns one back on.",
            hooks::DEACTIVATION,
            shell_word(&name)
        ));
    }
    Ok(ExitStatus::Success)
}
