//! What `bcconn api` prints and says (issue 17, item 9 and parts of 15):
//! the store's key order kept, a newline at the end, a 403 that names the
//! missing scope, fields beside a query string refused, `-v`'s line per
//! request, and errors said once.

use axum::response::IntoResponse;

use crate::api::{HASH, TOKEN, run, setup};
use crate::common::fake_bc::{Recorded, TITLE_403};
use crate::common::oauth::{self, OAuthFixture};
use crate::common::{all_output, assert_exit, stderr, stdout};

/// An OAuth connection `shop` granted `store_v2_orders` (and the implicit
/// scopes); its token.
fn oauth_shop() -> (OAuthFixture, String) {
    let mut fx = OAuthFixture::new();
    fx.env.set("NO_COLOR", "1");
    let out = oauth::create(&fx.env, "shop", &[]);
    assert!(out.status.success(), "{}", all_output(&out));
    let token = fx.fake.issued_tokens().pop().expect("a token was issued");
    (fx, token)
}

#[test]
fn the_store_key_order_is_kept_and_output_ends_with_a_newline() {
    let (fake, env) = setup("1");
    // Piped: the body as sent (`id` before `account_uuid`), then a newline
    // the store did not send.
    let out = run(&env, &["api", "v2/store"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("{{\"id\":\"{HASH}\",\"account_uuid\":")),
        "{text}"
    );
    assert!(text.ends_with("}\n") && !text.ends_with("\n\n"), "{text:?}");
    let out = run(&env, &["api", "v2/time"]);
    assert!(stdout(&out).ends_with("}\n"), "{:?}", stdout(&out));
    // --jq keeps the order too.
    let out = run(&env, &["api", "v2/store", "--jq", "."]);
    assert!(
        stdout(&out).starts_with(&format!("{{\"id\":\"{HASH}\",\"account_uuid\":")),
        "{}",
        stdout(&out)
    );
    // An error's body ends with a newline as well.
    fake.move_token(TOKEN, "zzz999");
    let out = run(&env, &["api", "v2/time"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).ends_with("}\n"), "{:?}", stdout(&out));
    fake.move_token(TOKEN, HASH);
    // A download that is not text stays byte for byte.
    fake.hostile("GET", "v2/blob", |_r: Recorded, _n| async move {
        (
            [("content-type", "application/octet-stream")],
            &b"\x00\x01ab"[..],
        )
            .into_response()
    });
    let out = run(&env, &["api", "v2/blob"]);
    assert_exit(&out, 0);
    assert_eq!(out.stdout, b"\x00\x01ab");
}

#[test]
#[cfg(unix)]
fn on_a_terminal_pretty_json_keeps_the_store_key_order() {
    use crate::wizard::Pty;
    let (_fake, mut env) = setup("1");
    env.set("NO_COLOR", "1");
    let mut t = Pty::spawn(&env, &["api", "v2/store"]);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    let want = format!("{{\r\n  \"id\": \"{HASH}\",\r\n  \"account_uuid\": \"");
    assert!(t.seen.contains(&want), "{:?}", t.seen);
    assert!(
        t.seen.contains("\"language\": \"en\"\r\n}\r\n"),
        "{:?}",
        t.seen
    );
}

#[test]
fn a_403_names_the_missing_scope_and_the_commands_that_add_it() {
    let (fx, _) = oauth_shop();
    let env = &fx.env;
    let out = run(env, &["api", "-c", "shop", "v3/catalog/products"]);
    assert_exit(&out, 1);
    let said = stderr(&out);
    for words in [
        &*format!("error: 403 Forbidden: {TITLE_403}"),
        "reading v3/catalog/products needs scope store_v2_products_read_only (Products — read-only) or store_v2_products, and \"shop\" has neither",
        "add store_v2_products_read_only with `bcconn edit shop --scopes store_v2_orders,store_v2_products_read_only`, then `bcconn authorize shop`",
    ] {
        assert!(said.contains(words), "lacks {words:?}:\n{said}");
    }
    // A write needs the modify scope.
    let out = run(
        env,
        &[
            "api",
            "-c",
            "shop",
            "v3/catalog/products",
            "-f",
            "name=Shirt",
        ],
    );
    assert_exit(&out, 1);
    let said = stderr(&out);
    assert!(
        said.contains("POST on v3/catalog/products needs scope store_v2_products (Products — modify), and \"shop\" lacks it"),
        "{said}"
    );
    assert!(
        said.contains("--scopes store_v2_orders,store_v2_products`"),
        "{said}"
    );
    // The advice works: after it, the read goes through.
    let out = run(
        env,
        &[
            "edit",
            "shop",
            "--scopes",
            "store_v2_orders,store_v2_products_read_only",
        ],
    );
    assert_exit(&out, 0);
    let out = run(env, &["authorize", "shop"]);
    assert_exit(&out, 0);
    let out = run(env, &["api", "-c", "shop", "v3/catalog/products"]);
    assert_exit(&out, 0);
}

