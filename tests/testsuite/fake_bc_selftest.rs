//! Self-tests of the fake BigCommerce and the fake browser (no bcconn involved).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::fake_bc::{self, Consent, FakeBc};
use crate::common::fake_browser;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use url::Url;

const CLIENT_ID: &str = "cid0123456789abcdefghij";
const SECRET: &str = "sec0123456789abcdefghijk";
const CALLBACK: &str = "http://127.0.0.1:9/auth";
const HASH: &str = "abc123def0";

fn setup() -> FakeBc {
    let fake = FakeBc::start();
    fake.register_app(
        CLIENT_ID,
        SECRET,
        CALLBACK,
        &["store_v2_information_read_only", "store_v2_orders"],
    );
    fake.add_store(HASH, "My Shop", "shop.example.com");
    fake.add_store("other99", "Other Shop", "other.example.com");
    fake
}

fn authorize_url(fake: &FakeBc, redirect_uri: &str, scope: &str, state: &str) -> String {
    let mut u = Url::parse(&format!("{}/oauth2/authorize", fake.url())).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("context", &format!("stores/{HASH}"))
        .append_pair("state", state);
    u.to_string()
}

fn param(u: &Url, name: &str) -> Option<String> {
    u.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Runs the consent and returns the parsed callback URL.
fn approve(fake: &FakeBc, scope: &str) -> Url {
    let loc = fake_browser::consent_redirect(&authorize_url(fake, CALLBACK, scope, "st4te"));
    Url::parse(&loc).unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A token request body with every field right for `cb`.
fn token_fields(cb: &Url) -> Vec<(String, String)> {
    vec![
        ("client_id".into(), CLIENT_ID.into()),
        ("client_secret".into(), SECRET.into()),
        ("code".into(), param(cb, "code").unwrap()),
        ("grant_type".into(), "authorization_code".into()),
        ("redirect_uri".into(), CALLBACK.into()),
        ("scope".into(), param(cb, "scope").unwrap()),
        ("context".into(), param(cb, "context").unwrap()),
    ]
}

fn with(
    mut fields: Vec<(String, String)>,
    key: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    fields.retain(|(k, _)| k != key);
    if let Some(v) = value {
        fields.push((key.into(), v.into()));
    }
    fields
}

async fn post_form(fake: &FakeBc, fields: &[(String, String)]) -> (u16, Value) {
    let resp = client()
        .post(format!("{}/oauth2/token", fake.url()))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn post_json(fake: &FakeBc, fields: &[(String, String)]) -> (u16, Value) {
    let obj: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let resp = client()
        .post(format!("{}/oauth2/token", fake.url()))
        .json(&obj)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn api_get(fake: &FakeBc, hash: &str, what: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = client()
        .get(format!("{}/stores/{hash}/v2/{what}", fake.url()))
        .header("accept", "application/json")
        .header("x-auth-client", "ignored-anything");
    if let Some(t) = token {
        req = req.header("x-auth-token", t);
    }
    req.send().await.unwrap()
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn words(s: &str) -> BTreeSet<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn authorize_flow_end_to_end_with_form_body() {
    let fake = setup();
    let cb = approve(&fake, "store_v2_information_read_only store_v2_products");
    let raw = cb.query().unwrap().to_owned();
    assert_eq!(
        format!("{}://{}{}", cb.scheme(), cb.authority(), cb.path()),
        CALLBACK
    );
    assert!(raw.contains(&format!("context=stores%2F{HASH}")), "{raw}");
    assert!(raw.contains("scope=store_v2_default+store_v2_information_read_only+store_v2_products+users_basic_information"), "{raw}");
    assert_eq!(param(&cb, "state").as_deref(), Some("st4te"));
    assert_eq!(
        param(&cb, "account_uuid").as_deref(),
        Some(fake_bc::DEV_ACCOUNT_UUID)
    );
    assert!(param(&cb, "external_install").is_none());
    let code = param(&cb, "code").unwrap();
    assert!(code.len() >= 8);

    let (status, body) = post_form(&fake, &token_fields(&cb)).await;
    assert_eq!(status, 200, "{body}");
    let obj = body.as_object().unwrap();
    let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "account_uuid",
            "context",
            "owner",
            "scope",
            "user"
        ]
        .into_iter()
        .collect()
    );
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert!(
        token.len() >= 24 && token.chars().all(|c| c.is_ascii_alphanumeric()),
        "{token}"
    );
    assert_eq!(fake.issued_tokens(), vec![token.clone()]);
    assert_eq!(body["context"], json!(format!("stores/{HASH}")));
    assert_eq!(
        words(body["scope"].as_str().unwrap()),
        words(
            "store_v2_information_read_only store_v2_products store_v2_default users_basic_information"
        )
    );
    assert_eq!(body["user"]["email"], json!(fake_bc::USER_EMAIL));
    assert!(body["user"]["id"].is_u64() && body["owner"]["id"].is_u64());

    // The secret went in the body, not in a header.
    let tok_req = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/oauth2/token")
        .unwrap();
    assert!(tok_req.body.contains(SECRET));
    assert_eq!(tok_req.body_param("client_secret").as_deref(), Some(SECRET));
    assert!(tok_req.headers.iter().all(|(_, v)| !v.contains(SECRET)));
    assert!(tok_req.header("authorization").is_none());

    // API with the new token.
    let resp = api_get(&fake, HASH, "store", Some(&token)).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        header(&resp, "x-rate-limit-requests-quota").as_deref(),
        Some("150")
    );
    assert_eq!(
        header(&resp, "x-rate-limit-time-window-ms").as_deref(),
        Some("30000")
    );
    assert_eq!(
        header(&resp, "x-rate-limit-requests-left").as_deref(),
        Some("149")
    );
    let reset: u64 = header(&resp, "x-rate-limit-time-reset-ms")
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > 0 && reset <= 30000);
    let store: Value = resp.json().await.unwrap();
    assert_eq!(store["id"], json!(HASH));
    assert_eq!(store["name"], json!("My Shop"));
    assert_eq!(store["domain"], json!("shop.example.com"));
    assert_eq!(store["secure_url"], json!("https://shop.example.com"));
    assert_eq!(
        store["control_panel_base_url"],
        json!(format!("https://store-{HASH}.mybigcommerce.com"))
    );
    assert!(store["store_id"].is_u64());
    assert_ne!(store["account_uuid"], json!(fake_bc::DEV_ACCOUNT_UUID));

    let resp = api_get(&fake, HASH, "time", Some(&token)).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        header(&resp, "x-rate-limit-requests-left").as_deref(),
        Some("148")
    );
    let t: Value = resp.json().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(t["time"].as_u64().unwrap().abs_diff(now) < 60);
    assert_eq!(fake.count("GET", "/stores/"), 2);
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn json_body_works_and_extras_are_ignored() {
    let fake = setup();
    let cb = approve(&fake, "store_v2_orders");
    let mut fields = token_fields(&cb);
    fields.push(("code_verifier".into(), "xyz".into()));
    fields.push(("account_uuid".into(), fake_bc::DEV_ACCOUNT_UUID.into()));
    let (status, body) = post_json(&fake, &fields).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("token_type").is_none()
            && body.get("refresh_token").is_none()
            && body.get("expires_in").is_none()
    );
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn code_is_single_use() {
    let fake = setup();
    let cb = approve(&fake, "store_v2_orders");
    assert_eq!(post_form(&fake, &token_fields(&cb)).await.0, 200);
    let (status, body) = post_form(&fake, &token_fields(&cb)).await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));
    let (status, body) =
        post_form(&fake, &with(token_fields(&cb), "code", Some("nosuchcode"))).await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));
    assert_eq!(fake.issued_tokens().len(), 1);
    assert!(
        fake.unexpected().is_empty(),
        "legitimate scenarios must not be unexpected"
    );
}

