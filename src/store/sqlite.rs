//! The embedded store: one SQLite database, `$BCCONN_HOME/bcconn.db`.
//!
//! WAL with `synchronous=FULL` (a committed change survives power loss),
//! one connection per transaction (a CLI run makes one or two), every change
//! a `BEGIN IMMEDIATE` transaction, a bounded wait on another writer. Each
//! record's full JSON sits in a table of its own beside the indexed columns,
//! so `list` scans only the narrow table.

mod tx;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::Clock;

use rusqlite::{OpenFlags, OptionalExtension};

use super::error::StoreError;
use super::{Backend, BackendTx, Notice};
use tx::SqliteTx;

/// The schema this build writes. Migrations only go forward.
pub const SCHEMA: i64 = 3;

/// How long a change waits on another process's write before giving up,
/// unless `BCCONN_LOCK_WAIT` says otherwise.
pub const BUSY_LIMIT: Duration = crate::fsutil::LOCK_WAIT;

/// How a change waits on another process's write: on which clock, and for
/// how long at most.
#[derive(Clone)]
pub struct Waits {
    pub clock: Arc<dyn Clock>,
    pub limit: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            clock: crate::clock::system(),
            limit: BUSY_LIMIT,
        }
    }
}
/// When a waiting change says so.
const BUSY_SAY: Duration = Duration::from_secs(1);

