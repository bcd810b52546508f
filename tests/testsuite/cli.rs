//! Black-box tests of the command surface (issue 2, "the foundation"): every
//! command that works without BigCommerce, and every refusal, through the real
//! binary in a hermetic BCCONN_HOME with the file secret store.
//!
//! Each test checks what a broken build would get wrong: the exact state in
//! `list --json`, the exit code, the name the message points at, and that a
//! refused command leaves the record file byte-identical. The text of a
//! refusal (its error and hint) is a snapshot under `snapshots/`.

use std::collections::BTreeSet;

use crate::common::Env;
use serde_json::Value;

/// The client secret every test iClient gets; it must never show up anywhere
/// but the secrets file.
const SECRET: &str = "cs-Hq7vN3xR8tLw2pK5";
const DEFAULT_CALLBACK: &str = "http://localhost:8765/auth";
/// Where the store hash can be found, as every store-hash refusal says.
const WHERE_HASH: &str = "Settings › API › Store-level API accounts";

/// One finished run of the binary.
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    fn show(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Exit 0.
    fn ok(self) -> Out {
        assert_eq!(self.code, Some(0), "expected success\n{}", self.show());
        self
    }

    /// Exit `code`, `error: ...` on stderr, nothing on stdout.
    fn refused(self, code: i32) -> Out {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\n{}",
            self.show()
        );
        assert!(
            self.stdout.is_empty(),
            "stdout must stay empty on error\n{}",
            self.show()
        );
        assert!(
            self.stderr.starts_with("error: "),
            "errors start with `error: `\n{}",
            self.show()
        );
        self
    }

    /// The stderr holds every one of `words`.
    fn says(self, words: &[&str]) -> Out {
        for w in words {
            assert!(
                self.stderr.contains(w),
                "stderr lacks {w:?}\n{}",
                self.show()
            );
        }
        self
    }

    /// stderr matches the snapshot `name` in `snapshots/`, with what changes
    /// from run to run (loopback ports, temp paths) filtered out. In CI
    /// (`CI=true`) a missing or different snapshot fails; elsewhere insta
    /// also writes a `.snap.new` to review with `cargo insta review`.
    fn snapshot(self, name: &str) -> Out {
        insta::with_settings!({
            filters => vec![
                (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
                (r"/[^\s\x22']*/\.tmp[0-9A-Za-z]{6}", "[TEMP]"),
            ],
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, self.stderr);
        });
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.show()))
    }
}

fn finish(mut cmd: assert_cmd::Command) -> Out {
    let out = cmd.output().expect("bcconn runs");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// `bcconn ARGS` with stdin closed (no terminal, nothing to read).
fn bc(env: &Env, args: &[&str]) -> Out {
    finish(env.cmd(args))
}

/// `bcconn ARGS` with `input` on stdin.
fn bc_in(env: &Env, args: &[&str], input: &str) -> Out {
    let mut cmd = env.cmd(args);
    cmd.write_stdin(input.to_string());
    finish(cmd)
}

/// Adds an iClient with the default callback URL and the secret on stdin.
fn add_iclient(env: &Env, name: &str, client_id: &str, secret: &str) -> Out {
    bc_in(
        env,
        &[
            "iclient",
            "add",
            name,
            "--client-id",
            client_id,
            "--client-secret-stdin",
        ],
        &format!("{secret}\n"),
    )
    .ok()
}

/// An environment with iClient "app" (secret [`SECRET`]).
fn with_app() -> Env {
    let env = Env::new();
    add_iclient(&env, "app", "clientid-app", SECRET);
    env
}

/// `create NAME --iclient app --no-authorize` plus `extra`; store hash abc123
/// and scope store_v2_orders unless `extra` gives its own.
fn create(env: &Env, name: &str, extra: &[&str]) -> Out {
    let mut args = vec!["create", name, "--no-authorize"];
    if !extra.contains(&"--iclient") {
        args.extend(["--iclient", "app"]);
    }
    if !extra.contains(&"--store-hash") {
        args.extend(["--store-hash", "abc123"]);
    }
    if !extra.contains(&"--scopes") && !extra.contains(&"--all-scopes") {
        args.extend(["--scopes", "store_v2_orders"]);
    }
    args.extend(extra);
    bc(env, &args)
}

/// The connection called `name` in `list --json` (exact name).
fn conn(env: &Env, name: &str) -> Value {
    env.list()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no connection {name:?} in list --json"))
}

fn names(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// `iclient show NAME --json`.
fn iclient(env: &Env, name: &str) -> Value {
    bc(env, &["iclient", "show", name, "--json"]).ok().json()
}

/// The secrets file as a map of account -> secret (empty when absent).
fn secrets(env: &Env) -> serde_json::Map<String, Value> {
    let text = env.secrets_text();
    if text.is_empty() {
        return Default::default();
    }
    let v: Value = serde_json::from_str(&text).expect("secrets.json is JSON");
    v["secrets"].as_object().expect("a secrets map").clone()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------- iclient add

#[test]
fn iclient_add_reads_the_secret_from_stdin_with_the_default_callback_url() {
    let env = Env::new();
    let out = bc_in(
        &env,
        &[
            "iclient",
            "add",
            "app",
            "--client-id",
            "clientid-app",
            "--client-secret-stdin",
        ],
        &format!("{SECRET}\n"),
    )
    .ok()
    .says(&["\"app\"", DEFAULT_CALLBACK, "Auth, Load and Uninstall"]);
    assert!(
        out.stdout.is_empty(),
        "status goes to stderr\n{}",
        out.show()
    );

    let ic = iclient(&env, "app");
    assert_eq!(ic["client_id"], "clientid-app");
    assert_eq!(ic["callback_url"], DEFAULT_CALLBACK);
    assert_eq!(ic["secret_store"], "file");
    assert_eq!(ic["connections"], serde_json::json!([]));
    // The secret is filed under the iClient's id, without the newline.
    let id = ic["id"].as_str().unwrap();
    let stored = secrets(&env);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[&format!("iclient/{id}")], SECRET);
    assert!(
        !String::from_utf8(env.record_bytes())
            .unwrap()
            .contains(SECRET)
    );
    assert!(!out.all().contains(SECRET));
}

#[test]
fn iclient_add_takes_the_secret_from_bcconn_client_secret_and_keeps_a_custom_callback_url() {
    let mut env = Env::new();
    env.set("BCCONN_CLIENT_SECRET", SECRET);
    let custom = "https://tunnel.example.com/bc/callback?x=1";
    let out = bc(
        &env,
        &[
            "iclient",
            "add",
            "tunnel",
            "--client-id",
            "cid-t",
            "--callback-url",
            custom,
        ],
    )
    .ok()
    .says(&[custom]);
    assert!(!out.all().contains(SECRET));
    let ic = iclient(&env, "tunnel");
    assert_eq!(ic["callback_url"], custom);
    let id = ic["id"].as_str().unwrap();
    assert_eq!(secrets(&env)[&format!("iclient/{id}")], SECRET);

    // redirect_uri must match byte for byte: no trailing '/' may be added.
    bc(
        &env,
        &[
            "iclient",
            "add",
            "bare",
            "--client-id",
            "cid-b",
            "--callback-url",
            "http://127.0.0.1:8080",
        ],
    )
    .ok();
    assert_eq!(
        iclient(&env, "bare")["callback_url"],
        "http://127.0.0.1:8080"
    );
}

#[test]
fn iclient_add_refuses_a_bad_callback_url_and_saves_nothing() {
    let env = Env::new();
    for bad in [
        "not a url",
        "/auth",
        "ftp://example.com/auth",
        "http://localhost:8765/auth#done",
    ] {
        bc_in(
            &env,
            &[
                "iclient",
                "add",
                "app",
                "--client-id",
                "cid",
                "--callback-url",
                bad,
                "--client-secret-stdin",
            ],
            SECRET,
        )
        .refused(2)
        .says(&[&format!("{bad:?}"), "callback URL", DEFAULT_CALLBACK]);
    }
    assert!(!env.record_path().exists(), "no record may be written");
    assert!(secrets(&env).is_empty(), "no secret may be written");
}

#[test]
fn iclient_add_without_a_secret_and_no_terminal_names_both_ways_to_give_one() {
    let env = Env::new();
    bc(&env, &["iclient", "add", "app", "--client-id", "cid"])
        .refused(2)
        .snapshot("iclient_add_without_a_secret_and_no_terminal_names_both_ways_to_give_one_1");
    // An empty stdin is no secret either.
    bc_in(
        &env,
        &[
            "iclient",
            "add",
            "app",
            "--client-id",
            "cid",
            "--client-secret-stdin",
        ],
        "\n",
    )
    .refused(2)
    .snapshot("iclient_add_without_a_secret_and_no_terminal_names_both_ways_to_give_one_2");
    assert!(!env.record_path().exists());
    assert!(secrets(&env).is_empty());
    assert!(env.list().is_empty());
}

#[test]
fn iclient_add_refuses_a_name_taken_in_another_case() {
    let env = Env::new();
    add_iclient(&env, "Acme-App", "cid-1", SECRET);
    let records = env.record_bytes();
    let secrets_before = env.secrets_text();
    bc_in(
        &env,
        &[
            "iclient",
            "add",
            "acme-app",
            "--client-id",
            "cid-2",
            "--client-secret-stdin",
        ],
        "another-secret",
    )
    .refused(2)
    .snapshot("iclient_add_refuses_a_name_taken_in_another_case_1");
    assert_eq!(env.record_bytes(), records);
    assert_eq!(env.secrets_text(), secrets_before);
}

#[test]
fn iclient_add_checks_the_name_and_client_id_before_storing_the_secret() {
    let env = Env::new();
    let long = "i".repeat(65);
    for (name, client_id, why) in [
        ("", "cid", "the iClient name is empty"),
        (long.as_str(), "cid", "65 characters"),
        ("tab\tname", "cid", "control character"),
        ("app", "has space", "not a client id"),
    ] {
        let out = bc_in(
            &env,
            &[
                "iclient",
                "add",
                name,
                "--client-id",
                client_id,
                "--client-secret-stdin",
            ],
            SECRET,
        )
        .refused(2)
        .says(&[why]);
        if why != "not a client id" {
            assert!(
                out.stderr.contains("hint: an iClient name is 1 to 64"),
                "{}",
                out.show()
            );
        }
    }
    assert!(!env.record_path().exists());
    assert!(secrets(&env).is_empty(), "a refused add stored a secret");
    // Without a terminal a missing client id is named, not asked for.
    bc_in(
        &env,
        &["iclient", "add", "app", "--client-secret-stdin"],
        SECRET,
    )
    .refused(2)
    .snapshot("iclient_add_checks_the_name_and_client_id_before_storing_the_secret_1");
}

// --------------------------------------------------------------- iclient edit

#[test]
fn iclient_edit_changes_client_id_callback_url_and_name_keeping_the_id() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    let before = iclient(&env, "app");
    bc(
        &env,
        &[
            "iclient",
            "edit",
            "APP",
            "--client-id",
            "clientid-new",
            "--callback-url",
            "http://127.0.0.1:9100/cb",
            "--rename",
            "main-app",
        ],
    )
    .ok()
    .says(&["\"main-app\"", "http://127.0.0.1:9100/cb"]);
    let after = iclient(&env, "main-app");
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["client_id"], "clientid-new");
    assert_eq!(after["callback_url"], "http://127.0.0.1:9100/cb");
    assert_eq!(after["connections"], serde_json::json!(["shop"]));
    // The connection follows the iClient by id, so it shows the new name.
    assert_eq!(conn(&env, "shop")["iclient"], "main-app");
    bc(&env, &["iclient", "show", "app"])
        .refused(2)
        .snapshot("iclient_edit_changes_client_id_callback_url_and_name_keeping_the_id_1");
    // The secret is keyed by id: a rename leaves it where it was.
    let id = after["id"].as_str().unwrap();
    assert_eq!(secrets(&env)[&format!("iclient/{id}")], SECRET);
}

