//! A transaction on the database: the queries behind [`BackendTx`], each
//! record read back from its JSON and each change written with its
//! indexed columns.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};

use super::super::error::StoreError;
use super::super::{BackendTx, Connection, Filter, IClient, LedgerEntry, ListRow, ListWidths};
use super::{note_path, sqlite_error};
use crate::secrets::seal::SealedRow;

/// Whether every column `list` shows of `c` is printable ASCII (auth type
/// and state are bcconn's own words).
fn plain(c: &Connection) -> bool {
    let ascii = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
    ascii(&c.name) && ascii(c.store_hash.as_str()) && c.scopes.first().is_none_or(|s| ascii(s))
}

pub(super) struct SqliteTx {
    pub(super) conn: rusqlite::Connection,
    pub(super) path: PathBuf,
    pub(super) write: bool,
    pub(super) done: bool,
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.write && !self.done {
            // The note goes while the lock is still held: never another
            // writer's.
            let _ = std::fs::remove_file(note_path(&self.path));
            let _ = self.conn.execute_batch("ROLLBACK");
        } else if !self.write && !self.conn.is_autocommit() {
            // A read snapshot ends.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        // Closing the last connection checkpoints and removes the WAL when
        // no other process has the database open (it never waits for one).
    }
}

impl SqliteTx {
    fn err(&self, source: rusqlite::Error) -> StoreError {
        sqlite_error(&self.path, source)
    }

    fn bad(&self, detail: impl std::fmt::Display) -> StoreError {
        StoreError::BadRecord {
            path: self.path.clone(),
            detail: detail.to_string(),
        }
    }

    fn connections_sql(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Connection>, StoreError> {
        self.records_sql(
            &format!(
                "SELECT c.id, c.name, r.record FROM connections c \
                 JOIN connection_records r ON r.seq = c.seq {filter} ORDER BY c.seq"
            ),
            args,
            "connection",
        )
    }

    fn iclients_sql(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<IClient>, StoreError> {
        self.records_sql(
            &format!("SELECT id, name, record FROM iclients {filter} ORDER BY seq"),
            args,
            "iClient",
        )
    }

    /// Rows of (id, name, record JSON), each record parsed; one that does
    /// not parse is named by its indexed columns.
    fn records_sql<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
        kind: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(args, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, text) = row.map_err(|e| self.err(e))?;
            out.push(
                serde_json::from_str(&text).map_err(|e| self.bad_record(kind, &id, &name, e))?,
            );
        }
        Ok(out)
    }

    /// A stored record that does not parse, named by its indexed columns.
    fn bad_record(
        &self,
        kind: &str,
        id: &str,
        name: &str,
        e: impl std::fmt::Display,
    ) -> StoreError {
        self.bad(format!(
            "{kind} {} (id {}): {e}",
            crate::text::outside(name, 80),
            crate::text::outside(id, 40)
        ))
    }

    fn taken(&self, e: rusqlite::Error, name: &str) -> StoreError {
        if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
            && msg.contains("name_key")
        {
            return StoreError::NameTaken {
                name: name.to_string(),
            };
        }
        self.err(e)
    }
}

impl BackendTx for SqliteTx {
    fn connections(&self, filter: Filter<'_>) -> Result<Vec<Connection>, StoreError> {
        match filter {
            Filter::All => self.connections_sql("", &[]),
            Filter::Id(id) => self.connections_sql("WHERE c.id = ?1", &[&id]),
            Filter::NameKey(key) => self.connections_sql("WHERE c.name_key = ?1", &[&key]),
            Filter::IClient(id) => self.connections_sql("WHERE c.iclient_id = ?1", &[&id]),
            Filter::Store(hash) => self.connections_sql("WHERE c.store_hash = ?1", &[&hash]),
            Filter::BorrowingFrom(id) => self.connections_sql("WHERE c.borrow_from = ?1", &[&id]),
            Filter::ClientId(_) => Ok(Vec::new()),
        }
    }

