//! [`Records`]: the store under one home directory, its transactions and
//! what is done to the whole file (import, restore, backup, check).

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::Result;

use super::*;

/// The records under one home directory.
pub struct Records {
    dir: PathBuf,
    /// Shared with [`Records::again`]'s handles (one connection to a
    /// shared store per process, when no transaction holds it).
    backend: Rc<dyn Backend>,
    /// `BCCONN_STORE_URL`: the records are in the shared store.
    url: Option<crate::secrets::url::SecretUrl>,
    /// How a change waits on another writer (also the old file's lock).
    pub(super) waits: sqlite::Waits,
    pub(super) sink: RefCell<Rc<dyn Fn(Notice)>>,
    /// A write transaction of this store is open in this process.
    writing: Cell<bool>,
    /// The old record file was looked at in this process.
    imported: Cell<bool>,
    /// A change was committed in this process.
    wrote: Cell<bool>,
    /// See [`Records::refuse_local`].
    refused: Cell<bool>,
    /// The command making changes, named by each audit entry (shared with
    /// the backend, whose migrations write one too).
    pub(super) verb: Rc<RefCell<String>>,
    /// Unit tests: make the commit fail after the change was accepted.
    #[cfg(test)]
    fail_writes: Cell<bool>,
}

impl Records {
    pub fn new(dir: &Path) -> Self {
        Records::with_waits(dir, sqlite::Waits::default())
    }

    /// Records whose changes wait on another writer as `waits` says.
    pub fn with_waits(dir: &Path, waits: sqlite::Waits) -> Self {
        Records::open(dir, None, waits)
    }

    /// The records in the shared store at `url` when given (personal
    /// settings stay in `dir`), else in `dir`'s database.
    pub fn open(
        dir: &Path,
        url: Option<crate::secrets::url::SecretUrl>,
        waits: sqlite::Waits,
    ) -> Self {
        let verb = Rc::new(RefCell::new(audit::NO_VERB.to_string()));
        let backend: Rc<dyn Backend> = match &url {
            Some(url) => Rc::new(postgres::Postgres::new(url.clone(), dir, waits.clone())),
            None => Rc::new(
                sqlite::Sqlite::new(dir.join(DB_NAME), waits.clone()).with_verb(verb.clone()),
            ),
        };
        Records {
            dir: dir.to_path_buf(),
            backend,
            url,
            verb,
            waits,
            sink: RefCell::new(Rc::new(|_| {})),
            writing: Cell::new(false),
            imported: Cell::new(false),
            refused: Cell::new(false),
            wrote: Cell::new(false),
            #[cfg(test)]
            fail_writes: Cell::new(false),
        }
    }

    /// The command whose changes follow (`authorize`, `iclient add`): every
    /// audit entry names it.
    pub fn set_verb(&self, verb: &str) {
        *self.verb.borrow_mut() = verb.to_string();
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

    /// How a change waits on another writer.
    pub fn waits(&self) -> &sqlite::Waits {
        &self.waits
    }

    /// Refuses every transaction: an outer `bcconn exec` removed
    /// `BCCONN_STORE_URL`, and this machine's own records are not the ones
    /// the team uses.
    pub fn refuse_local(&self) {
        self.refused.set(true);
    }

    /// Another handle on the same records and engine, with transactions
    /// of its own (the sealed store's, beside the records').
    pub fn again(&self) -> Records {
        Records {
            dir: self.dir.clone(),
            backend: self.backend.clone(),
            url: self.url.clone(),
            verb: self.verb.clone(),
            waits: self.waits.clone(),
            sink: RefCell::new(self.sink.borrow().clone()),
            writing: Cell::new(false),
            imported: Cell::new(self.imported.get()),
            refused: Cell::new(self.refused.get()),
            wrote: Cell::new(false),
            #[cfg(test)]
            fail_writes: Cell::new(false),
        }
    }

    /// The shared store, when the records are in one.
    pub fn shared(&self) -> Option<&postgres::Postgres> {
        self.backend.shared()
    }

    /// With a shared store, holds the lock that lets one machine at a time
    /// authorize `client_id` on `store` (until this process ends); waits up
    /// to `wait` for another holder when given. Nothing to hold locally.
    pub fn hold_authorize(
        &self,
        client_id: &str,
        store: &str,
        wait: Option<std::time::Duration>,
        say: &dyn Fn(&str),
    ) -> Result<()> {
        if let Some(pg) = self.shared() {
            pg.hold_authorize(client_id, store, wait, say)?;
        }
        Ok(())
    }

    /// Before a token is saved: the authorize locks this run took are still
    /// its own (see `Postgres::confirm_authorize`).
    pub fn confirm_authorize(&self) -> Result<()> {
        if let Some(pg) = self.shared() {
            pg.confirm_authorize()?;
        }
        Ok(())
    }

    /// Refuses what works on the local database only.
    fn local_only(&self, what: &'static str) -> Result<(), StoreError> {
        match &self.url {
            Some(url) => Err(StoreError::NotLocal {
                what,
                url: url.redacted(),
            }),
            None => Ok(()),
        }
    }

    /// Whether there is a database (for a shared store: its schema) yet.
    pub fn exists(&self) -> bool {
        self.backend.exists()
    }

    /// The database file (the redacted URL of a shared store).
    pub fn path(&self) -> PathBuf {
        self.backend.path().to_path_buf()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn check_home(&self) -> Result<(), StoreError> {
        if self.refused.get() {
            return Err(StoreError::StoreUrlRemoved);
        }
        if self.dir.is_absolute() {
            Ok(())
        } else {
            Err(StoreError::NoHome)
        }
    }

    pub(super) fn begin(&self, write: bool) -> Result<Option<Box<dyn BackendTx>>, StoreError> {
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
        // A shared store never takes in one machine's old file.
        if self.imported.replace(true)
            || !self.dir.is_absolute()
            || self.url.is_some()
            || self.refused.get()
        {
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
            let mut tx = Tx::new(backend, true).with_verb(&self.verb.borrow());
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
        self.local_only("`bcconn restore`")?;
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
            let report = migrate::apply(tx.as_ref(), doc, mode, source, &self.verb.borrow())?;
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
        self.local_only("`bcconn backup`")?;
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

    /// The name of the connection that superseded this one: `None` when
    /// it is not superseded, "(deleted)" when that one is gone.
    pub fn superseded_by(&self, id: &str) -> Result<Option<String>> {
        let by = self.tx.connections(Filter::Id(id))?.into_iter().next();
        let Some(by) = by.and_then(|c| c.superseded_by) else {
            return Ok(None);
        };
        Ok(Some(
            self.name_of(&by)?.unwrap_or_else(|| "(deleted)".into()),
        ))
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
