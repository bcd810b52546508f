//! The one way a secret and its record are saved together, and the one way
//! flag changes are applied to a connection.
//!
//! A secret is written first, then the record that points at it: a record
//! whose secret is missing would be worse than a stray secret. If the record
//! cannot be written, the secret store is put back as it was, so a failure
//! leaves no orphan secret and no half-saved record.

use anyhow::Result;
use secrecy::SecretString;

use super::rules;
use crate::bigcommerce::api::StoreInfo;
use crate::bigcommerce::oauth::BcUser;
use crate::bigcommerce::scopes;
use crate::context::Context;
use crate::error::{failure, usage};
use crate::secrets::{self, SecretStore, StoreKind};
use crate::store::{self, AuthType, Connection, State, Tx};
use crate::text::shell_word;

/// Whether a secret's account is new or is overwritten in place.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Slot {
    /// No record uses the account yet (a new iClient, a new token
    /// generation): it is listed in the secret ledger first, so a killed
    /// run's copy is found and removed later.
    Fresh,
    /// Like `Fresh`, already listed in the ledger by the caller.
    Listed,
    /// The record already uses it (a changed client secret): what it held
    /// is put back if the record cannot be written.
    InPlace,
}

/// Stores `secret` under `account` in `store`, then changes the records
/// with `write` in one transaction: a record whose secret is missing would
/// be worse than a stray secret. No database lock is held while the secret
/// store works (a keyring may wait on an unlock prompt). A [`Slot::Fresh`]
/// account is listed in the ledger first and goes live in the record's
/// transaction; if the change or its commit fails, the secret is deleted
/// (or, in place, put back as it was). `recorded` is the store the record
/// names today; once the record names `store` instead, the copy there is
/// removed.
#[allow(clippy::too_many_arguments)]
pub fn secret_then_record<T>(
    ctx: &Context,
    store: &dyn SecretStore,
    account: &str,
    slot: Slot,
    recorded: Option<StoreKind>,
    secret: &SecretString,
    write: impl FnOnce(&mut Tx) -> Result<T>,
) -> Result<T> {
    let kind = store.kind();
    // Moving to another store: the account is new there (listed like a
    // fresh one), and the copy in the old store stops being used.
    let moved_from = recorded.filter(|k| *k != kind && slot == Slot::InPlace);
    let slot = if moved_from.is_some() {
        Slot::Fresh
    } else {
        slot
    };
    if let Some(row) = store.seal(account, secret) {
        return sealed_with_record(ctx, kind, account, slot, moved_from, row?, write);
    }
    let old = match slot {
        Slot::Fresh => {
            ctx.records.ledger_begin(kind.as_str(), account)?;
            None
        }
        Slot::Listed => None,
        Slot::InPlace => secrets::snapshot(store, account, recorded)?,
    };
    let undo = || {
        if let Err(e) = secrets::restore(store, account, old.as_ref()) {
            ctx.progress.warn(&format!(
                "could not put back the secret {account} (service bcconn) in {}: {}",
                kind.describe(),
                crate::error::message(&e)
            ));
        } else if slot != Slot::InPlace {
            let _ = ctx.records.ledger_forget(kind.as_str(), account);
        }
    };
    if let Err(e) = store.set(account, secret) {
        undo();
        return Err(e);
    }
    let result = ctx.records.update(|tx| {
        let v = write(tx)?;
        if slot != Slot::InPlace {
            tx.secret_live(kind.as_str(), account)?;
        }
        if let Some(prev) = moved_from {
            tx.secret_retire(prev.as_str(), account)?;
        }
        Ok(v)
    });
    let written = match result {
        Ok(v) => v,
        Err(e) => {
            undo();
            return Err(e);
        }
    };
    if let Some(prev) = moved_from {
        // Moved to another store: do not leave the old copy behind. Best
        // effort: the record already points at the new one, and the ledger
        // lists the old copy until it is gone.
        if ctx.secrets(prev).and_then(|s| s.delete(account)).is_ok() {
            let _ = ctx.records.ledger_forget(prev.as_str(), account);
        }
    }
    Ok(written)
}

