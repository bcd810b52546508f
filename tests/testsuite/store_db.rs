//! The record database (issue 15), through the real binary: the move of an
//! old `bcconn.json` into `bcconn.db`, `export` and `import`, databases that
//! are newer, damaged, not files or links, many writers at once, `backup`
//! and `restore`, and a write lock held by someone else.
//!
//! Each test checks what a broken build would get wrong: records compared
//! field by field against what the test wrote, the database's bytes (or its
//! canonical dump) unchanged after every refusal, exit codes that a hang or
//! a crash cannot give.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::Env;

/// The client secret of the iClients the tests add; never printed.
const SECRET: &str = "cs-Wd8rT2yK6pQn4Lm1";
/// The access token of the migrated authorized connection, in the old
/// home's secrets.json: `bcconn token` must find it after the move.
const TOKEN: &str = "tok-Zr4pW9xQ2mLs7Kd1";
/// The migrated iClient's secret.
const OLD_IC_SECRET: &str = "cs-Old3vB7nM1xC5zA9";

// Ids of the old record file's records (fixed, so the secrets file can name
// them before bcconn ever ran).
const IC: &str = "1c1c1c1c1c1c1c1c";
const LENDER: &str = "a0a0a0a0a0a0a0a0";
const MIDDLE: &str = "b1b1b1b1b1b1b1b1";
const TAIL: &str = "c2c2c2c2c2c2c2c2";
const API_ACCOUNT: &str = "d3d3d3d3d3d3d3d3";
const REVOKED: &str = "e4e4e4e4e4e4e4e4";
const OLDER: &str = "f5f5f5f5f5f5f5f5";

// ------------------------------------------------------------------ helpers

/// One finished run of the binary.
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
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

    /// Exit `code` (a process killed by the timeout has none), nothing on
    /// stdout, and one `error:` line (hints may follow) that holds every
    /// one of `words`.
    fn refused(self, code: i32, words: &[&str]) -> Out {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\n{}",
            self.show()
        );
        self.one_error_line(words);
        self
    }

    /// Like [`Out::refused`] for any non-zero exit code.
    fn fails(self, words: &[&str]) -> Out {
        assert!(
            matches!(self.code, Some(c) if c != 0),
            "expected a non-zero exit\n{}",
            self.show()
        );
        self.one_error_line(words);
        self
    }

    fn one_error_line(&self, words: &[&str]) {
        assert!(
            self.stdout.is_empty(),
            "stdout must stay empty on error\n{}",
            self.show()
        );
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "one error line\n{}", self.show());
        assert!(
            self.stderr.starts_with("error: "),
            "the error comes first\n{}",
            self.show()
        );
        for w in words {
            assert!(
                errors[0].contains(w),
                "the error line lacks {w:?}\n{}",
                self.show()
            );
        }
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

/// `bcconn ARGS` with stdin closed.
fn bc(env: &Env, args: &[&str]) -> Out {
    finish(env.cmd(args))
}

/// `bcconn ARGS` with `input` on stdin.
fn bc_in(env: &Env, args: &[&str], input: &str) -> Out {
    let mut cmd = env.cmd(args);
    cmd.write_stdin(input.to_string());
    finish(cmd)
}

/// The home directory, made as bcconn makes it (0700), for tests that put
/// files there before bcconn ever ran.
fn private_home(env: &Env) -> PathBuf {
    let home = env.home();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    home
}

/// Writes a file readable by its owner only (as bcconn's own files are).
fn write_private(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// An environment with iClient "app" (its secret on stdin), so a database
/// exists.
fn with_app() -> Env {
    let env = Env::new();
    add_iclient(&env, "app", "clientid-app");
    env
}

fn add_iclient(env: &Env, name: &str, client_id: &str) {
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
        &format!("{SECRET}\n"),
    )
    .ok();
}

/// `create NAME --no-authorize` through iClient "app", plus `extra`.
fn create_args<'a>(name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["create", name, "--no-authorize", "--iclient", "app"];
    if !extra.contains(&"--store-hash") {
        args.extend(["--store-hash", "abc123"]);
    }
    if !extra.contains(&"--scopes") {
        args.extend(["--scopes", "store_v2_orders"]);
    }
    args.extend(extra);
    args
}

fn create(env: &Env, name: &str, extra: &[&str]) -> Out {
    bc(env, &create_args(name, extra))
}

fn names(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

fn name_set(list: &[Value]) -> BTreeSet<String> {
    names(list).into_iter().collect()
}

/// `list --json` keyed by name.
fn by_name(list: Vec<Value>) -> BTreeMap<String, Value> {
    list.into_iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c))
        .collect()
}

