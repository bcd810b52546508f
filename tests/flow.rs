//! "Save & authorize" end to end: the real binary, the fake BigCommerce, the
//! fake browser (this test binary, re-executed through BCCONN_BROWSER).

mod common;

use common::fake_bc::{Consent, FakeBc};
use common::{Env, all_output, fake_browser, free_port};
use predicates::prelude::*;

#[test]
fn __fake_browser() {
    common::fake_browser::entry()
}

const CLIENT_ID: &str = "testclientid123";
const SECRET: &str = "client-secret-Zq8kP2vX9mW4";
const HASH: &str = "abc123";

/// A fake with one app and one store, an env pointing at it, and an iClient.
fn setup() -> (FakeBc, Env, String) {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/auth", free_port());
    fake.register_app(CLIENT_ID, SECRET, &callback, &["store_v2_orders", "store_v2_information_read_only"]);
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    env.add_iclient("app", CLIENT_ID, SECRET, &callback);
    (fake, env, callback)
}

fn no_secret_anywhere(env: &Env, fake: &FakeBc, outputs: &[&std::process::Output]) {
    let records = String::from_utf8(env.record_bytes()).unwrap();
    let mut secrets: Vec<String> = fake.issued_tokens();
    secrets.push(SECRET.into());
    for s in &secrets {
        assert!(!records.contains(s.as_str()), "a secret is in the record file");
        for out in outputs {
            assert!(!all_output(out).contains(s.as_str()), "a secret is in the output: {}", all_output(out));
        }
    }
}

#[test]
fn authorize_flow_saves_a_verified_token() {
    let (fake, env, callback) = setup();
    let out = env
        .cmd(&["create", "shop", "--store-hash", HASH, "--iclient", "app", "--scopes", "store_v2_orders,store_v2_information_read_only"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Callback received"), "{stderr}");
    assert!(stderr.contains("Token verified: store Acme Shop"), "{stderr}");
    assert!(out.stdout.is_empty(), "stdout must stay clean: {:?}", String::from_utf8_lossy(&out.stdout));

    let list = env.list();
    assert_eq!(list[0]["state"], "authorized");
    assert_eq!(list[0]["store_name"], "Acme Shop");
    let granted = list[0]["granted_scopes"].as_array().unwrap();
    assert!(granted.iter().any(|s| s == "store_v2_default"));

    // The token endpoint got the secret in the body, the exact redirect_uri,
    // and the scope and context from the callback.
    let token_req = fake.requests().into_iter().find(|r| r.path == "/oauth2/token").unwrap();
    assert_eq!(token_req.body_param("client_secret").as_deref(), Some(SECRET));
    assert_eq!(token_req.body_param("redirect_uri").as_deref(), Some(callback.as_str()));
    assert_eq!(token_req.body_param("context").as_deref(), Some("stores/abc123"));
    assert!(token_req.header("authorization").is_none());

    let token = env.cmd(&["token", "shop"]).output().unwrap();
    assert!(token.status.success());
    assert_eq!(String::from_utf8_lossy(&token.stdout).trim(), fake.issued_tokens()[0]);
    no_secret_anywhere(&env, &fake, &[&out]);
}

