//! `bcconn list`: saved connections. Reads the record file only: no secret
//! store, no network, so it stays fast and works offline.

use anyhow::Result;
use serde::Serialize;

use crate::cli::ListArgs;
use crate::context::Context;
use crate::store::summary::Summary;
use crate::store::{BcUser, Connection, RecordFile};
use crate::ui;

/// A connection as printed (`list --json`, `show --json`): ids resolved to names.
#[derive(Serialize)]
pub struct ConnView<'a> {
    pub name: &'a str,
    pub id: &'a str,
    pub auth_type: &'a str,
    pub store_hash: &'a str,
    pub state: &'a str,
    pub scopes: &'a [String],
    pub iclient: Option<&'a str>,
    pub concurrency: u8,
    pub borrow_concurrency_from: Option<&'a str>,
    pub effective_concurrency: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_scopes: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a BcUser>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'a BcUser>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_uuid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_verified_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_store: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<&'a str>,
    pub created_at: &'a str,
    pub updated_at: &'a str,
}

pub fn view<'a>(file: &'a RecordFile, c: &'a Connection) -> ConnView<'a> {
    ConnView {
        name: &c.name,
        id: &c.id,
        auth_type: c.auth_type.as_str(),
        store_hash: c.store_hash.as_str(),
        state: c.state.as_str(),
        scopes: &c.scopes,
        iclient: c.iclient_id.as_deref().map(|id| {
            file.iclient_by_id(id)
                .map(|i| i.name.as_str())
                .unwrap_or("(removed)")
        }),
        concurrency: c.concurrency,
        borrow_concurrency_from: c.borrow_concurrency_from.as_deref().map(|id| {
            file.connection_by_id(id)
                .map(|l| l.name.as_str())
                .unwrap_or("(removed)")
        }),
        effective_concurrency: file.effective_concurrency(c),
        granted_scopes: c.granted_scopes.as_deref(),
        store_name: c.store_name.as_deref(),
        store_domain: c.store_domain.as_deref(),
        user: c.user.as_ref(),
        owner: c.owner.as_ref(),
        account_uuid: c.account_uuid.as_deref(),
        authorized_at: c.authorized_at.as_deref(),
        last_verified_at: c.last_verified_at.as_deref(),
        token_store: c.token_store.map(|k| k.as_str()),
        last_error: c.last_error.as_deref(),
        created_at: &c.created_at,
        updated_at: &c.updated_at,
    }
}

pub fn run(ctx: &Context, args: ListArgs) -> Result<u8> {
    if args.json {
        let file = ctx.records.load()?;
        let views: Vec<ConnView> = file.connections.iter().map(|c| view(&file, c)).collect();
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
