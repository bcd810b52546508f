//! What an OAuth test of the real binary starts from: the fake BigCommerce
//! with one store, an app registered on it, the fake browser, a temp
//! `BCCONN_HOME`, and the environment a `bcconn` command needs; and the few
//! steps those tests share (create, show, wait for the printed URL).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, Output, Stdio};

use serde_json::Value;

use super::fake_bc::FakeBc;
use super::{Env, all_output, child_port};

/// The store every fixture has.
pub const STORE_HASH: &str = "abc123";
/// The app [`OAuthFixture::new`] registers.
pub const CLIENT_ID: &str = "fixture-client-id";
pub const SECRET: &str = "fixture-secret-Kd83nQ";
pub const SCOPES: [&str; 2] = ["store_v2_orders", "store_v2_information_read_only"];

pub struct OAuthFixture {
    pub fake: FakeBc,
    /// Points bcconn at the fake and the fake browser, with its own home.
    pub env: Env,
    /// The app's registered callback URL.
    pub callback: String,
}

impl OAuthFixture {
    /// The fake with store [`STORE_HASH`] and nothing registered: for token
    /// connections, or an app a test registers itself.
    pub fn bare() -> OAuthFixture {
        let fake = FakeBc::start();
        fake.add_store(STORE_HASH, "Acme Shop", "acme.example.com");
        let env = Env::with_fake(&fake);
        let callback = format!("http://127.0.0.1:{}/auth", child_port());
        OAuthFixture {
            fake,
            env,
            callback,
        }
    }

    /// The default app ([`CLIENT_ID`], [`SCOPES`]), saved as iClient `app`.
    pub fn new() -> OAuthFixture {
        OAuthFixture::with_app(CLIENT_ID, SECRET, &SCOPES)
    }

    /// An app of the test's own, saved as iClient `app`.
    pub fn with_app(client_id: &str, secret: &str, scopes: &[&str]) -> OAuthFixture {
        let fx = OAuthFixture::registered(client_id, secret, scopes);
        fx.env.add_iclient("app", client_id, secret, &fx.callback);
        fx
    }

    /// An app registered on the fake but not saved in bcconn's records.
    pub fn registered(client_id: &str, secret: &str, scopes: &[&str]) -> OAuthFixture {
        let fx = OAuthFixture::bare();
        fx.fake
            .register_app(client_id, secret, &fx.callback, scopes);
        fx
    }
}

/// `bcconn create NAME` on iClient `app` and the fixture's store, scope
/// `store_v2_orders`, with `extra` flags.
pub fn create(env: &Env, name: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "create",
        name,
        "--store-hash",
        STORE_HASH,
        "--iclient",
        "app",
        "--scopes",
        "store_v2_orders",
    ];
    args.extend_from_slice(extra);
    env.cmd(&args).output().unwrap()
}

/// `bcconn show NAME --json`, parsed.
pub fn conn(env: &Env, name: &str) -> Value {
    let out = env.cmd(&["show", name, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Starts bcconn, reads stderr up to the printed URL; returns the child, the
/// URL and the rest of stderr to read later.
pub fn waiting(env: &Env, args: &[&str]) -> (Child, String, BufReader<ChildStderr>) {
    let mut child = env
        .std_cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no URL printed");
        if line.trim().starts_with("http") {
            break line.trim().to_string();
        }
    };
    (child, url, stderr)
}

/// Waits for a child [`waiting`] started: whether it succeeded, and the rest
/// of its stderr.
pub fn finish(mut child: Child, mut stderr: BufReader<ChildStderr>) -> (bool, String) {
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    (child.wait().unwrap().success(), rest)
}
