//! `bcconn secrets move --to STORE`: every secret to one store, each
//! through the one commit ([`secret_then_record`]), so a run killed at any
//! point leaves each secret in the store its record names, with a copy in
//! the other store at worst (listed in the ledger, removed by the next
//! write), never in neither.

use anyhow::Result;
use secrecy::SecretString;

use super::commit::{Slot, secret_then_record};
use crate::context::Context;
use crate::error::usage;
use crate::secrets::{self, StoreKind};
use crate::store::{self, Tx};

/// What a move did.
#[derive(Debug, Default)]
pub struct Moved {
    /// Secrets now in the target store, by the store they came from.
    pub from: Vec<(StoreKind, u64)>,
    /// Secrets a record names but its store does not hold ("whose").
    pub missing: Vec<String>,
    /// Records changed by another run meanwhile, left for a second run.
    pub changed: Vec<String>,
}

impl Moved {
    pub fn total(&self) -> u64 {
        self.from.iter().map(|(_, n)| n).sum()
    }

    fn count(&mut self, kind: StoreKind) {
        match self.from.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.from.push((kind, 1)),
        }
    }
}

/// One secret to move: its account, where it is, and whose it is.
struct Item {
    account: String,
    from: StoreKind,
    whose: String,
    /// The record: an iClient id, or a connection id with its generation.
    record: Record,
}

enum Record {
    IClient(String),
    Connection(String, u64),
    /// A saved storefront token: its connection's id and its serial.
    Storefront(String, String),
}

/// Moves every secret whose record names another store into `to`. The
/// target is checked first (it must answer, and a sealed store needs its
/// key), so nothing moves toward a store that cannot take it.
pub fn move_all(ctx: &Context, to: StoreKind) -> Result<Moved> {
    let target = ctx.secrets(to)?;
    secrets::probe(target.as_ref())?;
    let doc = ctx.records.document()?;
    let iclients = doc
        .iclients
        .iter()
        .filter(|ic| ic.secret_store != to)
        .map(|ic| Item {
            account: secrets::iclient_account(&ic.id),
            from: ic.secret_store,
            whose: format!("the client secret of iClient {:?}", ic.name),
            record: Record::IClient(ic.id.clone()),
        });
    let tokens = doc.connections.iter().filter_map(|c| {
        let from = c.token_store.filter(|k| *k != to)?;
        Some(Item {
            account: c.token_account(),
            from,
            whose: format!("the token of {:?}", c.name),
            record: Record::Connection(c.id.clone(), c.token_generation),
        })
    });
    let storefront = doc.connections.iter().flat_map(|c| {
        c.storefront_tokens
            .iter()
            .filter(|t| t.secret_store != to)
            .map(|t| Item {
                account: t.account(&c.id),
                from: t.secret_store,
                whose: format!("the storefront token {:?} of {:?}", t.name, c.name),
                record: Record::Storefront(c.id.clone(), t.serial.clone()),
            })
    });
    let items: Vec<Item> = iclients.chain(tokens).chain(storefront).collect();
    drop(doc);
    let mut moved = Moved::default();
    for item in items {
        // Each source store is opened (and, for a keyring, unlocked) once.
        let source = ctx.secrets(item.from)?;
        let Some(secret) = source.get(&item.account)? else {
            moved.missing.push(item.whose);
            continue;
        };
        match move_one(ctx, target.as_ref(), &item, &secret) {
            Ok(true) => moved.count(item.from),
            Ok(false) => moved.changed.push(item.whose),
            Err(e) => return Err(e),
        }
    }
    Ok(moved)
}

/// Moves one secret; `false` when its record changed since it was read
/// (another run wrote it): the secret written here is taken back.
fn move_one(
    ctx: &Context,
    target: &dyn secrets::SecretStore,
    item: &Item,
    secret: &SecretString,
) -> Result<bool> {
    let to = target.kind();
    let result = secret_then_record(
        ctx,
        target,
        &item.account,
        Slot::InPlace,
        Some(item.from),
        secret,
        |tx| point_at(tx, &item.record, item.from, to),
    );
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.downcast_ref::<Changed>().is_some() => Ok(false),
        Err(e) => Err(e),
    }
}

/// The record changed between the read and the move.
#[derive(Debug, thiserror::Error)]
#[error("the record changed meanwhile")]
struct Changed;

/// Makes the record name `to`, if it still names `from` for the same
/// secret.
fn point_at(tx: &mut Tx, record: &Record, from: StoreKind, to: StoreKind) -> Result<()> {
    match record {
        Record::IClient(id) => {
            let ic = tx
                .iclients_mut()?
                .iter_mut()
                .find(|ic| ic.id == *id && ic.secret_store == from)
                .ok_or(Changed)?;
            ic.secret_store = to;
            ic.updated_at = store::now();
        }
        Record::Connection(id, generation) => {
            let c = tx
                .connection_by_id_mut(id)?
                .filter(|c| c.token_store == Some(from) && c.token_generation == *generation)
                .ok_or(Changed)?;
            c.token_store = Some(to);
            c.updated_at = store::now();
        }
        Record::Storefront(id, serial) => {
            let c = tx.connection_by_id_mut(id)?.ok_or(Changed)?;
            let t = c
                .storefront_tokens
                .iter_mut()
                .find(|t| t.serial == *serial && t.secret_store == from)
                .ok_or(Changed)?;
            t.secret_store = to;
            c.updated_at = store::now();
        }
    }
    Ok(())
}

/// `--to` as a store kind, refusing the plain-text file unless it is
/// named on purpose (it is; the caller says so) and a store that is not
/// one.
pub fn target(name: &str) -> Result<StoreKind> {
    name.parse::<StoreKind>().map_err(|_| {
        usage(format!(
            "--to {} is not a secret store",
            crate::text::outside(name, 40)
        ))
        .hint("use one of: sealed, os, keyutils, file")
        .into()
    })
}
