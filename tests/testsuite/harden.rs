//! The defects found under attack (issue 10), one test or more each, through
//! the real binary. Each test fails on the build that had the defect.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::fake_bc::FakeBc;
use crate::common::{BIN, Env, all_output, fake_browser, free_port};

const SECRET: &str = "cs-harden-Vb7Qm2Lx";
const CLIENT_ID: &str = "clientid-harden";

fn run(env: &Env, args: &[&str]) -> Output {
    env.cmd(args).output().unwrap()
}

fn run_in(env: &Env, args: &[&str], input: &str) -> Output {
    env.cmd(args)
        .write_stdin(input.to_string())
        .output()
        .unwrap()
}

fn add_app(env: &Env) {
    env.add_iclient("app", CLIENT_ID, SECRET, "http://localhost:8765/auth");
}

fn create_pending(env: &Env, name: &str) -> Output {
    run(
        env,
        &[
            "create",
            name,
            "--no-authorize",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
        ],
    )
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// The names of `.bcconn-*.tmp` files in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".bcconn-") && n.ends_with(".tmp"))
        .collect()
}

fn secrets_map(env: &Env) -> serde_json::Map<String, Value> {
    let v: Value = serde_json::from_str(&env.secrets_text()).unwrap();
    v["secrets"].as_object().unwrap().clone()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---- 1. crash leftovers ----------------------------------------------------

#[test]
fn temp_files_and_orphan_secrets_a_crash_left_go_with_the_next_write() {
    let env = Env::new();
    add_app(&env);
    let home = env.home();
    // What SIGKILLs left: temp files of the secrets file (the older name
    // too, and the record file of versions before the database) ...
    for name in [
        ".bcconn-AbC123.tmp",
        ".bcconn-bcconn.json-QwE456.tmp",
        ".bcconn-secrets.json-XyZ789.tmp",
    ] {
        std::fs::write(home.join(name), SECRET).unwrap();
    }
    // ... and secrets a run had listed in the ledger and written, then
    // died before its record went live (or after its record went away).
    let mut secrets: Value = serde_json::from_str(&env.secrets_text()).unwrap();
    let map = secrets["secrets"].as_object_mut().unwrap();
    let kept: Vec<String> = map.keys().cloned().collect();
    map.insert("iclient/00000000deadbeef".into(), json!("orphan-1"));
    map.insert("connection/00000000feedface/g1".into(), json!("orphan-2"));
    // Not listed, not bcconn's to judge by a write: kept.
    map.insert("other/thing".into(), json!("x"));
    std::fs::write(home.join("secrets.json"), secrets.to_string()).unwrap();
    let db = rusqlite::Connection::open(env.record_path()).unwrap();
    let dead = crate::common::dead_pid();
    for account in ["iclient/00000000deadbeef", "connection/00000000feedface/g1"] {
        db.execute(
            "INSERT INTO secret_ledger(store, account, host, pid, started, created_at) VALUES ('file', ?1, ?3, ?2, '', 'then')",
            rusqlite::params![account, dead, bcconn::store::ledger::host()],
        )
        .unwrap();
    }
    // A run that is still alive (this test) is never cleaned up after.
    db.execute(
        "INSERT INTO secret_ledger(store, account, host, pid, started, created_at) VALUES ('file', 'connection/00000000cafecafe/g1', ?2, ?1, '', 'now')",
        rusqlite::params![std::process::id(), bcconn::store::ledger::host()],
    )
    .unwrap();
    drop(db);

    let out = create_pending(&env, "shop");
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(temp_files(&home), Vec::<String>::new());
    let now: Vec<String> = secrets_map(&env).keys().cloned().collect();
    let mut want = kept.clone();
    want.push("other/thing".into());
    want.sort();
    assert_eq!(now, want);
    let db = rusqlite::Connection::open(env.record_path()).unwrap();
    let listed: Vec<String> = db
        .prepare("SELECT account FROM secret_ledger")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(listed, ["connection/00000000cafecafe/g1"]);
}

// ---- 2. a held lock --------------------------------------------------------

#[test]
fn a_held_lock_says_who_holds_it_within_a_second_and_gives_up() {
    let env = Env::new();
    add_app(&env);
    let before = env.record_bytes();
    // Held by this process, as another bcconn in the middle of a write
    // would: the write lock, and the pid note beside the database.
    let lock = env.hold_write_lock();
    let start = Instant::now();
    let mut child = env
        .std_cmd(&[
            "create",
            "shop",
            "--no-authorize",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map(|l| (start.elapsed(), l.unwrap()))
            .collect::<Vec<_>>()
    });
    // A build that waits forever is stopped after 30 s (and fails below).
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = start.elapsed();
    let lines = reader.join().unwrap();
    drop(lock);
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    let (first_at, first) = lines.first().cloned().unwrap_or_default();
    assert!(
        first_at < Duration::from_millis(1500),
        "{first_at:?}: {text}"
    );
    #[cfg(target_os = "linux")]
    assert!(
        first.contains(&format!("process {}", std::process::id())),
        "names the holder: {text}"
    );
    assert!(first.contains("waiting for another bcconn"), "{text}");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(20),
        "{took:?}"
    );
    assert!(text.contains("stayed busy for 10 s"), "{text}");
    assert!(text.contains("nothing was changed"), "{text}");
    assert!(
        text.contains("hint: ") && text.contains("bcconn doctor"),
        "{text}"
    );
    assert_eq!(env.record_bytes(), before);
}

