//! Issue 14, files and names: the record file read bounded whatever it
//! links to, `doctor --fix` and `man --dir` never acting through a link,
//! names escaped in `list`, completions that quote what they insert, names
//! holding shell metacharacters refused, and echoes of scopes and sibling
//! lists bounded.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::common::{BIN, Env, all_output};

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn add_app(env: &Env) {
    env.add_iclient(
        "app",
        "clientid1",
        "secret-Gf1",
        "http://localhost:8765/auth",
    );
}

fn create_pending(env: &Env, name: &str) -> Output {
    env.cmd(&[
        "create",
        name,
        "--no-authorize",
        "--iclient",
        "app",
        "--store-hash",
        "abc123",
        "--scopes",
        "store_v2_orders",
    ])
    .output()
    .unwrap()
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

// ---- the record file ------------------------------------------------------

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

#[cfg(unix)]
fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

// ---- doctor --fix and links ----------------------------------------------

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(path: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
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

// ---- man --dir --------------------------------------------------------------

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

// ---- names ------------------------------------------------------------------

/// Renames the saved connection or iClient `from` to `to` by editing the records
/// (a name bcconn would no longer accept, made by hand or by an older
/// version).
fn hand_rename(env: &Env, from: &str, to: &str) {
    let mut doc = env.records();
    let kind = ["connections", "iclients"]
        .into_iter()
        .find(|k| {
            doc[*k]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == from)
        })
        .expect("the record to rename");
    let record = doc[kind]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["name"] == from)
        .unwrap();
    record["name"] = Value::from(to);
    env.replace_records(&doc);
}

/// New names may not hold a character a shell treats specially; the error
/// says which. Names saved before keep working.
#[test]
fn new_names_with_shell_metacharacters_are_refused_saying_which() {
    let env = Env::new();
    add_app(&env);
    assert!(create_pending(&env, "shop").status.success());
    let before = env.record_bytes();
    for c in [
        '$', '`', ';', '|', '&', '<', '>', '(', ')', '\\', '"', '\'', '*', '?', '[', '!', '#', '~',
        '{',
    ] {
        let name = format!("a{c}b");
        let want = format!(
            "names cannot hold \"{}\" (a shell metacharacter)",
            if c == '"' || c == '\\' {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        );
        for out in [
            create_pending(&env, &name),
            env.cmd(&["rename", "shop", &name]).output().unwrap(),
            env.cmd(&[
                "iclient",
                "add",
                &name,
                "--client-id",
                "cid2",
                "--callback-url",
                "http://localhost:8766/auth",
                "--client-secret-stdin",
            ])
            .write_stdin("secret-Gf2\n")
            .output()
            .unwrap(),
            env.cmd(&[
                "authorize",
                "--name",
                &name,
                "--store-hash",
                "abc123",
                "--iclient",
                "app",
                "--scopes",
                "store_v2_orders",
            ])
            .output()
            .unwrap(),
        ] {
            let text = all_output(&out);
            assert_eq!(code(&out), Some(2), "{name}: {text}");
            assert!(text.contains(&want), "{name}: {text}");
            assert!(text.contains("hint: "), "{text}");
        }
    }
    assert_eq!(env.record_bytes(), before);
    // A space, and letters of any script, are still fine.
    assert!(create_pending(&env, "acme prod").status.success());
    assert!(create_pending(&env, "東京-café").status.success());

    // A name saved by hand keeps working: shown, listed, renamed away.
    let odd = "x$(touch pwned)";
    hand_rename(&env, "shop", odd);
    let out = env.cmd(&["show", odd]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let names: Vec<String> = env
        .list()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&odd.to_string()), "{names:?}");
    let out = env.cmd(&["rename", odd, "shop"]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
}

/// A name holding ESC (saved by hand) reaches no terminal raw: the table
/// and the plain stream escape it; `--json` escapes it as JSON does.
#[test]
fn list_escapes_control_characters_in_names() {
    let mut env = Env::new();
    add_app(&env);
    assert!(create_pending(&env, "shop").status.success());
    hand_rename(&env, "shop", "evil\u{1b}]0;owned\u{7}\u{1b}[2Jname");
    // Plain output (piped) and the table for a person (fitted to COLUMNS).
    for columns in [None, Some("120")] {
        if let Some(c) = columns {
            env.set("COLUMNS", c);
        }
        let out = env.cmd(&["list"]).output().unwrap();
        assert_eq!(code(&out), Some(0), "{}", all_output(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && bcconn::text::is_unsafe(c)),
            "{columns:?}: {text:?}"
        );
        assert!(
            text.contains("evil\\u{1b}]0;owned"),
            "{columns:?}: {text:?}"
        );
    }
    // `show` too (the record's values may have been edited by hand).
    let out = env
        .cmd(&["show", "evil\u{1b}]0;owned\u{7}\u{1b}[2Jname"])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && bcconn::text::is_unsafe(c)),
        "show: {text:?}"
    );
    assert!(text.contains("evil\\u{1b}]0;owned"), "show: {text:?}");
    // iClient names too, in `iclient list` and `iclient show`.
    hand_rename(&env, "app", "app\u{1b}[31m");
    for args in [
        vec!["iclient", "list"],
        vec!["iclient", "show", "app\u{1b}[31m"],
    ] {
        let out = env.cmd(&args).output().unwrap();
        assert_eq!(code(&out), Some(0), "{}", all_output(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && bcconn::text::is_unsafe(c)),
            "{args:?}: {text:?}"
        );
        assert!(text.contains("app\\u{1b}[31m"), "{args:?}: {text:?}");
        assert!(text.contains("evil\\u{1b}]0;owned"), "{args:?}: {text:?}");
    }
    let out = env.cmd(&["list", "--json"]).output().unwrap();
    assert!(!out.stdout.contains(&0x1b), "raw ESC in --json");
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "evil\u{1b}]0;owned\u{7}\u{1b}[2Jname");
}

