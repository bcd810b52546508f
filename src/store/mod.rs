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

pub mod error;
pub mod ledger;
pub mod migrate;
pub mod schema;
pub mod sqlite;
pub mod view;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::Result;
use elsa::FrozenMap;
use serde_json::{Map, Value};

pub use error::StoreError;
pub use ledger::LedgerEntry;
pub use schema::*;

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
    Waiting { holder: Option<u32> },
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

/// The records under one home directory.
pub struct Records {
    dir: PathBuf,
    backend: Box<dyn Backend>,
    sink: RefCell<Rc<dyn Fn(Notice)>>,
    /// A write transaction of this store is open in this process.
    writing: Cell<bool>,
    /// The old record file was looked at in this process.
    imported: Cell<bool>,
    /// A change was committed in this process.
    wrote: Cell<bool>,
    /// Unit tests: make the commit fail after the change was accepted.
    #[cfg(test)]
    fail_writes: Cell<bool>,
}

impl Records {
    pub fn new(dir: &Path) -> Self {
        Records {
            dir: dir.to_path_buf(),
            backend: Box::new(sqlite::Sqlite::new(dir.join(DB_NAME))),
            sink: RefCell::new(Rc::new(|_| {})),
            writing: Cell::new(false),
            imported: Cell::new(false),
            wrote: Cell::new(false),
            #[cfg(test)]
            fail_writes: Cell::new(false),
        }
    }

    /// Where notices go (the caller words them).
    pub fn on_notice(&self, sink: impl Fn(Notice) + 'static) {
        *self.sink.borrow_mut() = Rc::new(sink);
    }

    /// Unit tests: from now on, commits fail after the change (or work again).
    #[cfg(test)]
    pub fn fail_writes(&self, fail: bool) {
        self.fail_writes.set(fail);
    }

