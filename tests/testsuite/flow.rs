//! "Save & authorize" end to end: the real binary, the fake BigCommerce, the
//! fake browser (this test binary, re-executed through BCCONN_BROWSER).

use crate::common::fake_bc::{Consent, FakeBc};
use crate::common::oauth::OAuthFixture;
use crate::common::{Env, all_output, child_port, fake_browser};
use predicates::prelude::*;

const CLIENT_ID: &str = "testclientid123";
const SECRET: &str = "client-secret-Zq8kP2vX9mW4";
const HASH: &str = "abc123";

fn no_secret_anywhere(env: &Env, fake: &FakeBc, outputs: &[&std::process::Output]) {
    let records = String::from_utf8(env.record_bytes()).unwrap();
    let mut secrets: Vec<String> = fake.issued_tokens();
    secrets.push(SECRET.into());
    for s in &secrets {
        assert!(
            !records.contains(s.as_str()),
            "a secret is in the record file"
        );
        for out in outputs {
            assert!(
                !all_output(out).contains(s.as_str()),
                "a secret is in the output: {}",
                all_output(out)
            );
        }
    }
}

#[test]
fn authorize_flow_saves_a_verified_token() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = fixture();
    let out = env
        .cmd(&[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders,store_v2_information_read_only",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Callback received"), "{stderr}");
    assert!(
        stderr.contains("Token verified: store Acme Shop"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "stdout must stay clean: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );

    let list = env.list();
    assert_eq!(list[0]["state"], "authorized");
    assert_eq!(list[0]["store_name"], "Acme Shop");
    let granted = list[0]["granted_scopes"].as_array().unwrap();
    assert!(granted.iter().any(|s| s == "store_v2_default"));

    // The token endpoint got the secret in the body, the exact redirect_uri,
    // and the scope and context from the callback.
    let token_req = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/oauth2/token")
        .unwrap();
    assert_eq!(
        token_req.body_param("client_secret").as_deref(),
        Some(SECRET)
    );
    assert_eq!(
        token_req.body_param("redirect_uri").as_deref(),
        Some(callback.as_str())
    );
    assert_eq!(
        token_req.body_param("context").as_deref(),
        Some("stores/abc123")
    );
    assert!(token_req.header("authorization").is_none());

    let token = env.cmd(&["token", "shop"]).output().unwrap();
    assert!(token.status.success());
    assert_eq!(
        String::from_utf8_lossy(&token.stdout).trim(),
        fake.issued_tokens()[0]
    );
    no_secret_anywhere(&env, &fake, &[&out]);
}

fn create_args<'a>(name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "create",
        name,
        "--store-hash",
        HASH,
        "--iclient",
        "app",
        "--scopes",
        "store_v2_orders",
    ];
    args.extend_from_slice(extra);
    args
}

fn state_of(env: &Env, name: &str) -> serde_json::Value {
    env.list()
        .into_iter()
        .find(|c| c["name"] == name)
        .expect("connection exists")
}

#[test]
fn install_flow_redirects_the_browser_to_succeeded() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    let out = env
        .cmd(&create_args("shop", &["--flow", "install"]))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(fake.install_outcome().as_deref(), Some("succeeded"));
    assert_eq!(state_of(&env, "shop")["state"], "authorized");
    // The install flow starts at the documented external install link.
    assert_eq!(
        fake.count("GET", &format!("/app/{CLIENT_ID}/install")),
        2,
        "install page, then succeeded"
    );
    no_secret_anywhere(&env, &fake, &[&out]);
}

#[test]
fn manual_flow_reads_the_pasted_address() {
    use std::io::{BufRead, BufReader, Write};
    let OAuthFixture {
        fake: _fake,
        env,
        callback: _,
    } = fixture();
    let mut child = env
        .std_cmd(&create_args("shop", &["--flow", "manual"]))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no URL printed: {seen}"
        );
        seen.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("http") {
            break format!("http{url}");
        }
    };
    // Nothing listens in the manual flow: the browser would show an error
    // page whose address the person copies.
    let landed = fake_browser::consent_redirect(&url);
    assert!(landed.contains("code="), "{landed}");
    writeln!(child.stdin.take().unwrap(), "{landed}").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}{rest}");
    assert!(rest.contains("Token verified"), "{rest}");
    assert_eq!(state_of(&env, "shop")["state"], "authorized");
}

