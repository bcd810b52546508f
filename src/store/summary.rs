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
            _ => parse(bytes, path).and_then(|_| {
                serde_json::from_slice::<Summary>(bytes).map_err(|e| {
                    crate::error::failure(format!("cannot read {}: {e}", path.display()))
                })
            }),
        }
    }

    /// Index for name and level lookups; every effective level is computed
    /// here, once, in time linear in the number of connections.
    pub fn index(&self) -> Index<'_> {
        let connections: HashMap<&str, usize> = self
            .connections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_ref(), i))
            .collect();
        let levels = super::effective_levels(
            self.connections.len(),
            |i| self.connections[i].concurrency,
            |i| {
                self.connections[i]
                    .borrow_concurrency_from
                    .as_deref()
                    .and_then(|id| connections.get(id).copied())
            },
        );
        Index {
            iclients: self
                .iclients
                .iter()
                .map(|i| (i.id.as_ref(), i.name.as_ref()))
                .collect(),
            rows: &self.connections,
            connections,
            levels,
        }
    }
}

pub struct Index<'s> {
    iclients: HashMap<&'s str, &'s str>,
    rows: &'s [Row<'s>],
    connections: HashMap<&'s str, usize>,
    levels: Vec<u8>,
}

impl<'s> Index<'s> {
    pub fn iclient_name(&self, id: &str) -> Option<&'s str> {
        self.iclients.get(id).copied()
    }

    pub fn connection_name(&self, id: &str) -> Option<&'s str> {
        self.connections
            .get(id)
            .map(|&i| self.rows[i].name.as_ref())
    }

    pub fn effective_concurrency(&self, row: &Row<'_>) -> u8 {
        match self.connections.get(row.id.as_ref()) {
            Some(&i) => self.levels[i],
            None => row.concurrency,
        }
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
