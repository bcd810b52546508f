//! Real components: the OS keyring (Secret Service), the Linux kernel keyring,
//! and a real headless Chromium clicking Confirm. A bare machine lacks them,
//! so these are ignored by default; `.ci/run` installs and starts them and
//! runs these with `--include-ignored`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::fake_bc::FakeBc;
use crate::common::{Env, all_output, child_port};
use serde_json::{Value, json};

const SECRET: &str = "real-keyring-secret-7Gq2";

/// An env that uses a real keyring: the session bus and keyring variables
/// pass through from the test's own environment.
fn keyring_env(store: &str) -> Env {
    let mut env = Env::new();
    env.set("BCCONN_SECRET_STORE", store);
    for key in [
        "DBUS_SESSION_BUS_ADDRESS",
        "XDG_RUNTIME_DIR",
        "XDG_DATA_HOME",
        "HOME",
    ] {
        if let Ok(v) = std::env::var(key) {
            env.set(key, &v);
        }
    }
    env
}

fn iclient_id(env: &Env, name: &str) -> String {
    let out = env
        .cmd(&["iclient", "show", name, "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// Stores, reads and deletes an iClient secret through the given store, each
/// step in a separate bcconn process.
fn roundtrip(env: &Env, what: &str) {
    let name = format!("rt-{}", std::process::id());
    env.add_iclient(&name, "cid", SECRET, "http://localhost:8765/auth");
    assert!(
        !env.secrets_text().contains(SECRET),
        "no file store in play"
    );
    assert!(
        !String::from_utf8(env.record_bytes())
            .unwrap()
            .contains(SECRET)
    );
    let shown = env.cmd(&["iclient", "show", &name]).output().unwrap();
    let text = all_output(&shown);
    assert!(text.contains(&format!("******** (in {what})")), "{text}");
    assert!(!text.contains(SECRET));
    // A re-keyed secret replaces the old one.
    env.cmd(&["iclient", "edit", &name, "--client-secret-stdin"])
        .write_stdin("second-secret\n")
        .assert()
        .success();
    let id = iclient_id(env, &name);
    env.cmd(&["iclient", "remove", &name, "--yes"])
        .assert()
        .success();
    // Gone from the store: a record with the same id would find nothing.
    let file = json!({"version": 1, "iclients": [{"id": id, "name": "probe", "client_id": "cid",
        "callback_url": "http://localhost:8765/auth", "secret_store": env.vars().iter().find(|(k, _)| k == "BCCONN_SECRET_STORE").unwrap().1,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}], "connections": []});
    env.replace_records(&file);
    let probe = env.cmd(&["iclient", "show", "probe"]).output().unwrap();
    assert!(
        all_output(&probe).contains("missing from"),
        "{}",
        all_output(&probe)
    );
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring in a D-Bus session); .ci/run starts one"]
fn secret_service_roundtrip_across_processes() {
    roundtrip(&keyring_env("os"), "the OS keyring");
}

#[test]
#[ignore = "needs a session keyring this process owns (`keyctl session -`); .ci/run provides one"]
fn keyutils_roundtrip_across_processes() {
    roundtrip(&keyring_env("keyutils"), "the Linux kernel keyring");
}

#[test]
fn unreachable_os_keyring_says_how_to_choose_another_store() {
    let mut env = Env::new();
    env.set("BCCONN_SECRET_STORE", "os");
    env.set(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/bcconn-test-bus",
    );
    let before = env.record_bytes();
    let out = env
        .cmd(&[
            "iclient",
            "add",
            "x",
            "--client-id",
            "cid",
            "--client-secret-stdin",
        ])
        .write_stdin("s\n")
        .output()
        .unwrap();
    let text = all_output(&out);
    if cfg!(target_os = "linux") {
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("the OS keyring is not reachable"), "{text}");
        assert!(
            text.contains("BCCONN_SECRET_STORE=keyutils")
                && text.contains("BCCONN_SECRET_STORE=file"),
            "{text}"
        );
        assert_eq!(env.record_bytes(), before, "nothing saved");
    }
}

// ---- Chromium --------------------------------------------------------------

struct WebDriver {
    base: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl WebDriver {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        self.rt.block_on(async {
            let mut req = self.http.request(method, &url);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req
                .send()
                .await
                .unwrap_or_else(|e| panic!("webdriver {url}: {e}"));
            resp.json::<Value>().await.unwrap()
        })
    }
}

#[test]
#[ignore = "needs chromium, chromium-driver and a Secret Service; .ci/run installs and starts them"]
fn headless_chromium_clicks_confirm_and_the_token_lands_in_the_secret_service() {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    fake.register_app(
        "chromeclient",
        "chrome-secret-value",
        &callback,
        &["store_v2_information_read_only"],
    );
    fake.add_store("chr0me1", "Chromium Shop", "chromium.example.com");
    let mut env = keyring_env("os");
    env.set("BCCONN_LOGIN_URL", &fake.url());
    env.set("BCCONN_API_URL", &fake.url());
    env.add_iclient(
        "chrome-app",
        "chromeclient",
        "chrome-secret-value",
        &callback,
    );

    // bcconn waits for the callback; the URL is read from its stderr.
    let mut bcconn = env
        .std_cmd(&[
            "create",
            "chrome-shop",
            "--store-hash",
            "chr0me1",
            "--iclient",
            "chrome-app",
            "--scopes",
            "store_v2_information_read_only",
            "--no-browser",
            "--timeout",
            "60",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(bcconn.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "bcconn printed no URL"
        );
        if let Some(rest) = line.trim().strip_prefix("http") {
            break format!("http{rest}");
        }
    };

    let port = child_port();
    let mut driver = std::process::Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed");
    let wd = WebDriver {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let started = Instant::now();
    while wd
        .rt
        .block_on(wd.http.get(format!("{}/status", wd.base)).send())
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = tempfile::tempdir().unwrap();
    let session = wd.call(
        reqwest::Method::POST,
        "/session",
        Some(json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                     format!("--user-data-dir={}", profile.path().display())]
        }}}})),
    );
    let sid = session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {session}"))
        .to_string();
    let s = |p: &str| format!("/session/{sid}{p}");
    wd.call(reqwest::Method::POST, &s("/url"), Some(json!({"url": url})));
    let el = wd.call(
        reqwest::Method::POST,
        &s("/element"),
        Some(json!({"using": "css selector", "value": "#confirm"})),
    );
    let eid = el["value"]
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_str())
        .expect("a Confirm button")
        .to_string();
    wd.call(
        reqwest::Method::POST,
        &s(&format!("/element/{eid}/click")),
        Some(json!({})),
    );
    // The browser lands on bcconn's own success page.
    let started = Instant::now();
    let page = loop {
        let source = wd.call(reqwest::Method::GET, &s("/source"), None);
        let html = source["value"].as_str().unwrap_or_default().to_string();
        if html.contains("Connected to") || started.elapsed() > Duration::from_secs(20) {
            break html;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let landed = wd.call(reqwest::Method::GET, &s("/url"), None);
    wd.call(reqwest::Method::DELETE, &s(""), None);
    let _ = driver.kill();
    let _ = driver.wait();

    assert!(
        page.contains("Connected to Chromium Shop") && page.contains("close this window"),
        "{page}"
    );
    assert!(
        landed["value"].as_str().unwrap().starts_with(&callback),
        "{landed}"
    );
    let status = bcconn.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("token is in the OS keyring"), "{rest}");
    // A separate process reads the token back from the Secret Service.
    let token = env.cmd(&["token", "chrome-shop"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&token.stdout).trim(),
        fake.issued_tokens()[0]
    );
    assert!(!env.secrets_text().contains("connection/"));
    env.cmd(&["delete", "chrome-shop", "--yes"])
        .assert()
        .success();
    env.cmd(&["iclient", "remove", "chrome-app", "--yes"])
        .assert()
        .success();
}