/// `MIGRATIONS[n]` takes a database at schema `n` to `n + 1`.
const MIGRATIONS: [&str; SCHEMA as usize] = [
    r#"
CREATE TABLE iclients (
    seq       INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    name_key  TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    record    TEXT NOT NULL
);
CREATE INDEX iclients_client_id ON iclients(client_id);
CREATE TABLE connections (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    auth_type   TEXT NOT NULL,
    store_hash  TEXT NOT NULL,
    state       TEXT NOT NULL,
    iclient_id  TEXT,
    concurrency INTEGER NOT NULL,
    borrow_from TEXT,
    first_scope TEXT,
    scope_count INTEGER NOT NULL,
    plain       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX connections_iclient ON connections(iclient_id);
CREATE INDEX connections_store ON connections(store_hash);
CREATE INDEX connections_borrow ON connections(borrow_from);
CREATE TABLE connection_records (
    seq    INTEGER PRIMARY KEY,
    record TEXT NOT NULL
);
CREATE TABLE document (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE local (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE secret_ledger (
    store      TEXT NOT NULL,
    account    TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    started    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (store, account)
) WITHOUT ROWID;
CREATE TABLE token_generations (
    connection_id TEXT PRIMARY KEY,
    last          INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    r#"
CREATE TABLE sealed_secrets (
    account    TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX sealed_secrets_key ON sealed_secrets(key_id);
"#,
    // The audit trail (`bcconn history`). `name_key` is the folded
    // subject_name, so a deleted or renamed record is found by the name it
    // had; `fields` is a JSON array of field names (never values).
    r#"
CREATE TABLE audit (
    seq          INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    user         TEXT NOT NULL,
    host         TEXT NOT NULL,
    verb         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    action       TEXT NOT NULL,
    fields       TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit(subject_id);
CREATE INDEX audit_name ON audit(name_key);
"#,
];

pub struct Sqlite {
    path: PathBuf,
    waits: Waits,
    /// The command making changes, for the entry a migration writes
    /// (shared with the [`super::Records`] that set it).
    verb: std::rc::Rc<std::cell::RefCell<String>>,
}

/// Where a waiting change's notice goes (the database, and the store's
/// sink) and how it waits. SQLite's busy handler is a plain `fn`, so what
/// it needs is set here, per thread, for each transaction.
type Sink = (PathBuf, std::rc::Rc<dyn Fn(Notice)>, Waits);

thread_local! {
    /// The wait on a busy database: when it began, whether it was said,
    /// and to whom (the store's notice sink, set for each transaction).
    static WAIT: Cell<Option<Instant>> = const { Cell::new(None) };
    static SAID: Cell<bool> = const { Cell::new(false) };
    static SINK: std::cell::RefCell<Option<Sink>> = const { std::cell::RefCell::new(None) };
}

/// SQLite calls this while another connection holds the lock: sleep a
/// little, say so after a second, give up after [`BUSY_LIMIT`].
fn busy(count: i32) -> bool {
    let waits = SINK.with(|s| s.borrow().as_ref().map(|(_, _, w)| w.clone()));
    let waits = waits.unwrap_or_default();
    let now = waits.clock.instant();
    let start = WAIT.with(|w| {
        if count == 0 || w.get().is_none() {
            w.set(Some(now));
            SAID.with(|s| s.set(false));
        }
        w.get().unwrap_or(now)
    });
    let waited = now.saturating_duration_since(start);
    if waited >= waits.limit {
        return false;
    }
    if waited >= BUSY_SAY && !SAID.with(|s| s.replace(true)) {
        SINK.with(|s| {
            if let Some((path, sink, waits)) = s.borrow().as_ref() {
                sink(Notice::Waiting {
                    holder: holder(path),
                    up_to: waits.limit,
                });
            }
        });
    }
    waits.clock.sleep(Duration::from_millis(match count {
        0..=2 => 1,
        3..=5 => 5,
        _ => 20,
    }));
    true
}

/// The longest wait of this thread's transaction (for its error).
fn limit() -> Duration {
    SINK.with(|s| s.borrow().as_ref().map(|(_, _, w)| w.limit))
        .unwrap_or(BUSY_LIMIT)
}

/// The writer's pid note beside the database, if that process still runs.
fn holder(db: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(note_path(db)).ok()?;
    let mut words = text.split_whitespace();
    let pid: u32 = words.next()?.parse().ok()?;
    // With its start time, a pid reused by another process is not named.
    super::ledger::alive(pid, words.next()).then_some(pid)
}

/// Writes this process's pid into the note (0600, like the database).
fn write_note(path: &Path) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    if let Ok(mut f) = options.open(path) {
        let pid = std::process::id();
        let started = super::ledger::start_time(pid).unwrap_or_default();
        let _ = std::io::Write::write_all(&mut f, format!("{pid} {started}\n").as_bytes());
    }
}

pub fn note_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".writer");
    PathBuf::from(p)
}

impl Sqlite {
    pub fn new(path: PathBuf, waits: Waits) -> Sqlite {
        Sqlite {
            path,
            waits,
            verb: std::rc::Rc::new(std::cell::RefCell::new(super::audit::NO_VERB.into())),
        }
    }

    /// The verb a migration's audit entry names is read from `verb`.
    pub fn with_verb(mut self, verb: std::rc::Rc<std::cell::RefCell<String>>) -> Sqlite {
        self.verb = verb;
        self
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        sqlite_error(&self.path, source)
    }

    /// Opens the database, creating it (0600) when `create`; `None` when
    /// there is none and `create` is false.
    fn open(
        &self,
        create: bool,
        sink: &std::rc::Rc<dyn Fn(Notice)>,
    ) -> Result<Option<rusqlite::Connection>, StoreError> {
        match std::fs::metadata(&self.path) {
            Ok(m) if m.is_file() && create && m.permissions().readonly() => {
                return Err(StoreError::ReadOnlyFile {
                    path: self.path.clone(),
                });
            }
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(StoreError::Unreadable {
                    path: self.path.clone(),
                    detail: "it is not a regular file".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !create {
                    return Ok(None);
                }
                create_private(&self.path).map_err(|e| StoreError::Unreadable {
                    path: self.path.clone(),
                    detail: format!("cannot create it: {e}"),
                })?;
            }
            Err(e) => {
                return Err(StoreError::Unreadable {
                    path: self.path.clone(),
                    detail: e.to_string(),
                });
            }
        }
        let mut conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.err(e))?;
        conn.busy_handler(Some(busy)).map_err(|e| self.err(e))?;
        SINK.with(|s| {
            *s.borrow_mut() = Some((self.path.clone(), sink.clone(), self.waits.clone()));
        });
        // Read before anything is written: a newer database stays as it is.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if version > SCHEMA {
            return Err(StoreError::Newer {
                path: self.path.clone(),
                found: version,
                known: SCHEMA,
            });
        }
        self.journal(&conn, sink)?;
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;")
            .map_err(|e| self.err(e))?;
        if version < SCHEMA {
            self.migrate(&conn)?;
        }
        Ok(Some(conn))
    }

    /// WAL where it works; a rollback journal on a network filesystem
    /// (WAL needs shared memory between the processes of one host).
    fn journal(
        &self,
        conn: &rusqlite::Connection,
        sink: &std::rc::Rc<dyn Fn(Notice)>,
    ) -> Result<(), StoreError> {
        let want = if on_network_fs(&self.path) {
            "delete"
        } else {
            "wal"
        };
        let mode: String = conn
            .query_row(&format!("PRAGMA journal_mode={want}"), [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            let said: Option<String> = conn
                .query_row(
                    "SELECT value FROM local WHERE key = 'journal_note'",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .unwrap_or(None);
            if said.is_none() {
                sink(Notice::RollbackJournal);
                let _ = conn.execute(
                    "INSERT OR REPLACE INTO local(key, value) VALUES ('journal_note', '1')",
                    [],
                );
            }
        }
        Ok(())
    }

    fn migrate(&self, conn: &rusqlite::Connection) -> Result<(), StoreError> {
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))?;
        let result = (|| {
            // Another run may have migrated while this one waited.
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            for step in &MIGRATIONS[version.clamp(0, SCHEMA) as usize..] {
                conn.execute_batch(step)?;
            }
            conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA}"))?;
            // A database that held records says when it changed shape and
            // who did it; a new one has no history to tell.
            if (1..SCHEMA).contains(&version) {
                tx::insert_audit(
                    conn,
                    &super::AuditEntry::now(
                        &self.verb.borrow(),
                        super::audit::STORE,
                        ("", ""),
                        "migrated",
                        vec![format!("schema {version} to {SCHEMA}")],
                    ),
                )?;
            }
            conn.execute_batch("COMMIT")
        })();
        if let Err(e) = result {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(self.err(e));
        }
        Ok(())
    }
}

/// Folds the write-ahead log into the database file (best effort: a
/// damaged database is left as it is).
pub fn checkpoint(path: &Path) {
    if let Ok(conn) = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        let _ = conn.busy_timeout(BUSY_LIMIT);
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
}

/// Checks that `path` is a bcconn database this build can read: it opens
/// read-only, passes `PRAGMA quick_check`, and has a known schema.
pub fn check_file(path: &Path) -> Result<i64, StoreError> {
    let bad = |detail: String| StoreError::Unreadable {
        path: path.to_path_buf(),
        detail,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(bad("it is not a regular file".into())),
        Err(e) => return Err(bad(e.to_string())),
    }
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sqlite_error(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| sqlite_error(path, e))?;
    if version > SCHEMA {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA,
        });
    }
    if version < 1 {
        return Err(bad("it is not a bcconn database".into()));
    }
    let problems: Vec<String> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| sqlite_error(path, e))?;
    if problems.iter().any(|p| p != "ok") {
        return Err(bad(format!(
            "its integrity check failed: {}",
            problems.first().cloned().unwrap_or_default()
        )));
    }
    Ok(version)
}

