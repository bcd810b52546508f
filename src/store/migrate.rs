//! Documents written by older versions of bcconn, and the move of the old
//! record file into the database.
//!
//! Each step takes a document from version N to N+1 as JSON, so a step only
//! knows two neighbouring shapes. The record file of versions before the
//! database (`bcconn.json`) is imported once, in one transaction, kept as
//! `bcconn.json.imported`, and replaced by a stub that older versions refuse.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{
    AuditEntry, BackendTx, Connection, Document, Filter, Notice, OLD_FILE, Records, State,
    StoreError, VERSION, name_key,
};

/// One step: the file as version N (the index + 1) becomes version N+1.
type Step = fn(&mut Value);

/// `STEPS[n - 1]` takes a version-`n` file to version `n + 1`.
const STEPS: [Step; (VERSION - 1) as usize] = [v1_to_v2];

/// Version 2 added the states `invalid` and `superseded`. A version-1 file
/// holds neither, so its data is already valid version 2; the version number
/// is what changes (so that version-1 builds refuse files that may hold the
/// new states, with "written by a newer bcconn").
fn v1_to_v2(_file: &mut Value) {}

/// Migrates a file of version `from` (1 <= from < VERSION) to the current shape.
pub fn to_current(bytes: &[u8], from: u64) -> Result<Document, serde_json::Error> {
    let mut value: Value = serde_json::from_slice(bytes)?;
    // Steps index into the file as an object; anything else would panic
    // there (found by fuzzing).
    if !value.is_object() {
        return Err(serde::de::Error::custom("the file is not a JSON object"));
    }
    for step in &STEPS[(from - 1) as usize..] {
        step(&mut value);
    }
    value["version"] = Value::from(VERSION);
    serde_json::from_value(value)
}

/// The stub left where `bcconn.json` was: a format version older builds
/// do not read, so they say "written by a newer bcconn" instead of showing
/// no connections.
pub const STUB: &str = "{\n  \"version\": 3,\n  \"iclients\": [],\n  \"connections\": [],\n  \"moved_to\": \"bcconn.db\"\n}\n";

/// FNV-1a over the bytes: marks which old file an import came from, so a
/// run killed after the import's commit finishes the move without
/// importing twice.
fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{}:{h:016x}", bytes.len())
}

/// Imports `bcconn.json` into the database when it is there and is not the
/// stub. The import is one transaction; the file is then kept as
/// `bcconn.json.imported` and the stub written in its place.
pub fn import_old_file(records: &Records) -> Result<(), StoreError> {
    let old = records.dir().join(OLD_FILE);
    if !is_old_file(&old)? {
        return Ok(());
    }
    // The lock older versions take for their writes: they wait while the
    // file moves, and so does another run of this version.
    let sink = records.sink.borrow().clone();
    let say = |text: &str| sink(super::Notice::Said(text.to_string()));
    let _lock = crate::fsutil::lock(
        &records.dir().join(OLD_LOCK),
        &crate::fsutil::Waiting {
            clock: records.waits.clock.as_ref(),
            limit: records.waits.limit,
            say: &say,
        },
    )
    .map_err(|e| StoreError::Import {
        path: old.clone(),
        detail: format!("{e:#}"),
    })?;
    // Again under the lock: another run may have moved it meanwhile.
    let Some(bytes) = read_old(&old)? else {
        return Ok(());
    };
    if is_stub(&bytes) {
        return Ok(());
    }
    let mark = fingerprint(&bytes);
    let parsed = super::parse(&bytes, &old);
    if let Err(e) = parsed {
        if !records.path().exists() {
            // Refused before a database exists: nothing is made from it.
            return Err(e);
        }
        // Checked below: with records in the database it is only ignored.
        let backend = records
            .begin(true)?
            .expect("a write transaction has a database");
        let (_, existing) = backend.count()?;
        drop(backend);
        if existing > 0 {
            (records.sink.borrow())(Notice::OldFileIgnored { path: old });
            return Ok(());
        }
        return Err(e);
    }
    let backend = records
        .begin(true)?
        .expect("a write transaction has a database");
    let done = backend.local("imported_from")?;
    let mut counts = (0, 0);
    if done.as_deref() != Some(mark.as_str()) {
        let (_, existing) = backend.count()?;
        if existing > 0 || done.is_some() {
            // The database is what bcconn uses; this file came back (a
            // restore, a sync, an older bcconn). Never a reason to stop.
            drop(backend);
            (records.sink.borrow())(Notice::OldFileIgnored { path: old });
            return Ok(());
        }
        let doc = parsed?;
        counts = (doc.iclients.len(), doc.connections.len());
        let default = doc.default_connection.clone();
        apply(
            backend.as_ref(),
            doc,
            Mode::Exact,
            &old,
            &records.verb.borrow(),
        )?;
        backend.set_local("default_connection", default.as_deref())?;
        backend.set_local("imported_from", Some(&mark))?;
        backend.commit()?;
    } else {
        // Imported by a run killed before it moved the file: finish that.
        drop(backend);
        if let Ok(doc) = &parsed {
            counts = (doc.iclients.len(), doc.connections.len());
        }
    }
    // A second name for the file, then the stub in its place: there is
    // never a moment without one or the other.
    let kept = free_name(&old);
    let moved = std::fs::hard_link(&old, &kept)
        .or_else(|_| std::fs::copy(&old, &kept).map(drop))
        .and_then(|()| {
            crate::fsutil::write_atomic(&old, STUB.as_bytes()).map_err(std::io::Error::other)
        });
    if let Err(e) = moved {
        return Err(StoreError::Import {
            path: old,
            detail: format!("imported, but the old file could not be moved aside: {e}"),
        });
    }
    (records.sink.borrow())(Notice::Imported {
        iclients: counts.0,
        connections: counts.1,
        kept_as: kept,
    });
    Ok(())
}

