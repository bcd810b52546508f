//! The records: iClients and connections, behind one small interface.
//!
//! [`Records`] opens the store (SQLite by default, [`sqlite::Sqlite`]) and
//! hands out [`Tx`], a lazy view of the records: it reads the rows a command
//! asks for (by name through an index, by id, by lender, by store) and keeps
//! them, so `show` or `rename` touch a few rows whatever the number of
//! connections. A [`Records::update`] is one write transaction: the rows it
//! changed are written when the closure returns `Ok`, nothing otherwise.
//! The rules a change must obey, with the hints a person gets, are the
//! connection core's (`crate::connect::rules`).

pub mod audit;
pub mod error;
pub mod ledger;
pub mod migrate;
pub mod postgres;
pub mod schema;
pub mod sealed;
pub mod sqlite;
pub mod storefront;
pub mod view;

mod document;
mod records;
mod tx;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::Result;
use serde_json::{Map, Value};

use crate::secrets::seal::SealedRow;

pub use audit::{AuditEntry, AuditFilter};
pub use document::parse;
pub use error::StoreError;
pub use ledger::LedgerEntry;
pub use records::{Reader, Records};
pub use schema::*;
pub use storefront::{StorefrontKind, StorefrontToken};
pub use tx::Tx;

/// The database's file name under the home.
pub const DB_NAME: &str = "bcconn.db";
/// The record file of versions before the database.
pub const OLD_FILE: &str = "bcconn.json";
/// The longest name a record may have, in characters.
pub const MAX_NAME: usize = 64;

