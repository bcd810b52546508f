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
//! [`Failure`] naming the URL without its password, exit 1, with a hint.
//! There is no fallback to local pools: that would break the level's
//! promise without a word.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, RedisError, Script};
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;

use super::rate::{
    DEFAULT_WINDOW_MS, MARGIN_MS, MAX_WINDOW_MS, OUT_FOR_MS, POLL_MS, UNKNOWN_BURST, WaitWhy,
};
use super::{BoxFuture, Held, Lease, PoolId, Pools, Rates, Reserve, Seen, Ticket, key_part};
use crate::env::PoolUrl;
use crate::error::{Failure, failure, usage};

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

/// `now` in ms on Redis's clock, shared by every machine; a test may pass
/// its own clock as `ARGV[1]` of the rate scripts.
const CLOCK: &str = r#"
local function clock(given)
  if given ~= nil and given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Whole numbers as digits (Lua would write large ones as 1.7e+12).
local function ms(n) return string.format('%d', n) end
"#;

/// Takes a slot for `id` if it is at the head of the queue, else keeps (or
/// gives) it a ticket. KEYS: holders, queue, waiting, tickets. ARGV: id,
/// level, ttl ms, waiter ttl ms, key expiry ms. Returns 1 when held.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{CLOCK}{}",
        r#"
local holders, queue, waiting, tickets = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, level, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = clock(nil)
-- Leases not renewed in time: their holders died; free their slots.
redis.call('ZREMRANGEBYSCORE', holders, '-inf', ms(now))
-- Waiters that stopped asking: drop them so those behind move up.
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', waiting, '-inf', ms(now))) do
  redis.call('ZREM', queue, gone)
  redis.call('ZREM', waiting, gone)
end
local got = 0
if redis.call('ZSCORE', holders, id) then
  -- Already ours (an earlier ask whose answer was lost): renew.
  got = 1
  redis.call('ZADD', holders, ms(now + ttl), id)
else
  if not redis.call('ZSCORE', queue, id) then
    redis.call('ZADD', queue, redis.call('INCR', tickets), id)
  end
  local rank = redis.call('ZRANK', queue, id)
  local free = level - redis.call('ZCARD', holders)
  if rank < free then
    -- Everyone ahead of us fits too: first come, first served.
    got = 1
    redis.call('ZREM', queue, id)
    redis.call('ZREM', waiting, id)
    redis.call('ZADD', holders, ms(now + ttl), id)
  else
    redis.call('ZADD', waiting, ms(now + tonumber(ARGV[4])), id)
  end
end
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[5]) end
return got
"#
    ))
});

/// Pushes a held lease's expiry to now + ttl. KEYS: as ACQUIRE. ARGV: id,
/// ttl ms, key expiry ms, level. Returns 1 when renewed; when the lease was
/// gone (its keys lost: FLUSHALL, a restart, eviction; or it expired), 2
/// when it was taken again (the pool had room), 0 when it could not be.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{CLOCK}{}",
        r#"
local now = clock(nil)
local got = 1
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  -- Gone: the request it covers is still in flight, so it takes its slot
  -- again if no one else has (else the pool would run over its level).
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms(now))
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
  got = 2
end
-- Still listed means no acquire has swept it since it expired (each
-- sweeps first), so the holders never outnumbered the level: safe to keep.
redis.call('ZADD', KEYS[1], ms(now + tonumber(ARGV[2])), ARGV[1])
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[3]) end
return got
"#
    ))
});

/// Frees a slot, or withdraws a waiter. KEYS: holders, queue, waiting.
/// ARGV: id.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local n = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return n
"#,
    )
});

/// `rate::reset_bound` in Lua: two windows, the window bounded.
static BOUND: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
local MAX_WINDOW = {MAX_WINDOW_MS}
local function reset_bound(w)
  w = w or {DEFAULT_WINDOW_MS}
  return 2 * math.min(math.max(w, 1000), MAX_WINDOW)
end
"#
    )
});

