//! The records and the secrets file under damage and attack: what a crash
//! leaves, a held lock, files that are not regular files or are links, a
//! read-only or newer file, a relative home, and the record file read
//! bounded by every reader.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{
    APP_SECRET, BIN, Env, add_app, all_output, code, create_pending, mode, run, run_with_stdin,
    set_mode,
};

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
        std::fs::write(home.join(name), APP_SECRET).unwrap();
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
        // The wait, shortened as a person can (the default 10 s is the
        // store's unit test, on a fake clock).
        .env("BCCONN_LOCK_WAIT", "3s")
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
        took >= Duration::from_millis(2500) && took < Duration::from_secs(20),
        "{took:?}"
    );
    assert!(first.contains("(up to 3 s)"), "{text}");
    assert!(text.contains("stayed busy for 3 s"), "{text}");
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
    let out = run_with_stdin(
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
    let out = run_with_stdin(
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

/// `bcconn ARGS` under a 2 GiB address-space limit (a read without end
/// aborts there instead of taking the machine's memory), killed after 60 s.
#[cfg(unix)]
fn limited(env: &Env, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.env_clear();
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.args(["-c", "ulimit -v 2097152 && exec \"$0\" \"$@\"", BIN])
        .args(args)
        .timeout(Duration::from_secs(60));
    cmd.output().unwrap()
}

/// A record database linked to `/proc/self/pagemap` (a regular file stating
/// 0 bytes that reads hundreds of gigabytes): every reader stops with a
/// clear error instead of reading until memory runs out.
#[cfg(target_os = "linux")]
#[test]
fn a_record_file_linked_to_proc_pagemap_is_read_bounded_by_every_reader() {
    let env = Env::new();
    add_app(&env);
    std::fs::remove_file(env.record_path()).unwrap();
    std::os::unix::fs::symlink("/proc/self/pagemap", env.record_path()).unwrap();
    for args in [vec!["list"], vec!["list", "--json"], vec!["show", "shop"]] {
        let out = limited(&env, &args, &[]);
        let text = all_output(&out);
        assert_eq!(code(&out), Some(1), "{args:?}: {text}");
        assert!(
            text.contains("bcconn.db") && text.contains("disk I/O error"),
            "{args:?}: {text}"
        );
        assert!(text.contains("hint: "), "{text}");
    }
    // Doctor reports it as the records check's failure.
    let out = limited(&env, &["doctor", "--json"], &[]);
    let text = all_output(&out);
    assert_eq!(code(&out), Some(3), "{text}");
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let records = findings.iter().find(|f| f["check"] == "records").unwrap();
    assert_eq!(records["verdict"], "fail", "{records}");
    assert!(
        records["detail"]
            .as_str()
            .unwrap()
            .contains("disk I/O error"),
        "{records}"
    );
    // Completion is best effort: no names, no abort, no wait.
    let out = limited(
        &env,
        &["--", "bcconn", "token", ""],
        &[
            ("BCCONN_COMPLETE", "bash"),
            ("_CLAP_COMPLETE_INDEX", "2"),
            ("_CLAP_COMPLETE_COMP_TYPE", "9"),
        ],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    // The link the user made is still there.
    assert!(
        std::fs::symlink_metadata(env.record_path())
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// `doctor --fix` tightens bcconn's own files, but a file in the home that
/// is a link to a file elsewhere is reported, never chmodded: its target
/// may be anything of anyone's.
#[cfg(unix)]
#[test]
fn doctor_fix_never_changes_the_target_of_a_link_and_says_so() {
    let env = Env::new();
    add_app(&env);
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let home = env.home();
    let mut targets = Vec::new();
    for name in ["bcconn.db", "secrets.json", "secrets.lock"] {
        let target = elsewhere.join(name);
        std::fs::rename(home.join(name), &target).unwrap();
        set_mode(&target, 0o666);
        std::os::unix::fs::symlink(&target, home.join(name)).unwrap();
        targets.push(target);
    }
    let out = env.cmd(&["doctor", "--fix", "--json"]).output().unwrap();
    let text = all_output(&out);
    for t in &targets {
        assert_eq!(
            mode(t),
            0o666,
            "doctor --fix changed {}: {text}",
            t.display()
        );
    }
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let p = findings
        .iter()
        .find(|f| f["check"] == "permissions")
        .unwrap();
    assert_ne!(p["verdict"], "ok", "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("secrets.json is a symbolic link to"), "{p}");
    assert!(p["fixed"].is_null(), "nothing was changed: {p}");
    let fix = p["fix"].as_str().unwrap();
    assert!(fix.contains("chmod 600"), "{p}");
    assert!(fix.contains("--fix does not change"), "{p}");
    // Still a link, to the same file.
    assert_eq!(
        std::fs::read_link(home.join("secrets.json")).unwrap(),
        targets[1]
    );
    // A regular file beside them is still tightened.
    std::fs::remove_file(home.join("secrets.json")).unwrap();
    std::fs::copy(&targets[1], home.join("secrets.json")).unwrap();
    set_mode(&home.join("secrets.json"), 0o644);
    let out = env.cmd(&["doctor", "--fix", "--json"]).output().unwrap();
    assert_eq!(
        mode(&home.join("secrets.json")),
        0o600,
        "{}",
        all_output(&out)
    );
    assert_eq!(mode(&targets[0]), 0o666);
}

/// A page name in the directory that is a link to a file elsewhere is
/// replaced by the page, never written through.
#[cfg(unix)]
#[test]
fn man_dir_replaces_a_linked_page_instead_of_writing_through_it() {
    let env = Env::new();
    let dir = env.dir.path().join("man1");
    std::fs::create_dir(&dir).unwrap();
    let victim = env.dir.path().join("victim");
    std::fs::write(&victim, "keep me\n").unwrap();
    set_mode(&victim, 0o600);
    std::os::unix::fs::symlink(&victim, dir.join("bcconn-create.1")).unwrap();
    let out = env
        .cmd(&["man", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    assert_eq!(mode(&victim), 0o600);
    let page = dir.join("bcconn-create.1");
    let meta = std::fs::symlink_metadata(&page).unwrap();
    assert!(meta.file_type().is_file(), "the link was not replaced");
    assert!(std::fs::read_to_string(&page).unwrap().contains(".TH"));
    assert_eq!(mode(&page), 0o644);
    // No temp file is left beside the pages.
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".1"), "{name}");
    }
}