#[tokio::test]
async fn wrong_secret_is_rejected_and_burns_the_code() {
    let fake = setup();
    let cb = approve(&fake, "store_v2_orders");
    let (status, body) = post_form(
        &fake,
        &with(token_fields(&cb), "client_secret", Some("wrong")),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"error": "Invalid client id."}))
    );
    let (status, body) = post_form(
        &fake,
        &with(token_fields(&cb), "client_id", Some("nosuchclient")),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"error": "Invalid client id."}))
    );
    let (status, body) = post_form(&fake, &token_fields(&cb)).await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));
    assert!(fake.issued_tokens().is_empty());
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn basic_only_credentials_fail_and_are_unexpected() {
    let fake = setup();
    fake.expect_unexpected();
    let cb = approve(&fake, "store_v2_orders");
    let fields = with(
        with(token_fields(&cb), "client_id", None),
        "client_secret",
        None,
    );
    let resp = client()
        .post(format!("{}/oauth2/token", fake.url()))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"error": "Invalid client id."})
    );
    let unexpected = fake.unexpected();
    assert_eq!(unexpected.len(), 1);
    assert!(unexpected[0].contains("Basic"), "{unexpected:?}");
    // The code was not burned by the malformed request.
    assert_eq!(post_form(&fake, &token_fields(&cb)).await.0, 200);
}