#[test]
fn iclient_edit_with_a_new_secret_on_stdin_replaces_the_old_one() {
    let env = with_app();
    let new_secret = "cs-NEW-9fT3mQ2wZx";
    let out = bc_in(
        &env,
        &["iclient", "edit", "app", "--client-secret-stdin"],
        &format!("{new_secret}\n"),
    )
    .ok();
    let id = iclient(&env, "app")["id"].as_str().unwrap().to_string();
    let stored = secrets(&env);
    assert_eq!(stored[&format!("iclient/{id}")], new_secret);
    assert_eq!(stored.len(), 1);
    let text = env.secrets_text();
    assert!(!text.contains(SECRET), "the old secret is still stored");
    let records = String::from_utf8(env.record_bytes()).unwrap();
    for s in [SECRET, new_secret] {
        assert!(!records.contains(s));
        assert!(!out.all().contains(s));
    }
}

#[test]
fn iclient_edit_refusals_change_nothing() {
    let env = with_app();
    add_iclient(&env, "Other", "cid-o", "other-secret");
    let records = env.record_bytes();
    let stored = env.secrets_text();
    bc(&env, &["iclient", "edit", "app"])
        .refused(2)
        .snapshot("iclient_edit_refusals_change_nothing_1");
    bc(&env, &["iclient", "edit", "app", "--rename", "other"])
        .refused(2)
        .snapshot("iclient_edit_refusals_change_nothing_2");
    bc(&env, &["iclient", "edit", "app", "--callback-url", "nope"])
        .refused(2)
        .snapshot("iclient_edit_refusals_change_nothing_3");
    bc(&env, &["iclient", "edit", "app", "--secret"])
        .refused(2)
        .snapshot("iclient_edit_refusals_change_nothing_4");
    bc(&env, &["iclient", "edit", "nope", "--client-id", "x"])
        .refused(2)
        .snapshot("iclient_edit_refusals_change_nothing_5");
    assert_eq!(env.record_bytes(), records);
    assert_eq!(env.secrets_text(), stored);
}

// ---------------------------------------------------------- iclient list/show

#[test]
fn iclient_list_shows_the_connections_using_each() {
    let env = Env::new();
    bc(&env, &["iclient", "list"])
        .ok()
        .says(&["No iClients yet"]);
    assert_eq!(
        bc(&env, &["iclient", "list", "--json"]).ok().json(),
        serde_json::json!([])
    );
    add_iclient(&env, "app", "cid-a", SECRET);
    add_iclient(&env, "spare", "cid-s", "spare-secret");
    add_iclient(&env, "other", "cid-o", "other-secret");
    create(&env, "a", &[]).ok();
    create(&env, "b", &[]).ok();
    create(&env, "c", &["--iclient", "other"]).ok();

    let list = bc(&env, &["iclient", "list", "--json"]).ok().json();
    let by_name = |n: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == n)
            .unwrap_or_else(|| panic!("{n} missing from {list}"))
            .clone()
    };
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(strings(&by_name("app")["connections"]), ["a", "b"]);
    assert_eq!(strings(&by_name("other")["connections"]), ["c"]);
    assert!(strings(&by_name("spare")["connections"]).is_empty());
    assert_eq!(by_name("other")["client_id"], "cid-o");
    assert!(!list.to_string().contains(SECRET));

    let table = bc(&env, &["iclient", "ls"]).ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{}", table.show());
    assert!(lines[0].contains("CONNECTIONS"));
    let app_row = lines.iter().find(|l| l.starts_with("app ")).unwrap();
    assert!(
        app_row.contains("cid-a") && app_row.contains("a, b"),
        "{app_row}"
    );
}