/// The records lock of versions before the database.
pub const OLD_LOCK: &str = "bcconn.lock";

/// Whether `path` is an old record file still to import (not the stub).
fn is_old_file(path: &Path) -> Result<bool, StoreError> {
    Ok(read_old(path)?.is_some_and(|b| !is_stub(&b)))
}

fn read_old(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    crate::fsutil::read_regular(path).map_err(|e| StoreError::Import {
        path: path.to_path_buf(),
        detail: format!("{e:#}"),
    })
}

fn is_stub(bytes: &[u8]) -> bool {
    bytes == STUB.as_bytes()
        || bytes.len() < 4096
            && serde_json::from_slice::<Value>(bytes)
                .ok()
                .is_some_and(|v| v.get("moved_to").is_some())
}

/// `bcconn.json.imported`, or `.imported.2`, ... when that exists.
fn free_name(old: &Path) -> PathBuf {
    let base = format!("{}.imported", old.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 2;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    candidate
}

/// How a document's records are taken in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// As they are (the old record file: its secrets are in place).
    Exact,
    /// Without secrets: connections come in `pending`; a name taken
    /// already is refused, or its record replaced when `replace`.
    Fresh { replace: bool },
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub iclients_added: Vec<String>,
    pub iclients_replaced: Vec<String>,
    pub connections_added: Vec<String>,
    pub connections_replaced: Vec<String>,
    /// Secrets the replaced connections used: (store, account), listed in
    /// the ledger, for the caller to delete.
    pub retired: Vec<(crate::secrets::StoreKind, String)>,
}