#[test]
fn a_403_with_the_scope_held_says_the_token_may_be_for_another_store() {
    let (fx, token) = oauth_shop();
    fx.fake.move_token(&token, "zzz999");
    let out = run(&fx.env, &["api", "-c", "shop", "v2/orders"]);
    assert_exit(&out, 1);
    let said = stderr(&out);
    for words in [
        "\"shop\" holds store_v2_orders, which reading v2/orders needs",
        "another store than abc123",
        "`bcconn status shop`",
    ] {
        assert!(said.contains(words), "lacks {words:?}:\n{said}");
    }
    assert!(!said.contains("bcconn edit"), "{said}");
}

#[test]
fn a_403_for_a_scope_asked_for_and_not_granted_points_at_the_developer_portal() {
    let fx = OAuthFixture::new();
    fx.fake
        .set_grant(Some(vec!["store_v2_information_read_only".to_string()]));
    let out = oauth::create(&fx.env, "shop", &[]);
    assert!(out.status.success(), "{}", all_output(&out));
    let out = run(&fx.env, &["api", "-c", "shop", "v2/orders"]);
    assert_exit(&out, 1);
    let said = stderr(&out);
    for words in [
        "\"shop\" asked for store_v2_orders, but BigCommerce did not grant it",
        "add it to the app's OAuth scopes in the Developer Portal, then `bcconn authorize shop`",
    ] {
        assert!(said.contains(words), "lacks {words:?}:\n{said}");
    }
}

#[test]
fn a_403_on_an_api_account_token_says_to_check_the_accounts_scopes() {
    let (fake, env) = setup("1");
    fake.move_token(TOKEN, "zzz999");
    let out = run(&env, &["api", "v2/orders"]);
    assert_exit(&out, 1);
    let said = stderr(&out);
    for words in [
        "reading v2/orders needs scope store_v2_orders_read_only (Orders — read-only) or store_v2_orders;",
        "an API account's token, whose scopes bcconn cannot see",
        "check that API account's OAuth scopes",
        "another store than abc123",
    ] {
        assert!(said.contains(words), "lacks {words:?}:\n{said}");
    }
    assert!(!said.contains("bcconn edit"), "{said}");
}