#[test]
fn iclient_show_masks_the_secret() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    let json = bc(&env, &["iclient", "show", "app", "--json"]).ok();
    let v = json.json();
    assert_eq!(v["name"], "app");
    assert_eq!(v["client_id"], "clientid-app");
    assert_eq!(strings(&v["connections"]), ["shop"]);
    assert!(v["secret"].as_str().unwrap().starts_with("********"), "{v}");
    let table = bc(&env, &["iclient", "show", "app"]).ok();
    let secret_line = table
        .stdout
        .lines()
        .find(|l| l.starts_with("client secret"))
        .unwrap_or_else(|| panic!("{}", table.show()));
    assert!(secret_line.contains("********"), "{secret_line}");
    for out in [&json, &table] {
        assert!(!out.all().contains(SECRET), "{}", out.show());
    }
    // show really looks: with the secret gone it says so.
    std::fs::remove_file(env.home().join("secrets.json")).unwrap();
    let v = bc(&env, &["iclient", "show", "app", "--json"]).ok().json();
    assert!(v["secret"].as_str().unwrap().contains("missing"), "{v}");
}

// ------------------------------------------------------------- iclient remove

#[test]
fn iclient_remove_is_refused_while_used_and_then_takes_the_secret_along() {
    let env = with_app();
    add_iclient(&env, "keep", "cid-k", "keep-secret");
    create(&env, "shop-a", &[]).ok();
    create(&env, "shop-b", &[]).ok();
    let id = iclient(&env, "app")["id"].as_str().unwrap().to_string();
    let records = env.record_bytes();
    let stored = env.secrets_text();
    bc(&env, &["iclient", "remove", "app", "--yes"])
        .refused(2)
        .snapshot("iclient_remove_is_refused_while_used_and_then_takes_the_secret_along_1");
    assert_eq!(env.record_bytes(), records);
    assert_eq!(env.secrets_text(), stored);

    bc(&env, &["delete", "shop-a", "--yes"]).ok();
    bc(&env, &["delete", "shop-b", "--yes"]).ok();
    bc(&env, &["iclient", "rm", "APP", "--yes"])
        .ok()
        .says(&["Removed iClient \"app\""]);
    let list = bc(&env, &["iclient", "list", "--json"]).ok().json();
    let left: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["keep"]);
    let stored = secrets(&env);
    assert!(!stored.contains_key(&format!("iclient/{id}")), "{stored:?}");
    assert!(!env.secrets_text().contains(SECRET));
    assert_eq!(stored.len(), 1, "the other iClient's secret stays");

    bc(&env, &["iclient", "remove", "app", "--yes"])
        .refused(2)
        .snapshot("iclient_remove_is_refused_while_used_and_then_takes_the_secret_along_2");
}

// --------------------------------------------------------------- callback-url

#[test]
fn callback_url_prints_the_default_url_without_iclients() {
    let env = Env::new();
    let out = bc(&env, &["callback-url"]).ok();
    assert_eq!(out.stdout, format!("{DEFAULT_CALLBACK}\n"));
    assert!(
        out.stderr
            .contains("Paste this URL into the Auth, Load and Uninstall callback fields"),
        "{}",
        out.show()
    );
}

#[test]
fn callback_url_prints_the_named_iclients_url() {
    let env = Env::new();
    bc_in(
        &env,
        &[
            "iclient",
            "add",
            "one",
            "--client-id",
            "c1",
            "--callback-url",
            "http://127.0.0.1:9001/auth",
            "--client-secret-stdin",
        ],
        "s1",
    )
    .ok();
    // The only iClient's URL is the default answer.
    assert_eq!(
        bc(&env, &["callback-url"]).ok().stdout,
        "http://127.0.0.1:9001/auth\n"
    );
    bc_in(
        &env,
        &[
            "iclient",
            "add",
            "two",
            "--client-id",
            "c2",
            "--callback-url",
            "https://tunnel.example.com/cb",
            "--client-secret-stdin",
        ],
        "s2",
    )
    .ok();
    let out = bc(&env, &["callback-url", "--iclient", "TWO"])
        .ok()
        .says(&["Auth, Load and Uninstall"]);
    assert_eq!(out.stdout, "https://tunnel.example.com/cb\n");
    // Two different URLs: which one is meant must be said.
    bc(&env, &["callback-url"])
        .refused(2)
        .snapshot("callback_url_prints_the_named_iclients_url_1");
    bc(&env, &["callback-url", "--iclient", "three"])
        .refused(2)
        .snapshot("callback_url_prints_the_named_iclients_url_2");
}

// -------------------------------------------------------------------- create

#[test]
fn create_without_a_terminal_names_the_missing_flags_and_saves_nothing() {
    let env = with_app();
    let records = env.record_bytes();
    bc(&env, &["create", "--no-authorize"])
        .refused(2)
        .snapshot("create_without_a_terminal_names_the_missing_flags_and_saves_nothing_1");
    bc(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            "abc123",
            "--iclient",
            "app",
        ],
    )
    .refused(2)
    .snapshot("create_without_a_terminal_names_the_missing_flags_and_saves_nothing_2");
    let out = bc(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
        ],
    )
    .refused(2)
    .snapshot("create_without_a_terminal_names_the_missing_flags_and_saves_nothing_3");
    assert!(
        !out.stderr.contains("NAME,"),
        "the name was given\n{}",
        out.show()
    );
    create(&env, "shop", &["--iclient", "ap"])
        .refused(2)
        .snapshot("create_without_a_terminal_names_the_missing_flags_and_saves_nothing_4");
    create(&env, "shop", &["--scopes", " , "])
        .refused(2)
        .snapshot("create_without_a_terminal_names_the_missing_flags_and_saves_nothing_5");
    assert_eq!(env.record_bytes(), records);
}

// --------------------------------------------------------- create: store hash

#[test]
fn create_no_authorize_accepts_every_store_hash_form() {
    let env = with_app();
    let forms = [
        "abc123",
        "ABC123",
        "https://api.bigcommerce.com/stores/abc123/v3/",
        "stores/abc123",
        "https://store-abc123.mybigcommerce.com/manage",
        "https://store-abc123-1.mybigcommerce.com",
        "https://cdn11.bigcommerce.com/s-abc123/product_images/x.jpg",
    ];
    for (i, form) in forms.iter().enumerate() {
        let name = format!("form-{i}");
        create(&env, &name, &["--store-hash", form]).ok().says(&[
            &format!("\"{name}\""),
            "abc123",
            "pending",
        ]);
    }
    let list = env.list();
    assert_eq!(list.len(), forms.len());
    for c in &list {
        assert_eq!(c["store_hash"], "abc123", "{c}");
        assert_eq!(c["state"], "pending", "{c}");
        assert_eq!(c["auth_type"], "oauth2", "{c}");
    }
}