fn api_base(env: &Env) -> String {
    env.vars()
        .iter()
        .find(|(k, _)| k == "BCCONN_API_URL")
        .map(|(_, v)| v.trim_end_matches('/').to_string())
        .expect("the test env sets BCCONN_API_URL")
}

/// Connection names straight from a database file, read-only.
fn names_in_db(path: &Path) -> BTreeSet<String> {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = db.prepare("SELECT name FROM connections").unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Files in `dir` whose names start with `prefix`.
fn files_starting(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

// ------------------------------------------------------ the old record file

/// An old `bcconn.json` of format `version` (1 or 2): an iClient, a
/// borrowing chain (tail -> middle -> lender), a store-level token
/// connection, a global default, unknown fields at every level, and every
/// state the version has (version 1 knows pending, authorized and failed;
/// version 2 added invalid and superseded).
fn old_file(version: u64) -> Value {
    let t0 = "2025-03-01T10:00:00Z";
    let mut connections = vec![
        json!({
            "id": LENDER, "name": "lender", "auth_type": "oauth2", "store_hash": "abc123",
            "scopes": ["store_v2_orders", "store_v2_products"], "iclient_id": IC,
            "concurrency": 7, "state": "authorized",
            "created_at": t0, "updated_at": "2025-03-02T11:00:00Z",
            "granted_scopes": ["store_v2_orders", "store_v2_products"],
            "user": {"id": 4242, "username": "ann", "email": "ann@example.com"},
            "owner": {"id": 7, "username": "owner", "email": "owner@example.com"},
            "account_uuid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "store_name": "Ann's Shop", "store_domain": "ann.example.com",
            "authorized_at": "2025-03-02T11:00:00Z", "last_verified_at": "2025-03-03T09:30:00Z",
            "token_store": "file",
            "x_conn_tag": {"kept": ["by", "every", "version"]}
        }),
        json!({
            "id": MIDDLE, "name": "middle", "auth_type": "oauth2", "store_hash": "def456",
            "scopes": ["store_v2_orders"], "iclient_id": IC, "concurrency": 1,
            "borrow_concurrency_from": LENDER, "state": "pending",
            "created_at": t0, "updated_at": t0
        }),
        json!({
            "id": TAIL, "name": "tail", "auth_type": "oauth2", "store_hash": "aaa111",
            "scopes": ["store_v2_content"], "iclient_id": IC, "concurrency": 2,
            "borrow_concurrency_from": MIDDLE, "state": "failed",
            "created_at": t0, "updated_at": t0,
            "last_error": "the consent page was closed before BigCommerce answered",
            "last_error_at": "2025-03-01T10:05:00Z"
        }),
        json!({
            "id": API_ACCOUNT, "name": "api-account", "auth_type": "token", "store_hash": "bbb222",
            "scopes": [], "concurrency": 3, "state": "pending",
            "created_at": t0, "updated_at": t0, "x_conn_tag": 17
        }),
    ];
    if version >= 2 {
        connections.push(json!({
            "id": REVOKED, "name": "revoked", "auth_type": "oauth2", "store_hash": "ccc333",
            "scopes": ["store_v2_orders"], "iclient_id": IC, "concurrency": 4, "state": "invalid",
            "created_at": t0, "updated_at": "2025-03-04T08:00:00Z",
            "authorized_at": "2025-03-01T12:00:00Z",
            "last_error": "BigCommerce answered 401 to its token",
            "last_error_at": "2025-03-04T08:00:00Z"
        }));
        connections.push(json!({
            "id": OLDER, "name": "older", "auth_type": "oauth2", "store_hash": "abc123",
            "scopes": ["store_v2_orders"], "iclient_id": IC, "concurrency": 1, "state": "superseded",
            "created_at": t0, "updated_at": "2025-03-02T11:00:00Z",
            "authorized_at": "2025-03-01T10:30:00Z",
            "superseded_by": LENDER
        }));
    }
    json!({
        "version": version,
        "x_future": {"note": "a field of a newer bcconn", "n": [1, 2, 3]},
        "default_connection": MIDDLE,
        "iclients": [{
            "id": IC, "name": "legacy-app", "client_id": "legacy-client-id",
            "callback_url": "http://localhost:8765/auth", "secret_store": "file",
            "created_at": t0, "updated_at": t0,
            "x_ic_note": "unknown to this version"
        }],
        "connections": connections
    })
}

/// Writes `doc` as the old record file into a home bcconn never ran in,
/// with the secrets it names in secrets.json; returns the bytes written.
fn plant_old_file(env: &Env, doc: &Value) -> Vec<u8> {
    let home = private_home(env);
    let bytes = format!("{}\n", serde_json::to_string_pretty(doc).unwrap()).into_bytes();
    write_private(&env.old_record_path(), &bytes);
    let secrets = json!({
        "version": 1,
        "secrets": {
            format!("iclient/{IC}"): OLD_IC_SECRET,
            format!("connection/{LENDER}"): TOKEN,
        }
    });
    write_private(&home.join("secrets.json"), secrets.to_string().as_bytes());
    bytes
}

/// What `show --json` must print for connection `c` of document `doc`:
/// every key present (null when unknown), ids turned into names, and the
/// level the connection really runs with (its lenders' chain followed).
fn expected_view(doc: &Value, c: &Value, api: &str) -> Value {
    let conns = doc["connections"].as_array().unwrap();
    let conn_by_id = |id: &Value| conns.iter().find(|o| o["id"] == *id).unwrap();
    let name_of = |id: &Value| {
        if id.is_null() {
            Value::Null
        } else {
            conn_by_id(id)["name"].clone()
        }
    };
    let iclient = if c["iclient_id"].is_null() {
        Value::Null
    } else {
        doc["iclients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == c["iclient_id"])
            .unwrap()["name"]
            .clone()
    };
    let (mut level, mut next) = (
        c["concurrency"].clone(),
        c["borrow_concurrency_from"].clone(),
    );
    while !next.is_null() {
        let lender = conn_by_id(&next);
        level = lender["concurrency"].clone();
        next = lender["borrow_concurrency_from"].clone();
    }
    json!({
        "name": c["name"], "id": c["id"], "auth_type": c["auth_type"],
        "store_hash": c["store_hash"],
        "api_url": format!("{api}/stores/{}", c["store_hash"].as_str().unwrap()),
        "state": c["state"], "scopes": c["scopes"], "iclient": iclient,
        "concurrency": c["concurrency"],
        "borrow_concurrency_from": name_of(&c["borrow_concurrency_from"]),
        "effective_concurrency": level,
        "granted_scopes": c["granted_scopes"], "store_name": c["store_name"],
        "store_domain": c["store_domain"], "user": c["user"], "owner": c["owner"],
        "account_uuid": c["account_uuid"], "authorized_at": c["authorized_at"],
        "last_verified_at": c["last_verified_at"], "token_store": c["token_store"],
        "last_error": c["last_error"], "last_error_at": c["last_error_at"],
        "superseded_by": name_of(&c["superseded_by"]),
        // No old file saved storefront tokens.
        "storefront_tokens": [],
        "created_at": c["created_at"], "updated_at": c["updated_at"],
    })
}

/// The move of an old record file of `version` into the database, checked
/// from every side a person sees.
fn migrates_the_old_record_file(version: u64) {
    let env = Env::new();
    let written = old_file(version);
    let original = plant_old_file(&env, &written);
    let api = api_base(&env);
    let kept = env.home().join("bcconn.json.imported");

    // The first command of any kind does the move, and says so once.
    let first = bc(&env, &["list", "--json"]).ok();
    assert_eq!(
        first.stderr.matches(&*kept.display().to_string()).count(),
        1,
        "the move is reported once, naming where the old file went\n{}",
        first.show()
    );
    let listed = by_name(serde_json::from_str::<Vec<Value>>(&first.stdout).unwrap());
    let wanted: BTreeSet<String> = written["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.keys().cloned().collect::<BTreeSet<_>>(), wanted);

    // Every connection with every field it had (names for ids).
    for c in written["connections"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let shown = bc(&env, &["show", name, "--json"]).ok();
        assert!(
            !shown.stderr.contains("bcconn.json") && !shown.stderr.contains("Moved"),
            "the move is said once, not again\n{}",
            shown.show()
        );
        let want = expected_view(&written, c, &api);
        assert_eq!(shown.json(), want, "show {name} --json");
        assert_eq!(listed[name], want, "list --json entry of {name}");
    }

    // The interchange document keeps what this version does not know, and
    // every record as written (the default is personal: not exported).
    let exported = bc(&env, &["export"]).ok().json();
    assert_eq!(exported["version"], json!(2));
    assert_eq!(exported["x_future"], written["x_future"]);
    assert_eq!(exported["iclients"], written["iclients"]);
    assert_eq!(exported["connections"], written["connections"]);
    assert!(exported.get("default_connection").is_none(), "{exported}");

    // The token still works through the secret keyed by the record's id.
    let token = bc(&env, &["token", "lender"]).ok();
    assert_eq!(token.stdout.trim_end(), TOKEN);

    // The global default came along, as the name of the connection its id
    // named.
    let default = bc(&env, &["use", "--global"]).ok();
    assert_eq!(default.stdout.trim(), "middle", "{}", default.show());

    // The old file is kept as it was; a stub older builds refuse is in its
    // place.
    assert_eq!(std::fs::read(&kept).unwrap(), original);
    let stub_text = std::fs::read_to_string(env.old_record_path()).unwrap();
    assert!(stub_text.contains("moved_to"), "{stub_text}");
    let stub: Value = serde_json::from_str(&stub_text).unwrap();
    assert_eq!(stub["version"], json!(3), "{stub_text}");

    // Nothing is imported a second time.
    let again = bc(&env, &["list", "--json"]).ok();
    assert!(!again.stderr.contains("bcconn.json"), "{}", again.show());
    assert_eq!(
        by_name(serde_json::from_str(&again.stdout).unwrap()),
        listed
    );
}

#[test]
fn a_version_1_record_file_moves_into_the_database_with_every_field_secret_and_default() {
    migrates_the_old_record_file(1);
}

#[test]
fn a_version_2_record_file_moves_into_the_database_with_every_field_state_secret_and_default() {
    migrates_the_old_record_file(2);
}

#[test]
fn an_old_record_file_the_database_refuses_is_left_byte_identical_and_nothing_is_imported() {
    let env = Env::new();
    // Names unique only with case: the database refuses the second one,
    // after the iClient was already written in the same transaction.
    let mut doc = old_file(2);
    let conns = doc["connections"].as_array_mut().unwrap();
    let mut twin = conns[1].clone();
    twin["id"] = json!("0909090909090909");
    twin["name"] = json!("MIDDLE");
    twin["borrow_concurrency_from"] = Value::Null;
    conns.push(twin);
    let original = plant_old_file(&env, &doc);

    // Refused every time it is tried, the file untouched, and no row left.
    for _ in 0..2 {
        bc(&env, &["list", "--json"]).refused(1, &["bcconn.json"]);
        assert_eq!(std::fs::read(env.old_record_path()).unwrap(), original);
        assert!(!env.home().join("bcconn.json.imported").exists());
        assert_eq!(
            String::from_utf8_lossy(&env.record_bytes()),
            "",
            "a refused import leaves no row behind"
        );
    }

    // Moved away, the home is empty (the refused rows really are gone).
    std::fs::rename(env.old_record_path(), env.dir.path().join("bad.json")).unwrap();
    assert_eq!(env.list(), Vec::<Value>::new());
}

#[test]
fn a_move_killed_after_its_commit_finishes_without_importing_twice() {
    let env = Env::new();
    let original = plant_old_file(&env, &old_file(2));
    let first = env.list();
    let records = env.record_bytes();
    let kept = env.home().join("bcconn.json.imported");

    // What a run killed between the commit and the rename leaves: the old
    // file in place, the records already in the database.
    std::fs::rename(&kept, env.old_record_path()).unwrap();

    let out = bc(&env, &["list", "--json"]).ok();
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&out.stdout).unwrap(),
        first
    );
    assert_eq!(env.record_bytes(), records, "nothing was imported twice");
    assert_eq!(std::fs::read(&kept).unwrap(), original);
    assert!(!env.home().join("bcconn.json.imported.2").exists());
    let stub: Value =
        serde_json::from_slice(&std::fs::read(env.old_record_path()).unwrap()).unwrap();
    assert!(stub.get("moved_to").is_some(), "{stub}");
    assert_eq!(stub["version"], json!(3));
}

// ---------------------------------------------------------- export / import

/// What an import without secrets cannot keep: the token and everything
/// about its authorization (the connection comes in pending).
const RESET_BY_IMPORT: [&str; 11] = [
    "state",
    "token_store",
    "authorized_at",
    "last_verified_at",
    "granted_scopes",
    "user",
    "owner",
    "superseded_by",
    "last_error",
    "last_error_at",
    "token_generation",
];

#[test]
fn export_then_import_into_an_empty_home_gives_the_same_records_pending_and_a_byte_identical_export()
 {
    // A home with every state: an old file moved in, then real commands.
    let a = Env::new();
    plant_old_file(&a, &old_file(2));
    a.list();
    add_iclient(&a, "app", "clientid-app");
    create(&a, "shop", &["--concurrency", "5"]).ok();
    create(
        &a,
        "shop-pool",
        &[
            "--store-hash",
            "def456",
            "--scopes",
            "store_v2_products",
            "--borrow-concurrency-from",
            "shop",
        ],
    )
    .ok();
    create(
        &a,
        "on-lender",
        &[
            "--store-hash",
            "ddd444",
            "--borrow-concurrency-from",
            "lender",
        ],
    )
    .ok();
    let states: BTreeSet<String> = a
        .list()
        .iter()
        .map(|c| c["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        states.len(),
        5,
        "every state is in the first home: {states:?}"
    );

    let export_a = bc(&a, &["export"]).ok().stdout;
    let file = a.dir.path().join("records.json");
    std::fs::write(&file, &export_a).unwrap();

    let b = Env::new();
    bc(&b, &["import", file.to_str().unwrap()]).ok();

    // The same connections, as pending ones without their authorization.
    let pending = |mut v: Value| {
        v["state"] = json!("pending");
        for k in RESET_BY_IMPORT
            .iter()
            .filter(|k| **k != "state" && **k != "token_generation")
        {
            v[*k] = Value::Null;
        }
        v
    };
    let list_a: Vec<Value> = a.list().into_iter().map(pending).collect();
    let list_b = b.list();
    assert_eq!(by_name(list_b.clone()), by_name(list_a.clone()));
    for c in &list_a {
        let name = c["name"].as_str().unwrap();
        let show_a = pending(bc(&a, &["show", name, "--json"]).ok().json());
        let show_b = bc(&b, &["show", name, "--json"]).ok().json();
        assert_eq!(show_b, show_a, "show {name} --json");
    }

    // Exported again, every other field is byte-identical.
    let export_b = bc(&b, &["export"]).ok().stdout;
    let strip = |text: &str| {
        let mut v: Value = serde_json::from_str(text).unwrap();
        for c in v["connections"].as_array_mut().unwrap() {
            let c = c.as_object_mut().unwrap();
            for k in RESET_BY_IMPORT {
                c.remove(k);
            }
        }
        serde_json::to_string_pretty(&v).unwrap()
    };
    assert_eq!(strip(&export_b), strip(&export_a));
    // ... and what was removed really is empty on the import side.
    let doc_b: Value = serde_json::from_str(&export_b).unwrap();
    for c in doc_b["connections"].as_array().unwrap() {
        assert_eq!(c["state"], json!("pending"), "{c}");
        for k in RESET_BY_IMPORT.iter().filter(|k| **k != "state") {
            assert!(c.get(*k).is_none(), "{k} survived the import: {c}");
        }
    }
}

/// An interchange document: iClient "app2" (new), connections "fresh"
/// (new) and "SHOP" (on store def456).
fn clashing_doc(version: u64) -> Value {
    let t0 = "2025-05-01T00:00:00Z";
    json!({
        "version": version,
        "iclients": [{
            "id": "2a2a2a2a2a2a2a2a", "name": "app2", "client_id": "clientid-app2",
            "callback_url": "http://localhost:8765/auth", "secret_store": "file",
            "created_at": t0, "updated_at": t0
        }],
        "connections": [
            {"id": "3b3b3b3b3b3b3b3b", "name": "fresh", "auth_type": "oauth2", "store_hash": "eee555",
             "scopes": ["store_v2_orders"], "iclient_id": "2a2a2a2a2a2a2a2a", "concurrency": 2,
             "state": "pending", "created_at": t0, "updated_at": t0},
            {"id": "4c4c4c4c4c4c4c4c", "name": "SHOP", "auth_type": "oauth2", "store_hash": "def456",
             "scopes": ["store_v2_products"], "iclient_id": "2a2a2a2a2a2a2a2a", "concurrency": 3,
             "state": "pending", "created_at": t0, "updated_at": t0}
        ]
    })
}

#[test]
fn import_refuses_a_name_clash_unless_replace_and_says_what_it_added_and_replaced() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    let shop_id = env.list()[0]["id"].clone();
    let file = env.dir.path().join("doc.json");
    std::fs::write(&file, clashing_doc(2).to_string()).unwrap();
    let path = file.to_str().unwrap();

    // "SHOP" is "shop" ignoring case: refused, and "fresh" not taken in
    // either (one transaction).
    let before = env.record_bytes();
    bc(&env, &["import", path]).fails(&["shop"]);
    assert_eq!(env.record_bytes(), before);

    let out = bc(&env, &["import", path, "--replace"]).ok();
    let line = |verb: &str, name: &str| {
        out.stderr
            .lines()
            .any(|l| l.contains(verb) && l.contains(&format!("\"{name}\"")))
    };
    assert!(line("Added", "fresh"), "{}", out.show());
    assert!(line("Added", "app2"), "{}", out.show());
    assert!(line("Replaced", "SHOP"), "{}", out.show());
    assert!(
        !line("Replaced", "fresh") && !line("Added", "SHOP"),
        "{}",
        out.show()
    );

    // The replaced record has the document's fields and keeps its id (what
    // refers to it still does).
    let list = by_name(env.list());
    assert_eq!(list.keys().cloned().collect::<Vec<_>>(), ["SHOP", "fresh"]);
    assert_eq!(list["SHOP"]["id"], shop_id);
    assert_eq!(list["SHOP"]["store_hash"], json!("def456"));
    assert_eq!(list["SHOP"]["iclient"], json!("app2"));
    assert_eq!(list["fresh"]["id"], json!("3b3b3b3b3b3b3b3b"));
}

#[test]
fn import_dash_reads_the_document_from_stdin() {
    let env = Env::new();
    bc_in(&env, &["import", "-"], &clashing_doc(2).to_string()).ok();
    let list = by_name(env.list());
    assert_eq!(list.keys().cloned().collect::<Vec<_>>(), ["SHOP", "fresh"]);
    assert_eq!(list["fresh"]["store_hash"], json!("eee555"));
    assert_eq!(list["SHOP"]["concurrency"], json!(3));
}

#[test]
fn import_refuses_a_document_from_a_newer_version_and_changes_nothing() {
    let env = with_app();
    create(&env, "keep", &[]).ok();
    let before = env.record_bytes();
    let file = env.dir.path().join("future.json");
    std::fs::write(&file, clashing_doc(99).to_string()).unwrap();
    bc(&env, &["import", file.to_str().unwrap()]).fails(&["newer bcconn"]);
    bc_in(&env, &["import", "-"], &clashing_doc(99).to_string()).fails(&["newer bcconn"]);
    assert_eq!(env.record_bytes(), before);
}

// ------------------------------------------------- newer, damaged databases

#[test]
fn a_database_from_a_newer_bcconn_is_refused_and_never_written() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    {
        let db = rusqlite::Connection::open(env.record_path()).unwrap();
        db.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let bytes = std::fs::read(env.record_path()).unwrap();
    let shown = env.record_path().display().to_string();
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "shop", "--json"],
        create_args("new-one", &[]),
    ] {
        bc(&env, &args).refused(1, &["newer bcconn", &shown]);
        assert_eq!(
            std::fs::read(env.record_path()).unwrap(),
            bytes,
            "after {args:?}"
        );
    }
}

