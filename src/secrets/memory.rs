//! An in-memory store for tests, which can be told to fail.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use anyhow::Result;
use secrecy::{ExposeSecret, SecretString};

use super::{SecretStore, StoreKind};

/// Keeps secrets in a map; reports itself as `kind` so records look real.
pub struct MemoryStore {
    kind: StoreKind,
    map: RefCell<HashMap<String, String>>,
    fail_set: Cell<bool>,
    fail_delete: Cell<bool>,
}

impl MemoryStore {
    pub fn new(kind: StoreKind) -> Self {
        MemoryStore {
            kind,
            map: RefCell::new(HashMap::new()),
            fail_set: Cell::new(false),
            fail_delete: Cell::new(false),
        }
    }

    pub fn len(&self) -> usize {
        self.map.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.borrow().is_empty()
    }

    /// Accounts that hold a secret, sorted.
    pub fn accounts(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.map.borrow().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// From now on, `set` fails (or works again).
    pub fn fail_set(&self, fail: bool) {
        self.fail_set.set(fail);
    }

    /// From now on, `delete` fails (or works again).
    pub fn fail_delete(&self, fail: bool) {
        self.fail_delete.set(fail);
    }
}

impl SecretStore for MemoryStore {
    fn kind(&self) -> StoreKind {
        self.kind
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>> {
        Ok(self
            .map
            .borrow()
            .get(account)
            .map(|s| SecretString::from(s.clone())))
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<()> {
        if self.fail_set.get() {
            anyhow::bail!("the test store was told to fail at set");
        }
        self.map
            .borrow_mut()
            .insert(account.to_string(), secret.expose_secret().to_string());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<()> {
        if self.fail_delete.get() {
            anyhow::bail!("the test store was told to fail at delete");
        }
        self.map.borrow_mut().remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_delete() {
        let store = MemoryStore::new(StoreKind::Os);
        assert!(store.get("a").unwrap().is_none());
        store.set("a", &SecretString::from("x")).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().expose_secret(), "x");
        store.delete("a").unwrap();
        store.delete("a").unwrap();
        assert!(store.get("a").unwrap().is_none());
    }
}
