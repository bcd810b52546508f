//! A transaction on the shared store: the queries behind [`BackendTx`] in
//! PostgreSQL's dialect. A read outside a snapshot runs each query on its
//! own (it sees the latest commit); a write is one transaction under the
//! write lock, rolled back unless committed.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::{Map, Value};
use tokio_postgres::Row;

use super::super::error::StoreError;
use super::super::sqlite::Sqlite;
use super::super::{
    AuditEntry, AuditFilter, Backend, BackendTx, Borrowing, Connection, Filter, IClient,
    LedgerEntry, ListRow, ListWidths, Notice,
};
use super::Conn;
use crate::secrets::seal::SealedRow;

pub(super) struct PgTx {
    conn: Rc<Conn>,
    shown: PathBuf,
    write: bool,
    /// A transaction is open on the connection (a write, or a snapshot).
    open: Cell<bool>,
    /// This transaction marked the connection as held (`Conn::in_tx`).
    held: Cell<bool>,
    local: Rc<Sqlite>,
    sink: Rc<dyn Fn(Notice)>,
    /// Personal settings changed here: written to the home's database
    /// once the shared change is committed.
    local_changes: RefCell<Vec<(String, Option<String>)>>,
}

impl PgTx {
    pub(super) fn new(
        conn: Rc<Conn>,
        shown: PathBuf,
        write: bool,
        local: Rc<Sqlite>,
        sink: Rc<dyn Fn(Notice)>,
    ) -> PgTx {
        if write {
            conn.in_tx.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        PgTx {
            conn,
            shown,
            write,
            open: Cell::new(write),
            held: Cell::new(write),
            local,
            sink,
            local_changes: RefCell::new(Vec::new()),
        }
    }

    fn bad(&self, detail: impl std::fmt::Display) -> StoreError {
        StoreError::BadRecord {
            path: self.shown.clone(),
            detail: detail.to_string(),
        }
    }

    fn records<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        kind: &str,
    ) -> Result<Vec<T>, StoreError> {
        self.conn
            .query(sql, params)?
            .iter()
            .map(|r| self.record(r, kind))
            .collect()
    }

    /// A row of (id, name, record JSON), parsed; one that does not parse is
    /// named by its indexed columns.
    fn record<T: serde::de::DeserializeOwned>(&self, r: &Row, kind: &str) -> Result<T, StoreError> {
        let (id, name, text): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        serde_json::from_str(&text).map_err(|e| {
            self.bad(format!(
                "{kind} {} (id {}): {e}",
                crate::text::outside(&name, 80),
                crate::text::outside(&id, 40)
            ))
        })
    }

