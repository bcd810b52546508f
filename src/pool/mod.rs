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
//! Both sit behind small traits so that a shared backend can stand in for
//! the local one: [`local::LocalPools`] keeps slots as lock files and rate
//! books as small JSON files under `BCCONN_HOME`; [`redis::RedisPools`]
//! keeps both in Redis for many machines (`BCCONN_POOL_URL`, DESIGN.md §8).

pub mod local;
pub mod rate;
pub mod redis;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use crate::clock::Clock;

pub use rate::{Learned, Reserve, Seen, Ticket};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who shares a concurrency cap: the pool owner (the root of a lender
/// chain) on a store, and the level the cap allows.
///
/// The owner is known two ways. Its id is stable on one machine (a rename
/// keeps it) but random per machine; its name is what two machines holding
/// "the same connection" agree on. Local pools use the id, shared pools the
/// name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolId {
    pub store: String,
    /// The owner's connection id.
    pub owner: String,
    /// The owner's connection name.
    pub owner_name: String,
    pub level: u8,
}

impl PoolId {
    /// A name safe for a file: `<store>-<owner id>`.
    pub fn key(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        };
        format!("{}-{}", clean(&self.store), clean(&self.owner))
    }

    /// The identity machines share: `<store>:<owner name>`, the name
    /// lower-cased (names are unique ignoring case), each part
    /// percent-encoded outside `[a-z0-9._-]`: distinct names stay distinct,
    /// and neither part holds `:`, `{` or `}` (which the Redis keys use).
    pub fn shared_key(&self) -> String {
        format!(
            "{}:{}",
            key_part(&self.store),
            key_part(&self.owner_name.to_lowercase())
        )
    }
}

/// `s` percent-encoded outside `[A-Za-z0-9._-]`.
pub fn key_part(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'_')
        .remove(b'-');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

/// A backend for pools and rate books.
pub trait Pools: Send + Sync {
    /// Makes sure the backend can be used (a shared one connects), so that
    /// a caller can fail once, clearly, before starting any work.
    fn ready(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }
    /// Waits for a free slot of `pool`.
    fn acquire<'a>(&'a self, pool: &'a PoolId) -> BoxFuture<'a, anyhow::Result<Lease>>;
    /// Where to say what happens to held slots between requests (a shared
    /// backend's lease found gone on renewal): said without `-v`.
    fn set_notes(&self, _notes: tokio::sync::mpsc::UnboundedSender<String>) {}
    /// The stores' rate books.
    fn rates(&self) -> &dyn Rates;
}

/// A store's shared rate-limit state.
pub trait Rates: Send + Sync {
    /// Asks to send one request to `store` now.
    fn reserve<'a>(&'a self, store: &'a str) -> BoxFuture<'a, anyhow::Result<Reserve>>;
    /// Reports the answer to a reserved request: its rate-limit headers
    /// (`None` when it had none, or when no answer came), and a 429's wait.
    fn learn<'a>(&'a self, store: &'a str, learned: Learned) -> BoxFuture<'a, anyhow::Result<()>>;
    /// How to clear a store's book by hand (for a wait that looks wrong).
    fn clear_hint(&self, store: &str) -> String;
}

/// A held slot. Dropping it frees the slot; a backend that needs a round
/// trip to free one does it in [`Lease::release`].
pub struct Lease {
    held: Option<Box<dyn Held>>,
}

/// What a backend keeps for a held slot.
pub trait Held: Send {
    /// Frees the slot; an error when the backend could not be told (the
    /// slot then frees itself when its lease runs out).
    fn release(self: Box<Self>) -> BoxFuture<'static, anyhow::Result<()>>;
    /// The slot was lost while held (a shared lease found gone and taken
    /// by another): the next request must take a slot again.
    fn lost(&self) -> bool {
        false
    }
}

impl Lease {
    pub fn new(held: Box<dyn Held>) -> Lease {
        Lease { held: Some(held) }
    }

