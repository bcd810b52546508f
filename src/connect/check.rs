//! Checking many connections' tokens at once (`bcconn status`): every check
//! runs in parallel, each within its pool's level and its store's rate
//! limit; `on_done` hears of each as it ends.

use std::sync::Arc;

use anyhow::Result;
use secrecy::SecretString;

use super::using;
use crate::bigcommerce::api::Check;
use crate::context::Context;
use crate::store::{Connection, Tx};

/// Checks each `(key, connection, token)`; returns `(key, outcome)` in the
/// order they finished.
pub fn check_all<K: Send + 'static>(
    ctx: &Context,
    file: &Tx,
    items: Vec<(K, &Connection, SecretString)>,
    mut on_done: impl FnMut(usize, usize),
) -> Result<Vec<(K, Check)>> {
    let pools = using::pools(ctx)?;
    let http = using::http();
    let (tx, notes) = using::notes();
    let total = items.len();
    let mut clients = Vec::new();
    for (key, c, token) in items {
        let client = using::client(ctx, &http, file, c, token, pools.clone(), Some(tx.clone()))?;
        clients.push((key, Arc::new(client)));
    }
    drop(tx);
    using::drive(ctx, notes, async {
        // Shared pools unreachable: one clear error, not one per connection.
        pools.ready().await?;
        let mut set = tokio::task::JoinSet::new();
        for (key, client) in clients {
            set.spawn(async move { (key, client.check().await) });
        }
        let mut out = Vec::with_capacity(total);
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(r) => {
                    out.push(r);
                    on_done(out.len(), total);
                }
                Err(e) => return Err(anyhow::anyhow!("a check stopped: {e}")),
            }
        }
        Ok(out)
    })?
}