// ---- completion quotes what it inserts ------------------------------------

/// Runs bash's completion function for `bcconn show WORD` in `dir` (the
/// script from `bcconn completions bash`, called as `complete -F` calls
/// it), then evaluates each reply as the shell would once the line is
/// entered. Returns (replies, evaluated words).
#[cfg(unix)]
fn bash_complete(env: &Env, dir: &Path, word: &str) -> (Vec<String>, Vec<String>) {
    let out = env.cmd(&["completions", "bash"]).output().unwrap();
    let script = String::from_utf8(out.stdout).unwrap();
    let probe = format!(
        "{script}\n\
         w=\"$1\"\n\
         COMP_WORDS=(bcconn show \"$w\"); COMP_CWORD=2; COMP_TYPE=9\n\
         COMP_LINE=\"bcconn show $w\"; COMP_POINT=${{#COMP_LINE}}\n\
         _clap_complete_bcconn bcconn \"$w\" show\n\
         for r in \"${{COMPREPLY[@]}}\"; do printf 'reply[%s]\\n' \"$r\"; done\n\
         for r in \"${{COMPREPLY[@]}}\"; do eval \"set -- $r\"; printf 'word[%s]\\n' \"$1\"; done\n"
    );
    let mut bash = std::process::Command::new("bash");
    bash.env_clear()
        .current_dir(dir)
        .args(["-c", &probe, "probe", word]);
    for (k, v) in env.vars() {
        bash.env(k, v);
    }
    let out = bash.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pick = |tag: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(tag)?.strip_suffix(']'))
            .map(str::to_string)
            .collect()
    };
    (pick("reply["), pick("word["))
}

/// A saved name holding `$(…)` (made by hand or by an older bcconn) is
/// completed quoted: entering the completed line runs nothing, and the
/// word is the name.
#[cfg(unix)]
#[test]
fn bash_completion_quotes_a_name_that_holds_a_command_substitution() {
    let env = Env::new();
    add_app(&env);
    for name in ["xshop", "yshop", "plain"] {
        assert!(create_pending(&env, name).status.success());
    }
    let odd = "x$(touch pwned)";
    hand_rename(&env, "xshop", odd);
    hand_rename(&env, "yshop", "y'q $HOME");
    let cwd = env.dir.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    for (typed, name) in [
        ("x", odd),
        ("'x$(", odd),
        ("x\\$", odd),
        ("", odd),
        ("y", "y'q $HOME"),
    ] {
        let (replies, words) = bash_complete(&env, &cwd, typed);
        assert!(
            words.contains(&name.to_string()),
            "typed {typed:?}: replies {replies:?}, words {words:?}"
        );
        assert!(
            !replies.contains(&name.to_string()),
            "typed {typed:?}: inserted unquoted: {replies:?}"
        );
        assert!(!exists(&cwd.join("pwned")), "the name ran: {replies:?}");
    }
    // Ordinary names are inserted as they are.
    let (replies, _) = bash_complete(&env, &cwd, "pl");
    assert_eq!(replies, ["plain"]);
}

// ---- bounded echoes -----------------------------------------------------------

/// A scope list from the person: a 10,000-character unknown scope (or one
/// holding ESC) is named short and escaped.
#[test]
fn an_unknown_scope_is_echoed_bounded_and_escaped() {
    let env = Env::new();
    add_app(&env);
    assert!(create_pending(&env, "shop").status.success());
    let huge = format!("store_{}", "x".repeat(10_000));
    for scope in [huge.as_str(), "evil\u{1b}[2Jscope"] {
        for args in [
            vec![
                "create",
                "other",
                "--no-authorize",
                "--iclient",
                "app",
                "--store-hash",
                "abc123",
                "--scopes",
                scope,
            ],
            vec!["edit", "shop", "--scopes", scope],
        ] {
            let out = env.cmd(&args).output().unwrap();
            let text = all_output(&out);
            assert_eq!(code(&out), Some(2), "{}", &text[..text.len().min(400)]);
            assert!(text.contains("unknown scope \""), "{text}");
            assert!(
                out.stderr.len() < 600,
                "{} bytes: {}",
                out.stderr.len(),
                &text[..400]
            );
            assert!(
                !text
                    .chars()
                    .any(|c| c != '\n' && bcconn::text::is_unsafe(c)),
                "{text:?}"
            );
        }
    }
}

/// A record file with `n` pending connections named `sib0`.. on the app
/// `app` (client id clientid1) and store abc123.
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