    /// The database file.
    pub fn path(&self) -> PathBuf {
        self.backend.path().to_path_buf()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn check_home(&self) -> Result<(), StoreError> {
        if self.dir.is_absolute() {
            Ok(())
        } else {
            Err(StoreError::NoHome)
        }
    }

    fn begin(&self, write: bool) -> Result<Option<Box<dyn BackendTx>>, StoreError> {
        self.check_home()?;
        if write {
            crate::fsutil::ensure_private_dir(&self.dir).map_err(|e| StoreError::Unreadable {
                path: self.dir.clone(),
                detail: format!("{e:#}"),
            })?;
        }
        let sink = self.sink.borrow().clone();
        self.backend.begin(write, &sink)
    }

    /// The old record file, imported once (see [`migrate::import_old_file`]).
    fn import_old(&self) -> Result<(), StoreError> {
        if self.imported.replace(true) || !self.dir.is_absolute() {
            return Ok(());
        }
        migrate::import_old_file(self)
    }

    /// A read-only view of the records. Each query sees what is committed
    /// when it runs; rows once read are kept for the view's life.
    pub fn load(&self) -> Result<Tx> {
        self.import_old()?;
        Ok(Tx::new(self.begin(false)?, false))
    }

    /// One write transaction: `change` sees the records; the rows it
    /// changed are written if it returns `Ok`, nothing otherwise. Another
    /// change inside it is refused (its write would be lost).
    pub fn update<T>(&self, change: impl FnOnce(&mut Tx) -> Result<T>) -> Result<T> {
        self.import_old()?;
        if self.writing.replace(true) {
            return Err(StoreError::Nested.into());
        }
        let result = (|| {
            let backend = self.begin(true)?;
            let mut tx = Tx::new(backend, true);
            let out = change(&mut tx)?;
            #[cfg(test)]
            if self.fail_writes.get() {
                anyhow::bail!("the test records were told to fail at write");
            }
            tx.commit()?;
            self.wrote.set(true);
            Ok(out)
        })();
        self.writing.set(false);
        result
    }

    /// Whether this process committed a change.
    pub fn wrote(&self) -> bool {
        self.wrote.get()
    }

    /// A read view that is one snapshot: several passes over the rows see
    /// the same records. `None` when there is no database yet.
    pub fn reader(&self) -> Result<Option<Reader>> {
        self.import_old()?;
        let Some(tx) = self.begin(false)? else {
            return Ok(None);
        };
        tx.snapshot()?;
        Ok(Some(Reader { tx }))
    }

    /// Streams `list`'s rows in order (no full record is parsed).
    pub fn list_rows(
        &self,
        each: &mut dyn FnMut(ListRow<'_>) -> std::io::Result<()>,
    ) -> Result<()> {
        self.import_old()?;
        if let Some(tx) = self.begin(false)? {
            tx.list_rows(each)?;
        }
        Ok(())
    }

    /// Puts the database in `from` in place of the current one: `from` is
    /// checked first (nothing changes when it is not a good database), the
    /// current one keeps a second name beside it (returned), and one rename
    /// swaps the checked copy in, so there is always a database at the
    /// path. A damaged current database is kept as it is. A symlinked
    /// database is restored into the file the link names.
    pub fn restore(&self, from: &Path) -> Result<Option<PathBuf>> {
        self.check_home()?;
        sqlite::check_file(from)?;
        crate::fsutil::ensure_private_dir(&self.dir)?;
        let db = crate::fsutil::write_target(&self.path())?;
        let dir = db.parent().unwrap_or(&self.dir).to_path_buf();
        let name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| DB_NAME.to_string());
        let side = |base: &Path, suffix: &str| {
            let mut p = base.as_os_str().to_owned();
            p.push(suffix);
            PathBuf::from(p)
        };
        let staged = dir.join(format!("{name}.restoring"));
        let _ = std::fs::remove_file(&staged);
        let copied = (|| -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut out = options.open(&staged)?;
            std::io::copy(&mut std::fs::File::open(from)?, &mut out)?;
            out.sync_all()
        })();
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&staged);
            return Err(StoreError::Unreadable {
                path: from.to_path_buf(),
                detail: format!("cannot copy it: {e}"),
            }
            .into());
        }
        let swapped = (|| -> Result<Option<PathBuf>> {
            let kept = if db.exists() {
                // A healthy database first becomes one complete file; a
                // damaged one is kept as it is, write-ahead log and all.
                sqlite::checkpoint(&db);
                let stamp = now().replace(':', "");
                let mut kept = dir.join(format!("{name}.before-restore-{stamp}"));
                let mut n = 2;
                while kept.exists() {
                    kept = dir.join(format!("{name}.before-restore-{stamp}-{n}"));
                    n += 1;
                }
                std::fs::hard_link(&db, &kept).or_else(|_| std::fs::copy(&db, &kept).map(drop))?;
                for suffix in ["-wal", "-shm"] {
                    let from = side(&db, suffix);
                    if from.exists() {
                        if suffix == "-wal" {
                            let _ = std::fs::hard_link(&from, side(&kept, suffix));
                        }
                        // The log of the old database must never meet the
                        // restored one.
                        std::fs::remove_file(&from)?;
                    }
                }
                Some(kept)
            } else {
                None
            };
            std::fs::rename(&staged, &db)?;
            Ok(kept)
        })();
        if swapped.is_err() {
            let _ = std::fs::remove_file(&staged);
        }
        swapped
    }

    /// `source` names the document in messages.
    pub fn import(
        &self,
        doc: Document,
        mode: migrate::Mode,
        source: &Path,
    ) -> Result<migrate::Report> {
        self.import_old()?;
        if self.writing.replace(true) {
            return Err(StoreError::Nested.into());
        }
        let result = (|| {
            let tx = self
                .begin(true)?
                .expect("a write transaction always has a database");
            let report = migrate::apply(tx.as_ref(), doc, mode, source)?;
            tx.commit()?;
            Ok(report)
        })();
        self.writing.set(false);
        result
    }

    /// Every record at once, as a document (with the personal default):
    /// for checks over the whole set (`doctor`) and `export`.
    pub fn document(&self) -> Result<Document> {
        let tx = self.load()?;
        Ok(Document {
            version: VERSION,
            iclients: tx.iclients()?.to_vec(),
            connections: tx.connections()?.into_iter().cloned().collect(),
            default_connection: tx.default_connection()?,
            extra: tx.document_extra()?,
        })
    }

    /// The secret-ledger rows: secrets being written or removed.
    pub fn ledger(&self) -> Result<Vec<LedgerEntry>> {
        match self.begin(false)? {
            Some(tx) => Ok(tx.ledger()?),
            None => Ok(Vec::new()),
        }
    }

    /// Takes over an abandoned ledger row for this process, if no other
    /// cleanup did first: then its secret may be deleted, and the row
    /// released with [`Records::ledger_release`].
    pub fn ledger_claim(&self, e: &LedgerEntry) -> Result<Option<LedgerEntry>> {
        let Some(tx) = self.begin(true)? else {
            return Ok(None);
        };
        let mine = LedgerEntry::mine(&e.store, &e.account);
        let taken = tx.ledger_claim(e, &mine)?;
        tx.commit()?;
        Ok(taken.then_some(mine))
    }

    /// Removes a row this process holds (see [`Records::ledger_claim`]).
    pub fn ledger_release(&self, e: &LedgerEntry) -> Result<()> {
        let Some(tx) = self.begin(true)? else {
            return Ok(());
        };
        tx.ledger_release(e)?;
        tx.commit()?;
        Ok(())
    }

    /// Secret-ledger rows not live whose process is gone (on this host).
    pub fn abandoned_secrets(&self) -> Result<Vec<LedgerEntry>> {
        let Some(tx) = self.begin(false)? else {
            return Ok(Vec::new());
        };
        Ok(tx.ledger()?.into_iter().filter(|e| e.abandoned()).collect())
    }

    /// Lists a secret about to be written (in its own short transaction,
    /// so no lock is held while the secret store works).
    pub fn ledger_begin(&self, store: &str, account: &str) -> Result<()> {
        self.import_old()?;
        let tx = self
            .begin(true)?
            .expect("a write transaction always has a database");
        tx.ledger_put(&LedgerEntry::mine(store, account))?;
        tx.commit()?;
        Ok(())
    }

    /// The next token generation of connection `id`, listed in the ledger
    /// under `store` in the same transaction, so two runs never pick one
    /// generation.
    pub fn reserve_token_generation(&self, store: &str, id: &str) -> Result<u64> {
        self.import_old()?;
        let tx = self
            .begin(true)?
            .expect("a write transaction always has a database");
        let current = tx
            .connections(Filter::Id(id))?
            .first()
            .map(|c| c.token_generation)
            .unwrap_or(0);
        let next = tx.next_generation(id, current)?;
        tx.ledger_put(&LedgerEntry::mine(
            store,
            &crate::secrets::token_account(id, next),
        ))?;
        tx.commit()?;
        Ok(next)
    }

    /// Forgets a ledger row (its secret was deleted, or went live and was
    /// then replaced).
    pub fn ledger_forget(&self, store: &str, account: &str) -> Result<()> {
        let Some(tx) = self.begin(true)? else {
            return Ok(());
        };
        tx.ledger_remove(store, account)?;
        tx.commit()?;
        Ok(())
    }

    /// Integrity problems (`PRAGMA quick_check`), and the schema version;
    /// `None` when there is no database yet.
    pub fn check(&self) -> Result<Option<(Vec<String>, i64)>> {
        let Some(tx) = self.begin(false)? else {
            return Ok(None);
        };
        Ok(Some((tx.check()?, tx.schema()?)))
    }

    /// Another process holding the write lock past `wait` (its pid when
    /// known), for `doctor`; `None` when the lock is free or there is no
    /// database.
    pub fn writer(&self, wait: std::time::Duration) -> Result<Option<Option<u32>>> {
        self.check_home()?;
        if !self.backend.exists() {
            return Ok(None);
        }
        Ok(self.backend.writer(wait)?)
    }

    /// A consistent copy of the database at `to` (which must not exist),
    /// created 0600.
    pub fn backup(&self, to: &Path) -> Result<()> {
        self.import_old()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(to).map_err(|e| StoreError::Unreadable {
            path: to.to_path_buf(),
            detail: format!("cannot create it: {e}"),
        })?;
        // VACUUM INTO reads one snapshot: a consistent copy while others
        // write (it cannot run inside a transaction).
        if let Some(created) = self.begin(true)? {
            created.commit()?;
        }
        let tx = self.begin(false)?.expect("the database was created above");
        tx.backup_to(to)?;
        Ok(())
    }
}

