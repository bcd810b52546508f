//! The Lua scripts that make each step atomic in Redis. Their text lives in
//! the `.lua` files beside this one; here they are put together (the
//! helpers a script needs go first) and the constants they share with the
//! Rust side are handed in, so the two cannot drift apart.

use std::sync::LazyLock;

use ::redis::Script;

use super::super::rate::{DEFAULT_WINDOW_MS, MAX_WINDOW_MS};

/// `now` in ms on Redis's clock, shared by every machine; a test may pass
/// its own clock as `ARGV[1]` of the rate scripts.
const CLOCK: &str = include_str!("clock.lua");

/// Takes a slot for `id` if it is at the head of the queue, else keeps (or
/// gives) it a ticket. KEYS: holders, queue, waiting, tickets. ARGV: id,
/// level, ttl ms, waiter ttl ms, key expiry ms. Returns 1 when held.
pub(super) static ACQUIRE: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{CLOCK}{}", include_str!("acquire.lua"))));

/// Pushes a held lease's expiry to now + ttl. KEYS: as ACQUIRE. ARGV: id,
/// ttl ms, key expiry ms, level. Returns 1 when renewed; when the lease was
/// gone (its keys lost: FLUSHALL, a restart, eviction; or it expired), 2
/// when it was taken again (the pool had room), 0 when it could not be.
pub(super) static RENEW: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{CLOCK}{}", include_str!("renew.lua"))));

/// Frees a slot, or withdraws a waiter. KEYS: holders, queue, waiting.
/// ARGV: id.
pub(super) static RELEASE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("release.lua")));

/// `rate::reset_bound` in Lua: two windows, the window bounded. The bounds
/// are Rust's own constants, declared ahead of the function.
static BOUND: LazyLock<String> = LazyLock::new(|| {
    format!(
        "local MAX_WINDOW = {MAX_WINDOW_MS}\nlocal DEFAULT_WINDOW = {DEFAULT_WINDOW_MS}\n{}",
        include_str!("bound.lua")
    )
});

/// Reads the book (`KEYS[1]` hash, `KEYS[2]` out ZSET) into locals, sweeping
/// the requests out for too long; `save()` writes it back with its expiry.
const BOOK: &str = include_str!("book.lua");

/// `Book::reserve`. ARGV: now ('' for Redis's clock), unknown burst,
/// out-for ms, poll ms, margin ms, idle ms. Returns `{1, ticket}`,
/// `{0, wait ms, 1, quota, reset_at}` (window) or `{0, wait ms, 0}` (answer).
pub(super) static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{CLOCK}{}{BOOK}{}",
        *BOUND,
        include_str!("reserve.lua")
    ))
});

/// `Book::learn`. ARGV: now, ticket, answered (0/1), seen (0/1), left,
/// quota, window ms, reset ms, retry-after ms ('' for none), idle ms.
pub(super) static LEARN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{CLOCK}{}{BOOK}{}",
        *BOUND,
        include_str!("learn.lua")
    ))
});
