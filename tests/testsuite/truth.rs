//! Connections that stay true (issue 8), black-box against the fake
//! BigCommerce: siblings on one app and store, what a 401 teaches, and
//! forged callbacks that must not end a wait.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, Stdio};

use serde_json::Value;

use crate::common::fake_bc::FakeBc;
use crate::common::{Env, all_output, fake_browser, free_port};

const CLIENT_ID: &str = "truthclient42";
const SECRET: &str = "truth-secret-Kd83nQ";
const HASH: &str = "abc123";

fn setup() -> (FakeBc, Env, String) {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/auth", free_port());
    fake.register_app(
        CLIENT_ID,
        SECRET,
        &callback,
        &["store_v2_orders", "store_v2_information_read_only"],
    );
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    env.add_iclient("app", CLIENT_ID, SECRET, &callback);
    (fake, env, callback)
}

fn create(env: &Env, name: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "create",
        name,
        "--store-hash",
        HASH,
        "--iclient",
        "app",
        "--scopes",
        "store_v2_orders",
    ];
    args.extend_from_slice(extra);
    env.cmd(&args).output().unwrap()
}

fn conn(env: &Env, name: &str) -> Value {
    let out = env.cmd(&["show", name, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Starts bcconn, reads stderr up to the printed URL; returns the child, the
/// URL and the rest of stderr to read later.
fn waiting(env: &Env, args: &[&str]) -> (Child, String, BufReader<ChildStderr>) {
    let mut child = env
        .std_cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no URL printed");
        if line.trim().starts_with("http") {
            break line.trim().to_string();
        }
    };
    (child, url, stderr)
}

fn finish(mut child: Child, mut stderr: BufReader<ChildStderr>) -> (bool, String) {
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    (child.wait().unwrap().success(), rest)
}

// ------------------------------------------------------------------ siblings

#[test]
fn siblings_warn_on_save_and_the_older_token_is_superseded() {
    let (fake, env, _) = setup();
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
    let (fake, env, _) = setup();
    for name in ["shop-a", "shop-b"] {
        let out = create(&env, name, &["--no-authorize", "--yes"]);
        assert!(out.status.success(), "{}", all_output(&out));
    }
    let before = env.record_bytes();
    let out = env
        .cmd(&["authorize", "--store-hash", HASH, "--iclient", "app"])
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
            HASH,
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

// ------------------------------------------------------------------ 401

#[test]
fn a_401_is_kept_as_invalid_and_token_refuses_it() {
    let (fake, env, _) = setup();
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
    let (_fake, env, _) = setup();
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

// ------------------------------------------------------------------ forged callbacks

/// Requests anyone on this machine could send to the callback URL.
fn forgeries(callback: &str) -> Vec<String> {
    vec![
        format!("{callback}?error=access_denied&error_description=forged"),
        format!("{callback}?code=forged-code&scope=store_v2_orders&context=stores%2F{HASH}"),
        format!("{callback}?error=%1B%5B2J%1B%5D0%3Bpwned%07&error_description=%1B%5B31mred"),
        format!("{callback}?code=x&context=stores%2F%1B%5B31mzzz"),
    ]
}

fn assert_escaped(stderr: &str) {
    assert!(
        !stderr.contains('\u{1b}'),
        "a raw ESC reached the terminal: {stderr:?}"
    );
    assert!(
        !stderr.contains('\u{7}'),
        "a raw BEL reached the terminal: {stderr:?}"
    );
}

#[test]
fn forged_callbacks_do_not_end_an_authorize_flow() {
    let (fake, env, callback) = setup();
    let (child, url, stderr) = waiting(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--no-browser",
            "--timeout",
            "30",
        ],
    );
    for forged in forgeries(&callback) {
        let v = fake_browser::visit(&forged);
        assert_eq!(v.status, 400, "{forged}: {}", v.body);
    }
    // The real answer still completes.
    let real = fake_browser::visit(&url);
    assert!(real.body.contains("Connected to"), "{}", real.body);
    let (ok, said) = finish(child, stderr);
    assert!(ok, "{said}");
    assert_eq!(said.matches("ignored a callback").count(), 4, "{said}");
    assert_escaped(&said);
    // Only the real code was exchanged: the forged ones lacked the state.
    assert_eq!(fake.count("POST", "/oauth2/token"), 1);
    let shop = conn(&env, "shop");
    assert_eq!(shop["state"], "authorized");
}

#[test]
fn forged_callbacks_do_not_end_an_install_flow() {
    let (fake, env, callback) = setup();
    let (child, url, stderr) = waiting(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--flow",
            "install",
            "--no-browser",
            "--timeout",
            "30",
        ],
    );
    for forged in forgeries(&callback) {
        let v = fake_browser::visit(&forged);
        assert_eq!(v.status, 400, "{forged}: {}", v.body);
        assert_escaped(&v.body);
    }
    let real = fake_browser::visit(&url);
    assert!(
        real.final_url.ends_with("/install/succeeded"),
        "{}",
        real.final_url
    );
    let (ok, said) = finish(child, stderr);
    assert!(ok, "{said}");
    assert_escaped(&said);
    assert_eq!(said.matches("ignored a callback").count(), 4, "{said}");
    // The forged code was tried (the install flow has no state to check it
    // by) and refused by BigCommerce; that did not end the wait.
    assert!(said.contains("invalid_grant"), "{said}");
    assert_eq!(fake.count("POST", "/oauth2/token"), 2);
    assert_eq!(conn(&env, "shop")["state"], "authorized");
    assert_eq!(fake.install_outcome().as_deref(), Some("succeeded"));
}

#[test]
fn the_install_flow_gives_up_after_a_bounded_number_of_refused_codes() {
    let (fake, env, callback) = setup();
    let (child, _url, stderr) = waiting(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--flow",
            "install",
            "--no-browser",
            "--timeout",
            "30",
        ],
    );
    for i in 0..5 {
        let forged = format!("{callback}?code=forged-{i}&scope=s&context=stores%2F{HASH}");
        assert_eq!(fake_browser::visit(&forged).status, 400);
    }
    let (ok, said) = finish(child, stderr);
    assert!(!ok);
    assert!(said.contains("refused the code of 5 callbacks"), "{said}");
    assert_eq!(fake.count("POST", "/oauth2/token"), 5);
    assert_eq!(conn(&env, "shop")["state"], "failed");
}

// ------------------------------------------------------------------ tables

#[test]
fn list_fits_80_columns_with_long_and_cjk_names() {
    let (_fake, mut env, _) = setup();
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
    let (_fake, env, _) = setup();
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

#[test]
fn a_failed_reauthorization_keeps_what_bcconn_learned() {
    let (fake, env, _) = setup();
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
fn a_bad_paste_in_the_manual_flow_asks_again() {
    let (_fake, env, _) = setup();
    let mut child = env
        .std_cmd(&[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--flow",
            "manual",
            "--timeout",
            "30",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no URL printed");
        if line.trim().starts_with("http") {
            break line.trim().to_string();
        }
    };
    let landed = fake_browser::consent_redirect(&url);
    let mut stdin = child.stdin.take().unwrap();
    use std::io::Write;
    writeln!(stdin, "oops not a url").unwrap();
    writeln!(stdin, "{landed}").unwrap();
    drop(stdin);
    let (ok, said) = finish(child, stderr);
    assert!(ok, "{said}");
    assert!(said.contains("that is not a URL"), "{said}");
    assert_eq!(conn(&env, "shop")["state"], "authorized");
}

#[test]
fn a_second_authorize_of_a_waiting_connection_leaves_the_first_alone() {
    let (fake, env, _) = setup();
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