/// The commands a damaged database must refuse (reads and writes).
fn every_kind_of_command() -> Vec<Vec<&'static str>> {
    vec![
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "shop", "--json"],
        vec!["export"],
        create_args("new-one", &[]),
    ]
}

/// Puts `bytes` in place of the database of a home that had records, and
/// checks that every command refuses it with one line naming it, and leaves
/// it as it was.
fn refuses_a_damaged_database(env: &Env, bytes: &[u8]) {
    let path = env.record_path();
    for side in ["bcconn.db-wal", "bcconn.db-shm"] {
        let _ = std::fs::remove_file(env.home().join(side));
    }
    std::fs::write(&path, bytes).unwrap();
    let shown = path.display().to_string();
    for args in every_kind_of_command() {
        bc(env, &args).refused(1, &[&shown]);
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "after {args:?}");
    }
}

#[test]
fn a_corrupt_database_is_refused_with_one_line_naming_it_and_left_untouched() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    // Noise of a real database's size (xorshift: the same every run).
    let len = std::fs::metadata(env.record_path()).unwrap().len() as usize;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    refuses_a_damaged_database(&env, &noise);
}

#[test]
fn a_truncated_database_is_refused_with_one_line_naming_it_and_left_untouched() {
    let env = with_app();
    // Enough records that the tables span many pages.
    for i in 0..40 {
        create(&env, &format!("shop-{i:02}"), &[]).ok();
    }
    create(&env, "shop", &[]).ok();
    let whole = std::fs::read(env.record_path()).unwrap();
    assert!(
        whole.len() >= 8 * 4096,
        "a database of {} bytes is too small to halve",
        whole.len()
    );
    refuses_a_damaged_database(&env, &whole[..whole.len() / 2]);
}