#[test]
fn manual_flow_refuses_a_tampered_address() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = fixture();
    let out = env
        .cmd(&create_args("shop", &["--flow", "manual"]))
        .write_stdin(format!(
            "{callback}?code=x&context=stores%2Fabc123&state=forged\n"
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("state does not match"));
    assert_eq!(
        fake.count("POST", "/oauth2/token"),
        0,
        "no exchange for a forged callback"
    );
}

#[test]
fn tampered_state_is_refused_and_nothing_is_stored() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    fake.set_consent(Consent::TamperState);
    // A forged callback is refused and the wait goes on (anyone on this
    // machine could send one); the timeout then ends it.
    let out = env
        .cmd(&create_args("shop", &["--timeout", "2"]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ignored a callback"), "{stderr}");
    assert!(stderr.contains("state does not match"), "{stderr}");
    assert!(
        stderr.contains("no callback from BigCommerce within 2 s"),
        "{stderr}"
    );
    assert_eq!(fake.count("POST", "/oauth2/token"), 0);
    let c = state_of(&env, "shop");
    assert_eq!(c["state"], "failed");
    assert!(c["token_store"].is_null());
    assert!(!env.secrets_text().contains("connection/"));
}

#[test]
fn a_stray_request_does_not_end_the_wait() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = fixture();
    let mut child = env
        .std_cmd(&create_args("shop", &["--no-browser", "--timeout", "30"]))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(
            std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0,
            "no URL printed"
        );
        if line.trim().starts_with("http") {
            break line.trim().to_string();
        }
    };
    // Something else on this machine pokes the callback URL first…
    let stray = fake_browser::visit(&format!(
        "{callback}?code=x&context=stores%2Fabc123&state=nope"
    ));
    assert_eq!(stray.status, 400);
    // …and the real answer still goes through.
    let visit = fake_browser::visit(&url);
    assert!(visit.body.contains("Connected to"), "{}", visit.body);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{rest}");
    assert_eq!(state_of(&env, "shop")["state"], "authorized");
    assert_eq!(fake.count("POST", "/oauth2/token"), 1);
}

#[test]
fn wrong_context_is_refused() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    fake.add_store("zzz999", "Other", "other.example.com");
    fake.set_consent(Consent::WrongContext("zzz999".into()));
    // Only a Cancel (error= with the right state) ends the wait: a callback
    // for another store is refused, and the person can try again.
    let out = env
        .cmd(&create_args("shop", &["--timeout", "2"]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stores/zzz999"), "{}", all_output(&out));
    assert!(stderr.contains("still waiting"), "{stderr}");
    assert!(stderr.contains("within 2 s"), "{stderr}");
    assert_eq!(fake.count("POST", "/oauth2/token"), 0);
    assert_eq!(state_of(&env, "shop")["state"], "failed");
}

#[test]
fn access_denied_is_reported() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    fake.set_consent(Consent::Deny);
    let out = env.cmd(&create_args("shop", &[])).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("access_denied"), "{stderr}");
    assert!(
        stderr.contains("bcconn authorize shop"),
        "says how to retry: {stderr}"
    );
}

#[test]
fn wrong_client_secret_says_to_check_the_iclient() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    env.cmd(&["iclient", "edit", "app", "--client-secret-stdin"])
        .write_stdin("not-the-secret\n")
        .assert()
        .success();
    let out = env.cmd(&create_args("shop", &[])).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Invalid client id."), "{stderr}");
    assert!(stderr.contains("iclient edit app"), "{stderr}");
    assert!(!stderr.contains("not-the-secret"));
    assert_eq!(fake.count("POST", "/oauth2/token"), 1);
}

#[test]
fn redirect_uri_mismatch_shows_the_url_bcconn_sent() {
    let fake = FakeBc::start();
    let port = child_port();
    // Registered with "localhost", the iClient says "127.0.0.1": not byte-equal.
    fake.register_app(
        CLIENT_ID,
        SECRET,
        &format!("http://localhost:{port}/auth"),
        &["store_v2_orders"],
    );
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    let ours = format!("http://127.0.0.1:{port}/auth");
    env.add_iclient("app", CLIENT_ID, SECRET, &ours);
    let out = env.cmd(&create_args("shop", &[])).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("redirect_uri does not match"), "{stderr}");
    assert!(stderr.contains(&ours), "{stderr}");
}

