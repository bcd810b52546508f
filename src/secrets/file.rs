//! The opt-in plain-text store: `$BCCONN_HOME/secrets.json`, mode 0600.
//!
//! For machines with no keyring (containers, CI). Chosen only by
//! `BCCONN_SECRET_STORE=file`, and every write says so on stderr, so nobody
//! ends up with plain-text secrets without knowing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{SecretStore, StoreKind};
use crate::fsutil;

const FILE_NAME: &str = "secrets.json";
const LOCK_NAME: &str = "secrets.lock";

/// The secrets file's content.
#[derive(Default, Serialize, Deserialize)]
pub struct SecretsFile {
    version: u32,
    secrets: BTreeMap<String, String>,
}

impl SecretsFile {
    /// The accounts it holds (`iclient/<id>`, `connection/<id>`), in order.
    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.secrets.keys().map(String::as_str)
    }
}

pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(home: &Path) -> Self {
        FileStore {
            dir: home.to_path_buf(),
        }
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
        let path = self.path();
        match std::fs::read(&path) {
            Ok(bytes) => FileStore::parse(&bytes).map_err(|e| {
                crate::error::failure(format!(
                    "cannot read the secrets file {}: {e}",
                    path.display()
                ))
                .hint("fix or move the file away; bcconn will not overwrite it")
                .into()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SecretsFile {
                version: 1,
                ..Default::default()
            }),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Read-modify-write under the lock. `change` returns whether it changed
    /// anything; nothing is written when it did not.
    fn modify(&self, change: impl FnOnce(&mut BTreeMap<String, String>) -> bool) -> Result<bool> {
        fsutil::ensure_private_dir(&self.dir)?;
        let _lock = fsutil::lock(&self.dir.join(LOCK_NAME))?;
        let mut file = self.read()?;
        if !change(&mut file.secrets) {
            return Ok(false);
        }
        file.version = 1;
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
        eprintln!(
            "note: secret saved in plain text in {} (BCCONN_SECRET_STORE=file)",
            self.path().display()
        );
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<()> {
        if !self.path().exists() {
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
