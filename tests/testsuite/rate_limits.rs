//! What a store says about its rate limit never stops bcconn for hours: a
//! day-long reset bounded by its window, a `Retry-After` past `--max-wait`
//! an error, waits for unreported requests said and bounded, absurd
//! `--max-wait` values usage errors, and a rate file that is not a regular
//! file refused. The Redis side is in `shared_pools`.

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use serde_json::json;

use crate::api::{HASH, TOKEN, run, setup};
use crate::common::fake_bc::FakeBc;
use crate::common::{Env, all_output, stderr};

/// `bcconn ARGS`, killed if it runs longer than `limit` (then `None`).
fn run_within(env: &Env, args: &[&str], limit: Duration) -> Option<Output> {
    let mut child = env
        .std_cmd(args)
        .current_dir(env.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            assert!(!all_output(&out).contains(TOKEN), "{}", all_output(&out));
            return Some(out);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Answers `GET v2/orders` with 200 and the given rate-limit headers.
fn orders_with_limits(
    fake: &FakeBc,
    left: &'static str,
    reset_ms: &'static str,
    window_ms: &'static str,
) {
    fake.hostile("GET", "v2/orders", move |_rec, _n| async move {
        (
            [
                ("x-rate-limit-requests-left", left),
                ("x-rate-limit-requests-quota", "150"),
                ("x-rate-limit-time-reset-ms", reset_ms),
                ("x-rate-limit-time-window-ms", window_ms),
            ],
            axum::Json(json!([{"id": 1}])),
        )
            .into_response()
    });
}

/// Item 4: `Time-Reset-Ms: 86400000` with none left used to stop every
/// later call on the store for a day. The reset is bounded by the window it
/// came with (here 1 s: at most 2 s), and the wait says how to clear the book.
#[test]
fn a_day_long_reset_is_bounded_by_its_window() {
    let (fake, env) = setup("1");
    orders_with_limits(&fake, "0", "86400000", "1000");
    let first = run_within(&env, &["api", "v2/orders"], Duration::from_secs(20))
        .expect("the first call answers");
    assert_eq!(first.status.code(), Some(0), "{}", all_output(&first));
    let started = Instant::now();
    let second = run_within(&env, &["api", "v2/orders"], Duration::from_secs(20))
        .expect("the next call waited for a day: the reset was not bounded");
    assert_eq!(second.status.code(), Some(0), "{}", all_output(&second));
    assert!(started.elapsed() < Duration::from_secs(20));
    println!(
        "FIGURE a call after a day-long reset (1 s window) waited {:?}",
        started.elapsed()
    );
    let said = stderr(&second);
    println!("{said}");
    assert!(said.contains("waiting"), "says what it waits for: {said}");
    assert!(
        said.contains(&format!("rate/{HASH}.json")),
        "says how to clear the book: {said}"
    );
}

/// Item 4: `X-Retry-After: 3600` used to sleep an hour per retry. Past
/// `--max-wait` it is exit 1 at once, saying what the store asked for.
#[test]
fn a_retry_after_past_max_wait_is_an_error_not_an_hour() {
    let (fake, env) = setup("1");
    // A 2 s window: what the book keeps of the hour is at most 4 s.
    fake.set_rate_window(150, Duration::from_secs(2));
    fake.force_429(HASH, 1, 3600);
    let out = run_within(&env, &["api", "v2/time"], Duration::from_secs(20))
        .expect("it slept for the hour the 429 asked");
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let said = stderr(&out);
    println!("{said}");
    assert!(said.contains("--max-wait"), "{said}");
    assert!(said.contains("3600"), "says what the store asked: {said}");
    // The book keeps at most two windows of it: the next call goes.
    let out = run_within(&env, &["api", "v2/time"], Duration::from_secs(20))
        .expect("the book kept the hour");
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));

    // Within --max-wait, a 429 is waited out and retried.
    fake.force_429(HASH, 1, 2);
    let out = run_within(
        &env,
        &["api", "v2/time", "--max-wait", "5s"],
        Duration::from_secs(20),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(stderr(&out).contains("429"), "{}", all_output(&out));
    // A wait longer than a smaller --max-wait is refused.
    fake.force_429(HASH, 1, 2);
    let out = run_within(
        &env,
        &["api", "v2/time", "--max-wait", "1s"],
        Duration::from_secs(20),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    // A bad duration is a usage error.
    let out = run_within(
        &env,
        &["api", "v2/time", "--max-wait", "soon"],
        Duration::from_secs(20),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Item 5: requests killed in flight leave their reservations in the book
/// (each counts as out for up to a minute). The next call waits for them,
/// and now says so.
#[test]
fn a_wait_for_unreported_requests_is_said() {
    let (_fake, env) = setup("1");
    let dir = env.home().join("rate");
    std::fs::create_dir_all(&dir).unwrap();
    // Far enough ahead that a slow start (a busy machine) still sees the
    // wait said, which comes after 1 s of it.
    let until = now_ms() + 15_000;
    let book = json!({
        "quota": 150, "window_ms": 30000, "left": 0, "headerless": false,
        "out": [{"id": 1, "until": until}, {"id": 2, "until": until}],
        "next_id": 2
    });
    std::fs::write(dir.join(format!("{HASH}.json")), book.to_string()).unwrap();
    let out = run_within(&env, &["api", "v2/time"], Duration::from_secs(30)).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    println!("{said}");
    assert!(
        said.contains("2 earlier requests") && said.contains("not reported"),
        "the wait is said: {said}"
    );
}

/// Item 15: a FIFO where the rate book goes used to hang `api`; a link to
/// /proc/self/pagemap was read without bound. Both are refused at once.
#[cfg(unix)]
#[test]
fn a_rate_file_that_is_not_a_regular_file_is_refused_at_once() {
    let (_fake, env) = setup("1");
    let dir = env.home().join("rate");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{HASH}.json"));
    // (Saving the token verified it through the rate book: one is there.)
    let _ = std::fs::remove_file(&path);
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let out = run_within(&env, &["api", "v2/time"], Duration::from_secs(20))
        .expect("a FIFO rate file hung api");
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        all_output(&out)
    );
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/proc/self/pagemap", &path).unwrap();
    let out = run_within(&env, &["api", "v2/time"], Duration::from_secs(20))
        .expect("a link to /proc/self/pagemap was read without end");
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    // A pool slot that is a FIFO does not hang either.
    std::fs::remove_file(&path).unwrap();
    let out = run_within(&env, &["api", "v2/time"], Duration::from_secs(20)).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let pools = env.home().join("pools");
    // The connection's pool (not the one a new token is verified in).
    let slot_dir = std::fs::read_dir(&pools)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.to_string_lossy().ends_with("new_token"))
        .unwrap();
    let slot = slot_dir.join("slot-0.lock");
    std::fs::remove_file(&slot).unwrap();
    std::process::Command::new("mkfifo")
        .arg(&slot)
        .status()
        .unwrap();
    let out = run_within(&env, &["api", "v2/time"], Duration::from_secs(20))
        .expect("a FIFO pool slot hung api");
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
}

/// M1: `--max-wait` of u64::MAX seconds made a rate-window wait overflow
/// and panic. Values past a day are a usage error naming the limit.
#[test]
fn an_absurd_max_wait_is_a_usage_error_not_a_panic() {
    let (fake, env) = setup("1");
    fake.hostile("GET", "v2/orders", |_rec, _n| async move {
        (
            [
                ("x-rate-limit-requests-left", "0"),
                ("x-rate-limit-requests-quota", "150"),
                ("x-rate-limit-time-reset-ms", "3000"),
                ("x-rate-limit-time-window-ms", "30000"),
            ],
            axum::Json(json!([{"id": 1}])),
        )
            .into_response()
    });
    let out = run(&env, &["api", "v2/orders"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    for wait in ["18446744073709551615s 999ms", "18446744073709551615", "25h"] {
        let out = run(&env, &["api", "v2/orders", "--max-wait", wait]);
        let said = stderr(&out);
        println!("{said}");
        assert_eq!(out.status.code(), Some(2), "{wait}: {said}");
        assert!(said.contains("24h"), "{wait}: {said}");
        assert!(!said.contains("panicked"), "{said}");
    }
    let out = run(&env, &["api", "v2/orders", "--max-wait", "24h"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

/// L1: a wait for requests that were never reported (their bcconn killed)
/// could be a minute whatever `--max-wait` said. It obeys `--max-wait`.
#[test]
fn a_wait_for_unreported_requests_obeys_max_wait() {
    let (_fake, env) = setup("1");
    let dir = env.home().join("rate");
    std::fs::create_dir_all(&dir).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let until = now + 50_000;
    let book = json!({
        "quota": 150, "window_ms": 30000, "left": 0, "headerless": false,
        "out": [{"id": 1, "until": until}],
        "next_id": 1
    });
    std::fs::write(dir.join(format!("{HASH}.json")), book.to_string()).unwrap();
    let started = std::time::Instant::now();
    let out = env
        .cmd(&["api", "v2/time", "--max-wait", "1s"])
        .current_dir(env.dir.path())
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let said = stderr(&out);
    println!("{said} after {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(said.contains("--max-wait"), "{said}");
    assert!(!all_output(&out).contains(TOKEN));
}
