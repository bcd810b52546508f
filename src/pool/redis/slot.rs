//! A held slot and its lease: renewed in the background while held,
//! freed on release or drop, and a place in the queue withdrawn when a
//! wait is given up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ::redis::RedisError;
use ::redis::aio::MultiplexedConnection;
use anyhow::Result;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::super::{BoxFuture, Held, PoolError};
use super::connection::{describe, scrub};
use super::scripts::{RELEASE, RENEW};
use crate::clock::Clock;
use crate::env::PoolUrl;

/// A held slot: renewed by a task until released.
pub(super) struct RedisSlot {
    pub(super) con: MultiplexedConnection,
    pub(super) url: PoolUrl,
    pub(super) keys: [String; 4],
    pub(super) id: String,
    pub(super) renewal: Option<AbortHandle>,
    pub(super) released: bool,
    /// Set by the renewal when the lease was gone and could not be taken again.
    pub(super) lost: Arc<AtomicBool>,
    pub(super) _permit: OwnedSemaphorePermit,
}

async fn release(
    mut con: MultiplexedConnection,
    keys: [String; 4],
    id: String,
) -> std::result::Result<(), RedisError> {
    let freed = RELEASE
        .key(&keys[0])
        .key(&keys[1])
        .key(&keys[2])
        .arg(&id)
        .invoke_async::<i64>(&mut con)
        .await;
    if let Err(e) = &freed {
        // Its lease runs out by itself within the TTL.
        tracing::debug!("freeing shared pool slot {id}: {e}");
    }
    freed.map(|_| ())
}

impl Held for RedisSlot {
    fn release(mut self: Box<Self>) -> BoxFuture<'static, Result<()>> {
        if let Some(r) = self.renewal.take() {
            r.abort();
        }
        self.released = true;
        let (con, keys, id) = (self.con.clone(), self.keys.clone(), self.id.clone());
        Box::pin(async move {
            let freed = release(con, keys, id).await;
            let url = self.url.clone();
            // The local permit goes last, so that a task of this process
            // woken by it finds the slot free in Redis too.
            drop(self);
            freed.map_err(|e| {
                PoolError::NotFreed {
                    url: url.redacted(),
                    why: scrub(&url, &describe(&e)),
                }
                .into()
            })
        })
    }

    fn lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }
}

impl Drop for RedisSlot {
    fn drop(&mut self) {
        if let Some(r) = self.renewal.take() {
            r.abort();
        }
        if !self.released {
            spawn_release(&self.con, &self.keys, &self.id);
        }
    }
}

/// Frees `id` from a `Drop`: on the current runtime when there is one (an
/// early return, a cancelled task); otherwise the TTL frees it.
fn spawn_release(con: &MultiplexedConnection, keys: &[String; 4], id: &str) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        let (con, keys, id) = (con.clone(), keys.clone(), id.to_string());
        rt.spawn(async move {
            let _ = release(con, keys, id).await;
        });
    }
}

/// A place in a pool's queue, withdrawn if the ask is given up (its
/// future dropped) before the slot comes.
pub(super) struct Waiting<'a> {
    pub(super) con: &'a MultiplexedConnection,
    pub(super) keys: &'a [String; 4],
    pub(super) id: &'a str,
    pub(super) done: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.done {
            spawn_release(self.con, self.keys, self.id);
        }
    }
}

/// What a renewal needs besides the connection.
pub(super) struct Renewal {
    pub(super) keys: [String; 4],
    pub(super) id: String,
    pub(super) ttl: Duration,
    pub(super) idle_ms: u64,
    pub(super) level: u8,
    /// The pool as people know it: `store/connection`.
    pub(super) name: String,
    pub(super) lost: Arc<AtomicBool>,
    pub(super) notes: Option<UnboundedSender<String>>,
    /// What the renewals are timed on.
    pub(super) clock: Arc<dyn Clock>,
}

impl Renewal {
    /// Said without `-v`: a lost lease means the pool's level may have
    /// been run over.
    fn say(&self, text: String) {
        match &self.notes {
            Some(tx) => {
                let _ = tx.send(text);
            }
            // No one to pass it to (every command that sends passes its
            // notes): kept for `-v`, as the client's own notes are.
            None => tracing::debug!("{text}"),
        }
    }
}

/// Renews a lease every TTL/3 until aborted: two renewals may fail (Redis
/// busy, a slow network) before the lease runs out. A lease found gone (its
/// keys lost: FLUSHALL, a restart, eviction; or it ran out) is taken again
/// when the pool has room; else the slot is marked lost, so that the
/// holder takes a slot again before its next request.
pub(super) async fn renew(mut con: MultiplexedConnection, r: Renewal) {
    let every = r.ttl / 3;
    loop {
        r.clock.sleep_async(every).await;
        let mut call = RENEW.prepare_invoke();
        for k in &r.keys {
            call.key(k);
        }
        call.arg(&r.id)
            .arg(r.ttl.as_millis() as u64)
            .arg(r.idle_ms)
            .arg(r.level.max(1));
        match call.invoke_async::<i64>(&mut con).await {
            Ok(1) => {}
            Ok(2) => r.say(format!(
                "note: the shared pool slot of {} was gone from Redis (its keys were lost: FLUSHALL, a restart or eviction?); taken again",
                r.name
            )),
            Ok(_) => {
                r.lost.store(true, Ordering::Relaxed);
                r.say(format!(
                    "warning: the shared pool slot of {} was gone from Redis (its keys were lost: FLUSHALL, a restart or eviction?) and others took the pool's {} slots: the request in flight finishes, the next one waits for a slot",
                    r.name, r.level
                ));
                return;
            }
            Err(e) => tracing::debug!("renewing shared pool slot {}: {e}", r.id),
        }
    }
}
