//! Where secrets live: one small trait, several stores.
//!
//! Records never hold a secret, only the name of the store that does. Secrets
//! are keyed by the record's immutable id (`iclient/<id>`, `connection/<id>`)
//! under the service name `bcconn`, so renaming a record moves nothing.

pub mod file;
mod keyring;
#[cfg(any(test, feature = "test-support"))]
mod memory;
pub mod seal;
pub mod url;

use std::fmt;
use std::str::FromStr;

use anyhow::Result;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub use file::FileStore;
pub use keyring::KeyringStore;
#[cfg(any(test, feature = "test-support"))]
pub use memory::MemoryStore;

/// The service name every secret is filed under.
pub const SERVICE: &str = "bcconn";

/// Which store holds a secret. Recorded next to each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// Keychain, Credential Manager or Secret Service.
    Os,
    /// The Linux kernel keyring (lost at reboot).
    Keyutils,
    /// A plain 0600 JSON file under `BCCONN_HOME` (opt-in).
    File,
    /// Encrypted in the record database under the user's key
    /// (`crate::store::sealed`).
    Sealed,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Os => "os",
            StoreKind::Keyutils => "keyutils",
            StoreKind::File => "file",
            StoreKind::Sealed => "sealed",
        }
    }

    /// How the store is named to a person.
    pub fn describe(self) -> &'static str {
        match self {
            StoreKind::Os => "the OS keyring",
            StoreKind::Keyutils => "the Linux kernel keyring",
            StoreKind::File => "the plain-text secrets file",
            StoreKind::Sealed => "the sealed secret store",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StoreKind {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "os" => Ok(StoreKind::Os),
            "keyutils" => Ok(StoreKind::Keyutils),
            "file" => Ok(StoreKind::File),
            "sealed" => Ok(StoreKind::Sealed),
            other => Err(SecretError::UnknownStore(other.to_string()).into()),
        }
    }
}

/// What went wrong with a secret store, in words; what to do about it is
/// said where errors are reported (`crate::error`). Never holds a secret:
/// keyring errors carry only platform detail.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SecretError {
    #[error("BCCONN_SECRET_STORE={0:?} is not a secret store bcconn knows")]
    UnknownStore(String),
    #[error("the keyutils secret store exists only on Linux")]
    KeyutilsNotHere,
    #[error("{} did not answer within {} s (it may be locked and waiting for an unlock prompt)", .kind.describe(), .after.as_secs())]
    TimedOut {
        kind: StoreKind,
        after: std::time::Duration,
    },
    #[error("{} is locked or refused access: {detail}", .kind.describe())]
    Locked { kind: StoreKind, detail: String },
    #[error("{} is not reachable: {detail}", .kind.describe())]
    Unreachable { kind: StoreKind, detail: String },
    #[error("{} is not available on this machine", .kind.describe())]
    NotAvailable { kind: StoreKind },
    #[error("{} failed: {detail}", .kind.describe())]
    Other { kind: StoreKind, detail: String },
    /// The plain-text secrets file cannot be read (`why` says how).
    #[error("cannot read the secrets file {}: {why}", .path.display())]
    FileUnreadable {
        path: std::path::PathBuf,
        why: String,
    },
    #[error("the secrets file {} was written by a newer bcconn (format version {version}; this one reads {reads})", .path.display())]
    FileNewer {
        path: std::path::PathBuf,
        version: u64,
        reads: u64,
    },
    /// The sealed store is chosen (or holds a secret) and no key is set.
    #[error(
        "the sealed secret store needs its key, and neither BCCONN_SECRET_KEY nor BCCONN_SECRET_KEY_FILE is set"
    )]
    KeyMissing,
    /// Key text that is not a key list; never holds any of it.
    #[error("{from} is not a sealing key list: {}{why}", if *.item > 0 { format!("key {} ", .item) } else { String::new() })]
    KeyMalformed {
        from: String,
        item: usize,
        why: &'static str,
    },
    #[error("cannot read the key file {}: {why}", .path.display())]
    KeyFileUnreadable {
        path: std::path::PathBuf,
        why: String,
    },
    #[error("the key file {} can be read by others (mode {mode:04o}); a key file must be private", .path.display())]
    KeyFileOpen { path: std::path::PathBuf, mode: u32 },
    /// A key of the list has the id a secret names, but does not open it.
    #[error(
        "the key {key_id} in {from} does not open the sealed secret {account}: it is not the key that sealed it"
    )]
    WrongKey {
        key_id: String,
        account: String,
        from: String,
    },
    /// Sealed secrets name a key id the list does not hold.
    #[error("{count} sealed secret{} {} sealed by the key {key_id}, which {from} does not hold", if *.count == 1 { "" } else { "s" }, if *.count == 1 { "is" } else { "are" })]
    KeyNotHeld {
        key_id: String,
        count: u64,
        from: String,
    },
    /// A row that is not one this scheme wrote.
    #[error(
        "the sealed secret {account} is damaged, or was copied from another row: it does not open with the key that sealed the others"
    )]
    SealedDamaged { account: String },
}