#[test]
fn a_fifo_in_place_of_the_database_is_refused_without_hanging() {
    let env = Env::new();
    private_home(&env);
    let path = env.record_path();
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let shown = path.display().to_string();
    for args in every_kind_of_command() {
        let mut cmd = env.cmd(&args);
        // Opening a FIFO for reading blocks until a writer comes: a killed
        // run has no exit code, so `refused` tells a hang from a refusal.
        cmd.timeout(Duration::from_secs(30));
        let out = finish(cmd);
        out.refused(1, &[&shown, "not a regular file"]);
        assert!(
            std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_fifo(),
            "the FIFO is left in place after {args:?}"
        );
    }
}

#[test]
fn a_symlinked_database_is_read_and_written_through_and_stays_a_link() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    // The database moves elsewhere; the home keeps a link to it.
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let target = elsewhere.join("records.db");
    std::fs::rename(env.record_path(), &target).unwrap();
    for side in ["-wal", "-shm"] {
        let from = env.home().join(format!("bcconn.db{side}"));
        if from.exists() {
            std::fs::rename(&from, elsewhere.join(format!("records.db{side}"))).unwrap();
        }
    }
    std::os::unix::fs::symlink(&target, env.record_path()).unwrap();

    assert_eq!(names(&env.list()), ["shop"]);
    create(&env, "second", &["--store-hash", "def456"]).ok();
    bc(&env, &["rename", "shop", "first"]).ok();
    assert_eq!(
        name_set(&env.list()),
        BTreeSet::from(["first".into(), "second".into()])
    );

    let link = std::fs::symlink_metadata(env.record_path()).unwrap();
    assert!(link.file_type().is_symlink(), "bcconn.db is still a link");
    assert_eq!(std::fs::read_link(env.record_path()).unwrap(), target);
    // The writes went to the database the link points at.
    assert_eq!(
        names_in_db(&target),
        BTreeSet::from(["first".into(), "second".into()])
    );
}