/// One read snapshot of the records, for commands that pass over every
/// row more than once (`list`).
pub struct Reader {
    tx: Box<dyn BackendTx>,
}

impl Reader {
    pub fn list_rows(
        &self,
        each: &mut dyn FnMut(ListRow<'_>) -> std::io::Result<()>,
    ) -> Result<()> {
        Ok(self.tx.list_rows(each)?)
    }

    pub fn each_connection(
        &self,
        each: &mut dyn FnMut(Connection) -> std::io::Result<()>,
    ) -> Result<()> {
        Ok(self.tx.each_connection(each)?)
    }

    pub fn iclients(&self) -> Result<Vec<IClient>> {
        Ok(self.tx.iclients(Filter::All)?)
    }

    /// The name of the connection with this id.
    pub fn name_of(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .connections(Filter::Id(id))?
            .into_iter()
            .next()
            .map(|c| c.name))
    }

    /// See [`BackendTx::list_widths`].
    pub fn list_widths(&self, max_name: usize, max_other: usize) -> Result<Option<ListWidths>> {
        Ok(self.tx.list_widths(max_name, max_other)?)
    }

    /// See [`BackendTx::borrowing`].
    pub fn borrowing(&self) -> Result<Vec<Borrowing>> {
        Ok(self.tx.borrowing()?)
    }
}

