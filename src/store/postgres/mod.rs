//! The shared store: the records, the ledger, the audit trail and the
//! sealed secrets of a team in one PostgreSQL database
//! (`BCCONN_STORE_URL`), behind the same [`Backend`] as the local SQLite
//! database.
//!
//! One connection per process, opened at the first query. Every round
//! trip is bounded by the connect timeout (5 s unless the URL's
//! `connect_timeout` says otherwise): a server that is down, refusing or
//! answering slowly is one clear error, never a wait for hours and never a
//! fallback to the local database. Writes are serialized by a
//! transaction-level advisory lock, as SQLite's `BEGIN IMMEDIATE` does
//! locally, so a change reads what it changes under the lock. What stays
//! personal (the global default) is kept in the home's SQLite database.

mod connect;
pub mod schema;
mod tx;

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use super::error::StoreError;
use super::sqlite::{Sqlite, Waits};
use super::{Backend, BackendTx, Notice};
use crate::secrets::url::SecretUrl as StoreUrl;
pub use connect::Conn;
use schema::{SCHEMA, STEPS, THIS_VERSION};

/// The advisory lock every write transaction takes (one writer at a time).
const WRITE_LOCK: i64 = 0x6263_636f_6e6e_0001;
/// The advisory lock creating or migrating the schema takes.
const SCHEMA_LOCK: i64 = 0x6263_636f_6e6e_0002;

pub struct Postgres {
    url: StoreUrl,
    /// The redacted URL, as the "path" messages name.
    shown: PathBuf,
    /// The home's own database: personal settings (the global default).
    local: Rc<Sqlite>,
    waits: Waits,
    conn: RefCell<Option<Rc<Conn>>>,
    /// The schema was found usable in this process.
    checked: Cell<bool>,
    /// Authorize locks this process holds (see [`Postgres::hold_authorize`]).
    /// Each with the connection that holds it: a session lock lives and
    /// dies with its connection.
    held: RefCell<Vec<Held>>,
}

/// An authorize lock this process holds, on the connection that holds it.
#[derive(Clone)]
struct Held {
    key: i64,
    conn: Rc<Conn>,
    client_id: String,
    store: String,
}

/// What [`Postgres::probe`] found.
pub struct Probe {
    pub connect: Duration,
    /// The median of three.
    pub round_trip: Duration,
    pub server: String,
    /// (schema version, oldest bcconn that may use it); `None`: no schema yet.
    pub schema: Option<(i64, String)>,
}

