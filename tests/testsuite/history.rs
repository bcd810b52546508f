//! The audit trail and `bcconn history`: every change to a connection or an
//! iClient is written with who (OS user and host), what (the verb, the
//! record, the fields that changed, never a value) and when, in the same
//! transaction as the change; `history [NAME]` shows it newest first.

use serde_json::{Value, json};

use crate::common::oauth::{OAuthFixture, SECRET, create};
use crate::common::{Env, all_output, code, stderr, stdout};

/// `bcconn history ARGS --json`, parsed (it must succeed).
fn history(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["history"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = env.cmd(&all).output().unwrap();
    assert!(out.status.success(), "{all:?}: {}", all_output(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Each entry as "verb action kind name [fields]", newest first.
fn lines(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            let fields: Vec<&str> = e["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            format!(
                "{} {} {} {} [{}]",
                e["verb"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
                e["subject_name"].as_str().unwrap(),
                fields.join(",")
            )
        })
        .collect()
}

fn ok(env: &Env, args: &[&str]) {
    let out = env.cmd(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", all_output(&out));
}

/// Every row of the audit table as text, read straight from the database.
fn audit_rows(env: &Env) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        env.record_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = db.prepare("SELECT * FROM audit ORDER BY seq").unwrap();
    let cols = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        let cells: Vec<String> = (0..cols)
            .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
            .collect();
        out.push(cells.join("\t"));
    }
    out
}

/// The OS's name for the user running the tests, as `id -un` says it.
fn os_user() -> Option<String> {
    let out = std::process::Command::new("id").arg("-un").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn a_connections_life_is_told_newest_first_even_across_a_rename_and_a_delete() {
    let OAuthFixture { fake, mut env, .. } = OAuthFixture::new();
    // Who comes from the OS, never from variables anyone can set.
    env.set("USER", "mallory-from-env");
    env.set("HOSTNAME", "forged-host");
    assert!(create(&env, "shop", &[]).status.success());
    ok(&env, &["authorize", "shop"]);
    ok(&env, &["rename", "shop", "acme"]);
    ok(&env, &["edit", "acme", "--concurrency", "5"]);
    // A command that changes nothing leaves no entry.
    ok(&env, &["edit", "acme", "--concurrency", "5"]);
    let acme = history(&env, &["acme"]);
    let told = lines(&acme);
    assert_eq!(
        told[0], "edit changed connection acme [concurrency]",
        "{told:#?}"
    );
    assert_eq!(
        told[1], "rename changed connection acme [name]",
        "{told:#?}"
    );
    assert!(
        told[2].starts_with("authorize changed connection shop ["),
        "{told:#?}"
    );
    assert!(told[2].contains("token_generation"), "{told:#?}");
    assert!(!told[2].contains("updated_at"), "{told:#?}");
    assert!(
        told.last()
            .unwrap()
            .starts_with("create created connection shop"),
        "{told:#?}"
    );
    assert!(!told.iter().any(|l| l.contains("iclient")), "{told:#?}");
    // One record throughout: one id, under both names.
    let id = acme[0]["subject_id"].as_str().unwrap();
    assert!(!id.is_empty());
    assert!(acme.iter().all(|e| e["subject_id"] == id), "{acme:#?}");
    // Newest first, by the clock too.
    let at: Vec<&str> = acme.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] >= w[1]), "{at:?}");
    for e in &acme {
        let user = e["user"].as_str().unwrap();
        let host = e["host"].as_str().unwrap();
        assert!(!user.is_empty() && user != "mallory-from-env", "{e}");
        assert!(!host.is_empty() && host != "forged-host", "{e}");
        if let Some(me) = os_user() {
            assert_eq!(user, me, "{e}");
        }
        #[cfg(target_os = "linux")]
        {
            let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
            assert_eq!(host, hostname.trim(), "{e}");
        }
    }
    // The old name finds what happened under it.
    let shop = lines(&history(&env, &["shop"]));
    assert!(shop.iter().any(|l| l.starts_with("authorize")), "{shop:#?}");
    assert!(!shop.iter().any(|l| l.starts_with("edit")), "{shop:#?}");

    // Deleted: its history stays, found by the name it had, with what it
    // did under the name before.
    ok(&env, &["delete", "acme", "--yes"]);
    let gone = lines(&history(&env, &["acme"]));
    assert_eq!(gone[0], "delete removed connection acme []", "{gone:#?}");
    assert_eq!(gone.len(), told.len() + 1, "{gone:#?}");

    // Everything, newest first: the iClient the fixture added is the oldest.
    let all = lines(&history(&env, &[]));
    assert_eq!(all[0], gone[0]);
    assert_eq!(all.last().unwrap(), "iclient add created iclient app []");

    // Names fields, never a value: no token or client secret, in the table
    // or anywhere in the database file.
    let tokens = fake.issued_tokens();
    assert!(tokens.len() >= 2, "two authorizations");
    let rows = audit_rows(&env).join("\n");
    assert!(rows.contains("token_generation"), "{rows}");
    let mut db = std::fs::read(env.record_path()).unwrap();
    if let Ok(wal) = std::fs::read(env.home().join("bcconn.db-wal")) {
        db.extend(wal);
    }
    for secret in tokens.iter().map(String::as_str).chain([SECRET]) {
        assert!(!rows.contains(secret), "{secret} in the audit table");
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in the database"
        );
    }
}

