//! The seams between bcconn and the outside world, built once in `main`.
//!
//! Commands take a `&Context` and reach the environment, records, secret
//! stores, the terminal and the browser only through it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::rc::Rc;

use anyhow::Result;

use crate::env::Env;
use crate::secrets::{self, SecretStore, StoreKind};
use crate::store::Records;
use crate::ui::Ui;

pub struct Context {
    pub env: Env,
    pub records: Records,
    pub ui: Ui,
    /// Secret stores are opened on first use: `list` must never touch one.
    stores: RefCell<HashMap<StoreKind, Rc<dyn SecretStore>>>,
    /// stdin and stderr are both terminals: prompts are possible.
    pub interactive: bool,
}

impl Context {
    pub fn new(env: Env) -> Context {
        let stderr_tty = std::io::stderr().is_terminal();
        let ui = Ui::new(!env.no_color && stderr_tty);
        tracing::debug!(
            "records in {}{}",
            env.home.display(),
            if env.home_from_env {
                " (BCCONN_HOME)"
            } else {
                ""
            }
        );
        Context {
            records: Records::new(&env.home),
            ui,
            stores: RefCell::new(HashMap::new()),
            interactive: stderr_tty && std::io::stdin().is_terminal(),
            env,
        }
    }

    /// The store of `kind`, opened once.
    pub fn secrets(&self, kind: StoreKind) -> Result<Rc<dyn SecretStore>> {
        if let Some(store) = self.stores.borrow().get(&kind) {
            return Ok(store.clone());
        }
        tracing::debug!("opening secret store {kind}");
        let store: Rc<dyn SecretStore> = Rc::from(secrets::open(kind, &self.env.home)?);
        self.stores.borrow_mut().insert(kind, store.clone());
        Ok(store)
    }

    /// The store new secrets go to (`BCCONN_SECRET_STORE`, default `os`).
    pub fn default_secrets(&self) -> Result<Rc<dyn SecretStore>> {
        self.secrets(self.env.secret_store_kind()?)
    }

    /// Replaces a store, for unit tests.
    #[cfg(test)]
    pub fn set_store(&self, store: Rc<dyn SecretStore>) {
        self.stores.borrow_mut().insert(store.kind(), store);
    }
}
