//! What can go wrong with the record store, as types. The hint and the exit
//! status are chosen where errors are reported (`crate::error`, in
//! `error/store.rs`), not here.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process held the write lock for the whole bounded wait.
    #[error("the record database {} stayed busy for {waited_s} s{}", path.display(), holder.map(|p| format!(" (held by process {p})")).unwrap_or_default())]
    Busy {
        path: PathBuf,
        waited_s: u64,
        holder: Option<u32>,
    },
    /// A database written by a newer bcconn: never written by this one.
    #[error("{} was written by a newer bcconn (schema version {found}; this one knows up to {known})", path.display())]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// Not a database, a damaged one, or not a regular file.
    #[error("cannot read {}: {detail}", path.display())]
    Unreadable { path: PathBuf, detail: String },
    /// The database file is read-only (its mode says so): never written,
    /// even by a user the system would let write it.
    #[error("{} is read-only; bcconn will not change it", path.display())]
    ReadOnlyFile { path: PathBuf },
    /// The old record file could not be imported.
    #[error("cannot import {}: {detail}", path.display())]
    Import { path: PathBuf, detail: String },
    /// A change was started inside another change of the same store.
    #[error("a change to the records was started inside another one (a bug in bcconn)")]
    Nested,
    /// A write to a read-only view of the records (a bug in bcconn).
    #[error("the records were changed outside a transaction (a bug in bcconn)")]
    ReadOnly,
    /// A name that another record of the same kind holds (ignoring case).
    #[error("the name {name:?} is taken")]
    NameTaken { name: String },
    /// The home directory is not usable.
    #[error("bcconn has no home directory for its records")]
    NoHome,
    /// Anything else SQLite said, with the file it was about.
    #[error("the record database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The shared store (PostgreSQL) could not be reached or answered with
    /// an error; `url` is redacted, `detail` scrubbed of its secrets.
    #[error("the shared store {url}: {detail}")]
    Shared { url: String, detail: String },
    /// `BCCONN_STORE_URL` itself cannot be used (not a postgres URL, an
    /// unknown sslmode, an unreadable sslrootcert).
    #[error("BCCONN_STORE_URL ({url}): {detail}")]
    SharedUrl { url: String, detail: String },
    /// The shared store did not answer within its timeout.
    #[error("the shared store {url} did not answer within {secs} s{}", if *.connecting { " (connecting)" } else { "" })]
    SharedTimeout {
        url: String,
        secs: u64,
        connecting: bool,
    },
    /// The commit was sent and not confirmed: whether it is in is unknown.
    #[error(
        "the shared store {url} did not confirm the change ({detail}); it may or may not have been saved"
    )]
    CommitUnknown { url: String, detail: String },
    /// The role bcconn logs in as may not do this (a read-only worker role).
    #[error("the shared store {url} refused: {detail}")]
    SharedDenied { url: String, detail: String },
    /// The shared schema is older than this bcconn's: `bcconn store migrate`.
    #[error("the shared store {url} has schema version {found}; this bcconn uses {known}")]
    SharedOlder { url: String, found: i64, known: i64 },
    /// The shared schema needs a newer bcconn than this one.
    #[error("the shared store {url} needs bcconn {needs} or newer (this is {this})")]
    SharedNeedsVersion {
        url: String,
        needs: String,
        this: String,
    },
    /// Another machine is authorizing the same app and store.
    #[error("{store} is being authorized with client id {client_id} by {holder}")]
    AuthorizeHeld {
        store: String,
        client_id: String,
        /// `user@host since TIME`, or words saying it is not known.
        holder: String,
    },
    /// Inside `bcconn exec`, which removed `BCCONN_STORE_URL`: the local
    /// database is not the team's, so it is not used instead.
    #[error(
        "BCCONN_STORE_URL was removed by `bcconn exec`; run it with --pass-bcconn-env to keep it"
    )]
    StoreUrlRemoved,
    /// What only the local database can do (a file backup, a restore).
    #[error("{what} works on the local database only; the records are in the shared store {url}")]
    NotLocal { what: &'static str, url: String },
    /// A stored record that does not parse (edited by hand, or damaged).
    #[error("a record in {} cannot be read: {detail}", path.display())]
    BadRecord { path: PathBuf, detail: String },
}
