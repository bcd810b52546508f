//! The audit trail: every change to the records says who made it (OS user
//! and host), what (a verb, the connection or iClient, the fields that
//! changed, never a value and never a secret) and when. An entry is written
//! in the same transaction as its change, by every engine.

use serde::{Deserialize, Serialize};

/// One change to one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339 UTC, seconds.
    pub at: String,
    /// The OS user who ran bcconn.
    pub user: String,
    /// The machine it ran on.
    pub host: String,
    /// The command (`authorize`, `rename`, `api` for a 401 mark, …).
    pub verb: String,
    /// `connection` or `iclient` (or `store` for a whole-store change such
    /// as a migration).
    pub kind: String,
    /// The record's id (empty for a store-wide entry).
    pub subject_id: String,
    /// The record's name when the change was made (after it, for a rename).
    pub subject_name: String,
    /// `created`, `changed` or `removed` (or `migrated`, `imported`).
    pub action: String,
    /// The names of the fields that changed (never their values).
    pub fields: Vec<String>,
}

/// Which entries `history` asks for.
#[derive(Clone, Copy, Debug)]
pub enum AuditFilter<'a> {
    All,
    /// Entries about this record id, or (for records gone or renamed) whose
    /// name, folded with [`super::name_key`], is this.
    Subject {
        id: Option<&'a str>,
        name_key: &'a str,
    },
}
