//! `bcconn history [NAME]`: who changed what, from where, and when, newest
//! first. Entries name fields, never values, so nothing here is secret.

use anyhow::Result;
use clap::Args;

use crate::connect::rules::shown;
use crate::context::Context;
use crate::error::{ExitStatus, usage};
use crate::store::AuditEntry;
use crate::ui;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A connection or iClient, also one renamed or deleted since (none: every change)
    pub name: Option<String>,
    /// Print JSON (an array of entries, newest first; `[]` when there are none)
    #[arg(long)]
    pub json: bool,
    /// Show at most N entries, the newest (0: all)
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u32,
}

pub fn run(ctx: &Context, args: HistoryArgs) -> Result<ExitStatus> {
    // 0 means all: more rows than a u32 can count are never asked for.
    let limit = if args.limit == 0 {
        u32::MAX
    } else {
        args.limit
    };
    let file = ctx.records.load()?;
    let entries = file.history(args.name.as_deref(), limit)?;
    if let Some(name) = &args.name
        && entries.is_empty()
        && !file.has_record(name)?
    {
        return Err(usage(format!(
            "no connection or iClient named {}, now or before",
            shown(name)
        ))
        .hint("`bcconn history` (without a name) shows every change")
        .into());
    }
    drop(file);
    if args.json {
        ui::out_json(&entries)?;
        return Ok(ExitStatus::Success);
    }
    if entries.is_empty() {
        ctx.ui.say(&match &args.name {
            Some(name) => format!("No changes to {} recorded yet.", shown(name)),
            None => "No changes recorded yet.".to_string(),
        });
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = entries.iter().map(row).collect();
    // Narrowed, the change wraps first (nothing is lost), then who and the
    // verb are cut; when and which record stay whole longest.
    const COLUMNS: [ui::Column<'static>; 5] = [
        ui::Column::new("WHEN", 8),
        ui::Column::new("WHO", 2),
        ui::Column::new("VERB", 3),
        ui::Column::new("RECORD", 9),
        ui::Column::new("CHANGE", 0).wrap(),
    ];
    let width = ctx.ui.table_width(ctx.env.columns, false);
    ui::out(&ui::Table::new(&COLUMNS, &rows).fit(width).render())?;
    Ok(ExitStatus::Success)
}

/// One entry as the table shows it; every string that came from a record
/// or the OS (names, user, host) escaped, since another machine wrote it.
fn row(e: &AuditEntry) -> Vec<String> {
    let text = |s: &str| crate::text::outside(s, crate::store::MAX_NAME + 16);
    let record = if e.subject_name.is_empty() {
        text(&e.kind)
    } else {
        format!("{} {}", text(&e.kind), text(&e.subject_name))
    };
    let change = if e.fields.is_empty() {
        text(&e.action)
    } else {
        let fields: Vec<String> = e.fields.iter().map(|f| text(f)).collect();
        format!("{}: {}", text(&e.action), fields.join(", "))
    };
    vec![
        text(&e.at),
        format!("{}@{}", text(&e.user), text(&e.host)),
        text(&e.verb),
        record,
        change,
    ]
}