#[test]
fn timeout_ends_cleanly_and_frees_the_port() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = fixture();
    let out = env
        .cmd(&create_args("shop", &["--no-browser", "--timeout", "1"]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no callback from BigCommerce within 1 s"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/oauth2/authorize?"),
        "the URL is printed: {stderr}"
    );
    assert_eq!(
        fake.count("GET", "/oauth2/authorize"),
        0,
        "--no-browser opened nothing"
    );
    let port = url::Url::parse(&callback).unwrap().port().unwrap();
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
}

#[test]
fn busy_port_is_named_with_the_callback_url() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = fixture();
    let port = url::Url::parse(&callback).unwrap().port().unwrap();
    let _busy = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let out = env.cmd(&create_args("shop", &[])).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("port {port} is already in use")) && stderr.contains(&callback),
        "{stderr}"
    );
    assert_eq!(
        fake.count("GET", "/oauth2/authorize"),
        0,
        "no browser opened"
    );
}

#[test]
fn failed_reauthorization_keeps_the_old_token() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    env.cmd(&create_args("shop", &[])).assert().success();
    let first = env.cmd(&["token", "shop"]).output().unwrap().stdout;
    let before = state_of(&env, "shop");
    fake.set_consent(Consent::Deny);
    let out = env.cmd(&["authorize", "shop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let after = state_of(&env, "shop");
    assert_eq!(after["state"], "authorized");
    assert_eq!(after["authorized_at"], before["authorized_at"]);
    assert_eq!(env.cmd(&["token", "shop"]).output().unwrap().stdout, first);
    // And a good re-authorization replaces it.
    fake.set_consent(Consent::Approve);
    env.cmd(&["authorize", "shop"]).assert().success();
    let second = env.cmd(&["token", "shop"]).output().unwrap().stdout;
    assert_ne!(second, first);
    assert_eq!(
        String::from_utf8_lossy(&second).trim(),
        fake.issued_tokens()[1]
    );
}

#[test]
fn authorize_by_store_hash_creates_then_updates() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    let out = env
        .cmd(&[
            "authorize",
            "--store-hash",
            "https://api.bigcommerce.com/stores/abc123/v3/",
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--name",
            "scripted",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(state_of(&env, "scripted")["state"], "authorized");
    // Same store and name again: an update with new scopes, not a second record.
    env.cmd(&[
        "authorize",
        "--store-hash",
        HASH,
        "--iclient",
        "app",
        "--scopes",
        "store_v2_orders,store_v2_products",
        "--name",
        "scripted",
    ])
    .assert()
    .success();
    let list = env.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["scopes"].as_array().unwrap().len(), 2);
    assert_eq!(fake.issued_tokens().len(), 2);
}

#[test]
fn missing_scopes_are_warned_about() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    fake.set_grant(Some(vec!["store_v2_orders_read_only".into()]));
    let out = env.cmd(&create_args("shop", &[])).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not grant store_v2_orders"), "{stderr}");
}

#[test]
fn status_reports_ok_then_invalid() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    env.cmd(&create_args("shop", &[])).assert().success();
    env.cmd(&[
        "create",
        "later",
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
    let ok = env.cmd(&["status", "shop", "--json"]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", all_output(&ok));
    let rows: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(rows[0]["status"], "ok");

    fake.revoke_token(&fake.issued_tokens()[0]);
    let bad = env.cmd(&["status"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(3));
    let table = String::from_utf8_lossy(&bad.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("shop") && l.contains("invalid")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("later") && l.contains("not authorized")),
        "{table}"
    );
    no_secret_anywhere(&env, &fake, &[&ok, &bad]);
}

#[test]
fn delete_forgets_the_token_and_says_how_to_revoke() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback: _,
    } = fixture();
    env.cmd(&create_args("shop", &[])).assert().success();
    assert!(env.secrets_text().contains("connection/"));
    env.cmd(&["delete", "shop", "--yes"])
        .assert()
        .success()
        .stderr(predicate::str::contains("uninstall the app"));
    assert!(!env.secrets_text().contains("connection/"));
    assert!(env.list().is_empty());
    env.cmd(&["token", "shop"]).assert().code(2);
}