// ------------------------------------------------------------- concurrency

#[test]
fn fifty_concurrent_writers_lose_nothing() {
    const N: usize = 50;
    let env = with_app();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(N));
    let runs: Vec<_> = (0..N)
        .map(|i| {
            let name = format!("writer-{i:02}");
            let cmd = env.cmd(&create_args(&name, &[]));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                // All start together, so their writes really overlap.
                barrier.wait();
                let start = Instant::now();
                let out = finish(cmd);
                (name, out, start.elapsed())
            })
        })
        .collect();
    let mut longest = Duration::ZERO;
    let mut failed = Vec::new();
    for run in runs {
        let (name, out, took) = run.join().unwrap();
        longest = longest.max(took);
        if out.code != Some(0) {
            failed.push(format!("{name}: {}", out.show()));
        }
    }
    eprintln!("{N} concurrent creates: the longest took {longest:?}");
    assert!(
        failed.is_empty(),
        "{} of {N} failed:\n{}",
        failed.len(),
        failed.join("\n")
    );

    let want: BTreeSet<String> = (0..N).map(|i| format!("writer-{i:02}")).collect();
    assert_eq!(name_set(&env.list()), want);
    let db = rusqlite::Connection::open(env.record_path()).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

// --------------------------------------------------------- backup / restore