/// A view of the records inside one transaction. Lookups read the rows
/// they need and keep them; changes are kept until the commit.
pub struct Tx {
    backend: Option<Box<dyn BackendTx>>,
    write: bool,
    /// Connections read or changed, by id.
    conns: FrozenMap<String, Box<Connection>>,
    /// Name keys looked up: the id found, or `None` (no such name).
    by_name: RefCell<HashMap<String, Option<String>>>,
    /// Every connection in order, once [`Tx::connections`] ran.
    order: RefCell<Option<Vec<String>>>,
    /// Changed or added in this transaction; removed in it.
    touched: Vec<String>,
    removed: HashSet<String>,
    /// All iClients (few), and the JSON each had when read.
    iclients: std::cell::OnceCell<Vec<IClient>>,
    iclients_before: RefCell<HashMap<String, String>>,
    iclients_changed: bool,
    default: RefCell<Option<Option<String>>>,
    default_changed: bool,
}

impl Tx {
    fn new(backend: Option<Box<dyn BackendTx>>, write: bool) -> Tx {
        Tx {
            backend,
            write,
            conns: FrozenMap::new(),
            by_name: RefCell::new(HashMap::new()),
            order: RefCell::new(None),
            touched: Vec::new(),
            removed: HashSet::new(),
            iclients: std::cell::OnceCell::new(),
            iclients_before: RefCell::new(HashMap::new()),
            iclients_changed: false,
            default: RefCell::new(None),
            default_changed: false,
        }
    }

    /// An empty view, for tests and for code given records in memory.
    pub fn empty() -> Tx {
        Tx::new(None, true)
    }

    /// A writable view holding `doc`'s records, not backed by a database
    /// (tests; checking a document before import).
    pub fn from_document(doc: Document) -> Tx {
        let mut tx = Tx::empty();
        for c in doc.connections {
            let id = c.id.clone();
            tx.conns.insert(id.clone(), Box::new(c));
            tx.touched.push(id);
        }
        let _ = tx.iclients.set(doc.iclients);
        *tx.default.borrow_mut() = Some(doc.default_connection);
        tx.order = RefCell::new(Some(tx.touched.clone()));
        tx
    }

    fn keep(&self, c: Connection) -> &Connection {
        let id = c.id.clone();
        self.by_name
            .borrow_mut()
            .insert(name_key(&c.name), Some(id.clone()));
        self.conns.insert(id, Box::new(c))
    }

    fn gone(&self, id: &str) -> bool {
        self.removed.contains(id)
    }