#[test]
fn create_refuses_what_holds_no_store_hash_and_says_where_to_find_it() {
    let env = with_app();
    create(&env, "keep", &[]).ok();
    let records = env.record_bytes();
    for (bad, why) in [
        ("kittens.mybigcommerce.com", "vanity"),
        ("https://www.example.com", "not a BigCommerce address"),
        ("abc-123", "'-'"),
        ("", "no store hash given"),
        ("abcdefghij1234567", "at most 16"),
    ] {
        create(&env, "new", &["--store-hash", bad])
            .refused(2)
            .says(&[why, WHERE_HASH, "--store-hash"]);
        assert_eq!(env.record_bytes(), records, "{bad:?} changed the file");
    }
    assert_eq!(names(&env.list()), ["keep"]);
}

// ------------------------------------------------------------- create: scopes

#[test]
fn an_unknown_scope_is_refused_with_the_nearest_suggestion() {
    let env = with_app();
    let records = env.record_bytes();
    create(
        &env,
        "shop",
        &["--scopes", "store_v2_orders,store_v2_product"],
    )
    .refused(2)
    .snapshot("an_unknown_scope_is_refused_with_the_nearest_suggestion_1");
    assert_eq!(env.record_bytes(), records);
    // And in edit.
    create(&env, "shop", &[]).ok();
    let records = env.record_bytes();
    bc(&env, &["edit", "shop", "--scopes", "store_v2_custmers"])
        .refused(2)
        .snapshot("an_unknown_scope_is_refused_with_the_nearest_suggestion_2");
    assert_eq!(env.record_bytes(), records);
}

#[test]
fn all_scopes_saves_every_store_scope() {
    let env = with_app();
    create(&env, "all", &["--all-scopes"]).ok();
    let saved: BTreeSet<String> = strings(&conn(&env, "all")["scopes"]).into_iter().collect();
    let catalog = bc(&env, &["scopes", "--json"]).ok().json();
    let catalog = catalog.as_array().unwrap();
    // The modify scope whose grant includes a read-only one.
    let modify_twin = |name: &str| {
        catalog
            .iter()
            .find(|s| s["read_only_twin"] == name)
            .map(|s| s["name"].as_str().unwrap().to_string())
    };
    let mut checked = 0;
    for s in catalog {
        let name = s["name"].as_str().unwrap();
        match s["group"].as_str().unwrap() {
            "store" | "token_creation" => {
                checked += 1;
                let covered =
                    saved.contains(name) || modify_twin(name).is_some_and(|m| saved.contains(&m));
                assert!(covered, "--all-scopes misses {name}: {saved:?}");
            }
            _ => assert!(
                !saved.contains(name),
                "--all-scopes must not ask for {name}"
            ),
        }
    }
    assert!(checked > 40, "the catalog looks too small: {checked}");
    // Normalized: no read-only scope next to its modify twin.
    for name in &saved {
        if let Some(m) = modify_twin(name) {
            assert!(!saved.contains(&m), "{name} kept next to {m}");
        }
    }
    assert!(saved.contains("store_v2_products"));
    assert!(!saved.contains("store_v2_products_read_only"));
}

#[test]
fn a_scope_and_its_read_only_twin_keep_only_the_modify_one() {
    let env = with_app();
    create(
        &env,
        "shop",
        &[
            "--scopes",
            "store_v2_products_read_only, store_v2_products,store_v2_orders_read_only",
        ],
    )
    .ok();
    assert_eq!(
        strings(&conn(&env, "shop")["scopes"]),
        ["store_v2_orders_read_only", "store_v2_products"]
    );
}

#[test]
fn scopes_prints_the_catalog_as_a_table_and_as_json() {
    let env = Env::new();
    let json = bc(&env, &["scopes", "--json"]).ok().json();
    let list = json.as_array().expect("an array");
    let products = list
        .iter()
        .find(|s| s["name"] == "store_v2_products")
        .expect("store_v2_products is listed");
    assert_eq!(products["label"], "Products");
    assert_eq!(products["level"], "modify");
    assert_eq!(products["group"], "store");
    assert_eq!(products["read_only_twin"], "store_v2_products_read_only");
    assert!(list.iter().any(|s| s["name"] == "store_v2_default"));

    let table = bc(&env, &["scopes"]).ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("SCOPE"), "{}", table.show());
    assert_eq!(lines.len(), list.len() + 1, "one row per scope");
    let row = lines
        .iter()
        .find(|l| l.starts_with("store_v2_products "))
        .unwrap();
    assert!(row.contains("Products — modify"), "{row}");
}

// -------------------------------------------------------- create: concurrency

#[test]
fn concurrency_must_be_between_1_and_25() {
    let env = with_app();
    let records = env.record_bytes();
    for bad in ["0", "26"] {
        create(&env, "c", &["--concurrency", bad])
            .refused(2)
            .says(&["--concurrency", "1 to 25"]);
        assert_eq!(env.record_bytes(), records);
    }
    create(&env, "c", &["--concurrency", "25"]).ok();
    let c = conn(&env, "c");
    assert_eq!(c["concurrency"], 25);
    assert_eq!(c["effective_concurrency"], 25);
    let records = env.record_bytes();
    bc(&env, &["edit", "c", "--concurrency", "26"])
        .refused(2)
        .snapshot("concurrency_must_be_between_1_and_25_1");
    assert_eq!(env.record_bytes(), records);
}

#[test]
fn borrowing_from_itself_an_unknown_connection_or_in_a_cycle_is_refused() {
    let env = with_app();
    create(&env, "a", &[]).ok();
    create(&env, "b", &["--borrow-concurrency-from", "a"]).ok();
    let records = env.record_bytes();

    bc(&env, &["edit", "a", "--borrow-concurrency-from", "A"])
        .refused(2)
        .snapshot("borrowing_from_itself_an_unknown_connection_or_in_a_cycle_is_refused_1");
    create(&env, "self", &["--borrow-concurrency-from", "SELF"])
        .refused(2)
        .snapshot("borrowing_from_itself_an_unknown_connection_or_in_a_cycle_is_refused_2");
    create(&env, "c", &["--borrow-concurrency-from", "nobody"])
        .refused(2)
        .snapshot("borrowing_from_itself_an_unknown_connection_or_in_a_cycle_is_refused_3");
    bc(&env, &["edit", "a", "--borrow-concurrency-from", "b"])
        .refused(2)
        .snapshot("borrowing_from_itself_an_unknown_connection_or_in_a_cycle_is_refused_4");
    assert_eq!(env.record_bytes(), records);
    assert_eq!(conn(&env, "a")["borrow_concurrency_from"], Value::Null);
    assert_eq!(names(&env.list()), ["a", "b"]);
}

#[test]
fn effective_concurrency_follows_the_borrowing_chain() {
    let env = with_app();
    create(&env, "a", &["--concurrency", "9"]).ok();
    create(
        &env,
        "b",
        &["--concurrency", "2", "--borrow-concurrency-from", "a"],
    )
    .ok();
    create(
        &env,
        "c",
        &["--concurrency", "3", "--borrow-concurrency-from", "B"],
    )
    .ok();
    let c = conn(&env, "c");
    assert_eq!(c["concurrency"], 3);
    assert_eq!(c["borrow_concurrency_from"], "b");
    assert_eq!(c["effective_concurrency"], 9);
    assert_eq!(conn(&env, "b")["effective_concurrency"], 9);

    bc(&env, &["edit", "a", "--concurrency", "12"]).ok();
    assert_eq!(conn(&env, "c")["effective_concurrency"], 12);

    // The lender is kept by id: renaming it changes nothing but the name.
    bc(&env, &["rename", "b", "middle"]).ok();
    let c = conn(&env, "c");
    assert_eq!(c["borrow_concurrency_from"], "middle");
    assert_eq!(c["effective_concurrency"], 12);

    bc(&env, &["edit", "middle", "--no-borrow"]).ok();
    let b = conn(&env, "middle");
    assert_eq!(b["borrow_concurrency_from"], Value::Null);
    assert_eq!(b["effective_concurrency"], 2);
    assert_eq!(conn(&env, "c")["effective_concurrency"], 2);
    // --no-borrow and --borrow-concurrency-from contradict each other.
    bc(
        &env,
        &["edit", "c", "--no-borrow", "--borrow-concurrency-from", "a"],
    )
    .refused(2);
}

