//! A borrowed, partial view of the record file for `bcconn list`.
//!
//! `list` runs often and must stay fast with a thousand connections. Reading
//! only the fields the table shows, as slices of the file's own bytes, skips
//! most allocations (which, on a VM, are mostly page faults). The fields it
//! reads have the full schema's types, and anything it cannot read goes
//! through the full parser for the error, so `list` refuses what the other
//! commands refuse (fields it does not read are not checked).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{AuthType, State, VERSION, parse};
use crate::bigcommerce::store_hash::StoreHash;
use crate::error::Failure;

#[derive(Deserialize)]
pub struct Summary<'a> {
    version: u32,
    #[serde(borrow, default)]
    iclients: Vec<IClientRow<'a>>,
    #[serde(borrow, default)]
    pub connections: Vec<Row<'a>>,
}

#[derive(Deserialize)]
struct IClientRow<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
}

/// One connection, as much as the table needs.
#[derive(Deserialize)]
pub struct Row<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    // Typed like the full schema, so both refuse the same values.
    pub auth_type: AuthType,
    pub store_hash: StoreHash,
    pub state: State,
    #[serde(borrow, default)]
    pub scopes: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub iclient_id: Option<Cow<'a, str>>,
    pub concurrency: u8,
    #[serde(borrow, default)]
    pub borrow_concurrency_from: Option<Cow<'a, str>>,
}

impl<'a> Summary<'a> {
    /// Reads the view, or the full parser's refusal.
    pub fn parse(bytes: &'a [u8], path: &Path) -> Result<Summary<'a>, Failure> {
        match serde_json::from_slice::<Summary>(bytes) {
            Ok(s) if s.version == VERSION => Ok(s),
            // Let the full parser say what is wrong (or read what this view
            // could not, e.g. a field of an unexpected type it would refuse too).
            // What the full parser reads, the view shows: fuzzing found a
            // version-1 file with a repeated key that the view refused while
            // the migration read it (the last value wins).
            _ => {
                let file = parse(bytes, path)?;
                Ok(serde_json::from_slice::<Summary>(bytes)
                    .unwrap_or_else(|_| Summary::from_file(file)))
            }
        }
    }

    /// The view of a file the full parser read.
    fn from_file(file: super::RecordFile) -> Summary<'static> {
        Summary {
            version: file.version,
            iclients: file
                .iclients
                .into_iter()
                .map(|i| IClientRow {
                    id: Cow::Owned(i.id),
                    name: Cow::Owned(i.name),
                })
                .collect(),
            connections: file
                .connections
                .into_iter()
                .map(|c| Row {
                    id: Cow::Owned(c.id),
                    name: Cow::Owned(c.name),
                    auth_type: c.auth_type,
                    store_hash: c.store_hash,
                    state: c.state,
                    scopes: c.scopes.into_iter().map(Cow::Owned).collect(),
                    iclient_id: c.iclient_id.map(Cow::Owned),
                    concurrency: c.concurrency,
                    borrow_concurrency_from: c.borrow_concurrency_from.map(Cow::Owned),
                })
                .collect(),
        }
    }

    /// Index for name and level lookups.
    pub fn index(&self) -> Index<'_> {
        Index {
            iclients: self
                .iclients
                .iter()
                .map(|i| (i.id.as_ref(), i.name.as_ref()))
                .collect(),
            connections: self
                .connections
                .iter()
                .map(|c| (c.id.as_ref(), c))
                .collect(),
        }
    }
}

pub struct Index<'s> {
    iclients: HashMap<&'s str, &'s str>,
    connections: HashMap<&'s str, &'s Row<'s>>,
}

impl<'s> Index<'s> {
    pub fn iclient_name(&self, id: &str) -> Option<&'s str> {
        self.iclients.get(id).copied()
    }

    pub fn connection_name(&self, id: &str) -> Option<&'s str> {
        self.connections.get(id).map(|c| c.name.as_ref())
    }

    pub fn effective_concurrency(&self, row: &'s Row<'s>) -> u8 {
        super::effective_concurrency(
            row.concurrency,
            row.borrow_concurrency_from.as_deref(),
            |id| {
                self.connections
                    .get(id)
                    .map(|c| (c.concurrency, c.borrow_concurrency_from.as_deref()))
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"version":1,
        "iclients":[{"id":"i1","name":"app","client_id":"c","callback_url":"http://localhost:8765/auth","secret_store":"os","created_at":"t","updated_at":"t"}],
        "connections":[
          {"id":"a","name":"lender","auth_type":"oauth2","store_hash":"abc123","scopes":["store_v2_orders"],"iclient_id":"i1","concurrency":7,"state":"authorized","created_at":"t","updated_at":"t","user":{"id":1}},
          {"id":"b","name":"borrower","auth_type":"oauth2","store_hash":"abc123","scopes":[],"concurrency":1,"borrow_concurrency_from":"a","state":"pending","created_at":"t","updated_at":"t"}]}"#;

    #[test]
    fn reads_what_the_table_needs_and_follows_lenders() {
        let s = Summary::parse(FILE.as_bytes(), Path::new("x")).unwrap();
        let idx = s.index();
        assert_eq!(s.connections.len(), 2);
        let b = &s.connections[1];
        assert_eq!(idx.effective_concurrency(b), 7);
        assert_eq!(idx.connection_name("a"), Some("lender"));
        assert_eq!(idx.iclient_name("i1"), Some("app"));
        // Borrowed, not copied: the common case allocates no strings.
        assert!(matches!(s.connections[0].name, Cow::Borrowed(_)));
    }

    #[test]
    fn shows_what_the_full_parser_reads() {
        // Found by fuzzing: a version-1 file with a repeated key is migrated
        // (the last value wins) by the full parser; the view refused it.
        let file = br#"{"version": 1, "iclients": [], "iclients": [], "connections": [{"id": "a", "name": "shop", "auth_type": "token", "store_hash": "abc123", "scopes": [], "concurrency": 2, "state": "pending", "created_at": "t", "updated_at": "t"}]}"#;
        let p = Path::new("/x/bcconn.json");
        assert!(parse(file, p).is_ok());
        let s = Summary::parse(file, p).unwrap();
        assert_eq!(s.connections[0].name, "shop");
        assert_eq!(s.index().effective_concurrency(&s.connections[0]), 2);
    }

    #[test]
    fn refuses_what_the_full_parser_refuses() {
        let p = Path::new("/x/bcconn.json");
        assert!(
            Summary::parse(b"{", p)
                .err()
                .unwrap()
                .message
                .contains("not valid JSON")
        );
        let newer = Summary::parse(br#"{"version":3,"connections":[]}"#, p)
            .err()
            .unwrap();
        assert!(newer.message.contains("newer bcconn"));
    }
}