    fn query(&self, filter: Filter<'_>) -> Result<Vec<&Connection>> {
        let Some(b) = &self.backend else {
            return Ok(Vec::new());
        };
        let rows = b.connections(filter)?;
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            // A row changed in this transaction is seen as changed.
            let kept = match self.conns.get(&c.id) {
                Some(k) => k,
                None => self.keep(c),
            };
            if !self.gone(&kept.id) {
                out.push(kept);
            }
        }
        Ok(out)
    }

    /// The connection called `name` (ignoring case).
    pub fn connection(&self, name: &str) -> Result<Option<&Connection>> {
        let key = name_key(name);
        // Changed in this transaction: its name may differ from the row's.
        for id in &self.touched {
            if let Some(c) = self.conns.get(id)
                && !self.gone(id)
                && name_key(&c.name) == key
            {
                return Ok(Some(c));
            }
        }
        let known = self.by_name.borrow().get(&key).cloned();
        let id = match known {
            Some(id) => id,
            None => {
                let found = self
                    .query(Filter::NameKey(&key))?
                    .first()
                    .map(|c| c.id.clone());
                self.by_name.borrow_mut().insert(key.clone(), found.clone());
                found
            }
        };
        Ok(id
            .filter(|id| !self.gone(id) && !self.touched.contains(id))
            .and_then(|id| self.conns.get(&id))
            .filter(|c| name_key(&c.name) == key))
    }

    pub fn connection_by_id(&self, id: &str) -> Result<Option<&Connection>> {
        if self.gone(id) {
            return Ok(None);
        }
        if let Some(c) = self.conns.get(id) {
            return Ok(Some(c));
        }
        if self.order.borrow().is_some() {
            return Ok(None);
        }
        Ok(self.query(Filter::Id(id))?.into_iter().next())
    }

    /// The connection called `name`, to change in this transaction.
    pub fn connection_mut(&mut self, name: &str) -> Result<Option<&mut Connection>> {
        let Some(id) = self.connection(name)?.map(|c| c.id.clone()) else {
            return Ok(None);
        };
        self.connection_by_id_mut(&id)
    }

    pub fn connection_by_id_mut(&mut self, id: &str) -> Result<Option<&mut Connection>> {
        self.writable()?;
        if self.connection_by_id(id)?.is_none() {
            return Ok(None);
        }
        if !self.touched.iter().any(|t| t == id) {
            self.touched.push(id.to_string());
        }
        Ok(self.conns.as_mut().get_mut(id).map(|b| &mut **b))
    }

    /// Every connection, in the order they were added.
    pub fn connections(&self) -> Result<Vec<&Connection>> {
        if self.order.borrow().is_none() {
            let all: Vec<String> = self
                .query(Filter::All)?
                .iter()
                .map(|c| c.id.clone())
                .collect();
            let mut order = all;
            for id in &self.touched {
                if !order.contains(id) {
                    order.push(id.clone());
                }
            }
            *self.order.borrow_mut() = Some(order);
        }
        let order = self.order.borrow();
        Ok(order
            .as_ref()
            .into_iter()
            .flatten()
            .filter(|id| !self.gone(id))
            .filter_map(|id| self.conns.get(id))
            .collect())
    }

    /// Every connection's name, in order (for "did you mean").
    pub fn connection_names(&self) -> Result<Vec<String>> {
        if self.order.borrow().is_some() || self.backend.is_none() {
            return Ok(self.connections()?.iter().map(|c| c.name.clone()).collect());
        }
        let rows = self
            .backend
            .as_ref()
            .map(|b| b.connection_names())
            .transpose()?
            .unwrap_or_default();
        // What this transaction changed or removed is as it is now.
        let mut names: Vec<String> = rows
            .into_iter()
            .filter(|(id, _)| !self.removed.contains(id) && !self.touched.contains(id))
            .map(|(_, name)| name)
            .collect();
        for id in &self.touched {
            if let Some(c) = self.conns.get(id)
                && !self.gone(id)
            {
                names.push(c.name.clone());
            }
        }
        Ok(names)
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.write {
            Ok(())
        } else {
            Err(StoreError::ReadOnly)
        }
    }

    /// Adds a connection (its name and id must be free: checked by the
    /// caller, and by the store at commit).
    pub fn push_connection(&mut self, c: Connection) -> Result<&mut Connection> {
        self.writable()?;
        let id = c.id.clone();
        self.removed.remove(&id);
        self.conns.as_mut().insert(id.clone(), Box::new(c));
        if !self.touched.contains(&id) {
            self.touched.push(id.clone());
        }
        if let Some(order) = self.order.borrow_mut().as_mut()
            && !order.contains(&id)
        {
            order.push(id.clone());
        }
        Ok(self
            .conns
            .as_mut()
            .get_mut(&id)
            .map(|b| &mut **b)
            .expect("just added"))
    }

    /// Removes the connection with this id.
    pub fn remove_connection(&mut self, id: &str) -> Result<()> {
        self.writable()?;
        self.removed.insert(id.to_string());
        Ok(())
    }

    /// All iClients (there are few), in the order they were added.
    pub fn iclients(&self) -> Result<&[IClient]> {
        if let Some(v) = self.iclients.get() {
            return Ok(v);
        }
        let list = match &self.backend {
            Some(b) => b.iclients(Filter::All)?,
            None => Vec::new(),
        };
        let mut before = self.iclients_before.borrow_mut();
        for i in &list {
            before.insert(i.id.clone(), serde_json::to_string(i)?);
        }
        Ok(self.iclients.get_or_init(|| list))
    }

    /// The iClients, to change in this transaction.
    pub fn iclients_mut(&mut self) -> Result<&mut Vec<IClient>> {
        self.writable()?;
        self.iclients()?;
        self.iclients_changed = true;
        Ok(self.iclients.get_mut().expect("loaded above"))
    }

    pub fn iclient(&self, name: &str) -> Result<Option<&IClient>> {
        Ok(self.iclients()?.iter().find(|i| same_name(&i.name, name)))
    }

    pub fn iclient_mut(&mut self, name: &str) -> Result<Option<&mut IClient>> {
        Ok(self
            .iclients_mut()?
            .iter_mut()
            .find(|i| same_name(&i.name, name)))
    }

    pub fn iclient_by_id(&self, id: &str) -> Result<Option<&IClient>> {
        Ok(self.iclients()?.iter().find(|i| i.id == id))
    }

    /// Connections that use the iClient with this id.
    pub fn users_of_iclient(&self, iclient_id: &str) -> Result<Vec<&Connection>> {
        let mut out = self.query(Filter::IClient(iclient_id))?;
        self.with_touched(&mut out, |c| c.iclient_id.as_deref() == Some(iclient_id));
        Ok(out)
    }

    /// Rows this transaction changed or added replace what the query saw.
    fn with_touched<'a>(
        &'a self,
        out: &mut Vec<&'a Connection>,
        keep: impl Fn(&Connection) -> bool,
    ) {
        out.retain(|c| keep(c));
        for id in &self.touched {
            if let Some(c) = self.conns.get(id)
                && !self.gone(id)
                && keep(c)
                && !out.iter().any(|o| o.id == c.id)
            {
                out.push(c);
            }
        }
    }

    /// Connections for one store.
    pub fn connections_for_store(
        &self,
        hash: &crate::bigcommerce::store_hash::StoreHash,
    ) -> Result<Vec<&Connection>> {
        let mut out = self.query(Filter::Store(hash.as_str()))?;
        self.with_touched(&mut out, |c| &c.store_hash == hash);
        Ok(out)
    }

    /// The siblings of a connection: other OAuth connections for the same
    /// store through an app with the same client id. BigCommerce keeps one
    /// token per app and store, so authorizing one ends the others' tokens.
    pub fn siblings_of(&self, c: &Connection) -> Result<Vec<&Connection>> {
        let Some(client_id) = self.client_id_of(c)? else {
            return Ok(Vec::new());
        };
        let apps: HashSet<&str> = self
            .iclients()?
            .iter()
            .filter(|i| i.client_id == client_id)
            .map(|i| i.id.as_str())
            .collect();
        let mut out = self.query(Filter::Store(c.store_hash.as_str()))?;
        let same = |o: &Connection| {
            o.id != c.id
                && o.store_hash == c.store_hash
                && o.auth_type == AuthType::Oauth2
                && o.iclient_id.as_deref().is_some_and(|i| apps.contains(i))
        };
        self.with_touched(&mut out, same);
        Ok(out)
    }

    /// The client id of an OAuth connection's iClient.
    pub fn client_id_of(&self, c: &Connection) -> Result<Option<&str>> {
        if c.auth_type != AuthType::Oauth2 {
            return Ok(None);
        }
        Ok(match c.iclient_id.as_deref() {
            Some(id) => self.iclient_by_id(id)?.map(|ic| ic.client_id.as_str()),
            None => None,
        })
    }

    /// Connections that borrow concurrency from the connection with this id.
    pub fn borrowers_of(&self, id: &str) -> Result<Vec<&Connection>> {
        let mut out = self.query(Filter::BorrowingFrom(id))?;
        self.with_touched(&mut out, |c| {
            c.borrow_concurrency_from.as_deref() == Some(id)
        });
        Ok(out)
    }

    /// The concurrency level a connection really runs with: its own, or,
    /// when it borrows, its lender's (following chains; a hand-made cycle
    /// stops the walk).
    pub fn effective_concurrency(&self, conn: &Connection) -> Result<u8> {
        let (mut level, mut next) = (conn.concurrency, conn.borrow_concurrency_from.clone());
        let mut seen = HashSet::new();
        while let Some(id) = next {
            if !seen.insert(id.clone()) || seen.len() > 10_000 {
                break;
            }
            match self.connection_by_id(&id)? {
                Some(l) => {
                    level = l.concurrency;
                    next = l.borrow_concurrency_from.clone();
                }
                None => break,
            }
        }
        Ok(level)
    }

    /// The id of the global default connection (`bcconn use --global`): a
    /// personal setting, kept apart from the records.
    pub fn default_connection(&self) -> Result<Option<String>> {
        if let Some(d) = self.default.borrow().as_ref() {
            return Ok(d.clone());
        }
        let d = match &self.backend {
            Some(b) => b.local("default_connection")?,
            None => None,
        };
        *self.default.borrow_mut() = Some(d.clone());
        Ok(d)
    }

    pub fn set_default_connection(&mut self, id: Option<String>) -> Result<()> {
        self.writable()?;
        *self.default.borrow_mut() = Some(id);
        self.default_changed = true;
        Ok(())
    }

    /// Top-level fields of an imported document this version does not know.
    pub fn document_extra(&self) -> Result<Map<String, Value>> {
        Ok(match &self.backend {
            Some(b) => b.document_extra()?,
            None => Map::new(),
        })
    }

    /// A listed secret goes live with its record, in this transaction: its
    /// pending row goes (the record is what names it from now on).
    pub fn secret_live(&mut self, store: &str, account: &str) -> Result<()> {
        self.writable()?;
        if let Some(b) = &self.backend {
            b.ledger_remove(store, account)?;
        }
        Ok(())
    }

    /// Lists a secret the record that used it stops using in this
    /// transaction: once committed, the caller deletes it and forgets the
    /// row; a run killed in between leaves a row the next write finds.
    pub fn secret_retire(&mut self, store: &str, account: &str) -> Result<()> {
        self.writable()?;
        if let Some(b) = &self.backend {
            b.ledger_put(&LedgerEntry::mine(store, account))?;
        }
        Ok(())
    }

    /// Writes what changed and ends the transaction.
    fn commit(self) -> Result<(), StoreError> {
        let Some(b) = self.backend else {
            return Ok(());
        };
        if !self.write {
            return b.commit();
        }
        // Removals first, so a name freed in this transaction can be reused.
        for id in &self.removed {
            b.delete_connection(id)?;
        }
        for id in &self.touched {
            if self.removed.contains(id) {
                continue;
            }
            if let Some(c) = self.conns.get(id) {
                b.put_connection(c, &name_key(&c.name))?;
            }
        }
        if self.iclients_changed
            && let Some(list) = self.iclients.get()
        {
            let before = self.iclients_before.borrow();
            let now: HashSet<&str> = list.iter().map(|i| i.id.as_str()).collect();
            for id in before.keys() {
                if !now.contains(id.as_str()) {
                    b.delete_iclient(id)?;
                }
            }
            for i in list {
                let text = serde_json::to_string(i).map_err(|e| StoreError::BadRecord {
                    path: PathBuf::new(),
                    detail: e.to_string(),
                })?;
                if before.get(&i.id) != Some(&text) {
                    b.put_iclient(i, &name_key(&i.name))?;
                }
            }
        }
        if self.default_changed {
            let d = self.default.borrow().clone().flatten();
            b.set_local("default_connection", d.as_deref())?;
        }
        b.commit()
    }
}

