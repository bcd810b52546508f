//! The `bcconn create` walk-through, driven through a pseudo-terminal: the
//! real binary, real inquire prompts, keys sent as a person types them. The
//! OAuth run goes all the way through the fake BigCommerce and fake browser.

use std::time::Duration;

use crate::common::fake_bc::FakeBc;
use crate::common::{Env, child_port, fake_browser};
use expectrl::process::unix::WaitStatus;
use expectrl::{Eof, Expect, session::OsSession};
use serde_json::Value;

const CLIENT_ID: &str = "wizardclientid42";
const SECRET: &str = "wizard-secret-Hk3Lq9Vt";
const HASH: &str = "abc123";

pub(crate) const ENTER: &str = "\r";
pub(crate) const DOWN: &str = "\x1b[B";
pub(crate) const RIGHT: &str = "\x1b[C";
pub(crate) const ESC: &str = "\x1b";
pub(crate) const CTRL_C: &str = "\x03";

/// bcconn in a pty, with a transcript of everything it drew so far for
/// failure messages.
pub(crate) struct Pty {
    session: OsSession,
    pub(crate) seen: String,
}

impl Pty {
    pub(crate) fn spawn(env: &Env, args: &[&str]) -> Pty {
        let mut env_vars = env.std_cmd(args);
        env_vars.env("TERM", "xterm");
        // The pty keeps its default size: resizing it sends SIGWINCH, and
        // crossterm 0.29 drops keys that arrive together with a resize (its
        // edge-triggered poll returns the Resize and forgets the input). The
        // byte stream holds whole lines at any width, so matching is unaffected.
        let mut session = expectrl::Session::spawn(env_vars).expect("spawn bcconn in a pty");
        session.set_expect_timeout(Some(Duration::from_secs(10)));
        Pty {
            session,
            seen: String::new(),
        }
    }

    /// Waits for `text`; returns what was drawn before it (and it).
    pub(crate) fn expect(&mut self, text: &str) -> String {
        match self.session.expect(text) {
            Ok(found) => {
                let chunk = String::from_utf8_lossy(found.as_bytes()).into_owned();
                self.seen.push_str(&chunk);
                chunk
            }
            Err(e) => {
                let rest = self.unread();
                // Where bcconn is stuck, e.g. "do_epoll_wait": waiting for keys.
                let pid = self.session.get_process().pid();
                let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan"))
                    .unwrap_or_else(|_| "(gone)".into());
                panic!(
                    "waiting for {text:?}: {e}\n--- drawn so far ---\n{}\n--- then ---\n{rest}\n--- bcconn waits in: {wchan}",
                    self.seen
                )
            }
        }
    }

    /// Whatever was drawn but not yet matched, for failure messages.
    pub(crate) fn unread(&mut self) -> String {
        let mut rest = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            rest.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&rest).into_owned()
    }

    pub(crate) fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("send keys");
    }

    /// Waits for `prompt`, then types `keys`.
    pub(crate) fn answer(&mut self, prompt: &str, keys: &str) {
        self.expect(prompt);
        self.send(keys);
    }

    /// Reads to the end and returns the exit code.
    pub(crate) fn finish(&mut self) -> i32 {
        self.session
            .set_expect_timeout(Some(Duration::from_secs(60)));
        match self.session.expect(Eof) {
            Ok(rest) => self
                .seen
                .push_str(&String::from_utf8_lossy(rest.as_bytes())),
            Err(e) => panic!("waiting for exit: {e}\n--- drawn so far ---\n{}", self.seen),
        }
        match self.session.get_process().wait().expect("wait") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("bcconn ended with {other:?}\n{}", self.seen),
        }
    }
}

/// Backspaces enough to clear a rejected answer (inquire keeps it for editing).
pub(crate) fn erase(text: &str) -> String {
    "\x7f".repeat(text.chars().count())
}

fn connection(env: &Env, name: &str) -> Value {
    env.list()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no connection {name:?} in {:?}", env.list()))
}

fn record_connection(env: &Env, name: &str) -> Value {
    env.records()["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no connection {name:?} in the record file"))
}