#[test]
fn backup_works_under_an_open_reader_is_private_and_never_overwrites() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    create(&env, "other", &["--store-hash", "def456"]).ok();

    // Another process's read transaction, open for the whole backup.
    let reader = rusqlite::Connection::open(env.record_path()).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let seen: i64 = reader
        .query_row("SELECT count(*) FROM connections", [], |r| r.get(0))
        .unwrap();
    assert_eq!(seen, 2);
    let file = env.dir.path().join("backup.db");
    let out = bc(&env, &["backup", file.to_str().unwrap()]).ok();
    assert!(
        out.stderr.contains(&*file.display().to_string()),
        "{}",
        out.show()
    );
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);

    assert_eq!(mode(&file), 0o600, "a backup holds the records: owner only");
    assert_eq!(
        names_in_db(&file),
        BTreeSet::from(["shop".into(), "other".into()])
    );

    // An existing file is never overwritten.
    let taken = env.dir.path().join("taken.db");
    std::fs::write(&taken, b"something precious").unwrap();
    bc(&env, &["backup", taken.to_str().unwrap()]).fails(&["taken.db"]);
    assert_eq!(std::fs::read(&taken).unwrap(), b"something precious");
}

#[test]
fn restore_refuses_a_non_database_and_puts_a_good_backup_back_keeping_the_replaced_one() {
    let env = with_app();
    create(&env, "shop", &[]).ok();
    create(&env, "other", &["--store-hash", "def456"]).ok();
    let backup = env.dir.path().join("backup.db");
    bc(&env, &["backup", backup.to_str().unwrap()]).ok();
    let listed_then = env.list();

    // Changes after the backup.
    bc(&env, &["delete", "other", "--yes"]).ok();
    create(&env, "later", &["--store-hash", "fff666"]).ok();
    let records_now = env.record_bytes();

    // Not a database: refused, nothing moved.
    let junk = env.dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database, just text\n").unwrap();
    bc(&env, &["restore", junk.to_str().unwrap()]).fails(&["junk.db"]);
    assert_eq!(env.record_bytes(), records_now);
    assert!(files_starting(&env.home(), "bcconn.db.before-restore-").is_empty());
    assert!(!env.home().join("bcconn.db.restoring").exists());

    // A good backup: its records are back, the replaced database beside.
    bc(&env, &["restore", backup.to_str().unwrap()]).ok();
    assert_eq!(env.list(), listed_then);
    let kept = files_starting(&env.home(), "bcconn.db.before-restore-");
    let kept: Vec<&PathBuf> = kept
        .iter()
        .filter(|p| {
            !p.to_string_lossy().ends_with("-wal") && !p.to_string_lossy().ends_with("-shm")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        names_in_db(kept[0]),
        BTreeSet::from(["shop".into(), "later".into()])
    );
    assert_eq!(mode(&env.record_path()), 0o600);
}

// ------------------------------------------------------------ a busy database

/// A write lock held by this test process, named in the pid note.
struct Holder {
    db: rusqlite::Connection,
}

impl Holder {
    fn take(env: &Env) -> Holder {
        Holder {
            db: env.hold_write_lock(),
        }
    }

    fn release(self) {
        self.db.execute_batch("ROLLBACK").unwrap();
    }
}

/// A bcconn run in the background, its stderr read line by line as it
/// comes.
struct Background {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    stderr: String,
    started: Instant,
}

impl Background {
    fn spawn(env: &Env, args: &[&str]) -> Background {
        Background::spawn_waiting(env, args, "10s")
    }

    /// With `BCCONN_LOCK_WAIT` set: how long a change waits for another writer.
    fn spawn_waiting(env: &Env, args: &[&str], wait: &str) -> Background {
        let mut cmd = env.std_cmd(args);
        cmd.env("BCCONN_LOCK_WAIT", wait)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            lines,
            stderr: String::new(),
            started: Instant::now(),
        }
    }

    /// Waits (up to `limit`) for a stderr line holding every one of `words`.
    fn wait_for_line(&mut self, words: &[&str], limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stderr.push_str(&line);
                    self.stderr.push('\n');
                    if words.iter().all(|w| line.contains(w)) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no stderr line with {words:?} within {limit:?}; stderr so far:\n{}",
                    self.stderr
                ),
            }
        }
    }

    /// Waits (up to `limit`, else kills it and fails) for the end; the exit
    /// code and the whole stderr.
    fn finish(mut self, limit: Duration) -> (Option<i32>, String, Duration) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "bcconn did not finish within {limit:?}; stderr:\n{}",
                    self.stderr
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let took = self.started.elapsed();
        for line in self.lines.iter() {
            self.stderr.push_str(&line);
            self.stderr.push('\n');
        }
        (status.code(), self.stderr, took)
    }
}