#[cfg(unix)]
#[test]
fn lock_and_data_files_are_private_in_a_home_that_is_not() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let home = env.home();
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    add_app(&env);
    for f in ["secrets.lock", "bcconn.db", "secrets.json"] {
        assert_eq!(mode(&home.join(f)), 0o600, "{f}");
    }
    // The directory is left as the person made it.
    assert_eq!(mode(&home), 0o755);
}

// ---- 3. a panic on a callback path -----------------------------------------

#[test]
fn a_callback_path_like_a_route_pattern_is_served() {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/:id/*rest", free_port());
    fake.register_app(CLIENT_ID, SECRET, &callback, &["store_v2_orders"]);
    fake.add_store("abc123", "Acme", "acme.example.com");
    let env = Env::with_fake(&fake);
    env.add_iclient("app", CLIENT_ID, SECRET, &callback);
    let out = run(
        &env,
        &[
            "create",
            "shop",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
            "--timeout",
            "20",
        ],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(env.list()[0]["state"], "authorized");
}

// ---- 4. unknown fields -----------------------------------------------------

#[test]
fn fields_this_version_does_not_know_survive_a_write() {
    let env = Env::new();
    add_app(&env);
    assert!(create_pending(&env, "shop").status.success());
    let mut file: Value = env.records();
    file["future_top"] = json!({"a": [1, 2]});
    file["iclients"][0]["future_iclient"] = json!("kept");
    file["connections"][0]["future_conn"] = json!(42);
    env.replace_records(&file);
    let out = run(&env, &["rename", "shop", "shop2"]);
    assert!(out.status.success(), "{}", all_output(&out));
    let out = create_pending(&env, "other");
    assert!(out.status.success(), "{}", all_output(&out));
    let after: Value = env.records();
    assert_eq!(after["future_top"], json!({"a": [1, 2]}));
    assert_eq!(after["iclients"][0]["future_iclient"], "kept");
    assert_eq!(after["connections"][0]["name"], "shop2");
    assert_eq!(after["connections"][0]["future_conn"], 42);
    assert!(after["connections"][1].get("future_conn").is_none());
}

#[test]
fn a_secrets_file_of_a_newer_version_is_refused_not_rewritten() {
    let env = Env::new();
    add_app(&env);
    let path = env.home().join("secrets.json");
    let newer = br#"{"version": 99, "secrets": {}, "vaults": [1]}"#;
    std::fs::write(&path, newer).unwrap();
    let records = env.record_bytes();
    let out = run_in(
        &env,
        &[
            "iclient",
            "add",
            "two",
            "--client-id",
            "c2",
            "--client-secret-stdin",
        ],
        "s2\n",
    );
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    let text = all_output(&out);
    assert!(
        text.contains("newer bcconn") && text.contains("99"),
        "{text}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), newer);
    assert_eq!(env.record_bytes(), records);
}

// ---- 5. create racing iclient remove ----------------------------------------

#[test]
fn a_connection_never_names_an_iclient_removed_meanwhile() {
    // The check under the lock, deterministically: the plan was made while
    // the iClient existed; by the time of the write it is gone.
    let mut file = bcconn::store::Tx::empty();
    let conn = bcconn::store::Connection {
        iclient_id: Some("gone0000gone0000".into()),
        ..bcconn::store::Connection::pending(
            "shop",
            bcconn::store::AuthType::Oauth2,
            "abc123".parse().unwrap(),
        )
    };
    let err = bcconn::connect::commit::push_new(&mut file, conn).unwrap_err();
    assert!(err.to_string().contains("removed meanwhile"), "{err}");
    assert!(file.connections().unwrap().is_empty());

    // And the race itself, a few rounds: never both.
    let env = Env::new();
    for round in 0..12 {
        add_app(&env);
        let name = format!("c{round}");
        let create = env
            .std_cmd(&[
                "create",
                &name,
                "--no-authorize",
                "--iclient",
                "app",
                "--store-hash",
                "abc123",
                "--scopes",
                "store_v2_orders",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let remove = env
            .std_cmd(&["iclient", "remove", "app", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let created = create.wait_with_output().unwrap().status.success();
        let removed = remove.wait_with_output().unwrap().status.success();
        assert!(!(created && removed), "round {round}: both succeeded");
        if created {
            // Clear the way for the next round.
            assert!(run(&env, &["delete", &name, "--yes"]).status.success());
            assert!(
                run(&env, &["iclient", "remove", "app", "--yes"])
                    .status
                    .success()
            );
        }
    }
}

// ---- 6. starvation ---------------------------------------------------------

/// A browser that waits before visiting, so the test can open idle
/// connections to the callback port first.
#[cfg(unix)]
fn slow_browser(dir: &Path, wait: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("slow-browser");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nsleep {wait}\nexec {} \"$@\"\n",
            fake_browser::command()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

#[cfg(unix)]
#[test]
fn idle_connections_cannot_starve_the_real_callback() {
    let fake = FakeBc::start();
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/auth");
    fake.register_app(CLIENT_ID, SECRET, &callback, &["store_v2_orders"]);
    fake.add_store("abc123", "Acme", "acme.example.com");
    let mut env = Env::with_fake(&fake);
    env.add_iclient("app", CLIENT_ID, SECRET, &callback);
    let browser = slow_browser(env.dir.path(), "2");
    env.set("BCCONN_BROWSER", &browser);
    // bcconn with few file descriptors: more idle connections than it can
    // hold open at once.
    let mut cmd = Command::new("sh");
    cmd.env_clear();
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    cmd.args(["-c", "ulimit -n 96 && exec \"$0\" \"$@\"", BIN])
        .args([
            "create",
            "shop",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
            "--timeout",
            "25",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Wait for the port, then open many idle connections before the
    // browser comes.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut idle = Vec::new();
    while Instant::now() < deadline {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            idle.push(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!idle.is_empty(), "bcconn never listened");
    for _ in 0..300 {
        match std::net::TcpStream::connect_timeout(
            &([127, 0, 0, 1], port).into(),
            Duration::from_millis(200),
        ) {
            Ok(s) => idle.push(s),
            Err(_) => break,
        }
    }
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    drop(idle);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(env.list()[0]["state"], "authorized");
}

// ---- 7. special files ------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_as_the_record_file_is_refused_at_once() {
    for special in ["fifo", "/dev/zero"] {
        let env = Env::new();
        add_app(&env);
        let path = env.record_path();
        std::fs::remove_file(&path).unwrap();
        if special == "fifo" {
            let made = Command::new("mkfifo").arg(&path).status().unwrap();
            assert!(made.success());
        } else {
            std::os::unix::fs::symlink(special, &path).unwrap();
        }
        for args in [
            vec!["list"],
            vec!["list", "--json"],
            vec![
                "create",
                "shop",
                "--no-authorize",
                "--iclient",
                "app",
                "--store-hash",
                "abc123",
                "--scopes",
                "store_v2_orders",
            ],
        ] {
            let start = Instant::now();
            let out = env
                .cmd(&args)
                .timeout(Duration::from_secs(10))
                .output()
                .unwrap();
            let text = all_output(&out);
            assert!(start.elapsed() < Duration::from_secs(5), "{special}: hung");
            assert_eq!(code(&out), Some(1), "{special} {args:?}: {text}");
            assert!(text.contains("not a regular file"), "{text}");
            assert!(text.contains("hint: "), "{text}");
        }
        let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
        assert!(!kind.is_file(), "{special} was replaced");
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_record_file_is_written_through() {
    let env = Env::new();
    add_app(&env);
    let dotfiles = env.dir.path().join("dotfiles");
    std::fs::create_dir(&dotfiles).unwrap();
    let real = dotfiles.join("bcconn.db");
    std::fs::rename(env.record_path(), &real).unwrap();
    std::os::unix::fs::symlink("../dotfiles/bcconn.db", env.record_path()).unwrap();
    let out = create_pending(&env, "shop");
    assert!(out.status.success(), "{}", all_output(&out));
    let link = std::fs::symlink_metadata(env.record_path()).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    // Written into the file the link names.
    let db =
        rusqlite::Connection::open_with_flags(&real, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let name: String = db
        .query_row("SELECT name FROM connections", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "shop");
    assert_eq!(env.list()[0]["name"], "shop");
    assert_eq!(mode(&real), 0o600);
    assert!(temp_files(&dotfiles).is_empty() && temp_files(&env.home()).is_empty());
}

#[cfg(unix)]
#[test]
fn a_read_only_record_file_is_refused_not_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    add_app(&env);
    let path = env.record_path();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    let before = env.record_bytes();
    let out = create_pending(&env, "shop");
    let text = all_output(&out);
    assert_eq!(code(&out), Some(1), "{text}");
    assert!(
        text.contains("read-only") && text.contains("chmod u+w"),
        "{text}"
    );
    assert_eq!(env.record_bytes(), before);
    assert_eq!(mode(&path), 0o400);
    // A secret saved for a refused record is taken back.
    let out = run_in(
        &env,
        &[
            "iclient",
            "add",
            "two",
            "--client-id",
            "c2",
            "--client-secret-stdin",
        ],
        "s2-secret\n",
    );
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(!env.secrets_text().contains("s2-secret"));
}

// ---- 8. no home ------------------------------------------------------------

#[test]
fn a_relative_home_is_refused_and_nothing_lands_in_the_current_directory() {
    let env = Env::new();
    let cwd = env.dir.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    // (A user with no passwd entry cannot be made here; env.rs's unit test
    // covers a home that is not absolute, and with HOME unset bcconn would
    // use the real user's directory, so that case is not run.)
    for home in ["relative/home", "rel"] {
        let mut cmd = Command::new(BIN);
        cmd.env_clear();
        for (k, v) in env.vars() {
            if k != "BCCONN_HOME" {
                cmd.env(k, v);
            }
        }
        cmd.env("HOME", home);
        let out = cmd
            .current_dir(&cwd)
            .args([
                "iclient",
                "add",
                "app",
                "--client-id",
                "cid",
                "--client-secret-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                // bcconn may refuse before it reads stdin: a broken pipe here
                // is that refusal, not a failure of the test.
                let _ = c.stdin.take().unwrap().write_all(b"s3cret\n");
                c.wait_with_output()
            })
            .unwrap();
        let text = all_output(&out);
        assert_eq!(code(&out), Some(2), "{home:?}: {text}");
        assert!(text.contains("BCCONN_HOME"), "{text}");
        let left: Vec<_> = std::fs::read_dir(&cwd).unwrap().flatten().collect();
        assert!(left.is_empty(), "{home:?}: wrote {left:?}");
    }
}

// ---- 9. names and URLs -----------------------------------------------------

#[test]
fn names_that_hide_or_reorder_text_are_refused_and_long_ones_not_echoed() {
    let env = Env::new();
    add_app(&env);
    let before = env.record_bytes();
    for name in [
        "c0\u{200B}",
        "evil\u{202E}gnp.exe",
        "a\u{2028}b",
        "x\u{1b}[2Jy",
    ] {
        let out = create_pending(&env, name);
        let text = all_output(&out);
        assert_eq!(code(&out), Some(2), "{name:?}: {text}");
        assert!(!text.contains(name), "echoed raw: {text}");
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && bcconn::text::is_unsafe(c)),
            "{text:?}"
        );
    }
    let huge = "n".repeat(10_000);
    for args in [
        vec!["show", huge.as_str()],
        vec!["delete", huge.as_str(), "--yes"],
        vec!["rename", huge.as_str(), "x"],
        vec!["rename", "x", huge.as_str()],
    ] {
        let out = run(&env, &args);
        assert_eq!(code(&out), Some(2));
        assert!(out.stderr.len() < 600, "{}", all_output(&out));
    }
    let out = create_pending(&env, &huge);
    assert_eq!(code(&out), Some(2));
    assert!(out.stderr.len() < 600, "{}", all_output(&out));
    assert_eq!(env.record_bytes(), before);
}

#[test]
fn callback_urls_that_a_terminal_or_a_server_cannot_take_are_refused() {
    let env = Env::new();
    for url in [
        "http://localhost:8765/auth\u{1b}]0;owned\u{7}",
        "http://localhost:8765/auth\nInjected: line",
        "http://localhost:8765/a\u{202E}b",
        "http://localhost:0/auth",
    ] {
        let out = run_in(
            &env,
            &[
                "iclient",
                "add",
                "app",
                "--client-id",
                "cid",
                "--callback-url",
                url,
                "--client-secret-stdin",
            ],
            "s\n",
        );
        let text = all_output(&out);
        assert_eq!(code(&out), Some(2), "{url:?}: {text}");
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && bcconn::text::is_unsafe(c)),
            "{text:?}"
        );
        assert_eq!(text.lines().count(), 2, "one line and a hint: {text}");
    }
    assert!(env.record_bytes().is_empty());
}

#[test]
fn a_store_hash_with_dot_segments_names_no_store() {
    let env = Env::new();
    add_app(&env);
    let before = env.record_bytes();
    for hash in ["stores/abc123/../zzz999", "/stores/abc123/./v3"] {
        let out = run(
            &env,
            &[
                "create",
                "shop",
                "--no-authorize",
                "--iclient",
                "app",
                "--store-hash",
                hash,
                "--scopes",
                "store_v2_orders",
            ],
        );
        assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    }
    assert_eq!(env.record_bytes(), before);
}

#[test]
fn a_login_url_with_a_query_or_fragment_is_refused() {
    let mut env = Env::new();
    add_app(&env);
    assert!(create_pending(&env, "shop").status.success());
    for bad in ["http://127.0.0.1:9/?x=1", "http://127.0.0.1:9/#f"] {
        env.set("BCCONN_LOGIN_URL", bad);
        let out = run(
            &env,
            &["authorize", "shop", "--no-browser", "--timeout", "1"],
        );
        let text = all_output(&out);
        assert_eq!(code(&out), Some(2), "{text}");
        assert!(
            text.contains("BCCONN_LOGIN_URL") && text.contains("query"),
            "{text}"
        );
    }
}

// ---- 10. scale -------------------------------------------------------------

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

// ---- 12. the browser's environment -----------------------------------------

/// A browser that writes down its argv and environment, then does nothing.
#[cfg(unix)]
pub fn dumping_browser(dir: &Path, then: Option<&str>) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("dump-browser");
    let dump = dir.join("browser-dumps");
    std::fs::create_dir_all(&dump).unwrap();
    let tail = then
        .map(|cmd| format!("exec {cmd} \"$@\"\n"))
        .unwrap_or_default();
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nd={}/$$\nprintf '%s\\n' \"$0\" \"$@\" > \"$d.argv\"\nenv > \"$d.env\"\n{tail}",
            dump.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

/// Everything the dumping browser wrote down.
#[cfg(unix)]
pub fn browser_dumps(dir: &Path) -> String {
    let mut all = String::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("browser-dumps")) {
        for e in entries.flatten() {
            all.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    all
}

#[cfg(unix)]
#[test]
fn the_browser_inherits_no_secret_variables() {
    let mut env = Env::new();
    env.set("BCCONN_CLIENT_SECRET", "env-client-secret-Pq9");
    env.set("BCCONN_ACCESS_TOKEN", "env-access-token-Zr4");
    let out = run(
        &env,
        &[
            "iclient",
            "add",
            "app",
            "--client-id",
            "cid",
            "--callback-url",
            &format!("http://127.0.0.1:{}/auth", free_port()),
        ],
    );
    assert!(out.status.success(), "{}", all_output(&out));
    let browser = dumping_browser(env.dir.path(), None);
    env.set("BCCONN_BROWSER", &browser);
    let out = run(
        &env,
        &[
            "create",
            "shop",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
            "--timeout",
            "2",
        ],
    );
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    let dumps = browser_dumps(env.dir.path());
    assert!(
        dumps.contains("oauth2/authorize"),
        "the browser ran: {dumps}"
    );
    assert!(dumps.contains("BCCONN_HOME="), "{dumps}");
    assert!(!dumps.contains("env-client-secret-Pq9"), "{dumps}");
    assert!(!dumps.contains("env-access-token-Zr4"), "{dumps}");
}
