//! Concurrency pools and the stores' rate-limit state, shared by every bcconn
//! process that uses them.
//!
//! - A **pool** caps the requests in flight: a connection's pool is its
//!   lender chain's root (the pool owner), with that connection's level.
//!   Whoever holds a [`Lease`] may have one request in flight.
//! - A store's **rate book** is what its `X-Rate-Limit-*` headers taught:
//!   how many requests are left in the window and when it resets. Every
//!   request reserves one first ([`Rates::reserve`]) and reports the answer
//!   back ([`Rates::learn`]).
//!
//! Both sit behind small traits so that a shared backend (Redis, DESIGN.md
//! §8) can stand in for the local one: [`local::LocalPools`] keeps slots as
//! lock files and rate books as small JSON files under `BCCONN_HOME`.

pub mod local;
pub mod rate;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use rate::{Reserve, Seen, Ticket};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who shares a concurrency cap: the pool owner's id (the root of a lender
/// chain) on a store, and the level the cap allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolId {
    pub store: String,
    pub owner: String,
    pub level: u8,
}

impl PoolId {
    /// A name safe for a file or a key: `<store>-<owner id>`.
    pub fn key(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        };
        format!("{}-{}", clean(&self.store), clean(&self.owner))
    }
}

/// A backend for pools and rate books.
pub trait Pools: Send + Sync {
    /// Waits for a free slot of `pool`.
    fn acquire<'a>(&'a self, pool: &'a PoolId) -> BoxFuture<'a, anyhow::Result<Lease>>;
    /// The stores' rate books.
    fn rates(&self) -> &dyn Rates;
}

/// A store's shared rate-limit state.
pub trait Rates: Send + Sync {
    /// Asks to send one request to `store` now.
    fn reserve<'a>(&'a self, store: &'a str) -> BoxFuture<'a, anyhow::Result<Reserve>>;
    /// Reports the answer to a reserved request: its rate-limit headers
    /// (`None` when it had none, or when no answer came: `answered` false),
    /// and a 429's wait.
    fn learn<'a>(
        &'a self,
        store: &'a str,
        ticket: Ticket,
        answered: bool,
        seen: Option<Seen>,
        retry_after: Option<Duration>,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// A held slot. Dropping it frees the slot; a backend that needs a round
/// trip to free one does it in [`Lease::release`].
pub struct Lease {
    held: Option<Box<dyn Held>>,
}

/// What a backend keeps for a held slot.
pub trait Held: Send {
    /// Frees the slot.
    fn release(self: Box<Self>) -> BoxFuture<'static, ()>;
}

impl Lease {
    pub fn new(held: Box<dyn Held>) -> Lease {
        Lease { held: Some(held) }
    }

    /// Frees the slot now.
    pub async fn release(mut self) {
        if let Some(h) = self.held.take() {
            h.release().await;
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Local slots are freed by dropping their lock file handle; a remote
        // backend's lease expires by its TTL if this is ever reached.
        drop(self.held.take());
    }
}

/// The backend for this machine: lock files under `home`.
pub fn local(home: &std::path::Path) -> std::sync::Arc<dyn Pools> {
    std::sync::Arc::new(local::LocalPools::new(home))
}