#[test]
fn a_write_lock_held_too_long_is_waited_on_naming_its_holder_then_refused_changing_nothing() {
    let env = with_app();
    let before = env.record_bytes();
    let holder = Holder::take(&env);
    let pid = std::process::id().to_string();

    // The wait shortened to 3 s, as a person can (the default 10 s is the
    // store's unit test, on a fake clock).
    let mut run = Background::spawn_waiting(&env, &create_args("x", &[]), "3s");
    let waiting = run.wait_for_line(&["waiting", &pid], Duration::from_secs(8));
    let (code, stderr, took) = run.finish(Duration::from_secs(60));
    holder.release();

    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("stayed busy"), "{stderr}");
    assert!(stderr.contains("bcconn doctor"), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| *l == waiting).count(),
        1,
        "the wait is said once: {stderr}"
    );
    // It gave up after waiting, not at once (the wait is 3 s here).
    assert!(
        took >= Duration::from_millis(2500),
        "gave up after {took:?}: {stderr}"
    );
    assert!(names(&env.list()).is_empty());
    assert_eq!(env.record_bytes(), before);
}

#[test]
fn a_write_lock_released_while_waiting_lets_the_change_through() {
    let env = with_app();
    let holder = Holder::take(&env);
    let pid = std::process::id().to_string();

    let mut run = Background::spawn(&env, &create_args("x", &[]));
    run.wait_for_line(&["waiting", &pid], Duration::from_secs(8));
    // Held a little longer after the wait began, then released.
    std::thread::sleep(Duration::from_secs(1));
    holder.release();
    let (code, stderr, _) = run.finish(Duration::from_secs(60));

    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(names(&env.list()), ["x"]);
}