/// Takes in a document's records in the caller's transaction. Ids are
/// kept; one that another record holds is replaced by a fresh one (and
/// references to it follow). A name clash is refused unless replacing, and
/// a replaced record keeps its id, so what refers to it still does. Each
/// record taken in writes an `imported` audit entry naming `verb`.
pub fn apply(
    b: &dyn BackendTx,
    doc: Document,
    mode: Mode,
    source: &Path,
    verb: &str,
) -> Result<Report, StoreError> {
    let imported = |kind: &str, id: &str, name: &str| {
        b.audit_put(&AuditEntry::now(
            verb,
            kind,
            (id, name),
            "imported",
            Vec::new(),
        ))
    };
    let replace = matches!(mode, Mode::Fresh { replace: true });
    let mut report = Report::default();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut seen_names: HashMap<String, String> = HashMap::new();
    // Two records of one kind with one name inside the document itself.
    let mut once = |kind: &str, name: &str| -> Result<(), StoreError> {
        if let Some(first) =
            seen_names.insert(format!("{kind}/{}", name_key(name)), name.to_string())
        {
            return Err(StoreError::Import {
                path: source.to_path_buf(),
                detail: format!(
                    "it holds two {kind}s named {first:?} and {name:?} (names are unique ignoring case)"
                ),
            });
        }
        Ok(())
    };
    // Two records of one kind with one id: a copied block. Which one the
    // references meant cannot be known, so the document is refused.
    for (kind, list) in [
        (
            "iClient",
            doc.iclients.iter().map(|i| &i.id).collect::<Vec<_>>(),
        ),
        (
            "connection",
            doc.connections.iter().map(|c| &c.id).collect(),
        ),
    ] {
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = list.into_iter().find(|id| !seen.insert(*id)) {
            return Err(StoreError::Import {
                path: source.to_path_buf(),
                detail: format!(
                    "it holds two {kind}s with the id {:?} (a copied record?); give one a new id or remove it",
                    crate::text::outside(dup, 40)
                ),
            });
        }
    }
    let existing_iclients = b.iclients(Filter::All)?;
    for mut ic in doc.iclients {
        once("iClient", &ic.name)?;
        let key = name_key(&ic.name);
        let clash = existing_iclients.iter().find(|e| name_key(&e.name) == key);
        let taken_id = existing_iclients.iter().any(|e| e.id == ic.id);
        let new_id = match clash {
            Some(e) if mode == Mode::Exact || !replace => {
                return Err(StoreError::NameTaken {
                    name: e.name.clone(),
                });
            }
            Some(e) => {
                report.iclients_replaced.push(ic.name.clone());
                e.id.clone()
            }
            None if taken_id => super::new_id(),
            None => {
                report.iclients_added.push(ic.name.clone());
                ic.id.clone()
            }
        };
        ids.insert(ic.id.clone(), new_id.clone());
        ic.id = new_id;
        b.put_iclient(&ic, &key)?;
        imported(super::audit::ICLIENT, &ic.id, &ic.name)?;
    }
    let mut conns: Vec<Connection> = doc.connections;
    for c in &conns {
        once("connection", &c.name)?;
    }
    let mut replaced_ids: HashMap<String, String> = HashMap::new();
    for c in &conns {
        let key = name_key(&c.name);
        let by_name = b.connections(Filter::NameKey(&key))?;
        if let Some(e) = by_name.first() {
            if mode == Mode::Exact || !replace {
                return Err(StoreError::NameTaken {
                    name: e.name.clone(),
                });
            }
            replaced_ids.insert(c.id.clone(), e.id.clone());
            report.connections_replaced.push(c.name.clone());
            // Its token stops being used: listed until the caller deletes it.
            if let Some(kind) = e.token_store {
                let account = e.token_account();
                b.ledger_put(&super::LedgerEntry::mine(kind.as_str(), &account))?;
                report.retired.push((kind, account));
            }
            // And so do its saved storefront tokens.
            for t in &e.storefront_tokens {
                let account = t.account(&e.id);
                b.ledger_put(&super::LedgerEntry::mine(t.secret_store.as_str(), &account))?;
                report.retired.push((t.secret_store, account));
            }
        } else {
            if !b.connections(Filter::Id(&c.id))?.is_empty() {
                replaced_ids.insert(c.id.clone(), super::new_id());
            }
            report.connections_added.push(c.name.clone());
        }
    }
    let map = |id: &str| {
        replaced_ids
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    for c in &mut conns {
        c.id = map(&c.id);
        c.borrow_concurrency_from = c.borrow_concurrency_from.as_deref().map(map);
        c.superseded_by = c.superseded_by.as_deref().map(map);
        c.iclient_id = c
            .iclient_id
            .as_deref()
            .map(|i| ids.get(i).cloned().unwrap_or_else(|| i.to_string()));
        if matches!(mode, Mode::Fresh { .. }) {
            forget_token(c);
        }
        b.put_connection(c, &name_key(&c.name))?;
        imported(super::audit::CONNECTION, &c.id, &c.name)?;
    }
    if mode == Mode::Exact || !doc.extra.is_empty() {
        let mut extra = b.document_extra()?;
        extra.extend(doc.extra);
        b.set_document_extra(&extra)?;
    }
    Ok(report)
}

/// What a connection imported without its token cannot keep.
fn forget_token(c: &mut Connection) {
    c.state = State::Pending;
    c.token_store = None;
    c.authorized_at = None;
    c.last_verified_at = None;
    c.granted_scopes = None;
    c.user = None;
    c.owner = None;
    c.superseded_by = None;
    c.last_error = None;
    c.last_error_at = None;
    c.token_generation = 0;
    // Their tokens did not come along either.
    c.storefront_tokens.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_an_object_is_refused_not_a_panic() {
        for bytes in [&b"\"secret_store\""[..], b"[]", b"1", b"null"] {
            assert!(to_current(bytes, 1).is_err());
        }
    }

    #[test]
    fn unknown_and_newer_documents_are_refused_saying_why() {
        let p = std::path::Path::new("/x/bcconn.json");
        let said = |b: &[u8]| super::super::parse(b, p).unwrap_err().to_string();
        assert!(said(b"{").contains("not valid JSON"));
        assert!(said(b"{\"version\": 3}").contains("newer bcconn"));
        assert!(said(b"{\"connections\": []}").contains("format version"));
        assert!(said(b"[]").contains("/x/bcconn.json"));
        assert!(
            super::super::parse(b"{\"version\": 1}", p)
                .unwrap()
                .connections
                .is_empty()
        );
    }

    #[test]
    fn a_version_1_file_reads_as_current() {
        let v1 = br#"{"version":1,"iclients":[],"connections":[{"id":"a","name":"shop","auth_type":"oauth2","store_hash":"abc123","scopes":["store_v2_orders"],"concurrency":3,"state":"authorized","created_at":"t","updated_at":"t"}]}"#;
        let file = to_current(v1, 1).unwrap();
        assert_eq!(file.version, VERSION);
        assert_eq!(file.connections[0].name, "shop");
        assert_eq!(file.connections[0].concurrency, 3);
        // Through the parser the commands use, too.
        let parsed = super::super::parse(v1, std::path::Path::new("x")).unwrap();
        assert_eq!(parsed.version, VERSION);
        assert_eq!(parsed.connections[0].state, super::super::State::Authorized);
    }
}