#[tokio::test]
async fn redirect_uri_must_match_registration_exactly() {
    let fake = setup();
    // The authorize endpoint does not check redirect_uri; the callback goes where asked.
    let other = "http://localhost:9/auth";
    let loc = fake_browser::consent_redirect(&authorize_url(&fake, other, "store_v2_orders", "s1"));
    assert!(loc.starts_with("http://localhost:9/auth?"), "{loc}");
    let cb = Url::parse(&loc).unwrap();
    for bad in [other, "http://127.0.0.1:9/auth/", "http://127.0.0.1:9/Auth"] {
        let (status, body) =
            post_form(&fake, &with(token_fields(&cb), "redirect_uri", Some(bad))).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "Parameter redirect_uri does not match registered URI"})
            )
        );
    }
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn json_labelled_as_form_is_406_and_unexpected() {
    let fake = setup();
    fake.expect_unexpected();
    let cb = approve(&fake, "store_v2_orders");
    let obj: serde_json::Map<String, Value> = token_fields(&cb)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let resp = client()
        .post(format!("{}/oauth2/token", fake.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Value::Object(obj).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 406);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"error": "Invalid format."})
    );
    // Form labelled as JSON too.
    let resp = client()
        .post(format!("{}/oauth2/token", fake.url()))
        .header("content-type", "application/json")
        .body("client_id=a&client_secret=b")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 406);
    // Compact JSON (no whitespace at all) labelled as form.
    let resp = client()
        .post(format!("{}/oauth2/token", fake.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            r#"{{"client_id":"{CLIENT_ID}","client_secret":"{SECRET}"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 406);
    // No Content-Type at all.
    let resp = client()
        .post(format!("{}/oauth2/token", fake.url()))
        .body("client_id=a")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 406);
    assert_eq!(fake.unexpected().len(), 4);
}

#[tokio::test]
async fn missing_fields_are_named_and_unexpected() {
    let fake = setup();
    fake.expect_unexpected();
    let cb = approve(&fake, "store_v2_orders");
    for f in [
        "client_secret",
        "code",
        "grant_type",
        "redirect_uri",
        "scope",
        "context",
    ] {
        let (status, body) = post_form(&fake, &with(token_fields(&cb), f, None)).await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({"error": format!("Missing required parameter: {f}")})
        );
    }
    let (status, body) = post_form(
        &fake,
        &with(token_fields(&cb), "grant_type", Some("refresh_token")),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"error": "unsupported_grant_type"}))
    );
    assert_eq!(fake.unexpected().len(), 7);
}