    fn iclients(&self, filter: Filter<'_>) -> Result<Vec<IClient>, StoreError> {
        match filter {
            Filter::All => self.iclients_sql("", &[]),
            Filter::Id(id) => self.iclients_sql("WHERE id = ?1", &[&id]),
            Filter::NameKey(key) => self.iclients_sql("WHERE name_key = ?1", &[&key]),
            Filter::ClientId(cid) => self.iclients_sql("WHERE client_id = ?1", &[&cid]),
            _ => Ok(Vec::new()),
        }
    }

    fn connection_names(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name FROM connections ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn count(&self) -> Result<(u64, u64), StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM iclients), (SELECT count(*) FROM connections)",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(|e| self.err(e))
    }

    fn borrowing(&self) -> Result<Vec<super::super::Borrowing>, StoreError> {
        type Row = super::super::Borrowing;
        let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Row> {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)?.clamp(0, 255) as u8,
                r.get(3)?,
            ))
        };
        // The borrowers, through their index; then their lenders up the
        // chains, one indexed lookup each (a few, however many rows).
        let mut out: Vec<Row> = self
            .conn
            .prepare_cached(
                "SELECT id, name, concurrency, borrow_from FROM connections \
                 WHERE borrow_from IS NOT NULL ORDER BY seq",
            )
            .and_then(|mut s| s.query_map([], row)?.collect())
            .map_err(|e| self.err(e))?;
        let mut known: std::collections::HashSet<String> =
            out.iter().map(|r| r.0.clone()).collect();
        let mut wanted: Vec<String> = out.iter().filter_map(|r| r.3.clone()).collect();
        let mut lookup = self
            .conn
            .prepare_cached(
                "SELECT id, name, concurrency, borrow_from FROM connections WHERE id = ?1",
            )
            .map_err(|e| self.err(e))?;
        while let Some(id) = wanted.pop() {
            if !known.insert(id.clone()) {
                continue;
            }
            if let Some(r) = lookup
                .query_row([&id], row)
                .optional()
                .map_err(|e| self.err(e))?
            {
                wanted.extend(r.3.clone());
                out.push(r);
            }
        }
        Ok(out)
    }

    fn list_widths(
        &self,
        max_name: usize,
        max_other: usize,
    ) -> Result<Option<ListWidths>, StoreError> {
        // `plain`: set at write time when every shown column is printable
        // ASCII (then a character is a byte and a column).
        let (rows, odd, name, hash, auth, state, scopes, level): (
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
        ) = self
            .conn
            .query_row(
                "SELECT count(*), \
                 total(plain = 0 OR length(name) > ?1 OR length(store_hash) > ?2 \
                   OR length(auth_type) > ?2 OR length(state) > ?2 \
                   OR length(ifnull(first_scope, '')) > ?2), \
                 ifnull(max(length(name)), 0), ifnull(max(length(store_hash)), 0), \
                 ifnull(max(length(auth_type)), 0), ifnull(max(length(state)), 0), \
                 ifnull(max(CASE WHEN first_scope IS NULL THEN 1 \
                   WHEN scope_count > 1 THEN length(first_scope) + 2 + length(scope_count - 1) \
                   ELSE length(first_scope) END), 0), \
                 ifnull(max(CASE WHEN borrow_from IS NULL THEN length(concurrency) ELSE 0 END), 0) \
                 FROM connections",
                params![max_name as i64, max_other as i64],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get::<_, f64>(1)? as i64,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .map_err(|e| self.err(e))?;
        if odd > 0 {
            return Ok(None);
        }
        let iclient_ids: Vec<Option<String>> = self
            .conn
            .prepare_cached("SELECT DISTINCT iclient_id FROM connections")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        let w = |n: i64| n.max(0) as usize;
        Ok(Some(ListWidths {
            rows: rows.max(0) as u64,
            name: w(name),
            store_hash: w(hash),
            auth_type: w(auth),
            state: w(state),
            scopes: w(scopes),
            own_level: w(level),
            iclient_ids,
        }))
    }

    fn snapshot(&self) -> Result<(), StoreError> {
        if !self.write {
            self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn list_rows(
        &self,
        each: &mut dyn FnMut(ListRow<'_>) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, name, store_hash, auth_type, state, iclient_id, \
                 first_scope, scope_count, concurrency, borrow_from \
                 FROM connections ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let text = |i: usize| -> Result<&str, StoreError> {
                match r.get_ref(i).map_err(|e| self.err(e))? {
                    rusqlite::types::ValueRef::Text(t) => {
                        std::str::from_utf8(t).map_err(|e| self.bad(e))
                    }
                    _ => Err(self.bad(format!("column {i} is not text"))),
                }
            };
            let opt = |i: usize| -> Result<Option<&str>, StoreError> {
                match r.get_ref(i).map_err(|e| self.err(e))? {
                    rusqlite::types::ValueRef::Null => Ok(None),
                    rusqlite::types::ValueRef::Text(t) => {
                        std::str::from_utf8(t).map(Some).map_err(|e| self.bad(e))
                    }
                    _ => Err(self.bad(format!("column {i} is not text"))),
                }
            };
            let row = ListRow {
                id: text(0)?,
                name: text(1)?,
                store_hash: text(2)?,
                auth_type: text(3)?,
                state: text(4)?,
                iclient_id: opt(5)?,
                first_scope: opt(6)?,
                scope_count: r.get::<_, i64>(7).map_err(|e| self.err(e))?.max(0) as usize,
                concurrency: r.get::<_, i64>(8).map_err(|e| self.err(e))?.clamp(0, 255) as u8,
                borrow_from: opt(9)?,
            };
            each(row).map_err(|e| StoreError::Unreadable {
                path: self.path.clone(),
                detail: format!("writing the list: {e}"),
            })?;
        }
        Ok(())
    }

    fn each_connection(
        &self,
        each: &mut dyn FnMut(Connection) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT c.id, c.name, r.record FROM connections c JOIN connection_records r ON r.seq = c.seq ORDER BY c.seq",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id: String = r.get(0).map_err(|e| self.err(e))?;
            let name: String = r.get(1).map_err(|e| self.err(e))?;
            let c: Connection = match r.get_ref(2).map_err(|e| self.err(e))? {
                rusqlite::types::ValueRef::Text(t) => serde_json::from_slice(t)
                    .map_err(|e| self.bad_record("connection", &id, &name, e))?,
                _ => {
                    return Err(self.bad_record(
                        "connection",
                        &id,
                        &name,
                        "the record is not text",
                    ));
                }
            };
            each(c).map_err(|e| StoreError::Unreadable {
                path: self.path.clone(),
                detail: format!("writing the list: {e}"),
            })?;
        }
        Ok(())
    }

    fn put_connection(&self, c: &Connection, name_key: &str) -> Result<(), StoreError> {
        let record = serde_json::to_string(c).map_err(|e| self.bad(e))?;
        let seq = self
            .conn
            .prepare_cached(
                "INSERT INTO connections(id, name, name_key, auth_type, store_hash, state, iclient_id, \
                 concurrency, borrow_from, first_scope, scope_count, plain) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                 ON CONFLICT(id) DO UPDATE SET name = ?2, name_key = ?3, auth_type = ?4, \
                 store_hash = ?5, state = ?6, iclient_id = ?7, concurrency = ?8, borrow_from = ?9, \
                 first_scope = ?10, scope_count = ?11, plain = ?12 RETURNING seq",
            )
            .and_then(|mut s| {
                s.query_row(params![
                    c.id,
                    c.name,
                    name_key,
                    c.auth_type.as_str(),
                    c.store_hash.as_str(),
                    c.state.as_str(),
                    c.iclient_id,
                    c.concurrency,
                    c.borrow_concurrency_from,
                    c.scopes.first(),
                    c.scopes.len() as i64,
                    plain(c),
                ], |r| r.get::<_, i64>(0))
            })
            .map_err(|e| self.taken(e, &c.name))?;
        // Keyed by the same sequence number: read in list order, the full
        // records are one sequential scan.
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO connection_records(seq, record) VALUES (?1, ?2)",
            )
            .and_then(|mut s| s.execute(params![seq, record]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn delete_connection(&self, id: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM connection_records WHERE seq = (SELECT seq FROM connections WHERE id = ?1)",
                [id],
            )
            .and_then(|_| self.conn.execute("DELETE FROM connections WHERE id = ?1", [id]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn put_iclient(&self, i: &IClient, name_key: &str) -> Result<(), StoreError> {
        let record = serde_json::to_string(i).map_err(|e| self.bad(e))?;
        self.conn
            .prepare_cached(
                "INSERT INTO iclients(id, name, name_key, client_id, record) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT(id) DO UPDATE SET name = ?2, name_key = ?3, client_id = ?4, record = ?5",
            )
            .and_then(|mut s| s.execute(params![i.id, i.name, name_key, i.client_id, record]))
            .map_err(|e| self.taken(e, &i.name))?;
        Ok(())
    }

    fn delete_iclient(&self, id: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM iclients WHERE id = ?1", [id])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn local(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM local WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    fn set_local(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        match value {
            Some(v) => self
                .conn
                .execute(
                    "INSERT OR REPLACE INTO local(key, value) VALUES (?1, ?2)",
                    [key, v],
                )
                .map(drop),
            None => self
                .conn
                .execute("DELETE FROM local WHERE key = ?1", [key])
                .map(drop),
        }
        .map_err(|e| self.err(e))
    }

    fn document_extra(&self) -> Result<Map<String, Value>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM document WHERE key = 'extra'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        match text {
            Some(t) => serde_json::from_str(&t).map_err(|e| self.bad(e)),
            None => Ok(Map::new()),
        }
    }

    fn set_document_extra(&self, extra: &Map<String, Value>) -> Result<(), StoreError> {
        let text = serde_json::to_string(extra).map_err(|e| self.bad(e))?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO document(key, value) VALUES ('extra', ?1)",
                [text],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    fn ledger(&self) -> Result<Vec<LedgerEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT store, account, host, pid, started FROM secret_ledger")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(LedgerEntry {
                    store: r.get(0)?,
                    account: r.get(1)?,
                    host: r.get(2)?,
                    pid: r.get::<_, i64>(3)?.clamp(0, u32::MAX as i64) as u32,
                    started: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn ledger_put(&self, e: &LedgerEntry) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO secret_ledger(store, account, host, pid, started, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![e.store, e.account, e.host, e.pid as i64, e.started, super::super::now()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    fn ledger_claim(&self, e: &LedgerEntry, by: &LedgerEntry) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE secret_ledger SET host = ?1, pid = ?2, started = ?3 \
                 WHERE store = ?4 AND account = ?5 AND host = ?6 AND pid = ?7 AND started = ?8",
                params![
                    by.host,
                    by.pid as i64,
                    by.started,
                    e.store,
                    e.account,
                    e.host,
                    e.pid as i64,
                    e.started
                ],
            )
            .map_err(|err| self.err(err))?;
        Ok(n == 1)
    }

    fn ledger_release(&self, e: &LedgerEntry) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM secret_ledger WHERE store = ?1 AND account = ?2 AND host = ?3 AND pid = ?4 AND started = ?5",
                params![e.store, e.account, e.host, e.pid as i64, e.started],
            )
            .map(drop)
            .map_err(|err| self.err(err))
    }

    fn next_generation(&self, id: &str, at_least: u64) -> Result<u64, StoreError> {
        let at_least = i64::try_from(at_least).unwrap_or(i64::MAX - 1);
        self.conn
            .query_row(
                "INSERT INTO token_generations(connection_id, last) VALUES (?1, ?2 + 1) \
                 ON CONFLICT(connection_id) DO UPDATE SET last = max(last, ?2) + 1 RETURNING last",
                params![id, at_least],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(1) as u64)
            .map_err(|e| self.err(e))
    }

    fn ledger_remove(&self, store: &str, account: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM secret_ledger WHERE store = ?1 AND account = ?2",
                [store, account],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    fn sealed_get(&self, account: &str) -> Result<Option<SealedRow>, StoreError> {
        self.conn
            .query_row(
                "SELECT key_id, nonce, ciphertext FROM sealed_secrets WHERE account = ?1",
                [account],
                sealed_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn sealed_put(&self, account: &str, row: &SealedRow) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO sealed_secrets(account, key_id, nonce, ciphertext) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![account, row.key_id, row.nonce, row.ciphertext],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    fn sealed_delete(&self, account: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sealed_secrets WHERE account = ?1", [account])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    fn sealed_all(&self) -> Result<Vec<(String, SealedRow)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT key_id, nonce, ciphertext, account FROM sealed_secrets ORDER BY account",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(3)?, sealed_row(r)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn sealed_keys(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key_id, count(*) FROM sealed_secrets GROUP BY key_id ORDER BY key_id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn sealed_sample(&self, key_id: &str, n: u32) -> Result<Vec<(String, SealedRow)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT key_id, nonce, ciphertext, account FROM sealed_secrets \
                 WHERE key_id = ?1 LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![key_id, n], |r| {
                Ok((r.get::<_, String>(3)?, sealed_row(r)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn audit_put(&self, e: &super::super::AuditEntry) -> Result<(), StoreError> {
        insert_audit(&self.conn, e).map_err(|err| self.err(err))
    }

    fn audit_list(
        &self,
        filter: super::super::AuditFilter<'_>,
        limit: u32,
    ) -> Result<Vec<super::super::AuditEntry>, StoreError> {
        const COLUMNS: &str = "SELECT at, user, host, verb, kind, subject_id, subject_name, action, fields FROM audit";
        let row = |r: &rusqlite::Row<'_>| {
            Ok((
                super::super::AuditEntry {
                    at: r.get(0)?,
                    user: r.get(1)?,
                    host: r.get(2)?,
                    verb: r.get(3)?,
                    kind: r.get(4)?,
                    subject_id: r.get(5)?,
                    subject_name: r.get(6)?,
                    action: r.get(7)?,
                    fields: Vec::new(),
                },
                r.get::<_, String>(8)?,
            ))
        };
        let limit = i64::from(limit);
        let rows: Vec<(super::super::AuditEntry, String)> = match filter {
            super::super::AuditFilter::All => self
                .conn
                .prepare_cached(&format!("{COLUMNS} ORDER BY seq DESC LIMIT ?1"))
                .and_then(|mut s| s.query_map(params![limit], row)?.collect()),
            super::super::AuditFilter::Subject { id, name_key } => self
                .conn
                .prepare_cached(&format!(
                    "{COLUMNS} WHERE subject_id = ?1 OR name_key = ?2 ORDER BY seq DESC LIMIT ?3"
                ))
                // No id: `subject_id = NULL` matches no row.
                .and_then(|mut s| s.query_map(params![id, name_key, limit], row)?.collect()),
        }
        .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(mut e, fields)| {
                e.fields = serde_json::from_str(&fields)
                    .map_err(|err| self.bad(format!("an audit entry's fields ({err})")))?;
                Ok(e)
            })
            .collect()
    }

    fn check(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA quick_check")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        let lines: Vec<String> = rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        Ok(lines.into_iter().filter(|l| l != "ok").collect())
    }

    fn schema(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn backup_to(&self, to: &Path) -> Result<(), StoreError> {
        let to = to.to_str().ok_or_else(|| StoreError::Unreadable {
            path: to.to_path_buf(),
            detail: "the path is not UTF-8".into(),
        })?;
        self.conn
            .execute("VACUUM INTO ?1", [to])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if self.write {
            // The note goes while the lock is still held: never another
            // writer's.
            let _ = std::fs::remove_file(note_path(&self.path));
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| sqlite_error(&self.path, e))?;
        }
        self.done = true;
        Ok(())
    }
}

/// A `sealed_secrets` row's first three columns.
fn sealed_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SealedRow> {
    Ok(SealedRow {
        key_id: r.get(0)?,
        nonce: r.get(1)?,
        ciphertext: r.get(2)?,
    })
}

/// Writes one audit entry (also used by the migration, before a
/// transaction object exists).
pub(super) fn insert_audit(
    conn: &rusqlite::Connection,
    e: &super::super::AuditEntry,
) -> rusqlite::Result<()> {
    let fields = serde_json::to_string(&e.fields)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
    conn.prepare_cached(
        "INSERT INTO audit(at, user, host, verb, kind, subject_id, subject_name, name_key, \
         action, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        e.at,
        e.user,
        e.host,
        e.verb,
        e.kind,
        e.subject_id,
        e.subject_name,
        super::super::name_key(&e.subject_name),
        e.action,
        fields
    ])
    .map(drop)
}