/// Reads the book (KEYS[1] hash, KEYS[2] out ZSET) into locals, sweeping
/// the requests out for too long; `save()` writes it back with its expiry.
const BOOK: &str = r#"
local book, outs = KEYS[1], KEYS[2]
local now = clock(ARGV[1])
redis.call('ZREMRANGEBYSCORE', outs, '-inf', ms(now))
local h = redis.call('HMGET', book, 'quota', 'window_ms', 'left', 'reset_at', 'headerless', 'next_id', 'window_from')
local quota, window_ms = tonumber(h[1]), tonumber(h[2])
local left, reset_at = tonumber(h[3]) or 0, tonumber(h[4])
local headerless, next_id = h[5] == '1', tonumber(h[6]) or 0
local window_from = tonumber(h[7]) or 0
local function save(idle)
  local fields = {'left', ms(left), 'headerless', headerless and '1' or '0', 'next_id', ms(next_id), 'window_from', ms(window_from)}
  if quota then table.insert(fields, 'quota'); table.insert(fields, ms(quota)) end
  if window_ms then table.insert(fields, 'window_ms'); table.insert(fields, ms(window_ms)) end
  if reset_at then
    table.insert(fields, 'reset_at'); table.insert(fields, ms(reset_at))
  else
    redis.call('HDEL', book, 'reset_at')
  end
  redis.call('HSET', book, unpack(fields))
  local keep = math.max((reset_at or now) - now, 0) + tonumber(idle)
  redis.call('PEXPIRE', book, ms(keep))
  redis.call('PEXPIRE', outs, ms(keep))
end
"#;

/// `Book::reserve`. ARGV: now ('' for Redis's clock), unknown burst,
/// out-for ms, poll ms, margin ms, idle ms. Returns `{1, ticket}`,
/// `{0, wait ms, 1, quota, reset_at}` (window) or `{0, wait ms, 0}` (answer).
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{CLOCK}{}{BOOK}{}",
        *BOUND,
        r#"
local burst, out_for, poll, margin = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = redis.call('ZCARD', outs)
if reset_at and reset_at > now + reset_bound(window_ms) then
  reset_at = now + reset_bound(window_ms)
end
if reset_at and quota and now >= reset_at then
  -- The window reset: a fresh one, less the requests still out.
  left = math.max(quota - out, 0)
  reset_at = nil
  window_from = next_id + 1
end
local go
if not quota then
  go = headerless or out < burst
else
  if left == 0 and not reset_at and out == 0 then left = quota end
  if left > 0 then
    left = left - 1
    go = true
  elseif reset_at then
    save(ARGV[6])
    return {0, reset_at - now + margin, 1, quota, reset_at}
  else
    go = false
  end
end
if not go then
  save(ARGV[6])
  local last = redis.call('ZRANGE', outs, -1, -1, 'WITHSCORES')
  return {0, poll, 0, out, tonumber(last[2]) or now}
end
next_id = next_id + 1
redis.call('ZADD', outs, ms(now + out_for), ms(next_id))
save(ARGV[6])
return {1, next_id}
"#
    ))
});

/// `Book::learn`. ARGV: now, ticket, answered (0/1), seen (0/1), left,
/// quota, window ms, reset ms, retry-after ms ('' for none), idle ms.
static LEARN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{CLOCK}{}{BOOK}{}",
        *BOUND,
        r#"
redis.call('ZREM', outs, ARGV[2])
local out = redis.call('ZCARD', outs)
local retry_after = tonumber(ARGV[9])
-- An answer reserved before this window began tells of an earlier one.
if ARGV[4] == '1' and tonumber(ARGV[2]) >= window_from then
  local s_left, s_quota, s_window, s_reset = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
  quota = math.max(s_quota, 1)
  window_ms = math.min(s_window, MAX_WINDOW)
  headerless = false
  local reset = now + math.min(s_reset, reset_bound(s_window))
  local tolerance = math.min(math.floor(s_window / 4), 250)
  local newer = (not reset_at) or now >= reset_at or reset > reset_at + tolerance
  if newer then
    left = math.max(s_left - out, 0)
    reset_at = reset
  else
    left = math.min(left, s_left)
    -- The earliest reset heard of in one window (each is never early).
    reset_at = math.min(reset_at, reset)
  end