#[tokio::test]
async fn context_and_scope_must_match_the_code() {
    let fake = setup();
    fake.expect_unexpected();
    let cb = approve(&fake, "store_v2_orders");
    let (status, body) = post_form(
        &fake,
        &with(token_fields(&cb), "context", Some("stores/other99")),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"error": fake_bc::ERR_CONTEXT_MISMATCH}))
    );
    let cb = approve(&fake, "store_v2_orders");
    // The scope the client asked for is not the scope of the callback (implicit scopes missing).
    let (status, body) = post_form(
        &fake,
        &with(token_fields(&cb), "scope", Some("store_v2_orders")),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"error": fake_bc::ERR_SCOPE_MISMATCH}))
    );
    assert_eq!(fake.unexpected().len(), 2);
    // Same words, different order: fine.
    let cb = approve(&fake, "store_v2_orders");
    let reordered = "users_basic_information store_v2_orders store_v2_default";
    assert_eq!(
        post_form(&fake, &with(token_fields(&cb), "scope", Some(reordered)))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn api_401_for_unknown_revoked_and_missing_token() {
    let fake = setup();
    fake.add_token(
        "premadetoken0123456789abcd",
        HASH,
        &["store_v2_information"],
    );
    let ok = api_get(&fake, HASH, "store", Some("premadetoken0123456789abcd")).await;
    assert_eq!(ok.status().as_u16(), 200);
    let unknown = api_get(&fake, HASH, "time", Some("nosuchtoken")).await;
    assert_eq!(unknown.status().as_u16(), 401);
    assert!(header(&unknown, "x-rate-limit-requests-left").is_some());
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["status"], json!(401));
    assert_eq!(body["type"], json!(fake_bc::ERROR_TYPE_URL));
    assert_eq!(body["errors"], json!({}));
    fake.revoke_token("premadetoken0123456789abcd");
    let revoked = api_get(&fake, HASH, "store", Some("premadetoken0123456789abcd")).await;
    assert_eq!(revoked.status().as_u16(), 401);
    assert!(fake.unexpected().is_empty());
    // No X-Auth-Token at all (e.g. a Bearer header instead) is a client bug.
    fake.expect_unexpected();
    let resp = client()
        .get(format!("{}/stores/{HASH}/v2/time", fake.url()))
        .bearer_auth("premadetoken0123456789abcd")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(fake.unexpected().len(), 1);
}

