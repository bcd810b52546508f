//! A context for unit tests of the core: a temporary home, an in-memory
//! secret store that can be told to fail, a progress recorder, and a
//! scripted prompter.

use std::path::Path;
use std::rc::Rc;

use crate::context::Context;
use crate::env::Env;
use crate::seams::Recorder;
use crate::seams::script::{Reply, Script};
use crate::secrets::{MemoryStore, StoreKind};

pub struct TestCtx {
    pub ctx: Context,
    pub store: Rc<MemoryStore>,
    pub progress: Rc<Recorder>,
}

/// Records under `home`, secrets in memory (as the OS store), answers from
/// `replies`.
pub fn ctx(home: &Path, replies: &[Reply]) -> TestCtx {
    let dir = home.to_path_buf();
    let env = Env::from_lookup(|k| (k == "BCCONN_HOME").then(|| dir.clone().into_os_string()));
    let progress = Rc::new(Recorder::default());
    let ctx = Context::detached(env, progress.clone(), Box::new(Script::new(replies)), true);
    let store = Rc::new(MemoryStore::new(StoreKind::Os));
    ctx.set_store(store.clone());
    TestCtx {
        ctx,
        store,
        progress,
    }
}