impl Backend for Sqlite {
    fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self, wait: Duration) -> Result<Option<Option<u32>>, StoreError> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.err(e))?;
        conn.busy_timeout(wait).map_err(|e| self.err(e))?;
        match conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => {
                let _ = conn.execute_batch("ROLLBACK");
                Ok(None)
            }
            Err(e) if is_busy(&e) => Ok(Some(holder(&self.path))),
            Err(e) => Err(self.err(e)),
        }
    }

    fn exists(&self) -> bool {
        self.path.exists()
    }

    fn begin(
        &self,
        write: bool,
        sink: &std::rc::Rc<dyn Fn(Notice)>,
    ) -> Result<Option<Box<dyn BackendTx>>, StoreError> {
        let Some(conn) = self.open(write, sink)? else {
            return Ok(None);
        };
        if write {
            WAIT.with(|w| w.set(None));
            conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| {
                if is_busy(&e) {
                    StoreError::Busy {
                        path: self.path.clone(),
                        waited_s: self.waits.limit.as_secs(),
                        holder: holder(&self.path),
                    }
                } else {
                    self.err(e)
                }
            })?;
            // Who holds the write lock, for anyone who waits on it.
            write_note(&note_path(&self.path));
        }
        Ok(Some(Box::new(SqliteTx {
            conn,
            path: self.path.clone(),
            write,
            done: false,
        })))
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

pub(super) fn sqlite_error(path: &Path, source: rusqlite::Error) -> StoreError {
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            StoreError::Unreadable {
                path: path.to_path_buf(),
                detail: "it is not a bcconn database, or it is damaged".into(),
            }
        }
        Some(rusqlite::ErrorCode::SystemIoFailure) => StoreError::Unreadable {
            path: path.to_path_buf(),
            detail: "the system could not read or write it (disk I/O error)".into(),
        },
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Busy {
                path: path.to_path_buf(),
                waited_s: limit().as_secs(),
                holder: holder(path),
            }
        }
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Creates an empty file readable by its owner only, so the `-wal` and
/// `-shm` files SQLite makes beside it get the same mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// NFS, SMB/CIFS, 9p (WSL's Windows drives), AFS, Ceph: filesystems where
/// WAL's shared memory does not work across hosts.
#[cfg(target_os = "linux")]
fn on_network_fs(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid C string and `st` a writable statfs.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    const NETWORK: [i64; 7] = [
        0x6969,      // NFS
        0x517B,      // SMB
        0xFF53_4D42, // CIFS
        0xFE53_4D42, // SMB2
        0x0102_1997, // 9p
        0x5346_414F, // AFS
        0x00C3_6400, // Ceph
    ];
    #[allow(clippy::unnecessary_cast)]
    let kind = st.f_type as i64;
    NETWORK.contains(&kind)
}

#[cfg(not(target_os = "linux"))]
fn on_network_fs(_path: &Path) -> bool {
    false
}
