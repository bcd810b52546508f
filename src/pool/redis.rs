//! The shared backend: pools and rate books in Redis, for the bcconn
//! processes of many machines (`BCCONN_POOL_URL`, DESIGN.md §8).
//!
//! # Pools: a fair semaphore with leases
//!
//! A pool is the fair semaphore of *Redis in Action* §6.3 (J. Carlson): a
//! ZSET of holders and a counter that hands out tickets, every step one Lua
//! script so that no two clients interleave. As in the book, holders are
//! scored by time so a dead holder is dropped, and the order of a ticket,
//! not a machine's clock, decides who goes first. Two changes:
//!
//! - **Leases.** A holder's score is its expiry on Redis's own clock
//!   (`TIME`), not its start, and a task renews it every TTL/3 while the
//!   request runs. A holder killed with SIGKILL stops renewing; its slot is
//!   free within the TTL (`BCCONN_POOL_TTL`, 30 s by default).
//! - **Waiters keep their ticket.** The book's client takes a new ticket on
//!   every try, so a waiter can lose to newcomers for ever. Here a waiter
//!   joins an ordered queue once (ZSET scored by ticket) and keeps its
//!   place while it keeps asking; a slot goes to a waiter only when every
//!   waiter ahead of it is served too (`rank < level - holders`). A waiter
//!   that stops asking (killed while waiting) is dropped from the queue
//!   after [`WAITER_TTL`], so it cannot block the ones behind it. The
//!   result is first come, first served across machines: nobody starves.
//!
//! Keys, per pool (`{…}` is a Redis Cluster hash tag: one slot for all):
//! `bcconn:pool:{<store>:<owner name>}:holders` (ZSET lease id -> expiry
//! ms), `:queue` (ZSET waiter id -> ticket), `:waiting` (ZSET waiter id ->
//! when it stops counting as waiting), `:tickets` (the counter). Every
//! script refreshes their expiry, so an abandoned pool leaves nothing.
//!
//! Inside one process, a semaphore of the pool's level and a turn lock keep
//! the process's tasks from asking Redis for slots they cannot use: one
//! task per pool and process waits in Redis's queue at a time (round-robin
//! between processes), and it polls with a bounded backoff
//! ([`MIN_PAUSE`]..[`MAX_PAUSE`]).
//!
//! # Rate books
//!
//! A store's rate book ([`super::rate::Book`]) lives in a hash
//! `bcconn:rate:{<store>}` (quota, window, requests left, reset time) and a
//! ZSET `…:out` of the requests sent and not yet answered. Its two steps,
//! `reserve` and `learn`, are a Lua port of `Book::reserve`/`Book::learn`
//! run atomically, on Redis's clock, so what one machine learns from the
//! headers the others see and together they stay under the quota. The keys
//! expire 10 minutes after the window's reset: the quota learnt survives
//! into the next window (else each would start with the blind probes of an
//! unknown store), and a store no longer used leaves nothing behind.
//!
//! # Failures
//!
//! Redis unreachable or refusing (connection refused, no answer within a
//! few seconds, a wrong password, a database that does not exist) is a
//! [`PoolError`] naming the URL without its password.
//! There is no fallback to local pools: that would break the level's
//! promise without a word.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::RedisError;
use ::redis::aio::MultiplexedConnection;
use anyhow::Result;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{OnceCell, Semaphore};

use super::rate::{MARGIN_MS, OUT_FOR_MS, POLL_MS, UNKNOWN_BURST, WaitWhy};
use super::{
    BoxFuture, Learned, Lease, PoolError, PoolId, Pools, Rates, Reserve, Seen, Ticket, key_part,
};
use crate::clock::Clock;
use crate::env::PoolUrl;
use connection::{connect, describe, open, scrub};
use scripts::{ACQUIRE, LEARN, RESERVE};
use slot::{RedisSlot, Renewal, Waiting, renew};

pub use connection::ping_on;

/// How long connecting (TCP, TLS, AUTH, SELECT, PING) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// A waiter that has not asked for this long loses its place in the queue.
/// Waiters ask at least every [`MAX_PAUSE`], so only a dead (or frozen)
/// one is dropped.
pub const WAITER_TTL: Duration = Duration::from_secs(3);
/// The first pause between two asks for a slot; it doubles up to
/// [`MAX_PAUSE`]. Short first, so that a slot freed a moment later is taken
/// at once; bounded, so that a long wait costs Redis ~50 asks a second per
/// waiting process, not a busy loop.
pub const MIN_PAUSE: Duration = Duration::from_millis(1);
pub const MAX_PAUSE: Duration = Duration::from_millis(20);
/// Rate books outlive their window's reset by this much.
const RATE_IDLE_MS: u64 = 10 * 60 * 1000;

mod connection;
mod scripts;
mod slot;

