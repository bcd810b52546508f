//! The walk-through keeping a person's work, in a pseudo-terminal (issue 8):
//! an unservable callback URL fixed at its step, an iClient edited without
//! leaving `create`, `edit` walked interactively, and the headless paste-back
//! racing the callback server.

use serde_json::Value;

use crate::common::fake_bc::FakeBc;
use crate::common::{Env, fake_browser, free_port};
use crate::wizard::{DOWN, ENTER, Pty};

const CLIENT_ID: &str = "morewizardclient";
const SECRET: &str = "more-wizard-secret-Zx81";
const HASH: &str = "abc123";

fn fake_with_app(callback: &str) -> FakeBc {
    let fake = FakeBc::start();
    fake.register_app(CLIENT_ID, SECRET, callback, &["store_v2_orders"]);
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
    let callback = format!("http://127.0.0.1:{}/auth", free_port());
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
    t.answer("Client ID:", &format!("{CLIENT_ID}\r"));
    t.answer("Client secret:", &format!("{SECRET}\r"));
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
    assert!(env.secrets_text().contains(SECRET));
}

#[test]
fn an_iclient_is_edited_without_leaving_create() {
    let old = format!("http://127.0.0.1:{}/auth", free_port());
    let new = format!("http://127.0.0.1:{}/auth", free_port());
    // The app's registered URL is the new one: the edit is what makes it work.
    let fake = fake_with_app(&new);
    let env = Env::with_fake(&fake);
    env.add_iclient("app", CLIENT_ID, SECRET, &old);
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
    assert!(said.contains("tokens are unaffected"), "{said}");
    t.send(ENTER); // keep the client id
    t.answer("Callback URL:", &format!("{new}\r"));
    t.answer("Replace the client secret?", ENTER); // no
    t.expect(&format!("Callback URL: {new}"));
    t.answer("Change advanced settings (concurrency)?", ENTER);
    let summary = t.expect("Save?");
    assert!(
        summary.contains("edited, saved with the connection"),
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
    let callback = format!("http://127.0.0.1:{}/auth", free_port());
    let fake = fake_with_app(&callback);
    let env = Env::with_fake(&fake);
    env.add_iclient("app", CLIENT_ID, SECRET, &callback);
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
    let callback = format!("http://127.0.0.1:{}/auth", free_port());
    let fake = fake_with_app(&callback);
    let mut env = Env::with_fake(&fake);
    env.add_iclient("app", CLIENT_ID, SECRET, &callback);
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
    t.send(&format!("{landed}\r"));
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(t.seen.contains("Token verified"), "{}", t.seen);
    assert_eq!(show(&env, "shop")["state"], "authorized");
}
