//! The one home of time: the wall clock, the monotonic clock and sleeping.
//!
//! Code that waits (a held lock, a 429's `Retry-After`, a pool slot) takes a
//! [`Clock`], so in-process tests run those waits on a [`FakeClock`] that
//! moves only when someone sleeps on it. Black-box tests never get a fake
//! clock compiled into the binary: they shorten waits with settings read in
//! `env.rs` (`BCCONN_LOCK_WAIT`, `BCCONN_JQ_CPU_LIMIT`, `BCCONN_POOL_TTL`).
//!
//! clippy's `disallowed-methods` (clippy.toml) keeps `SystemTime::now`,
//! `Instant::now` and the sleeps in this file; the few places that cannot
//! take a clock (SQLite's busy handler is a plain `fn`) say why where they
//! allow it.
#![allow(clippy::disallowed_methods)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// A clock to read and to wait on.
pub trait Clock: Send + Sync {
    /// Wall-clock time, for timestamps and dates.
    fn now(&self) -> SystemTime;
    /// Monotonic time, for deadlines.
    fn instant(&self) -> Instant;
    /// Blocks this thread for `d`.
    fn sleep(&self, d: Duration);
    /// Waits `d` without blocking the runtime's thread.
    fn sleep_async(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }

    fn sleep_async(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// The machine's clock, shared.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock for tests: time stands still until someone sleeps, then jumps by
/// what they slept. A ten-second wait for a lock takes no time, and the
/// test can read how long bcconn waited.
#[cfg(any(test, feature = "test-support"))]
#[derive(Debug)]
pub struct FakeClock {
    start: Instant,
    wall: SystemTime,
    passed: std::sync::Mutex<Duration>,
}

#[cfg(any(test, feature = "test-support"))]
impl Default for FakeClock {
    fn default() -> Self {
        FakeClock {
            start: Instant::now(),
            wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000),
            passed: std::sync::Mutex::new(Duration::ZERO),
        }
    }
}

#[cfg(any(test, feature = "test-support"))]
impl FakeClock {
    /// How much time has passed on this clock.
    pub fn passed(&self) -> Duration {
        *self.passed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock on without anyone sleeping.
    pub fn advance(&self, d: Duration) {
        *self.passed.lock().unwrap_or_else(|e| e.into_inner()) += d;
    }
}

#[cfg(any(test, feature = "test-support"))]
impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        self.wall + self.passed()
    }

    fn instant(&self) -> Instant {
        self.start + self.passed()
    }

    fn sleep(&self, d: Duration) {
        self.advance(d);
        // Let other threads run, as a real sleep would.
        std::thread::yield_now();
    }

    fn sleep_async(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.advance(d);
        Box::pin(tokio::task::yield_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fake_clock_moves_only_when_slept_on() {
        let c = FakeClock::default();
        let (t0, w0) = (c.instant(), c.now());
        c.sleep(Duration::from_secs(10));
        assert_eq!(c.instant() - t0, Duration::from_secs(10));
        assert_eq!(c.now().duration_since(w0).unwrap(), Duration::from_secs(10));
        assert_eq!(c.passed(), Duration::from_secs(10));
    }
}