#[test]
fn borrowing_from_a_connection_for_another_store_warns() {
    let env = with_app();
    create(&env, "lender", &["--store-hash", "zzz999"]).ok();
    create(
        &env,
        "same",
        &[
            "--borrow-concurrency-from",
            "lender",
            "--store-hash",
            "zzz999",
        ],
    )
    .ok()
    .says(&["Saved connection \"same\""]);
    let out = create(&env, "other", &["--borrow-concurrency-from", "lender"]).ok();
    let warning = out
        .stderr
        .lines()
        .find(|l| l.starts_with("warning:"))
        .unwrap_or_else(|| panic!("no warning\n{}", out.show()));
    assert!(
        warning.contains("zzz999") && warning.contains("abc123") && warning.contains("\"lender\""),
        "{warning}"
    );
    assert_eq!(conn(&env, "other")["borrow_concurrency_from"], "lender");
    // The same store is no reason to warn.
    let out = bc(&env, &["edit", "same", "--no-borrow"]).ok();
    assert!(!out.stderr.contains("warning"), "{}", out.show());
    let out = bc(
        &env,
        &["edit", "same", "--borrow-concurrency-from", "lender"],
    )
    .ok();
    assert!(!out.stderr.contains("warning"), "{}", out.show());
    bc(
        &env,
        &["edit", "lender", "--borrow-concurrency-from", "nobody"],
    )
    .refused(2);
}

#[test]
fn deleting_a_lender_is_refused_naming_its_borrowers() {
    let env = with_app();
    create(&env, "pool", &[]).ok();
    create(&env, "user-1", &["--borrow-concurrency-from", "pool"]).ok();
    create(&env, "user-2", &["--borrow-concurrency-from", "pool"]).ok();
    let records = env.record_bytes();
    bc(&env, &["delete", "pool", "--yes"])
        .refused(2)
        .snapshot("deleting_a_lender_is_refused_naming_its_borrowers_1");
    assert_eq!(env.record_bytes(), records);
    bc(&env, &["edit", "user-1", "--no-borrow"]).ok();
    bc(&env, &["delete", "pool", "--yes"])
        .refused(2)
        .snapshot("deleting_a_lender_is_refused_naming_its_borrowers_2");
    bc(&env, &["edit", "user-2", "--no-borrow"]).ok();
    bc(&env, &["delete", "pool", "--yes"]).ok();
    assert_eq!(names(&env.list()), ["user-1", "user-2"]);
}

// --------------------------------------------------------------------- names

#[test]
fn a_connection_name_taken_in_another_case_is_refused() {
    let env = with_app();
    create(&env, "Acme-Prod", &[]).ok();
    let records = env.record_bytes();
    create(&env, "acme-PROD", &["--store-hash", "def456"])
        .refused(2)
        .snapshot("a_connection_name_taken_in_another_case_is_refused_1");
    assert_eq!(env.record_bytes(), records);
}

#[test]
fn connection_names_are_checked() {
    let env = with_app();
    let records = env.record_bytes();
    let long = "x".repeat(65);
    for (bad, why) in [
        ("", "empty"),
        ("   ", "empty"),
        (long.as_str(), "65 characters"),
        ("bell\u{7}name", "control character"),
        ("tab\tname", "control character"),
        (" padded", "space"),
    ] {
        create(&env, bad, &[]).refused(2).says(&[why, "1 to 64"]);
        assert_eq!(env.record_bytes(), records, "{bad:?}");
    }
    let max = "n".repeat(64);
    create(&env, &max, &[]).ok();
    // The limit counts characters, not bytes.
    let wide = "é".repeat(64);
    create(&env, &wide, &[]).ok();
    assert_eq!(names(&env.list()), [max, wide]);
    // rename checks the new name the same way.
    bc(&env, &["rename", &"n".repeat(64), &long])
        .refused(2)
        .snapshot("connection_names_are_checked_1");
}

// ----------------------------------------------------------------- list/show

#[test]
fn list_says_there_is_nothing_yet() {
    let env = Env::new();
    let out = bc(&env, &["list"])
        .ok()
        .says(&["No connections yet", "bcconn create"]);
    assert!(out.stdout.is_empty(), "{}", out.show());
    assert_eq!(bc(&env, &["list", "--json"]).ok().stdout, "[]\n");
    assert!(!env.record_path().exists(), "list writes nothing");
}

#[test]
fn list_prints_a_table_and_json_with_every_field() {
    let env = with_app();
    create(&env, "lender", &["--concurrency", "4"]).ok();
    create(
        &env,
        "shop",
        &[
            "--store-hash",
            "def456",
            "--scopes",
            "store_v2_orders,store_v2_products",
            "--concurrency",
            "2",
            "--borrow-concurrency-from",
            "lender",
        ],
    )
    .ok();
    let list = env.list();
    assert_eq!(names(&list), ["lender", "shop"]);
    let shop = &list[1];
    assert_eq!(shop["name"], "shop");
    let id = shop["id"].as_str().unwrap();
    assert_eq!(id.len(), 16);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    assert_ne!(shop["id"], list[0]["id"]);
    assert_eq!(shop["auth_type"], "oauth2");
    assert_eq!(shop["store_hash"], "def456");
    assert_eq!(shop["state"], "pending");
    assert_eq!(
        strings(&shop["scopes"]),
        ["store_v2_orders", "store_v2_products"]
    );
    assert_eq!(shop["iclient"], "app");
    assert_eq!(shop["concurrency"], 2);
    assert_eq!(shop["borrow_concurrency_from"], "lender");
    assert_eq!(shop["effective_concurrency"], 4);
    assert_eq!(list[0]["borrow_concurrency_from"], Value::Null);
    // Pending: nothing about a token yet; the keys are there all the same,
    // so scripts see the same keys for every entry.
    for absent in ["granted_scopes", "token_store", "authorized_at", "user"] {
        assert!(shop[absent].is_null(), "{absent} in {shop}");
    }
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    for entry in &list {
        assert_eq!(keys(entry), keys(shop));
    }
    assert_eq!(shop["api_url"], "http://127.0.0.1:9/stores/def456");

    let table = bc(&env, &["list"]).ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", table.show());
    for col in ["NAME", "STORE", "STATE", "ICLIENT", "SCOPES", "CONCURRENCY"] {
        assert!(lines[0].contains(col), "{}", lines[0]);
    }
    let row: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        row,
        [
            "shop",
            "def456",
            "oauth2",
            "pending",
            "app",
            "store_v2_orders",
            "+1",
            "4",
            "(from",
            "lender)"
        ]
    );
    // `ls` is the same command.
    assert_eq!(bc(&env, &["ls"]).ok().stdout, table.stdout);
}

