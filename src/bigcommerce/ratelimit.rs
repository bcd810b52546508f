//! BigCommerce's rate-limit headers (protocol notes §6): on every answer,
//! `X-Rate-Limit-Requests-Left`, `-Requests-Quota`, `-Time-Reset-Ms` (ms
//! left in the window) and `-Time-Window-Ms`; on a 429 also
//! `X-Retry-After: <seconds>`. "If both are present, honor the longer."
//!
//! Outside input: a reset is bounded by the window it came with (two
//! windows, [`reset_bound`]); how long `X-Retry-After` may make bcconn wait
//! is the caller's `--max-wait`.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::pool::Seen;
use crate::pool::rate::reset_bound;

fn number(headers: &HeaderMap, name: &str) -> Option<f64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

/// The four headers, when the answer has them (left, quota and reset are
/// needed; the window defaults to BigCommerce's 30 s).
pub fn seen(headers: &HeaderMap) -> Option<Seen> {
    let left = number(headers, "x-rate-limit-requests-left")?;
    let quota = number(headers, "x-rate-limit-requests-quota")?;
    let reset = number(headers, "x-rate-limit-time-reset-ms")?;
    let window = number(headers, "x-rate-limit-time-window-ms").unwrap_or(30_000.0);
    Some(Seen {
        left: left.min(u32::MAX as f64) as u32,
        quota: quota.min(u32::MAX as f64) as u32,
        window_ms: window.min(crate::pool::rate::MAX_WINDOW_MS as f64) as u64,
        reset_ms: reset.min(86_400_000.0).ceil() as u64,
    })
}

/// How long a 429 asks to wait: the longer of `X-Retry-After` (at most a
/// day) and the window's reset (at most two windows); `None` when it says
/// neither.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let retry = number(headers, "x-retry-after").map(|s| (s.min(86_400.0) * 1000.0).ceil() as u64);
    let window = number(headers, "x-rate-limit-time-window-ms").map(|w| w.min(1e12) as u64);
    let reset = number(headers, "x-rate-limit-time-reset-ms")
        .map(|m| (m.min(1e12) as u64).min(reset_bound(window)));
    match (retry, reset) {
        (None, None) => None,
        (a, b) => Some(Duration::from_millis(a.unwrap_or(0).max(b.unwrap_or(0)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_four_headers_any_case() {
        let h = headers(&[
            ("X-Rate-Limit-Requests-Left", "35"),
            ("x-rate-limit-requests-quota", "150"),
            ("X-RATE-LIMIT-TIME-RESET-MS", "15000"),
            ("X-Rate-Limit-Time-Window-Ms", "30000"),
        ]);
        assert_eq!(
            seen(&h),
            Some(Seen {
                left: 35,
                quota: 150,
                window_ms: 30_000,
                reset_ms: 15_000
            })
        );
    }

    #[test]
    fn missing_or_bad_headers_teach_nothing() {
        assert_eq!(seen(&HeaderMap::new()), None);
        let h = headers(&[
            ("x-rate-limit-requests-left", "-3"),
            ("x-rate-limit-requests-quota", "150"),
            ("x-rate-limit-time-reset-ms", "10"),
        ]);
        assert_eq!(seen(&h), None);
        let h = headers(&[
            ("x-rate-limit-requests-left", "lots"),
            ("x-rate-limit-requests-quota", "150"),
            ("x-rate-limit-time-reset-ms", "10"),
        ]);
        assert_eq!(seen(&h), None);
    }

    #[test]
    fn a_429_waits_the_longer_of_the_two() {
        let h = headers(&[
            ("x-retry-after", "2"),
            ("x-rate-limit-time-reset-ms", "1500"),
        ]);
        assert_eq!(retry_after(&h), Some(Duration::from_millis(2000)));
        let h = headers(&[
            ("x-retry-after", "1"),
            ("x-rate-limit-time-reset-ms", "2500"),
        ]);
        assert_eq!(retry_after(&h), Some(Duration::from_millis(2500)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
        let h = headers(&[("x-retry-after", "1e300")]);
        assert_eq!(retry_after(&h), Some(Duration::from_secs(86_400)));
        // A day-long reset counts for two windows at most.
        let h = headers(&[
            ("x-rate-limit-time-reset-ms", "86400000"),
            ("x-rate-limit-time-window-ms", "30000"),
        ]);
        assert_eq!(retry_after(&h), Some(Duration::from_secs(60)));
    }
}
