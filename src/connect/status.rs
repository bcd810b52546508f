//! `bcconn status`'s work: each selected connection's token read, checked
//! against its store (all at once, each pool within its level), and what
//! the checks taught kept in the records in one transaction.

use anyhow::Result;
use secrecy::SecretString;
use serde::Serialize;

use super::check::check_all;
use super::tokens::{Checked, NoToken, mark_invalid_in, said, token_for};
use crate::bigcommerce::api::Check;
use crate::bigcommerce::scopes;
use crate::context::Context;
use crate::store::{self, Connection, State, Tx};
use crate::text::shell_word;

/// One connection's line in the report.
#[derive(Serialize)]
pub struct Row {
    pub name: String,
    pub store_hash: String,
    /// ok | invalid | forbidden | rejected | unreachable | not_authorized | no_token
    pub status: &'static str,
    pub detail: String,
    // Always present (null when unknown): the same keys for every entry.
    pub store_name: Option<String>,
}

/// What the checks found, and what they taught that the records keep.
pub struct Report {
    pub rows: Vec<Row>,
    /// Connections whose token worked.
    verified: Vec<String>,
    /// Connections whose token got a 401: as seen, and why.
    invalid: Vec<(Connection, String)>,
}

/// The connections named (all when none are), in the order given.
pub fn selected<'f>(file: &'f Tx, names: &[String]) -> Result<Vec<&'f Connection>> {
    if names.is_empty() {
        return file.connections();
    }
    names.iter().map(|n| file.require_connection(n)).collect()
}

/// Checks every connection in `selected`. `on_start` hears how many checks
/// run, `on_done` how many have ended.
pub fn check(
    ctx: &Context,
    file: &Tx,
    selected: &[&Connection],
    on_start: impl FnOnce(usize),
    on_done: impl FnMut(usize),
) -> Result<Report> {
    // A sealed store's key is the user's setup, not a token's state: a
    // wrong or missing key ends the run with its own exit status, rather
    // than calling every sealed token missing.
    if selected
        .iter()
        .any(|c| c.token_store == Some(crate::secrets::StoreKind::Sealed))
    {
        crate::secrets::probe(ctx.secrets(crate::secrets::StoreKind::Sealed)?.as_ref())?;
    }
    // Read the tokens first (keyring calls are blocking), then check them all at once.
    let mut rows = Vec::with_capacity(selected.len());
    // Keyed by row, which is the connection's place in `selected`.
    let mut to_check: Vec<(usize, &Connection, SecretString)> = Vec::new();
    for c in selected {
        let (status, detail) = match token_for(ctx, c) {
            Ok(token) => {
                to_check.push((rows.len(), *c, token));
                // Until its check reports, a row is not ok.
                ("unreachable", "the check did not finish".to_string())
            }
            Err(no) => no_token(file, c, no)?,
        };
        rows.push(Row {
            name: c.name.clone(),
            store_hash: c.store_hash.to_string(),
            status,
            detail,
            store_name: c.store_name.clone(),
        });
    }
    on_start(to_check.len());
    let mut on_done = on_done;
    let results = check_all(ctx, file, to_check, |done, _| on_done(done))?;
    let mut report = Report {
        rows,
        verified: Vec::new(),
        invalid: Vec::new(),
    };
    for (i, check) in results {
        let c = selected[i];
        let row = &mut report.rows[i];
        if let Check::Invalid(why) = &check {
            report.invalid.push((c.clone(), why.clone()));
        }
        match said(check, Checked::Saved { name: &c.name }) {
            Ok(store) => {
                report.verified.push(c.id.clone());
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
            Err(s) => {
                row.status = s.status;
                row.detail = s.message;
            }
        }
    }
    Ok(report)
}

/// A row's status and detail when there is no token to check.
fn no_token(file: &Tx, c: &Connection, no: NoToken) -> Result<(&'static str, String)> {
    let again = format!("run `bcconn authorize {}`", shell_word(&c.name));
    Ok(match no {
        NoToken::Dead(state) => {
            let detail = match (state, c.superseded_by.as_deref()) {
                (State::Superseded, Some(by)) => format!(
                    "superseded by {}: {again} (that ends the other's token)",
                    file.connection_by_id(by)?
                        .map(|s| s.name.as_str())
                        .unwrap_or("(deleted)"),
                ),
                _ => format!(
                    "{}: {again}",
                    c.last_error.as_deref().unwrap_or("no longer accepted"),
                ),
            };
            (state.as_str(), detail)
        }
        NoToken::NotAuthorized => ("not_authorized", format!("{}: {again}", c.state.as_str())),
        NoToken::Missing(kind) => (
            "no_token",
            format!("token missing from {}", kind.describe()),
        ),
        NoToken::Unreadable(e) => ("no_token", crate::error::message(&e)),
    })
}

impl Report {
    /// Every check came back ok.
    pub fn all_ok(&self) -> bool {
        self.rows.iter().all(|r| r.status == "ok")
    }

    /// Keeps what the checks taught, in one transaction: when each working
    /// token was verified, and which tokens a 401 ended (`list`, `token`
    /// and the rest see it). The results are out already, so a failure to
    /// record is a warning.
    pub fn record(self, ctx: &Context) {
        if self.verified.is_empty() && self.invalid.is_empty() {
            return;
        }
        let now = store::now();
        let noted = ctx.records.update(|file| {
            for id in &self.verified {
                if let Some(c) = file.connection_by_id_mut(id)? {
                    c.last_verified_at = Some(now.clone());
                }
            }
            for (c, why) in &self.invalid {
                mark_invalid_in(file, c, why)?;
            }
            Ok(())
        });
        let Err(e) = noted else {
            return;
        };
        let why = crate::error::message(&e);
        if !self.verified.is_empty() {
            ctx.progress
                .warn(&format!("could not record the check times: {why}"));
        }
        for (c, _) in &self.invalid {
            ctx.progress.warn(&format!(
                "could not record that {:?} is invalid: {why}",
                c.name
            ));
        }
    }
}
