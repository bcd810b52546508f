//! Names, store hashes and URLs bcconn refuses, and how it echoes what it
//! refuses: text that hides or reorders, shell metacharacters, control
//! characters in saved names, dot segments, URLs a terminal or a server
//! cannot take, unknown scopes bounded and escaped.

use serde_json::Value;

use crate::common::{Env, add_app, all_output, code, create_pending, run, run_with_stdin};

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
        let out = run_with_stdin(
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
    crate::common::hand_rename(&env, "shop", odd);
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
    crate::common::hand_rename(&env, "shop", "evil\u{1b}]0;owned\u{7}\u{1b}[2Jname");
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
    crate::common::hand_rename(&env, "app", "app\u{1b}[31m");
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
