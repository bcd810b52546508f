//! The connection core: what `create`, `authorize`, `edit`, the token
//! commands and the walk-through share.
//!
//! - [`plan`]: a new connection as a [`plan::Plan`], built from a [`plan::Draft`] in one place
//! - [`rules`]: the checks a change to the records must pass, with their hints
//! - [`intake`]: secrets and confirmations, through the `Prompter`
//! - [`iclients`]: saving and checking iClients
//! - [`tokens`]: the one token lookup, token-type connections
//! - [`commit`]: the one transaction that saves a token (secret, then record,
//!   rolled back together) and the one way flag changes are applied
//! - [`authorize`]: preflight, the browser flow, the wait, exchange, verify
//! - [`create`]: saving a plan (iClient, connection) and authorizing it
//! - [`doctor`]: the checks of `bcconn doctor`, each with a verdict and a fix
//!
//! It reports through `ctx.progress` and asks through `ctx.prompter()`; it
//! never touches the terminal or the command line's types.

pub mod authorize;
pub mod call;
pub mod check;
pub mod commit;
pub mod create;
pub mod default;
pub mod doctor;
pub mod iclients;
pub mod intake;
pub mod plan;
pub mod rules;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod tokens;
pub mod trust;
pub mod using;
pub mod vars;

/// A single-threaded runtime: one flow at a time needs no more.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// A store error in a person's words: what happened, what to do, the exit
/// code. Other errors pass through unchanged.
pub fn explain(err: anyhow::Error) -> anyhow::Error {
    use crate::error::{failure, usage};
    use crate::store::StoreError;
    let Some(e) = err.chain().find_map(|c| c.downcast_ref::<StoreError>()) else {
        return err;
    };
    let msg = crate::text::outside(&e.to_string(), 400);
    let f = match e {
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
            "a record named {} already exists",
            rules::shown(name)
        ))
        .hint("pick another name (names are unique ignoring case)"),
        StoreError::NoHome => crate::fsutil::no_home(),
        StoreError::ReadOnlyFile { path } => failure(msg).hint(format!(
            "to let bcconn change it, make it writable (chmod u+w {})",
            crate::text::outside(&path.display().to_string(), 300)
        )),
        StoreError::Nested | StoreError::ReadOnly => failure(msg),
        StoreError::Sqlite { .. } => {
            failure(msg).hint("`bcconn doctor` checks the database")
        }
    };
    f.into()
}

/// What the record store tells a person while it works.
pub fn say_notice(progress: &dyn crate::seams::Progress, notice: crate::store::Notice) {
    use crate::store::Notice;
    match notice {
        Notice::Waiting { holder } => progress.say(&format!(
            "waiting for another bcconn to finish writing the records{} (up to {} s)…",
            holder
                .map(|p| format!(" (process {p})"))
                .unwrap_or_default(),
            crate::store::sqlite::BUSY_LIMIT.as_secs()
        )),
        Notice::RollbackJournal => progress.warn(
            "the records are on a network filesystem, where SQLite's WAL mode does not work: using a rollback journal (readers may wait on writers)",
        ),
        Notice::OldFileIgnored { path } => progress.warn(&format!(
            "{} is not read: the records are in bcconn.db. Merge it with `bcconn import {}`, or move it away",
            crate::text::outside(&path.display().to_string(), 300),
            crate::text::shell_word(&path.display().to_string())
        )),
        Notice::Imported {
            iclients,
            connections,
            kept_as,
        } => progress.say(&format!(
            "Moved the records into bcconn.db: {connections} connection{}, {iclients} iClient{}; the old file is kept as {}",
            if connections == 1 { "" } else { "s" },
            if iclients == 1 { "" } else { "s" },
            kept_as.display()
        )),
    }
}