/// In-memory lookups over a whole document (the walk-through and `doctor`
/// work on every record at once).
impl Document {
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| same_name(&c.name, name))
    }

    pub fn connection_mut(&mut self, name: &str) -> Option<&mut Connection> {
        self.connections
            .iter_mut()
            .find(|c| same_name(&c.name, name))
    }

    pub fn connection_by_id(&self, id: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    pub fn iclient(&self, name: &str) -> Option<&IClient> {
        self.iclients.iter().find(|c| same_name(&c.name, name))
    }

    pub fn iclient_by_id(&self, id: &str) -> Option<&IClient> {
        self.iclients.iter().find(|c| c.id == id)
    }

    /// Connections that use the iClient with this id.
    pub fn users_of_iclient(&self, iclient_id: &str) -> Vec<&Connection> {
        self.connections
            .iter()
            .filter(|c| c.iclient_id.as_deref() == Some(iclient_id))
            .collect()
    }

    /// The siblings of a connection: other OAuth connections for the same
    /// store through an app with the same client id. BigCommerce keeps one
    /// token per app and store, so authorizing one ends the others' tokens.
    pub fn siblings_of(&self, c: &Connection) -> Vec<&Connection> {
        let Some(client_id) = self.client_id_of(c) else {
            return Vec::new();
        };
        self.connections
            .iter()
            .filter(|o| {
                o.id != c.id
                    && o.store_hash == c.store_hash
                    && self.client_id_of(o) == Some(client_id)
            })
            .collect()
    }

    /// The client id of an OAuth connection's iClient.
    pub fn client_id_of(&self, c: &Connection) -> Option<&str> {
        if c.auth_type != AuthType::Oauth2 {
            return None;
        }
        c.iclient_id
            .as_deref()
            .and_then(|id| self.iclient_by_id(id))
            .map(|ic| ic.client_id.as_str())
    }

    /// Connections that borrow concurrency from the connection with this id.
    pub fn borrowers_of(&self, id: &str) -> Vec<&Connection> {
        self.connections
            .iter()
            .filter(|c| c.borrow_concurrency_from.as_deref() == Some(id))
            .collect()
    }

    /// The concurrency level a connection really runs with: its own, or, when
    /// it borrows, its lender's (following chains). Cycles cannot be saved,
    /// but a hand-edited file might hold one; the walk stops there.
    pub fn effective_concurrency(&self, conn: &Connection) -> u8 {
        effective_concurrency(
            conn.concurrency,
            conn.borrow_concurrency_from.as_deref(),
            |id| {
                self.connection_by_id(id)
                    .map(|c| (c.concurrency, c.borrow_concurrency_from.as_deref()))
            },
        )
    }
}