const CREDS: &str = "ACCESS TOKEN: tokenAPIacct0123456789xyz\nCLIENT NAME: bcconn test\nAPI PATH: https://api.bigcommerce.com/stores/abc123/v3/\nCLIENT ID: someclientid\nCLIENT SECRET: someclientsecret\n";

#[test]
fn token_auth_type_from_stdin_and_credentials_file() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    fake.add_token(
        "tokenSTDINacct0123456789xyz",
        HASH,
        &["store_v2_information_read_only"],
    );
    let out = env
        .cmd(&[
            "create",
            "viastdin",
            "--auth-type",
            "token",
            "--store-hash",
            HASH,
            "--access-token-stdin",
        ])
        .write_stdin("tokenSTDINacct0123456789xyz\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Token verified: store Acme Shop"));
    let c = state_of(&env, "viastdin");
    assert_eq!(
        (c["state"].as_str(), c["auth_type"].as_str()),
        (Some("authorized"), Some("token"))
    );
    env.cmd(&["token", "viastdin"])
        .assert()
        .success()
        .stdout("tokenSTDINacct0123456789xyz\n");

    fake.add_token("tokenAPIacct0123456789xyz", HASH, &[]);
    let file = env.dir.path().join("creds.txt");
    std::fs::write(&file, CREDS).unwrap();
    let out = env
        .cmd(&[
            "create",
            "viafile",
            "--api-credentials-file",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let c = state_of(&env, "viafile");
    assert_eq!(c["store_hash"], HASH, "taken from API PATH");
    env.cmd(&["token", "viafile"])
        .assert()
        .success()
        .stdout("tokenAPIacct0123456789xyz\n");
    let records = String::from_utf8(env.record_bytes()).unwrap();
    assert!(
        !records.contains("tokenAPIacct")
            && !records.contains("tokenSTDIN")
            && !records.contains("someclientsecret")
    );
    assert!(!all_output(&out).contains("someclientsecret"));
}

#[test]
fn a_token_the_store_refuses_saves_nothing() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback: _,
    } = fixture();
    let before = env.record_bytes();
    let out = env
        .cmd(&[
            "create",
            "bad",
            "--auth-type",
            "token",
            "--store-hash",
            HASH,
            "--access-token-stdin",
        ])
        .write_stdin("tokenUNKNOWN0123456789xyz\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{}",
        all_output(&out)
    );
    assert_eq!(env.record_bytes(), before);
    assert!(!env.secrets_text().contains("connection/"));
}

/// The benchmark: wall time of a whole `bcconn authorize` against the
/// local fake with the fake browser. Prints figures; asserts only that every
/// run authorized (timing is never asserted).
#[test]
#[ignore = "benchmark: cargo test --release --test testsuite flow::authorize_benchmark -- --ignored --nocapture"]
fn authorize_benchmark() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    env.cmd(&create_args("shop", &["--no-authorize"]))
        .assert()
        .success();
    let runs = 30;
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = std::time::Instant::now();
        env.cmd(&["authorize", "shop"]).assert().success();
        times.push(start.elapsed());
    }
    assert_eq!(fake.issued_tokens().len(), runs);
    times.sort();
    eprintln!(
        "bcconn authorize x{runs}: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        times[0].as_secs_f64() * 1e3,
        times[runs / 2].as_secs_f64() * 1e3,
        times[runs - 1].as_secs_f64() * 1e3
    );
}

