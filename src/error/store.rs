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
    }
}
