//! The record store's errors in a person's words.

use super::{Failure, failure, usage};
use crate::store::StoreError;
use crate::text::outside;

pub(super) fn explain(e: &StoreError) -> Failure {
    let msg = outside(&e.to_string(), 400);
    match e {
        StoreError::Busy { .. } => failure(format!("{msg}; nothing was changed")).hint(
            "another bcconn is writing the records: try again; if it stays busy, `bcconn doctor` shows what holds it",
        ),
        StoreError::Newer { .. } => {
            failure(msg).hint("upgrade bcconn; the database was left as it is")
        }
        StoreError::Unreadable { .. } | StoreError::BadRecord { .. } => failure(msg).hint(
            "bcconn did not change it; restore a backup (`bcconn restore FILE`), move it away, or point BCCONN_HOME elsewhere",
        ),
        StoreError::Import { .. } => failure(msg).hint(
            "nothing was imported and the file was left as it is: fix it, or move it away",
        ),
        StoreError::NameTaken { name } => usage(format!(
            "a record named \"{}\" already exists",
            outside(name, crate::store::MAX_NAME + 16)
        ))
        // Only an import meets a taken name here.
        .hint("nothing was imported; pass --replace to replace the saved record, or rename it first (`bcconn rename`; names are unique ignoring case)"),
        StoreError::NoHome => super::fs::no_home(),
        StoreError::ReadOnlyFile { path } => failure(msg).hint(format!(
            "to let bcconn change it, make it writable (chmod u+w {})",
            outside(&path.display().to_string(), 300)
        )),
        StoreError::Nested | StoreError::ReadOnly => failure(msg),
        StoreError::Sqlite { .. } => failure(msg).hint("`bcconn doctor` checks the database"),
        StoreError::SharedUrl { .. } => usage(msg).hint(
            "fix BCCONN_STORE_URL: postgres://USER:PASSWORD@HOST[:PORT]/DB, with sslmode=disable|prefer|require|verify-ca|verify-full, sslrootcert=FILE, connect_timeout=SECONDS",
        ),
        StoreError::Shared { detail, .. } if detail.contains("peer certificate") => failure(format!(
            "{msg}; nothing was changed"
        ))
        .hint("bcconn does not trust the server's certificate: add sslrootcert=/path/to/ca.pem (the CA that signed it) to BCCONN_STORE_URL, or fix the certificate's name"),
        StoreError::Shared { .. } | StoreError::SharedTimeout { .. } => failure(format!(
            "{msg}; nothing was changed"
        ))
        .hint("check that PostgreSQL runs and BCCONN_STORE_URL is right (`bcconn doctor` checks it); bcconn never falls back to the local database"),
        StoreError::CommitUnknown { .. } => failure(msg).hint(
            "look before trying again: `bcconn list` or `bcconn history` shows whether it was saved",
        ),
        StoreError::SharedDenied { .. } => failure(msg).hint(
            "the role in BCCONN_STORE_URL may not do this; `bcconn store grants` prints the SQL for a writer role",
        ),
        StoreError::SharedOlder { .. } => usage(msg).hint(
            "run `bcconn store migrate` once, as the role that owns the bcconn schema, to bring it up to date; machines with older bcconn keep working",
        ),
        StoreError::SharedNeedsVersion { needs, .. } => usage(msg).hint(format!(
            "upgrade bcconn on this machine to {needs} or newer; the shared store was left as it is"
        )),
        StoreError::AuthorizeHeld { .. } => failure(format!("{msg}; nothing was changed")).hint(
            "BigCommerce keeps one token per app and store, so one machine authorizes at a time: try again when it is done, or pass --wait to wait for it",
        ),
        StoreError::StoreUrlRemoved => usage(msg).hint(
            "`bcconn exec --pass-bcconn-env NAME -- CMD` passes BCCONN_STORE_URL on to CMD; or set it inside CMD, or unset BCCONN_EXEC_REMOVED to use this machine's own records",
        ),
        StoreError::NotLocal { .. } => usage(msg).hint(
            "use `bcconn export --with-secrets` for a copy of the shared records, or unset BCCONN_STORE_URL for the local database",
        ),
    }
}
