//! A connection as a person sees it: ids resolved to names, the level it
//! really runs with, the API base URL. `list --json` and `show --json` print
//! this shape (every key always present, `null` when unknown, so scripts
//! see the same keys for every entry), and `show`'s rows are read from it,
//! so a new field is added here and in the schema, nowhere else.

use serde::Serialize;

use anyhow::Result;

use super::{BcUser, Connection, Tx};

/// A connection as printed (`list --json`, `show --json`): ids resolved to names.
#[derive(Serialize)]
pub struct ConnView<'a> {
    pub name: &'a str,
    pub id: &'a str,
    pub auth_type: &'a str,
    pub store_hash: &'a str,
    /// The store's API base (`API/stores/H`), for scripts.
    pub api_url: String,
    pub state: &'a str,
    pub scopes: &'a [String],
    pub iclient: Option<String>,
    pub concurrency: u8,
    pub borrow_concurrency_from: Option<String>,
    pub effective_concurrency: u8,
    pub granted_scopes: Option<&'a [String]>,
    pub store_name: Option<&'a str>,
    pub store_domain: Option<&'a str>,
    pub user: Option<&'a BcUser>,
    pub owner: Option<&'a BcUser>,
    pub account_uuid: Option<&'a str>,
    pub authorized_at: Option<&'a str>,
    pub last_verified_at: Option<&'a str>,
    pub token_store: Option<&'a str>,
    pub last_error: Option<&'a str>,
    pub last_error_at: Option<&'a str>,
    /// The sibling whose newer token ended this one's (state `superseded`).
    pub superseded_by: Option<String>,
    /// Saved storefront tokens: what each is for, never the token.
    pub storefront_tokens: Vec<StorefrontView<'a>>,
    pub created_at: &'a str,
    pub updated_at: &'a str,
}

/// A saved storefront token as printed (no secret: the record holds none).
#[derive(Serialize)]
pub struct StorefrontView<'a> {
    pub name: &'a str,
    pub kind: &'static str,
    pub channels: &'a [u64],
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub created_at: &'a str,
    pub secret_store: &'static str,
    pub scopes: &'a [String],
    pub cors_origins: &'a [String],
}

impl<'a> StorefrontView<'a> {
    pub fn of(t: &'a super::StorefrontToken) -> StorefrontView<'a> {
        StorefrontView {
            name: &t.name,
            kind: t.kind.as_str(),
            channels: &t.channels,
            expires_at: super::storefront::rfc3339(t.expires_at),
            created_at: &t.created_at,
            secret_store: t.secret_store.as_str(),
            scopes: &t.scopes,
            cors_origins: &t.cors_origins,
        }
    }
}

/// One connection's view, with the few lookups it needs made through the
/// transaction (to view many, look names up once and use [`view_with`]).
/// `api_base` is the API host (`BCCONN_API_URL`), without a trailing slash.
pub fn view<'a>(tx: &Tx, c: &'a Connection, api_base: &str) -> Result<ConnView<'a>> {
    let name_of = |id: &str, missing: &str| -> Result<String> {
        Ok(tx
            .connection_by_id(id)?
            .map(|l| l.name.clone())
            .unwrap_or_else(|| missing.to_string()))
    };
    let iclient = match c.iclient_id.as_deref() {
        Some(id) => Some(
            tx.iclient_by_id(id)?
                .map(|i| i.name.clone())
                .unwrap_or_else(|| "(removed)".into()),
        ),
        None => None,
    };
    let lender = match c.borrow_concurrency_from.as_deref() {
        Some(id) => Some(name_of(id, "(removed)")?),
        None => None,
    };
    let superseded_by = match c.superseded_by.as_deref() {
        Some(id) => Some(name_of(id, "(deleted)")?),
        None => None,
    };
    Ok(view_with(
        c,
        api_base,
        iclient,
        lender,
        tx.effective_concurrency(c)?,
        superseded_by,
    ))
}

/// A connection's view from lookups already made (`list --json` makes them
/// once for every row).
pub fn view_with<'a>(
    c: &'a Connection,
    api_base: &str,
    iclient: Option<String>,
    lender: Option<String>,
    effective: u8,
    superseded_by: Option<String>,
) -> ConnView<'a> {
    ConnView {
        name: &c.name,
        id: &c.id,
        auth_type: c.auth_type.as_str(),
        store_hash: c.store_hash.as_str(),
        api_url: format!("{api_base}/stores/{}", c.store_hash),
        state: c.state.as_str(),
        scopes: &c.scopes,
        iclient,
        concurrency: c.concurrency,
        borrow_concurrency_from: lender,
        effective_concurrency: effective,
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
        last_error_at: c.last_error_at.as_deref(),
        superseded_by,
        storefront_tokens: c.storefront_tokens.iter().map(StorefrontView::of).collect(),
        created_at: &c.created_at,
        updated_at: &c.updated_at,
    }
}
