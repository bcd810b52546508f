//! Every table at 60 and 80 columns, over a home with long names and
//! descriptions: no line wider than the terminal, NAME, STATE and scope
//! names whole or ending in `…`, the least useful column cut first,
//! `status`'s command whole; a pipe without `COLUMNS` gets every cell whole;
//! verdicts coloured on a terminal, never with `NO_COLOR`.

use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;

use crate::common::{Env, all_output};

const WIDTHS: [usize; 2] = [60, 80];
const LONG: &str = "shop-production-main-storefront";
const SIBLING: &str = "shop-production-main-backup";
const CJK: &str = "東京ストア本店の本番接続";
const ICLIENT: &str = "partner-app-production-europe";
const CLIENT_ID: &str = "k7x2m9qp4v8r1t6y3w5z0n2b4c6d8f1";

/// Two OAuth siblings on one app (one superseded by the other, which a 401
/// ended), a token connection with a wide name, a short one; written as the
/// old record file, which the first command imports.
fn home() -> Env {
    let env = Env::new();
    let ts = "2026-01-01T00:00:00Z";
    let conn = |id: &str, name: &str, extra: Value| {
        let mut c = json!({
            "id": id.repeat(16), "name": name, "auth_type": "oauth2",
            "store_hash": "abc123", "iclient_id": "ic1", "concurrency": 3,
            "scopes": ["store_v2_orders_read_only", "store_v2_products", "store_v2_customers"],
            "state": "pending", "created_at": ts, "updated_at": ts,
        });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    env.replace_records(&json!({
        "version": 2,
        "iclients": [{
            "id": "ic1", "name": ICLIENT, "client_id": CLIENT_ID,
            "callback_url": "http://127.0.0.1:8765/auth/callback/bigcommerce",
            "secret_store": "file", "created_at": ts, "updated_at": ts,
        }],
        "connections": [
            conn("a", LONG, json!({"state": "superseded", "superseded_by": "b".repeat(16)})),
            conn("b", SIBLING, json!({"state": "invalid", "last_error": "BigCommerce answered 401"})),
            conn("c", CJK, json!({"auth_type": "token", "iclient_id": null, "store_hash": "def456"})),
            conn("d", "short", json!({"scopes": []})),
        ],
    }));
    env
}

/// Runs `args` at `width` columns (stdout a pipe, `COLUMNS` set): stdout,
/// stderr, each line of stdout checked against the width.
fn at(env: &Env, width: usize, args: &[&str]) -> (String, String) {
    let out = env
        .std_cmd(args)
        .env("COLUMNS", width.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    for line in stdout.lines() {
        assert!(
            line.width() <= width,
            "{args:?} at {width}: a line of {} columns:\n{line}\n---\n{}",
            line.width(),
            all_output(&out)
        );
    }
    (stdout, String::from_utf8(out.stderr).unwrap())
}

/// The cell of `line` under the column headed `name` (or its header cut to
/// `…`), to the next column (or the end), in terminal columns; trimmed.
fn cell(header: &str, line: &str, name: &str) -> String {
    // Each header word and the column it starts at.
    let mut words = Vec::new();
    let mut col = 0;
    let mut start = None;
    for c in header.chars() {
        match (c == ' ', &start) {
            (false, None) => start = Some((col, String::from(c))),
            (false, Some(_)) => start.as_mut().unwrap().1.push(c),
            (true, Some(_)) => words.push(start.take().unwrap()),
            (true, None) => {}
        }
        col += c.to_string().width();
    }
    words.extend(start);
    let k = words
        .iter()
        .position(|(_, w)| whole_or_marked(w, name))
        .unwrap_or_else(|| panic!("{name} in {header}"));
    let (start, end) = (words[k].0, words.get(k + 1).map(|w| w.0));
    let mut col = 0;
    let mut out = String::new();
    for c in line.chars() {
        if col >= start && end.is_none_or(|e| col < e) {
            out.push(c);
        }
        col += c.to_string().width();
    }
    out.trim().to_string()
}

/// `shown` is `whole`, or its beginning and `…`.
fn whole_or_marked(shown: &str, whole: &str) -> bool {
    shown == whole
        || shown
            .strip_suffix('…')
            .is_some_and(|head| !head.is_empty() && whole.starts_with(head))
}

#[test]
fn list_keeps_names_and_states_and_cuts_the_scopes_first() {
    let env = home();
    let names = [LONG, SIBLING, CJK, "short"];
    let states = ["superseded", "invalid", "pending", "pending"];
    for width in WIDTHS {
        let (table, notes) = at(&env, width, &["list"]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        let header = lines[0];
        for (k, line) in lines[1..].iter().enumerate() {
            let name = cell(header, line, "NAME");
            assert!(
                whole_or_marked(&name, names[k]),
                "{name:?} at {width}:\n{table}"
            );
            assert_eq!(
                cell(header, line, "STATE"),
                states[k],
                "at {width}:\n{table}"
            );
        }
        // The least useful column gave way first: the scopes are cut.
        let scopes = cell(header, lines[1], "SCOPES");
        assert!(scopes.ends_with('…'), "{scopes:?} at {width}:\n{table}");
        if width == 80 {
            assert!(table.contains(LONG) && table.contains(CJK), "{table}");
        }
        // The sibling is named (on stderr: the table stays what scripts read).
        assert!(
            notes.replace('\n', " ").contains(&format!(
                "{LONG} is superseded by {SIBLING} (authorizing {SIBLING} ended its token)"
            )),
            "{notes}"
        );
    }
}

#[test]
fn scopes_keep_their_names_and_wrap_their_descriptions() {
    let env = home();
    let out = env.cmd(&["scopes", "--json"]).output().unwrap();
    let catalog: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = catalog
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for width in WIDTHS {
        let (table, notes) = at(&env, width, &["scopes"]);
        for line in notes.lines() {
            assert!(line.width() <= width, "{line}");
        }
        let lines: Vec<&str> = table.lines().collect();
        // Every scope's name whole, at the start of its row.
        let shown: Vec<&str> = lines[1..]
            .iter()
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(shown, names, "at {width}:\n{table}");
        // Every description whole, wrapped at spaces.
        let words: Vec<&str> = table.split_whitespace().collect();
        let text = words.join(" ");
        for s in &catalog {
            let description = s["description"].as_str().unwrap();
            assert!(
                text.contains(description),
                "{description:?} at {width}:\n{table}"
            );
        }
        // What gave way is the access, which the name says again.
        assert!(table.contains('…'), "{table}");
        for line in &lines[1..] {
            if let Some(name) = line
                .split_whitespace()
                .next()
                .filter(|_| !line.starts_with(' '))
            {
                assert!(names.contains(&name), "a scope name cut: {line}");
            }
        }
    }
}

#[test]
fn iclient_list_cuts_the_client_id_and_wraps_the_connections() {
    let env = home();
    for width in WIDTHS {
        let (table, _) = at(&env, width, &["iclient", "list"]);
        let lines: Vec<&str> = table.lines().collect();
        let row = lines
            .iter()
            .find(|l| l.starts_with(ICLIENT))
            .unwrap_or_else(|| panic!("{ICLIENT} whole at {width}:\n{table}"));
        assert!(
            !row.contains(CLIENT_ID),
            "the client id is cut first: {table}"
        );
        assert!(row.contains("k7x2m9"), "{table}");
        let words: Vec<&str> = table.split_whitespace().collect();
        for name in [LONG, SIBLING, "short"] {
            assert!(
                words.iter().any(|w| w.trim_end_matches(',') == name),
                "{name} whole at {width}:\n{table}"
            );
        }
    }
}

#[test]
fn status_keeps_each_fix_command_whole_on_one_line() {
    let env = home();
    for width in WIDTHS {
        let (table, _) = at(&env, width, &["status"]);
        for name in [LONG, SIBLING, "short"] {
            let fix = format!("`bcconn authorize {name}`");
            assert!(
                table.lines().any(|l| l.contains(&fix)),
                "{fix} whole at {width}:\n{table}"
            );
            assert!(
                table.lines().any(|l| l.starts_with(name)),
                "{name} whole at {width}:\n{table}"
            );
        }
        let fix = format!("`bcconn authorize '{CJK}'`");
        assert!(table.lines().any(|l| l.contains(&fix)), "{table}");
        assert!(
            table.contains(&format!("superseded by {SIBLING}")),
            "{table}"
        );
    }
}

#[test]
fn show_wraps_its_values_under_the_value() {
    let env = home();
    for width in WIDTHS {
        let (text, _) = at(&env, width, &["show", LONG]);
        assert!(text.contains(&format!("name           {LONG}\n")), "{text}");
        assert!(
            text.contains(&format!("superseded by  {SIBLING}\n")),
            "{text}"
        );
        // Wrapped scopes stay whole words, aligned under the value.
        let words: Vec<&str> = text.split_whitespace().collect();
        for scope in [
            "store_v2_orders_read_only",
            "store_v2_products",
            "store_v2_customers",
        ] {
            assert!(words.contains(&scope), "{scope} at {width}:\n{text}");
        }
        for line in text.lines().filter(|l| l.starts_with(' ')) {
            assert!(line.starts_with(&" ".repeat(15)), "{line:?} in\n{text}");
        }
    }
}

#[test]
fn doctor_wraps_its_findings_under_their_first_word() {
    let env = home();
    // Imported, the records name an iClient secret the secrets file lacks:
    // a failure whose fix holds commands.
    env.cmd(&["list"]).assert().success();
    for width in WIDTHS {
        let (text, _) = at(&env, width, &["doctor"]);
        // A verdict starts each finding; what follows it is indented.
        for line in text.lines() {
            assert!(
                ["ok ", "warn ", "fail ", "      "]
                    .iter()
                    .any(|p| line.starts_with(p)),
                "{line:?} at {width}:\n{text}"
            );
        }
        assert!(
            text.lines().any(|l| l.contains("`bcconn authorize NAME`")),
            "commands whole: {text}"
        );
    }
}

#[test]
fn a_pipe_without_columns_gets_every_cell_whole_on_one_line() {
    let env = home();
    for args in [
        &["list"][..],
        &["status"],
        &["iclient", "list"],
        &["scopes"],
    ] {
        let out = env.cmd(args).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('…'), "{args:?}:\n{text}");
        assert!(
            text.lines().all(|l| !l.starts_with(' ')),
            "no line wrapped or moved under its row: {args:?}:\n{text}"
        );
    }
    let out = env.cmd(&["status"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text.contains(LONG) && text.contains(CJK));
}

#[cfg(unix)]
mod colour {
    use expectrl::{Eof, Expect};

    use super::*;

    const GREEN: &str = "\x1b[32m";
    const YELLOW: &str = "\x1b[33m";
    const RED: &str = "\x1b[31m";

    /// What `args` draws with stdout (and stderr) a pseudo-terminal.
    fn on_a_terminal(env: &Env, args: &[&str]) -> String {
        let mut cmd = env.std_cmd(args);
        cmd.env("TERM", "xterm");
        let mut session = expectrl::Session::spawn(cmd).expect("spawn bcconn in a pty");
        session.set_expect_timeout(Some(std::time::Duration::from_secs(60)));
        let seen = session.expect(Eof).expect("bcconn ends");
        String::from_utf8_lossy(seen.as_bytes()).into_owned()
    }

    #[test]
    fn status_verdicts_are_coloured_on_a_terminal_only() {
        let mut env = home();
        env.set("NO_COLOR", "");
        let seen = on_a_terminal(&env, &["status"]);
        assert!(
            seen.contains(&format!("{YELLOW}superseded\x1b[0m")),
            "{seen:?}"
        );
        assert!(seen.contains(&format!("{RED}invalid\x1b[0m")), "{seen:?}");
        assert!(
            seen.contains(&format!("{YELLOW}not authorized\x1b[0m")),
            "{seen:?}"
        );
        // Piped, and with NO_COLOR on a terminal: plain.
        let out = env.cmd(&["status"]).output().unwrap();
        assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
        env.set("NO_COLOR", "1");
        let seen = on_a_terminal(&env, &["status"]);
        assert!(!seen.contains("\x1b["), "{seen:?}");
    }

    #[test]
    fn doctor_verdicts_are_coloured_on_a_terminal_only() {
        let mut env = home();
        env.set("NO_COLOR", "");
        let seen = on_a_terminal(&env, &["doctor"]);
        assert!(
            seen.contains(&format!("{GREEN}ok\x1b[0m    home:")),
            "{seen:?}"
        );
        // The login endpoint is a closed port: it fails, in red.
        assert!(seen.contains(&format!("{RED}fail\x1b[0m")), "{seen:?}");
        env.set("NO_COLOR", "1");
        let seen = on_a_terminal(&env, &["doctor"]);
        assert!(!seen.contains("\x1b[3"), "{seen:?}");
    }
}