#[test]
fn show_prints_one_connection_as_a_table_and_as_json() {
    let env = with_app();
    create(&env, "shop", &["--concurrency", "5"]).ok();
    let listed = conn(&env, "shop");
    let json = bc(&env, &["show", "SHOP", "--json"]).ok().json();
    assert_eq!(json, listed, "show --json is the list entry");

    let table = bc(&env, &["show", "shop"]).ok();
    let field = |key: &str| {
        table
            .stdout
            .lines()
            .find(|l| l.starts_with(key))
            .map(|l| l[key.len()..].trim().to_string())
            .unwrap_or_else(|| panic!("no {key:?} line\n{}", table.show()))
    };
    assert_eq!(field("name"), "shop");
    assert_eq!(field("id"), listed["id"].as_str().unwrap());
    assert_eq!(field("store hash"), "abc123");
    assert_eq!(field("state"), "pending");
    assert_eq!(field("scopes"), "store_v2_orders");
    assert_eq!(field("iclient"), "app");
    assert_eq!(field("concurrency"), "5");
    assert!(!table.stdout.contains("token"), "{}", table.show());

    bc(&env, &["show", "shap"])
        .refused(2)
        .snapshot("show_prints_one_connection_as_a_table_and_as_json_1");
}

// ------------------------------------------------------------- edit & rename

#[test]
fn edit_changes_scopes_iclient_and_concurrency() {
    let env = with_app();
    add_iclient(&env, "second", "cid-2", "second-secret");
    create(&env, "shop", &[]).ok();
    let before = conn(&env, "shop");
    bc(
        &env,
        &[
            "edit",
            "Shop",
            "--scopes",
            "store_v2_products_read_only,store_v2_content",
            "--iclient",
            "SECOND",
            "--concurrency",
            "7",
        ],
    )
    .ok()
    .says(&["Updated connection \"shop\""]);
    let after = conn(&env, "shop");
    assert_eq!(
        strings(&after["scopes"]),
        ["store_v2_content", "store_v2_products_read_only"]
    );
    assert_eq!(after["iclient"], "second");
    assert_eq!(after["concurrency"], 7);
    assert_eq!(after["effective_concurrency"], 7);
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["store_hash"], "abc123");
    assert_eq!(after["state"], "pending");

    bc(&env, &["edit", "shop", "--all-scopes"]).ok();
    assert!(strings(&conn(&env, "shop")["scopes"]).len() > 20);
}

#[test]
fn edit_refusals_change_nothing() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    let records = env.record_bytes();
    bc(&env, &["edit", "shop"])
        .refused(2)
        .snapshot("edit_refusals_change_nothing_1");
    // A token belongs to its store: edit does not even offer --store-hash.
    bc(&env, &["edit", "shop", "--store-hash", "def456"])
        .refused(2)
        .snapshot("edit_refusals_change_nothing_2");
    bc(&env, &["edit", "shop", "--iclient", "nope"])
        .refused(2)
        .snapshot("edit_refusals_change_nothing_3");
    bc(&env, &["edit", "nope", "--concurrency", "3"])
        .refused(2)
        .snapshot("edit_refusals_change_nothing_4");
    bc(
        &env,
        &[
            "edit",
            "shop",
            "--scopes",
            "store_v2_orders",
            "--all-scopes",
        ],
    )
    .refused(2)
    .snapshot("edit_refusals_change_nothing_5");
    assert_eq!(env.record_bytes(), records);
}

#[test]
fn rename_keeps_the_id_and_refuses_a_taken_name() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    create(&env, "Other", &[]).ok();
    let id = conn(&env, "shop")["id"].clone();
    let records = env.record_bytes();
    bc(&env, &["rename", "shop", "OTHER"])
        .refused(2)
        .snapshot("rename_keeps_the_id_and_refuses_a_taken_name_1");
    bc(&env, &["rename", "nope", "x"])
        .refused(2)
        .snapshot("rename_keeps_the_id_and_refuses_a_taken_name_2");
    assert_eq!(env.record_bytes(), records);

    // A case-only rename of itself is allowed.
    bc(&env, &["rename", "shop", "Shop"])
        .ok()
        .says(&["\"shop\"", "\"Shop\""]);
    assert_eq!(conn(&env, "Shop")["id"], id);
    bc(&env, &["rename", "Shop", "acme-prod"]).ok();
    let list = env.list();
    assert_eq!(names(&list), ["acme-prod", "Other"]);
    assert_eq!(list[0]["id"], id);
}

// -------------------------------------------------------------------- delete

#[test]
fn delete_of_a_connection_that_never_had_a_token_says_nothing_of_revoking() {
    let env = with_app();
    create(&env, "shop", &["--store-hash", "def456"]).ok();
    create(&env, "keep", &[]).ok();
    let out = bc(&env, &["delete", "SHOP", "--yes"])
        .ok()
        .says(&["Deleted connection \"shop\""]);
    // (A connection with a token is told where to revoke it: flow.rs.)
    for never in ["revoke", "still works", "uninstall"] {
        assert!(!out.stderr.contains(never), "{never}: {}", out.show());
    }
    assert!(out.stdout.is_empty());
    assert_eq!(names(&env.list()), ["keep"]);
    // The alias.
    bc(&env, &["rm", "keep", "-y"]).ok();
    assert!(env.list().is_empty());
}

#[test]
fn delete_of_an_unknown_name_suggests_the_close_one() {
    let env = with_app();
    create(&env, "acme-prod", &[]).ok();
    let records = env.record_bytes();
    bc(&env, &["delete", "acme-prd", "--yes"])
        .refused(2)
        .snapshot("delete_of_an_unknown_name_suggests_the_close_one_1");
    let far = bc(&env, &["delete", "zzzz", "--yes"]).refused(2);
    assert!(!far.stderr.contains("did you mean"), "{}", far.show());
    assert_eq!(env.record_bytes(), records);
}

// ------------------------------------------------------- record file refusals

/// Which file holds the bad bytes: the database, or the record file of
/// versions before it (imported by the first command that runs).
#[derive(Clone, Copy, PartialEq)]
enum Bad {
    Database,
    OldFile,
}

fn refuses_the_record_file(bad: Bad, content: &[u8], why: &str) {
    let env = match bad {
        Bad::Database => with_app(),
        Bad::OldFile => Env::new(),
    };
    let path = match bad {
        Bad::Database => env.record_path(),
        Bad::OldFile => {
            std::fs::create_dir_all(env.home()).unwrap();
            env.old_record_path()
        }
    };
    std::fs::write(&path, content).unwrap();
    let secrets_before = env.secrets_text();
    let shown = path.display().to_string();
    let runs = [
        bc(&env, &["list"]),
        bc(&env, &["list", "--json"]),
        create(&env, "shop", &[]),
        bc_in(
            &env,
            &[
                "iclient",
                "add",
                "new",
                "--client-id",
                "cid",
                "--client-secret-stdin",
            ],
            "new-secret",
        ),
        bc(&env, &["rename", "a", "b"]),
        bc(&env, &["delete", "a", "--yes"]),
    ];
    for out in runs {
        let out = out.refused(1).says(&[shown.as_str(), why]);
        assert!(out.stderr.contains("hint: "), "{}", out.show());
        assert_eq!(std::fs::read(&path).unwrap(), content, "the file changed");
    }
    assert_eq!(env.secrets_text(), secrets_before, "a secret was written");
    if bad == Bad::OldFile {
        assert!(!env.record_path().exists(), "no database was made from it");
    }
}

#[test]
fn a_corrupt_record_file_is_refused_and_left_alone() {
    refuses_the_record_file(Bad::OldFile, b"{not json", "not valid JSON");
}