#[test]
fn verbose_authorization_prints_diagnostics_but_no_secret() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    env.cmd(&create_args("shop", &["--no-authorize"]))
        .assert()
        .success();
    let out = env.cmd(&["-vv", "authorize", "shop"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let text = all_output(&out);
    assert!(text.contains("DEBUG"), "-vv shows diagnostics: {text}");
    assert!(text.contains("rate limit"), "{text}");
    no_secret_anywhere(&env, &fake, &[&out]);
}

#[test]
fn no_browser_available_is_said_and_bcconn_keeps_waiting() {
    let OAuthFixture {
        fake: _fake,
        mut env,
        callback: _,
    } = fixture();
    env.set("BCCONN_BROWSER", "/nonexistent/browser-binary");
    let out = env
        .cmd(&create_args("shop", &["--timeout", "1"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no browser could be started"), "{stderr}");
    assert!(stderr.contains("--flow manual"), "{stderr}");
    assert!(stderr.contains("Still waiting"), "{stderr}");
    // One plain line: none of the launcher's debug text.
    for debug in ["Os {", "ExitStatus", "kind:", "NotFound"] {
        assert!(!stderr.contains(debug), "{debug} in {stderr}");
    }
    assert!(
        stderr.contains("no callback from BigCommerce within 1 s"),
        "it waited: {stderr}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_waiting_ends_cleanly_and_frees_the_port() {
    use std::io::{BufRead, BufReader};
    let OAuthFixture {
        fake,
        env,
        callback,
    } = fixture();
    let mut child = env
        .std_cmd(&create_args("shop", &["--no-browser"]))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no URL printed");
        if line.trim().starts_with("http") {
            break;
        }
    }
    // The server is up once the URL is printed: interrupt as Ctrl-C would.
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("interrupted; no token was saved"), "{rest}");
    let port = url::Url::parse(&callback).unwrap().port().unwrap();
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
    assert_eq!(fake.count("POST", "/oauth2/token"), 0);
    assert_eq!(
        state_of(&env, "shop")["state"],
        "pending",
        "interrupted is not failed"
    );
}

#[test]
fn a_token_connection_gets_a_new_token_through_authorize() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    fake.add_token("tokenFIRST0123456789abcdef", HASH, &[]);
    fake.add_token("tokenSECOND0123456789abcdef", HASH, &[]);
    env.cmd(&[
        "create",
        "t",
        "--auth-type",
        "token",
        "--store-hash",
        HASH,
        "--access-token-stdin",
    ])
    .write_stdin("tokenFIRST0123456789abcdef\n")
    .assert()
    .success();
    let out = env
        .cmd(&["authorize", "t", "--access-token-stdin"])
        .write_stdin("tokenSECOND0123456789abcdef\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    env.cmd(&["token", "t"])
        .assert()
        .success()
        .stdout("tokenSECOND0123456789abcdef\n");
    // A token the store refuses leaves the working one in place.
    let bad = env
        .cmd(&["authorize", "t", "--access-token-stdin"])
        .write_stdin("tokenUNKNOWN000000000000000\n")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    env.cmd(&["token", "t"])
        .assert()
        .success()
        .stdout("tokenSECOND0123456789abcdef\n");
}

#[test]
fn authorize_applies_concurrency_changes_with_the_new_token() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback: _,
    } = fixture();
    env.cmd(&create_args("shop", &[])).assert().success();
    env.cmd(&["authorize", "shop", "--concurrency", "7"])
        .assert()
        .success();
    assert_eq!(state_of(&env, "shop")["concurrency"], 7);
    let out = env
        .cmd(&["authorize", "shop", "--borrow-concurrency-from", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "checked before the browser opens"
    );
}

#[test]
fn a_malformed_login_url_is_an_error_not_a_panic() {
    let OAuthFixture {
        fake: _fake,
        mut env,
        callback: _,
    } = fixture();
    env.cmd(&create_args("shop", &["--no-authorize"]))
        .assert()
        .success();
    env.set("BCCONN_LOGIN_URL", "login.bigcommerce.com");
    let out = env.cmd(&["authorize", "shop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BCCONN_LOGIN_URL"));
}

#[test]
fn create_checks_the_callback_url_before_saving_anything() {
    let fake = FakeBc::start();
    let env = Env::with_fake(&fake);
    env.add_iclient("remote", CLIENT_ID, SECRET, "https://app.example.com/auth");
    let before = env.record_bytes();
    let out = env
        .cmd(&[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "remote",
            "--scopes",
            "store_v2_orders",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"));
    assert_eq!(env.record_bytes(), before, "nothing saved");
}

#[test]
fn manual_flow_times_out_even_while_stdin_stays_open() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback: _,
    } = fixture();
    let mut child = env
        .std_cmd(&create_args(
            "shop",
            &["--flow", "manual", "--timeout", "1"],
        ))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin_held_open = child.stdin.take();
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "bcconn hung"
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was pasted within 1 s"));
}

/// The fake with this suite's app, saved as iClient `app`.
fn fixture() -> OAuthFixture {
    OAuthFixture::with_app(
        CLIENT_ID,
        SECRET,
        &["store_v2_orders", "store_v2_information_read_only"],
    )
}
