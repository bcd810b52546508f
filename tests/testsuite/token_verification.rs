//! A token is checked against its store before it is saved: one the store
//! definitely does not take (404, 400, a 200 that is not store information)
//! is refused and not saved; a busy store (429s) or another transient
//! failure keeps it, unverified; the store's error text is escaped.

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::api::{HASH, run, setup};
use crate::common::fake_bc::FakeBc;
use crate::common::{Env, all_output, stderr};

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
    let callback = format!("http://127.0.0.1:{}/auth", crate::common::child_port());
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
    let callback = format!("http://127.0.0.1:{}/auth", crate::common::child_port());
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