#[test]
fn a_401_mark_is_recorded_with_the_verb_that_saw_it() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::new();
    assert!(create(&env, "shop", &[]).status.success());
    for t in fake.issued_tokens() {
        fake.revoke_token(&t);
    }
    let api = env.cmd(&["api", "-c", "shop", "v2/time"]).output().unwrap();
    assert_eq!(code(&api), Some(1), "{}", all_output(&api));
    let told = lines(&history(&env, &["shop"]));
    assert_eq!(
        told[0], "api changed connection shop [last_error,last_error_at,state]",
        "{told:#?}"
    );
    // Again through status, after a new token.
    ok(&env, &["authorize", "shop"]);
    for t in fake.issued_tokens() {
        fake.revoke_token(&t);
    }
    let status = env.cmd(&["status", "shop"]).output().unwrap();
    assert_eq!(code(&status), Some(3), "{}", all_output(&status));
    let told = lines(&history(&env, &["shop"]));
    assert!(
        told[0].starts_with("status changed connection shop ["),
        "{told:#?}"
    );
    assert!(told[0].contains("state"), "{told:#?}");
    assert!(told[1].starts_with("authorize changed"), "{told:#?}");
}

#[test]
fn iclient_changes_are_recorded_by_name_and_id() {
    let OAuthFixture { env, .. } = OAuthFixture::new();
    ok(
        &env,
        &[
            "iclient",
            "edit",
            "app",
            "--callback-url",
            "http://127.0.0.1:9/elsewhere",
        ],
    );
    // A new client secret: its name, never the secret.
    let edit = env
        .cmd(&["iclient", "edit", "app", "--client-secret-stdin"])
        .write_stdin("cs-new-Rt63pLq9Za\n")
        .output()
        .unwrap();
    assert!(edit.status.success(), "{}", all_output(&edit));
    assert!(!audit_rows(&env).join("\n").contains("cs-new-Rt63pLq9Za"));
    let told = lines(&history(&env, &["app"]));
    assert_eq!(
        told,
        [
            "iclient edit changed iclient app [client_secret]",
            "iclient edit changed iclient app [callback_url]",
            "iclient add created iclient app []",
        ]
    );
    ok(&env, &["iclient", "remove", "app", "--yes"]);
    let told = lines(&history(&env, &["app"]));
    assert_eq!(
        told[0], "iclient remove removed iclient app []",
        "{told:#?}"
    );
}