/// The advisory lock key of (client id, store hash): the first 8 bytes of
/// their SHA-256, so every machine computes the same.
fn authorize_key(client_id: &str, store: &str) -> i64 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::new()
        .chain_update(b"bcconn authorize\0")
        .chain_update(client_id.as_bytes())
        .chain_update(b"\0")
        .chain_update(store.as_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

impl Postgres {
    pub fn new(url: StoreUrl, home: &Path, waits: Waits) -> Postgres {
        Postgres {
            shown: PathBuf::from(url.redacted()),
            local: Rc::new(Sqlite::new(home.join(super::DB_NAME), waits.clone())),
            url,
            waits,
            conn: RefCell::new(None),
            checked: Cell::new(false),
            held: RefCell::new(Vec::new()),
        }
    }

    /// The connection, opened at first use; while a transaction of this
    /// process holds it (a read snapshot during a write, say), another.
    pub fn conn(&self) -> Result<Rc<Conn>, StoreError> {
        use std::sync::atomic::Ordering;
        if let Some(c) = self.conn.borrow().as_ref()
            && !c.is_closed()
        {
            if !c.in_tx.load(Ordering::SeqCst) {
                return Ok(c.clone());
            }
            return Ok(Rc::new(Conn::open(&self.url)?));
        }
        let c = Rc::new(Conn::open(&self.url)?);
        *self.conn.borrow_mut() = Some(c.clone());
        Ok(c)
    }

    /// Whether the schema is there and this build may use it; creates it
    /// in an empty database when `create`. `false`: no schema (and not
    /// created).
    fn ready(&self, conn: &Conn, create: bool) -> Result<bool, StoreError> {
        if self.checked.get() {
            return Ok(true);
        }
        let found = conn.schema_state()?;
        match found {
            None if !create => return Ok(false),
            None => self.create(conn)?,
            Some((version, min)) => self.check_version(version, &min)?,
        }
        self.checked.set(true);
        Ok(true)
    }

    fn check_version(&self, version: i64, min: &str) -> Result<(), StoreError> {
        if schema::older(THIS_VERSION, min) {
            return Err(StoreError::SharedNeedsVersion {
                url: self.url.redacted(),
                needs: crate::text::outside(min, 40),
                this: THIS_VERSION.into(),
            });
        }
        if version < SCHEMA {
            return Err(StoreError::SharedOlder {
                url: self.url.redacted(),
                found: version,
                known: SCHEMA,
            });
        }
        Ok(())
    }

    /// The schema in an empty database, in one transaction (two machines
    /// doing this at once: the second finds it made).
    fn create(&self, conn: &Conn) -> Result<(), StoreError> {
        self.schema_locked(conn, |state| {
            if state.is_none() {
                conn.batch("CREATE SCHEMA IF NOT EXISTS bcconn")?;
                self.apply_steps(conn, 0, "created")?;
            }
            Ok(())
        })
    }

    /// Runs `change` in one transaction while holding the schema lock,
    /// with the schema's state as read after the lock was granted.
    ///
    /// The lock is a session lock taken before `BEGIN`, not a transaction
    /// lock taken after it: PostgreSQL refreshes its catalog caches when a
    /// transaction starts, so a transaction that began before another
    /// machine's `CREATE` committed could still see no table there, and
    /// create it again ("relation already exists").
    fn schema_locked(
        &self,
        conn: &Conn,
        change: impl FnOnce(Option<(i64, String)>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        conn.simple_value(&format!("SELECT pg_advisory_lock({SCHEMA_LOCK})"))?;
        let done = (|| {
            conn.batch("BEGIN")?;
            let made = conn.schema_state().and_then(change);
            match made {
                Ok(()) => conn.batch("COMMIT"),
                Err(e) => {
                    let _ = conn.batch("ROLLBACK");
                    Err(e)
                }
            }
        })();
        // A connection that died has released the lock with its session.
        let _ = conn.simple_value(&format!("SELECT pg_advisory_unlock({SCHEMA_LOCK})"));
        done
    }

    /// Runs the steps from schema `from` up, records the version, and
    /// says so in the audit trail.
    fn apply_steps(&self, conn: &Conn, from: i64, action: &str) -> Result<(), StoreError> {
        let mut min = "0.0.0";
        for (sql, needs) in &STEPS[from.clamp(0, SCHEMA) as usize..] {
            conn.batch(sql)?;
            min = needs;
        }
        if from > 0 {
            // Keep the oldest version the newest step needs.
            min = STEPS[(SCHEMA - 1) as usize].1;
        }
        for (key, value) in [("schema", SCHEMA.to_string()), ("min_version", min.into())] {
            conn.execute(
                "INSERT INTO bcconn.meta(key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&key, &value],
            )?;
        }
        let entry = store_entry(action, &format!("schema {from} → {SCHEMA}"));
        tx::put_audit(conn, &entry)
    }

    /// `bcconn store migrate`: the shared schema brought up to this
    /// build's, in one transaction. Returns (before, after); equal when
    /// there was nothing to do.
    pub fn migrate(&self) -> Result<(i64, i64), StoreError> {
        let conn = self.conn()?;
        let Some((before, min)) = conn.schema_state()? else {
            self.create(&conn)?;
            return Ok((0, SCHEMA));
        };
        if schema::older(THIS_VERSION, &min) || before >= SCHEMA {
            self.check_version(before.min(SCHEMA), &min)?;
            return Ok((before, before));
        }
        self.schema_locked(&conn, |state| {
            // Another machine may have migrated while this one waited.
            let (now, _) = state.unwrap_or((0, String::new()));
            if now < SCHEMA {
                self.apply_steps(&conn, now, "migrated")?;
            }
            Ok(())
        })?;
        self.checked.set(true);
        Ok((before, SCHEMA))
    }

    /// What `doctor` reports: how long connecting and a round trip take,
    /// the server's version, the schema and the oldest bcconn it takes.
    pub fn probe(&self) -> Result<Probe, StoreError> {
        let clock = &self.waits.clock;
        let started = clock.instant();
        let conn = self.conn()?;
        let connect = clock.instant().saturating_duration_since(started);
        let mut round_trips = Vec::new();
        for _ in 0..3 {
            let t = clock.instant();
            conn.batch("SELECT 1")?;
            round_trips.push(clock.instant().saturating_duration_since(t));
        }
        round_trips.sort();
        let server = conn
            .query_opt("SHOW server_version", &[])?
            .map(|r| r.get::<_, String>(0))
            .unwrap_or_default();
        Ok(Probe {
            connect,
            round_trip: round_trips[1],
            server: crate::text::outside(&server, 60),
            schema: conn.schema_state()?,
        })
    }

    /// The database's name, quoted for SQL (`bcconn store grants`).
    pub fn database(&self) -> String {
        connect::database(&self.url)
    }

    /// The URL, redacted.
    pub fn shown(&self) -> String {
        self.url.redacted()
    }

    /// Holds the lock of (client id, store hash) for this process's life:
    /// one machine authorizes an app on a store at a time (BigCommerce keeps
    /// one token per app and store; two flows would end each other's). A
    /// session advisory lock, so it needs a direct connection or session
    /// pooling. The holder writes who it is in `bcconn.writers`, for the
    /// others' message; the lock, not the row, is the truth. With `wait`,
    /// tries until then; `say` is told once that it waits.
    pub fn hold_authorize(
        &self,
        client_id: &str,
        store: &str,
        wait: Option<Duration>,
        say: &dyn Fn(&str),
    ) -> Result<(), StoreError> {
        let key = authorize_key(client_id, store);
        // Taken before (a walk-through that went back): still ours, or
        // taken again, or who holds it now.
        if self.held.borrow().iter().any(|h| h.key == key) {
            return self.confirm_authorize();
        }
        let conn = self.conn()?;
        if !self.ready(&conn, true)? {
            return Ok(());
        }
        let clock = &self.waits.clock;
        let start = clock.instant();
        let mut said = false;
        loop {
            if conn.simple_bool(&format!("SELECT pg_try_advisory_lock({key})"))? {
                break;
            }
            let holder = self.holder(&conn, key);
            let waited = clock.instant().saturating_duration_since(start);
            match wait {
                Some(limit) if waited < limit => {
                    if !said {
                        said = true;
                        say(&format!(
                            "waiting: {store} is being authorized with this app by {holder}"
                        ));
                    }
                    clock.sleep(Duration::from_millis(500));
                }
                _ => {
                    return Err(StoreError::AuthorizeHeld {
                        store: crate::text::outside(store, 80),
                        client_id: crate::text::outside(client_id, 80),
                        holder,
                    });
                }
            }
        }
        self.held.borrow_mut().push(Held {
            key,
            conn: conn.clone(),
            client_id: client_id.to_string(),
            store: store.to_string(),
        });
        // Best effort: a read-only role cannot write the row, and the lock
        // holds without it.
        let _ = conn.execute(
            "INSERT INTO bcconn.writers(lock_key, client_id, store_hash, user_name, host, pid, since) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (lock_key) DO UPDATE SET \
             client_id = $2, store_hash = $3, user_name = $4, host = $5, pid = $6, since = $7",
            &[
                &key,
                &client_id,
                &store,
                &super::audit::who().0,
                &super::audit::who().1,
                &i64::from(std::process::id()),
                &super::now(),
            ],
        );
        Ok(())
    }

    /// Before a token is saved: every authorize lock this process took is
    /// still held (taken again if its connection dropped and nobody else
    /// took it meanwhile), or the save stops naming who holds it now.
    pub fn confirm_authorize(&self) -> Result<(), StoreError> {
        let held: Vec<Held> = self.held.borrow().clone();
        for h in held {
            // Still ours while its connection lives; a connection that
            // dropped (a restart, a failover) took the lock with it.
            if h.conn.alive() {
                continue;
            }
            tracing::debug!("the authorize lock's connection was lost; taking the lock again");
            self.held.borrow_mut().retain(|x| x.key != h.key);
            let conn = self.conn()?;
            if !conn.simple_bool(&format!("SELECT pg_try_advisory_lock({})", h.key))? {
                return Err(StoreError::AuthorizeHeld {
                    store: crate::text::outside(&h.store, 80),
                    client_id: crate::text::outside(&h.client_id, 80),
                    holder: format!(
                        "{} (this run's connection to the shared store dropped during the flow)",
                        self.holder(&conn, h.key)
                    ),
                });
            }
            self.held.borrow_mut().push(Held { conn, ..h });
        }
        Ok(())
    }

    /// Who holds the authorize lock `key`, from the row its holder wrote.
    fn holder(&self, conn: &Conn, key: i64) -> String {
        let row = conn
            .query_opt(
                "SELECT user_name, host, since FROM bcconn.writers WHERE lock_key = $1",
                &[&key],
            )
            .ok()
            .flatten();
        match row {
            Some(r) => {
                let (user, host, since): (String, String, String) = (r.get(0), r.get(1), r.get(2));
                format!(
                    "{}@{} since {}",
                    crate::text::outside(&user, 64),
                    crate::text::outside(&host, 64),
                    crate::text::outside(&since, 40)
                )
            }
            None => "another bcconn (it has not said who yet)".into(),
        }
    }

    /// Waits for the write lock: tries, sleeps a little, says so after a
    /// second, gives up after the lock wait.
    fn write_lock(&self, conn: &Conn, sink: &Rc<dyn Fn(Notice)>) -> Result<(), StoreError> {
        let clock = &self.waits.clock;
        let start = clock.instant();
        let mut said = false;
        let mut tries = 0u32;
        loop {
            if conn.simple_bool(&format!("SELECT pg_try_advisory_xact_lock({WRITE_LOCK})"))? {
                return Ok(());
            }
            let waited = clock.instant().saturating_duration_since(start);
            if waited >= self.waits.limit {
                return Err(StoreError::Busy {
                    path: self.shown.clone(),
                    waited_s: self.waits.limit.as_secs(),
                    holder: None,
                });
            }
            if waited >= Duration::from_secs(1) && !said {
                said = true;
                sink(Notice::Waiting {
                    holder: None,
                    up_to: self.waits.limit,
                });
            }
            tries += 1;
            clock.sleep(Duration::from_millis(match tries {
                0..=3 => 2,
                4..=10 => 10,
                _ => 25,
            }));
        }
    }
}

/// An audit entry about the shared store itself (its schema made or moved).
fn store_entry(action: &str, what: &str) -> super::AuditEntry {
    super::AuditEntry::now(
        "store migrate",
        super::audit::STORE,
        ("", "schema"),
        action,
        vec![what.into()],
    )
}

impl Backend for Postgres {
    fn shared(&self) -> Option<&Postgres> {
        Some(self)
    }

    fn path(&self) -> &Path {
        &self.shown
    }

    fn exists(&self) -> bool {
        self.conn()
            .and_then(|c| c.schema_state())
            .is_ok_and(|s| s.is_some())
    }

    fn begin(
        &self,
        write: bool,
        sink: &Rc<dyn Fn(Notice)>,
    ) -> Result<Option<Box<dyn BackendTx>>, StoreError> {
        let conn = self.conn()?;
        if !self.ready(&conn, write)? {
            return Ok(None);
        }
        if write {
            conn.batch("BEGIN")?;
            if let Err(e) = self.write_lock(&conn, sink) {
                let _ = conn.batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(Some(Box::new(tx::PgTx::new(
            conn,
            self.shown.clone(),
            write,
            self.local.clone(),
            sink.clone(),
        ))))
    }

    fn writer(&self, _wait: Duration) -> Result<Option<Option<u32>>, StoreError> {
        let conn = self.conn()?;
        // Taken and let go at once: whether another writer holds it now.
        conn.batch("BEGIN")?;
        let free = conn.simple_bool(&format!("SELECT pg_try_advisory_xact_lock({WRITE_LOCK})"));
        let _ = conn.batch("ROLLBACK");
        Ok(if free? { None } else { Some(None) })
    }
}
