//! The OS keyring (and the Linux kernel keyring) through keyring-core.
//!
//! Every call runs on a helper thread with a deadline: a locked Secret Service
//! can sit forever waiting for an unlock prompt nobody will see, and a CLI
//! must not hang on that. The thread is left behind on timeout; the process
//! exits soon after anyway.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Result;
use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use secrecy::{ExposeSecret, SecretString};

use super::{SERVICE, SecretError, SecretStore, StoreKind};

/// How long one keyring call may take.
const TIMEOUT: Duration = Duration::from_secs(3);

pub struct KeyringStore {
    kind: StoreKind,
    /// `None` for `os`: the keyring crate registered the platform store as
    /// keyring-core's default. `Some` for a store we built ourselves.
    store: Option<Arc<CredentialStore>>,
}

impl KeyringStore {
    /// Connects to the store of `kind` (`os` or `keyutils`).
    pub fn open(kind: StoreKind) -> Result<Self> {
        match kind {
            StoreKind::Os => {
                // The keyring crate picks Keychain / Credential Manager /
                // Secret Service and registers it as the default store.
                // The status is the platform store's own error, kept by the
                // keyring crate; turn it into our message on the helper thread.
                with_timeout(kind, move || {
                    ::keyring::Entry::store_status()
                        .as_ref()
                        .map_err(|e| keyring_failure(kind, e))
                })??;
                Ok(KeyringStore { kind, store: None })
            }
            StoreKind::Keyutils => {
                #[cfg(target_os = "linux")]
                {
                    let store: Arc<CredentialStore> = linux_keyutils_keyring_store::Store::new()
                        .map_err(|e| keyring_failure(kind, &e))?;
                    Ok(KeyringStore {
                        kind,
                        store: Some(store),
                    })
                }
                #[cfg(not(target_os = "linux"))]
                {
                    Err(SecretError::KeyutilsNotHere.into())
                }
            }
            StoreKind::File | StoreKind::Sealed => {
                unreachable!("only os and keyutils are keyrings")
            }
        }
    }

    fn call<T: Send + 'static>(
        &self,
        account: &str,
        op: impl FnOnce(&Entry) -> Result<T, KeyringError> + Send + 'static,
    ) -> Result<Result<T, KeyringError>> {
        let store = self.store.clone();
        let account = account.to_string();
        with_timeout(self.kind, move || {
            let entry = match &store {
                Some(store) => Entry::new_in_store(store, SERVICE, &account)?,
                None => Entry::new(SERVICE, &account)?,
            };
            op(&entry)
        })
    }
}

fn with_timeout<T: Send + 'static>(
    kind: StoreKind,
    op: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(op());
    });
    rx.recv_timeout(TIMEOUT).map_err(|_| {
        SecretError::TimedOut {
            kind,
            after: TIMEOUT,
        }
        .into()
    })
}

/// A keyring error as ours. Keyring errors never contain the secret itself,
/// only platform detail.
fn keyring_failure(kind: StoreKind, e: &KeyringError) -> SecretError {
    match e {
        KeyringError::NoStorageAccess(detail) => SecretError::Locked {
            kind,
            detail: detail.to_string(),
        },
        KeyringError::PlatformFailure(detail) => SecretError::Unreachable {
            kind,
            detail: detail.to_string(),
        },
        KeyringError::NoDefaultStore => SecretError::NotAvailable { kind },
        other => SecretError::Other {
            kind,
            detail: other.to_string(),
        },
    }
}

impl SecretStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        self.kind
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>> {
        match self.call(account, |e| e.get_password())? {
            Ok(secret) => Ok(Some(SecretString::from(secret))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(keyring_failure(self.kind, &e).into()),
        }
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<()> {
        let value = secret.expose_secret().to_string();
        self.call(account, move |e| e.set_password(&value))?
            .map_err(|e| keyring_failure(self.kind, &e).into())
    }

    fn delete(&self, account: &str) -> Result<()> {
        match self.call(account, |e| e.delete_credential())? {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(keyring_failure(self.kind, &e).into()),
        }
    }
}