elseif ARGV[3] == '1' and not retry_after and not quota then
  headerless = true
end
if retry_after then
  local until_ = now + math.min(retry_after, reset_bound(window_ms))
  left = 0
  reset_at = reset_at and math.max(reset_at, until_) or until_
  if not quota then quota = 1 end
end
save(ARGV[10])
return 1
"#
    ))
});

/// Why Redis could not be used, kept to be told again (the connection is
/// tried once per process; every later use gets the same answer).
#[derive(Debug, Clone)]
struct Refusal {
    message: String,
    hint: String,
}

impl Refusal {
    fn failure(&self) -> Failure {
        failure(self.message.clone()).hint(self.hint.clone())
    }
}

/// Pools and rate books in Redis.
///
/// Its connection is made on first use, on the runtime of that use, and
/// stays bound to it: use one `RedisPools` within one runtime.
pub struct RedisPools {
    url: PoolUrl,
    client: ::redis::Client,
    ttl: Duration,
    con: OnceCell<std::result::Result<MultiplexedConnection, Refusal>>,
    /// Per pool: a semaphore of its level, for this process's tasks.
    local: Mutex<HashMap<(String, u8), Arc<Semaphore>>>,
    /// Per pool: whose turn it is to wait in Redis's queue.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Where a renewal says that a lease was lost (see [`Pools::set_notes`]).
    notes: Mutex<Option<UnboundedSender<String>>>,
}

impl RedisPools {
    /// Checks the URL; nothing is connected yet.
    pub fn new(url: &PoolUrl, ttl: Duration) -> Result<RedisPools, Failure> {
        let client = open(url)?;
        Ok(RedisPools {
            url: url.clone(),
            client,
            ttl,
            con: OnceCell::new(),
            local: Mutex::new(HashMap::new()),
            turns: Mutex::new(HashMap::new()),
            notes: Mutex::new(None),
        })
    }

    async fn con(&self) -> Result<MultiplexedConnection> {
        let got = self
            .con
            .get_or_init(|| async { connect(&self.url, &self.client).await })
            .await;
        match got {
            Ok(c) => Ok(c.clone()),
            Err(r) => Err(r.failure().into()),
        }
    }