/// A saved iClient and connection, so "unchanged" compares real files.
fn env_with_records() -> Env {
    let env = Env::new();
    env.add_iclient("app", CLIENT_ID, SECRET, "http://127.0.0.1:8765/auth");
    env.cmd(&[
        "create",
        "Shop",
        "--store-hash",
        HASH,
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
fn oauth_create_with_a_new_iclient_ends_authorized() {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    fake.register_app(CLIENT_ID, SECRET, &callback, &["store_v2_orders"]);
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);

    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "shop\r");
    t.answer("Authentication type:", ENTER); // OAuth 2.0, the default
    t.answer(
        "Store hash:",
        &format!("https://store-{HASH}.mybigcommerce.com/manage\r"),
    );
    t.expect(&format!("→ store hash {HASH}"));
    // Presets: Choose…, Read-only everything, Catalog, Orders.
    t.answer("Scopes: start from", &format!("{DOWN}{DOWN}{DOWN}{ENTER}"));
    // The picker opens at the first scope the preset ticked.
    t.expect("> [x] Customers — read-only  (store_v2_customers_read_only)");
    t.expect("space toggles");
    t.send(ENTER);
    t.expect("No iClient saved yet");
    t.answer("iClient name:", "app\r");
    t.answer("Client ID:", &format!("{CLIENT_ID}\r"));
    t.answer("Client secret:", &format!("{SECRET}\r"));
    t.answer("Callback URL:", &format!("{callback}\r"));
    t.expect(&format!("Callback URL: {callback}"));
    t.expect("Edit App › Technical");
    t.answer("Change advanced settings (concurrency)?", ENTER);
    let summary = t.expect("Save?");
    assert!(summary.contains("store_v2_orders"), "{summary}");
    assert!(
        summary.contains("app (client id wizardclientid42; new"),
        "{summary}"
    );
    t.send(ENTER); // Save & authorize
    let code = t.finish();
    assert_eq!(code, 0, "{}", t.seen);
    assert!(t.seen.contains("Token verified"), "{}", t.seen);
    // The secret prompt echoes nothing.
    assert!(!t.seen.contains(SECRET), "the secret was drawn: {}", t.seen);

    let conn = connection(&env, "shop");
    assert_eq!(conn["state"], "authorized", "{conn}");
    let token = env.cmd(&["token", "shop"]).output().unwrap();
    assert!(token.status.success());
    assert_eq!(
        String::from_utf8_lossy(&token.stdout).trim(),
        fake.issued_tokens()[0]
    );
    let rec = record_connection(&env, "shop");
    assert_eq!(
        rec["scopes"],
        serde_json::json!([
            "store_v2_customers_read_only",
            "store_fulfillment_methods_read_only",
            "store_v2_orders",
            "store_order_fulfillment_manage",
            "store_v2_transactions_read_only"
        ])
    );
    let iclient = &env.records()["iclients"][0];
    assert_eq!(iclient["name"], "app");
    assert_eq!(iclient["callback_url"], callback.as_str());
    assert_eq!(rec["iclient_id"], iclient["id"]);
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[test]
fn existing_iclient_and_select_all_saves_every_store_scope() {
    let env = Env::new();
    env.add_iclient("app", CLIENT_ID, SECRET, "http://127.0.0.1:8765/auth");
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "everything\r");
    t.answer("Authentication type:", ENTER);
    t.answer("Store hash:", "abc123\r");
    t.answer("Scopes: start from", ENTER); // Choose scopes…
    t.expect("→ selects all");
    t.send(RIGHT);
    t.expect("[x] App Extensions — manage");
    t.send(ENTER);
    let picked = t.expect("iClient (your app's client id and secret):");
    assert!(picked.contains("selected"), "{picked}");
    t.expect("app  (client id wizardclientid42)");
    t.send(ENTER);
    t.expect("Callback URL: http://127.0.0.1:8765/auth");
    t.answer("Change advanced settings", ENTER);
    t.answer("Save?", &format!("{DOWN}{ENTER}")); // Save only
    assert_eq!(t.finish(), 0, "{}", t.seen);

    // "→" is the same as --all-scopes.
    env.cmd(&[
        "create",
        "flagged",
        "--store-hash",
        HASH,
        "--iclient",
        "app",
        "--all-scopes",
        "--no-authorize",
    ])
    .assert()
    .success();
    let picked = record_connection(&env, "everything");
    let flagged = record_connection(&env, "flagged");
    assert_eq!(picked["scopes"], flagged["scopes"]);
    assert!(picked["scopes"].as_array().unwrap().len() > 30, "{picked}");
    assert!(
        !picked["scopes"]
            .as_array()
            .unwrap()
            .contains(&Value::from("store_v2_products_read_only")),
        "the read-only twin is dropped: {picked}"
    );
    assert_eq!(picked["state"], "pending");
    assert_eq!(picked["iclient_id"], env.records()["iclients"][0]["id"]);
}

#[test]
fn token_create_takes_the_token_at_a_hidden_prompt() {
    let fake = FakeBc::start();
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let token = "wizardtokenzzzz9999aaaa";
    fake.add_token(token, HASH, &["store_v2_information_read_only"]);
    let env = Env::with_fake(&fake);

    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "tok\r");
    t.answer("Authentication type:", &format!("{DOWN}{ENTER}"));
    t.answer("Type or paste the access token", ENTER);
    t.answer("input is hidden", &format!("{token}\r"));
    t.answer("Store hash:", "abc123\r");
    let between = t.expect("Change advanced settings");
    assert!(!between.contains("Scopes"), "{between}");
    assert!(!between.contains("Callback URL"), "{between}");
    t.send(ENTER);
    t.expect("API-account token");
    t.answer("Save?", ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(!t.seen.contains(token), "the token was drawn: {}", t.seen);

    let conn = connection(&env, "tok");
    assert_eq!(conn["state"], "authorized", "{conn}");
    assert_eq!(conn["auth_type"], "token", "{conn}");
    let out = env.cmd(&["token", "tok"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), token);
}

#[cfg(unix)]
#[test]
fn the_credentials_file_prompt_refuses_a_fifo_without_hanging() {
    let env = Env::new();
    let fifo = env.dir.path().join("fifo.txt");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a plain libc call with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let fifo = fifo.to_str().unwrap();
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "tok\r");
    t.answer("Authentication type:", &format!("{DOWN}{ENTER}"));
    t.answer("Read the API credentials .txt", &format!("{DOWN}{ENTER}"));
    t.answer("Path to the API credentials .txt:", &format!("{fifo}\r"));
    // Asked again with the reason, not stuck reading the FIFO.
    t.expect("not a regular file");
    t.send(&format!("{}/dev/zero\r", erase(fifo)));
    t.expect("/dev/zero is");
    t.send(CTRL_C);
    t.answer("Leave without saving?", "y\r");
    assert_eq!(t.finish(), 130, "{}", t.seen);
    assert!(env.list().is_empty());
}

#[test]
fn a_taken_name_is_asked_again_naming_the_existing_one() {
    let env = env_with_records();
    let before = env.record_bytes();
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "shop\r");
    t.expect("a connection named \"Shop\" already exists");
    t.send(&format!("{}shop-2\r", erase("shop")));
    t.answer("Authentication type:", CTRL_C);
    t.answer("Leave without saving?", &format!("y{ENTER}"));
    assert_eq!(t.finish(), 130, "{}", t.seen);
    assert!(
        t.seen.contains("Cancelled; nothing was saved."),
        "{}",
        t.seen
    );
    assert_eq!(env.record_bytes(), before);
}

