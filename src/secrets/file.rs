//! The opt-in plain-text store: `$BCCONN_HOME/secrets.json`, mode 0600.
//!
//! For machines with no keyring (containers, CI). Chosen only by
//! `BCCONN_SECRET_STORE=file`, and every write says so on stderr, so nobody
//! ends up with plain-text secrets without knowing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{SecretError, SecretStore, StoreKind};
use crate::fsutil;

pub const FILE_NAME: &str = "secrets.json";
pub const LOCK_NAME: &str = "secrets.lock";
/// The format version this build reads and writes.
const VERSION: u64 = 1;

/// The secrets file's content.
#[derive(Default, Serialize, Deserialize)]
pub struct SecretsFile {
    version: u64,
    secrets: BTreeMap<String, String>,
    /// Fields this version does not know, kept as they are.
    #[serde(flatten, default, skip_serializing_if = "Map::is_empty")]
    extra: Map<String, Value>,
}

impl SecretsFile {
    /// The accounts it holds (`iclient/<id>`, `connection/<id>`), in order.
    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.secrets.keys().map(String::as_str)
    }
}

pub struct FileStore {
    dir: PathBuf,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    /// How long a change waits for another writer.
    wait: std::time::Duration,
    /// Where the store says what a person must hear: a wait for its lock,
    /// and each secret that lands in plain text.
    say: Notes,
}

/// Lines for a person, passed up to whoever holds the terminal.
pub type Notes = std::rc::Rc<dyn Fn(&str)>;

impl FileStore {
    /// The store's file (`doctor`, cleanup): nothing to say, the real clock.
    pub fn new(home: &Path) -> Self {
        FileStore::with_seams(
            home,
            crate::clock::system(),
            fsutil::LOCK_WAIT,
            std::rc::Rc::new(|_: &str| {}),
        )
    }

    pub fn with_seams(
        home: &Path,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
        wait: std::time::Duration,
        say: Notes,
    ) -> Self {
        FileStore {
            dir: home.to_path_buf(),
            clock,
            wait,
            say,
        }
    }