#[test]
fn fields_beside_a_query_string_need_x_to_say_which() {
    let (fake, env) = setup("1");
    let out = run(
        &env,
        &["api", "v3/catalog/products?limit=5", "-f", "name=Shirt"],
    );
    assert_exit(&out, 2);
    let said = stderr(&out);
    assert!(
        said.contains("`-X GET`") && said.contains("`-X POST`"),
        "{said}"
    );
    assert_eq!(fake.count("GET", &format!("/stores/{HASH}/v3/")), 0);
    assert_eq!(fake.count("POST", &format!("/stores/{HASH}/v3/")), 0);
    // Said with -X GET, the fields join the query.
    let out = run(
        &env,
        &[
            "api",
            "v3/catalog/products?limit=5",
            "-f",
            "page=1",
            "-X",
            "GET",
        ],
    );
    assert_exit(&out, 0);
    let r = fake.requests().pop().unwrap();
    assert_eq!(r.query_param("limit").as_deref(), Some("5"));
    assert_eq!(r.query_param("page").as_deref(), Some("1"));
    // Without a query string, fields still make a POST, as documented.
    let out = run(
        &env,
        &[
            "api",
            "v3/catalog/products",
            "-f",
            "name=Shirt",
            "-f",
            "type=physical",
            "-F",
            "weight=1",
            "-F",
            "price=2",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(fake.requests().pop().unwrap().method, "POST");
}

#[test]
fn verbose_traces_each_request_on_one_line_without_secrets() {
    let (fx, token) = oauth_shop();
    let first = run(&fx.env, &["-v", "api", "-c", "shop", "v2/time"]);
    assert_exit(&first, 0);
    let said = stderr(&first);
    let lines: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("/v2/time -> "))
        .collect();
    assert_eq!(lines.len(), 1, "one line per request:\n{said}");
    let line = lines[0];
    assert!(
        line.contains(&format!(
            "GET {}/stores/{HASH}/v2/time -> 200 OK in ",
            fx.fake.url()
        )),
        "{line}"
    );
    for words in [
        " ms; rate limit headers: X-Rate-Limit-Requests-Left: ",
        "X-Rate-Limit-Requests-Quota: 150",
        "X-Rate-Limit-Time-Reset-Ms: ",
        "X-Rate-Limit-Time-Window-Ms: 30000",
    ] {
        assert!(line.contains(words), "lacks {words:?}: {line}");
    }
    // Every page of a list is a request, and a line.
    fx.fake.add_orders(HASH, 5);
    let before = fx.fake.count("GET", &format!("/stores/{HASH}/v2/orders"));
    let out = run(
        &fx.env,
        &["-v", "api", "-c", "shop", "v2/orders?limit=2", "--paginate"],
    );
    assert_exit(&out, 0);
    let sent = fx.fake.count("GET", &format!("/stores/{HASH}/v2/orders")) - before;
    assert!(sent >= 4, "5 orders 2 a page, then the end: {sent}");
    let said = stderr(&out);
    let traced = said
        .lines()
        .filter(|l| l.contains("/v2/orders?") && l.contains(" -> "))
        .count();
    assert_eq!(traced, sent, "{said}");
    assert!(said.contains(" -> 204 No Content in "), "{said}");
    for out in [&first, &out] {
        let all = all_output(out);
        assert!(!all.contains(&token), "the token was printed:\n{all}");
        assert!(
            !all.contains(oauth::SECRET),
            "the client secret was printed:\n{all}"
        );
    }
}

#[test]
fn item_15_messages_are_said_once() {
    let (fake, env) = setup("1");
    // The status's own words are not repeated as its title.
    fake.hostile("GET", "v2/denied", |_r: Recorded, _n| async move {
        (
            axum::http::StatusCode::UNAUTHORIZED,
            [("content-type", "application/json")],
            r#"{"status":401,"title":"Unauthorized: the token was revoked","type":"x","errors":{}}"#,
        )
            .into_response()
    });
    let out = run(&env, &["api", "v2/denied"]);
    assert_exit(&out, 1);
    let said = stderr(&out);
    assert!(
        said.contains("error: 401 Unauthorized: the token was revoked\n"),
        "{said}"
    );
    assert!(!said.contains("Unauthorized: Unauthorized"), "{said}");
    // A token header given by hand: what to do instead, its value never echoed.
    let out = run(
        &env,
        &["api", "v2/time", "-H", "X-Auth-Token: hand-typed-Zq81"],
    );
    assert_exit(&out, 2);
    let said = stderr(&out);
    assert!(
        said.starts_with("error: -H X-Auth-Token: bcconn sends the connection's own token in that header; leave the -H out\n"),
        "{said}"
    );
    assert!(
        said.contains("bcconn create NAME --auth-type token"),
        "{said}"
    );
    assert!(!said.contains("hand-typed-Zq81"), "{said}");
    // A filter with one unclosed bracket a level says it once.
    let out = run(&env, &["api", "v2/time", "--jq", "[[["]);
    assert_exit(&out, 2);
    assert_eq!(
        stderr(&out).lines().next().unwrap(),
        "error: --jq \"[[[\": expected closing bracket at the end"
    );
}