#[test]
fn a_bad_store_hash_is_asked_again_with_the_hint() {
    let env = env_with_records();
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "x\r");
    t.answer("Authentication type:", ENTER);
    let bad = "kittens.mybigcommerce.com";
    t.answer("Store hash:", &format!("{bad}\r"));
    t.expect("kittens.mybigcommerce.com is a vanity/storefront domain");
    t.expect("Store-level API accounts shows the API path");
    t.send(&format!(
        "{}https://store-def456.mybigcommerce.com/manage/dashboard\r",
        erase(bad)
    ));
    t.expect("→ store hash def456");
    t.answer("Scopes: start from", CTRL_C);
    t.answer("Leave without saving?", &format!("y{ENTER}"));
    assert_eq!(t.finish(), 130, "{}", t.seen);
}

#[test]
fn flags_are_not_asked_again_and_the_store_suggests_the_name() {
    let env = Env::new();
    env.add_iclient("app", CLIENT_ID, SECRET, "http://127.0.0.1:8765/auth");
    let mut t = Pty::spawn(
        &env,
        &[
            "create",
            "--store-hash",
            "https://api.bigcommerce.com/stores/fed789/v3/",
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
        ],
    );
    t.answer("Connection name:", ENTER); // the suggestion: the store hash
    let between = t.expect("Change advanced settings");
    for asked in ["Authentication type", "Store hash:", "Scopes:", "iClient ("] {
        assert!(!between.contains(asked), "{asked} was asked:\n{between}");
    }
    assert!(
        between.contains("Callback URL: http://127.0.0.1:8765/auth"),
        "{between}"
    );
    t.send(&format!("y{ENTER}"));
    t.answer("Concurrency level:", "30\r");
    t.expect("enter a whole number from 1 to 25");
    t.send(&format!("{}7\r", erase("30")));
    t.answer("Save?", &format!("{DOWN}{ENTER}"));
    assert_eq!(t.finish(), 0, "{}", t.seen);
    let rec = record_connection(&env, "fed789");
    assert_eq!(rec["concurrency"], 7);
    assert_eq!(rec["scopes"], serde_json::json!(["store_v2_orders"]));
}

#[test]
fn cancel_at_the_summary_leaves_everything_as_it_was() {
    let env = env_with_records();
    let (records, secrets) = (env.record_bytes(), env.secrets_text());
    assert!(!secrets.is_empty());
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "new-one\r");
    t.answer("Authentication type:", ENTER);
    t.answer("Store hash:", "abc123\r");
    t.answer("Scopes: start from", &format!("{DOWN}{DOWN}{ENTER}"));
    t.answer("space toggles", ENTER);
    t.expect("+ Add new iClient");
    t.send(&format!("{DOWN}{ENTER}"));
    t.answer("iClient name:", "second\r");
    t.answer("Client ID:", "otherclient\r");
    t.answer("Client secret:", "another-secret-value\r");
    t.answer("Callback URL:", ENTER);
    t.answer("Change advanced settings", ENTER);
    t.answer("Save?", &format!("{DOWN}{DOWN}{DOWN}{ENTER}")); // Cancel
    assert_eq!(t.finish(), 130, "{}", t.seen);
    assert!(
        t.seen.contains("Cancelled; nothing was saved."),
        "{}",
        t.seen
    );
    assert_eq!(env.record_bytes(), records, "the record file changed");
    assert_eq!(env.secrets_text(), secrets, "the secrets file changed");
    assert_eq!(env.records()["iclients"].as_array().unwrap().len(), 1);
}

#[test]
fn ctrl_c_in_the_middle_leaves_everything_as_it_was() {
    let env = env_with_records();
    let (records, secrets) = (env.record_bytes(), env.secrets_text());
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "new-one\r");
    t.answer("Authentication type:", ENTER);
    t.answer("Store hash:", "abc123\r");
    t.answer("Scopes: start from", ENTER);
    t.answer("space toggles", &format!("{RIGHT}{ENTER}"));
    t.expect("+ Add new iClient");
    t.send(&format!("{DOWN}{ENTER}"));
    t.answer("iClient name:", "second\r");
    t.answer("Client ID:", "otherclient\r");
    t.answer("Client secret:", &format!("half-typed{CTRL_C}"));
    // Answers were given: leaving asks first.
    t.answer("Leave without saving? (y/N)", &format!("y{ENTER}"));
    assert_eq!(t.finish(), 130, "{}", t.seen);
    assert!(
        t.seen.contains("Cancelled; nothing was saved."),
        "{}",
        t.seen
    );
    assert_eq!(env.record_bytes(), records, "the record file changed");
    assert_eq!(env.secrets_text(), secrets, "the secrets file changed");
}