    /// Redis failed after connecting (went away, stopped answering).
    fn broken(&self, doing: &str, e: &RedisError) -> anyhow::Error {
        failure(format!(
            "the shared pools at {} (BCCONN_POOL_URL) failed while {doing}: {}",
            self.url.redacted(),
            scrub(&self.url, &describe(e))
        ))
        .hint(
            "check that Redis still runs there; bcconn does not fall back to this machine's pools",
        )
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
    async fn learn_at(
        &self,
        store: &str,
        ticket: Ticket,
        answered: bool,
        seen: Option<Seen>,
        retry_after: Option<Duration>,
        now: Option<u64>,
    ) -> Result<()> {
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
fn lease_id() -> String {
    let mut bytes = [0u8; 8];
    // Without randomness a counter and the time still tell leases apart
    // within this process; the pid tells processes apart.
    if getrandom::fill(&mut bytes).is_err() {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes = (super::local::now_ms() ^ (n << 48)).to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", std::process::id())
}

fn open(url: &PoolUrl) -> Result<::redis::Client, Failure> {
    let bad = |why: String| {
        usage(format!(
            "BCCONN_POOL_URL={} is not a Redis URL ({why})",
            url.redacted()
        ))
        .hint("set it to redis://[:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS), or unset it for this machine's pools")
    };
    let scheme = url
        .expose()
        .split("://")
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !matches!(scheme.as_str(), "redis" | "rediss") || !url.expose().contains("://") {
        return Err(bad("it must start with redis:// or rediss://".into()));
    }
    ::redis::Client::open(url.expose()).map_err(|e| bad(scrub(url, &describe(&e))))
}

async fn connect(
    url: &PoolUrl,
    client: &::redis::Client,
) -> std::result::Result<MultiplexedConnection, Refusal> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let attempt = async {
        // Connecting also sends AUTH and SELECT: a wrong password or
        // database fails here; PING proves the server answers commands.
        let mut con = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        ::redis::cmd("PING").query_async::<String>(&mut con).await?;
        Ok::<_, RedisError>(con)
    };
    let refusal = |why: String, hint: &str| Refusal {
        message: format!(
            "cannot use the shared pools at {} (BCCONN_POOL_URL): {why}",
            url.redacted()
        ),
        hint: hint.to_string(),
    };
    const RUNS: &str = "check BCCONN_POOL_URL and that Redis runs there (redis-cli -u URL ping); \
                        bcconn does not fall back to this machine's pools";
    match tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_secs(1), attempt).await {
        Err(_) => Err(refusal(
            format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            RUNS,
        )),
        Ok(Ok(con)) => Ok(con),
        Ok(Err(e)) => {
            let hint = match classify(&e) {
                Why::Credentials => {
                    "check the user and password in BCCONN_POOL_URL (redis://USER:PASSWORD@HOST:PORT/DB)"
                }
                Why::Database => {
                    "check the database number at the end of BCCONN_POOL_URL (a server has /0 to /15 unless configured otherwise)"
                }
                Why::Other => RUNS,
            };
            Err(refusal(scrub(url, &describe(&e)), hint))
        }
    }
}

enum Why {
    Credentials,
    Database,
    Other,
}

fn classify(e: &RedisError) -> Why {
    let detail = e.detail().unwrap_or_default().to_ascii_lowercase();
    if e.kind() == ::redis::ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("NOAUTH" | "WRONGPASS"))
    {
        Why::Credentials
    } else if detail.contains("db index") {
        Why::Database
    } else {
        Why::Other
    }
}

/// A short reason for a Redis error, on one line.
fn describe(e: &RedisError) -> String {
    if e.is_connection_refusal() {
        return "connection refused".into();
    }
    if e.is_timeout() {
        return "no answer in time".into();
    }
    if e.code() == Some("NOAUTH") {
        return "the server wants a password".into();
    }
    if let Why::Credentials = classify(e) {
        return "the user or password was refused".into();
    }
    if let Why::Database = classify(e) {
        return "the server has no such database (DB index is out of range)".into();
    }
    let text = match e.detail() {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => e.to_string(),
    };
    text.lines().next().unwrap_or_default().trim().to_string()
}

/// `text` without any part of the URL that may be a secret (the user info,
/// the query's values), whatever a driver put in it.
fn scrub(url: &PoolUrl, text: &str) -> String {
    url.scrub(text)
}

/// Round trip of one PING to the shared pools' Redis, connection included
/// in the checks (for `bcconn doctor`): an error is the same [`Failure`]
/// that `bcconn api` would give.
pub async fn ping(url: &PoolUrl) -> Result<Duration> {
    let client = open(url)?;
    let mut con = connect(url, &client).await.map_err(|r| r.failure())?;
    let start = Instant::now();
    ::redis::cmd("PING")
        .query_async::<String>(&mut con)
        .await
        .map_err(|e| {
            failure(format!(
                "the shared pools at {} (BCCONN_POOL_URL) stopped answering: {}",
                url.redacted(),
                scrub(url, &describe(&e))
            ))
        })?;
    Ok(start.elapsed())
}

/// A held slot: renewed by a task until released.
struct RedisSlot {
    con: MultiplexedConnection,
    url: PoolUrl,
    keys: [String; 4],
    id: String,
    renewal: Option<AbortHandle>,
    released: bool,
    /// Set by the renewal when the lease was gone and could not be taken again.
    lost: Arc<AtomicBool>,
    _permit: OwnedSemaphorePermit,
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
                failure(format!(
                    "could not free a slot of the shared pools at {} (BCCONN_POOL_URL): {}; it frees itself when its lease runs out",
                    url.redacted(),
                    scrub(&url, &describe(&e))
                ))
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
struct Waiting<'a> {
    con: &'a MultiplexedConnection,
    keys: &'a [String; 4],
    id: &'a str,
    done: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.done {
            spawn_release(self.con, self.keys, self.id);
        }
    }
}