    fn connections_where(
        &self,
        filter: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Connection>, StoreError> {
        self.records(
            &format!("SELECT id, name, record FROM bcconn.connections {filter} ORDER BY seq"),
            params,
            "connection",
        )
    }

    fn iclients_where(
        &self,
        filter: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<IClient>, StoreError> {
        self.records(
            &format!("SELECT id, name, record FROM bcconn.iclients {filter} ORDER BY seq"),
            params,
            "iClient",
        )
    }

    /// A unique-name violation as the name taken.
    fn taken(&self, e: StoreError, name: &str) -> StoreError {
        match &e {
            StoreError::Shared { detail, .. } if detail.contains("name_key") => {
                StoreError::NameTaken {
                    name: name.to_string(),
                }
            }
            _ => e,
        }
    }

    fn sealed_rows(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<(String, SealedRow)>, StoreError> {
        Ok(self
            .conn
            .query(sql, params)?
            .iter()
            .map(|r| (r.get::<_, String>(3), sealed_row(r)))
            .collect())
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        if self.open.get() && !self.conn.is_broken() {
            let _ = self.conn.batch("ROLLBACK");
        }
        // Only a transaction that held the connection lets it go.
        if self.held.get() {
            self.conn
                .in_tx
                .store(false, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

fn sealed_row(r: &Row) -> SealedRow {
    SealedRow {
        key_id: r.get(0),
        nonce: r.get(1),
        ciphertext: r.get(2),
    }
}

/// Writes an audit entry on `conn` (inside its transaction).
pub(super) fn put_audit(conn: &Conn, e: &AuditEntry) -> Result<(), StoreError> {
    let fields = serde_json::to_string(&e.fields).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "INSERT INTO bcconn.audit(at, user_name, host, verb, kind, subject_id, subject_name, \
         name_key, action, fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &e.at,
            &e.user,
            &e.host,
            &e.verb,
            &e.kind,
            &e.subject_id,
            &e.subject_name,
            &super::super::name_key(&e.subject_name),
            &e.action,
            &fields,
        ],
    )
    .map(drop)
}

impl BackendTx for PgTx {
    fn connections(&self, filter: Filter<'_>) -> Result<Vec<Connection>, StoreError> {
        match filter {
            Filter::All => self.connections_where("", &[]),
            Filter::Id(id) => self.connections_where("WHERE id = $1", &[&id]),
            Filter::NameKey(key) => self.connections_where("WHERE name_key = $1", &[&key]),
            Filter::IClient(id) => self.connections_where("WHERE iclient_id = $1", &[&id]),
            Filter::Store(hash) => self.connections_where("WHERE store_hash = $1", &[&hash]),
            Filter::BorrowingFrom(id) => self.connections_where("WHERE borrow_from = $1", &[&id]),
            Filter::ClientId(_) => Ok(Vec::new()),
        }
    }

    fn iclients(&self, filter: Filter<'_>) -> Result<Vec<IClient>, StoreError> {
        match filter {
            Filter::All => self.iclients_where("", &[]),
            Filter::Id(id) => self.iclients_where("WHERE id = $1", &[&id]),
            Filter::NameKey(key) => self.iclients_where("WHERE name_key = $1", &[&key]),
            Filter::ClientId(cid) => self.iclients_where("WHERE client_id = $1", &[&cid]),
            _ => Ok(Vec::new()),
        }
    }

    fn connection_names(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .conn
            .query("SELECT id, name FROM bcconn.connections ORDER BY seq", &[])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn count(&self) -> Result<(u64, u64), StoreError> {
        let r = self.conn.query(
            "SELECT (SELECT count(*) FROM bcconn.iclients), (SELECT count(*) FROM bcconn.connections)",
            &[],
        )?;
        let r = &r[0];
        Ok((r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
    }

    fn borrowing(&self) -> Result<Vec<Borrowing>, StoreError> {
        // Every borrower and every lender up its chain, in one recursive
        // query (a few rows, however many connections).
        Ok(self
            .conn
            .query(
                "WITH RECURSIVE chain(id, name, concurrency, borrow_from, seq) AS ( \
                   SELECT id, name, concurrency, borrow_from, seq FROM bcconn.connections \
                   WHERE borrow_from IS NOT NULL \
                   UNION \
                   SELECT c.id, c.name, c.concurrency, c.borrow_from, c.seq \
                   FROM bcconn.connections c JOIN chain ON c.id = chain.borrow_from) \
                 SELECT DISTINCT id, name, concurrency, borrow_from, seq FROM chain ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    r.get(1),
                    r.get::<_, i32>(2).clamp(0, 255) as u8,
                    r.get(3),
                )
            })
            .collect())
    }

    fn list_widths(
        &self,
        _max_name: usize,
        _max_other: usize,
    ) -> Result<Option<ListWidths>, StoreError> {
        // `list` measures each row itself: one pass over the narrow columns.
        Ok(None)
    }

    fn snapshot(&self) -> Result<(), StoreError> {
        if !self.open.get() {
            self.conn
                .batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
            self.open.set(true);
            self.held.set(true);
            self.conn
                .in_tx
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }

    fn list_rows(
        &self,
        each: &mut dyn FnMut(ListRow<'_>) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        let rows = self.conn.query(
            "SELECT id, name, store_hash, auth_type, state, iclient_id, first_scope, \
             scope_count, concurrency, borrow_from FROM bcconn.connections ORDER BY seq",
            &[],
        )?;
        for r in &rows {
            let row = ListRow {
                id: r.get(0),
                name: r.get(1),
                store_hash: r.get(2),
                auth_type: r.get(3),
                state: r.get(4),
                iclient_id: r.get(5),
                first_scope: r.get(6),
                scope_count: r.get::<_, i32>(7).max(0) as usize,
                concurrency: r.get::<_, i32>(8).clamp(0, 255) as u8,
                borrow_from: r.get(9),
            };
            each(row).map_err(|e| StoreError::Unreadable {
                path: self.shown.clone(),
                detail: format!("writing the list: {e}"),
            })?;
        }
        Ok(())
    }

    fn each_connection(
        &self,
        each: &mut dyn FnMut(Connection) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        // In pages by sequence number: never every record in memory.
        let mut after = 0i64;
        loop {
            let rows = self.conn.query(
                "SELECT id, name, record, seq FROM bcconn.connections WHERE seq > $1 \
                 ORDER BY seq LIMIT 500",
                &[&after],
            )?;
            if rows.is_empty() {
                return Ok(());
            }
            for r in &rows {
                after = r.get(3);
                let c: Connection = self.record(r, "connection")?;
                each(c).map_err(|e| StoreError::Unreadable {
                    path: self.shown.clone(),
                    detail: format!("writing the list: {e}"),
                })?;
            }
        }
    }

    fn put_connection(&self, c: &Connection, name_key: &str) -> Result<(), StoreError> {
        let record = serde_json::to_string(c).map_err(|e| self.bad(e))?;
        self.conn
            .execute(
                "INSERT INTO bcconn.connections(id, name, name_key, auth_type, store_hash, state, \
                 iclient_id, concurrency, borrow_from, first_scope, scope_count, record) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (id) DO UPDATE SET name = $2, name_key = $3, auth_type = $4, \
                 store_hash = $5, state = $6, iclient_id = $7, concurrency = $8, \
                 borrow_from = $9, first_scope = $10, scope_count = $11, record = $12",
                &[
                    &c.id,
                    &c.name,
                    &name_key,
                    &c.auth_type.as_str(),
                    &c.store_hash.as_str(),
                    &c.state.as_str(),
                    &c.iclient_id,
                    &i32::from(c.concurrency),
                    &c.borrow_concurrency_from,
                    &c.scopes.first(),
                    &(c.scopes.len() as i32),
                    &record,
                ],
            )
            .map_err(|e| self.taken(e, &c.name))?;
        Ok(())
    }

    fn delete_connection(&self, id: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM bcconn.connections WHERE id = $1", &[&id])
            .map(drop)
    }

    fn put_iclient(&self, i: &IClient, name_key: &str) -> Result<(), StoreError> {
        let record = serde_json::to_string(i).map_err(|e| self.bad(e))?;
        self.conn
            .execute(
                "INSERT INTO bcconn.iclients(id, name, name_key, client_id, record) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET name = $2, \
                 name_key = $3, client_id = $4, record = $5",
                &[&i.id, &i.name, &name_key, &i.client_id, &record],
            )
            .map_err(|e| self.taken(e, &i.name))?;
        Ok(())
    }

    fn delete_iclient(&self, id: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM bcconn.iclients WHERE id = $1", &[&id])
            .map(drop)
    }

    fn local(&self, key: &str) -> Result<Option<String>, StoreError> {
        if let Some((_, v)) = self
            .local_changes
            .borrow()
            .iter()
            .rev()
            .find(|(k, _)| k == key)
        {
            return Ok(v.clone());
        }
        match self.local.begin(false, &self.sink)? {
            Some(tx) => tx.local(key),
            None => Ok(None),
        }
    }

    fn set_local(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        self.local_changes
            .borrow_mut()
            .push((key.to_string(), value.map(str::to_string)));
        Ok(())
    }

    fn document_extra(&self) -> Result<Map<String, Value>, StoreError> {
        match self
            .conn
            .query_opt("SELECT value FROM bcconn.document WHERE key = 'extra'", &[])?
        {
            Some(r) => serde_json::from_str(&r.get::<_, String>(0)).map_err(|e| self.bad(e)),
            None => Ok(Map::new()),
        }
    }

    fn set_document_extra(&self, extra: &Map<String, Value>) -> Result<(), StoreError> {
        let text = serde_json::to_string(extra).map_err(|e| self.bad(e))?;
        self.conn
            .execute(
                "INSERT INTO bcconn.document(key, value) VALUES ('extra', $1) \
                 ON CONFLICT (key) DO UPDATE SET value = $1",
                &[&text],
            )
            .map(drop)
    }

    fn ledger(&self) -> Result<Vec<LedgerEntry>, StoreError> {
        Ok(self
            .conn
            .query(
                "SELECT store, account, host, pid, started FROM bcconn.secret_ledger",
                &[],
            )?
            .iter()
            .map(|r| LedgerEntry {
                store: r.get(0),
                account: r.get(1),
                host: r.get(2),
                pid: r.get::<_, i64>(3).clamp(0, u32::MAX as i64) as u32,
                started: r.get(4),
            })
            .collect())
    }

    fn ledger_put(&self, e: &LedgerEntry) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO bcconn.secret_ledger(store, account, host, pid, started, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (store, account) DO UPDATE SET \
                 host = $3, pid = $4, started = $5, created_at = $6",
                &[
                    &e.store,
                    &e.account,
                    &e.host,
                    &i64::from(e.pid),
                    &e.started,
                    &super::super::now(),
                ],
            )
            .map(drop)
    }

    fn ledger_remove(&self, store: &str, account: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM bcconn.secret_ledger WHERE store = $1 AND account = $2",
                &[&store, &account],
            )
            .map(drop)
    }

    fn ledger_claim(&self, e: &LedgerEntry, by: &LedgerEntry) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE bcconn.secret_ledger SET host = $1, pid = $2, started = $3 \
             WHERE store = $4 AND account = $5 AND host = $6 AND pid = $7 AND started = $8",
            &[
                &by.host,
                &i64::from(by.pid),
                &by.started,
                &e.store,
                &e.account,
                &e.host,
                &i64::from(e.pid),
                &e.started,
            ],
        )?;
        Ok(n == 1)
    }

    fn ledger_release(&self, e: &LedgerEntry) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM bcconn.secret_ledger WHERE store = $1 AND account = $2 \
                 AND host = $3 AND pid = $4 AND started = $5",
                &[&e.store, &e.account, &e.host, &i64::from(e.pid), &e.started],
            )
            .map(drop)
    }

    fn next_generation(&self, id: &str, at_least: u64) -> Result<u64, StoreError> {
        let at_least = i64::try_from(at_least).unwrap_or(i64::MAX - 1);
        let rows = self.conn.query(
            "INSERT INTO bcconn.token_generations(connection_id, last) VALUES ($1, $2::bigint + 1) \
             ON CONFLICT (connection_id) DO UPDATE SET \
             last = greatest(bcconn.token_generations.last, $2::bigint) + 1 RETURNING last",
            &[&id, &at_least],
        )?;
        Ok(rows[0].get::<_, i64>(0).max(1) as u64)
    }

    fn sealed_get(&self, account: &str) -> Result<Option<SealedRow>, StoreError> {
        Ok(self
            .conn
            .query_opt(
                "SELECT key_id, nonce, ciphertext FROM bcconn.sealed_secrets WHERE account = $1",
                &[&account],
            )?
            .map(|r| sealed_row(&r)))
    }

    fn sealed_put(&self, account: &str, row: &SealedRow) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO bcconn.sealed_secrets(account, key_id, nonce, ciphertext) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET \
                 key_id = $2, nonce = $3, ciphertext = $4",
                &[&account, &row.key_id, &row.nonce, &row.ciphertext],
            )
            .map(drop)
    }

    fn sealed_delete(&self, account: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM bcconn.sealed_secrets WHERE account = $1",
                &[&account],
            )
            .map(drop)
    }

    fn sealed_all(&self) -> Result<Vec<(String, SealedRow)>, StoreError> {
        self.sealed_rows(
            "SELECT key_id, nonce, ciphertext, account FROM bcconn.sealed_secrets ORDER BY account",
            &[],
        )
    }

    fn sealed_keys(&self) -> Result<Vec<(String, u64)>, StoreError> {
        Ok(self
            .conn
            .query(
                "SELECT key_id, count(*) FROM bcconn.sealed_secrets GROUP BY key_id ORDER BY key_id",
                &[],
            )?
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
            .collect())
    }

    fn sealed_sample(&self, key_id: &str, n: u32) -> Result<Vec<(String, SealedRow)>, StoreError> {
        self.sealed_rows(
            "SELECT key_id, nonce, ciphertext, account FROM bcconn.sealed_secrets \
             WHERE key_id = $1 LIMIT $2",
            &[&key_id, &i64::from(n)],
        )
    }

    fn audit_put(&self, e: &AuditEntry) -> Result<(), StoreError> {
        put_audit(&self.conn, e)
    }

    fn audit_list(
        &self,
        filter: AuditFilter<'_>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = if limit == 0 {
            i64::MAX
        } else {
            i64::from(limit)
        };
        let cols = "at, user_name, host, verb, kind, subject_id, subject_name, action, fields";
        let rows = match filter {
            AuditFilter::All => self.conn.query(
                &format!("SELECT {cols} FROM bcconn.audit ORDER BY seq DESC LIMIT $1"),
                &[&limit],
            )?,
            AuditFilter::Subject { id, name_key } => self.conn.query(
                &format!(
                    "SELECT {cols} FROM bcconn.audit WHERE subject_id = $1 OR name_key = $2 \
                     ORDER BY seq DESC LIMIT $3"
                ),
                &[&id, &name_key, &limit],
            )?,
        };
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                at: r.get(0),
                user: r.get(1),
                host: r.get(2),
                verb: r.get(3),
                kind: r.get(4),
                subject_id: r.get(5),
                subject_name: r.get(6),
                action: r.get(7),
                fields: serde_json::from_str(&r.get::<_, String>(8)).unwrap_or_default(),
            })
            .collect())
    }

    fn check(&self) -> Result<Vec<String>, StoreError> {
        // PostgreSQL keeps its own integrity; a round trip shows it answers.
        self.conn.batch("SELECT 1")?;
        Ok(Vec::new())
    }

    fn schema(&self) -> Result<i64, StoreError> {
        Ok(self.conn.schema_state()?.map_or(0, |(v, _)| v))
    }

    fn backup_to(&self, _to: &Path) -> Result<(), StoreError> {
        Err(StoreError::NotLocal {
            what: "`bcconn backup`",
            url: self.shown.display().to_string(),
        })
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.open.get() {
            self.open.set(false);
            if self.write {
                // Sent, but no answer: the change may or may not be in.
                self.conn.batch("COMMIT").map_err(|e| match e {
                    StoreError::Shared { url, detail } => StoreError::CommitUnknown { url, detail },
                    StoreError::SharedTimeout { url, secs, .. } => StoreError::CommitUnknown {
                        url,
                        detail: format!("no answer within {secs} s"),
                    },
                    e => e,
                })?;
            } else {
                self.conn.batch("ROLLBACK")?;
            }
        }
        // Personal settings follow the shared change they belong to.
        let changes = self.local_changes.take();
        if !changes.is_empty()
            && let Some(tx) = self.local.begin(true, &self.sink)?
        {
            for (k, v) in &changes {
                tx.set_local(k, v.as_deref())?;
            }
            tx.commit()?;
        }
        Ok(())
    }
}
