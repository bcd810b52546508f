//! A connection's state stays true: what a 401 teaches, a pending
//! connection's token refused, a failed reauthorization keeping what was
//! learned, and a second authorize leaving the waiting one alone.

use crate::common::oauth::{OAuthFixture, conn, create, finish, waiting};
use crate::common::{all_output, fake_browser};

#[test]
fn a_401_is_kept_as_invalid_and_token_refuses_it() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = OAuthFixture::new();
    assert!(create(&env, "shop", &[]).status.success());
    for t in fake.issued_tokens() {
        fake.revoke_token(&t);
    }
    let status = env.cmd(&["status", "shop"]).output().unwrap();
    assert_eq!(status.status.code(), Some(3), "{}", all_output(&status));
    // Learned once, kept: list and show say invalid, with when and why.
    let shop = conn(&env, "shop");
    assert_eq!(shop["state"], "invalid");
    assert!(
        shop["last_error"].as_str().unwrap().contains("401"),
        "{shop}"
    );
    assert!(shop["last_error_at"].is_string(), "{shop}");
    let list = env.cmd(&["list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("invalid"));
    let token = env.cmd(&["token", "shop"]).output().unwrap();
    assert_eq!(token.status.code(), Some(1));
    assert!(token.stdout.is_empty(), "nothing on stdout");
    let said = String::from_utf8_lossy(&token.stderr);
    assert!(said.contains("bcconn authorize shop"), "{said}");
    // A new authorization makes it true again.
    let again = env.cmd(&["authorize", "shop"]).output().unwrap();
    assert!(again.status.success(), "{}", all_output(&again));
    let shop = conn(&env, "shop");
    assert_eq!(shop["state"], "authorized");
    assert!(shop["last_error"].is_null(), "{shop}");
    assert!(
        env.cmd(&["token", "shop"])
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn token_of_a_pending_connection_exits_1_with_a_hint() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback: _,
    } = OAuthFixture::new();
    assert!(
        create(&env, "shop", &["--no-authorize", "--yes"])
            .status
            .success()
    );
    let out = env.cmd(&["token", "shop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bcconn authorize shop"));
}

#[test]
fn a_failed_reauthorization_keeps_what_bcconn_learned() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = OAuthFixture::new();
    assert!(create(&env, "shop", &[]).status.success());
    for t in fake.issued_tokens() {
        fake.revoke_token(&t);
    }
    env.cmd(&["status", "shop"]).output().unwrap();
    assert_eq!(conn(&env, "shop")["state"], "invalid");
    // A new authorization that times out is not a "failed" first one: the
    // connection stays invalid, with the 401's reason.
    let out = env
        .cmd(&["authorize", "shop", "--no-browser", "--timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let shop = conn(&env, "shop");
    assert_eq!(shop["state"], "invalid", "{shop}");
    assert!(
        shop["last_error"].as_str().unwrap().contains("401"),
        "{shop}"
    );
}

#[test]
fn a_second_authorize_of_a_waiting_connection_leaves_the_first_alone() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = OAuthFixture::new();
    assert!(
        create(&env, "shop", &["--no-authorize", "--yes"])
            .status
            .success()
    );
    let (child, url, stderr) = waiting(
        &env,
        &["authorize", "shop", "--no-browser", "--timeout", "30"],
    );
    // A second run finds the callback port busy: it fails without marking
    // the connection failed while the first still waits.
    let second = env
        .cmd(&["authorize", "shop", "--no-browser", "--timeout", "5"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1), "{}", all_output(&second));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already in use"));
    assert_eq!(conn(&env, "shop")["state"], "pending");
    // The first run completes.
    let real = fake_browser::visit(&url);
    assert!(real.body.contains("Connected to"), "{}", real.body);
    let (ok, said) = finish(child, stderr);
    assert!(ok, "{said}");
    assert_eq!(conn(&env, "shop")["state"], "authorized");
    assert_eq!(fake.count("POST", "/oauth2/token"), 1);
}
