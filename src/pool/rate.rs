//! A store's rate book: what its `X-Rate-Limit-*` headers taught, and the
//! requests sent but not yet answered. Pure logic over a clock in
//! milliseconds; a backend keeps the book (a file, Redis) and runs these
//! steps under its lock. The Redis backend runs a Lua port of these two
//! steps (`pool/redis/reserve.lua`, `learn.lua`); a test in
//! `pool/redis/tests.rs` checks that both agree.
//!
//! The rules, all on the cautious side:
//! - A request is sent only when the book says one is left in the window;
//!   each send takes one (`left` counts down before the answer comes).
//! - An answer's `Requests-Left` can only lower `left` within a window. An
//!   answer from a newer window sets it, less the requests still out.
//! - The reset time is the answer's arrival plus `Time-Reset-Ms`, which is
//!   never earlier than the server's own reset; of several answers in one
//!   window the earliest such time is kept (still never early).
//! - Once the reset time passes, a fresh window is assumed (`quota` less the
//!   requests still out); its reset time is unknown until an answer tells.
//! - What a server says is bounded (issue 14): a window is at most
//!   [`MAX_WINDOW_MS`], a reset or a 429's wait is kept for at most two
//!   windows ([`reset_bound`]), so one odd answer cannot stop a store for a
//!   day in every process; a book that holds a later reset (an older bcconn
//!   wrote it) is cut down when read.
//! - A store never heard from gets a few requests ([`UNKNOWN_BURST`], well
//!   under the smallest plan's 150 per 30 s) until one answers; a server
//!   that sends no rate-limit headers is not limited.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a sent request counts as out when no answer is reported (a
/// process killed mid-request).
pub const OUT_FOR_MS: u64 = 60_000;
/// Requests a store never heard from may have out before one answers.
pub const UNKNOWN_BURST: usize = 10;
/// How often to look again while waiting for an answer to teach something.
pub const POLL_MS: u64 = 20;
/// Sent a little after the reset, not on it.
pub const MARGIN_MS: u64 = 10;
/// BigCommerce's window is 30 s; a window said to be longer than this is
/// taken as this long.
pub const MAX_WINDOW_MS: u64 = 5 * 60 * 1000;
/// The window assumed when none was said.
pub const DEFAULT_WINDOW_MS: u64 = 30_000;

/// How far ahead a reset may lie: two windows (the window bounded to
/// 1 s ..= [`MAX_WINDOW_MS`]; BigCommerce's 30 s when unknown).
pub fn reset_bound(window_ms: Option<u64>) -> u64 {
    2 * window_ms
        .unwrap_or(DEFAULT_WINDOW_MS)
        .clamp(1000, MAX_WINDOW_MS)
}

/// The four `X-Rate-Limit-*` headers of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub left: u32,
    pub quota: u32,
    pub window_ms: u64,
    pub reset_ms: u64,
}

/// A reserved request, to report back with `learn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket(pub u64);

/// What the answer to a reserved request taught, reported back with
/// `learn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learned {
    pub ticket: Ticket,
    /// Whether an answer came at all: `false` when the request failed before
    /// one did, which teaches nothing but frees the ticket.
    pub answered: bool,
    /// The answer's rate-limit headers, when it had them.
    pub seen: Option<Seen>,
    /// A 429's wait.
    pub retry_after: Option<Duration>,
}

impl Learned {
    /// No answer came.
    pub fn unanswered(ticket: Ticket) -> Learned {
        Learned {
            ticket,
            answered: false,
            seen: None,
            retry_after: None,
        }
    }

    /// An answer came, with these headers and this 429 wait.
    pub fn answered(ticket: Ticket, seen: Option<Seen>, retry_after: Option<Duration>) -> Learned {
        Learned {
            ticket,
            answered: true,
            seen,
            retry_after,
        }
    }
}

