//! The one way records are removed, as [`super::commit`] is the one way a
//! token is saved: the rules a removal must pass, checked before asking
//! and again in the transaction that removes; the record and its secret's
//! ledger entry go together; then the secret itself, whose failure is
//! only a warning (the record that named it is gone).

use anyhow::Result;

use super::rules::few_names;
use crate::context::Context;
use crate::error::usage;
use crate::secrets::{StoreKind, iclient_account};
use crate::store::{Connection, IClient, Tx};

/// The connection `name`, when it may be deleted.
pub fn deletable(file: &Tx, name: &str) -> Result<Connection> {
    let conn = file.require_connection(name)?.clone();
    refuse_if_lending(file, &conn)?;
    Ok(conn)
}

/// The iClient `name`, when it may be removed.
pub fn removable(file: &Tx, name: &str) -> Result<IClient> {
    let ic = file.require_iclient(name)?.clone();
    refuse_if_used(file, &ic)?;
    Ok(ic)
}

/// A deleted connection, as it was.
pub struct Removed {
    pub conn: Connection,
    /// It was the global default, which is now unset (a default naming a
    /// connection that is gone would fail every command that relies on it).
    pub was_default: bool,
}

/// Deletes the connection `name`, its token and its saved storefront
/// tokens; returns it as it was.
pub fn connection(ctx: &Context, name: &str) -> Result<Removed> {
    let (removed, was_default) = ctx.records.update(|file| {
        let conn = deletable(file, name)?;
        file.remove_connection(&conn.id)?;
        if let Some(kind) = conn.token_store {
            file.secret_retire(kind.as_str(), &conn.token_account())?;
        }
        for s in super::storefront::saved::storefront_secrets(&conn) {
            file.secret_retire(s.store.as_str(), &s.account)?;
        }
        let was_default = file.default_connection()?.as_deref() == Some(conn.id.as_str());
        if was_default {
            file.set_default_connection(None)?;
        }
        Ok((conn, was_default))
    })?;
    if let Some(kind) = removed.token_store
        && let Err(e) = forget_secret(ctx, kind, &removed.token_account())
    {
        ctx.progress.warn(&format!(
            "the record is gone but its token could not be removed from {}: {}",
            kind.describe(),
            crate::error::message(&e)
        ));
    }
    for s in super::storefront::saved::storefront_secrets(&removed) {
        super::storefront::saved::forget_secret(ctx, s.store, &s.account);
    }
    Ok(Removed {
        conn: removed,
        was_default,
    })
}

/// Removes the iClient `name` and its secret; returns it as it was.
pub fn iclient(ctx: &Context, name: &str) -> Result<IClient> {
    let ic = ctx.records.update(|file| {
        let ic = removable(file, name)?;
        file.iclients_mut()?.retain(|c| c.id != ic.id);
        file.secret_retire(ic.secret_store.as_str(), &iclient_account(&ic.id))?;
        Ok(ic)
    })?;
    // A secret that cannot be removed now is reported: a retry could no
    // longer find it by name.
    if let Err(e) = forget_secret(ctx, ic.secret_store, &iclient_account(&ic.id)) {
        ctx.progress.warn(&format!(
            "the iClient is removed but its secret (account {} under service bcconn) could not be deleted from {}: {}",
            iclient_account(&ic.id),
            ic.secret_store.describe(),
            crate::error::message(&e)
        ));
    }
    Ok(ic)
}

/// Deletes a secret whose record is gone, then its ledger entry.
fn forget_secret(ctx: &Context, kind: StoreKind, account: &str) -> Result<()> {
    ctx.secrets(kind)
        .and_then(|s| s.delete(account))
        .and_then(|()| ctx.records.ledger_forget(kind.as_str(), account))
}

/// A connection others borrow concurrency from stays until they move.
fn refuse_if_lending(file: &Tx, conn: &Connection) -> Result<()> {
    let lenders = file.borrowers_of(&conn.id)?;
    let borrowers: Vec<&str> = lenders.iter().map(|c| c.name.as_str()).collect();
    if borrowers.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "{:?} lends its concurrency to {}",
        conn.name,
        borrowers.join(", ")
    ))
    .hint("point those at another connection (`bcconn edit NAME --borrow-concurrency-from OTHER` or `--no-borrow`) first")
    .into())
}

/// An iClient in use stays until its connections move or go.
fn refuse_if_used(file: &Tx, ic: &IClient) -> Result<()> {
    let users: Vec<String> = file
        .users_of_iclient(&ic.id)?
        .iter()
        .map(|c| c.name.clone())
        .collect();
    if users.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "iClient {:?} is used by {}: {}",
        ic.name,
        if users.len() == 1 { "a connection" } else { "connections" },
        few_names(&users)
    ))
    .hint("delete those connections or move them to another iClient with `bcconn edit NAME --iclient OTHER` first")
    .into())
}