#[test]
fn without_a_terminal_missing_flags_fail_fast() {
    let env = Env::new();
    let out = env
        .std_cmd(&["create", "--store-hash", HASH])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for flag in ["NAME", "--scopes", "--iclient"] {
        assert!(stderr.contains(flag), "{flag} not named: {stderr}");
    }
    assert!(!stderr.contains("--store-hash HASH"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(!env.record_path().exists());
}

// The scope picker (bcconn's own widget, not inquire's): the filter matches
// words, → and ← act on the rows shown, and the count line is always drawn.

const LEFT: &str = "\x1b[D";
const HOME: &str = "\x1b[H";

/// How many scopes the picker offers: store and token-creation scopes.
fn offered_scopes() -> usize {
    use bcconn::bigcommerce::scopes::{CATALOG, Group};
    CATALOG
        .iter()
        .filter(|s| matches!(s.group, Group::Store | Group::TokenCreation))
        .count()
}

/// Walks to the scope picker with "Choose scopes…" (nothing ticked), with
/// a saved iClient to pick afterwards.
fn at_the_scope_picker(env: &Env, name: &str) -> Pty {
    env.add_iclient("app", CLIENT_ID, SECRET, "http://127.0.0.1:8765/auth");
    let mut t = Pty::spawn(env, &["create"]);
    t.answer("Connection name:", &format!("{name}\r"));
    t.answer("Authentication type:", ENTER);
    t.answer("Store hash:", &format!("{HASH}\r"));
    t.answer("Scopes: start from", ENTER); // Choose scopes…
    t
}

/// From the picker's answer to "Save only", with the saved iClient.
fn save_only(t: &mut Pty) {
    t.answer("iClient (your app's client id and secret):", ENTER);
    t.answer("Change advanced settings", ENTER);
    t.answer("Save?", &format!("{DOWN}{ENTER}"));
    assert_eq!(t.finish(), 0, "{}", t.seen);
}

#[test]
fn scope_filter_shows_order_rows_and_select_all_ticks_only_those() {
    let env = Env::new();
    let total = offered_scopes();
    let mut t = at_the_scope_picker(&env, "orders-only");
    t.expect(&format!("0 selected (of {total} rows)"));
    t.expect("space toggles");
    t.send("orders");
    t.expect(&format!(
        "0 selected (of {total} rows) · filter: orders (2 shown)"
    ));
    // One more key, one more frame: what the filter shows, and only that.
    t.send(DOWN);
    let frame = t.expect(&format!(
        "0 selected (of {total} rows) · filter: orders (2 shown)"
    ));
    assert!(
        frame.contains("? Scopes: orders"),
        "the filter is typed on the prompt line: {frame}"
    );
    assert!(
        frame.contains("  [ ] Orders — modify  (store_v2_orders)"),
        "{frame}"
    );
    assert!(
        frame.contains("> [ ] Orders — read-only  (store_v2_orders_read_only)"),
        "{frame}"
    );
    assert!(!frame.contains("Customers"), "{frame}");
    assert!(!frame.contains("Order Fulfillment"), "{frame}");
    t.send(RIGHT);
    t.expect(&format!(
        "2 selected (of {total} rows) · filter: orders (2 shown)"
    ));
    t.send(&erase("orders"));
    // Without a filter the count line ends the list, before the help.
    t.expect(&format!("2 selected (of {total} rows)\r\n[type to filter"));
    t.send(ENTER);
    t.expect("✔ Scopes: 2 selected");
    t.expect("left out store_v2_orders_read_only");
    save_only(&mut t);

    let conn = connection(&env, "orders-only");
    // Normalized: the modify scope covers its read-only twin.
    assert_eq!(
        conn["scopes"],
        serde_json::json!(["store_v2_orders"]),
        "{conn}"
    );
}

#[test]
fn clear_unticks_the_rows_shown_and_keeps_hidden_ticks() {
    let env = Env::new();
    let total = offered_scopes();
    let mut t = at_the_scope_picker(&env, "kept");
    t.expect("> [ ] App Extensions — manage  (store_app_extensions_manage)");
    t.expect("space toggles");
    // Nothing ticked: Enter is refused, under the list.
    t.send(ENTER);
    t.expect("# choose at least one scope");
    t.send(" ");
    t.expect(&format!("1 selected (of {total} rows)"));
    t.send("orders");
    t.expect("· filter: orders (2 shown)");
    t.send(RIGHT);
    t.expect(&format!(
        "3 selected (of {total} rows) · filter: orders (2 shown)"
    ));
    t.send(LEFT);
    t.expect(&format!(
        "1 selected (of {total} rows) · filter: orders (2 shown)"
    ));
    t.send(&erase("orders"));
    t.expect(&format!("1 selected (of {total} rows)\r\n[type to filter"));
    t.send(HOME);
    let frame = t.expect(&format!("1 selected (of {total} rows)\r\n[type to filter"));
    assert!(
        frame.contains("> [x] App Extensions — manage  (store_app_extensions_manage)"),
        "the first row stays ticked: {frame}"
    );
    assert!(
        frame.contains("  [ ] Carts — modify  (store_cart)"),
        "{frame}"
    );
    t.send(ENTER);
    t.expect("✔ Scopes: 1 selected");
    save_only(&mut t);

    let conn = connection(&env, "kept");
    assert_eq!(
        conn["scopes"],
        serde_json::json!(["store_app_extensions_manage"]),
        "{conn}"
    );
}

#[test]
fn ctrl_c_in_the_scope_picker_cancels_and_saves_nothing() {
    let env = Env::new();
    let mut t = at_the_scope_picker(&env, "never");
    t.answer("space toggles", &format!(" {CTRL_C}"));
    t.expect("? Scopes: <canceled>");
    t.answer("Leave without saving?", &format!("y{ENTER}"));
    assert_eq!(t.finish(), 130, "{}", t.seen);
    assert!(
        t.seen.contains("Cancelled; nothing was saved."),
        "{}",
        t.seen
    );
    assert!(env.list().is_empty());
}

/// The app of the tests below, which keep a person's work across steps.
const EDIT_CLIENT_ID: &str = "morewizardclient";
const EDIT_SECRET: &str = "more-wizard-secret-Zx81";

fn fake_with_app(callback: &str) -> FakeBc {
    let fake = FakeBc::start();
    fake.register_app(EDIT_CLIENT_ID, EDIT_SECRET, callback, &["store_v2_orders"]);
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    fake
}

fn show(env: &Env, name: &str) -> Value {
    let out = env.cmd(&["show", name, "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_unservable_callback_url_is_fixed_at_its_step_and_nothing_is_lost() {
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    let fake = fake_with_app(&callback);
    let env = Env::with_fake(&fake);
    let mut t = Pty::spawn(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--scopes",
            "store_v2_orders",
        ],
    );
    t.expect("No iClient saved yet");
    t.answer("iClient name:", "app\r");
    t.answer("Client ID:", &format!("{EDIT_CLIENT_ID}\r"));
    t.answer("Client secret:", &format!("{EDIT_SECRET}\r"));
    // An HTTPS tunnel URL: nothing here can listen on it.
    t.answer("Callback URL:", "https://abc.tunnel.example/auth\r");
    let said = t.expect("How should BigCommerce's answer reach bcconn?");
    assert!(said.contains("cannot receive the callback here"), "{said}");
    assert!(said.contains("not on this machine"), "{said}");
    t.expect("Use another callback URL");
    t.send(&format!("{DOWN}{DOWN}{ENTER}"));
    t.answer("Callback URL:", &format!("{callback}\r"));
    t.expect(&format!("Callback URL: {callback}"));
    t.answer("Change advanced settings (concurrency)?", ENTER);
    let summary = t.expect("Save?");
    assert!(
        summary.contains("app (client id morewizardclient; new"),
        "{summary}"
    );
    t.send(ENTER); // Save & authorize
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(show(&env, "shop")["state"], "authorized");
    // The iClient was saved as finally entered, its secret with it.
    let iclient = &env.records()["iclients"][0];
    assert_eq!(iclient["name"], "app");
    assert_eq!(iclient["callback_url"], callback.as_str());
    assert!(env.secrets_text().contains(EDIT_SECRET));
}

#[test]
fn an_iclient_is_edited_without_leaving_create() {
    let old = format!("http://127.0.0.1:{}/auth", child_port());
    let new = format!("http://127.0.0.1:{}/auth", child_port());
    // The app's registered URL is the new one: the edit is what makes it work.
    let fake = fake_with_app(&new);
    let env = Env::with_fake(&fake);
    env.add_iclient("app", EDIT_CLIENT_ID, EDIT_SECRET, &old);
    assert!(
        env.cmd(&[
            "create",
            "first",
            "--store-hash",
            "def456",
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--no-authorize",
            "--yes"
        ])
        .output()
        .unwrap()
        .status
        .success()
    );
    let mut t = Pty::spawn(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--scopes",
            "store_v2_orders",
        ],
    );
    t.expect("✎ Edit an iClient");
    t.send(&format!("{DOWN}{DOWN}{ENTER}"));
    let said = t.expect("Client ID:");
    assert!(said.contains("Used by \"first\""), "{said}");
    assert!(said.contains("a new client id makes those"), "{said}");
    t.send(ENTER); // keep the client id
    t.answer("Callback URL:", &format!("{new}\r"));
    t.answer("Replace the client secret?", ENTER); // no
    t.expect(&format!("Callback URL: {new}"));
    t.answer("Change advanced settings (concurrency)?", ENTER);
    let summary = t.expect("Save?");
    // The summary wraps to the terminal: compare its words.
    let words = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("edited, saved with the connection"),
        "{summary}"
    );
    t.send(ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(t.seen.contains("Updated iClient \"app\""), "{}", t.seen);
    assert_eq!(show(&env, "shop")["state"], "authorized");
    assert_eq!(env.records()["iclients"][0]["callback_url"], new.as_str());
    assert_eq!(show(&env, "first")["iclient"], "app");
}

#[test]
fn edit_walks_the_settings_prefilled() {
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    let fake = fake_with_app(&callback);
    let env = Env::with_fake(&fake);
    env.add_iclient("app", EDIT_CLIENT_ID, EDIT_SECRET, &callback);
    env.add_iclient("other-app", "anotherclientid", "other-secret-1", &callback);
    let out = env
        .cmd(&[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--concurrency",
            "2",
            "--yes",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(show(&env, "shop")["state"], "authorized");
    let mut t = Pty::spawn(&env, &["edit", "shop"]);
    t.expect("Scopes:");
    t.expect("Keep its 1 scope (store_v2_orders)");
    t.send(ENTER);
    t.expect("app  (client id morewizardclient)  ← now");
    t.send(&format!("{DOWN}{ENTER}"));
    t.expect("goes back to pending");
    t.expect("Keep: its own level, 2");
    t.send(&format!("{DOWN}{ENTER}"));
    t.answer("Concurrency level:", "4\r");
    let summary = t.expect("Save these changes?");
    assert!(summary.contains("iClient      other-app"), "{summary}");
    assert!(summary.contains("concurrency  4"), "{summary}");
    t.send(ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    let shop = show(&env, "shop");
    assert_eq!(shop["iclient"], "other-app");
    assert_eq!(shop["concurrency"], 4);
    assert_eq!(shop["state"], "pending");
    assert_eq!(shop["scopes"], serde_json::json!(["store_v2_orders"]));
}

#[test]
fn a_headless_terminal_takes_the_pasted_landing_address() {
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    let fake = fake_with_app(&callback);
    let mut env = Env::with_fake(&fake);
    env.add_iclient("app", EDIT_CLIENT_ID, EDIT_SECRET, &callback);
    assert!(
        env.cmd(&[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--no-authorize",
            "--yes"
        ])
        .output()
        .unwrap()
        .status
        .success()
    );
    // No browser command and no display: a headless Linux machine.
    env.set("BCCONN_BROWSER", "");
    let mut t = Pty::spawn(&env, &["authorize", "shop", "--timeout", "30"]);
    let said = t.expect("Address:");
    assert!(said.contains("No browser can open here"), "{said}");
    assert!(said.contains("paste here the address"), "{said}");
    let url = said
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("http") && l.contains("/oauth2/authorize"))
        .unwrap_or_else(|| panic!("no URL in {said}"))
        .to_string();
    // On another machine, the person confirms; the browser lands on the
    // callback URL, which they copy back here.
    let landed = fake_browser::consent_redirect(&url);
    // An empty Enter asks again, without a warning; a wrong paste warns.
    t.send(ENTER);
    let asked = t.expect("Address:");
    assert!(!asked.contains("warning"), "{asked}");
    t.send("not an address\r");
    let warned = t.expect("Address:");
    assert!(
        warned.contains("warning: that is not a URL; paste the whole address"),
        "{warned}"
    );
    t.send(&format!("{landed}\r"));
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(t.seen.contains("Token verified"), "{}", t.seen);
    assert_eq!(show(&env, "shop")["state"], "authorized");
}

// Going back and losing nothing: Esc is one step back, leaving asks once
// answers were given, the summary can change any step, and a failed
// authorization comes back to the step at fault.

#[test]
fn esc_goes_back_one_step_keeping_the_earlier_answer() {
    let env = env_with_records();
    let before = env.record_bytes();
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", "kept-name\r");
    t.answer("Authentication type:", ENTER);
    t.answer("Store hash:", "def456\r");
    t.answer("Scopes: start from", ESC);
    // Back at the store hash, with the earlier answer in the line.
    t.expect("Store hash: def456");
    t.send(ESC);
    t.expect("Authentication type:");
    t.send(ESC);
    t.expect("Connection name: kept-name");
    // Enter takes the prefilled answer, and every later step has its own.
    t.send(ENTER);
    t.answer("Authentication type:", ENTER);
    t.expect("Store hash: def456");
    t.send(ENTER);
    t.expect("→ store hash def456");
    t.answer("Scopes: start from", CTRL_C);
    t.answer("Leave without saving? (y/N)", &format!("y{ENTER}"));
    assert_eq!(t.finish(), 130, "{}", t.seen);
    assert_eq!(env.record_bytes(), before);
}

#[test]
fn ctrl_c_after_answers_asks_before_leaving_and_no_stays() {
    let env = Env::new();
    env.add_iclient("app", CLIENT_ID, SECRET, "http://127.0.0.1:8765/auth");
    let mut t = Pty::spawn(&env, &["create"]);
    // Nothing answered yet: Ctrl-C would leave at once; answer one first.
    t.answer("Connection name:", "stay\r");
    t.answer("Authentication type:", CTRL_C);
    t.answer("Leave without saving? (y/N)", ENTER); // No
    t.answer("Authentication type:", ENTER);
    t.answer("Store hash:", &format!("{HASH}\r"));
    t.answer("Scopes: start from", &format!("{DOWN}{DOWN}{DOWN}{ENTER}"));
    t.answer("space toggles", ENTER);
    save_only(&mut t);
    assert_eq!(connection(&env, "stay")["state"], "pending");
}

#[test]
fn ctrl_c_before_any_answer_leaves_at_once() {
    let env = Env::new();
    let mut t = Pty::spawn(&env, &["create"]);
    t.answer("Connection name:", CTRL_C);
    assert_eq!(t.finish(), 130, "{}", t.seen);
    assert!(!t.seen.contains("Leave without saving?"), "{}", t.seen);
}

#[test]
fn change_a_step_at_the_summary_reasks_it_and_returns() {
    let env = Env::new();
    env.add_iclient("app", CLIENT_ID, SECRET, "http://127.0.0.1:8765/auth");
    let mut t = Pty::spawn(
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
            "--interactive",
        ],
    );
    t.answer("Change advanced settings (concurrency)?", ENTER);
    t.expect("Save?");
    t.answer("Change a step", &format!("{DOWN}{DOWN}{ENTER}"));
    // The steps by name, with their values.
    let list = t.expect("Concurrency: 1");
    for row in [
        "Connection name: shop",
        "Authentication type: OAuth 2.0",
        "Store hash: abc123",
        "Scopes: 1 scope",
        "iClient: app (client id wizardclientid42)",
    ] {
        assert!(list.contains(row), "{row} not listed:\n{list}");
    }
    t.send(&format!("{DOWN}{DOWN}{DOWN}{ENTER}")); // Scopes
    t.expect("The 1 scope chosen before");
    // Before, Choose…, Read-only everything, Catalog, Orders.
    t.send(&format!("{DOWN}{DOWN}{DOWN}{DOWN}{ENTER}"));
    t.answer("space toggles", ENTER);
    // Straight back to the summary, with the new scopes.
    let summary = t.expect("Save?");
    assert!(summary.contains("5 scopes"), "{summary}");
    assert!(!summary.contains("iClient ("), "{summary}");
    t.expect("Change a step");
    t.send(&format!("{DOWN}{ENTER}")); // Save only
    assert_eq!(t.finish(), 0, "{}", t.seen);
    let rec = record_connection(&env, "shop");
    assert_eq!(rec["scopes"].as_array().unwrap().len(), 5, "{rec}");
}

#[test]
fn every_required_flag_given_asks_nothing_more() {
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    let fake = fake_with_app(&callback);
    let env = Env::with_fake(&fake);
    env.add_iclient("app", EDIT_CLIENT_ID, EDIT_SECRET, &callback);
    let mut t = Pty::spawn(
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
        ],
    );
    assert_eq!(t.finish(), 0, "{}", t.seen);
    for asked in ["Change advanced settings", "Save?", "? "] {
        assert!(!t.seen.contains(asked), "{asked:?} was asked:\n{}", t.seen);
    }
    assert_eq!(show(&env, "shop")["state"], "authorized");
}

#[test]
fn refused_credentials_go_back_to_the_iclient_step_prefilled() {
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    let fake = fake_with_app(&callback);
    let env = Env::with_fake(&fake);
    let mut t = Pty::spawn(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--scopes",
            "store_v2_orders",
        ],
    );
    t.answer("iClient name:", "app\r");
    t.answer("Client ID:", &format!("{EDIT_CLIENT_ID}\r"));
    t.answer("Client secret:", "a-wrong-secret\r");
    t.answer("Callback URL:", &format!("{callback}\r"));
    t.answer("Change advanced settings (concurrency)?", ENTER);
    t.answer("Save?", ENTER); // Save & authorize
    let said = t.expect("iClient name: app");
    assert!(
        said.contains("BigCommerce refused the iClient's credentials"),
        "{said}"
    );
    assert!(!said.contains("once that is fixed"), "{said}");
    // Nothing was saved by the failed attempt.
    assert!(env.list().is_empty(), "{:?}", env.list());
    t.send(ENTER);
    t.expect(&format!("Client ID: {EDIT_CLIENT_ID}"));
    t.send(ENTER);
    t.answer("Keep the client secret typed before?", &format!("n{ENTER}"));
    t.answer("Client secret:", &format!("{EDIT_SECRET}\r"));
    t.expect(&format!("Callback URL: {callback}"));
    t.send(ENTER);
    // Back at the summary, every other answer kept.
    let summary = t.expect("Save?");
    assert!(!summary.contains("Change advanced settings"), "{summary}");
    t.send(ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(show(&env, "shop")["state"], "authorized");
    assert_eq!(env.records()["iclients"].as_array().unwrap().len(), 1);
    assert!(env.secrets_text().contains(EDIT_SECRET));
    assert!(!env.secrets_text().contains("a-wrong-secret"));
    assert!(!t.seen.contains(EDIT_SECRET), "the secret was drawn");
}

#[test]
fn a_refused_callback_url_goes_back_to_the_iclient_step_prefilled() {
    let registered = format!("http://127.0.0.1:{}/auth", child_port());
    let typed = format!("http://127.0.0.1:{}/auth", child_port());
    // The app's registered URL is another one: the fake refuses the code
    // exchange with BigCommerce's "redirect_uri does not match".
    let fake = fake_with_app(&registered);
    let env = Env::with_fake(&fake);
    let mut t = Pty::spawn(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--scopes",
            "store_v2_orders",
        ],
    );
    t.answer("iClient name:", "app\r");
    t.answer("Client ID:", &format!("{EDIT_CLIENT_ID}\r"));
    t.answer("Client secret:", &format!("{EDIT_SECRET}\r"));
    t.answer("Callback URL:", &format!("{typed}\r"));
    t.answer("Change advanced settings (concurrency)?", ENTER);
    t.answer("Save?", ENTER); // Save & authorize
    let said = t.expect("iClient name: app");
    assert!(said.contains("redirect_uri does not match"), "{said}");
    assert!(
        said.contains("Fix the callback URL at the iClient step"),
        "{said}"
    );
    assert!(!said.contains("The authorization failed"), "{said}");
    assert!(env.list().is_empty(), "nothing saved: {:?}", env.list());
    t.send(ENTER);
    t.expect(&format!("Client ID: {EDIT_CLIENT_ID}"));
    t.send(ENTER);
    t.answer("Keep the client secret typed before?", ENTER);
    // The URL typed before, prefilled: replaced with the registered one.
    t.expect(&format!("Callback URL: {typed}"));
    t.send(&format!("{}{registered}\r", erase(&typed)));
    let summary = t.expect("Save?");
    assert!(!summary.contains("Change advanced settings"), "{summary}");
    t.send(ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(show(&env, "shop")["state"], "authorized");
    assert_eq!(
        env.records()["iclients"][0]["callback_url"],
        registered.as_str()
    );
}

#[test]
fn consent_cancelled_in_the_browser_goes_back_to_the_summary() {
    use crate::common::fake_bc::Consent;
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    // The store's name comes with the information scope.
    let both = ["store_v2_orders", "store_v2_information_read_only"];
    let fake = FakeBc::start();
    fake.register_app(EDIT_CLIENT_ID, EDIT_SECRET, &callback, &both);
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    env.add_iclient("app", EDIT_CLIENT_ID, EDIT_SECRET, &callback);
    fake.set_consent(Consent::Deny);
    let mut t = Pty::spawn(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            &both.join(","),
            "--interactive",
        ],
    );
    t.answer("Change advanced settings (concurrency)?", ENTER);
    t.answer("Save?", ENTER); // Save & authorize
    let said = t.expect("You cancelled in the browser");
    assert!(said.contains("Opening the browser"), "{said}");
    let summary = t.expect("Save?");
    assert!(summary.contains("Summary"), "{summary}");
    assert!(!t.seen.contains("once that is fixed"), "{}", t.seen);
    assert!(env.list().is_empty(), "nothing saved: {:?}", env.list());
    fake.set_consent(Consent::Approve);
    t.send(ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(show(&env, "shop")["state"], "authorized");
    // The success screen names the store.
    assert!(
        t.seen
            .contains("is authorized for Acme Shop (store abc123)"),
        "{}",
        t.seen
    );
}

/// The default secret store (the OS keyring) with no Secret Service to
/// reach, as on an SSH server or in a container.
#[cfg(target_os = "linux")]
fn without_a_keyring(env: &mut Env) {
    env.set("BCCONN_SECRET_STORE", "");
    env.set(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/bcconn-wizard-bus",
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_unreachable_keyring_is_said_before_the_first_question_with_stores_that_work() {
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    let fake = fake_with_app(&callback);
    let mut env = Env::with_fake(&fake);
    // Saved while the file store was set: its secret stays readable.
    env.add_iclient("app", EDIT_CLIENT_ID, EDIT_SECRET, &callback);
    without_a_keyring(&mut env);
    let mut t = Pty::spawn(
        &env,
        &[
            "create",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
        ],
    );
    let offer = t.expect("Stop here (nothing has been asked or saved)");
    assert!(offer.contains("the OS keyring is not reachable"), "{offer}");
    assert!(
        offer.contains("Where should bcconn keep secrets for this run?"),
        "{offer}"
    );
    assert!(!offer.contains("Connection name:"), "{offer}");
    let file = offer.contains("A plain-text file only you can read (file)");
    assert!(file, "{offer}");
    // No key is set: the sealed store is named, with how to get one.
    let words = offer.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("needs a key first: `bcconn secrets new-key`"),
        "{offer}"
    );
    // The kernel keyring is offered only where it answers.
    let keys = if offer.contains("The Linux kernel keyring (keyutils): emptied at reboot or logout")
    {
        format!("{DOWN}{ENTER}")
    } else {
        ENTER.to_string()
    };
    t.send(&keys);
    let said = t.expect("Connection name:");
    assert!(said.contains("set BCCONN_SECRET_STORE=file"), "{said}");
    t.send(ENTER);
    t.answer("Change advanced settings (concurrency)?", ENTER);
    t.answer("Save?", ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(show(&env, HASH)["state"], "authorized");
    assert!(env.secrets_text().contains(&fake.issued_tokens()[0]));
}

#[cfg(target_os = "linux")]
#[test]
fn with_a_key_set_the_sealed_store_is_offered_first() {
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    let fake = fake_with_app(&callback);
    let mut env = Env::with_fake(&fake);
    env.add_iclient("app", EDIT_CLIENT_ID, EDIT_SECRET, &callback);
    let key = env.cmd(&["secrets", "new-key"]).output().unwrap().stdout;
    env.set("BCCONN_SECRET_KEY", String::from_utf8(key).unwrap().trim());
    without_a_keyring(&mut env);
    let mut t = Pty::spawn(
        &env,
        &[
            "create",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
        ],
    );
    let offer = t.expect("Stop here (nothing has been asked or saved)");
    let sealed = offer
        .find("Sealed in the record database under your key (sealed)")
        .expect(&offer);
    let file = offer.find("(file)").expect(&offer);
    assert!(sealed < file, "sealed comes first: {offer}");
    t.send(ENTER);
    let said = t.expect("Connection name:");
    assert!(said.contains("set BCCONN_SECRET_STORE=sealed"), "{said}");
    t.send(ENTER);
    t.answer("Change advanced settings (concurrency)?", ENTER);
    t.answer("Save?", ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(show(&env, HASH)["token_store"], "sealed");
    assert!(!env.secrets_text().contains(&fake.issued_tokens()[0]));
}

#[cfg(target_os = "linux")]
#[test]
fn an_unreachable_keyring_without_a_terminal_stops_before_any_work() {
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    let fake = fake_with_app(&callback);
    let mut env = Env::with_fake(&fake);
    env.add_iclient("app", EDIT_CLIENT_ID, EDIT_SECRET, &callback);
    let shop = [
        "create",
        "shop",
        "--store-hash",
        HASH,
        "--iclient",
        "app",
        "--scopes",
        "store_v2_orders",
    ];
    assert!(
        env.cmd(&[&shop[..], &["--no-authorize"]].concat())
            .output()
            .unwrap()
            .status
            .success()
    );
    without_a_keyring(&mut env);
    let before = env.record_bytes();
    for args in [
        &[
            "create",
            "two",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
        ][..],
        &["authorize", "shop"][..],
        &[
            "iclient",
            "add",
            "other",
            "--client-id",
            "cid",
            "--client-secret-stdin",
        ][..],
    ] {
        let out = env
            .std_cmd(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("the OS keyring is not reachable"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("BCCONN_SECRET_STORE=file"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(env.record_bytes(), before);
    // No browser opened, no code exchanged.
    assert_eq!(fake.count("POST", "/oauth2/token"), 0);
    assert_eq!(fake.count("GET", "/oauth2/authorize"), 0);
}

#[cfg(target_os = "linux")]
#[test]
fn authorize_says_a_wrong_name_before_asking_where_secrets_go() {
    let mut env = env_with_records();
    without_a_keyring(&mut env);
    let before = env.record_bytes();
    for args in [
        &["authorize", "typo"][..],
        &["authorize", "shop", "--store-hash", HASH][..],
        &[
            "authorize",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--name",
            "a;b",
            "--scopes",
            "store_v2_orders",
        ][..],
    ] {
        let mut t = Pty::spawn(&env, args);
        assert_eq!(t.finish(), 2, "{args:?}: {}", t.seen);
        assert!(!t.seen.contains("keep secrets"), "{args:?}: {}", t.seen);
        assert!(!t.seen.contains("keyring"), "{args:?}: {}", t.seen);
    }
    assert_eq!(env.record_bytes(), before);
}

#[test]
fn interactive_needs_a_terminal() {
    let env = Env::new();
    let out = env
        .std_cmd(&["create", "--interactive"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--interactive needs a terminal"),
        "{stderr}"
    );
    assert!(!env.record_path().exists());
}

#[cfg(target_os = "linux")]
#[test]
fn iclient_add_offers_a_working_store_before_asking() {
    let mut env = Env::new();
    without_a_keyring(&mut env);
    let mut t = Pty::spawn(&env, &["iclient", "add", "app"]);
    let offer = t.expect("Stop here (nothing has been asked or saved)");
    assert!(offer.contains("the OS keyring is not reachable"), "{offer}");
    assert!(!offer.contains("Client id:"), "{offer}");
    let keys = if offer.contains("(keyutils)") {
        format!("{DOWN}{ENTER}")
    } else {
        ENTER.to_string()
    };
    t.send(&keys);
    t.answer("Client id:", &format!("{CLIENT_ID}\r"));
    t.answer("Client secret:", &format!("{SECRET}\r"));
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(env.secrets_text().contains(SECRET));
    assert_eq!(env.records()["iclients"][0]["secret_store"], "file");
}

#[test]
fn esc_in_edit_goes_back_a_part_keeping_the_choice() {
    let env = Env::new();
    env.add_iclient(
        "app",
        EDIT_CLIENT_ID,
        EDIT_SECRET,
        "http://127.0.0.1:8765/auth",
    );
    env.add_iclient(
        "other-app",
        "anotherclientid",
        "other-secret-1",
        "http://127.0.0.1:8765/auth",
    );
    env.cmd(&[
        "create",
        "shop",
        "--store-hash",
        HASH,
        "--iclient",
        "app",
        "--scopes",
        "store_v2_orders",
        "--no-authorize",
    ])
    .assert()
    .success();
    let mut t = Pty::spawn(&env, &["edit", "shop"]);
    t.answer("Keep its 1 scope (store_v2_orders)", ENTER);
    t.expect("app  (client id morewizardclient)  ← now");
    t.send(&format!("{DOWN}{ENTER}"));
    t.answer("Keep: its own level, 1", ESC);
    // Back at the iClient, the other app still chosen.
    t.expect("> other-app  (client id anotherclientid)");
    t.send(ENTER);
    t.answer("Keep: its own level, 1", ENTER);
    let summary = t.expect("Save these changes?");
    assert!(summary.contains("iClient      other-app"), "{summary}");
    t.send(ENTER);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(show(&env, "shop")["iclient"], "other-app");
}