/// What a renewal needs besides the connection.
struct Renewal {
    keys: [String; 4],
    id: String,
    ttl: Duration,
    idle_ms: u64,
    level: u8,
    /// The pool as people know it: `store/connection`.
    name: String,
    lost: Arc<AtomicBool>,
    notes: Option<UnboundedSender<String>>,
}

impl Renewal {
    /// Said without `-v`: a lost lease means the pool's level may have
    /// been run over.
    fn say(&self, text: String) {
        match &self.notes {
            Some(tx) => {
                let _ = tx.send(text);
            }
            // No one to pass it to: straight to stderr, still without -v.
            None => eprintln!("{text}"),
        }
    }
}

/// Renews a lease every TTL/3 until aborted: two renewals may fail (Redis
/// busy, a slow network) before the lease runs out. A lease found gone (its
/// keys lost: FLUSHALL, a restart, eviction; or it ran out) is taken again
/// when the pool has room; else the slot is marked lost, so that the
/// holder takes a slot again before its next request.
async fn renew(mut con: MultiplexedConnection, r: Renewal) {
    let every = r.ttl / 3;
    loop {
        tokio::time::sleep(every).await;
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
            let id = lease_id();
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
                tokio::time::sleep(pause).await;
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

    fn learn<'a>(
        &'a self,
        store: &'a str,
        ticket: Ticket,
        answered: bool,
        seen: Option<Seen>,
        retry_after: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.learn_at(store, ticket, answered, seen, retry_after, None))
    }

    fn clear_hint(&self, store: &str) -> String {
        let [book, outs] = rate_keys(store);
        format!("delete the Redis keys {book} and {outs} (redis-cli DEL)")
    }
}

/// The test suite's Redis server helper, shared with these unit tests.
#[cfg(test)]
#[path = "../../tests/testsuite/common/redis_server.rs"]
mod test_server;

#[cfg(test)]
mod tests {
    use super::super::rate::Book;
    use super::*;

    use test_server::RedisServer;

    fn pool(store: &str, level: u8) -> PoolId {
        PoolId {
            store: store.into(),
            owner: "id-differs-per-machine".into(),
            owner_name: "Shop".into(),
            level,
        }
    }

    fn backend(url: &str, ttl: Duration) -> RedisPools {
        RedisPools::new(&PoolUrl::new(url), ttl).unwrap()
    }

    #[test]
    fn keys_name_the_store_and_owner_inside_one_hash_tag() {
        assert_eq!(
            pool_keys(&pool("abc123", 2)),
            [
                "bcconn:pool:{abc123:shop}:holders",
                "bcconn:pool:{abc123:shop}:queue",
                "bcconn:pool:{abc123:shop}:waiting",
                "bcconn:pool:{abc123:shop}:tickets",
            ]
        );
        assert_eq!(
            rate_keys("abc123"),
            ["bcconn:rate:{abc123}", "bcconn:rate:{abc123}:out"]
        );
        let id = lease_id();
        assert!(id.starts_with(&format!("{}-", std::process::id())), "{id}");
        assert_ne!(id, lease_id());
    }

    #[test]
    fn urls_that_are_not_redis_urls_are_usage_errors_without_the_password() {
        for bad in ["http://:pw1234@h:1/0", "127.0.0.1:6379", "redis//:pw1234@h"] {
            let err = RedisPools::new(&PoolUrl::new(bad), DEFAULT_TTL)
                .err()
                .unwrap();
            assert_eq!(err.status, crate::error::ExitStatus::Usage, "{bad}");
            assert!(err.message.contains("BCCONN_POOL_URL"), "{}", err.message);
            assert!(!err.message.contains("pw1234"), "{}", err.message);
        }
    }

    const DEFAULT_TTL: Duration = crate::env::DEFAULT_POOL_TTL;