#[tokio::test]
async fn api_403_for_missing_scope_and_other_store() {
    let fake = setup();
    fake.add_token("productsonlytoken000000000", HASH, &["store_v2_products"]);
    let resp = api_get(&fake, HASH, "store", Some("productsonlytoken000000000")).await;
    assert_eq!(resp.status().as_u16(), 403);
    assert!(header(&resp, "x-rate-limit-requests-quota").is_some());
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({
            "status": 403,
            "title": "You don't have a required scope to access the endpoint",
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
            "errors": {}
        })
    );
    // /v2/time works with only the default scopes.
    assert_eq!(
        api_get(&fake, HASH, "time", Some("productsonlytoken000000000"))
            .await
            .status()
            .as_u16(),
        200
    );
    // A token for another store gets the same 403.
    let resp = api_get(&fake, "other99", "time", Some("productsonlytoken000000000")).await;
    assert_eq!(resp.status().as_u16(), 403);
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn new_token_revokes_previous_one_for_same_app_and_store() {
    let fake = setup();
    let cb = approve(&fake, "store_v2_information");
    let (_, first) = post_form(&fake, &token_fields(&cb)).await;
    let first = first["access_token"].as_str().unwrap().to_owned();
    let cb = approve(&fake, "store_v2_information");
    let (_, second) = post_form(&fake, &token_fields(&cb)).await;
    let second = second["access_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(fake.issued_tokens(), vec![first.clone(), second.clone()]);
    assert_eq!(
        api_get(&fake, HASH, "store", Some(&first))
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        api_get(&fake, HASH, "store", Some(&second))
            .await
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn rate_limit_exhaustion_gives_429() {
    let fake = setup();
    fake.add_token("ratelimittoken000000000000", HASH, &[]);
    fake.set_rate_limit_left(HASH, 1);
    let resp = api_get(&fake, HASH, "time", Some("ratelimittoken000000000000")).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        header(&resp, "x-rate-limit-requests-left").as_deref(),
        Some("0")
    );
    let resp = api_get(&fake, HASH, "time", Some("ratelimittoken000000000000")).await;
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(
        header(&resp, "x-rate-limit-requests-left").as_deref(),
        Some("0")
    );
    let retry: u64 = header(&resp, "x-retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry));
    // Other stores have their own window.
    fake.add_token("othertoken0000000000000000", "other99", &[]);
    let resp = api_get(&fake, "other99", "time", Some("othertoken0000000000000000")).await;
    assert_eq!(
        header(&resp, "x-rate-limit-requests-left").as_deref(),
        Some("149")
    );
}

#[tokio::test]
async fn install_flow_redirects_to_registered_callback() {
    let fake = setup();
    // Consent page names the app's registered scopes.
    let page = client()
        .get(format!("{}/app/{CLIENT_ID}/install", fake.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<li>store_v2_orders</li>") && page.contains("id=\"confirm\""),
        "{page}"
    );
    let form = fake_browser::parse_form(&page).unwrap();
    assert_eq!(form.method, "post");
    assert_eq!(
        form.action.as_deref(),
        Some(format!("/app/{CLIENT_ID}/install/confirm").as_str())
    );

    let loc = fake_browser::consent_redirect(&format!("{}/app/{CLIENT_ID}/install", fake.url()));
    assert!(loc.starts_with(&format!("{CALLBACK}?")), "{loc}");
    let cb = Url::parse(&loc).unwrap();
    assert_eq!(param(&cb, "external_install").as_deref(), Some("1"));
    assert!(param(&cb, "state").is_none());
    assert_eq!(param(&cb, "context"), Some(format!("stores/{HASH}")));
    assert_eq!(
        words(&param(&cb, "scope").unwrap()),
        words(
            "store_v2_information_read_only store_v2_orders store_v2_default users_basic_information"
        )
    );
    assert_eq!(post_form(&fake, &token_fields(&cb)).await.0, 200);

    assert_eq!(fake.install_outcome(), None);
    let v = fake_browser::visit(&format!("{}/app/{CLIENT_ID}/install/succeeded", fake.url()));
    assert_eq!(v.status, 200);
    assert!(v.body.contains("Installation succeeded"));
    assert_eq!(fake.install_outcome().as_deref(), Some("succeeded"));
    fake_browser::visit(&format!("{}/app/{CLIENT_ID}/install/failed", fake.url()));
    assert_eq!(fake.install_outcome().as_deref(), Some("failed"));
}

#[test]
fn consent_variants() {
    let fake = setup();
    fake.set_consent(Consent::Deny);
    let cb = Url::parse(&fake_browser::consent_redirect(&authorize_url(
        &fake,
        CALLBACK,
        "store_v2_orders",
        "s-deny",
    )))
    .unwrap();
    assert_eq!(param(&cb, "error").as_deref(), Some("access_denied"));
    assert!(param(&cb, "error_description").is_some());
    assert_eq!(param(&cb, "state").as_deref(), Some("s-deny"));
    assert!(param(&cb, "code").is_none());

    fake.set_consent(Consent::TamperState);
    let cb = Url::parse(&fake_browser::consent_redirect(&authorize_url(
        &fake,
        CALLBACK,
        "store_v2_orders",
        "s-orig",
    )))
    .unwrap();
    let state = param(&cb, "state").unwrap();
    assert!(!state.is_empty() && state != "s-orig");
    assert!(param(&cb, "code").is_some());

    fake.set_consent(Consent::WrongContext("other99".into()));
    let cb = Url::parse(&fake_browser::consent_redirect(&authorize_url(
        &fake,
        CALLBACK,
        "store_v2_orders",
        "s",
    )))
    .unwrap();
    assert_eq!(param(&cb, "context").as_deref(), Some("stores/other99"));

    fake.set_consent(Consent::Approve);
    fake.set_grant(Some(vec!["store_v2_content".into()]));
    let cb = Url::parse(&fake_browser::consent_redirect(&authorize_url(
        &fake,
        CALLBACK,
        "store_v2_orders",
        "s",
    )))
    .unwrap();
    assert_eq!(
        words(&param(&cb, "scope").unwrap()),
        words("store_v2_content store_v2_default users_basic_information")
    );

    // Install flow + Deny: no redirect at all.
    fake.set_consent(Consent::Deny);
    let v = fake_browser::visit(&format!("{}/app/{CLIENT_ID}/install", fake.url()));
    assert_eq!(v.status, 200);
    assert!(v.body.contains("cancelled"));
    assert!(v.final_url.ends_with("/install/confirm"));
    assert!(fake.unexpected().is_empty());
}

#[test]
fn authorize_rejects_bad_requests_as_unexpected() {
    let fake = setup();
    fake.expect_unexpected();
    let good = authorize_url(&fake, CALLBACK, "store_v2_orders", "s");
    assert!(fake_browser::consent_redirect(&good).starts_with(CALLBACK));
    assert!(fake.unexpected().is_empty());
    let cases = [
        good.replace(CLIENT_ID, "unknownclient"),
        good.replace("response_type=code", "response_type=token"),
        good.replace("scope=store_v2_orders", "scope="),
        good.replace(
            "scope=store_v2_orders",
            "scope=store_v2_orders%2Cstore_v2_products",
        ),
        good.replace(&format!("stores%2F{HASH}"), "stores%2Fnosuchstore"),
        good.replace(&format!("stores%2F{HASH}"), HASH),
        good.replace("&state=s", ""),
    ];
    for (i, u) in cases.iter().enumerate() {
        assert_ne!(u, &good, "case {i} did not change the URL");
        let v = fake_browser::visit(u);
        assert_eq!(v.status, 400, "case {i}: {u}");
        assert_eq!(fake.unexpected().len(), i + 1, "case {i}");
    }
}

#[test]
fn drop_panics_on_unexpected_request() {
    let result = std::panic::catch_unwind(|| {
        let fake = setup();
        let v = fake_browser::visit(&format!("{}/no/such/route", fake.url()));
        assert_eq!(v.status, 404);
        drop(fake);
    });
    let err = result.expect_err("drop should have panicked");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(msg.contains("/no/such/route"), "{msg}");

    // Not when told, and not for legitimate errors.
    let fake = setup();
    fake.expect_unexpected();
    fake_browser::visit(&format!("{}/no/such/route", fake.url()));
    drop(fake);
    let fake = setup();
    fake.add_token("t0000000000000000000000000", HASH, &[]);
    fake.revoke_token("t0000000000000000000000000");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        api_get(&fake, HASH, "time", Some("t0000000000000000000000000"))
            .await
            .status()
    });
    assert_eq!(status.as_u16(), 401);
    drop(fake);
}

// --- fake browser -------------------------------------------------------------

/// A stand-in for bcconn's loopback listener: records callback queries, and
/// optionally redirects the browser to `then` (like the install flow's
/// "succeeded" hop). Runs until the process ends.
fn spawn_callback(then: Option<String>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = axum::Router::new().route(
                "/auth",
                axum::routing::get(move |q: axum::extract::RawQuery| {
                    let seen = seen2.clone();
                    let then = then.clone();
                    async move {
                        seen.lock().unwrap().push(q.0.unwrap_or_default());
                        match then {
                            Some(t) => axum::response::Redirect::to(&t).into_response(),
                            None => {
                                axum::response::Html("<p>Connected. You can close this tab.</p>")
                                    .into_response()
                            }
                        }
                    }
                }),
            );
            axum::serve(listener, app).await.unwrap();
        });
    });
    (port, seen)
}

