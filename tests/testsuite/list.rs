//! `bcconn list`: the table within 80 columns with long and wide names, the
//! siblings of superseded connections named,
//! `--json` always an array, and linear over a long borrowing chain.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::oauth::{OAuthFixture, create};
use crate::common::{Env, all_output, run};

#[test]
fn list_fits_80_columns_with_long_and_cjk_names() {
    let OAuthFixture {
        fake: _fake,
        mut env,
        callback: _,
    } = OAuthFixture::new();
    let long = "a-connection-name-that-goes-on-and-on-for-sixty-characters-x";
    let cjk = "東京ストア本店の本番接続テスト用";
    for name in [long, cjk, "short"] {
        let out = create(&env, name, &["--no-authorize", "--yes"]);
        assert!(out.status.success(), "{}", all_output(&out));
    }
    let width = |line: &str| -> usize {
        // East Asian wide characters take two columns.
        line.chars()
            .map(|c| {
                if ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
                {
                    2
                } else {
                    1
                }
            })
            .sum()
    };
    env.set("COLUMNS", "80");
    let out = env.cmd(&["list"]).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(table.lines().count(), 4, "{table}");
    for line in table.lines() {
        assert!(width(line) <= 80, "{} columns: {line}", width(line));
    }
    assert!(table.contains('…'), "long cells are shortened: {table}");
    assert!(
        table.contains("pending"),
        "the short columns stay whole: {table}"
    );
    // --wide shows everything, whatever the width.
    let out = env.cmd(&["list", "--wide"]).output().unwrap();
    let wide = String::from_utf8(out.stdout).unwrap();
    assert!(wide.contains(long) && wide.contains(cjk), "{wide}");
    assert!(!wide.contains('…'));
    // Columns line up: STATE starts at the same column on every line.
    let col = |line: &str, word: &str| width(&line[..line.find(word).unwrap()]);
    let lines: Vec<&str> = wide.lines().collect();
    let at = col(lines[0], "STATE");
    for line in &lines[1..] {
        assert_eq!(col(line, "pending"), at, "{wide}");
    }
}

#[test]
fn every_json_list_is_an_array_even_when_empty() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback: _,
    } = OAuthFixture::new();
    let home = env.home();
    // An iClient exists (setup), no connection yet.
    for args in [&["list", "--json"][..], &["status", "--json"][..]] {
        let out = env.cmd(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", all_output(&out));
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", all_output(&out)));
        assert_eq!(v, serde_json::json!([]), "{args:?}");
    }
    std::fs::remove_dir_all(&home).unwrap();
    let out = env.cmd(&["iclient", "list", "--json"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

/// A record file of `n` connections, each borrowing from the one before.
pub fn chain_file(n: usize) -> Value {
    let ts = "2026-01-01T00:00:00Z";
    let conns: Vec<Value> = (0..n)
        .map(|k| {
            let mut c = json!({
                "id": format!("{k:016x}"), "name": format!("c{k}"),
                "auth_type": "oauth2", "store_hash": "abc123",
                "scopes": ["store_v2_orders"], "concurrency": (k % 20) as u8 + 1,
                "state": "pending", "created_at": ts, "updated_at": ts,
            });
            if k > 0 {
                c["borrow_concurrency_from"] = json!(format!("{:016x}", k - 1));
            }
            c
        })
        .collect();
    json!({"version": 2, "iclients": [], "connections": conns})
}

#[test]
fn list_json_is_linear_over_a_long_borrowing_chain() {
    let env = Env::new();
    std::fs::create_dir_all(env.home()).unwrap();
    // Written as the old record file: the first command imports it.
    std::fs::write(
        env.old_record_path(),
        serde_json::to_vec(&chain_file(10_000)).unwrap(),
    )
    .unwrap();
    env.cmd(&["list"])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let start = Instant::now();
    let out = env
        .cmd(&["list", "--json"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(out.status.success(), "{}", all_output(&out));
    // Quadratic, this took over a minute; linear, well under a second even
    // in a debug build.
    assert!(took < Duration::from_secs(5), "{took:?}");
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 10_000);
    assert!(list.iter().all(|c| c["effective_concurrency"] == 1));
    assert_eq!(list[9_999]["borrow_concurrency_from"], "c9998");
    let table = run(&env, &["list"]);
    assert!(table.status.success());
}

#[test]
fn list_names_the_sibling_of_each_superseded_connection_a_few_at_most() {
    let env = Env::new();
    let ts = "2026-01-01T00:00:00Z";
    let conn = |k: usize, state: &str| {
        let mut c = json!({
            "id": format!("{k:016x}"), "name": format!("shop{k}"),
            "auth_type": "oauth2", "store_hash": "abc123", "scopes": ["store_v2_orders"],
            "concurrency": 1, "state": state, "created_at": ts, "updated_at": ts,
        });
        if state == "superseded" {
            c["superseded_by"] = json!(format!("{:016x}", 0));
        }
        c
    };
    let mut conns = vec![conn(0, "authorized")];
    conns.extend((1..=7).map(|k| conn(k, "superseded")));
    env.replace_records(&json!({"version": 2, "iclients": [], "connections": conns}));
    let out = env.cmd(&["list"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let notes = String::from_utf8(out.stderr).unwrap();
    for k in 1..=5 {
        assert!(
            notes.contains(&format!(
                "shop{k} is superseded by shop0 (authorizing shop0 ended its token)\n"
            )),
            "{notes}"
        );
    }
    assert!(!notes.contains("shop6 is"), "{notes}");
    assert!(
        notes.contains("and 2 more superseded (`bcconn status` names each sibling)"),
        "{notes}"
    );
    // The table itself is what scripts read, unchanged.
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(!table.contains("shop0 ("), "{table}");
}