    #[tokio::test]
    async fn unreachable_redis_is_one_clear_failure_without_the_password() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("redis://:hunter22@127.0.0.1:{port}/0");
        let pools = backend(&url, DEFAULT_TTL);
        let started = Instant::now();
        let err = pools.ready().await.unwrap_err();
        let (code, message, hint) = crate::error::report(&err).into_parts();
        assert_eq!(code, crate::error::ExitStatus::Failure);
        assert!(
            message.contains(&format!("redis://:***@127.0.0.1:{port}/0")),
            "{message}"
        );
        assert!(message.contains("connection refused"), "{message}");
        assert!(!message.contains("hunter22") && !message.contains('\n'));
        assert!(hint.unwrap().contains("BCCONN_POOL_URL"));
        // Every later use says the same, without trying again.
        let again = pools.acquire(&pool("unit00", 1)).await.err().unwrap();
        assert_eq!(crate::error::message(&again), message);
        assert!(pools.rates().reserve("unit00").await.is_err());
        assert!(ping(&PoolUrl::new(url)).await.is_err());
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    /// A server that takes the connection and never answers: the attempt
    /// ends within the connect timeout, not when TCP gives up.
    #[tokio::test]
    async fn a_silent_server_times_out_in_seconds() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let pools = backend(&format!("redis://127.0.0.1:{port}/0"), DEFAULT_TTL);
        let started = Instant::now();
        let err = pools.ready().await.unwrap_err();
        let took = started.elapsed();
        let (code, message, _) = crate::error::report(&err).into_parts();
        assert_eq!(code, crate::error::ExitStatus::Failure);
        assert!(message.contains("no answer"), "{message}");
        assert!(
            took < CONNECT_TIMEOUT + Duration::from_millis(1500),
            "{took:?}"
        );
        drop(silent);
    }

    /// `rediss://` goes through rustls (its crypto provider is found, no
    /// OpenSSL): a server that does not speak TLS is a clear failure.
    #[tokio::test]
    async fn rediss_speaks_tls_through_rustls() {
        let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = plain.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            if let Ok((mut s, _)) = plain.accept() {
                let mut hello = [0u8; 5];
                let _ = s.read_exact(&mut hello);
                let _ = s.write_all(b"-ERR not TLS\r\n");
                hello
            } else {
                [0; 5]
            }
        });
        let url = format!("rediss://:tlspass99@127.0.0.1:{port}/0");
        let err = backend(&url, DEFAULT_TTL).ready().await.unwrap_err();
        let (code, message, _) = crate::error::report(&err).into_parts();
        assert_eq!(code, crate::error::ExitStatus::Failure);
        assert!(
            message.contains(&format!("rediss://:***@127.0.0.1:{port}/0")),
            "{message}"
        );
        assert!(!message.contains("tlspass99"), "{message}");
        // A TLS record (handshake, type 22) was what the client sent first.
        assert_eq!(server.join().unwrap()[0], 22);
    }

    /// A tiny deterministic generator (xorshift), so a failing case repeats.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, below: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % below
        }
    }

    /// The Lua port against `Book`, step for step, on one clock: random
    /// reserves, answers with and without headers, lost answers, 429s,
    /// window resets and minute-long gaps.
    #[tokio::test]
    #[ignore = "needs a redis-server (.ci/run starts one)"]
    async fn the_lua_rate_book_agrees_with_the_rust_one() {
        let server = RedisServer::start();
        let pools = backend(&server.url, DEFAULT_TTL);
        // How often each answer came: the walk must reach them all.
        let (mut go, mut window, mut answer) = (0, 0, 0);
        for seed in 1..=4u64 {
            let store = format!("unitbook{seed}");
            server.forget_store(&store);
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
            let mut book = Book::default();
            let mut now = 1_700_000_000_000u64;
            let mut out: Vec<Ticket> = Vec::new();
            for step in 0..600 {
                now += match rng.next(20) {
                    0 => 61_000,
                    1..=3 => rng.next(1500),
                    _ => rng.next(120),
                };
                if rng.next(3) > 0 || out.is_empty() {
                    let want = book.reserve(now);
                    let got = pools.reserve_at(&store, Some(now)).await.unwrap();
                    assert_eq!(got, want, "seed {seed} step {step} reserve at {now}");
                    match got {
                        Reserve::Go(t) => {
                            go += 1;
                            out.push(t);
                        }
                        Reserve::Wait {
                            why: WaitWhy::Window { .. },
                            ..
                        } => window += 1,
                        Reserve::Wait { .. } => answer += 1,
                    }
                } else {
                    let t = out.remove(rng.next(out.len() as u64) as usize);
                    let quota = [3, 5, 150][(seed % 3) as usize];
                    let seen = (rng.next(6) > 0).then(|| Seen {
                        left: rng.next(u64::from(quota) + 1) as u32,
                        quota,
                        window_ms: 1000,
                        reset_ms: rng.next(1001),
                    });
                    let answered = rng.next(8) > 0;
                    let retry = (rng.next(10) == 0).then(|| Duration::from_millis(rng.next(3000)));
                    book.learn(now, t, answered, seen, retry);
                    pools
                        .learn_at(&store, t, answered, seen, retry, Some(now))
                        .await
                        .unwrap();
                }
            }
            server.forget_store(&store);
        }
        assert!(
            go > 100 && window > 20 && answer > 20,
            "{go} {window} {answer}"
        );
    }

    #[tokio::test]
    #[ignore = "needs a redis-server (.ci/run starts one)"]
    async fn a_pool_never_hands_out_more_than_its_level() {
        let server = RedisServer::start();
        server.forget_store("unit01");
        // Three backends: three processes, as far as Redis can tell.
        let (a, b, c) = (
            backend(&server.url, DEFAULT_TTL),
            backend(&server.url, DEFAULT_TTL),
            backend(&server.url, DEFAULT_TTL),
        );
        let p = pool("unit01", 2);
        let l1 = a.acquire(&p).await.unwrap();
        let l2 = b.acquire(&p).await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(200), c.acquire(&p)).await;
        assert!(third.is_err(), "a third slot was handed out");
        // The given-up ask left the queue (else it would block the next).
        tokio::time::sleep(Duration::from_millis(50)).await;
        let queued: i64 = ::redis::cmd("ZCARD")
            .arg(&pool_keys(&p)[1])
            .query(&mut server.connection())
            .unwrap();
        assert_eq!(queued, 0, "the cancelled waiter withdrew");
        l2.release().await.unwrap();
        let l3 = tokio::time::timeout(Duration::from_secs(2), c.acquire(&p))
            .await
            .expect("a freed slot is taken")
            .unwrap();
        l1.release().await.unwrap();
        // A lease dropped without release() is freed too (on the runtime).
        drop(l3);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let held: i64 = ::redis::cmd("ZCARD")
            .arg(&pool_keys(&p)[0])
            .query(&mut server.connection())
            .unwrap();
        assert_eq!(held, 0);
    }

    /// Waiters that asked first are served first, even though the latest
    /// one polls most often (its backoff is the shortest).
    #[tokio::test]
    #[ignore = "needs a redis-server (.ci/run starts one)"]
    async fn waiters_are_served_in_the_order_they_came() {
        let server = RedisServer::start();
        server.forget_store("unit02");
        let p = pool("unit02", 1);
        let holder = backend(&server.url, DEFAULT_TTL);
        let lease = holder.acquire(&p).await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for name in ["first", "second", "third", "fourth"] {
            let (url, p, order) = (server.url.clone(), p.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let pools = backend(&url, DEFAULT_TTL);
                let lease = pools.acquire(&p).await.unwrap();
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(30)).await;
                lease.release().await.unwrap();
            }));
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        lease.release().await.unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            *order.lock().unwrap(),
            ["first", "second", "third", "fourth"]
        );
    }

    /// A holder that stops renewing (its process died: here its runtime is
    /// dropped with the renewal task) frees its slot within the TTL; one
    /// that renews keeps it past the TTL.
    #[test]
    #[ignore = "needs a redis-server (.ci/run starts one)"]
    fn leases_expire_unless_renewed() {
        let server = RedisServer::start();
        server.forget_store("unit03");
        let ttl = Duration::from_secs(1);
        let p = pool("unit03", 1);
        let rt = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let dead = rt();
        let pools = backend(&server.url, ttl);
        let lease = dead.block_on(pools.acquire(&p)).unwrap();
        std::mem::forget(lease);
        drop(dead);
        let started = Instant::now();
        let live = rt();
        let other = backend(&server.url, ttl);
        let lease = live.block_on(other.acquire(&p)).unwrap();
        let waited = started.elapsed();
        assert!(
            waited > Duration::from_millis(500) && waited < ttl + Duration::from_millis(500),
            "the dead holder's slot freed after {waited:?}"
        );
        // This one renews: after 2.5 TTLs its slot is still taken.
        let third = backend(&server.url, ttl);
        let blocked =
            live.block_on(async { tokio::time::timeout(ttl * 5 / 2, third.acquire(&p)).await });
        assert!(blocked.is_err(), "a renewed lease was taken over");
        live.block_on(lease.release()).unwrap();
        live.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), third.acquire(&p))
                .await
                .expect("free once released")
                .unwrap()
                .release()
                .await
                .unwrap()
        });
    }

    #[tokio::test]
    #[ignore = "needs a redis-server (.ci/run starts one)"]
    async fn a_wrong_password_or_database_is_named_clearly() {
        let server = RedisServer::spawn(Some("right-pass"));
        let port = server
            .url
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches("/0");
        for (url, says, hint) in [
            (
                format!("redis://:wrong-pass@127.0.0.1:{port}/0"),
                "redis://:***@127.0.0.1",
                "password",
            ),
            (
                format!("redis://127.0.0.1:{port}/0"),
                "redis://127.0.0.1",
                "password",
            ),
            (
                format!("redis://:right-pass@127.0.0.1:{port}/99"),
                "/99",
                "database number",
            ),
        ] {
            let err = backend(&url, DEFAULT_TTL).ready().await.unwrap_err();
            let (code, message, h) = crate::error::report(&err).into_parts();
            assert_eq!(code, crate::error::ExitStatus::Failure, "{message}");
            assert!(message.contains(says), "{url}: {message}");
            assert!(!message.contains("pass@"), "{message}");
            assert!(h.unwrap().contains(hint), "{url}: {message}");
        }
        let rtt = ping(&PoolUrl::new(server.url.clone())).await.unwrap();
        assert!(rtt < Duration::from_secs(1));
    }

    /// The figure for the note: what one slot costs per request on
    /// loopback (acquire + release, one process, nobody waiting), and a
    /// rate reserve + learn. Printed, not asserted.
    #[tokio::test]
    #[ignore = "needs a redis-server (.ci/run starts one)"]
    async fn bench_slot_round_trip() {
        let server = RedisServer::start();
        server.forget_store("unitbench");
        let pools = backend(&server.url, DEFAULT_TTL);
        let p = pool("unitbench", 5);
        pools.ready().await.unwrap();
        let mut slot = Vec::new();
        let mut rate = Vec::new();
        for _ in 0..2000 {
            let t = Instant::now();
            pools.acquire(&p).await.unwrap().release().await.unwrap();
            slot.push(t.elapsed());
            let t = Instant::now();
            if let Reserve::Go(ticket) = pools.rates().reserve("unitbench").await.unwrap() {
                pools
                    .rates()
                    .learn("unitbench", ticket, true, None, None)
                    .await
                    .unwrap();
            }
            rate.push(t.elapsed());
        }
        for (what, mut v) in [("slot acquire+release", slot), ("rate reserve+learn", rate)] {
            v.sort();
            let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
            println!(
                "BENCH redis {what}: median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms over {} runs",
                at(0.5),
                at(0.9),
                at(0.99),
                v.len()
            );
        }
        server.forget_store("unitbench");
    }
}