/// Parses an interchange document (or an old record file), refusing what
/// this build cannot read. `path` names it in the error.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Document, StoreError> {
    let refuse = |detail: String| StoreError::Import {
        path: path.to_path_buf(),
        detail,
    };
    let full = serde_json::from_slice::<Document>(bytes);
    let version = match &full {
        Ok(file) => Some(u64::from(file.version)),
        Err(_) => {
            #[derive(serde::Deserialize)]
            struct Probe {
                version: Option<serde_json::Value>,
            }
            let probe: Probe = serde_json::from_slice(bytes)
                .map_err(|e| refuse(format!("it is not valid JSON ({e})")))?;
            probe.version.as_ref().and_then(|v| v.as_u64())
        }
    };
    match version {
        Some(v) if v == u64::from(VERSION) => full.map_err(|e| refuse(e.to_string())),
        Some(v) if v >= 1 && v < u64::from(VERSION) => {
            migrate::to_current(bytes, v).map_err(|e| refuse(e.to_string()))
        }
        Some(v) if v > u64::from(VERSION) => Err(refuse(format!(
            "it was written by a newer bcconn (format version {v}; this one reads {VERSION}); upgrade bcconn"
        ))),
        _ => Err(refuse("it has no format version bcconn knows".into())),
    }
}

/// A new random record id: 16 hex digits from the OS's CSPRNG.
pub fn new_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, as RFC 3339 UTC with seconds.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
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