/// A place to keep secrets. Implementations must never put a secret in an
/// error message.
pub trait SecretStore {
    fn kind(&self) -> StoreKind;
    /// `None` when there is no secret under `account`.
    fn get(&self, account: &str) -> Result<Option<SecretString>>;
    fn set(&self, account: &str, secret: &SecretString) -> Result<()>;
    /// Deleting what is not there is not an error.
    fn delete(&self, account: &str) -> Result<()>;
    /// For a store that lives in the record database: `secret` sealed for
    /// `account`, to be written in the record's own transaction
    /// (`crate::connect::commit`). `None`: the store keeps its own secrets.
    fn seal(&self, _account: &str, _secret: &SecretString) -> Option<Result<seal::SealedRow>> {
        None
    }
}

/// An account no secret is ever filed under: looking it up proves a store
/// answers (and, for a keyring, that it is unlocked) without reading one.
pub const PROBE_ACCOUNT: &str = "doctor/probe";

/// Whether `store` answers now.
pub fn probe(store: &dyn SecretStore) -> Result<()> {
    store.get(PROBE_ACCOUNT).map(|_| ())
}

/// The account name of an iClient's client secret.
pub fn iclient_account(id: &str) -> String {
    format!("iclient/{id}")
}

/// The account name of a connection's access token of generation 0 (the
/// key of versions before token generations).
pub fn connection_account(id: &str) -> String {
    format!("connection/{id}")
}

/// The account name of a connection's access token of generation `generation`:
/// `connection/<id>/g<N>`, and `connection/<id>` for generation 0.
pub fn token_account(id: &str, generation: u64) -> String {
    match generation {
        0 => connection_account(id),
        n => format!("connection/{id}/g{n}"),
    }
}

/// The account name of a storefront token saved with connection `id`
/// under `name`: `connection/<id>/storefront/<name>/<serial>` (a serial per
/// save, so a replacement never overwrites the token in use).
pub fn storefront_account(id: &str, name: &str, serial: &str) -> String {
    format!("connection/{id}/storefront/{name}/{serial}")
}

/// What `account` holds in `store` now, if the record says its secret lives
/// there (`recorded`): kept so that a failed record write can put it back.
pub fn snapshot(
    store: &dyn SecretStore,
    account: &str,
    recorded: Option<StoreKind>,
) -> Result<Option<SecretString>> {
    match recorded {
        Some(kind) if kind == store.kind() => store.get(account),
        _ => Ok(None),
    }
}

/// Puts `account` back as [`snapshot`] found it. It runs on an error path:
/// the caller reports the first error and mentions this one.
pub fn restore(
    store: &dyn SecretStore,
    account: &str,
    snapshot: Option<&SecretString>,
) -> Result<()> {
    match snapshot {
        Some(old) => store.set(account, old),
        None => store.delete(account),
    }
}

/// Opens the store of the given kind.
pub fn open(
    kind: StoreKind,
    home: &std::path::Path,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    wait: std::time::Duration,
    say: file::Notes,
) -> Result<Box<dyn SecretStore>> {
    Ok(match kind {
        StoreKind::File => Box::new(FileStore::with_seams(home, clock, wait, say)),
        StoreKind::Os | StoreKind::Keyutils => Box::new(KeyringStore::open(kind)?),
        // It lives in the record database: the records open it.
        StoreKind::Sealed => {
            return Err(SecretError::Other {
                kind,
                detail: "the sealed store is opened by the records".into(),
            }
            .into());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn restore_puts_back_what_snapshot_saw() {
        let store = MemoryStore::new(StoreKind::Os);
        store.set("a", &SecretString::from("old")).unwrap();
        let snap = snapshot(&store, "a", Some(StoreKind::Os)).unwrap();
        store.set("a", &SecretString::from("new")).unwrap();
        restore(&store, "a", snap.as_ref()).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().expose_secret(), "old");
        // Recorded elsewhere: nothing to keep here, so restoring removes it.
        let snap = snapshot(&store, "a", Some(StoreKind::File)).unwrap();
        assert!(snap.is_none());
        restore(&store, "a", snap.as_ref()).unwrap();
        assert!(store.get("a").unwrap().is_none());
    }
}
