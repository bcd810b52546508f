//! `bcconn hooks`: webhooks owned by a connection's token, against the
//! fake BigCommerce's `/v3/hooks` (which keeps them per store and token
//! owner); and what `status`, `delete` and `authorize` say about them.

use serde_json::Value;

use crate::api::{HASH, TOKEN, add_token_connection, run, setup};
use crate::common::fake_bc::{ERROR_TYPE_URL, Recorded, TITLE_403};
use crate::common::oauth::{OAuthFixture, create as create_oauth};
use crate::common::{all_output, json_answer, stderr, stdout};

/// A header value: the destination's secret, never to be printed.
const SECRET: &str = "hdr-secret-Zp41vQ8m";
const DEST: &str = "https://example.com/hooks";

fn ok(env: &crate::common::Env, args: &[&str]) -> std::process::Output {
    let out = run(env, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", all_output(&out));
    out
}

/// `bcconn ARGS` with `input` on stdin (the token never printed).
fn run_in(env: &crate::common::Env, args: &[&str], input: &str) -> std::process::Output {
    let out = env
        .cmd(args)
        .current_dir(env.dir.path())
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    assert!(!all_output(&out).contains(TOKEN), "{}", all_output(&out));
    out
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", all_output(out)))
}

/// Creates a hook with `shop` and a secret header from stdin; its id.
fn create_hook(env: &crate::common::Env, scope: &str, dest: &str) -> u64 {
    let out = run_in(
        env,
        &[
            "hooks",
            "create",
            "-c",
            "shop",
            "--scope",
            scope,
            "--destination",
            dest,
            "--header-file",
            "-",
        ],
        &format!("# for the destination\nX-Secret: {SECRET}\n\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(!all_output(&out).contains(SECRET), "{}", all_output(&out));
    stdout(&out)
        .trim()
        .parse()
        .expect("the new hook's id on stdout")
}

fn hook(hooks: &[Value], id: u64) -> &Value {
    hooks
        .iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("no hook {id} in {hooks:?}"))
}

#[test]
fn create_list_disable_enable_and_delete_change_what_bigcommerce_holds() {
    let (fake, env) = setup("1");
    let id = create_hook(&env, "store/order/created", DEST);
    // What BigCommerce was sent and keeps: the header's value, active.
    let post = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/v3/hooks"))
        .unwrap();
    let sent: Value = serde_json::from_str(&post.body).unwrap();
    assert_eq!(sent["scope"], "store/order/created");
    assert_eq!(sent["destination"], DEST);
    assert_eq!(sent["is_active"], true);
    assert_eq!(sent["headers"]["X-Secret"], SECRET);
    let held = fake.hooks(HASH);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["id"], id);
    assert_eq!(held[0]["owner"], format!("token:{TOKEN}"));
    assert_eq!(held[0]["headers"]["X-Secret"], SECRET);

    // The table: id, event, destination, state, header names only.
    let out = ok(&env, &["hooks", "list"]);
    let table = stdout(&out);
    assert!(table.contains(&id.to_string()), "{table}");
    assert!(table.contains("store/order/created"), "{table}");
    assert!(table.contains(DEST), "{table}");
    assert!(table.contains("X-Secret: ***"), "{table}");
    assert!(table.contains("active"), "{table}");
    assert!(!all_output(&out).contains(SECRET));
    let listed = json(&ok(&env, &["hooks", "list", "-c", "shop", "--json"]));
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["headers"]["X-Secret"], "***");
    assert_eq!(listed[0]["is_active"], true);

    // Off, then on again: BigCommerce's is_active follows.
    ok(&env, &["hooks", "disable", &id.to_string(), "-c", "shop"]);
    assert_eq!(hook(&fake.hooks(HASH), id)["is_active"], false);
    let out = ok(&env, &["hooks", "list"]);
    assert!(stdout(&out).contains("inactive"), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("bcconn hooks enable ID -c shop"),
        "{}",
        all_output(&out)
    );
    ok(&env, &["hooks", "enable", &id.to_string()]);
    assert_eq!(hook(&fake.hooks(HASH), id)["is_active"], true);
    let put = fake
        .requests()
        .into_iter()
        .rfind(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&put.body).unwrap(),
        serde_json::json!({"is_active": true})
    );

    // Without a terminal a delete needs --yes, and nothing is sent.
    let sent = fake.requests().len();
    let out = run(&env, &["hooks", "delete", &id.to_string()]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("--yes"), "{}", all_output(&out));
    assert_eq!(fake.requests().len(), sent);
    assert_eq!(fake.hooks(HASH).len(), 1);
    let out = ok(&env, &["hooks", "delete", &id.to_string(), "--yes"]);
    assert!(
        stderr(&out).contains("Deleted webhook"),
        "{}",
        all_output(&out)
    );
    assert!(fake.hooks(HASH).is_empty());
    // Created turned off, as asked.
    let out = run_in(
        &env,
        &[
            "hooks",
            "create",
            "--scope",
            "store/product/*",
            "--destination",
            "https://example.com:443/p",
            "--inactive",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(fake.hooks(HASH)[0]["is_active"], false);
    assert_eq!(fake.hooks(HASH)[0]["headers"], Value::Null);
}

#[test]
fn a_hook_is_seen_only_by_the_token_that_created_it() {
    let (fake, env) = setup("1");
    add_token_connection(&fake, &env, "other", HASH, "tokenOTHERaccount987654", &[]);
    let id = create_hook(&env, "store/order/created", DEST);
    let theirs = json(&ok(&env, &["hooks", "list", "-c", "other", "--json"]));
    assert_eq!(theirs, serde_json::json!([]), "another token sees it");
    let out = ok(&env, &["hooks", "list", "-c", "other"]);
    assert!(
        stderr(&out).contains("only the webhooks its own token created"),
        "{}",
        all_output(&out)
    );
    // Nor can it change or delete it: BigCommerce's 404, one clear line.
    for args in [
        vec!["hooks", "disable", "ID", "-c", "other"],
        vec!["hooks", "delete", "ID", "-c", "other", "--yes"],
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("ID", &id.to_string()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&env, &args);
        assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!(
                "error: no webhook {id} for connection \"other\": BigCommerce answered 404 (Webhook with id [{id}] not found)\n"
            )),
            "{err}"
        );
        assert!(err.contains("bcconn hooks list -c other"), "{err}");
    }
    let held = fake.hooks(HASH);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["is_active"], true);
}