/// [`secret_then_record`] for a store in the record database: the secret
/// and the record commit in one transaction, so there is nothing to list
/// first and nothing to undo. A wrong or missing key was found while
/// sealing, before anything was written.
fn sealed_with_record<T>(
    ctx: &Context,
    kind: StoreKind,
    account: &str,
    slot: Slot,
    moved_from: Option<StoreKind>,
    row: secrets::seal::SealedRow,
    write: impl FnOnce(&mut Tx) -> Result<T>,
) -> Result<T> {
    let result = ctx.records.update(|tx| {
        let v = write(tx)?;
        tx.sealed_put(account, &row)?;
        if slot == Slot::Listed {
            tx.secret_live(kind.as_str(), account)?;
        }
        if let Some(prev) = moved_from {
            tx.secret_retire(prev.as_str(), account)?;
        }
        Ok(v)
    });
    match result {
        Ok(v) => {
            if let Some(prev) = moved_from
                && ctx.secrets(prev).and_then(|s| s.delete(account)).is_ok()
            {
                let _ = ctx.records.ledger_forget(prev.as_str(), account);
            }
            Ok(v)
        }
        Err(e) => {
            // The reserved generation's row: nothing was written under it.
            if slot == Slot::Listed {
                let _ = ctx.records.ledger_forget(kind.as_str(), account);
            }
            Err(e)
        }
    }
}