/// Pools and rate books in Redis.
///
/// Its connection is made on first use, on the runtime of that use, and
/// stays bound to it: use one `RedisPools` within one runtime.
pub struct RedisPools {
    url: PoolUrl,
    client: ::redis::Client,
    ttl: Duration,
    con: OnceCell<std::result::Result<MultiplexedConnection, PoolError>>,
    /// Per pool: a semaphore of its level, for this process's tasks.
    local: Mutex<HashMap<(String, u8), Arc<Semaphore>>>,
    /// Per pool: whose turn it is to wait in Redis's queue.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Where a renewal says that a lease was lost (see [`Pools::set_notes`]).
    notes: Mutex<Option<UnboundedSender<String>>>,
    /// What the waits for a slot and the renewals sleep on.
    clock: Arc<dyn Clock>,
}

impl RedisPools {
    /// Checks the URL; nothing is connected yet.
    pub fn new(
        url: &PoolUrl,
        ttl: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<RedisPools, PoolError> {
        let client = open(url)?;
        Ok(RedisPools {
            url: url.clone(),
            client,
            ttl,
            con: OnceCell::new(),
            local: Mutex::new(HashMap::new()),
            turns: Mutex::new(HashMap::new()),
            notes: Mutex::new(None),
            clock,
        })
    }

    async fn con(&self) -> Result<MultiplexedConnection> {
        let got = self
            .con
            .get_or_init(|| async { connect(&self.url, &self.client).await })
            .await;
        match got {
            Ok(c) => Ok(c.clone()),
            Err(r) => Err(r.clone().into()),
        }
    }

    /// Redis failed after connecting (went away, stopped answering).
    fn broken(&self, doing: &'static str, e: &RedisError) -> anyhow::Error {
        PoolError::Broken {
            url: self.url.redacted(),
            doing,
            why: scrub(&self.url, &describe(e)),
        }
        .into()
    }

    /// Keys expire when no one has touched a pool for this long.
    fn idle_ms(&self) -> u64 {
        (self.ttl * 4)
            .max(Duration::from_secs(60))
            .max(WAITER_TTL * 4)
            .as_millis() as u64
    }

    fn semaphore(&self, pool: &PoolId) -> Arc<Semaphore> {
        let mut map = self.local.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((pool.shared_key(), pool.level))
            .or_insert_with(|| Arc::new(Semaphore::new(usize::from(pool.level.max(1)))))
            .clone()
    }

    fn turn(&self, pool: &PoolId) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(pool.shared_key()).or_default().clone()
    }

    /// `reserve` with a given clock (`None`: Redis's own).
    async fn reserve_at(&self, store: &str, now: Option<u64>) -> Result<Reserve> {
        let mut con = self.con().await?;
        let [book, outs] = rate_keys(store);
        let got: Vec<i64> = RESERVE
            .key(book)
            .key(outs)
            .arg(now.map(|n| n.to_string()).unwrap_or_default())
            .arg(UNKNOWN_BURST)
            .arg(OUT_FOR_MS)
            .arg(POLL_MS)
            .arg(MARGIN_MS)
            .arg(RATE_IDLE_MS)
            .invoke_async(&mut con)
            .await
            .map_err(|e| self.broken("reserving a request of the rate limit", &e))?;
        let n = |i: usize| got.get(i).copied().unwrap_or(0).max(0) as u64;
        Ok(match (n(0), n(2)) {
            (1, _) => Reserve::Go(Ticket(n(1))),
            (_, 1) => Reserve::Wait {
                wait: Duration::from_millis(n(1)),
                why: WaitWhy::Window {
                    quota: n(3) as u32,
                    reset_at: n(4),
                },
            },
            _ => Reserve::Wait {
                wait: Duration::from_millis(n(1)),
                why: WaitWhy::Answer {
                    out: n(3) as u32,
                    until: n(4),
                },
            },
        })
    }

    /// `learn` with a given clock (`None`: Redis's own).
    async fn learn_at(&self, store: &str, learned: Learned, now: Option<u64>) -> Result<()> {
        let Learned {
            ticket,
            answered,
            seen,
            retry_after,
        } = learned;
        let mut con = self.con().await?;
        let [book, outs] = rate_keys(store);
        let s = seen.unwrap_or(Seen {
            left: 0,
            quota: 0,
            window_ms: 0,
            reset_ms: 0,
        });
        let _: i64 = LEARN
            .key(book)
            .key(outs)
            .arg(now.map(|n| n.to_string()).unwrap_or_default())
            .arg(ticket.0)
            .arg(u8::from(answered))
            .arg(u8::from(seen.is_some()))
            .arg(s.left)
            .arg(s.quota)
            .arg(s.window_ms)
            .arg(s.reset_ms)
            .arg(
                retry_after
                    .map(|d| (d.as_millis() as u64).to_string())
                    .unwrap_or_default(),
            )
            .arg(RATE_IDLE_MS)
            .invoke_async(&mut con)
            .await
            .map_err(|e| self.broken("recording the rate-limit headers", &e))?;
        Ok(())
    }
}

