//! The shared store's schema: its tables, its version, and the oldest
//! bcconn that can still read and write it.
//!
//! A shared schema changes only through `bcconn store migrate`, never as a
//! side effect: machines run different bcconn versions for a while. Each
//! version records the oldest bcconn that works with it, so an additive
//! change (a new table) does not lock out machines not yet upgraded, and
//! one that does names the version they need.

/// The schema this build reads and writes.
pub const SCHEMA: i64 = 1;

/// `STEPS[n]`: (SQL taking schema `n` to `n + 1`, the oldest bcconn
/// version that can read and write schema `n + 1`).
pub const STEPS: [(&str, &str); SCHEMA as usize] = [(
    r#"
CREATE TABLE bcconn.meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE bcconn.iclients (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    name_key  TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    record    TEXT NOT NULL
);
CREATE INDEX iclients_client_id ON bcconn.iclients(client_id);
CREATE TABLE bcconn.connections (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    record      TEXT NOT NULL
);
CREATE INDEX connections_iclient ON bcconn.connections(iclient_id);
CREATE INDEX connections_store ON bcconn.connections(store_hash);
CREATE INDEX connections_borrow ON bcconn.connections(borrow_from);
CREATE TABLE bcconn.document (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE bcconn.secret_ledger (
    store      TEXT NOT NULL,
    account    TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        BIGINT NOT NULL,
    started    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (store, account)
);
CREATE TABLE bcconn.token_generations (
    connection_id TEXT PRIMARY KEY,
    last          BIGINT NOT NULL
);
CREATE TABLE bcconn.sealed_secrets (
    account    TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    nonce      BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL
);
CREATE INDEX sealed_secrets_key ON bcconn.sealed_secrets(key_id);
CREATE TABLE bcconn.audit (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    host         TEXT NOT NULL,
    verb         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    action       TEXT NOT NULL,
    fields       TEXT NOT NULL
);
CREATE INDEX audit_subject ON bcconn.audit(subject_id);
CREATE INDEX audit_name ON bcconn.audit(name_key);
CREATE TABLE bcconn.writers (
    lock_key   BIGINT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    store_hash TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        BIGINT NOT NULL,
    since      TEXT NOT NULL
);
"#,
    "0.1.0",
)];

/// This build's version, as the shared schema's `min_version` compares it.
pub const THIS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Whether version `a` (`1.2.3`) is older than `b`; parts that do not
/// parse count as 0, a pre-release suffix is ignored.
pub fn older(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> {
        v.split(['-', '+'])
            .next()
            .unwrap_or_default()
            .split('.')
            .map(|p| p.trim().parse().unwrap_or(0))
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x < y;
        }
    }
    false
}

/// The SQL `bcconn store grants` prints: a writer role for people who
/// authorize and edit, a read-only role for workers (`token`, `api`,
/// `env`, `exec`). Passwords are left for the administrator to set.
pub fn grants(database: &str) -> String {
    format!(
        "-- Run as the owner of the bcconn schema (the role that ran `bcconn store migrate`).\n\
         -- Set the passwords yourself: ALTER ROLE ... PASSWORD '...';\n\
         \n\
         -- People and machines that create, authorize, edit and delete connections:\n\
         CREATE ROLE bcconn_writer LOGIN;\n\
         GRANT CONNECT ON DATABASE {database} TO bcconn_writer;\n\
         GRANT USAGE ON SCHEMA bcconn TO bcconn_writer;\n\
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bcconn TO bcconn_writer;\n\
         \n\
         -- Workers that only use connections (token, api, env, exec); a 401 they see\n\
         -- cannot be recorded, and bcconn says so as a warning:\n\
         CREATE ROLE bcconn_reader LOGIN;\n\
         GRANT CONNECT ON DATABASE {database} TO bcconn_reader;\n\
         GRANT USAGE ON SCHEMA bcconn TO bcconn_reader;\n\
         GRANT SELECT ON ALL TABLES IN SCHEMA bcconn TO bcconn_reader;\n\
         \n\
         -- Tables a later `bcconn store migrate` adds get the same rights:\n\
         ALTER DEFAULT PRIVILEGES IN SCHEMA bcconn\n  \
           GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO bcconn_writer;\n\
         ALTER DEFAULT PRIVILEGES IN SCHEMA bcconn GRANT SELECT ON TABLES TO bcconn_reader;\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number_not_by_text() {
        assert!(older("0.9.0", "0.10.0"));
        assert!(!older("0.10.0", "0.9.0"));
        assert!(!older("0.1.0", "0.1.0"));
        assert!(older("0.1.0", "0.1.1"));
        assert!(older("0.1", "0.1.1"));
        assert!(!older("1.0.0-rc1", "1.0.0"));
        assert!(older("0.1.0", "9.9.9"));
    }

    #[test]
    fn every_step_names_a_version_no_newer_than_this_build() {
        for (_, min) in STEPS {
            assert!(!older(THIS_VERSION, min), "{min}");
        }
    }

    #[test]
    fn grants_name_the_database_and_both_roles() {
        let sql = grants("\"bc\"");
        assert!(sql.contains("GRANT CONNECT ON DATABASE \"bc\" TO bcconn_reader"));
        assert!(sql.contains("GRANT SELECT ON ALL TABLES IN SCHEMA bcconn TO bcconn_reader"));
        assert!(
            !sql.contains("INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bcconn TO bcconn_reader")
        );
    }
}
