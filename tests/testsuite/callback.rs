//! The callback server: paths it must serve, connections that must not
//! starve it, forged callbacks that must not end a wait, the install flow's
//! bound on refused codes, and the manual paste-back.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::fake_bc::FakeBc;
use crate::common::oauth::{OAuthFixture, STORE_HASH, conn, finish, waiting};
use crate::common::{
    APP_CLIENT_ID, APP_SECRET, BIN, Env, all_output, child_port, code, fake_browser, run,
};

#[test]
fn a_callback_path_like_a_route_pattern_is_served() {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/:id/*rest", child_port());
    fake.register_app(APP_CLIENT_ID, APP_SECRET, &callback, &["store_v2_orders"]);
    fake.add_store("abc123", "Acme", "acme.example.com");
    let env = Env::with_fake(&fake);
    env.add_iclient("app", APP_CLIENT_ID, APP_SECRET, &callback);
    let out = run(
        &env,
        &[
            "create",
            "shop",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
            "--timeout",
            "20",
        ],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(env.list()[0]["state"], "authorized");
}

/// A browser that waits before visiting, so the test can open idle
/// connections to the callback port first.
#[cfg(unix)]
fn slow_browser(dir: &Path, wait: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("slow-browser");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nsleep {wait}\nexec {} \"$@\"\n",
            fake_browser::command()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

#[cfg(unix)]
#[test]
fn idle_connections_cannot_starve_the_real_callback() {
    let fake = FakeBc::start();
    let port = child_port();
    let callback = format!("http://127.0.0.1:{port}/auth");
    fake.register_app(APP_CLIENT_ID, APP_SECRET, &callback, &["store_v2_orders"]);
    fake.add_store("abc123", "Acme", "acme.example.com");
    let mut env = Env::with_fake(&fake);
    env.add_iclient("app", APP_CLIENT_ID, APP_SECRET, &callback);
    let browser = slow_browser(env.dir.path(), "2");
    env.set("BCCONN_BROWSER", &browser);
    // bcconn with few file descriptors: more idle connections than it can
    // hold open at once.
    let mut cmd = Command::new("sh");
    cmd.env_clear();
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    cmd.args(["-c", "ulimit -n 96 && exec \"$0\" \"$@\"", BIN])
        .args([
            "create",
            "shop",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
            "--timeout",
            "25",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Wait for the port, then open many idle connections before the
    // browser comes.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut idle = Vec::new();
    while Instant::now() < deadline {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            idle.push(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!idle.is_empty(), "bcconn never listened");
    for _ in 0..300 {
        match std::net::TcpStream::connect_timeout(
            &([127, 0, 0, 1], port).into(),
            Duration::from_millis(200),
        ) {
            Ok(s) => idle.push(s),
            Err(_) => break,
        }
    }
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    drop(idle);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(env.list()[0]["state"], "authorized");
}

/// Requests anyone on this machine could send to the callback URL.
fn forgeries(callback: &str) -> Vec<String> {
    vec![
        format!("{callback}?error=access_denied&error_description=forged"),
        format!("{callback}?code=forged-code&scope=store_v2_orders&context=stores%2F{STORE_HASH}"),
        format!("{callback}?error=%1B%5B2J%1B%5D0%3Bpwned%07&error_description=%1B%5B31mred"),
        format!("{callback}?code=x&context=stores%2F%1B%5B31mzzz"),
    ]
}

fn assert_escaped(stderr: &str) {
    assert!(
        !stderr.contains('\u{1b}'),
        "a raw ESC reached the terminal: {stderr:?}"
    );
    assert!(
        !stderr.contains('\u{7}'),
        "a raw BEL reached the terminal: {stderr:?}"
    );
}

#[test]
fn forged_callbacks_do_not_end_an_authorize_flow() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = OAuthFixture::new();
    let (child, url, stderr) = waiting(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            STORE_HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--no-browser",
            "--timeout",
            "30",
        ],
    );
    for forged in forgeries(&callback) {
        let v = fake_browser::visit(&forged);
        assert_eq!(v.status, 400, "{forged}: {}", v.body);
    }
    // The real answer still completes.
    let real = fake_browser::visit(&url);
    assert!(real.body.contains("Connected to"), "{}", real.body);
    let (ok, said) = finish(child, stderr);
    assert!(ok, "{said}");
    assert_eq!(said.matches("ignored a callback").count(), 4, "{said}");
    assert_escaped(&said);
    // Only the real code was exchanged: the forged ones lacked the state.
    assert_eq!(fake.count("POST", "/oauth2/token"), 1);
    let shop = conn(&env, "shop");
    assert_eq!(shop["state"], "authorized");
}

#[test]
fn forged_callbacks_do_not_end_an_install_flow() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = OAuthFixture::new();
    let (child, url, stderr) = waiting(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            STORE_HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--flow",
            "install",
            "--no-browser",
            "--timeout",
            "30",
        ],
    );
    for forged in forgeries(&callback) {
        let v = fake_browser::visit(&forged);
        assert_eq!(v.status, 400, "{forged}: {}", v.body);
        assert_escaped(&v.body);
    }
    let real = fake_browser::visit(&url);
    assert!(
        real.final_url.ends_with("/install/succeeded"),
        "{}",
        real.final_url
    );
    let (ok, said) = finish(child, stderr);
    assert!(ok, "{said}");
    assert_escaped(&said);
    assert_eq!(said.matches("ignored a callback").count(), 4, "{said}");
    // The forged code was tried (the install flow has no state to check it
    // by) and refused by BigCommerce; that did not end the wait.
    assert!(said.contains("invalid_grant"), "{said}");
    assert_eq!(fake.count("POST", "/oauth2/token"), 2);
    assert_eq!(conn(&env, "shop")["state"], "authorized");
    assert_eq!(fake.install_outcome().as_deref(), Some("succeeded"));
}

#[test]
fn the_install_flow_gives_up_after_a_bounded_number_of_refused_codes() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = OAuthFixture::new();
    let (child, _url, stderr) = waiting(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            STORE_HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--flow",
            "install",
            "--no-browser",
            "--timeout",
            "30",
        ],
    );
    for i in 0..5 {
        let forged = format!("{callback}?code=forged-{i}&scope=s&context=stores%2F{STORE_HASH}");
        assert_eq!(fake_browser::visit(&forged).status, 400);
    }
    let (ok, said) = finish(child, stderr);
    assert!(!ok);
    assert!(said.contains("refused the code of 5 callbacks"), "{said}");
    assert_eq!(fake.count("POST", "/oauth2/token"), 5);
    assert_eq!(conn(&env, "shop")["state"], "failed");
}

#[test]
fn a_bad_paste_in_the_manual_flow_asks_again() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback: _,
    } = OAuthFixture::new();
    let mut child = env
        .std_cmd(&[
            "create",
            "shop",
            "--store-hash",
            STORE_HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--flow",
            "manual",
            "--timeout",
            "30",
        ])
        .stdin(Stdio::piped())
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
    let landed = fake_browser::consent_redirect(&url);
    let mut stdin = child.stdin.take().unwrap();
    use std::io::Write;
    writeln!(stdin, "oops not a url").unwrap();
    writeln!(stdin, "{landed}").unwrap();
    drop(stdin);
    let (ok, said) = finish(child, stderr);
    assert!(ok, "{said}");
    assert!(said.contains("that is not a URL"), "{said}");
    assert_eq!(conn(&env, "shop")["state"], "authorized");
}
