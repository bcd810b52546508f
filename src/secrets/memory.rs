//! An in-memory store for unit tests.

use std::cell::RefCell;
use std::collections::HashMap;

use anyhow::Result;
use secrecy::{ExposeSecret, SecretString};

use super::{SecretStore, StoreKind};

/// Keeps secrets in a map; reports itself as `kind` so records look real.
pub struct MemoryStore {
    kind: StoreKind,
    map: RefCell<HashMap<String, String>>,
}

impl MemoryStore {
    pub fn new(kind: StoreKind) -> Self {
        MemoryStore {
            kind,
            map: RefCell::new(HashMap::new()),
        }
    }
}

impl MemoryStore {
    pub fn len(&self) -> usize {
        self.map.borrow().len()
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
        self.map
            .borrow_mut()
            .insert(account.to_string(), secret.expose_secret().to_string());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<()> {
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
