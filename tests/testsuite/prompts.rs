//! bcconn's text, secret and scope prompts in a pseudo-terminal: the keys a
//! shell user expects, sent as the bytes a terminal sends, through real
//! commands; what they saved is read back from the records and the secrets
//! file.

use std::time::Duration;

use expectrl::{Eof, Expect};
use serde_json::Value;

use crate::common::{BIN, Env};
use crate::wizard::{CTRL_C, ENTER, ESC, Pty};

const CTRL_A: &str = "\x01";
const CTRL_D: &str = "\x04";
const CTRL_E: &str = "\x05";
const CTRL_K: &str = "\x0b";
const CTRL_U: &str = "\x15";
const CTRL_W: &str = "\x17";
const LEFT: &str = "\x1b[D";
const RIGHT: &str = "\x1b[C";
const HOME: &str = "\x1b[H";
const END: &str = "\x1b[F";
const DELETE: &str = "\x1b[3~";

/// Every secret in the home's secrets file (the file store).
fn secrets(env: &Env) -> Vec<String> {
    let text = env.secrets_text();
    if text.is_empty() {
        return Vec::new();
    }
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["secrets"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The saved iClients' client ids.
fn client_ids(env: &Env) -> Vec<String> {
    env.records()["iclients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap().to_string())
        .collect()
}

/// `bcconn iclient add app`, which asks for the client id (a text prompt)
/// and then the client secret (a hidden one).
fn iclient_add(env: &Env) -> Pty {
    Pty::spawn(env, &["iclient", "add", "app"])
}

/// Types `keys` at the client id prompt, then a secret; returns the saved
/// client id.
fn client_id_after(keys: &str) -> String {
    let env = Env::new();
    let mut t = iclient_add(&env);
    t.answer("Client id:", keys);
    t.answer("Client secret:", "s3cret\r");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    client_ids(&env).remove(0)
}

#[test]
fn ctrl_u_at_the_hidden_prompt_clears_what_was_typed() {
    let env = Env::new();
    let mut t = Pty::spawn(&env, &["iclient", "add", "app", "--client-id", "cid"]);
    t.answer("Client secret:", &format!("wrong{CTRL_U}good{ENTER}"));
    t.expect("✔ Client secret: (hidden)");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(secrets(&env), ["good"]);
    assert!(!t.seen.contains("good"), "the secret was drawn: {}", t.seen);
}

#[test]
fn every_editing_key_works_at_the_hidden_prompt() {
    let env = Env::new();
    let mut t = Pty::spawn(&env, &["iclient", "add", "app", "--client-id", "cid"]);
    // "one two" → Ctrl-W "one " → Ctrl-A, Delete "ne " → End "x" "ne x"
    // → Home → "O" "One x" → ← → Ctrl-K: nothing after the end.
    t.answer(
        "Client secret:",
        &format!(
            "one two{CTRL_W}{CTRL_A}{DELETE}{END}x{HOME}O{LEFT}{RIGHT}{CTRL_E}{CTRL_K}\x07{ENTER}"
        ),
    );
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(secrets(&env), ["One x"]);
}

#[test]
fn ctrl_w_then_ctrl_a_edit_a_text_prompt_as_a_shell_does() {
    let env = Env::new();
    let mut t = iclient_add(&env);
    // The issue's case: `hello world` Ctrl-W Ctrl-A `X` is `Xhello `.
    t.answer(
        "Client id:",
        &format!("hello world{CTRL_W}{CTRL_A}X{ENTER}"),
    );
    t.expect("✔ Client id: Xhello \r\n");
    t.answer("Client secret:", "s3cret\r");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    // The client id is saved trimmed.
    assert_eq!(client_ids(&env), ["Xhello"]);
}

#[test]
fn ctrl_k_arrows_home_end_and_delete() {
    // "abcXYZ" ←←← Ctrl-K "abc"; Home Delete "bc"; → "Q" "bQc"; End "9".
    let keys = format!("abcXYZ{LEFT}{LEFT}{LEFT}{CTRL_K}{HOME}{DELETE}{RIGHT}Q{END}9{ENTER}");
    assert_eq!(client_id_after(&keys), "bQc9");
}

#[test]
fn control_keys_and_alt_combinations_are_not_typed() {
    // Ctrl-G, Ctrl-T, Ctrl-L, Ctrl-X, Ctrl-Y, Tab and Alt-x do nothing.
    let keys = format!("ab\x07\x14\x0c\x18\x19\tcd\x1bxef{ENTER}");
    assert_eq!(client_id_after(&keys), "abcdef");
}

#[test]
fn a_refused_answer_stays_for_editing_with_the_error_under_it() {
    let env = Env::new();
    let mut t = iclient_add(&env);
    t.answer("Client id:", &format!("two words{ENTER}"));
    let frame = t.expect("is not a client id");
    assert!(frame.contains("? Client id: two words"), "{frame}");
    // Ctrl-W takes "words", Backspace the space: one word left.
    t.send(&format!("{CTRL_W}\x7f{ENTER}"));
    t.expect("✔ Client id: two\r\n");
    t.answer("Client secret:", "s3cret\r");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(client_ids(&env), ["two"]);
}

#[test]
fn esc_at_a_single_question_leaves_and_saves_nothing() {
    for (args, prompt) in [
        (&["iclient", "add", "app"][..], "Client id:"),
        (
            &["iclient", "add", "app", "--client-id", "cid"][..],
            "Client secret:",
        ),
    ] {
        let env = Env::new();
        let mut t = Pty::spawn(&env, args);
        // Esc last in what is read: followed by more bytes it would be an
        // Alt-combination.
        t.answer(prompt, &format!("typed{ESC}"));
        assert_eq!(t.finish(), 130, "{}", t.seen);
        assert!(t.seen.contains("nothing was saved"), "{}", t.seen);
        assert!(secrets(&env).is_empty(), "{args:?}");
        assert!(client_ids(&env).is_empty(), "{args:?}");
    }
}

#[test]
fn ctrl_c_and_ctrl_d_on_an_empty_line_leave() {
    for keys in [format!("half{CTRL_C}"), CTRL_D.to_string()] {
        let env = Env::new();
        let mut t = Pty::spawn(&env, &["iclient", "add", "app", "--client-id", "cid"]);
        t.answer("Client secret:", &keys);
        t.expect("? Client secret: <canceled>");
        assert_eq!(t.finish(), 130, "{keys:?}: {}", t.seen);
        assert!(secrets(&env).is_empty());
    }
}

#[test]
fn a_pasted_line_is_typed_without_its_newline() {
    let env = Env::new();
    let mut t = Pty::spawn(&env, &["iclient", "add", "app", "--client-id", "cid"]);
    // Bracketed paste, as a terminal sends it. Two lines are two values
    // (`line1line2` was saved before): refused, said under the prompt.
    t.answer("Client secret:", "\x1b[200~line1\r\nline2\x1b[201~");
    t.expect("more than one line");
    // A copied line's own newline does not submit; the escape does not edit.
    t.send("\x1b[200~pa\x1bsted\r\n\x1b[201~");
    t.send(ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(secrets(&env), ["pasted"]);
}

/// bcconn in a pseudo-terminal `cols` columns wide, set before it starts
/// (resizing a running one sends SIGWINCH, see `wizard::Pty::spawn`). The
/// shell waits for a line before setting it: the pty's 80 columns are set
/// by the spawning side after the fork, and must not come last.
fn spawn_sized(env: &Env, args: &[&str], cols: u16) -> expectrl::session::OsSession {
    let mut cmd = std::process::Command::new("sh");
    cmd.env_clear();
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm");
    cmd.arg("-c")
        .arg(format!(
            "read go && stty cols {cols} rows 24 && exec \"$0\" \"$@\""
        ))
        .arg(BIN)
        .args(args);
    let mut s = expectrl::Session::spawn(cmd).expect("spawn bcconn in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(10)));
    s.send("go\n").unwrap();
    s
}

#[test]
fn a_long_value_on_a_narrow_terminal_scrolls_and_is_kept_whole() {
    let env = Env::new();
    let mut s = spawn_sized(&env, &["iclient", "add", "app"], 40);
    s.expect("Client id:").unwrap();
    // Never repeating, so its end is drawn only once it is all typed.
    let long: String = (0..40).map(|i| format!("{i:03}")).collect();
    s.send(&long).unwrap();
    // The row being edited shows the end of the value, cut on the left,
    // never wider than the terminal.
    let tail = &long[long.len() - 20..];
    let frame = s.expect(tail).unwrap();
    let frame = String::from_utf8_lossy(frame.as_bytes()).into_owned();
    let last = frame.rsplit("? Client id: ").next().unwrap();
    assert!(last.starts_with('…'), "{last:?}");
    assert!(
        bcconn::ui::display_width(&format!("? Client id: {last}")) < 40,
        "{last:?}"
    );
    // Home: the start in view again, the cursor on it.
    s.send(format!("{HOME}X{ENTER}")).unwrap();
    s.expect(format!("✔ Client id: X{long}").as_str()).unwrap();
    s.expect("Client secret:").unwrap();
    s.send("s3cret\r").unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(client_ids(&env), [format!("X{long}")]);
}

#[test]
fn esc_in_the_scope_picker_clears_the_filter_and_answers_carry_a_mark() {
    let env = Env::new();
    crate::common::add_app(&env);
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "shop\r");
    t.answer("Authentication type:", ENTER);
    t.answer("Store hash:", "abc123\r");
    t.answer("Scopes: start from", ENTER); // Choose scopes…
    t.expect("space toggles");
    // NO_COLOR (the tests' environment): answered questions carry ✔, the
    // open one ?, so the two never look alike.
    for answered in [
        "✔ Connection name: shop\r\n",
        "✔ Authentication type: OAuth 2.0",
        "✔ Store hash: abc123\r\n",
        "✔ Scopes: start from Choose scopes…",
    ] {
        assert!(t.seen.contains(answered), "{answered:?}:\n{}", t.seen);
    }
    t.send(&format!("orders{RIGHT}"));
    t.expect("2 selected (of ");
    t.expect("· filter: orders (2 shown)");
    t.send(ESC);
    // All rows again, the filter gone from the prompt and the count line.
    let frame = t.expect("selected (of ");
    let frame = frame.rsplit("? Scopes:").next().unwrap().to_string();
    let frame = frame + &t.expect("[type to filter");
    // Rows the filter hid (the cursor keeps its row, so the page is
    // around the orders rows).
    assert!(frame.contains("[ ] Customers — read-only"), "{frame}");
    assert!(frame.contains("[x] Orders — modify"), "{frame}");
    assert!(!frame.contains("filter: orders"), "{frame}");
    assert!(frame.contains(" rows)\r\n"), "{frame}");
    assert!(frame.contains("2 selected (of "), "the ticks stay: {frame}");
    // The list is still open: Enter answers it.
    t.send(ENTER);
    t.expect("✔ Scopes: 2 selected");
}

/// A saved (never authorized) connection `shop`, for questions about it.
fn env_with_shop() -> Env {
    let env = Env::new();
    crate::common::add_app(&env);
    env.cmd(&[
        "create",
        "shop",
        "--store-hash",
        "abc123",
        "--iclient",
        "app",
        "--scopes",
        "store_v2_orders",
        "--no-authorize",
    ])
    .assert()
    .success();
    env
}

#[test]
fn confirm_questions_leave_on_esc_and_ctrl_c_and_mark_their_answer() {
    // inquire's confirm, kept: the same keys and the same answered mark.
    for keys in [ESC, CTRL_C] {
        let env = env_with_shop();
        let mut t = Pty::spawn(&env, &["delete", "shop"]);
        t.answer("Delete connection \"shop\"?", keys);
        assert_eq!(t.finish(), 130, "{keys:?}: {}", t.seen);
        assert_eq!(env.list().len(), 1, "{keys:?}");
    }
    let env = env_with_shop();
    let mut t = Pty::spawn(&env, &["delete", "shop"]);
    t.answer("Delete connection \"shop\"?", &format!("n{ENTER}"));
    t.expect("✔ Delete connection \"shop\"? No");
    t.expect("Nothing deleted.");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(env.list().len(), 1);
}

#[test]
fn jamo_pasted_before_its_pair_at_the_start_of_a_long_line_is_drawn() {
    // The review's case at 80 columns: `ᄀ` and 100 `b`, Ctrl-A, then 40
    // `ᄀ` pasted (leading jamo join into one grapheme with the first):
    // the cursor was left inside it and the redraw panicked.
    let env = Env::new();
    let mut t = iclient_add(&env);
    t.answer("Client id:", &format!("\u{1100}{}", "b".repeat(100)));
    t.send(CTRL_A);
    t.send(&format!("\x1b[200~{}\x1b[201~", "\u{1100}".repeat(40)));
    // Still open and editing: clear it and answer.
    t.send(&format!("{CTRL_E}{CTRL_U}cid{ENTER}"));
    t.expect("✔ Client id: cid\r\n");
    t.answer("Client secret:", "s3cret\r");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(!t.seen.contains("panicked"), "{}", t.seen);
    assert_eq!(client_ids(&env), ["cid"]);
}

#[test]
fn a_100_kb_paste_is_cut_to_16_kib_and_the_prompt_says_so() {
    let env = Env::new();
    let mut t = Pty::spawn(&env, &["iclient", "add", "app", "--client-id", "cid"]);
    let paste: String = (0..100_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    t.answer("Client secret:", &format!("\x1b[200~{paste}\x1b[201~"));
    t.expect("# cut at 16 KiB, the most a line holds; the rest was left out");
    t.send(ENTER);
    t.expect("✔ Client secret: (hidden)");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(secrets(&env), [paste[..16 * 1024].to_string()]);
}

/// The walk-through's summary at 60 columns: long lines (the scope list,
/// the iClient) wrap under their value at a space, never cut mid-word at
/// the terminal's edge.
#[test]
fn the_summary_wraps_to_a_narrow_terminal_between_words() {
    let env = Env::new();
    crate::common::add_app(&env);
    let scopes = "store_v2_orders,store_v2_customers_read_only,store_fulfillment_methods_read_only";
    let args = [
        "create",
        "shop",
        "--store-hash",
        "abc123",
        "--iclient",
        "app",
        "--scopes",
        scopes,
        "--concurrency",
        "2",
        "--interactive",
    ];
    let mut s = spawn_sized(&env, &args, 60);
    let seen = s.expect("Save?").unwrap();
    let seen = String::from_utf8_lossy(seen.as_bytes()).into_owned();
    let summary = &seen[seen.find("Summary").unwrap_or(0)..];
    for line in summary.lines().filter(|l| !l.contains('\x1b')) {
        assert!(
            bcconn::ui::display_width(line.trim_end_matches('\r')) <= 60,
            "{line:?} in\n{summary}"
        );
    }
    for scope in scopes.split(',') {
        assert!(
            summary
                .split(|c: char| c.is_whitespace() || c == ',')
                .any(|w| w == scope),
            "{scope} is not whole in\n{summary}"
        );
    }
    // Nothing was typed (flags gave every answer): Ctrl-C leaves at once.
    s.send(CTRL_C).unwrap();
    s.expect("nothing was saved").unwrap();
    s.expect(Eof).unwrap();
}
