//! Issue 14, items 4, 5, 10 and 15 (rate files): what a store says about
//! its rate limit, and a token verification that meets a busy store, never
//! stop bcconn for hours or throw a good token away. The real binary
//! against the fake BigCommerce; the Redis side is in `shared_pools`.

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use serde_json::json;

use crate::api::{HASH, TOKEN, setup};
use crate::common::fake_bc::FakeBc;
use crate::common::{Env, all_output};

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

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
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

fn token_create(env: &Env, name: &str, token: &str) -> Output {
    env.cmd(&[
        "create",
        name,
        "--auth-type",
        "token",
        "--store-hash",
        HASH,
        "--access-token-stdin",
    ])
    .write_stdin(format!("{token}\n"))
    .timeout(Duration::from_secs(60))
    .output()
    .unwrap()
}

fn record(env: &Env, name: &str) -> serde_json::Value {
    env.list()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} was not saved"))
}

/// Item 10: a 429 while verifying a token is waited out, as `api` does.
#[test]
fn token_create_waits_out_a_429_while_verifying() {
    let (fake, env) = setup("1");
    // A short window: a 429 asks for the longer of X-Retry-After and the reset.
    fake.set_rate_window(150, Duration::from_secs(1));
    fake.add_token("tokenBUSYstore0123456789", HASH, &["store_v2_orders"]);
    fake.force_429(HASH, 1, 1);
    let out = token_create(&env, "busy", "tokenBUSYstore0123456789");
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("Token verified"),
        "{}",
        all_output(&out)
    );
    let c = record(&env, "busy");
    assert_eq!(c["state"], "authorized");
    assert!(c["last_verified_at"].is_string(), "{c}");
}

/// Item 10: a token that cannot be verified for a transient reason (429s
/// past the retries, a 5xx) is saved, not verified yet, and `status`
/// verifies it later. It is never blamed ("copy the ACCESS TOKEN").
#[test]
fn token_create_keeps_a_token_it_could_not_verify_yet() {
    let (fake, env) = setup("1");
    fake.set_rate_window(150, Duration::from_secs(1));
    fake.add_token("tokenBUSYstore0123456789", HASH, &["store_v2_orders"]);
    fake.force_429(HASH, 20, 1);
    let out = token_create(&env, "busy", "tokenBUSYstore0123456789");
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    println!("{said}");
    assert!(said.contains("not verified yet"), "{said}");
    assert!(!said.contains("ACCESS TOKEN"), "{said}");
    let c = record(&env, "busy");
    assert_eq!(c["state"], "authorized");
    assert!(c["last_verified_at"].is_null(), "{c}");
    env.cmd(&["token", "busy"])
        .assert()
        .success()
        .stdout("tokenBUSYstore0123456789\n");
    // Once the store answers, status verifies it.
    fake.force_429(HASH, 0, 0);
    let out = env.cmd(&["status", "busy"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(record(&env, "busy")["last_verified_at"].is_string());

    // A 5xx on v2/store: saved, unverified.
    fake.hostile("GET", "v2/store", |_rec, _n| async move {
        (
            axum::http::StatusCode::BAD_GATEWAY,
            axum::Json(json!({"title": "upstream down"})),
        )
            .into_response()
    });
    fake.add_token("tokenFIVExx0123456789abc", HASH, &["store_v2_orders"]);
    let out = token_create(&env, "fivexx", "tokenFIVExx0123456789abc");
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("not verified yet"),
        "{}",
        all_output(&out)
    );
    assert!(record(&env, "fivexx")["last_verified_at"].is_null());
}

/// Item 10 through the OAuth flow: a re-authorization whose verification
/// meets 429s keeps the new token (BigCommerce already ended the old one).
#[test]
fn authorize_keeps_the_new_token_when_verification_meets_429s() {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/auth", crate::common::free_port());
    fake.register_app(
        "busyclient123",
        "busy-secret-Pq8kX2",
        &callback,
        &["store_v2_orders"],
    );
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    env.add_iclient("app", "busyclient123", "busy-secret-Pq8kX2", &callback);
    let create = [
        "create",
        "shop",
        "--store-hash",
        HASH,
        "--iclient",
        "app",
        "--scopes",
        "store_v2_orders",
        "--timeout",
        "30",
    ];
    let out = env
        .cmd(&create)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let old = record(&env, "shop");
    assert!(old["last_verified_at"].is_string());

    fake.set_rate_window(150, Duration::from_secs(1));
    fake.force_429(HASH, 20, 1);
    let out = env
        .cmd(&["authorize", "shop", "--timeout", "30"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("not verified yet"),
        "{}",
        all_output(&out)
    );
    let now = record(&env, "shop");
    assert_eq!(now["state"], "authorized");
    assert!(now["last_verified_at"].is_null(), "{now}");
    assert_ne!(now["authorized_at"], old["authorized_at"]);
    let issued = fake.issued_tokens();
    let token = env.cmd(&["token", "shop"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&token.stdout).trim(),
        issued.last().unwrap(),
        "the new token was kept"
    );
    fake.force_429(HASH, 0, 0);
    let out = env.cmd(&["status", "shop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(record(&env, "shop")["last_verified_at"].is_string());
}