/// Removes what killed runs left, from every secret store: secrets listed
/// in the ledger as being written or removed whose process is gone (a run
/// killed between the ledger and the record, or between the record and
/// deleting the secret it stopped using). Best effort; returns how many
/// were removed.
pub fn tidy_secrets(ctx: &Context) -> usize {
    if ctx.env.home.is_absolute() {
        secrets::FileStore::new(&ctx.env.home).remove_stale_temps();
    }
    let Ok(stale) = ctx.records.abandoned_secrets() else {
        return 0;
    };
    let mut removed = 0;
    for e in stale {
        let Ok(kind) = e.store.parse::<StoreKind>() else {
            continue;
        };
        // Taken over first: another cleanup that read the same row, or a
        // run that listed the account again since, keeps it otherwise.
        let Ok(Some(mine)) = ctx.records.ledger_claim(&e) else {
            continue;
        };
        let gone = ctx.secrets(kind).and_then(|s| s.delete(&e.account));
        if gone.is_ok() && ctx.records.ledger_release(&mine).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// A verified token and what BigCommerce said with it.
pub struct Grant {
    pub token: SecretString,
    /// `None` for token-type connections (an API account's scopes are not told).
    pub granted: Option<Vec<String>>,
    pub user: Option<BcUser>,
    pub owner: Option<BcUser>,
    pub account_uuid: Option<String>,
    pub store: Option<StoreInfo>,
    /// The token was checked against its store. `false`: a transient
    /// failure (429s, 5xx, network) left it unchecked; it is saved
    /// `authorized` without `last_verified_at`, and `status` checks it.
    pub verified: bool,
}

/// Which connection a token is for.
pub enum Target {
    /// A saved connection, with changes that take effect with the new
    /// token; `client_id` is the app the token came from (`None` for a
    /// token-type connection).
    Saved {
        conn: Connection,
        changes: Changes,
        client_id: Option<String>,
    },
    /// A connection saved together with its first token.
    New(Connection),
}

/// Saves a verified token and the record that points at it, in one
/// transaction. The token goes under the connection's next generation, so
/// the one in use is never overwritten; the previous generation's secret is
/// removed once the record names the new one. Returns the connection as
/// saved.
pub fn save_token(ctx: &Context, target: Target, grant: Grant) -> Result<Connection> {
    // One writer per app and store, to the end.
    ctx.records.confirm_authorize()?;
    let store = ctx.default_secrets()?;
    let kind = store.kind();
    let id = match &target {
        Target::Saved { conn, .. } => conn.id.clone(),
        Target::New(conn) => conn.id.clone(),
    };
    let generation = ctx.records.reserve_token_generation(kind.as_str(), &id)?;
    let account = secrets::token_account(&id, generation);
    let saved = secret_then_record(
        ctx,
        store.as_ref(),
        &account,
        Slot::Listed,
        None,
        &grant.token,
        |file| {
            let id = match target {
                Target::New(conn) => push_new(file, conn)?.id.clone(),
                Target::Saved {
                    conn,
                    changes,
                    client_id,
                } => {
                    // Its warnings are about the old token, which this replaces.
                    changes.apply(file, &conn.id)?;
                    // The flow ran minutes ago: the token is for the app it
                    // ran with, and the record must still say that app.
                    let now = file
                        .connection_by_id(&conn.id)?
                        .ok_or_else(|| failure("the connection was deleted while it was being authorized; the new token was dropped"))?;
                    if file.client_id_of(now)? != client_id.as_deref() {
                        return Err(failure(format!(
                            "{:?} was moved to another app while it was being authorized; the new token was dropped",
                            now.name
                        ))
                        .hint(format!("run `bcconn authorize {}` again", shell_word(&now.name)))
                        .into());
                    }
                    conn.id
                }
            };
            let superseded = supersede_siblings(file, &id)?;
            // The token the record names now (read in this transaction: a
            // run that committed meanwhile may have changed it) stops
            // being used; listed, so a kill before its deletion is found.
            let c = file.connection_by_id(&id)?.expect("saved above");
            let old = c
                .token_store
                .map(|k| (k, c.token_account()))
                .filter(|(_, a)| a != &account);
            if let Some((old_kind, old_account)) = &old {
                file.secret_retire(old_kind.as_str(), old_account)?;
            }
            let c = file.connection_by_id_mut(&id)?.expect("saved above");
            record_grant(c, &grant, kind);
            c.token_generation = generation;
            Ok((c.clone(), old, superseded))
        },
    )?;
    let (saved, old, superseded) = saved;
    // Their tokens ended when this one was issued; the person learns it
    // here, not at the sibling's next failing call.
    match superseded.len() {
        0 => {}
        1 => ctx.progress.warn(&format!(
            "{} is now superseded: its token ended when {} got this one",
            rules::shown(&superseded[0]),
            rules::shown(&saved.name)
        )),
        n => ctx.progress.warn(&format!(
            "{n} connections ({}) are now superseded: their tokens ended when {} got this one",
            rules::few_names(&superseded),
            rules::shown(&saved.name)
        )),
    }
    // The previous generation is no longer named by any record.
    if let Some((old_kind, old_account)) = old {
        let gone = ctx.secrets(old_kind).and_then(|s| s.delete(&old_account));
        if gone.is_ok() {
            let _ = ctx.records.ledger_forget(old_kind.as_str(), &old_account);
        }
    }
    Ok(saved)
}

/// BigCommerce keeps one token per app and store: the new token of `id`
/// ended its authorized siblings' tokens, and their records say so.
/// Returns their names.
fn supersede_siblings(file: &mut Tx, id: &str) -> Result<Vec<String>> {
    let Some(conn) = file.connection_by_id(id)? else {
        return Ok(Vec::new());
    };
    let (ids, names): (Vec<String>, Vec<String>) = file
        .siblings_of(conn)?
        .iter()
        .filter(|s| s.state == State::Authorized)
        .map(|s| (s.id.clone(), s.name.clone()))
        .unzip();
    let now = store::now();
    for sid in ids {
        let Some(s) = file.connection_by_id_mut(&sid)? else {
            continue;
        };
        s.state = State::Superseded;
        s.superseded_by = Some(id.to_string());
        s.last_error =
            Some("a sibling connection got a newer token for the same app and store".into());
        s.last_error_at = Some(now.clone());
        s.updated_at = now.clone();
    }
    Ok(names)
}

/// Adds a new connection, checked again under the lock: another run may
/// have taken its name or deleted its lender since the plan was checked.
pub fn push_new(file: &mut Tx, conn: Connection) -> Result<&mut Connection> {
    file.check_connection_name_free(&conn.name, None)?;
    if let Some(ic) = &conn.iclient_id
        && file.iclient_by_id(ic)?.is_none()
    {
        return Err(
            usage("the iClient this connection uses was removed meanwhile")
                .hint("add it again with `bcconn iclient add`, or pick another with --iclient")
                .into(),
        );
    }
    if let Some(lender) = &conn.borrow_concurrency_from
        && file.connection_by_id(lender)?.is_none()
    {
        return Err(
            usage("the connection to borrow concurrency from was deleted meanwhile").into(),
        );
    }
    file.push_connection(conn)
}

fn record_grant(c: &mut Connection, grant: &Grant, kind: StoreKind) {
    let now = store::now();
    c.state = State::Authorized;
    if grant.granted.is_some() {
        c.granted_scopes = grant.granted.clone();
        c.user = grant.user.clone();
        c.owner = grant.owner.clone();
        c.account_uuid = grant.account_uuid.clone();
    }
    if let Some(info) = &grant.store {
        c.store_name = info.name.clone();
        c.store_domain = info.domain.clone();
    }
    c.authorized_at = Some(now.clone());
    c.last_verified_at = grant.verified.then(|| now.clone());
    c.token_store = Some(kind);
    c.last_error = None;
    c.last_error_at = None;
    c.superseded_by = None;
    c.updated_at = now;
}

/// How a change sets the borrowing of concurrency.
#[derive(Debug, Clone, PartialEq)]
pub enum Borrow {
    /// Borrow from the connection with this name.
    From(String),
    /// Use the connection's own level again.
    Stop,
}

/// Changes to a saved connection's settings (`edit`, or `authorize` with flags).
#[derive(Debug, Default, Clone)]
pub struct Changes {
    pub scopes: Option<Vec<String>>,
    /// The iClient's name.
    pub iclient: Option<String>,
    pub concurrency: Option<u8>,
    pub borrow: Option<Borrow>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.scopes.is_none()
            && self.iclient.is_none()
            && self.concurrency.is_none()
            && self.borrow.is_none()
    }

    /// Checks the changes against the records without applying them, so a
    /// bad one fails before a browser opens.
    pub fn check(&self, file: &Tx, id: &str) -> Result<()> {
        self.plan(file, id).map(|_| ())
    }

    /// What the changes resolve to against the records as they are now.
    fn plan(&self, file: &Tx, id: &str) -> Result<Planned> {
        let current = file
            .connection_by_id(id)?
            .ok_or_else(|| failure("the connection was deleted meanwhile"))?
            .clone();
        let mut warnings = Vec::new();
        let iclient_id = match &self.iclient {
            Some(name) => {
                if current.auth_type == AuthType::Token {
                    return Err(usage("API-account token connections do not use an iClient").into());
                }
                Some(file.require_iclient(name)?.id.clone())
            }
            None => None,
        };
        let lender = match &self.borrow {
            Some(Borrow::From(name)) => {
                let lender = file.check_borrow(Some(id), &current.name, name)?;
                warnings.extend(file.lender_store_warning(&current.store_hash, &lender)?);
                Some(Some(lender))
            }
            Some(Borrow::Stop) => Some(None),
            None => None,
        };
        let old_client = file.client_id_of(&current)?.map(str::to_string);
        let new_client = match iclient_id.as_deref() {
            Some(i) => file.iclient_by_id(i)?.map(|ic| ic.client_id.clone()),
            None => None,
        };
        Ok(Planned {
            warnings,
            iclient_id,
            lender,
            app_changed: new_client != old_client,
        })
    }

    /// Applies the changes to the connection with this id, checking each
    /// against the records as they are now. Returns warnings to show.
    pub fn apply(&self, file: &mut Tx, id: &str) -> Result<Vec<String>> {
        let Planned {
            mut warnings,
            iclient_id,
            lender,
            app_changed,
        } = self.plan(file, id)?;
        let c = file.connection_by_id_mut(id)?.expect("found above");
        if let Some(s) = &self.scopes {
            if c.state == State::Authorized {
                let missing = scopes::missing(s, c.granted_scopes.as_deref().unwrap_or(&[]));
                if !missing.is_empty() {
                    warnings.push(format!(
                        "the current token lacks {}; run `bcconn authorize {}` to get {}",
                        rules::few_scopes(&missing),
                        shell_word(&c.name),
                        rules::them(missing.len())
                    ));
                }
            }
            c.scopes = s.clone();
        }
        if let Some(i) = iclient_id {
            c.iclient_id = Some(i);
            // A token came from the old app: through another app (another
            // client id) it must be authorized again before it counts.
            if app_changed && c.state != State::Pending && c.state != State::Failed {
                warnings.push(format!(
                    "{:?} now uses another iClient; its token came from the old app, so it is pending until you run `bcconn authorize {}`",
                    c.name,
                    shell_word(&c.name)
                ));
                c.state = State::Pending;
                c.superseded_by = None;
                c.last_error = None;
                c.last_error_at = None;
            }
        }
        if let Some(level) = self.concurrency {
            c.concurrency = level;
        }
        if let Some(lender) = lender {
            c.borrow_concurrency_from = lender;
        }
        c.updated_at = store::now();
        Ok(warnings)
    }
}

/// What [`Changes`] would do to a saved connection, said before the flow
/// runs: a script that matched an existing connection must not change it
/// silently.
#[derive(Debug, Default, PartialEq)]
pub struct Effect {
    /// One phrase per setting that changes (`scopes 5 → 1, removed …`).
    pub parts: Vec<String>,
    /// Scopes asked for today that the new list no longer covers.
    pub dropped: Vec<String>,
}

impl Effect {
    /// `scopes 5 → 1, removed a, b and c; concurrency 1 → 3`.
    pub fn line(&self) -> String {
        self.parts.join("; ")
    }
}

impl Changes {
    /// What applying these changes to the connection `id` would change.
    pub fn effect(&self, file: &Tx, id: &str) -> Result<Effect> {
        let Planned {
            iclient_id, lender, ..
        } = self.plan(file, id)?;
        let c = file
            .connection_by_id(id)?
            .ok_or_else(|| failure("the connection was deleted meanwhile"))?;
        let mut effect = Effect::default();
        if let Some(new) = &self.scopes {
            // A modify scope covers its read-only twin: only what the new
            // list no longer covers is dropped.
            let dropped = scopes::missing(&c.scopes, new);
            let added = scopes::missing(new, &c.scopes);
            if !dropped.is_empty() || !added.is_empty() {
                let mut part = format!("scopes {} → {}", c.scopes.len(), new.len());
                if !dropped.is_empty() {
                    part.push_str(&format!(", removed {}", rules::few_scopes(&dropped)));
                }
                if !added.is_empty() {
                    part.push_str(&format!(", added {}", rules::few_scopes(&added)));
                }
                effect.parts.push(part);
            }
            effect.dropped = dropped;
        }
        if let Some(new) = iclient_id.filter(|i| c.iclient_id.as_deref() != Some(i.as_str())) {
            let name = |id: Option<&str>| -> Result<String> {
                Ok(match id {
                    Some(id) => file
                        .iclient_by_id(id)?
                        .map_or_else(|| "(none)".to_string(), |ic| rules::shown(&ic.name)),
                    None => "(none)".to_string(),
                })
            };
            effect.parts.push(format!(
                "iClient {} → {}",
                name(c.iclient_id.as_deref())?,
                name(Some(&new))?
            ));
        }
        if let Some(level) = self.concurrency.filter(|l| *l != c.concurrency) {
            effect
                .parts
                .push(format!("concurrency {} → {level}", c.concurrency));
        }
        match lender {
            Some(Some(l)) if c.borrow_concurrency_from.as_deref() != Some(l.as_str()) => {
                let name = file
                    .connection_by_id(&l)?
                    .map_or_else(|| l.clone(), |x| rules::shown(&x.name));
                effect
                    .parts
                    .push(format!("borrows concurrency from {name}"));
            }
            Some(None) if c.borrow_concurrency_from.is_some() => {
                effect.parts.push("stops borrowing concurrency".to_string())
            }
            _ => {}
        }
        Ok(effect)
    }
}

/// [`Changes`] resolved against the records.
struct Planned {
    warnings: Vec<String>,
    iclient_id: Option<String>,
    lender: Option<Option<String>>,
    app_changed: bool,
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::connect::testing::{self, TestCtx};
    use crate::secrets::MemoryStore;

    fn grant(token: &str) -> Grant {
        Grant {
            token: SecretString::from(token.to_string()),
            granted: Some(vec!["store_v2_orders".into()]),
            user: None,
            owner: None,
            account_uuid: None,
            store: None,
            verified: true,
        }
    }

    fn pending(name: &str) -> Connection {
        Connection {
            scopes: vec!["store_v2_orders".into()],
            ..Connection::pending(name, AuthType::Oauth2, "abc123".parse().unwrap())
        }
    }

    /// The token of connection `id`, whatever its generation (a run keeps
    /// one: the previous generation is removed once the new one is live).
    fn token_of(store: &MemoryStore, id: &str) -> Option<String> {
        let prefix = format!("connection/{id}");
        let accounts: Vec<String> = store
            .accounts()
            .into_iter()
            .filter(|a| a == &prefix || a.starts_with(&format!("{prefix}/")))
            .collect();
        assert!(accounts.len() <= 1, "{accounts:?}");
        store
            .get(accounts.first()?)
            .unwrap()
            .map(|t| t.expose_secret().to_string())
    }

    /// From now on the record file's write fails after the change was
    /// accepted (the secret is stored by then). Returns a function that
    /// undoes it.
    fn break_records(t: &TestCtx) -> impl FnOnce() + '_ {
        t.ctx.records.fail_writes(true);
        move || t.ctx.records.fail_writes(false)
    }

    /// Nothing was saved.
    fn no_connections(t: &TestCtx) -> bool {
        let tx = t.ctx.records.load().unwrap();
        tx.connections().unwrap().is_empty()
    }

    fn saved(t: &TestCtx, conn: Connection) -> Connection {
        t.ctx
            .records
            .update(|f| {
                f.push_connection(conn.clone())?;
                Ok(())
            })
            .unwrap();
        conn
    }

    #[test]
    fn a_new_connection_is_saved_with_its_token() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let conn = save_token(&t.ctx, Target::New(pending("shop")), grant("tok-1")).unwrap();
        assert_eq!(conn.state, State::Authorized);
        assert_eq!(conn.token_store, Some(StoreKind::Os));
        assert_eq!(token_of(&t.store, &conn.id).as_deref(), Some("tok-1"));
        let file = t.ctx.records.load().unwrap();
        assert_eq!(file.connections().unwrap()[0].state, State::Authorized);
    }

    #[test]
    fn a_failed_record_write_takes_a_new_token_back() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let conn = pending("shop");
        let id = conn.id.clone();
        let fix = break_records(&t);
        let err = save_token(&t.ctx, Target::New(conn), grant("tok-1")).unwrap_err();
        fix();
        assert!(format!("{err:#}").contains("told to fail"), "{err:#}");
        // No orphan secret, no record.
        assert!(t.store.is_empty(), "{:?}", t.store.accounts());
        assert!(token_of(&t.store, &id).is_none());
        assert!(no_connections(&t));
    }

    #[test]
    fn a_failed_record_write_puts_the_old_token_back() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let conn = save_token(&t.ctx, Target::New(pending("shop")), grant("old")).unwrap();
        let before = serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap();
        let fix = break_records(&t);
        let changes = Changes {
            concurrency: Some(5),
            ..Changes::default()
        };
        let target = Target::Saved {
            conn: conn.clone(),
            changes,
            client_id: None,
        };
        assert!(save_token(&t.ctx, target, grant("new")).is_err());
        fix();
        assert_eq!(token_of(&t.store, &conn.id).as_deref(), Some("old"));
        assert_eq!(
            serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap(),
            before
        );
    }

    #[test]
    fn a_refused_change_under_the_lock_puts_the_old_token_back() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let conn = save_token(&t.ctx, Target::New(pending("shop")), grant("old")).unwrap();
        let before = serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap();
        // The lender named in the change does not exist: the record change
        // fails after the new token was stored.
        let target = Target::Saved {
            conn: conn.clone(),
            changes: Changes {
                borrow: Some(Borrow::From("nobody".into())),
                ..Changes::default()
            },
            client_id: None,
        };
        let err = save_token(&t.ctx, target, grant("new")).unwrap_err();
        assert!(err.to_string().contains("nobody"), "{err}");
        assert_eq!(token_of(&t.store, &conn.id).as_deref(), Some("old"));
        assert_eq!(
            serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap(),
            before
        );
    }

    #[test]
    fn a_token_from_an_app_the_record_no_longer_names_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let conn = save_token(&t.ctx, Target::New(pending("shop")), grant("old")).unwrap();
        let before = serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap();
        // The flow ran with app "cid-old"; meanwhile the record lost it.
        let target = Target::Saved {
            conn: conn.clone(),
            changes: Changes::default(),
            client_id: Some("cid-old".into()),
        };
        let err = save_token(&t.ctx, target, grant("new")).unwrap_err();
        assert!(err.to_string().contains("moved to another app"), "{err}");
        assert_eq!(token_of(&t.store, &conn.id).as_deref(), Some("old"));
        assert_eq!(
            serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap(),
            before
        );
    }

    #[test]
    fn a_store_that_fails_at_set_leaves_records_alone() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let conn = save_token(&t.ctx, Target::New(pending("shop")), grant("old")).unwrap();
        let before = serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap();
        t.store.fail_set(true);
        let target = Target::Saved {
            conn: conn.clone(),
            changes: Changes::default(),
            client_id: None,
        };
        let err = save_token(&t.ctx, target, grant("new")).unwrap_err();
        assert!(err.to_string().contains("fail at set"), "{err}");
        assert!(save_token(&t.ctx, Target::New(pending("other")), grant("x")).is_err());
        t.store.fail_set(false);
        assert_eq!(token_of(&t.store, &conn.id).as_deref(), Some("old"));
        assert_eq!(t.store.len(), 1);
        assert_eq!(
            serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap(),
            before
        );
    }

    #[test]
    fn a_rollback_that_cannot_delete_says_so_and_reports_the_first_error() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let conn = pending("shop");
        let fix = break_records(&t);
        t.store.fail_delete(true);
        let err = save_token(&t.ctx, Target::New(conn.clone()), grant("tok")).unwrap_err();
        fix();
        t.store.fail_delete(false);
        // The error is the record's; the warning names the secret left behind.
        assert!(format!("{err:#}").contains("told to fail"), "{err:#}");
        let said = t.progress.text();
        assert!(
            said.contains(&format!(
                "could not put back the secret connection/{}",
                conn.id
            )),
            "{said}"
        );
        assert!(no_connections(&t));
    }

    #[test]
    fn a_new_iclient_whose_record_fails_leaves_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let fix = break_records(&t);
        let new = crate::connect::iclients::NewIClient {
            name: "app".into(),
            client_id: "cid".into(),
            callback_url: "http://localhost:8765/auth".into(),
            secret: SecretString::from("s3cret".to_string()),
        };
        let err = crate::connect::iclients::save_new(&t.ctx, new).unwrap_err();
        fix();
        assert!(format!("{err:#}").contains("told to fail"), "{err:#}");
        assert!(t.store.is_empty(), "{:?}", t.store.accounts());
    }

    #[test]
    fn changes_are_applied_and_checked_in_one_place() {
        let dir = tempfile::tempdir().unwrap();
        let t = testing::ctx(dir.path(), &[]);
        let lender = saved(
            &t,
            Connection {
                concurrency: 7,
                ..pending("lender")
            },
        );
        let other_store = saved(
            &t,
            Connection {
                store_hash: "zzz999".parse().unwrap(),
                ..pending("far")
            },
        );
        let me = saved(&t, pending("me"));
        t.ctx
            .records
            .update(|file| {
                let warnings = Changes {
                    borrow: Some(Borrow::From("LENDER".into())),
                    concurrency: Some(3),
                    ..Changes::default()
                }
                .apply(file, &me.id)?;
                assert!(warnings.is_empty(), "{warnings:?}");
                let c = file.connection_by_id(&me.id)?.unwrap();
                assert_eq!(
                    c.borrow_concurrency_from.as_deref(),
                    Some(lender.id.as_str())
                );
                assert_eq!(c.concurrency, 3);
                assert_eq!(file.effective_concurrency(c)?, 7);
                // Another store's lender: allowed, with a warning.
                let warnings = Changes {
                    borrow: Some(Borrow::From("far".into())),
                    ..Changes::default()
                }
                .apply(file, &me.id)?;
                assert!(warnings[0].contains("zzz999"), "{warnings:?}");
                assert_eq!(
                    file.connection_by_id(&me.id)?
                        .unwrap()
                        .borrow_concurrency_from
                        .as_deref(),
                    Some(other_store.id.as_str())
                );
                // A cycle is refused by check() without changing anything.
                let before = serde_json::to_string(&file.connections()?)?;
                let cycle = Changes {
                    borrow: Some(Borrow::From("me".into())),
                    ..Changes::default()
                };
                assert!(cycle.check(file, &other_store.id).is_err());
                assert_eq!(before, serde_json::to_string(&file.connections()?)?);
                Changes {
                    borrow: Some(Borrow::Stop),
                    ..Changes::default()
                }
                .apply(file, &me.id)?;
                assert!(
                    file.connection_by_id(&me.id)?
                        .unwrap()
                        .borrow_concurrency_from
                        .is_none()
                );
                Ok(())
            })
            .unwrap();
    }
}