/// A pool's keys: holders, queue, waiting, tickets.
fn pool_keys(pool: &PoolId) -> [String; 4] {
    let base = format!("bcconn:pool:{{{}}}", pool.shared_key());
    ["holders", "queue", "waiting", "tickets"].map(|k| format!("{base}:{k}"))
}

/// A store's rate-book keys: the hash and the ZSET of requests out.
fn rate_keys(store: &str) -> [String; 2] {
    let base = format!("bcconn:rate:{{{}}}", key_part(store));
    [base.clone(), format!("{base}:out")]
}

/// A lease or waiter id: this process and 64 random bits, so that a
/// holder can be told apart in `ZRANGE` when someone looks.
fn lease_id(clock: &dyn Clock) -> String {
    let mut bytes = [0u8; 8];
    // Without randomness a counter and the time still tell leases apart
    // within this process; the pid tells processes apart.
    if getrandom::fill(&mut bytes).is_err() {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes = (super::local::now_ms(clock) ^ (n << 48)).to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", std::process::id())
}

impl Pools for RedisPools {
    fn ready(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.con().await.map(|_| ()) })
    }

    fn acquire<'a>(&'a self, pool: &'a PoolId) -> BoxFuture<'a, Result<Lease>> {
        Box::pin(async move {
            let permit = self
                .semaphore(pool)
                .acquire_owned()
                .await
                .map_err(|_| anyhow::anyhow!("pool semaphore closed"))?;
            let mut con = self.con().await?;
            let turn = self.turn(pool);
            let my_turn = turn.lock().await;
            let keys = pool_keys(pool);
            let id = lease_id(&*self.clock);
            let ttl_ms = self.ttl.as_millis() as u64;
            let idle_ms = self.idle_ms();
            let waiter_con = con.clone();
            let mut waiting = Waiting {
                con: &waiter_con,
                keys: &keys,
                id: &id,
                done: false,
            };
            let mut pause = MIN_PAUSE;
            loop {
                let got: i64 = ACQUIRE
                    .key(&keys[0])
                    .key(&keys[1])
                    .key(&keys[2])
                    .key(&keys[3])
                    .arg(&id)
                    .arg(pool.level.max(1))
                    .arg(ttl_ms)
                    .arg(WAITER_TTL.as_millis() as u64)
                    .arg(idle_ms)
                    .invoke_async(&mut con)
                    .await
                    .map_err(|e| self.broken("taking a pool slot", &e))?;
                if got == 1 {
                    break;
                }
                self.clock.sleep_async(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            waiting.done = true;
            drop(waiting);
            drop(my_turn);
            let lost = Arc::new(AtomicBool::new(false));
            let notes = self.notes.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let renewal = tokio::spawn(renew(
                con.clone(),
                Renewal {
                    keys: keys.clone(),
                    id: id.clone(),
                    ttl: self.ttl,
                    idle_ms,
                    level: pool.level,
                    name: format!(
                        "{}/{}",
                        pool.store,
                        crate::text::outside(&pool.owner_name, 60)
                    ),
                    lost: lost.clone(),
                    notes,
                    clock: self.clock.clone(),
                },
            ));
            Ok(Lease::new(Box::new(RedisSlot {
                con,
                url: self.url.clone(),
                keys,
                id,
                renewal: Some(renewal.abort_handle()),
                released: false,
                lost,
                _permit: permit,
            })))
        })
    }

    fn rates(&self) -> &dyn Rates {
        self
    }

    fn set_notes(&self, notes: UnboundedSender<String>) {
        *self.notes.lock().unwrap_or_else(|e| e.into_inner()) = Some(notes);
    }
}

impl Rates for RedisPools {
    fn reserve<'a>(&'a self, store: &'a str) -> BoxFuture<'a, Result<Reserve>> {
        Box::pin(self.reserve_at(store, None))
    }

    fn learn<'a>(&'a self, store: &'a str, learned: Learned) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.learn_at(store, learned, None))
    }

    fn clear_hint(&self, store: &str) -> String {
        let [book, outs] = rate_keys(store);
        format!("delete the Redis keys {book} and {outs} (redis-cli DEL)")
    }
}

/// The test suite's Redis server helper, shared with these unit tests.
/// It starts and waits for a real server, so it reads the environment,
/// the real clock and sleeps.
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
#[path = "../../tests/testsuite/common/redis_server.rs"]
mod test_server;

// Against a real Redis server: real waits, timed on the real clock, and a
// benchmark that prints.
#[cfg(test)]
#[allow(clippy::disallowed_methods, clippy::print_stdout)]
mod tests;