#[test]
fn a_record_file_from_a_newer_bcconn_is_refused_and_left_alone() {
    refuses_the_record_file(
        Bad::OldFile,
        br#"{"version": 99, "iclients": [], "connections": [{"future": true}]}"#,
        "newer bcconn",
    );
}

#[test]
fn a_corrupt_database_is_refused_and_left_alone() {
    refuses_the_record_file(
        Bad::Database,
        &b"not a database, just text where one should be\n".repeat(200),
        "not a bcconn database",
    );
}

// ------------------------------------------------------------------- secrets

#[test]
fn the_client_secret_is_never_in_the_record_file_or_any_output() {
    let mut env = Env::new();
    let mut outs = vec![
        add_iclient(&env, "app", "cid", SECRET),
        bc(&env, &["-vv", "iclient", "show", "app"]).ok(),
        bc(&env, &["-v", "iclient", "show", "app", "--json"]).ok(),
        bc(&env, &["iclient", "list"]).ok(),
        bc(&env, &["iclient", "list", "--json"]).ok(),
        create(&env, "shop", &["-v"]).ok(),
        bc(&env, &["list"]).ok(),
        bc(&env, &["list", "--json"]).ok(),
        bc(&env, &["show", "shop"]).ok(),
        bc(&env, &["show", "shop", "--json"]).ok(),
        bc(&env, &["callback-url", "--iclient", "app"]).ok(),
        bc(&env, &["iclient", "add", "APP", "--client-id", "c"]).refused(2),
        bc(&env, &["iclient", "remove", "app", "--yes"]).refused(2),
    ];
    env.set("BCCONN_CLIENT_SECRET", SECRET);
    outs.push(
        bc(
            &env,
            &["-vv", "iclient", "add", "env-app", "--client-id", "cid-2"],
        )
        .ok(),
    );
    outs.push(bc(&env, &["-v", "iclient", "edit", "env-app", "--secret"]).ok());
    outs.push(
        bc(
            &env,
            &[
                "iclient",
                "add",
                "bad",
                "--client-id",
                "c",
                "--callback-url",
                "x",
            ],
        )
        .refused(2),
    );
    for out in &outs {
        assert!(
            !out.all().contains(SECRET),
            "the secret leaked\n{}",
            out.show()
        );
    }
    let records = String::from_utf8(env.record_bytes()).unwrap();
    assert!(
        !records.contains(SECRET),
        "the secret is in the record file"
    );
    // It is where it should be: twice in the secrets file, once per iClient.
    assert_eq!(env.secrets_text().matches(SECRET).count(), 2);
}

#[cfg(unix)]
#[test]
fn the_record_file_and_home_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = with_app();
    create(&env, "shop", &[]).ok();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.record_path()), 0o600);
    assert_eq!(mode(&env.home()), 0o700);
    assert_eq!(mode(&env.home().join("secrets.json")), 0o600);
    // Rewriting keeps it private.
    bc(&env, &["rename", "shop", "shop2"]).ok();
    assert_eq!(mode(&env.record_path()), 0o600);
}

// --------------------------------------------------------------- concurrency

