//! `bcconn status`: check saved tokens against their stores, live: all at
//! once, each pool within its concurrency level, with a counter on a
//! terminal while they run.

use std::io::IsTerminal;

use anyhow::Result;
use secrecy::SecretString;
use serde::Serialize;

use crate::bigcommerce::api::Check;
use crate::bigcommerce::scopes;
use crate::cli::StatusArgs;
use crate::connect::check::check_all;
use crate::connect::tokens::{NoToken, token_for};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::store::{self, Connection};
use crate::ui;

#[derive(Serialize)]
struct Row {
    name: String,
    store_hash: String,
    /// ok | invalid | forbidden | rejected | unreachable | not_authorized | no_token
    status: &'static str,
    detail: String,
    // Always present (null when unknown): the same keys for every entry.
    store_name: Option<String>,
}

pub fn run(ctx: &Context, args: StatusArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let selected: Vec<&Connection> = if args.names.is_empty() {
        file.connections()?
    } else {
        args.names
            .iter()
            .map(|n| file.require_connection(n))
            .collect::<Result<_>>()?
    };
    if selected.is_empty() && args.json {
        ui::out_json(&Vec::<Row>::new())?;
        return Ok(ExitStatus::Success);
    }
    if selected.is_empty() {
        ctx.ui
            .say("No connections yet. Create one with `bcconn create`.");
        return Ok(ExitStatus::Success);
    }
    // Read the tokens first (keyring calls are blocking), then check them all at once.
    let mut rows = Vec::new();
    let mut to_check: Vec<(usize, &Connection, SecretString)> = Vec::new();
    for c in &selected {
        let mut row = Row {
            name: c.name.clone(),
            store_hash: c.store_hash.to_string(),
            status: "ok",
            detail: String::new(),
            store_name: c.store_name.clone(),
        };
        match token_for(ctx, c) {
            Ok(token) => {
                // Until its check reports, a row is not ok.
                row.status = "unreachable";
                row.detail = "the check did not finish".into();
                to_check.push((rows.len(), c, token));
            }
            Err(NoToken::Dead(state)) => {
                row.status = state.as_str();
                row.detail = match (state, c.superseded_by.as_deref()) {
                    (crate::store::State::Superseded, Some(by)) => format!(
                        "superseded by {}: run `bcconn authorize {}` (that ends the other's token)",
                        file.connection_by_id(by)?
                            .map(|s| s.name.as_str())
                            .unwrap_or("(deleted)"),
                        ui::shell_word(&c.name)
                    ),
                    _ => format!(
                        "{}: run `bcconn authorize {}`",
                        c.last_error.as_deref().unwrap_or("no longer accepted"),
                        ui::shell_word(&c.name)
                    ),
                };
            }
            Err(NoToken::NotAuthorized) => {
                row.status = "not_authorized";
                row.detail = format!(
                    "{}: run `bcconn authorize {}`",
                    c.state.as_str(),
                    ui::shell_word(&c.name)
                );
            }
            Err(NoToken::Missing(kind)) => {
                row.status = "no_token";
                row.detail = format!("token missing from {}", kind.describe());
            }
            Err(NoToken::Unreadable(e)) => {
                row.status = "no_token";
                row.detail = crate::error::message(&e);
            }
        }
        rows.push(row);
    }
    // Every check at once, each pool within its level; a counter on a terminal.
    let bar = progress_bar(to_check.len());
    let items = to_check
        .iter()
        .map(|(i, c, token)| (*i, *c, token.clone()))
        .collect();
    let results = check_all(ctx, &file, items, |done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let mut verified = Vec::new();
    let mut invalid = Vec::new();
    for (i, check) in results {
        let row = &mut rows[i];
        match check {
            Check::Ok { store } => {
                let c = to_check
                    .iter()
                    .find(|(j, ..)| *j == i)
                    .map(|(_, c, _)| *c)
                    .expect("checked");
                verified.push(c.id.clone());
                row.status = "ok";
                if let Some(s) = store.and_then(|s| s.name) {
                    row.store_name = Some(s);
                }
                let missing =
                    scopes::missing(&c.scopes, c.granted_scopes.as_deref().unwrap_or(&c.scopes));
                row.detail = if missing.is_empty() {
                    "token works".into()
                } else {
                    format!("token works; not granted: {}", missing.join(", "))
                };
            }
            Check::Invalid(why) => {
                let c = to_check
                    .iter()
                    .find(|(j, ..)| *j == i)
                    .map(|(_, c, _)| *c)
                    .expect("checked");
                invalid.push(((*c).clone(), why.clone()));
                row.status = "invalid";
                row.detail = format!(
                    "401 {why}: re-authorize with `bcconn authorize {}`",
                    ui::shell_word(&row.name)
                );
            }
            Check::Forbidden(why) => {
                row.status = "forbidden";
                row.detail = format!("403 {why}");
            }
            // A definite answer (404: no such store) that is not a 401:
            // the token is left as it is, and the row says what came back.
            Check::Rejected(why) => {
                row.status = "rejected";
                row.detail = why;
            }
            Check::Unreachable(why) => {
                row.status = "unreachable";
                row.detail = crate::text::outside(&why, 300);
            }
        }
    }
    if args.json {
        ui::out_json(&rows)?;
    } else {
        let table: Vec<Vec<String>> = rows
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
        let header = ["NAME", "STORE", "STATUS", "DETAIL"];
        let width = ctx.ui.table_width(ctx.env.columns, args.wide);
        ui::out(&ui::Table::new(&header, &table).fit(width).render())?;
    }
    if !verified.is_empty() {
        let now = store::now();
        // The results are out already; failing to note the time is a warning.
        let noted = ctx.records.update(|file| {
            for id in &verified {
                if let Some(c) = file.connection_by_id_mut(id)? {
                    c.last_verified_at = Some(now.clone());
                }
            }
            Ok(())
        });
        if let Err(e) = noted {
            ctx.ui.warn(&format!(
                "could not record the check times: {}",
                crate::error::message(&e)
            ));
        }
    }
    // What a 401 taught is kept: `list`, `token` and the rest see it.
    for (c, why) in invalid {
        if let Err(e) = crate::connect::tokens::mark_invalid(ctx, &c, &why) {
            ctx.ui.warn(&format!(
                "could not record that {:?} is invalid: {}",
                c.name,
                crate::error::message(&e)
            ));
        }
    }
    Ok(if rows.iter().all(|r| r.status == "ok") {
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