#[test]
fn visit_follows_consent_to_localhost_callback() {
    let fake = FakeBc::start();
    let (port, seen) = spawn_callback(None);
    let callback = format!("http://localhost:{port}/auth");
    fake.register_app(CLIENT_ID, SECRET, &callback, &["store_v2_orders"]);
    fake.add_store(HASH, "My Shop", "shop.example.com");
    let v = fake_browser::visit(&authorize_url(&fake, &callback, "store_v2_orders", "abc"));
    assert_eq!(v.status, 200);
    assert!(
        v.final_url.starts_with(&format!("{callback}?")),
        "{}",
        v.final_url
    );
    assert!(v.body.contains("Connected"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].contains("state=abc") && seen[0].contains("code="),
        "{seen:?}"
    );
    assert_eq!(fake.count("POST", "/oauth2/authorize/confirm"), 1);
}

#[test]
fn visit_install_flow_reaches_succeeded_page() {
    let fake = FakeBc::start();
    let succeeded = format!("{}/app/{CLIENT_ID}/install/succeeded", fake.url());
    let (port, seen) = spawn_callback(Some(succeeded.clone()));
    fake.register_app(
        CLIENT_ID,
        SECRET,
        &format!("http://localhost:{port}/auth"),
        &["store_v2_orders"],
    );
    fake.add_store(HASH, "My Shop", "shop.example.com");
    let v = fake_browser::visit(&format!("{}/app/{CLIENT_ID}/install", fake.url()));
    assert_eq!(v.final_url, succeeded);
    assert!(v.body.contains("Installation succeeded"));
    assert_eq!(fake.install_outcome().as_deref(), Some("succeeded"));
    assert!(seen.lock().unwrap()[0].contains("external_install=1"));
}