#[test]
fn destinations_off_https_port_443_are_refused_with_nothing_sent() {
    let (fake, env) = setup("1");
    let before = fake.requests().len();
    for (dest, said) in [
        ("http://example.com/hooks", "http is not https"),
        ("https://example.com:8443/hooks", "port 8443"),
        ("example.com/hooks", "not a URL"),
        (
            "https://user:pw-Hx72@example.com/hooks",
            "user name or password",
        ),
    ] {
        let out = run(
            &env,
            &[
                "hooks",
                "create",
                "--scope",
                "store/order/created",
                "--destination",
                dest,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{dest}: {}", all_output(&out));
        let err = stderr(&out);
        assert!(err.contains(said), "{dest}: {err}");
        assert!(!err.contains("pw-Hx72"), "{err}");
        if dest.starts_with("http") && !dest.contains('@') {
            assert!(err.contains("port 443"), "BigCommerce's rule: {err}");
        }
    }
    // A malformed event and a bare header without a terminal: refused too.
    for (args, said) in [
        (vec!["--scope", "order/created"], "start with store/"),
        (
            vec!["--scope", "store/order/created", "--header", "X-Key"],
            "--header-file",
        ),
    ] {
        let mut all = vec!["hooks", "create", "--destination", DEST];
        all.extend(args);
        let out = run(&env, &all);
        assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
        assert!(stderr(&out).contains(said), "{}", all_output(&out));
    }
    assert_eq!(
        fake.requests().len(),
        before,
        "a refused hook sent something"
    );
    assert!(fake.hooks(HASH).is_empty());
}

#[test]
fn header_values_never_show_in_output_verbose_lines_or_errors() {
    let (fake, env) = setup("1");
    let id = create_hook(&env, "store/order/created", DEST);
    let mut outputs = Vec::new();
    for args in [
        vec!["-v", "hooks", "list"],
        vec!["-vv", "hooks", "list", "--json"],
        vec!["-v", "hooks", "disable", "ID"],
        vec!["-v", "hooks", "enable", "ID"],
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("ID", &id.to_string()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        outputs.push(ok(&env, &args));
    }
    // A refused create (a duplicate) with the same secret header, -v.
    let out = run_in(
        &env,
        &[
            "-v",
            "hooks",
            "create",
            "--scope",
            "store/order/created",
            "--destination",
            DEST,
            "--header-file",
            "-",
        ],
        &format!("X-Secret: {SECRET}\n"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    outputs.push(out);
    // A header line without ':' is refused without repeating it.
    let out = run_in(
        &env,
        &[
            "hooks",
            "create",
            "--scope",
            "store/order/*",
            "--destination",
            DEST,
            "--header-file",
            "-",
        ],
        &format!("X-Secret {SECRET}\n"),
    );
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("line 1 of stdin"),
        "{}",
        all_output(&out)
    );
    outputs.push(out);
    for out in &outputs {
        assert!(!all_output(out).contains(SECRET), "{}", all_output(out));
    }
    // The verbose lines were there, so the check above looked at them.
    assert!(
        stderr(&outputs[0]).contains("/v3/hooks"),
        "{}",
        all_output(&outputs[0])
    );
    assert_eq!(fake.hooks(HASH).len(), 1);
}

#[test]
fn a_duplicate_or_an_eleventh_hook_shows_bigcommerces_422() {
    let (fake, env) = setup("1");
    create_hook(&env, "store/order/created", DEST);
    let args = [
        "hooks",
        "create",
        "--scope",
        "store/order/created",
        "--destination",
        DEST,
    ];
    let out = run(&env, &args);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains("error: BigCommerce refused the webhook (422): A webhook with this scope and destination already exists (destination: already subscribed to store/order/created)"),
        "{err}"
    );
    assert!(err.contains("at most 10 webhooks per event"), "{err}");
    for n in 2..=10 {
        create_hook(&env, "store/order/created", &format!("{DEST}/{n}"));
    }
    let eleventh = format!("{DEST}/11");
    let out = run(
        &env,
        &[
            "hooks",
            "create",
            "--scope",
            "store/order/created",
            "--destination",
            &eleventh,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("No more than 10 webhooks per scope"),
        "{}",
        all_output(&out)
    );
    assert_eq!(fake.hooks(HASH).len(), 10);
    // An event BigCommerce does not know is its 422 to tell, as it says it.
    let out = run(
        &env,
        &[
            "hooks",
            "create",
            "--scope",
            "store/orders/created",
            "--destination",
            DEST,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("(scope: scope is not a known webhook event)"),
        "{}",
        all_output(&out)
    );
}

#[test]
fn an_unknown_id_is_bigcommerces_404_and_a_word_is_a_usage_error() {
    let (fake, env) = setup("1");
    let out = run(&env, &["hooks", "enable", "999"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).starts_with(
            "error: no webhook 999 for connection \"shop\": BigCommerce answered 404 (Webhook with id [999] not found)\n"
        ),
        "{}",
        all_output(&out)
    );
    let sent = fake.requests().len();
    for id in ["abc", "0", "-3", "12x"] {
        let out = run(&env, &["hooks", "delete", id, "--yes"]);
        assert_eq!(out.status.code(), Some(2), "{id}: {}", all_output(&out));
        assert!(
            stderr(&out).contains("webhook ids are numbers"),
            "{}",
            all_output(&out)
        );
    }
    assert_eq!(fake.requests().len(), sent);
}

#[test]
fn a_missing_scope_is_a_403_whose_hint_names_the_scope() {
    let (fake, env) = setup("1");
    // An API account without Customers.
    let out = run(
        &env,
        &[
            "hooks",
            "create",
            "--scope",
            "store/customer/created",
            "--destination",
            DEST,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(err.contains("403 Forbidden"), "{err}");
    assert!(
        err.contains("likely needs the Customers scope, read-only (store_v2_customers_read_only)"),
        "{err}"
    );
    assert!(err.contains("Settings › API"), "{err}");
    assert!(fake.hooks(HASH).is_empty());

    // An app: the hint is the edit that adds it.
    let fx = OAuthFixture::new();
    assert!(create_oauth(&fx.env, "app-shop", &[]).status.success());
    let out = fx
        .env
        .cmd(&[
            "hooks",
            "create",
            "-c",
            "app-shop",
            "--scope",
            "store/product/updated",
            "--destination",
            DEST,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out)
            .contains("bcconn edit app-shop --scopes store_v2_orders,store_v2_products_read_only"),
        "{}",
        all_output(&out)
    );
}

#[test]
fn an_apps_hooks_stay_with_the_app_across_a_reauthorization() {
    let fx = OAuthFixture::new();
    let env = &fx.env;
    assert!(create_oauth(env, "shop", &[]).status.success());
    let out = env
        .cmd(&[
            "hooks",
            "create",
            "-c",
            "shop",
            "--scope",
            "store/order/*",
            "--destination",
            DEST,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let id: u64 = stdout(&out).trim().parse().unwrap();
    assert_eq!(
        fx.fake.hooks("abc123")[0]["owner"],
        format!("client:{}", crate::common::oauth::CLIENT_ID)
    );
    let again = env.cmd(&["authorize", "shop"]).output().unwrap();
    assert!(again.status.success(), "{}", all_output(&again));
    assert!(
        !stderr(&again).contains("webhook"),
        "{}",
        all_output(&again)
    );
    assert_eq!(fx.fake.issued_tokens().len(), 2, "a new token was minted");
    let listed = env
        .cmd(&["hooks", "list", "-c", "shop", "--json"])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["id"], id);
}

#[test]
fn status_warns_of_inactive_hooks_and_keeps_its_exit_status() {
    let (fake, env) = setup("1");
    let quiet = ok(&env, &["status", "shop"]);
    assert!(
        !stderr(&quiet).contains("webhook"),
        "{}",
        all_output(&quiet)
    );
    let on = create_hook(&env, "store/order/created", DEST);
    let off = create_hook(&env, "store/order/updated", DEST);
    let out = ok(&env, &["status", "shop"]);
    assert!(!stderr(&out).contains("webhook"), "{}", all_output(&out));
    fake.deactivate_hook(off);
    let out = ok(&env, &["status"]);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: \"shop\" has 1 inactive webhook ({off} store/order/updated → {DEST})"
        )),
        "{err}"
    );
    assert!(!err.contains(&on.to_string()), "{err}");
    assert!(err.contains("bcconn hooks enable ID -c shop"), "{err}");
    assert!(err.contains("48 h"), "{err}");
    // It asked BigCommerce for the inactive ones only.
    let asked = fake
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/v3/hooks"))
        .unwrap();
    assert_eq!(asked.query_param("is_active").as_deref(), Some("false"));
    // JSON stays the report it was; the warning is on stderr.
    let out = ok(&env, &["status", "--json"]);
    let rows = json(&out);
    assert_eq!(rows[0]["status"], "ok");
    assert!(
        stderr(&out).contains("1 inactive webhook"),
        "{}",
        all_output(&out)
    );
    // A token that may not list webhooks (403): no report, no error.
    fake.hostile("GET", "v3/hooks", |_r: Recorded, _n| async move {
        let mut resp = json_answer(serde_json::json!({
            "status": 403, "title": TITLE_403, "type": ERROR_TYPE_URL, "errors": {},
        }));
        *resp.status_mut() = axum::http::StatusCode::FORBIDDEN;
        resp
    });
    let out = ok(&env, &["status"]);
    assert!(!stderr(&out).contains("webhook"), "{}", all_output(&out));
    assert!(!stderr(&out).contains("error"), "{}", all_output(&out));
    assert_eq!(fake.hostile_hits("GET", "v3/hooks"), 1);
}

#[test]
fn deleting_a_connection_whose_token_has_hooks_says_so_before_asking() {
    let (fake, env) = setup("1");
    add_token_connection(&fake, &env, "plain", HASH, "tokenPLAINaccount24680", &[]);
    let id = fake.add_hook(TOKEN, HASH, "store/order/created", DEST);
    let out = run(&env, &["delete", "shop"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    let err = stderr(&out);
    let warned = err
        .find(&format!(
            "warning: the token of \"shop\" has 1 webhook in BigCommerce ({id} store/order/created → {DEST})"
        ))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        warned < err.find("error:").unwrap(),
        "said before asking: {err}"
    );
    assert!(err.contains("can no longer list or change them"), "{err}");
    assert!(err.contains("bcconn hooks delete ID -c shop"), "{err}");
    assert_eq!(env.list().len(), 2, "nothing deleted");
    let out = ok(&env, &["delete", "shop", "--yes"]);
    assert!(stderr(&out).contains("1 webhook"), "{}", all_output(&out));
    // No hooks: nothing said. The hooks stay in BigCommerce either way.
    let out = ok(&env, &["delete", "plain", "--yes"]);
    assert!(!stderr(&out).contains("webhook"), "{}", all_output(&out));
    assert_eq!(fake.hooks(HASH).len(), 1);
}

#[test]
fn a_delete_that_cannot_check_for_hooks_goes_on_without_a_word() {
    let (fake, mut env) = setup("1");
    fake.add_hook(TOKEN, HASH, "store/order/created", DEST);
    // Nothing answers there: the check fails at once, the delete goes on.
    env.set("BCCONN_API_URL", "http://127.0.0.1:9");
    let out = ok(&env, &["delete", "shop", "--yes"]);
    assert!(!stderr(&out).contains("webhook"), "{}", all_output(&out));
    assert!(env.list().is_empty());
}

#[test]
fn a_store_that_never_answers_the_check_does_not_hold_up_a_delete() {
    let (fake, env) = setup("1");
    fake.add_hook(TOKEN, HASH, "store/order/created", DEST);
    // Longer than the 60 s a test command may take: only a bounded check
    // lets the delete finish.
    fake.hostile("GET", "v3/hooks", |_r: Recorded, _n| async move {
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        json_answer(serde_json::json!({}))
    });
    let out = ok(&env, &["delete", "shop", "--yes"]);
    assert!(!stderr(&out).contains("webhook"), "{}", all_output(&out));
    assert!(env.list().is_empty());
    assert_eq!(fake.hostile_hits("GET", "v3/hooks"), 1);
}

/// The fake is as strict as the issue asks: what bcconn never sends is
/// flagged (here sent on purpose through `bcconn api`).
#[test]
fn the_fake_flags_hook_bodies_bcconn_never_sends() {
    let (fake, env) = setup("1");
    fake.expect_unexpected();
    for fields in [
        vec![
            "scope=store/order/created",
            "destination=https://x.example/h",
            "colour=red",
        ],
        vec![
            "scope=store/order/created",
            "destination=http://x.example/h",
        ],
        vec![
            "scope=store/order/created",
            "destination=https://x.example:8443/h",
        ],
    ] {
        let mut args = vec!["api", "v3/hooks", "-X", "POST"];
        for f in &fields {
            args.extend(["-f", f]);
        }
        let out = run(&env, &args);
        assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
        assert!(
            stdout(&out).contains("\"status\":422"),
            "{}",
            all_output(&out)
        );
    }
    let flagged = fake.unexpected().join("\n");
    assert!(flagged.contains("unknown field \"colour\""), "{flagged}");
    assert!(flagged.contains("must use https"), "{flagged}");
    assert!(flagged.contains("port 443"), "{flagged}");
    assert!(fake.hooks(HASH).is_empty());
}

#[test]
fn a_token_connections_new_token_leaves_the_old_accounts_hooks_behind() {
    let (fake, env) = setup("1");
    let id = create_hook(&env, "store/order/created", DEST);
    // The same token again: the same API account, nothing said.
    let out = run_in(
        &env,
        &["authorize", "shop", "--access-token-stdin"],
        &format!("{TOKEN}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(!stderr(&out).contains("webhook"), "{}", all_output(&out));
    const NEW: &str = "tokenNEWaccount13579bdf";
    fake.add_token(NEW, HASH, &["store_v2_orders", "store_v2_information"]);
    let out = run_in(
        &env,
        &["authorize", "shop", "--access-token-stdin"],
        &format!("{NEW}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: the previous token of \"shop\" has 1 webhook ({id} store/order/created → {DEST})"
        )),
        "{err}"
    );
    assert!(
        err.contains("the new token cannot list or change them"),
        "{err}"
    );
    assert!(!all_output(&out).contains(NEW));
    let now = json(&ok(&env, &["hooks", "list", "--json"]));
    assert_eq!(now, serde_json::json!([]));
    assert_eq!(fake.hooks(HASH).len(), 1);
}

#[test]
fn a_401_marks_the_connection_invalid_as_elsewhere() {
    let (fake, env) = setup("1");
    fake.revoke_token(TOKEN);
    let out = run(&env, &["hooks", "list"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains("BigCommerce refused the token of \"shop\" (401"),
        "{err}"
    );
    assert!(err.contains("bcconn authorize shop"), "{err}");
    assert!(err.contains("now marked invalid"), "{err}");
    assert_eq!(env.list()[0]["state"], "invalid");
    // Then the token is not sent again.
    let sent = fake.requests().len();
    let out = run(&env, &["hooks", "list"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert_eq!(fake.requests().len(), sent);
}

#[test]
fn a_long_list_is_read_page_by_page_each_hook_once_in_order() {
    let (fake, env) = setup("2");
    let mut ids = Vec::new();
    for scope in [
        "store/order/created",
        "store/order/updated",
        "store/order/archived",
        "store/product/created",
        "store/product/updated",
        "store/product/deleted",
    ] {
        for n in 0..10 {
            ids.push(fake.add_hook(TOKEN, HASH, scope, &format!("{DEST}/{n}")));
        }
    }
    let before = fake.count("GET", &format!("/stores/{HASH}/v3/hooks"));
    let listed = json(&ok(&env, &["hooks", "list", "--json"]));
    let got: Vec<u64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, ids);
    assert_eq!(
        fake.count("GET", &format!("/stores/{HASH}/v3/hooks")) - before,
        2,
        "60 hooks at 50 a page"
    );
}

/// On a terminal: a header's value asked for with a hidden prompt, and a
/// delete asked about, naming the hook.
#[cfg(unix)]
#[test]
fn on_a_terminal_a_header_value_is_asked_hidden_and_a_delete_is_asked_first() {
    use crate::wizard::{ENTER, Pty};
    let (fake, env) = setup("1");
    let mut t = Pty::spawn(
        &env,
        &[
            "hooks",
            "create",
            "-c",
            "shop",
            "--scope",
            "store/order/created",
            "--destination",
            DEST,
            "--header",
            "X-Secret",
        ],
    );
    t.answer("Value of header X-Secret:", &format!("{SECRET}{ENTER}"));
    t.expect("Created webhook");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(!t.seen.contains(SECRET), "the value was drawn: {}", t.seen);
    let held = fake.hooks(HASH);
    assert_eq!(held[0]["headers"]["X-Secret"], SECRET);
    let id = held[0]["id"].as_u64().unwrap();

    let mut t = Pty::spawn(&env, &["hooks", "delete", &id.to_string(), "-c", "shop"]);
    t.answer(
        &format!("Delete webhook {id} store/order/created → {DEST}?"),
        &format!("n{ENTER}"),
    );
    t.expect("Nothing deleted.");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert_eq!(fake.hooks(HASH).len(), 1);
    let mut t = Pty::spawn(&env, &["hooks", "delete", &id.to_string(), "-c", "shop"]);
    t.answer("Delete webhook", &format!("y{ENTER}"));
    t.expect("Deleted webhook");
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(fake.hooks(HASH).is_empty());
}

#[test]
fn a_header_value_on_the_command_line_is_taken_with_a_warning() {
    let (fake, env) = setup("1");
    let header = format!("X-Key: {SECRET}");
    let out = ok(
        &env,
        &[
            "hooks",
            "create",
            "-c",
            "shop",
            "--scope",
            "store/order/created",
            "--destination",
            DEST,
            "--header",
            &header,
        ],
    );
    let err = crate::common::stderr(&out);
    assert!(
        err.contains("warning:") && err.contains("command line") && err.contains("--header-file"),
        "{err}"
    );
    assert!(!all_output(&out).contains(SECRET), "{}", all_output(&out));
    assert_eq!(fake.hooks(HASH)[0]["headers"]["X-Key"], SECRET);
}
