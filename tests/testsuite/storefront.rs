//! Headless storefronts: `bcconn channels` and `bcconn storefront-token
//! create|revoke` against the fake BigCommerce (`common/fake_storefront.rs`),
//! and saved storefront tokens carried wherever a connection's secrets go:
//! env/exec, list/show/status (never the token), delete, `secrets move`,
//! encrypted bundles.

use std::process::Output;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::common::fake_bc::FakeBc;
use crate::common::oauth::OAuthFixture;
use crate::common::{Env, all_output, assert_exit, stderr, stdout};

const HASH: &str = "abc123";
const TOKEN: &str = "tok-storefront-Zq81mXc4Lw";
/// What a connection needs for everything here.
const ALL: [&str; 5] = [
    "store_v2_information",
    "store_channel_settings_read_only",
    "store_sites_read_only",
    "store_storefront_api",
    "store_storefront_api_customer_impersonation",
];

/// The fake with the standard channels and an env with token connection
/// `shop` (scopes `scopes`) as the default connection.
fn setup(scopes: &[&str]) -> (FakeBc, Env) {
    setup_with(scopes, |_| {})
}

/// [`setup`], with `tweak` applied to the env before anything is saved.
fn setup_with(scopes: &[&str], tweak: impl FnOnce(&mut Env)) -> (FakeBc, Env) {
    let OAuthFixture { fake, mut env, .. } = OAuthFixture::bare();
    tweak(&mut env);
    fake.add_storefront_channels(HASH);
    fake.add_token(TOKEN, HASH, scopes);
    env.set("BCCONN_CONNECTION", "shop");
    let out = env
        .cmd(&[
            "create",
            "shop",
            "--auth-type",
            "token",
            "--store-hash",
            HASH,
            "--access-token-stdin",
        ])
        .write_stdin(format!("{TOKEN}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    (fake, env)
}

/// `bcconn ARGS` in the env's temp dir; the access token never shows
/// (but in `env`'s lines, where it belongs).
fn run(env: &Env, args: &[&str]) -> Output {
    let out = env.cmd(args).current_dir(env.dir.path()).output().unwrap();
    assert!(
        args.first() == Some(&"env") || !all_output(&out).contains(TOKEN),
        "the access token was printed: {}",
        all_output(&out)
    );
    out
}

fn run_in(env: &Env, args: &[&str], input: &str) -> Output {
    env.cmd(args)
        .current_dir(env.dir.path())
        .write_stdin(input.to_string())
        .output()
        .unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `storefront-token create ARGS`, which must succeed; its stdout.
fn create(env: &Env, args: &[&str]) -> String {
    let out = run(env, &[&["storefront-token", "create"][..], args].concat());
    assert_exit(&out, 0);
    stdout(&out)
}

/// The connection's record as `show --json` prints it.
fn shown(env: &Env) -> Value {
    let out = run(env, &["show", "shop", "--json"]);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn saved_names(env: &Env) -> Vec<String> {
    shown(env)["storefront_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// The variables `bcconn exec` gives CMD: the storefront token and channel.
fn exec_vars(env: &Env, extra: &[&str]) -> String {
    let args = [
        &["exec"][..],
        extra,
        &[
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"${BIGCOMMERCE_STOREFRONT_TOKEN-unset}\" \"${BIGCOMMERCE_CHANNEL_ID-unset}\"",
        ],
    ]
    .concat();
    let out = run(env, &args);
    assert_exit(&out, 0);
    stdout(&out)
}

#[test]
fn a_server_token_is_the_only_thing_on_stdout_and_its_body_is_exact() {
    let (fake, env) = setup(&ALL);
    let printed = create(
        &env,
        &[
            "--channel",
            "1",
            "--for",
            "server",
            "--scopes",
            "customer,Unauthenticated,Customer",
            "--expires",
            "30d",
        ],
    );
    let issued = fake.storefront_tokens();
    assert_eq!(issued.len(), 1);
    let t = &issued[0];
    assert_eq!(printed, format!("{}\n", t.token));
    assert_eq!(t.kind, "server");
    let body = &t.body;
    let expires = body["expires_at"].as_i64().unwrap();
    assert!((expires - (now() + 30 * 86_400)).abs() < 120, "{body}");
    assert_eq!(
        *body,
        json!({"channel_id": 1, "expires_at": expires, "scopes": ["Customer", "Unauthenticated"]})
    );
    // The request carried the connection's token, not the printed one.
    let post = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        post.path,
        format!("/stores/{HASH}/v3/storefront/api-token-private")
    );
    assert_eq!(post.header("x-auth-token"), Some(TOKEN));
}

#[test]
fn a_browser_token_for_two_channels_sends_channel_ids_and_says_it_is_for_browsers() {
    let (fake, env) = setup(&ALL);
    let out = run(
        &env,
        &[
            "storefront-token",
            "create",
            "--channel",
            "1",
            "--channel",
            "2",
            "--for",
            "browser",
            "--cors-origin",
            "https://Shop.example.com/",
            "--cors-origin",
            "http://localhost:3000",
            "--expires",
            "2d",
        ],
    );
    assert_exit(&out, 0);
    let t = &fake.storefront_tokens()[0];
    assert_eq!(t.kind, "browser");
    assert_eq!(stdout(&out), format!("{}\n", t.token));
    assert!(t.body.get("channel_id").is_none(), "{}", t.body);
    assert_eq!(t.body["channel_ids"], json!([1, 2]));
    assert_eq!(
        t.body["allowed_cors_origins"],
        json!(["https://shop.example.com", "http://localhost:3000"])
    );
    let said = stderr(&out);
    assert!(said.contains("for browsers only"), "{said}");
    assert!(said.contains("--for server"), "{said}");
    assert!(!said.contains(&t.token), "{said}");
}

#[test]
fn a_customer_impersonation_token_uses_its_own_endpoint() {
    let (fake, env) = setup(&ALL);
    let out = run(
        &env,
        &[
            "storefront-token",
            "create",
            "--channel",
            "2",
            "--expires",
            "1d",
            "--customer-impersonation",
        ],
    );
    assert_exit(&out, 0);
    let t = &fake.storefront_tokens()[0];
    assert_eq!(t.kind, "impersonation");
    assert_eq!(
        t.body,
        json!({"channel_id": 2, "expires_at": t.body["expires_at"]})
    );
    assert!(!stderr(&out).contains("browsers only"), "{}", stderr(&out));
}

#[test]
fn bad_requests_are_refused_before_anything_is_sent() {
    let (fake, env) = setup(&ALL);
    let base = ["storefront-token", "create", "--channel", "1"];
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "--for",
                "browser",
                "--expires",
                "1d",
                "--cors-origin",
                "https://a.example",
                "--cors-origin",
                "https://b.example",
                "--cors-origin",
                "https://c.example",
            ],
            "at most 2",
        ),
        (
            &[
                "--for",
                "server",
                "--scopes",
                "Unauthenticated",
                "--expires",
                "2020-01-01",
            ],
            "in the past",
        ),
        (
            &[
                "--for",
                "server",
                "--scopes",
                "Unauthenticated",
                "--expires",
                "99y",
            ],
            "10 years",
        ),
        (
            &["--for", "server", "--scopes", "Admin", "--expires", "1d"],
            "Unauthenticated, Customer, B2B",
        ),
        (
            &[
                "--for",
                "server",
                "--scopes",
                "Customer",
                "--cors-origin",
                "https://a.example",
                "--expires",
                "1d",
            ],
            "browser tokens only",
        ),
        (
            &[
                "--for",
                "browser",
                "--cors-origin",
                "https://a.example/path",
                "--expires",
                "1d",
            ],
            "has a path",
        ),
        (&["--for", "server", "--expires", "1d"], "--scopes"),
        (
            &[
                "--for",
                "server",
                "--scopes",
                "B2B",
                "--expires",
                "1d",
                "--save",
                "Web!",
            ],
            "a-z, 0-9",
        ),
    ];
    for (args, said) in cases {
        let out = run(&env, &[&base[..], args].concat());
        assert_exit(&out, 2);
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
    }
    // Without a terminal, what is missing is named.
    let out = run(&env, &["storefront-token", "create"]);
    assert_exit(&out, 2);
    for flag in ["--channel", "--for browser|server", "--expires"] {
        assert!(stderr(&out).contains(flag), "{}", stderr(&out));
    }
    assert_eq!(fake.count("POST", "/stores"), 0);
    assert!(fake.storefront_tokens().is_empty());
}

#[test]
fn a_missing_scope_names_it_and_how_to_add_it() {
    let (fake, env) = setup(&["store_v2_information", "store_storefront_api"]);
    let out = run(
        &env,
        &[
            "storefront-token",
            "create",
            "--channel",
            "1",
            "--expires",
            "1d",
            "--customer-impersonation",
        ],
    );
    assert_exit(&out, 1);
    let said = stderr(&out);
    assert!(said.contains("403"), "{said}");
    assert!(
        said.contains("store_storefront_api_customer_impersonation"),
        "{said}"
    );
    assert!(said.contains("API account"), "{said}");
    let (_fake2, env) = setup(&["store_v2_information"]);
    let out = run(
        &env,
        &[
            "storefront-token",
            "create",
            "--channel",
            "1",
            "--expires",
            "1d",
            "--for",
            "server",
            "--scopes",
            "B2B",
        ],
    );
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("needs scope store_storefront_api"),
        "{}",
        stderr(&out)
    );
    assert!(fake.storefront_tokens().is_empty());
}

#[test]
fn a_422_shows_bigcommerces_message_bounded_and_escaped() {
    let (fake, env) = setup(&ALL);
    let out = run(
        &env,
        &[
            "storefront-token",
            "create",
            "--channel",
            "9",
            "--expires",
            "1d",
            "--for",
            "server",
            "--scopes",
            "B2B",
        ],
    );
    assert_exit(&out, 1);
    let said = stderr(&out);
    assert!(said.contains("422"), "{said}");
    assert!(said.contains("Invalid channel"), "{said}");
    assert!(
        said.contains("channel_id: Channel 9 is not a storefront channel of this store"),
        "{said}"
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(fake.storefront_tokens().is_empty());
}

/// Two saved tokens: `web` (browser, channel 2) then `server` (channel 1).
fn two_saved(env: &Env, fake: &FakeBc) -> (String, String) {
    let out = create(
        env,
        &[
            "--channel",
            "2",
            "--for",
            "browser",
            "--expires",
            "30d",
            "--save",
            "web",
        ],
    );
    assert!(out.is_empty(), "a saved token is not printed: {out}");
    let out = create(
        env,
        &[
            "--channel",
            "1",
            "--channel",
            "2",
            "--for",
            "server",
            "--scopes",
            "Unauthenticated",
            "--expires",
            "60d",
            "--save",
            "server",
        ],
    );
    assert!(out.is_empty(), "{out}");
    let issued = fake.storefront_tokens();
    (issued[0].token.clone(), issued[1].token.clone())
}

#[test]
fn saved_tokens_are_exported_by_env_and_exec_and_shown_nowhere() {
    let (fake, env) = setup(&ALL);
    let (web, server) = two_saved(&env, &fake);
    // The most recently saved one, with its first channel.
    let out = run(&env, &["env"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("export BIGCOMMERCE_STOREFRONT_TOKEN='{server}'")),
        "{text}"
    );
    assert!(text.contains("export BIGCOMMERCE_CHANNEL_ID='1'"), "{text}");
    let out = run(&env, &["env", "--storefront", "web"]);
    assert!(stdout(&out).contains(&format!("BIGCOMMERCE_STOREFRONT_TOKEN='{web}'")));
    assert!(stdout(&out).contains("BIGCOMMERCE_CHANNEL_ID='2'"));
    assert_eq!(exec_vars(&env, &[]), format!("{server}|1"));
    assert_eq!(
        exec_vars(&env, &["--storefront", "web"]),
        format!("{web}|2")
    );
    let out = run(&env, &["env", "--storefront", "nope"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("\"web\", \"server\""),
        "{}",
        stderr(&out)
    );
    // Never in what describes the connection, whatever the verbosity.
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["list", "--wide"],
        &["show", "shop"],
        &["show", "shop", "--json"],
        &["status"],
        &["status", "--json"],
        &["-v", "show", "shop"],
        &["-vv", "status"],
        &["-vv", "channels"],
        &["export"],
        &["history", "shop"],
    ] {
        let out = run(&env, args);
        let all = all_output(&out);
        assert!(
            !all.contains(&web) && !all.contains(&server),
            "{args:?}: {all}"
        );
    }
    let out = run(&env, &["show", "shop"]);
    let text = stdout(&out);
    assert!(text.contains("web (browser; channel 2; expires"), "{text}");
    assert!(
        text.contains("server (server; channels 1, 2; expires"),
        "{text}"
    );
    let list = env.list();
    let names: Vec<&str> = list[0]["storefront_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "server"]);
    assert_eq!(
        list[0]["storefront_tokens"][1]["scopes"],
        json!(["Unauthenticated"])
    );
    // The tokens are in the secret store, under accounts naming them.
    let secrets = env.secrets_text();
    assert!(secrets.contains(&web) && secrets.contains(&server));
    assert!(secrets.contains("/storefront/web/"), "{secrets}");
    // Without a saved token nothing is set, and exec takes away an
    // inherited one (another connection's would be wrong).
    let (_, bare) = setup(&ALL);
    let mut bare = bare;
    bare.set("BIGCOMMERCE_STOREFRONT_TOKEN", "inherited");
    assert_eq!(exec_vars(&bare, &[]), "unset|unset");
    assert!(!stdout(&run(&bare, &["env"])).contains("STOREFRONT"));
}

#[test]
fn doctor_counts_saved_tokens_as_the_records_secrets_not_orphans() {
    let (fake, env) = setup(&ALL);
    // Doctor's network checks ask the fake's root, which it does not serve.
    fake.expect_unexpected();
    let (web, server) = two_saved(&env, &fake);
    let out = run(&env, &["doctor", "--json"]);
    let all = all_output(&out);
    assert!(!all.contains(&web) && !all.contains(&server), "{all}");
    let found: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let check = |name: &str| {
        found
            .iter()
            .find(|f| f["check"] == name)
            .unwrap_or_else(|| panic!("no {name} in {found:?}"))
            .clone()
    };
    let orphans = check("orphan_secrets");
    assert_eq!(orphans["verdict"], "ok", "{orphans}");
    // The store holds the access token and both storefront tokens.
    let store = check("secret_store");
    assert!(
        store["detail"]
            .as_str()
            .unwrap()
            .contains("holds 3 secrets"),
        "{store}"
    );
    // A storefront token missing from the store is named.
    let mut doc = env.records();
    doc["connections"][0]["storefront_tokens"][0]["serial"] = json!("gone");
    env.replace_records(&doc);
    assert_exit(&run(&env, &["list"]), 0);
    let out = run(&env, &["doctor", "--json"]);
    let found: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let store = found.iter().find(|f| f["check"] == "secret_store").unwrap();
    assert!(
        store["detail"]
            .as_str()
            .unwrap()
            .contains("the storefront token \"web\" of \"shop\""),
        "{store}"
    );
}

#[test]
fn a_taken_name_needs_replace_and_the_old_secret_goes() {
    let (fake, env) = setup(&ALL);
    let (web, _) = two_saved(&env, &fake);
    let again = [
        "storefront-token",
        "create",
        "--channel",
        "1",
        "--for",
        "browser",
        "--expires",
        "3d",
        "--save",
        "web",
    ];
    let out = run(&env, &again);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--replace"), "{}", stderr(&out));
    assert_eq!(
        fake.storefront_tokens().len(),
        2,
        "refused before a token was made"
    );
    let out = run(&env, &[&again[..], &["--replace"]].concat());
    assert_exit(&out, 0);
    // The replaced token is revoked at BigCommerce, not left working.
    assert!(
        stderr(&out).contains("which was revoked at BigCommerce"),
        "{}",
        stderr(&out)
    );
    let issued = fake.storefront_tokens();
    let old = issued.iter().find(|t| t.token == web).unwrap();
    assert!(old.revoked, "the replaced token was revoked");
    assert!(!issued[2].revoked, "the new one works");
    let new = fake.storefront_tokens()[2].token.clone();
    let secrets = env.secrets_text();
    assert!(
        secrets.contains(&new) && !secrets.contains(&web),
        "{secrets}"
    );
    assert_eq!(saved_names(&env), ["server", "web"]);
    assert!(stdout(&run(&env, &["env", "--storefront", "web"])).contains(&new));
}

#[test]
fn status_warns_within_seven_days_and_for_expired_tokens_exit_0() {
    let (fake, env) = setup(&ALL);
    // --scopes alone means a server token.
    create(
        &env,
        &[
            "--channel",
            "1",
            "--scopes",
            "b2b",
            "--expires",
            "3d",
            "--save",
            "soon",
        ],
    );
    assert_eq!(fake.storefront_tokens()[0].kind, "server");
    create(
        &env,
        &[
            "--channel",
            "1",
            "--for",
            "browser",
            "--expires",
            "30d",
            "--save",
            "later",
        ],
    );
    let out = run(&env, &["status"]);
    assert_exit(&out, 0);
    let said = stderr(&out);
    assert!(
        said.contains("warning: the storefront token \"soon\""),
        "{said}"
    );
    assert!(
        said.contains("(in 2 days)") || said.contains("(in 3 days)"),
        "{said}"
    );
    assert!(!said.contains("\"later\""), "{said}");
    // Expired (hand-edited records): warned as such, still exit 0.
    let mut doc = env.records();
    doc["connections"][0]["storefront_tokens"][1]["expires_at"] = json!(now() - 3600);
    env.replace_records(&doc);
    let out = run(&env, &["status", "shop"]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("\"later\" of \"shop\" expired at"),
        "{}",
        stderr(&out)
    );
    let out = run(&env, &["env", "--storefront", "later"]);
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
}

#[test]
fn revoke_a_saved_token_then_one_from_stdin() {
    let (fake, env) = setup(&ALL);
    let (web, server) = two_saved(&env, &fake);
    let out = run(&env, &["storefront-token", "revoke", "--saved", "web"]);
    assert_exit(&out, 0);
    let delete = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .unwrap();
    assert_eq!(
        delete.path,
        format!("/stores/{HASH}/v3/storefront/api-token")
    );
    assert_eq!(delete.header("sf-api-token"), Some(web.as_str()));
    assert!(fake.storefront_tokens()[0].revoked);
    assert_eq!(saved_names(&env), ["server"]);
    assert!(!env.secrets_text().contains(&web));
    assert!(!all_output(&out).contains(&web));

    // A token held elsewhere, from stdin; revoked twice, BigCommerce no
    // longer knows it.
    let printed = create(
        &env,
        &["--channel", "1", "--for", "browser", "--expires", "1d"],
    );
    let revoke = ["storefront-token", "revoke", "--token-stdin"];
    let out = run_in(&env, &revoke, &printed);
    assert_exit(&out, 0);
    assert!(fake.storefront_tokens()[2].revoked);
    let out = run_in(&env, &revoke, &printed);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("does not know this token"),
        "{}",
        stderr(&out)
    );
    let out = run_in(&env, &revoke, "one\ntwo\n");
    assert_exit(&out, 2);

    // A saved token BigCommerce no longer knows stays saved unless --forget.
    let out = run_in(&env, &revoke, &server);
    assert_exit(&out, 0);
    let out = run(&env, &["storefront-token", "revoke", "--saved", "server"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("--forget"), "{}", stderr(&out));
    assert_eq!(saved_names(&env), ["server"]);
    let out = run(
        &env,
        &[
            "storefront-token",
            "revoke",
            "--saved",
            "server",
            "--forget",
        ],
    );
    assert_exit(&out, 0);
    assert!(saved_names(&env).is_empty());
    assert!(!env.secrets_text().contains(&server));
    let out = run(&env, &["storefront-token", "revoke", "--saved", "server"]);
    assert_exit(&out, 2);
}

#[test]
fn rename_moves_nothing_and_delete_removes_the_saved_tokens_secrets() {
    let (fake, env) = setup(&ALL);
    let (web, server) = two_saved(&env, &fake);
    assert!(env.secrets_text().contains(&web));
    // Keyed by the connection's id: a rename leaves every secret in place.
    let before = env.secrets_text();
    assert_exit(&run(&env, &["rename", "shop", "acme"]), 0);
    assert_eq!(env.secrets_text(), before);
    assert_eq!(
        exec_vars(&env, &["acme", "--storefront", "web"]),
        format!("{web}|2")
    );
    assert_exit(&run(&env, &["rename", "acme", "shop"]), 0);
    let out = run(&env, &["delete", "shop", "--yes"]);
    assert_exit(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("\"web\", \"server\""), "{err}");
    // Said before the delete, with a command that works as typed.
    let warned = err
        .find("bcconn storefront-token revoke -c shop --saved web")
        .expect("the revoke command, with the real names");
    assert!(warned < err.find("Deleted connection").unwrap(), "{err}");
    let secrets = env.secrets_text();
    assert!(
        !secrets.contains(&web) && !secrets.contains(&server),
        "{secrets}"
    );
    assert!(!secrets.contains("/storefront/"), "{secrets}");
}

#[test]
fn secrets_move_and_a_bundle_carry_saved_tokens() {
    let (fake, mut env) = setup(&ALL);
    let (web, server) = two_saved(&env, &fake);
    // Into the sealed store: out of the plain file, still exported.
    let key = stdout(&run(&env, &["secrets", "new-key"]))
        .trim()
        .to_string();
    env.set("BCCONN_SECRET_KEY", &key);
    let out = run(&env, &["secrets", "move", "--to", "sealed"]);
    assert_exit(&out, 0);
    let secrets = env.secrets_text();
    assert!(
        !secrets.contains(&web) && !secrets.contains(&server),
        "{secrets}"
    );
    let stores: Vec<Value> = shown(&env)["storefront_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["secret_store"].clone())
        .collect();
    assert_eq!(stores, [json!("sealed"), json!("sealed")]);
    let db = std::fs::read(env.record_path()).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains(&web));
    assert_eq!(
        exec_vars(&env, &["--storefront", "web"]),
        format!("{web}|2")
    );

    // A bundle with a passphrase, into a home of its own.
    env.set("BCCONN_PASSPHRASE", "correct horse battery staple");
    let bundle = env.dir.path().join("b.age");
    let out = run(
        &env,
        &[
            "export",
            "--with-secrets",
            "--passphrase",
            "-o",
            bundle.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    let bytes = std::fs::read(&bundle).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains(&web));
    let mut b = Env::with_fake(&fake);
    b.set("BCCONN_PASSPHRASE", "correct horse battery staple");
    b.set("BCCONN_CONNECTION", "shop");
    let out = run(&b, &["import", bundle.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("2 storefront tokens"),
        "{}",
        stderr(&out)
    );
    assert_eq!(exec_vars(&b, &[]), format!("{server}|1"));
    assert_eq!(exec_vars(&b, &["--storefront", "web"]), format!("{web}|2"));
    assert!(b.secrets_text().contains(&web), "in the new home's store");
    // A plain export carries what the tokens are for, never the tokens,
    // and its import keeps no token it has no secret for.
    let plain = run(&env, &["export"]);
    assert!(!stdout(&plain).contains(&web));
    let c = Env::with_fake(&fake);
    let file = env.dir.path().join("plain.json");
    std::fs::write(&file, plain.stdout).unwrap();
    assert_exit(&run(&c, &["import", file.to_str().unwrap()]), 0);
    let out = run(&c, &["show", "shop", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["storefront_tokens"], json!([]));
}

#[test]
fn channels_lists_storefronts_with_their_site_urls_in_one_sites_request() {
    let (fake, env) = setup(&ALL);
    let out = run(&env, &["channels", "--json"]);
    assert_exit(&out, 0);
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<u64> = list.iter().map(|c| c["id"].as_u64().unwrap()).collect();
    // Not the marketplace (3), not the archived storefront (4).
    assert_eq!(ids, [1, 2, 5]);
    assert_eq!(list[0]["site_url"], "https://acme.example.com");
    assert_eq!(list[1]["platform"], "catalyst");
    assert_eq!(list[1]["status"], "prelaunch");
    assert_eq!(list[2]["site_url"], Value::Null);
    let sites: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/v3/sites"))
        .collect();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].query, "channel_id:in=1,2,5");
    let channels = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/v3/channels"))
        .unwrap();
    assert_eq!(channels.query, "available=true&type=storefront");

    let out = run(&env, &["channels"]);
    assert_exit(&out, 0);
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ID"), "{table}");
    assert!(
        lines[1].contains("Acme") && lines[1].contains("https://acme.example.com"),
        "{table}"
    );
    assert!(
        lines[3].contains("Outlet") && lines[3].trim_end().ends_with('-'),
        "{table}"
    );
    assert_eq!(lines.len(), 4, "{table}");
}

#[test]
fn channels_without_the_sites_scope_leave_urls_out_and_say_which_scope() {
    let (_fake, env) = setup(&["store_v2_information", "store_channel_settings_read_only"]);
    let out = run(&env, &["channels"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("Acme Next"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("https://"), "{}", stdout(&out));
    let said = stderr(&out);
    assert!(said.contains("warning: site URLs are left out"), "{said}");
    assert!(said.contains("store_sites_read_only"), "{said}");

    let (_fake, env) = setup(&["store_v2_information"]);
    let out = run(&env, &["channels"]);
    assert_exit(&out, 1);
    let said = stderr(&out);
    assert!(said.contains("403"), "{said}");
    assert!(said.contains("store_channel_settings_read_only"), "{said}");
}

#[test]
fn text_from_the_store_is_escaped() {
    let (fake, env) = setup(&ALL);
    fake.add_channel(
        HASH,
        6,
        "Evil\u{1b}[2J shop",
        "storefront",
        "custom",
        "active",
    );
    let out = run(&env, &["channels"]);
    assert_exit(&out, 0);
    assert!(!stdout(&out).contains('\u{1b}'), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("Evil\\u{1b}[2J shop"),
        "{}",
        stdout(&out)
    );
}

/// The walk-through, on a terminal: the channel is picked from the list.
#[cfg(unix)]
#[test]
fn the_walk_through_picks_a_channel_from_the_list() {
    use crate::wizard::{DOWN, ENTER, Pty};
    let (fake, env) = setup(&ALL);
    let mut pty = Pty::spawn(
        &env,
        &[
            "storefront-token",
            "create",
            "--for",
            "server",
            "--scopes",
            "Unauthenticated",
            "--expires",
            "30d",
        ],
    );
    pty.expect("Channel:");
    pty.expect("https://next.acme.example.com");
    pty.send(DOWN);
    pty.send(ENTER);
    pty.answer("Print the token or save it?", &format!("{DOWN}{ENTER}"));
    pty.answer("Save it as:", "web\r");
    pty.expect("Saved storefront token");
    assert_eq!(pty.finish(), 0, "{}", pty.seen);
    let t = &fake.storefront_tokens()[0];
    assert_eq!(t.body["channel_id"], 2, "{}", t.body);
    assert!(!pty.seen.contains(&t.token), "a saved token is not shown");
    assert_eq!(shown(&env)["storefront_tokens"][0]["channels"], json!([2]));
}

/// The sealed store's accounts of saved storefront tokens.
fn sealed_storefront_rows(db: &std::path::Path) -> Vec<String> {
    let db = rusqlite::Connection::open(db).unwrap();
    db.prepare(
        "SELECT account FROM sealed_secrets WHERE account LIKE '%/storefront/%' ORDER BY account",
    )
    .unwrap()
    .query_map([], |r| r.get(0))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn in_the_sealed_store_a_saved_token_is_a_sealed_row_rotated_and_deleted_with_the_rest() {
    let key = {
        let env = Env::new();
        stdout(&run(&env, &["secrets", "new-key"]))
            .trim()
            .to_string()
    };
    let (fake, mut env) = setup_with(&ALL, |env| {
        env.set("BCCONN_SECRET_STORE", "sealed");
        env.set("BCCONN_SECRET_KEY", &key);
    });
    create(
        &env,
        &[
            "--channel",
            "2",
            "--for",
            "browser",
            "--expires",
            "30d",
            "--save",
            "web",
        ],
    );
    let web = fake.storefront_tokens()[0].token.clone();
    let rows = sealed_storefront_rows(&env.record_path());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("/storefront/web/"), "{rows:?}");
    let db = std::fs::read(env.record_path()).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains(&web));
    assert!(!env.secrets_text().contains(&web));
    // Re-sealed under a new key with the access token: still exported.
    let next = stdout(&run(&env, &["secrets", "new-key"]))
        .trim()
        .to_string();
    let file = env.dir.path().join("next.key");
    std::fs::write(&file, &next).unwrap();
    crate::common::set_mode(&file, 0o600);
    let out = run(
        &env,
        &[
            "secrets",
            "rotate-key",
            "--new-key-file",
            file.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    assert!(
        all_output(&out).contains("Re-sealed 2 secrets"),
        "{}",
        all_output(&out)
    );
    env.set("BCCONN_SECRET_KEY", &next);
    assert_eq!(exec_vars(&env, &[]), format!("{web}|2"));
    // Deleted with its connection, in the same database.
    assert_exit(&run(&env, &["delete", "shop", "--yes"]), 0);
    assert!(sealed_storefront_rows(&env.record_path()).is_empty());
}

#[test]
fn store_copy_seals_saved_tokens_into_the_new_home() {
    let (fake, mut env) = setup(&ALL);
    let (web, server) = two_saved(&env, &fake);
    let key = stdout(&run(&env, &["secrets", "new-key"]))
        .trim()
        .to_string();
    env.set("BCCONN_SECRET_KEY", &key);
    let dir = env.dir.path().join("copy");
    let out = run(&env, &["store", "copy", "--to", dir.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("and 3 secrets"), "{}", stderr(&out));
    let mut b = Env::with_fake(&fake);
    b.set("BCCONN_HOME", dir.to_str().unwrap());
    b.set("BCCONN_SECRET_STORE", "sealed");
    b.set("BCCONN_SECRET_KEY", &key);
    assert_eq!(exec_vars(&b, &["shop"]), format!("{server}|1"));
    assert_eq!(
        exec_vars(&b, &["shop", "--storefront", "web"]),
        format!("{web}|2")
    );
    assert_eq!(sealed_storefront_rows(&dir.join("bcconn.db")).len(), 2);
}

#[test]
fn a_saved_token_whose_secret_is_gone_can_still_be_forgotten() {
    let (fake, env) = setup(&ALL);
    let (_web, _server) = two_saved(&env, &fake);
    // The secret of "web" lost (a keyring reset, a hand edit).
    let path = env.home().join("secrets.json");
    let mut doc: Value = serde_json::from_str(&env.secrets_text()).unwrap();
    let map = doc["secrets"].as_object_mut().unwrap();
    let before = map.len();
    map.retain(|k, _| !k.contains("/storefront/web/"));
    assert_eq!(map.len(), before - 1, "{doc}");
    std::fs::write(&path, doc.to_string()).unwrap();
    let revoke = ["storefront-token", "revoke", "--saved", "web"];
    let out = run(&env, &revoke);
    assert_ne!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(stderr(&out).contains("--forget"), "{}", stderr(&out));
    assert_eq!(saved_names(&env), ["web", "server"]);
    let out = run(&env, &[&revoke[..], &["--forget"]].concat());
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("forgotten"), "{}", stderr(&out));
    assert_eq!(saved_names(&env), ["server"]);
}

#[test]
fn catalyst_gets_the_newest_private_token_and_a_warning_for_a_browser_one() {
    let (fake, env) = setup(&ALL);
    let (_web, server) = two_saved(&env, &fake);
    // A browser token saved after the private one: the newest.
    create(
        &env,
        &[
            "--channel",
            "2",
            "--for",
            "browser",
            "--expires",
            "30d",
            "--save",
            "web2",
        ],
    );
    let web2 = fake.storefront_tokens()[2].token.clone();
    let plain = stdout(&run(&env, &["env"]));
    assert!(
        plain.contains(&format!("BIGCOMMERCE_STOREFRONT_TOKEN='{web2}'")),
        "{plain}"
    );
    let out = run(&env, &["env", "--for", "catalyst", "--format", "json"]);
    assert_exit(&out, 0);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        v["BIGCOMMERCE_STOREFRONT_TOKEN"],
        server.as_str(),
        "the private one"
    );
    assert_eq!(v["BIGCOMMERCE_CHANNEL_ID"], "1");
    assert_eq!(v["CATALYST_STORE_HASH"], v["BIGCOMMERCE_STORE_HASH"]);
    assert!(!stderr(&out).contains("browser token"), "{}", stderr(&out));
    // Only browser tokens left: given, with a warning naming --for server.
    let out = run(&env, &["storefront-token", "revoke", "--saved", "server"]);
    assert_exit(&out, 0);
    let out = run(&env, &["env", "--for", "catalyst", "--format", "json"]);
    assert_exit(&out, 0);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["BIGCOMMERCE_STOREFRONT_TOKEN"], web2.as_str());
    let err = stderr(&out);
    assert!(
        err.contains("is a browser token") && err.contains("--for server"),
        "{err}"
    );
    assert!(!err.contains(&web2), "{err}");
}

#[test]
fn a_revoke_answer_that_echoes_the_token_never_shows_it() {
    use axum::response::IntoResponse;
    let (fake, env) = setup(&ALL);
    for (status, title) in [(422u16, "Token"), (500, "Upstream refused token")] {
        fake.hostile(
            "DELETE",
            "v3/storefront/api-token",
            move |r: crate::common::fake_bc::Recorded, _n| async move {
                let echoed = r.header("sf-api-token").unwrap_or_default().to_string();
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    axum::Json(json!({
                        "status": status,
                        "title": format!("{title} {echoed} is not valid"),
                        "errors": {"token": echoed},
                    })),
                )
                    .into_response()
            },
        );
        let secret = "eyJhbGciOiJFUzI1NiJ9.ECHOEDsecretPART.sig";
        let out = run_in(
            &env,
            &["storefront-token", "revoke", "--token-stdin"],
            &format!("{secret}\n"),
        );
        assert_ne!(out.status.code(), Some(0), "{}", all_output(&out));
        assert!(
            !all_output(&out).contains("ECHOEDsecretPART"),
            "{}",
            all_output(&out)
        );
    }
}