    /// Frees the slot now.
    pub async fn release(mut self) -> anyhow::Result<()> {
        match self.held.take() {
            Some(h) => h.release().await,
            None => Ok(()),
        }
    }

    /// Whether the slot was lost while held (see [`Held::lost`]).
    pub fn lost(&self) -> bool {
        self.held.as_ref().is_some_and(|h| h.lost())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Local slots are freed by dropping their lock file handle; a
        // shared backend's `Held` frees its slot from its own `Drop` when a
        // runtime is there to do it, and otherwise lets its TTL run out.
        drop(self.held.take());
    }
}

/// The backend for this machine: lock files under `home`, waited for on
/// `clock`.
pub fn local(home: &std::path::Path, clock: Arc<dyn Clock>) -> Arc<dyn Pools> {
    Arc::new(local::LocalPools::new(home, clock))
}

/// Why a pool or a rate book could not be used. Each message names what
/// failed (a file, the shared pools' URL without its password); what to do
/// about it is said above, where the command line is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// A slot or book file that is something else (a FIFO, a directory).
    #[error("{} ({what}) is not a regular file", path.display())]
    NotRegular { path: PathBuf, what: &'static str },
    /// Another process kept a store's rate book locked too long.
    #[error(
        "gave up after {} s waiting for another bcconn process to release {} (a store's rate book)",
        waited.as_secs(),
        path.display()
    )]
    BookLocked {
        path: PathBuf,
        waited: std::time::Duration,
    },
    /// `BCCONN_POOL_URL` is not a Redis URL.
    #[error("BCCONN_POOL_URL={url} is not a Redis URL ({why})")]
    BadUrl { url: String, why: String },
    /// Redis could not be reached or refused the connection.
    #[error("cannot use the shared pools at {url} (BCCONN_POOL_URL): {why}")]
    Unreachable {
        url: String,
        why: String,
        refused: Refused,
    },
    /// Redis failed after connecting (went away, stopped answering).
    #[error("the shared pools at {url} (BCCONN_POOL_URL) failed while {doing}: {why}")]
    Broken {
        url: String,
        doing: &'static str,
        why: String,
    },
    /// A PING on a connection just made was not answered.
    #[error("the shared pools at {url} (BCCONN_POOL_URL) stopped answering: {why}")]
    StoppedAnswering { url: String, why: String },
    /// Redis could not be told that a slot is free.
    #[error(
        "could not free a slot of the shared pools at {url} (BCCONN_POOL_URL): {why}; it frees itself when its lease runs out"
    )]
    NotFreed { url: String, why: String },
}

/// What refused a connection to Redis, as far as its error tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The user or password.
    Credentials,
    /// The database number.
    Database,
    /// Anything else (no answer, connection refused, TLS, a bad answer).
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(store: &str, owner: &str, name: &str) -> PoolId {
        PoolId {
            store: store.into(),
            owner: owner.into(),
            owner_name: name.into(),
            level: 2,
        }
    }

    #[test]
    fn local_keys_use_the_id_and_shared_keys_the_name() {
        let a = pool("abc123", "id-1", "Acme Prod");
        let b = pool("abc123", "id-2", "acme prod");
        assert_eq!(a.key(), "abc123-id_1");
        assert_ne!(a.key(), b.key(), "ids differ per machine");
        assert_eq!(a.shared_key(), "abc123:acme%20prod");
        assert_eq!(
            a.shared_key(),
            b.shared_key(),
            "names agree across machines"
        );
        // Encoded, not flattened: names that differ keep differing keys, and
        // no key holds Redis' separators or hash-tag braces.
        let key = |n: &str| pool("abc123", "x", n).shared_key();
        assert_ne!(key("a b"), key("a_b"));
        assert_ne!(key("a:b"), key("a%3Ab"));
        assert_eq!(key("ops}{x:1"), "abc123:ops%7D%7Bx%3A1");
        assert_eq!(key("prod-é"), "abc123:prod-%C3%A9");
        assert_eq!(key("a.b_c-d"), "abc123:a.b_c-d");
    }
}