#[test]
fn parse_form_reads_hidden_inputs_and_entities() {
    let html = r#"<html><body><formation>no</formation>
        <FORM Method="POST" action='/x?a=1&amp;b=2'>
        <input type="hidden" name="a" value="1&amp;2">
        <input type=hidden name=b value=plain>
        <input type="checkbox" name="c" value="x">
        <input name="d" value="&quot;q&quot;" />
        <button name="cancel" value="1">Cancel</button>
        </FORM><input type="hidden" name="outside" value="no"></body></html>"#;
    let f = fake_browser::parse_form(html).unwrap();
    assert_eq!(f.method, "post");
    assert_eq!(f.action.as_deref(), Some("/x?a=1&b=2"));
    assert_eq!(
        f.fields,
        vec![
            ("a".to_string(), "1&2".to_string()),
            ("b".to_string(), "plain".to_string()),
            ("d".to_string(), "\"q\"".to_string()),
        ]
    );
    assert!(fake_browser::parse_form("<p>no form here</p>").is_none());
}

#[test]
fn command_re_executes_this_binary_as_a_browser() {
    let fake = FakeBc::start();
    let (port, seen) = spawn_callback(None);
    let callback = format!("http://localhost:{port}/auth");
    fake.register_app(CLIENT_ID, SECRET, &callback, &["store_v2_orders"]);
    fake.add_store(HASH, "My Shop", "shop.example.com");
    let url = authorize_url(&fake, &callback, "store_v2_orders", "reexec");

    let cmd = fake_browser::command();
    assert!(cmd.contains("--exact __fake_browser"));
    // In the one test binary, that argv selects exactly one test: the
    // `__fake_browser` at the crate root (no suite test, no `suite::__fake_browser`).
    let argv: Vec<&str> = cmd.split_whitespace().collect();
    let listed = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .args(["--list", "--include-ignored"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        ["__fake_browser: test"],
        "{cmd}"
    );
    let mut parts = cmd.split_whitespace();
    let mut child = std::process::Command::new(parts.next().unwrap())
        .args(parts)
        .arg(&url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fake browser process did not finish"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    assert!(
        status.success(),
        "{status}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "callback not reached");
    assert!(seen[0].contains("state=reexec"));
    assert_eq!(fake.count("GET", "/oauth2/authorize"), 1);
    assert_eq!(fake.count("POST", "/oauth2/authorize/confirm"), 1);
    // Only the __fake_browser test ran in the child (no other self-test).
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn catalog_and_orders_are_strict_and_paged() {
    let fake = setup();
    let (rw, ro) = ("catalogRW00000000000000000", "catalogRO00000000000000000");
    fake.add_token(
        rw,
        HASH,
        &["store_v2_products", "store_v2_orders_read_only"],
    );
    fake.add_token(ro, HASH, &["store_v2_products_read_only"]);
    fake.add_products(HASH, 5);
    fake.add_orders(HASH, 3);
    let url = |p: &str| format!("{}/stores/{HASH}/{p}", fake.url());
    let get = |p: String, t: &'static str| client().get(p).header("x-auth-token", t).send();

    let page: Value = get(url("v3/catalog/products?limit=2&page=2"), ro)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let p = &page["meta"]["pagination"];
    assert_eq!(
        (p["total"].as_u64(), p["total_pages"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(p["links"]["next"], "?page=3&limit=2");
    assert_eq!(page["data"][0]["name"], "Product 003");
    // v2: a bare array, then 204 past the end.
    let orders = get(url("v2/orders?limit=2&page=2"), rw).await.unwrap();
    assert_eq!(
        orders
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(url("v2/orders?limit=2&page=3"), rw)
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    // Writes need the modify scope, a JSON Content-Type and typed fields.
    let post = |t: &'static str, ct: Option<&'static str>, body: &'static str| {
        let mut r = client()
            .post(url("v3/catalog/products"))
            .header("x-auth-token", t)
            .body(body);
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        r.send()
    };
    let good = r#"{"name":"N","type":"physical","weight":1,"price":2}"#;
    assert_eq!(
        post(ro, Some("application/json"), good)
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        post(rw, Some("application/json"), good)
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let bad = r#"{"name":"N","type":"physical","weight":"1","price":2}"#;
    assert_eq!(
        post(rw, Some("application/json"), bad)
            .await
            .unwrap()
            .status()
            .as_u16(),
        422
    );
    assert_eq!(fake.products(HASH).len(), 6);
    assert!(fake.unexpected().is_empty());
    assert_eq!(post(rw, None, good).await.unwrap().status().as_u16(), 415);
    let none = client()
        .get(url("v3/catalog/brands"))
        .header("x-auth-token", rw)
        .send()
        .await
        .unwrap();
    assert_eq!(none.status().as_u16(), 404);
    assert_eq!(fake.unexpected().len(), 2, "{:?}", fake.unexpected());
    fake.expect_unexpected();
}

#[tokio::test]
async fn latency_in_flight_and_forced_429s() {
    let fake = setup();
    fake.add_token("flighttoken000000000000000", HASH, &[]);
    fake.set_latency(Duration::from_millis(100));
    let one = || api_get(&fake, HASH, "time", Some("flighttoken000000000000000"));
    let (a, b, c) = tokio::join!(one(), one(), one());
    assert!([a, b, c].iter().all(|r| r.status().as_u16() == 200));
    assert_eq!(fake.max_in_flight(HASH), 3);
    fake.set_latency(Duration::ZERO);
    fake.set_rate_window(2, Duration::from_secs(5));
    fake.force_429(HASH, 1, 3);
    let r = one().await;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(header(&r, "x-retry-after").as_deref(), Some("3"));
    assert_eq!(
        header(&r, "x-rate-limit-requests-quota").as_deref(),
        Some("2")
    );
    assert_eq!(one().await.status().as_u16(), 200);
    assert_eq!(one().await.status().as_u16(), 200);
    assert_eq!(one().await.status().as_u16(), 429, "quota 2 per window");
    assert_eq!(fake.served_429(), 2);
}

#[tokio::test]
async fn hostile_routes_answer_as_the_test_says_and_are_counted() {
    let fake = setup();
    fake.hostile("GET", "v2/shipping/zones", |rec, n| async move {
        assert_eq!(rec.method, "GET");
        ([("x-hit", n.to_string())], axum::Json(json!([{"id": 1}]))).into_response()
    });
    for n in 0..2 {
        let r = api_get(&fake, HASH, "shipping/zones?page=7", None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-hit"], n.to_string().as_str());
        assert_eq!(r.json::<Value>().await.unwrap(), json!([{"id": 1}]));
    }
    assert_eq!(fake.hostile_hits("GET", "v2/shipping/zones"), 2);
    // Other paths still get the strict fake (no token: 401).
    let r = api_get(&fake, HASH, "time", None).await;
    assert_eq!(r.status(), 401);
    fake.expect_unexpected();
}
