//! Issue 14 review of token verification and waits: a token the store
//! definitely does not take (a wrong store hash: 404; 400; a 200 that is
//! not store information) is refused and not saved; only transient
//! failures keep it unverified. Outside error text is escaped; absurd
//! `--max-wait` values are usage errors; waits for unreported requests
//! obey `--max-wait`. The real binary against the fake BigCommerce.

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::api::{HASH, TOKEN, run, setup};
use crate::common::fake_bc::FakeBc;
use crate::common::{Env, all_output};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
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

fn saved(env: &Env, name: &str) -> bool {
    env.list().iter().any(|c| c["name"] == name)
}

/// `v2/store` answers as `mode` says: 0 404, 1 400, 2 a 200 that is not
/// JSON, 3 a 200 JSON that is not store information.
fn store_answers(fake: &FakeBc) -> Arc<AtomicUsize> {
    let mode = Arc::new(AtomicUsize::new(0));
    let m = mode.clone();
    fake.hostile("GET", "v2/store", move |_rec, _n| {
        let m = m.load(Ordering::SeqCst);
        async move {
            match m {
                0 => (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({"status": 404, "title": "Not Found"})),
                )
                    .into_response(),
                1 => (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"status": 400, "title": "Bad Request"})),
                )
                    .into_response(),
                2 => (StatusCode::OK, "<html>a login page</html>").into_response(),
                _ => (StatusCode::OK, axum::Json(json!(["not", "a", "store"]))).into_response(),
            }
        }
    });
    mode
}

/// H2: a token whose store answers 404 (a wrong store hash) was saved as
/// "authorized, not verified yet". It is refused, nothing saved, and the
/// message says the store hash is probably wrong; likewise a 400 and a 200
/// that is not store information.
#[test]
fn token_create_refuses_a_store_that_does_not_take_it() {
    let (fake, env) = setup("1");
    let mode = store_answers(&fake);
    for (m, name) in ["nf", "br", "html", "shape"].iter().enumerate() {
        mode.store(m, Ordering::SeqCst);
        let token = format!("tokenVERIFY{m}0123456789abcdef");
        fake.add_token(&token, HASH, &["store_v2_orders"]);
        let out = token_create(&env, name, &token);
        let said = stderr(&out);
        println!("{said}");
        assert_eq!(out.status.code(), Some(1), "mode {m}: {}", all_output(&out));
        assert!(said.contains("not saved"), "mode {m}: {said}");
        assert!(!said.contains("not verified yet"), "mode {m}: {said}");
        assert!(!saved(&env, name), "mode {m}: {name} was saved");
        assert!(!said.contains("belongs to"), "mode {m}: {said}");
        if m == 0 {
            assert!(said.contains("404"), "{said}");
            assert!(said.contains("store hash"), "{said}");
        }
    }
    // `status` on a saved connection whose store now answers 404 says so,
    // and does not call it unreachable.
    mode.store(0, Ordering::SeqCst);
    let out = run(&env, &["status", "shop", "--json"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{}", all_output(&out));
    assert!(text.contains("404"), "{}", all_output(&out));
    assert!(!text.contains("\"unreachable\""), "{}", all_output(&out));
}

/// H2 through the OAuth flow: a new token whose store answers 404 is not
/// kept as "not verified yet".
#[test]
fn authorize_refuses_a_new_token_its_store_answers_404_to() {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/auth", crate::common::free_port());
    fake.register_app(
        "nfclient123",
        "nf-secret-Pq8kX2",
        &callback,
        &["store_v2_orders"],
    );
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    env.add_iclient("app", "nfclient123", "nf-secret-Pq8kX2", &callback);
    store_answers(&fake);
    let out = env
        .cmd(&[
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
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let said = stderr(&out);
    println!("{said}");
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(!said.contains("not verified yet"), "{said}");
    assert!(said.contains("404"), "{said}");
    let kept = env
        .list()
        .into_iter()
        .find(|c| c["name"] == "shop")
        .map(|c| c["state"].clone());
    assert_ne!(kept, Some(json!("authorized")), "the token was kept");
}

/// M3: a 401 whose title holds an escape sequence reached the terminal raw
/// from `create` and `status`. It is escaped (and bounded).
#[test]
fn a_401_title_with_control_characters_is_escaped() {
    let (fake, env) = setup("1");
    let long = "x".repeat(5000);
    fake.hostile("GET", "v2/store", move |_rec, _n| {
        let title = format!("\x1b[31mrevoked\x1b]0;owned\x07 {long}");
        async move {
            (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"status": 401, "title": title})),
            )
                .into_response()
        }
    });
    fake.add_token("tokenESCAPE0123456789abcd", HASH, &["store_v2_orders"]);
    let out = token_create(&env, "esc", "tokenESCAPE0123456789abcd");
    let all = all_output(&out);
    println!("{all}");
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(!all.contains('\x1b') && !all.contains('\x07'), "{all:?}");
    assert!(all.contains("\\u{1b}"), "{all}");
    assert!(all.len() < 3000, "unbounded: {} bytes", all.len());
    for args in [&["status", "shop"][..], &["status", "shop", "--json"]] {
        let out = run(&env, args);
        let all = all_output(&out);
        println!("{all}");
        assert!(!all.contains('\x1b') && !all.contains('\x07'), "{all:?}");
        assert!(all.len() < 5000, "unbounded: {} bytes", all.len());
    }
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