    /// The file's lock, waited for at most `limit`.
    fn lock(&self, limit: std::time::Duration) -> Result<std::fs::File> {
        fsutil::lock(
            &self.dir.join(LOCK_NAME),
            &fsutil::Waiting {
                clock: self.clock.as_ref(),
                limit,
                say: &*self.say,
            },
        )
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// A secrets file's bytes, parsed (the reader, `doctor` and the fuzz
    /// target share this).
    pub fn parse(bytes: &[u8]) -> Result<SecretsFile, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    fn read(&self) -> Result<SecretsFile> {
        if !self.dir.is_absolute() {
            return Err(fsutil::FsError::NoHome.into());
        }
        let path = self.path();
        let Some(bytes) = fsutil::read_regular(&path)? else {
            return Ok(SecretsFile {
                version: VERSION,
                ..Default::default()
            });
        };
        // The version first, so a newer format is named as such.
        #[derive(Deserialize)]
        struct Probe {
            version: Option<Value>,
        }
        let unreadable = |why: String| SecretError::FileUnreadable {
            path: path.clone(),
            why,
        };
        let probe: Probe = serde_json::from_slice(&bytes)
            .map_err(|e| unreadable(format!("not valid JSON ({e})")))?;
        match probe.version.as_ref().and_then(Value::as_u64) {
            Some(VERSION) => {}
            Some(v) if v > VERSION => {
                return Err(SecretError::FileNewer {
                    path,
                    version: v,
                    reads: VERSION,
                }
                .into());
            }
            _ => {
                return Err(unreadable("it has no format version bcconn knows".to_string()).into());
            }
        }
        serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()).into())
    }

    /// Read-modify-write under the lock. `change` returns whether it changed
    /// anything; nothing is written when it did not.
    fn modify(&self, change: impl FnOnce(&mut BTreeMap<String, String>) -> bool) -> Result<bool> {
        if !self.dir.is_absolute() {
            return Err(fsutil::FsError::NoHome.into());
        }
        fsutil::ensure_private_dir(&self.dir)?;
        let _lock = self.lock(self.wait)?;
        self.modify_locked(change)
    }

    /// Removes the temp files crashed writes of the secrets file left (and
    /// of the record file of versions before the database). Cheap when
    /// there are none: one directory listing, no lock.
    pub fn remove_stale_temps(&self) -> usize {
        let Ok(target) = fsutil::write_target(&self.path()) else {
            return 0;
        };
        let dir = target.parent().unwrap_or(Path::new("."));
        let any = std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(".bcconn-") && n.ends_with(".tmp"))
            })
        });
        if !any {
            return 0;
        }
        // A write holding the lock is running: its temp file is live.
        let wait = std::time::Duration::from_millis(100);
        let Ok(_lock) = self.lock(wait) else {
            return 0;
        };
        fsutil::remove_stale_tmp(&target) + fsutil::remove_stale_tmp(&dir.join("bcconn.json"))
    }

    /// Removes what crashed writes left: temp files of the secrets file, and
    /// the secrets of records that do not exist (`named` says which
    /// accounts a record names). Only `iclient/…` and `connection/…`
    /// accounts are bcconn's to judge; anything else is kept. Does nothing
    /// (and creates nothing) where the plain-text store was never used.
    /// The caller holds the records lock. Returns how many secrets went.
    pub fn tidy(&self, named: impl Fn(&str) -> bool) -> Result<usize> {
        let target = fsutil::write_target(&self.path())?;
        let dir = target.parent().unwrap_or(Path::new("."));
        let prefix = format!(".bcconn-{FILE_NAME}-");
        let has_tmp = std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&prefix))
            })
        });
        if !has_tmp && !target.exists() {
            return Ok(0);
        }
        fsutil::ensure_private_dir(&self.dir)?;
        let _lock = self.lock(self.wait)?;
        fsutil::remove_stale_tmp(&target);
        if !target.exists() {
            return Ok(0);
        }
        let mut removed = 0;
        self.modify_locked(|map| {
            let before = map.len();
            map.retain(|account, _| {
                let ours = account.starts_with("iclient/") || account.starts_with("connection/");
                !ours || named(account)
            });
            removed = before - map.len();
            removed > 0
        })?;
        Ok(removed)
    }

    /// [`FileStore::modify`] for a caller that holds the lock already.
    fn modify_locked(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, String>) -> bool,
    ) -> Result<bool> {
        let mut file = self.read()?;
        if !change(&mut file.secrets) {
            return Ok(false);
        }
        let mut bytes = serde_json::to_vec_pretty(&file)?;
        bytes.push(b'\n');
        fsutil::write_atomic(&self.path(), &bytes)?;
        Ok(true)
    }
}

impl SecretStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>> {
        Ok(self
            .read()?
            .secrets
            .get(account)
            .map(|s| SecretString::from(s.clone())))
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<()> {
        let value = secret.expose_secret().to_string();
        self.modify(|map| {
            map.insert(account.to_string(), value);
            true
        })?;
        // Opt-in is not enough: say it each time a secret lands in plain text.
        (self.say)(&format!(
            "note: secret saved in plain text in {} (BCCONN_SECRET_STORE=file)",
            self.path().display()
        ));
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<()> {
        if !self.dir.is_absolute() || !self.path().exists() {
            return Ok(());
        }
        self.modify(|map| map.remove(account).is_some()).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_persists_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        store.set("iclient/1", &SecretString::from("abc")).unwrap();
        let again = FileStore::new(dir.path());
        assert_eq!(
            again.get("iclient/1").unwrap().unwrap().expose_secret(),
            "abc"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        again.delete("iclient/1").unwrap();
        assert!(store.get("iclient/1").unwrap().is_none());
    }

    #[test]
    fn corrupt_file_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        std::fs::write(store.path(), b"{nope").unwrap();
        assert!(store.set("a", &SecretString::from("b")).is_err());
        assert_eq!(std::fs::read(store.path()).unwrap(), b"{nope");
    }
}
