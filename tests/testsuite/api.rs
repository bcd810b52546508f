//! `bcconn api` end to end: the real binary against the fake BigCommerce,
//! through token connections (no browser needed).

use std::time::Duration;

use serde_json::Value;

use crate::common::fake_bc::{FakeBc, TITLE_401, TITLE_404};
use crate::common::oauth::OAuthFixture;
use crate::common::{Env, all_output};

pub const HASH: &str = "abc123";
pub const TOKEN: &str = "tokenAPIuse0123456789abcdef";
const SCOPES: [&str; 3] = [
    "store_v2_products",
    "store_v2_orders",
    "store_v2_information",
];

/// A token connection `name` on `hash` with `token`; `extra` are create's flags.
pub fn add_token_connection(
    fake: &FakeBc,
    env: &Env,
    name: &str,
    hash: &str,
    token: &str,
    extra: &[&str],
) {
    fake.add_token(token, hash, &SCOPES);
    let mut args = vec![
        "create",
        name,
        "--auth-type",
        "token",
        "--store-hash",
        hash,
        "--access-token-stdin",
    ];
    args.extend_from_slice(extra);
    let out = env
        .cmd(&args)
        .write_stdin(format!("{token}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
}

/// A fake with one store and an env with connection `shop` (level `level`).
pub fn setup(level: &str) -> (FakeBc, Env) {
    setup_with_quota(level, None)
}

/// [`setup`] with the fake's rate quota per 30 s window set before the
/// first request (the default is BigCommerce's 150).
pub fn setup_with_quota(level: &str, quota: Option<u32>) -> (FakeBc, Env) {
    let OAuthFixture { fake, mut env, .. } = OAuthFixture::bare();
    if let Some(quota) = quota {
        fake.set_rate_window(quota, Duration::from_secs(30));
    }
    env.set("BCCONN_CONNECTION", "shop");
    add_token_connection(&fake, &env, "shop", HASH, TOKEN, &["--concurrency", level]);
    (fake, env)
}

/// `bcconn ARGS` run in the env's temp dir (no stray .bcconn above it).
pub fn run(env: &Env, args: &[&str]) -> std::process::Output {
    let out = env.cmd(args).current_dir(env.dir.path()).output().unwrap();
    assert!(
        !all_output(&out).contains(TOKEN),
        "the token was printed: {}",
        all_output(&out)
    );
    out
}

fn ok(env: &Env, args: &[&str]) -> String {
    let out = run(env, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", all_output(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn ids(items: &Value) -> Vec<u64> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn get_sends_token_and_headers_and_prints_the_body_as_received() {
    let (fake, env) = setup("1");
    let ids = fake.add_products(HASH, 2);
    let path = format!("v3/catalog/products/{}", ids[1]);
    let out = ok(&env, &["api", &path, "-c", "shop", "-H", "X-Test: yes"]);
    let body = json(&out);
    assert_eq!(body["data"]["name"], "Product 002");
    assert!(
        !out.contains("\n  "),
        "not pretty when stdout is a pipe: {out}"
    );
    let r = fake.requests().pop().unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", &*format!("/stores/{HASH}/{path}"))
    );
    assert_eq!(r.header("x-auth-token"), Some(TOKEN));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("x-test"), Some("yes"));
    assert!(r.header("user-agent").unwrap().starts_with("bcconn/"));
    assert_eq!(r.header("content-type"), None, "no body, no Content-Type");
    // --include: status line and headers first.
    let out = ok(&env, &["api", "v2/time", "--include"]);
    assert!(out.starts_with("HTTP/1.1 200 OK\n"), "{out}");
    assert!(out.contains("x-rate-limit-requests-left: "), "{out}");
    assert!(out.contains("\n\n{\"time\":"), "{out}");
}

#[test]
fn post_put_delete_with_fields_files_and_input() {
    let (fake, env) = setup("1");
    let desc = env.dir.path().join("desc.txt");
    std::fs::write(&desc, "Soft & \"warm\"\n").unwrap();
    let out = ok(
        &env,
        &[
            "api",
            "v3/catalog/products",
            "-f",
            "name=Shirt",
            "-f",
            "type=physical",
            "-F",
            "weight=1.5",
            "-F",
            "price=20",
            "-F",
            "is_visible=false",
            "-f",
            "sku=007",
            "-F",
            &format!("description=@{}", desc.display()),
            "-F",
            "categories[]=23",
            "-F",
            "categories[]=24",
        ],
    );
    let created = json(&out)["data"].clone();
    let r = fake.requests().pop().unwrap();
    assert_eq!(r.method, "POST", "a body makes it a POST");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let sent = json(&r.body);
    assert_eq!(sent["weight"], serde_json::json!(1.5));
    assert_eq!(sent["price"], serde_json::json!(20));
    assert_eq!(sent["is_visible"], serde_json::json!(false));
    assert_eq!(sent["sku"], serde_json::json!("007"), "-f keeps strings");
    assert_eq!(sent["description"], "Soft & \"warm\"\n");
    assert_eq!(sent["categories"], serde_json::json!([23, 24]));
    let id = created["id"].as_u64().unwrap();
    assert_eq!(fake.products(HASH)[0]["name"], "Shirt");

    // PUT with --input FILE, then with --input - (stdin).
    let body = env.dir.path().join("put.json");
    std::fs::write(&body, r#"{"price": 25.5}"#).unwrap();
    let path = format!("v3/catalog/products/{id}");
    let out = ok(
        &env,
        &["api", &path, "-X", "put", "--input", body.to_str().unwrap()],
    );
    assert_eq!(json(&out)["data"]["price"], serde_json::json!(25.5));
    assert_eq!(fake.requests().pop().unwrap().method, "PUT");
    let out = env
        .cmd(&["api", &path, "-X", "PUT", "--input", "-"])
        .current_dir(env.dir.path())
        .write_stdin(r#"{"name": "Shirt 2"}"#)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(fake.products(HASH)[0]["name"], "Shirt 2");

    // GET with fields: query parameters, not a body.
    fake.add_orders(HASH, 3);
    let out = ok(
        &env,
        &[
            "api",
            "v2/orders",
            "-X",
            "GET",
            "-F",
            "limit=2",
            "-f",
            "page=1",
        ],
    );
    assert_eq!(json(&out).as_array().unwrap().len(), 2);
    let r = fake.requests().pop().unwrap();
    assert_eq!(
        (r.query_param("limit"), r.query_param("page")),
        (Some("2".into()), Some("1".into()))
    );
    assert!(r.body.is_empty());

    // DELETE: 204 prints nothing.
    let out = ok(&env, &["api", &path, "-X", "DELETE"]);
    assert_eq!(out, "");
    assert!(fake.products(HASH).is_empty());
}

#[test]
fn an_http_error_is_passed_through() {
    let (fake, env) = setup("1");
    let out = run(&env, &["api", "v3/catalog/products/999999"]);
    assert_eq!(out.status.code(), Some(1));
    let body = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(body["status"], 404, "the body on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("404") && stderr.contains(TITLE_404),
        "{stderr}"
    );

    // A 422 names BigCommerce's title; -f weight stays a string, so it is refused.
    let out = run(
        &env,
        &[
            "api",
            "v3/catalog/products",
            "-f",
            "name=X",
            "-f",
            "type=physical",
            "-f",
            "weight=1",
            "-F",
            "price=2",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("422") && stderr.contains("JSON data is missing or invalid"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("weight must be a number"));
    assert!(fake.products(HASH).is_empty());
}

#[test]
fn a_401_marks_the_connection_invalid() {
    let (fake, env) = setup("1");
    fake.revoke_token(TOKEN);
    let out = run(&env, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("401") && stderr.contains(TITLE_401),
        "{stderr}"
    );
    assert!(stderr.contains("bcconn authorize shop"), "{stderr}");
    let shop = env
        .list()
        .into_iter()
        .find(|c| c["name"] == "shop")
        .unwrap();
    assert_eq!(shop["state"], "invalid", "{shop}");
    // The dead token is not sent again.
    let before = fake.requests().len();
    let out = run(&env, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(fake.requests().len(), before);
}

#[test]
fn paginate_v3_every_item_once_in_order_with_the_callers_limit() {
    let (fake, env) = setup("4");
    let want = fake.add_products(HASH, 23);
    let out = ok(&env, &["api", "v3/catalog/products?limit=3", "--paginate"]);
    assert_eq!(ids(&json(&out)), want);
    let pages: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/v3/catalog/products"))
        .collect();
    assert!(
        pages
            .iter()
            .all(|r| r.query_param("limit").as_deref() == Some("3"))
    );
    let mut numbers: Vec<u64> = pages
        .iter()
        .map(|r| r.query_param("page").map_or(1, |p| p.parse().unwrap()))
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=8).collect::<Vec<_>>(), "each page once");
    // --jq over the merged array, and over one page.
    let out = ok(
        &env,
        &[
            "api",
            "v3/catalog/products?limit=5",
            "--paginate",
            "--jq",
            ".[].name",
        ],
    );
    let names: Vec<String> = (1..=23).map(|i| format!("Product {i:03}")).collect();
    assert_eq!(out, names.join("\n") + "\n");
    let out = ok(
        &env,
        &["api", "v3/catalog/products?limit=2", "-q", ".data[].id"],
    );
    assert_eq!(out, format!("{}\n{}\n", want[0], want[1]));
}

#[test]
fn paginate_v2_until_the_204() {
    let (fake, env) = setup("3");
    let want = fake.add_orders(HASH, 17);
    let out = ok(&env, &["api", "v2/orders", "--paginate", "-f", "limit=2"]);
    assert_eq!(
        ids(&json(&out)),
        want,
        "17 orders in 9 pages, in order, once each"
    );
    let pages: Vec<u64> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/v2/orders"))
        .map(|r| {
            assert_eq!(r.query_param("limit").as_deref(), Some("2"));
            r.query_param("page").map_or(1, |p| p.parse().unwrap())
        })
        .collect();
    assert!(
        pages.contains(&10),
        "the page past the end was asked for: {pages:?}"
    );
}

#[test]
fn a_bad_jq_filter_or_path_sends_nothing() {
    let (fake, env) = setup("1");
    let before = fake.requests().len();
    let out = run(
        &env,
        &[
            "api",
            "v3/catalog/products",
            "-X",
            "POST",
            "-f",
            "name=x",
            "--jq",
            ".data[",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    let other = format!("{}/stores/zzz999/v2/time", fake.url());
    let out = run(&env, &["api", &other]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("zzz999"));
    let out = run(&env, &["api", "http://127.0.0.2:9/stores/abc123/v2/time"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not the store API"));
    let out = run(
        &env,
        &["api", "v2/time", "-H", &format!("X-Auth-Token: {}", "x")],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(&env, &["api", "v2/orders", "--paginate", "-X", "POST"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fake.requests().len(), before, "nothing was sent");
    // A full URL on the connection's own store works.
    let own = format!("{}/stores/{HASH}/v2/time", fake.url());
    assert!(json(&ok(&env, &["api", &own]))["time"].is_u64());
}

#[test]
fn a_429_is_waited_out_and_retried() {
    let (fake, env) = setup("1");
    fake.set_rate_window(150, Duration::from_secs(1));
    fake.force_429(HASH, 2, 1);
    let out = run(&env, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("429") && stderr.contains("waiting 1."),
        "{stderr}"
    );
    assert!(stderr.contains("(2 of 3)"), "{stderr}");
    assert_eq!(fake.served_429(), 2);
    assert_eq!(fake.count("GET", &format!("/stores/{HASH}/v2/time")), 3);
    // More 429s than retries: the last answer stands, exit 1.
    fake.force_429(HASH, 9, 1);
    let out = run(&env, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("429 Too Many Requests"));
}

#[test]
fn a_quota_of_3_per_second_over_10_pages_never_gets_a_429() {
    let (fake, env) = setup("5");
    let want = fake.add_products(HASH, 28);
    fake.set_rate_window(3, Duration::from_secs(1));
    let out = run(&env, &["api", "v3/catalog/products?limit=3", "--paginate"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(ids(&json(&String::from_utf8_lossy(&out.stdout))), want);
    assert_eq!(fake.served_429(), 0, "{}", all_output(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("waiting") && stderr.contains("reset"),
        "{stderr}"
    );
}

/// Two `bcconn api --paginate` at once, on `a` and on `b`.
fn two_at_once(env: &Env, a: &str, b: &str) {
    let spawn = |name: &str| {
        env.std_cmd(&[
            "api",
            "-c",
            name,
            "v3/catalog/products?limit=2",
            "--paginate",
        ])
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
    };
    let (p1, p2) = (spawn(a), spawn(b));
    for p in [p1, p2] {
        let out = p.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", all_output(&out));
        assert_eq!(
            json(&String::from_utf8_lossy(&out.stdout))
                .as_array()
                .unwrap()
                .len(),
            20
        );
    }
}

#[test]
fn two_processes_share_a_pool_of_level_2() {
    let (fake, env) = setup("2");
    fake.add_products(HASH, 20);
    fake.set_latency(Duration::from_millis(100));
    two_at_once(&env, "shop", "shop");
    assert_eq!(
        fake.max_in_flight(HASH),
        2,
        "never more than 2 in flight, and 2 reached"
    );
}

#[test]
fn a_borrowed_pool_is_shared_too() {
    let (fake, env) = setup("2");
    add_token_connection(
        &fake,
        &env,
        "borrower",
        HASH,
        "tokenBORROWER0123456789abc",
        &["--concurrency", "5", "--borrow-concurrency-from", "shop"],
    );
    fake.add_products(HASH, 20);
    fake.set_latency(Duration::from_millis(100));
    two_at_once(&env, "shop", "borrower");
    assert_eq!(
        fake.max_in_flight(HASH),
        2,
        "the borrower keeps to the lender's level"
    );
}

/// A closed stdout (`bcconn status | head -0`) wants no more output, but the
/// check still runs to its end: the 401 is recorded and the exit status is
/// status's own (3), not a quiet 0.
#[cfg(unix)]
#[test]
fn status_into_a_closed_pipe_still_records_and_exits_with_its_own_status() {
    let (fake, env) = setup("1");
    fake.revoke_token(TOKEN);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = env
        .std_cmd(&["status", "shop"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shop = env
        .list()
        .into_iter()
        .find(|c| c["name"] == "shop")
        .unwrap();
    assert_eq!(shop["state"], "invalid", "{shop}");
}