#[test]
fn twenty_concurrent_creates_lose_nothing() {
    let env = with_app();
    let children: Vec<std::process::Child> = (0..20)
        .map(|i| {
            let name = format!("c{i}");
            env.std_cmd(&[
                "create",
                &name,
                "--store-hash",
                "abc123",
                "--iclient",
                "app",
                "--scopes",
                "store_v2_orders",
                "--no-authorize",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let file: Value = env.records();
    assert_eq!(file["connections"].as_array().unwrap().len(), 20);
    let list = env.list();
    assert_eq!(list.len(), 20);
    let ids: BTreeSet<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 20, "ids must be distinct");
    let got: BTreeSet<String> = names(&list).into_iter().collect();
    let want: BTreeSet<String> = (0..20).map(|i| format!("c{i}")).collect();
    assert_eq!(got, want);
    // No temporary file was left behind.
    let strays: Vec<String> = std::fs::read_dir(env.home())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

// ---------------------------------------------------------- help and globals

#[test]
fn help_names_the_commands_and_flags() {
    let env = Env::new();
    let top = bc(&env, &["--help"]).ok();
    for word in [
        "create",
        "authorize",
        "list",
        "show",
        "edit",
        "rename",
        "delete",
        "status",
        "token",
        "iclient",
        "scopes",
        "callback-url",
    ] {
        assert!(
            top.stdout.lines().any(|l| l.trim_start().starts_with(word)),
            "--help lacks {word}\n{}",
            top.show()
        );
    }
    let create = bc(&env, &["create", "--help"]).ok();
    for flag in [
        "--store-hash",
        "--scopes",
        "--all-scopes",
        "--iclient",
        "--auth-type",
        "--concurrency",
        "--borrow-concurrency-from",
        "--flow",
        "--no-browser",
        "--timeout",
        "--no-authorize",
        "--yes",
    ] {
        assert!(
            create.stdout.contains(flag),
            "create --help lacks {flag}\n{}",
            create.show()
        );
    }
    let iclient = bc(&env, &["iclient", "add", "--help"]).ok();
    assert!(iclient.stdout.contains("--client-secret-stdin"));
    assert!(iclient.stdout.contains("BCCONN_CLIENT_SECRET"));
}

#[test]
fn a_wrong_flag_is_a_usage_error() {
    let env = Env::new();
    bc(&env, &["list", "--bogus"])
        .refused(2)
        .snapshot("a_wrong_flag_is_a_usage_error_1");
    bc(&env, &["frobnicate"])
        .refused(2)
        .snapshot("a_wrong_flag_is_a_usage_error_2");
    assert_eq!(bc(&env, &[]).code, Some(2), "no command is a usage error");
    assert!(!env.record_path().exists());
}

#[test]
fn only_commands_that_keep_secrets_open_the_secret_store() {
    let mut env = with_app();
    create(&env, "shop", &[]).ok();
    env.set("BCCONN_SECRET_STORE", "bogus");
    assert_eq!(names(&env.list()), ["shop"]);
    bc(&env, &["list"]).ok();
    bc(&env, &["show", "shop", "--json"]).ok();
    bc(&env, &["iclient", "list", "--json"]).ok();
    bc(&env, &["scopes", "--json"]).ok();
    bc(&env, &["callback-url"]).ok();
    bc(&env, &["edit", "shop", "--concurrency", "3"]).ok();
    assert_eq!(conn(&env, "shop")["concurrency"], 3);

    let records = env.record_bytes();
    let stored = env.secrets_text();
    bc_in(
        &env,
        &[
            "iclient",
            "add",
            "new",
            "--client-id",
            "cid",
            "--client-secret-stdin",
        ],
        "new-secret",
    )
    .refused(2)
    .snapshot("only_commands_that_keep_secrets_open_the_secret_store_1");
    assert_eq!(env.record_bytes(), records);
    assert_eq!(env.secrets_text(), stored);
}

// ------------------------------------------------------- refusals a user hit

#[test]
fn destructive_commands_without_a_terminal_need_yes() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    let before = env.record_bytes();
    bc(&env, &["delete", "shop"])
        .refused(2)
        .snapshot("destructive_commands_without_a_terminal_need_yes_1");
    bc(&env, &["iclient", "remove", "app"]).refused(2);
    assert_eq!(env.record_bytes(), before);
    bc(&env, &["delete", "shop", "--yes"]).ok();
    bc(&env, &["iclient", "remove", "app"])
        .refused(2)
        .snapshot("destructive_commands_without_a_terminal_need_yes_2");
    bc(&env, &["iclient", "remove", "app", "--yes"]).ok();
    assert!(env.list().is_empty());
}

#[test]
fn account_level_scopes_are_refused_for_store_connections() {
    let env = with_app();
    let before = env.record_bytes();
    create(&env, "shop", &["--scopes", "store_v2_orders,account_read"])
        .refused(2)
        .snapshot("account_level_scopes_are_refused_for_store_connections_1");
    assert_eq!(env.record_bytes(), before);
}

#[test]
fn no_authorize_is_refused_for_token_connections() {
    let env = Env::new();
    bc_in(
        &env,
        &[
            "create",
            "t",
            "--auth-type",
            "token",
            "--store-hash",
            "abc123",
            "--access-token-stdin",
            "--no-authorize",
        ],
        "sometoken\n",
    )
    .refused(2)
    .snapshot("no_authorize_is_refused_for_token_connections_1");
    assert!(env.list().is_empty());
}

#[test]
fn a_bad_store_hash_reads_like_any_other_bcconn_error() {
    let env = with_app();
    let out = create(&env, "shop", &["--store-hash", "kittens.mybigcommerce.com"])
        .refused(2)
        .snapshot("a_bad_store_hash_reads_like_any_other_bcconn_error_1");
    assert!(
        !out.stderr.contains("For more information"),
        "{}",
        out.show()
    );
}

#[test]
fn timeout_takes_seconds_or_a_time_within_a_day() {
    let env = Env::new();
    // Taken: the run gets as far as looking for the connection.
    for given in ["300", "5m", "90s", "24h"] {
        bc(&env, &["authorize", "nosuch", "--timeout", given])
            .refused(2)
            .says(&["no connection named"]);
    }
    for given in ["0", "25h", "soon", "1ms"] {
        bc(&env, &["authorize", "nosuch", "--timeout", given])
            .refused(2)
            .says(&["--timeout", "between 1s and 24h", "5m"]);
    }
}

#[test]
fn listen_with_a_port_alone_suggests_an_address() {
    let env = Env::new();
    for given in ["8765", "localhost:8765"] {
        bc(&env, &["authorize", "nosuch", "--listen", given])
            .refused(2)
            .says(&["--listen", "127.0.0.1:8765"]);
    }
    bc(&env, &["authorize", "nosuch", "--listen", "8765"])
        .refused(2)
        .snapshot("listen_with_a_port_alone_suggests_an_address_1");
    // An address is taken: the run gets as far as looking for the connection.
    bc(&env, &["authorize", "nosuch", "--listen", "127.0.0.1:8765"])
        .refused(2)
        .says(&["no connection named"]);
}

#[test]
fn exec_without_dashes_shows_the_line_with_them() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    let out = bc(&env, &["exec", "shop", "env", "-0"])
        .refused(2)
        .says(&["run: bcconn exec shop -- env -0"])
        .snapshot("exec_without_dashes_shows_the_line_with_them_1");
    assert!(
        !out.stderr.contains("For more information"),
        "{}",
        out.show()
    );
    bc(&env, &["exec", "shop"])
        .refused(2)
        .says(&["bcconn exec [NAME] -- CMD"])
        .snapshot("exec_without_dashes_shows_the_line_with_them_2");
    // The hint is pasted into a shell: each word is quoted, so it runs the
    // one `sh -c` script given, not its pieces.
    bc(
        &env,
        &["exec", "shop", "sh", "-c", r#"echo $HOME; rm -rf "a b""#],
    )
    .refused(2)
    .says(&[r#"run: bcconn exec shop -- sh -c 'echo $HOME; rm -rf "a b"'"#])
    .snapshot("exec_without_dashes_shows_the_line_with_them_3");
    // `--` goes before the command, not before a later word equal to it.
    bc(&env, &["exec", "shop", "echo", "hi", "echo"])
        .refused(2)
        .says(&["run: bcconn exec shop -- echo hi echo"])
        .snapshot("exec_without_dashes_shows_the_line_with_them_4");
    // A wrong flag is still clap's own refusal.
    bc(&env, &["exec", "--bogus", "shop", "--", "env"])
        .refused(2)
        .says(&["--bogus"]);
}

#[test]
fn verbs_from_other_tools_point_at_bcconns_own() {
    let env = Env::new();
    for (i, verb) in ["login", "auth", "connect", "add"].iter().enumerate() {
        let out = bc(&env, &[verb])
            .refused(2)
            .says(&[&format!("`{verb}`"), "bcconn create"])
            .snapshot(&format!(
                "verbs_from_other_tools_point_at_bcconns_own_{}",
                i + 1
            ));
        assert!(!out.stderr.contains("Usage:"), "{}", out.show());
    }
    bc(&env, &["logout"])
        .refused(2)
        .says(&["bcconn delete NAME"]);
    // `ls` and `rm` are bcconn's own aliases of list and delete.
    bc(&env, &["ls"]).ok();
    bc(&env, &["rm", "nosuch", "--yes"])
        .refused(2)
        .says(&["no connection named"]);
    // Anything else is clap's refusal, as before.
    bc(&env, &["frobnicate"])
        .refused(2)
        .says(&["unrecognized subcommand"]);
    assert!(!env.record_path().exists());
}

#[test]
fn store_hash_takes_the_control_panel_label_and_the_cdn_segment() {
    let env = with_app();
    create(&env, "a", &["--store-hash", "store-abc123"]).ok();
    create(&env, "b", &["--store-hash", "s-def456"]).ok();
    create(&env, "c", &["--store-hash", "store-abc123-1"]).ok();
    assert_eq!(conn(&env, "a")["store_hash"], "abc123");
    assert_eq!(conn(&env, "b")["store_hash"], "def456");
    assert_eq!(conn(&env, "c")["store_hash"], "abc123");
    let records = env.record_bytes();
    create(&env, "d", &["--store-hash", "store-abc-def"])
        .refused(2)
        .says(&[WHERE_HASH])
        .snapshot("store_hash_takes_the_control_panel_label_and_the_cdn_segment_1");
    assert_eq!(env.record_bytes(), records);
}

/// `bcconn --version` and `bcconn version --json` name the commit this
/// build came from when it came from a git checkout (this one, when git is
/// here), and the target and parts for a bug report.
#[test]
fn version_names_the_commit_and_target() {
    let env = Env::new();
    let out = env.cmd(&["--version"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let version = env!("CARGO_PKG_VERSION");
    let out = env.cmd(&["version", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], version);
    assert_eq!(v["name"], "bcconn");
    let target = v["target"].as_str().unwrap();
    assert!(target.contains(std::env::consts::ARCH), "{target}");
    assert_eq!(v["parts"]["secret_stores"]["sealed"], true);
    assert_eq!(v["parts"]["record_stores"][1], "postgresql");
    let plain = env.cmd(&["version"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&plain.stdout), line);
    let head = std::process::Command::new("git")
        .args(["log", "-1", "--format=%H %cs"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    match head {
        Ok(h) if h.status.success() => {
            let text = String::from_utf8_lossy(&h.stdout);
            let (hash, date) = text.trim().split_once(' ').unwrap();
            assert_eq!(line, format!("bcconn {version} ({} {date})\n", &hash[..7]));
            assert_eq!(v["commit"], hash);
            assert_eq!(v["commit_date"], date);
        }
        // Not a git checkout (an unpacked crate): the version alone.
        _ => {
            assert_eq!(line, format!("bcconn {version}\n"));
            assert_eq!(v["commit"], Value::Null);
        }
    }
}