/// May a request go now?
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserve {
    Go(Ticket),
    /// Not yet: ask again after `wait`.
    Wait {
        wait: Duration,
        why: WaitWhy,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitWhy {
    /// None left in the window; `reset_at` (ms) is when it resets.
    Window { quota: u32, reset_at: u64 },
    /// An answer is due that will tell more (the first ever, or the first
    /// of a new window once `quota` were sent): `out` requests were sent
    /// and not reported back, the last of which stops counting at `until`
    /// (ms) if it never is (its process was killed).
    Answer { out: u32, until: u64 },
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Out {
    id: u64,
    until: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Book {
    #[serde(default)]
    quota: Option<u32>,
    #[serde(default)]
    window_ms: Option<u64>,
    #[serde(default)]
    left: u32,
    /// Unix ms when the current window resets, when known.
    #[serde(default)]
    reset_at: Option<u64>,
    /// Answers came without rate-limit headers: nothing to keep to.
    #[serde(default)]
    headerless: bool,
    #[serde(default)]
    out: Vec<Out>,
    #[serde(default)]
    next_id: u64,
    /// The first ticket of the current window (0: not known). An answer to
    /// an earlier ticket may arrive after the window rolled over; its
    /// headers tell of the window before and would pull this one's reset
    /// early, so more would be sent than the store allows.
    #[serde(default)]
    window_from: u64,
}

impl Book {
    pub fn reserve(&mut self, now: u64) -> Reserve {
        self.out.retain(|o| o.until > now);
        // A reset further ahead than the bound (a book an older bcconn
        // wrote from an odd answer) is cut down.
        let bound = now + reset_bound(self.window_ms);
        if let Some(r) = self.reset_at
            && r > bound
        {
            self.reset_at = Some(bound);
        }
        if let (Some(reset), Some(quota)) = (self.reset_at, self.quota)
            && now >= reset
        {
            self.left = quota.saturating_sub(self.out.len() as u32);
            self.reset_at = None;
            self.window_from = self.next_id.wrapping_add(1);
        }
        let go = match self.quota {
            None => self.headerless || self.out.len() < UNKNOWN_BURST,
            Some(quota) => {
                if self.left == 0 && self.reset_at.is_none() && self.out.is_empty() {
                    // Nothing out and no window known: a fresh one.
                    self.left = quota;
                }
                if self.left > 0 {
                    self.left -= 1;
                    true
                } else if let Some(reset_at) = self.reset_at {
                    return Reserve::Wait {
                        wait: Duration::from_millis(reset_at - now + MARGIN_MS),
                        why: WaitWhy::Window { quota, reset_at },
                    };
                } else {
                    false
                }
            }
        };
        if !go {
            return Reserve::Wait {
                wait: Duration::from_millis(POLL_MS),
                why: WaitWhy::Answer {
                    out: self.out.len() as u32,
                    until: self.out.iter().map(|o| o.until).max().unwrap_or(now),
                },
            };
        }
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        self.out.push(Out {
            id,
            until: now + OUT_FOR_MS,
        });
        Reserve::Go(Ticket(id))
    }

    pub fn learn(&mut self, now: u64, learned: Learned) {
        let Learned {
            ticket,
            answered,
            seen,
            retry_after,
        } = learned;
        self.out.retain(|o| o.id != ticket.0 && o.until > now);
        // Headers of an answer reserved before this window began tell of an
        // earlier one: its 429 still counts, its numbers do not.
        let stale = ticket.0 < self.window_from;
        match seen {
            Some(_) if stale => {}
            Some(s) => {
                self.quota = Some(s.quota.max(1));
                self.window_ms = Some(s.window_ms.min(MAX_WINDOW_MS));
                self.headerless = false;
                let reset = now + s.reset_ms.min(reset_bound(Some(s.window_ms)));
                let tolerance = (s.window_ms / 4).min(250);
                let newer = match self.reset_at {
                    None => true,
                    Some(r) => now >= r || reset > r + tolerance,
                };
                if newer {
                    self.left = s.left.saturating_sub(self.out.len() as u32);
                    self.reset_at = Some(reset);
                } else {
                    self.left = self.left.min(s.left);
                    self.reset_at = self.reset_at.map(|r| r.min(reset));
                }
            }
            None if answered && retry_after.is_none() && self.quota.is_none() => {
                self.headerless = true;
            }
            None => {}
        }
        if let Some(wait) = retry_after {
            // However long a 429 asked for, the book (which every process
            // and machine reads) keeps at most two windows of it.
            let until = now + (wait.as_millis() as u64).min(reset_bound(self.window_ms));
            self.left = 0;
            self.reset_at = Some(self.reset_at.map_or(until, |r| r.max(until)));
            if self.quota.is_none() {
                // A 429 without headers: keep to one at a time until told more.
                self.quota = Some(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(left: u32, quota: u32, reset_ms: u64) -> Option<Seen> {
        Some(Seen {
            left,
            quota,
            window_ms: 1000,
            reset_ms,
        })
    }

    fn go(b: &mut Book, now: u64) -> Ticket {
        match b.reserve(now) {
            Reserve::Go(t) => t,
            other => panic!("expected Go at {now}, got {other:?}"),
        }
    }

    #[test]
    fn a_new_store_gets_a_few_probes_then_what_it_learned() {
        let mut b = Book::default();
        let t = go(&mut b, 0);
        let probes: Vec<Ticket> = (1..UNKNOWN_BURST).map(|i| go(&mut b, i as u64)).collect();
        assert!(matches!(
            b.reserve(1),
            Reserve::Wait {
                why: WaitWhy::Answer { .. },
                ..
            }
        ));
        for p in probes {
            b.learn(50, Learned::unanswered(p));
        }
        b.learn(100, Learned::answered(t, seen(2, 3, 900), None));
        let (a, c) = (go(&mut b, 101), go(&mut b, 102));
        // Quota 3: the probe and two more; the next waits for the reset at 1000.
        match b.reserve(103) {
            Reserve::Wait {
                wait,
                why: WaitWhy::Window { quota: 3, reset_at },
            } => {
                assert_eq!(reset_at, 1000);
                assert_eq!(wait, Duration::from_millis(1000 - 103 + MARGIN_MS));
            }
            other => panic!("{other:?}"),
        }
        // Answers in the same window never raise what is left.
        b.learn(300, Learned::answered(a, seen(1, 3, 700), None));
        b.learn(310, Learned::answered(c, seen(0, 3, 690), None));
        assert!(matches!(b.reserve(311), Reserve::Wait { .. }));
        // After the reset: a fresh window of 3, its reset unknown until an answer.
        let ts: Vec<Ticket> = (0..3).map(|i| go(&mut b, 1000 + i)).collect();
        assert!(matches!(
            b.reserve(1004),
            Reserve::Wait {
                why: WaitWhy::Answer { .. },
                ..
            }
        ));
        // The first answer of the new window: 2 left by its count, 2 still out.
        b.learn(1200, Learned::answered(ts[0], seen(2, 3, 800), None));
        assert_eq!(b.left, 0);
        assert_eq!(b.reset_at, Some(2000));
    }

    #[test]
    fn never_more_than_the_quota_in_one_window() {
        // 10 requests, quota 3 per 1000 ms, answers 50 ms after sending;
        // the server's window starts at its first request. As `--paginate`
        // does, the rest go once the first has answered.
        let mut b = Book::default();
        let mut now = 0;
        let mut sent_in_window: Vec<u64> = Vec::new();
        let mut pending: Vec<(u64, Ticket)> = Vec::new();
        let mut server_start: Option<u64> = None;
        let mut server_count = 0;
        let mut sent = 0;
        while sent < 10 || !pending.is_empty() {
            // deliver answers due
            pending.sort_by_key(|p| p.0);
            while let Some(&(at, t)) = pending.first() {
                if at > now {
                    break;
                }
                pending.remove(0);
                let start = server_start.unwrap();
                let reset = (start + 1000).saturating_sub(at);
                b.learn(
                    at,
                    Learned::answered(t, seen(3 - server_count, 3, reset), None),
                );
            }
            if sent < 10
                && (sent == 0 || b.quota.is_some())
                && let Reserve::Go(t) = b.reserve(now)
            {
                let arrive = now + 25;
                if server_start.is_none_or(|s| arrive >= s + 1000) {
                    server_start = Some(arrive);
                    server_count = 0;
                }
                server_count += 1;
                assert!(server_count <= 3, "a 429 at {arrive}");
                sent_in_window.push(arrive);
                pending.push((arrive + 25, t));
                sent += 1;
                continue;
            }
            now += 5;
        }
        assert_eq!(sent_in_window.len(), 10);
    }

    #[test]
    fn the_earliest_reset_of_a_window_is_kept() {
        let mut b = Book::default();
        let (t1, t2) = (go(&mut b, 0), go(&mut b, 0));
        let seen = |left, reset_ms| {
            Some(Seen {
                left,
                quota: 150,
                window_ms: 30_000,
                reset_ms,
            })
        };
        b.learn(300, Learned::answered(t1, seen(140, 29_900), None));
        assert_eq!(b.reset_at, Some(30_200));
        // A quicker answer tells the same window ends sooner.
        b.learn(100, Learned::answered(t2, seen(139, 29_950), None));
        assert_eq!(b.reset_at, Some(30_050));
        assert_eq!(b.left, 139);
    }

    #[test]
    fn a_429_waits_the_longer_of_retry_after_and_reset() {
        let mut b = Book::default();
        let t = go(&mut b, 0);
        b.learn(
            10,
            Learned::answered(t, seen(0, 150, 500), Some(Duration::from_secs(2))),
        );
        match b.reserve(20) {
            Reserve::Wait {
                why: WaitWhy::Window { reset_at, .. },
                ..
            } => assert_eq!(reset_at, 2010),
            other => panic!("{other:?}"),
        }
    }

    /// An answer reserved in the window before, learned after the book
    /// rolled over, does not pull the new window's reset early.
    #[test]
    fn an_answer_from_the_window_before_does_not_move_this_one() {
        let mut b = Book::default();
        let seen = |left, reset_ms| Seen {
            left,
            quota: 5,
            window_ms: 1_000,
            reset_ms,
        };
        let early = go(&mut b, 0);
        let t = go(&mut b, 0);
        b.learn(5, Learned::answered(t, Some(seen(0, 995)), None));
        assert_eq!(b.reset_at, Some(1_000));
        // The window rolls over; a request of the new one goes.
        let now = go(&mut b, 1_020);
        // The early request's answer (sent at the old window's end) comes now.
        b.learn(1_030, Learned::answered(early, Some(seen(0, 5)), None));
        assert_eq!(b.reset_at, None, "the new window's end is not known yet");
        assert_eq!(b.left, 4 - 1);
        b.learn(1_040, Learned::answered(now, Some(seen(4, 990)), None));
        assert_eq!(b.reset_at, Some(2_030));
    }

    /// Issue 14: one answer cannot stop a store for a day.
    #[test]
    fn resets_and_retries_are_bounded_by_two_windows() {
        let day = 86_400_000;
        let mut b = Book::default();
        let t = go(&mut b, 0);
        let s = Seen {
            left: 0,
            quota: 150,
            window_ms: 30_000,
            reset_ms: day,
        };
        b.learn(10, Learned::answered(t, Some(s), None));
        assert_eq!(b.reset_at, Some(10 + 60_000));
        // A window said to be a day counts as five minutes.
        let mut b = Book::default();
        let t = go(&mut b, 0);
        b.learn(
            0,
            Learned::answered(
                t,
                Some(Seen {
                    window_ms: day,
                    ..s
                }),
                None,
            ),
        );
        assert_eq!(b.window_ms, Some(MAX_WINDOW_MS));
        assert_eq!(b.reset_at, Some(2 * MAX_WINDOW_MS));
        // An hour's X-Retry-After is kept for two windows.
        let mut b = Book::default();
        let t = go(&mut b, 0);
        let s = Seen { reset_ms: 100, ..s };
        b.learn(
            0,
            Learned::answered(t, Some(s), Some(Duration::from_secs(3600))),
        );
        assert_eq!(b.reset_at, Some(60_000));
        // A book an older bcconn wrote with a day-long reset is cut down.
        b.reset_at = Some(day);
        match b.reserve(1000) {
            Reserve::Wait {
                why: WaitWhy::Window { reset_at, .. },
                ..
            } => assert_eq!(reset_at, 61_000),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_wait_for_answers_says_how_many_and_until_when() {
        let mut b = Book::default();
        for i in 0..UNKNOWN_BURST {
            go(&mut b, i as u64);
        }
        match b.reserve(100) {
            Reserve::Wait {
                why: WaitWhy::Answer { out, until },
                ..
            } => {
                assert_eq!(out as usize, UNKNOWN_BURST);
                assert_eq!(until, (UNKNOWN_BURST as u64 - 1) + OUT_FOR_MS);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn headerless_servers_are_not_limited_and_lost_answers_expire() {
        let mut b = Book::default();
        let t = go(&mut b, 0);
        b.learn(5, Learned::answered(t, None, None));
        for i in 0..10 {
            go(&mut b, 10 + i);
        }
        // Probes whose process died: the next waits until they expire.
        let mut b = Book::default();
        for i in 0..UNKNOWN_BURST {
            go(&mut b, i as u64);
        }
        assert!(matches!(b.reserve(20), Reserve::Wait { .. }));
        go(&mut b, OUT_FOR_MS + 20);
    }
}