#[test]
fn imports_write_imported_entries_with_the_command_that_imported() {
    let OAuthFixture { env, .. } = OAuthFixture::new();
    assert!(
        create(&env, "shop", &["--no-authorize", "--yes"])
            .status
            .success()
    );
    let doc = env.records();
    // `bcconn import` into another home.
    let other = Env::new();
    let file = other.dir.path().join("records.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    ok(&other, &["import", file.to_str().unwrap()]);
    let told = lines(&history(&other, &[]));
    assert_eq!(
        told,
        [
            "import imported connection shop []",
            "import imported iclient app []",
        ]
    );
    // The old record file, imported by whatever command runs first.
    let old = Env::new();
    old.replace_records(&doc);
    ok(&old, &["list"]);
    let told = lines(&history(&old, &["shop"]));
    assert_eq!(told, ["list imported connection shop []"]);
}

#[test]
fn limit_takes_the_newest_and_defaults_to_fifty() {
    let env = Env::new();
    let connections: Vec<Value> = (0..60)
        .map(|i| {
            json!({"id": format!("id{i:04}"), "name": format!("c{i:02}"), "auth_type": "token",
                "store_hash": "abc123", "scopes": [], "concurrency": 1, "state": "pending",
                "created_at": "t", "updated_at": "t"})
        })
        .collect();
    env.replace_records(&json!({"version": 2, "iclients": [], "connections": connections}));
    ok(&env, &["list"]);
    ok(&env, &["rename", "c00", "first"]);
    assert_eq!(history(&env, &[]).len(), 50);
    let all = history(&env, &["--limit", "0"]);
    assert_eq!(all.len(), 61);
    let two = lines(&history(&env, &["--limit", "2"]));
    assert_eq!(
        two,
        [
            "rename changed connection first [name]",
            "list imported connection c59 []",
        ]
    );
    assert_eq!(lines(&all)[..60], lines(&history(&env, &["--limit", "60"])));
}

#[test]
fn an_unknown_name_is_refused_naming_history_without_one() {
    let OAuthFixture { env, .. } = OAuthFixture::new();
    let out = env.cmd(&["history", "nosuch"]).output().unwrap();
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(stdout(&out).is_empty());
    let said = stderr(&out);
    assert!(said.starts_with("error: "), "{said}");
    assert!(said.contains("\"nosuch\""), "{said}");
    assert!(said.contains("`bcconn history`"), "{said}");
    // Same as other unknown names.
    let show = env.cmd(&["show", "nosuch"]).output().unwrap();
    assert_eq!(code(&show), code(&out));
}

#[test]
fn the_table_shows_who_what_and_where_escaping_outside_text() {
    let env = Env::new();
    // A name saved by hand holding ESC: shown escaped, never sent raw.
    env.replace_records(&json!({"version": 2, "iclients": [], "connections": [
        {"id": "e1", "name": "evil\u{1b}]0;x\u{7}", "auth_type": "token", "store_hash": "abc123",
         "scopes": [], "concurrency": 1, "state": "pending", "created_at": "t", "updated_at": "t"},
        {"id": "p1", "name": "plain", "auth_type": "token", "store_hash": "abc123",
         "scopes": [], "concurrency": 1, "state": "pending", "created_at": "t", "updated_at": "t"}]}));
    ok(&env, &["list"]);
    ok(&env, &["edit", "plain", "--concurrency", "3"]);
    let out = env
        .cmd(&["history"])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let table = stdout(&out);
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    assert!(table.contains("\\u{1b}"), "{table}");
    let head = table.lines().next().unwrap();
    for column in ["WHEN", "WHO", "VERB", "RECORD", "CHANGE"] {
        assert!(head.contains(column), "{head}");
    }
    let first = table.lines().nth(1).unwrap();
    assert!(first.contains("edit"), "{first}");
    assert!(first.contains("connection plain"), "{first}");
    assert!(first.contains("changed: concurrency"), "{first}");
    let who = history(&env, &["--limit", "1"])[0].clone();
    assert!(
        first.contains(&format!(
            "{}@{}",
            who["user"].as_str().unwrap(),
            who["host"].as_str().unwrap()
        )),
        "{first}"
    );
    // Narrow: still one row per entry's start, every line within 60 columns.
    let narrow = env.cmd(&["history"]).env("COLUMNS", "60").output().unwrap();
    for line in stdout(&narrow).lines() {
        assert!(line.chars().count() <= 60, "{line:?}");
    }
}

#[test]
fn a_migrated_database_says_who_migrated_it() {
    let env = Env::new();
    crate::common::add_app(&env);
    // Back to schema 2, as an older bcconn left it.
    {
        let db = rusqlite::Connection::open(env.record_path()).unwrap();
        db.execute_batch("DROP TABLE audit; PRAGMA user_version = 2;")
            .unwrap();
    }
    let told = lines(&history(&env, &[]));
    assert_eq!(told, ["history migrated store  [schema 2 to 3]"]);
    let e = &history(&env, &[])[0];
    assert_eq!(e["kind"], "store");
    assert_eq!(e["subject_id"], "");
    // A new database has no history to tell.
    let fresh = Env::new();
    crate::common::add_app(&fresh);
    let told = lines(&history(&fresh, &[]));
    assert!(!told.iter().any(|l| l.contains("migrated")), "{told:#?}");
}
