//! Siblings: connections on one app and store share one token. Saving one
//! warns and supersedes the older token, a scripted authorize will not pick
//! between them, and a thousand of them are one warning line.

use std::process::Output;

use serde_json::Value;

use crate::common::oauth::{OAuthFixture, STORE_HASH, conn, create};
use crate::common::{Env, add_app, all_output, code, create_pending};

#[test]
fn siblings_warn_on_save_and_the_older_token_is_superseded() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = OAuthFixture::new();
    let first = create(&env, "shop", &[]);
    assert!(first.status.success(), "{}", all_output(&first));
    assert_eq!(conn(&env, "shop")["state"], "authorized");
    // A second connection on the same app and store: saving it warns, and
    // authorizing it says first that the other's token will stop working.
    let second = create(&env, "shop-2", &[]);
    assert!(second.status.success(), "{}", all_output(&second));
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("\"shop\" uses the same app and store"),
        "{said}"
    );
    assert!(said.contains("ends the token of \"shop\""), "{said}");
    let warn_at = said.find("ends the token of").unwrap();
    let opened_at = said.find("Opening the browser").unwrap();
    assert!(warn_at < opened_at, "said before the browser opens: {said}");
    // BigCommerce ended the first token; bcconn's records say so.
    let shop = conn(&env, "shop");
    assert_eq!(shop["state"], "superseded");
    assert_eq!(shop["superseded_by"], "shop-2");
    assert_eq!(conn(&env, "shop-2")["state"], "authorized");
    let list = env.cmd(&["list", "--json"]).output().unwrap();
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["state"], "superseded");
    // status names who superseded it, without asking BigCommerce about a
    // token it knows is dead (the fake really did kill it).
    let before = fake.requests().len();
    let status = env.cmd(&["status", "--json"]).output().unwrap();
    assert_eq!(status.status.code(), Some(3), "{}", all_output(&status));
    let rows: Value = serde_json::from_slice(&status.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "shop")
        .unwrap();
    assert_eq!(row["status"], "superseded");
    assert!(row["detail"].as_str().unwrap().contains("shop-2"), "{row}");
    let newest = fake.issued_tokens().last().cloned().unwrap();
    let checked = &fake.requests()[before..];
    assert!(!checked.is_empty());
    for r in checked {
        assert_eq!(
            r.header("X-Auth-Token"),
            Some(newest.as_str()),
            "only shop-2 was checked"
        );
    }
    // Its token is not handed out.
    let token = env.cmd(&["token", "shop"]).output().unwrap();
    assert_eq!(token.status.code(), Some(1));
    assert!(token.stdout.is_empty());
    let said = String::from_utf8_lossy(&token.stderr);
    assert!(said.contains("superseded by \"shop-2\""), "{said}");
    assert!(said.contains("bcconn authorize shop"), "{said}");
}

#[test]
fn a_scripted_authorize_refuses_to_pick_between_siblings() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = OAuthFixture::new();
    for name in ["shop-a", "shop-b"] {
        let out = create(&env, name, &["--no-authorize", "--yes"]);
        assert!(out.status.success(), "{}", all_output(&out));
    }
    let before = env.record_bytes();
    let out = env
        .cmd(&["authorize", "--store-hash", STORE_HASH, "--iclient", "app"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("shop-a") && said.contains("shop-b"), "{said}");
    assert!(said.contains("--name"), "{said}");
    assert_eq!(env.record_bytes(), before);
    assert_eq!(fake.count("POST", "/oauth2/token"), 0);
    // With --name it goes ahead.
    let out = env
        .cmd(&[
            "authorize",
            "--store-hash",
            STORE_HASH,
            "--iclient",
            "app",
            "--name",
            "shop-b",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(conn(&env, "shop-b")["state"], "authorized");
    assert_eq!(conn(&env, "shop-a")["state"], "pending");
}

/// A record file with `n` pending connections named `sib0`.. on the app
/// `app` (see `add_app`) and store abc123.
fn with_siblings(env: &Env, n: usize) {
    let mut file: Value = env.records();
    let iclient = file["iclients"][0]["id"].as_str().unwrap().to_string();
    let conns: Vec<Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "id": format!("{i:016x}"),
                "name": format!("sib{i}"),
                "auth_type": "oauth2",
                "store_hash": "abc123",
                "scopes": ["store_v2_orders"],
                "iclient_id": iclient,
                "concurrency": 1,
                "state": "authorized",
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
            })
        })
        .collect();
    file["connections"] = Value::Array(conns);
    env.replace_records(&file);
}

/// Lines of `text` that warn about siblings (name the shared app and store).
fn sibling_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.contains("sib") && l.contains("one token per app and store"))
        .collect()
}

/// 1,000 connections on one app and store: each place that warns about
/// siblings says it in one line, with the count and a few names.
#[test]
fn a_thousand_siblings_are_one_warning_line_with_a_count() {
    let env = Env::new();
    add_app(&env);
    with_siblings(&env, 1000);
    env.add_iclient(
        "other-app",
        "clientid2",
        "secret-Gf3",
        "http://localhost:8766/auth",
    );
    let check = |what: &str, n: usize, out: &Output| {
        let text = all_output(out);
        let lines = sibling_lines(&text);
        assert_eq!(
            lines.len(),
            1,
            "{what}: {} lines: {}",
            lines.len(),
            &text[..text.len().min(2000)]
        );
        assert!(
            lines[0].contains(&format!("{n} connections (")),
            "{what}: {}",
            lines[0]
        );
        assert!(lines[0].contains("\"sib0\""), "{what}: {}", lines[0]);
        assert!(lines[0].len() < 500, "{what}: {}", lines[0]);
    };
    // create: a new sibling.
    let out = create_pending(&env, "new");
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    check("create", 1000, &out);
    // edit: moving a connection onto the app.
    let out = env
        .cmd(&[
            "create",
            "moved",
            "--no-authorize",
            "--iclient",
            "other-app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let out = env
        .cmd(&["edit", "moved", "--iclient", "app"])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    check("edit", 1001, &out);
    // authorize: said before the browser would open (the manual flow then
    // finds no pasted address on stdin).
    let out = env
        .cmd(&["authorize", "new", "--flow", "manual", "--timeout", "5"])
        .write_stdin("")
        .output()
        .unwrap();
    check("authorize", 1000, &out);
    // doctor: one finding for the group, its detail bounded.
    let out = env.cmd(&["doctor", "--json"]).output().unwrap();
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let sib: Vec<&Value> = findings
        .iter()
        .filter(|f| f["check"] == "siblings")
        .collect();
    assert_eq!(sib.len(), 1, "{sib:?}");
    let detail = sib[0]["detail"].as_str().unwrap();
    assert!(detail.contains("1002 connections"), "{detail}");
    assert!(detail.len() < 600, "{detail}");
}