/// Which rows a query wants.
#[derive(Clone, Copy, Debug)]
pub enum Filter<'a> {
    All,
    Id(&'a str),
    /// A name folded with [`name_key`].
    NameKey(&'a str),
    /// Connections that use this iClient id.
    IClient(&'a str),
    /// Connections for this store hash.
    Store(&'a str),
    /// Connections that borrow concurrency from this connection id.
    BorrowingFrom(&'a str),
    /// iClients holding this client id.
    ClientId(&'a str),
}

/// What `list` shows of one connection, borrowed from the database's row.
pub struct ListRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub store_hash: &'a str,
    pub auth_type: &'a str,
    pub state: &'a str,
    pub iclient_id: Option<&'a str>,
    pub first_scope: Option<&'a str>,
    pub scope_count: usize,
    pub concurrency: u8,
    pub borrow_from: Option<&'a str>,
}

/// A connection in a borrowing chain: (id, name, own level, lender id).
pub type Borrowing = (String, String, u8, Option<String>);

/// The widest value of each of `list`'s columns (see
/// [`BackendTx::list_widths`]), and the iClient ids in use.
#[derive(Debug, Default)]
pub struct ListWidths {
    pub rows: u64,
    pub name: usize,
    pub store_hash: usize,
    pub auth_type: usize,
    pub state: usize,
    pub scopes: usize,
    pub own_level: usize,
    pub iclient_ids: Vec<Option<String>>,
}

/// Things the store tells the person, in words the caller chooses.
#[derive(Debug, Clone)]
pub enum Notice {
    /// Waiting on another process's write (its pid when known).
    Waiting {
        holder: Option<u32>,
        /// How long it waits at most.
        up_to: std::time::Duration,
    },
    /// A line the store's lower parts said as it is (a wait for the old
    /// record file's lock).
    Said(String),
    /// WAL does not work here; a rollback journal is used (said once).
    RollbackJournal,
    /// The old record file is there again, but the database already holds
    /// records: it is left alone (said on every run while it is there).
    OldFileIgnored { path: PathBuf },
    /// The old record file was imported.
    Imported {
        iclients: usize,
        connections: usize,
        kept_as: PathBuf,
    },
}

/// A record store: SQLite now, a shared engine later.
pub trait Backend {
    fn path(&self) -> &Path;
    fn exists(&self) -> bool;
    /// A transaction: `write` takes the write lock at once (`BEGIN
    /// IMMEDIATE`); a read sees each query's latest committed state. `None`
    /// for a read when there is no database yet.
    fn begin(
        &self,
        write: bool,
        sink: &Rc<dyn Fn(Notice)>,
    ) -> Result<Option<Box<dyn BackendTx>>, StoreError>;
    /// Whether another process holds the write lock for longer than
    /// `wait`: `Some(holder pid when known)`, or `None` when it is free.
    fn writer(&self, wait: std::time::Duration) -> Result<Option<Option<u32>>, StoreError>;
    /// The shared store, when this is one.
    fn shared(&self) -> Option<&postgres::Postgres> {
        None
    }
}

/// One transaction's queries and writes.
pub trait BackendTx {
    fn connections(&self, filter: Filter<'_>) -> Result<Vec<Connection>, StoreError>;
    fn iclients(&self, filter: Filter<'_>) -> Result<Vec<IClient>, StoreError>;
    /// Every connection's (id, name), in order.
    fn connection_names(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// (iClients, connections).
    fn count(&self) -> Result<(u64, u64), StoreError>;
    /// Every connection that borrows concurrency, and every lender up
    /// their chains: (id, name, own level, lender id). Usually a few rows.
    fn borrowing(&self) -> Result<Vec<Borrowing>, StoreError>;
    /// `list`'s column widths computed by the engine in one aggregate,
    /// when every row's text is printable ASCII within `max_name` /
    /// `max_other` bytes (then width is length); `None` otherwise (a row
    /// needs escaping or cutting: the caller measures each). The
    /// concurrency column is measured for rows that do not borrow only.
    fn list_widths(
        &self,
        max_name: usize,
        max_other: usize,
    ) -> Result<Option<ListWidths>, StoreError>;
    /// Makes a read view one snapshot: every later query sees the same
    /// committed state (until the view is dropped).
    fn snapshot(&self) -> Result<(), StoreError>;
    fn list_rows(
        &self,
        each: &mut dyn FnMut(ListRow<'_>) -> std::io::Result<()>,
    ) -> Result<(), StoreError>;
    /// Every connection in order, one at a time (never all in memory).
    fn each_connection(
        &self,
        each: &mut dyn FnMut(Connection) -> std::io::Result<()>,
    ) -> Result<(), StoreError>;
    fn put_connection(&self, c: &Connection, name_key: &str) -> Result<(), StoreError>;
    fn delete_connection(&self, id: &str) -> Result<(), StoreError>;
    fn put_iclient(&self, i: &IClient, name_key: &str) -> Result<(), StoreError>;
    fn delete_iclient(&self, id: &str) -> Result<(), StoreError>;
    /// Personal settings (never exported, never shared).
    fn local(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn set_local(&self, key: &str, value: Option<&str>) -> Result<(), StoreError>;
    /// Top-level fields of an imported document this version does not know.
    fn document_extra(&self) -> Result<Map<String, Value>, StoreError>;
    fn set_document_extra(&self, extra: &Map<String, Value>) -> Result<(), StoreError>;
    /// The ledger's rows: secrets being written, or being removed.
    fn ledger(&self) -> Result<Vec<LedgerEntry>, StoreError>;
    fn ledger_put(&self, e: &LedgerEntry) -> Result<(), StoreError>;
    fn ledger_remove(&self, store: &str, account: &str) -> Result<(), StoreError>;
    /// Takes over row `e` for `by` if it is still as read (so two
    /// cleanups never both act on it); whether it was taken.
    fn ledger_claim(&self, e: &LedgerEntry, by: &LedgerEntry) -> Result<bool, StoreError>;
    /// Removes row `e` if it is still held by the same process.
    fn ledger_release(&self, e: &LedgerEntry) -> Result<(), StoreError>;
    /// The next token generation of a connection: above `at_least` and
    /// above every generation ever handed out for it (never reused).
    fn next_generation(&self, id: &str, at_least: u64) -> Result<u64, StoreError>;
    /// The sealed secret of `account` (`crate::store::sealed`).
    fn sealed_get(&self, account: &str) -> Result<Option<SealedRow>, StoreError>;
    fn sealed_put(&self, account: &str, row: &SealedRow) -> Result<(), StoreError>;
    fn sealed_delete(&self, account: &str) -> Result<(), StoreError>;
    /// Every sealed secret, by account.
    fn sealed_all(&self) -> Result<Vec<(String, SealedRow)>, StoreError>;
    /// The key ids sealed secrets name, with how many each seals.
    fn sealed_keys(&self) -> Result<Vec<(String, u64)>, StoreError>;
    /// Up to `n` secrets sealed by `key_id`, to check a key against.
    fn sealed_sample(&self, key_id: &str, n: u32) -> Result<Vec<(String, SealedRow)>, StoreError>;
    /// Adds an entry to the audit trail (in this transaction).
    fn audit_put(&self, e: &AuditEntry) -> Result<(), StoreError>;
    /// Audit entries, newest first, at most `limit`.
    fn audit_list(
        &self,
        filter: AuditFilter<'_>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// Problems an integrity check found (empty: none).
    fn check(&self) -> Result<Vec<String>, StoreError>;
    fn schema(&self) -> Result<i64, StoreError>;
    /// A consistent copy of the whole database.
    fn backup_to(&self, to: &Path) -> Result<(), StoreError>;
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The key names are unique by: Unicode lowercase, so "Acme" and "acme"
/// are one name (computed here, so every engine agrees).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A new random record id: 16 hex digits from the OS's CSPRNG.
pub fn new_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, as RFC 3339 UTC with seconds.
pub fn now() -> String {
    // Timestamps are read off the machine's clock; waits take the Clock
    // they are given (see `sqlite::Waits`).
    use crate::clock::Clock as _;
    humantime::format_rfc3339_seconds(crate::clock::SystemClock.now()).to_string()
}

/// Case-insensitive name match, so "Acme" and "acme" are one name.
pub fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Follows a borrowing chain from a connection (its own `level` and lender
/// id) to the level it really runs with. `lookup` gives a connection's level
/// and lender by id. Cycles cannot be saved, but a hand-edited file might hold
/// one; the walk stops after as many steps as there could be connections.
pub fn effective_concurrency<'a>(
    level: u8,
    lender: Option<&'a str>,
    lookup: impl Fn(&str) -> Option<(u8, Option<&'a str>)>,
) -> u8 {
    let (mut level, mut next) = (level, lender);
    let mut steps = 0;
    while let Some((l, n)) = next.and_then(&lookup) {
        steps += 1;
        if steps > 10_000 {
            break;
        }
        (level, next) = (l, n);
    }
    level
}

/// Every connection's effective level at once, in time linear in the number
/// of connections: `own(i)` is connection i's level, `lender(i)` the index
/// of the connection it borrows from (None: it does not, or the lender is
/// gone). A chain ends at a connection that does not borrow; a hand-made
/// cycle takes the level of the connection where the walk closed it.
pub fn effective_levels(
    n: usize,
    own: impl Fn(usize) -> u8,
    lender: impl Fn(usize) -> Option<usize>,
) -> Vec<u8> {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; n];
    let mut out = vec![0u8; n];
    let mut path = Vec::new();
    for start in 0..n {
        if state[start] == DONE {
            continue;
        }
        let mut cur = start;
        let value = loop {
            match state[cur] {
                DONE => break out[cur],
                ON_PATH => break own(cur),
                _ => {}
            }
            state[cur] = ON_PATH;
            path.push(cur);
            match lender(cur) {
                Some(next) => cur = next,
                None => break own(cur),
            }
        };
        for i in path.drain(..) {
            state[i] = DONE;
            out[i] = value;
        }
    }
    out
}

#[cfg(test)]
mod tests;
