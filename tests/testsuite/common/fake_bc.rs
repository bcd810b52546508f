//! A fake BigCommerce for black-box tests of `bcconn`: the login service
//! (`/oauth2/authorize`, the external install link, `/oauth2/token`) and the
//! REST API (`/stores/{hash}/v2/...`) on ONE loopback server, running on its
//! own thread with its own tokio runtime so that synchronous `#[test]`s can use
//! it. Point both `BCCONN_LOGIN_URL` and `BCCONN_API_URL` at [`FakeBc::url`].
//!
//! Protocol facts come from `shared/reference/bigcommerce-protocol.md`
//! (§1, §2, §6, §8). The fake is deliberately strict.
//!
//! # Routes
//!
//! * `GET /oauth2/authorize?client_id&redirect_uri&response_type=code&scope&context&state`
//!   → 200 HTML consent page (scopes listed in `<ul id="scopes">`, a
//!   `<form method="post" action="/oauth2/authorize/confirm">` with a hidden
//!   `consent_id`, `<button id="confirm">` and `<button id="cancel" name="cancel">`).
//!   `redirect_uri` is only required to be an absolute http(s) URL; it is NOT
//!   compared with the registered one here (real behaviour unverified) but
//!   remembered: the confirm redirects there.
//! * `POST /oauth2/authorize/confirm` (form) → `303` to the remembered
//!   `redirect_uri` with `code`, `scope` (granted + implicit, space separated,
//!   so `+` in the URL), `context=stores%2F<hash>`, `account_uuid`, `state`;
//!   or, per [`Consent`], `error=access_denied&error_description=...&state=...`,
//!   a tampered `state`, or a wrong `context`.
//! * `GET /app/{client_id}/install` → consent page for the external install
//!   link (current store = first added; scopes = the app's registered scopes).
//!   Its form posts to `POST /app/{client_id}/install/confirm` → `303` to the
//!   app's REGISTERED auth callback URL with `code`, `scope`, `context`,
//!   `account_uuid`, `external_install=1` (no `state`). With
//!   [`Consent::Deny`] (or the Cancel button) the install flow does not
//!   redirect at all: it answers 200 "Installation cancelled" (no form).
//!   [`Consent::TamperState`] has no effect on the install flow (no state).
//! * `GET /app/{client_id}/install/succeeded` and `/failed` → small HTML page;
//!   the outcome is remembered ([`FakeBc::install_outcome`]).
//! * `POST /oauth2/token` → see below.
//! * `GET /stores/{hash}/v2/time` → `{"time": <unix seconds>}` (any valid token
//!   for that store; only the implicit scopes are needed).
//! * `GET /stores/{hash}/v2/store` → the store object; needs
//!   `store_v2_information` or `store_v2_information_read_only`.
//! * `GET /stores/{hash}/v2/orders?page&limit` → a bare JSON array of the
//!   orders added with [`FakeBc::add_orders`] (default limit 50, at most
//!   250); past the last page `204` with no body. Needs `store_v2_orders` or
//!   `store_v2_orders_read_only`.
//! * `GET /stores/{hash}/v3/catalog/products?page&limit` → `{"data": [...],
//!   "meta": {"pagination": {total, count, per_page, current_page,
//!   total_pages, links: {previous?, current, next?}}}}` (links are relative
//!   query strings, `?page=2&limit=3`), over the products added with
//!   [`FakeBc::add_products`] and created through the API, by id.
//! * `GET|PUT|DELETE /stores/{hash}/v3/catalog/products/{id}` → `{"data":
//!   product, "meta": {}}` / the merged product / `204`; `404` for an
//!   unknown id (not unexpected).
//! * `POST /stores/{hash}/v3/catalog/products` → `{"data": product, "meta":
//!   {}}`. The body must be a JSON object (`Content-Type: application/json`,
//!   else UNEXPECTED) with `name` (string), `type` (`physical`|`digital`),
//!   `weight` and `price` (numbers); otherwise `422` with `errors` naming the
//!   fields. PUT checks the types of the fields it is given the same way.
//!   Writes need `store_v2_products`; reads also take `_read_only`.
//! * `/stores/{hash}/v3/hooks` and `/v3/hooks/{id}`: webhooks, per store and
//!   token owner (see `fake_hooks.rs`).
//! * Channels, sites and storefront tokens: see `fake_storefront.rs`.
//! * `POST /stores/{hash}/graphql` → the GraphQL Admin API (`fake_graphql.rs`).
//! * Anything else → 404 (JSON under `/stores/`, HTML elsewhere), UNEXPECTED.
//!
//! # `/oauth2/token`
//!
//! Body: `application/json` or `application/x-www-form-urlencoded` (a
//! `; charset=...` parameter is fine). Checks, in this order:
//!
//! | check | status | body | unexpected? |
//! |---|---|---|---|
//! | Content-Type is neither of the two | 406 | `{"error":"Invalid format."}` | yes |
//! | body does not parse per its Content-Type (JSON that is not an object, a non-string value for a known field, or a "form" body containing `{ } " < > \` or raw whitespace, e.g. JSON labelled as form) | 406 | `{"error":"Invalid format."}` | yes |
//! | `client_id`/`client_secret` missing from the body while an `Authorization: Basic` header is present | 400 | `{"error":"Invalid client id."}` | yes |
//! | a required field missing or empty (`client_id`, `client_secret`, `code`, `grant_type`, `redirect_uri`, `scope`, `context`) | 400 | `{"error":"Missing required parameter: <field>"}` | yes |
//! | `grant_type` != `authorization_code` | 400 | `{"error":"unsupported_grant_type"}` | yes |
//! | *(from here on the code, if it exists, is BURNED)* | | | |
//! | unknown `client_id` or wrong `client_secret` | 400 | `{"error":"Invalid client id."}` | no |
//! | `redirect_uri` != the app's registered auth callback URL (byte for byte) | 400 | `{"error":"Parameter redirect_uri does not match registered URI"}` | no |
//! | unknown, already used, or other-client code | 400 | `{"error":"invalid_grant"}` | no |
//! | `context` != the code's context | 400 | `{"error":"Parameter context does not match the authorization code"}` | yes |
//! | `scope` (as a set of whitespace-separated words) != the code's granted scope | 400 | `{"error":"Parameter scope does not match the authorization code"}` | yes |
//!
//! Codes are single-use and are burned by the first token request that gets
//! past the format / required-field / grant_type checks and names them,
//! whatever happens next (a wrong secret burns the code too). Codes do not
//! expire. Unknown extra fields (`code_verifier`, `account_uuid`, ...) are
//! ignored. Credentials in the body plus an extra Basic header are accepted
//! (the body wins); tests can inspect [`FakeBc::requests`] for that.
//!
//! Success: 200 `{"access_token","scope","user":{id,username,email},
//! "owner":{id,username,email},"context","account_uuid"}` — no `token_type`,
//! `expires_in` or `refresh_token`. `scope` is the granted scopes plus
//! `store_v2_default users_basic_information`, de-duplicated and sorted
//! alphabetically (clients must not rely on order). Tokens are 32 random
//! `[a-z0-9]` characters. Minting a token REVOKES the tokens previously minted
//! by `/oauth2/token` for the same client and store ("when your app receives a
//! new token, any previously issued token is invalidated", §1.4).
//!
//! # API
//!
//! Every response under `/stores/` carries `X-Rate-Limit-Time-Window-Ms: 30000`,
//! `X-Rate-Limit-Time-Reset-Ms`, `X-Rate-Limit-Requests-Quota: 150` and
//! `X-Rate-Limit-Requests-Left` (per store hash, counting down from 149 on the
//! first request of a 30 s window). When none are left: 429 with those
//! headers plus `X-Retry-After: <seconds>` (see [`FakeBc::set_rate_limit_left`]).
//! [`FakeBc::set_rate_window`] sets another quota and window (e.g. 3 per
//! second); [`FakeBc::force_429`] answers the next N requests of a store
//! with 429 whatever the window says. [`FakeBc::served_429`] counts every
//! 429 sent.
//! Auth is `X-Auth-Token` only (`X-Auth-Client` and `Authorization` ignored).
//!
//! [`FakeBc::set_latency`] delays every API request (before it is counted
//! against the window and answered). Requests under `/stores/{hash}/` in
//! flight are counted per store, latency included;
//! [`FakeBc::max_in_flight`] is the most seen at once.
//!
//! | case | status | body | unexpected? |
//! |---|---|---|---|
//! | no `X-Auth-Token` header | 401 | `{"status":401,"title":"You must provide a valid X-Auth-Token header","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","errors":{}}` | yes |
//! | unknown or revoked token | 401 | same as above | no |
//! | token of another store, or lacking the scope | 403 | `{"status":403,"title":"You don't have a required scope to access the endpoint","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","errors":{}}` | no |
//! | rate limit exhausted | 429 | `{"status":429,"title":"Too many requests","type":...,"errors":{}}` | no |
//! | other path or method | 404 | `{"status":404,"title":"The resource at that URL is not found.","type":...,"errors":{}}` | yes |
//!
//! A `/v2/store` request for a hash that has a token (via [`FakeBc::add_token`])
//! but was never added with [`FakeBc::add_store`] gets a synthesized store
//! named after the hash.
//!
//! # What counts as UNEXPECTED
//!
//! Requests a correct `bcconn` never causes. On drop, if any was recorded,
//! [`FakeBc::expect_unexpected`] was not called and the thread is not already
//! panicking, the fake panics with the list. The complete list:
//!
//! * any route not listed above (404), including a wrong method;
//! * `/oauth2/authorize` errors (400 HTML): unknown or missing `client_id`,
//!   `response_type` != `code`, missing or non-absolute `redirect_uri`, empty
//!   `scope` or a scope word not matching `[a-z0-9_]+` (e.g. comma-joined
//!   scopes), `context` not `stores/<hash of an added store>`, missing `state`;
//! * `/app/{id}/install` for an unknown client id or with no store added, and
//!   `/app/{id}/install/succeeded|failed` for an unknown client id (400/404 HTML);
//! * a confirm POST with an unknown / already used consent id or the wrong flow (400 HTML);
//! * the token-endpoint rows marked "yes" above (bad Content-Type, unparsable
//!   body, Basic-only credentials, missing field, bad grant_type, context or
//!   scope not matching the code);
//! * an API request without `X-Auth-Token`.
//!
//! NOT unexpected (legitimate test scenarios): wrong secret, unknown client at
//! the token endpoint, redirect_uri mismatch, unknown/reused code, unknown or
//! revoked API token, 403 for scope or store mismatch, 429.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::future::IntoFuture;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "fake_storefront.rs"]
pub mod storefront;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

#[path = "fake_graphql.rs"]
pub mod graphql;
#[path = "fake_hooks.rs"]
mod hooks;

/// The Developer Portal account UUID sent as `account_uuid` in callbacks and
/// token responses (the app owner's, not the merchant's).
pub const DEV_ACCOUNT_UUID: &str = "5c1f0e2a-7b3d-4e8f-9a60-1d2c3b4a5f6e";
/// Always granted in addition to what was asked for.
pub const IMPLICIT_SCOPES: [&str; 2] = ["store_v2_default", "users_basic_information"];
pub const RATE_LIMIT_QUOTA: u32 = 150;
pub const RATE_LIMIT_WINDOW_MS: u64 = 30_000;
/// The installing user in token responses.
pub const USER_ID: u64 = 24654;
pub const USER_EMAIL: &str = "merchant@example.com";
/// The store owner in token responses.
pub const OWNER_ID: u64 = 12345;
pub const OWNER_EMAIL: &str = "owner@example.com";

pub const ERR_INVALID_FORMAT: &str = "Invalid format.";
pub const ERR_INVALID_CLIENT: &str = "Invalid client id.";
pub const ERR_REDIRECT_MISMATCH: &str = "Parameter redirect_uri does not match registered URI";
pub const ERR_INVALID_GRANT: &str = "invalid_grant";
pub const ERR_UNSUPPORTED_GRANT: &str = "unsupported_grant_type";
pub const ERR_CONTEXT_MISMATCH: &str = "Parameter context does not match the authorization code";
pub const ERR_SCOPE_MISMATCH: &str = "Parameter scope does not match the authorization code";
pub const TITLE_401: &str = "You must provide a valid X-Auth-Token header";
pub const TITLE_403: &str = "You don't have a required scope to access the endpoint";
pub const TITLE_404: &str = "The resource at that URL is not found.";
pub const TITLE_429: &str = "Too many requests";
pub const ERROR_TYPE_URL: &str =
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

/// How the consent page answers the next confirm(s). Stays in force until changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Consent {
    /// Redirect with a code (the default).
    #[default]
    Approve,
    /// Authorize flow: redirect with `error=access_denied&error_description=...`
    /// (+ `state`). Install flow: a "cancelled" page, no redirect.
    Deny,
    /// Authorize flow: redirect with a code but a different `state`.
    TamperState,
    /// Redirect with a code but `context=stores/<this hash>` (a leading
    /// `stores/` in the string is accepted too). The code itself stays bound
    /// to the real context.
    WrongContext(String),
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Raw (still percent-encoded) path.
    pub path: String,
    /// Raw query string without `?`; empty when there is none.
    pub query: String,
    /// Lower-cased names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body, lossily decoded as UTF-8.
    pub body: String,
}

impl Recorded {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// First decoded query parameter with this name.
    pub fn query_param(&self, name: &str) -> Option<String> {
        first_pair(&self.query, name)
    }

    /// First decoded field of the body parsed as a form, else as a JSON object.
    pub fn body_param(&self, name: &str) -> Option<String> {
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&self.body) {
            return map.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        }
        first_pair(&self.body, name)
    }
}

fn first_pair(encoded: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

struct App {
    secret: String,
    callback: String,
    scopes: Vec<String>,
}

struct Store {
    hash: String,
    name: String,
    domain: String,
    store_id: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flow {
    Authorize,
    Install,
}

struct Pending {
    flow: Flow,
    client_id: String,
    hash: String,
    scopes: Vec<String>,
    redirect_to: String,
    state: Option<String>,
}

#[derive(Clone)]
struct CodeGrant {
    client_id: String,
    context: String,
    scope: String,
    redirect_uri: String,
    used: bool,
}

struct Token {
    hash: String,
    scopes: Vec<String>,
    revoked: bool,
    /// Set for tokens minted by `/oauth2/token`.
    client_id: Option<String>,
}

struct RateWindow {
    started: Instant,
    left: u32,
}

#[derive(Default)]
struct Inner {
    apps: HashMap<String, App>,
    stores: Vec<Store>,
    consent: Consent,
    grant: Option<Vec<String>>,
    pending: HashMap<String, Pending>,
    codes: HashMap<String, CodeGrant>,
    tokens: HashMap<String, Token>,
    issued: Vec<String>,
    requests: Vec<Recorded>,
    unexpected: Vec<String>,
    expect_unexpected: bool,
    install_outcome: Option<String>,
    rate: HashMap<String, RateWindow>,
    /// Quota and window when not BigCommerce's 150 per 30 s.
    rate_window: Option<(u32, u64)>,
    /// Per store: 429s still to force, and their X-Retry-After seconds.
    forced_429: HashMap<String, (u32, u64)>,
    served_429: usize,
    latency: Duration,
    in_flight: HashMap<String, usize>,
    max_in_flight: HashMap<String, usize>,
    products: HashMap<String, Vec<Value>>,
    orders: HashMap<String, Vec<Value>>,
    next_id: u64,
    /// Hostile mode: routes that answer as a test says (see [`FakeBc::hostile`]).
    hostile: Vec<HostileRoute>,
    hooks: hooks::Hooks,
    /// Channels, sites and storefront tokens (`fake_storefront.rs`).
    storefront: storefront::Storefront,
    graphql: graphql::State,
}

/// What a hostile route answers: given the request and how many times the
/// route was hit before (0 for the first), a response, possibly after a
/// wait (a slow endpoint) or with a streamed body (a huge one).
pub type HostileHandler = Arc<
    dyn Fn(Recorded, u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>
        + Send
        + Sync,
>;

struct HostileRoute {
    method: String,
    /// Matched against the request path after `/stores/HASH/` (e.g. `v2/shipping/zones`).
    path: String,
    hits: u64,
    handler: HostileHandler,
}

impl Inner {
    fn flag(&mut self, idx: usize, reason: &str) {
        let r = &self.requests[idx];
        let q = if r.query.is_empty() {
            String::new()
        } else {
            format!("?{}", r.query)
        };
        let line = format!("#{idx} {} {}{q}: {reason}", r.method, r.path);
        self.unexpected.push(line);
    }

    fn store(&self, hash: &str) -> Option<&Store> {
        self.stores.iter().find(|s| s.hash == hash)
    }

    /// Granted scopes (override or `requested`) plus the implicit ones, sorted.
    fn granted_scope(&self, requested: &[String]) -> String {
        let base = self.grant.clone().unwrap_or_else(|| requested.to_vec());
        let mut set: BTreeSet<String> = base.into_iter().filter(|s| !s.is_empty()).collect();
        for s in IMPLICIT_SCOPES {
            set.insert(s.to_owned());
        }
        set.into_iter().collect::<Vec<_>>().join(" ")
    }
}

type Shared = Arc<Mutex<Inner>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The running fake. Dropping it stops the server (and may panic, see the module doc).
pub struct FakeBc {
    url: String,
    shared: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeBc {
    /// Binds 127.0.0.1:0 and serves login and API on the same server.
    pub fn start() -> FakeBc {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("fake_bc: bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("fake_bc: set_nonblocking");
        let addr = listener.local_addr().expect("fake_bc: local_addr");
        let shared: Shared = Arc::new(Mutex::new(Inner::default()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fake-bc".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake_bc: runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("fake_bc: tokio listener");
                    let app = Router::new().fallback(handle).with_state(state);
                    let server = axum::serve(listener, app);
                    tokio::select! {
                        r = server.into_future() => { let _ = r; }
                        _ = rx => {}
                    }
                });
                // Dropping the runtime here aborts any connection still open.
            })
            .expect("fake_bc: spawn thread");
        FakeBc {
            url: format!("http://{addr}"),
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// Hostile mode: from now on, `method` requests to
    /// `/stores/<any hash>/<path>` (query ignored) are answered by `handler`
    /// instead of the strict fake. They are recorded (and counted in flight)
    /// like every other request. A later route for the same method and path
    /// replaces the earlier one.
    pub fn hostile<F, Fut>(&self, method: &str, path: &str, handler: F)
    where
        F: Fn(Recorded, u64) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Response> + Send + 'static,
    {
        let handler: HostileHandler = Arc::new(move |r, n| Box::pin(handler(r, n)));
        let mut inner = lock(&self.shared);
        inner
            .hostile
            .retain(|h| !(h.method == method && h.path == path));
        inner.hostile.push(HostileRoute {
            method: method.to_owned(),
            path: path.trim_matches('/').to_owned(),
            hits: 0,
            handler,
        });
    }

    /// How many requests a hostile route has answered.
    pub fn hostile_hits(&self, method: &str, path: &str) -> u64 {
        let path = path.trim_matches('/');
        lock(&self.shared)
            .hostile
            .iter()
            .find(|h| h.method == method && h.path == path)
            .map_or(0, |h| h.hits)
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The app as registered in the developer portal. `scopes` are the app's
    /// configured scopes (what the install flow grants). Re-registering an id
    /// replaces it.
    pub fn register_app(
        &self,
        client_id: &str,
        client_secret: &str,
        auth_callback_url: &str,
        scopes: &[&str],
    ) {
        lock(&self.shared).apps.insert(
            client_id.to_owned(),
            App {
                secret: client_secret.to_owned(),
                callback: auth_callback_url.to_owned(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
            },
        );
    }

    /// A store the merchant can authorize; the first one added is the
    /// "current" store of the install flow. `domain` is a bare host name.
    pub fn add_store(&self, hash: &str, name: &str, domain: &str) {
        let mut inner = lock(&self.shared);
        let store_id = 1_000_001 + inner.stores.len() as u64;
        inner.stores.retain(|s| s.hash != hash);
        inner.stores.push(Store {
            hash: hash.to_owned(),
            name: name.to_owned(),
            domain: domain.to_owned(),
            store_id,
        });
    }

    /// How the consent page answers the next confirm(s).
    pub fn set_consent(&self, c: Consent) {
        lock(&self.shared).consent = c;
    }

    /// Override what gets granted (None = what was asked for / the app's
    /// scopes). The implicit scopes are always added.
    pub fn set_grant(&self, scopes: Option<Vec<String>>) {
        lock(&self.shared).grant = scopes;
    }

    /// A pre-made store-level API account token.
    pub fn add_token(&self, token: &str, hash: &str, scopes: &[&str]) {
        lock(&self.shared).tokens.insert(
            token.to_owned(),
            Token {
                hash: hash.to_owned(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                revoked: false,
                client_id: None,
            },
        );
    }

    /// The token now belongs to store `hash`: calls on its old store get
    /// the 403 BigCommerce gives a token of another store.
    pub fn move_token(&self, token: &str, hash: &str) {
        if let Some(t) = lock(&self.shared).tokens.get_mut(token) {
            t.hash = hash.to_owned();
        }
    }

    /// Subsequent API calls with this token get 401.
    pub fn revoke_token(&self, token: &str) {
        if let Some(t) = lock(&self.shared).tokens.get_mut(token) {
            t.revoked = true;
        }
    }

    /// Access tokens minted by `/oauth2/token`, in order.
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.shared).issued.clone()
    }

    /// Every request, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared).requests.clone()
    }

    /// Requests with this method (case-insensitive) whose path starts with `path_prefix`.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        lock(&self.shared)
            .requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.starts_with(path_prefix))
            .count()
    }

    /// `Some("succeeded")` / `Some("failed")` once `/app/{id}/install/...` was hit (the last one wins).
    pub fn install_outcome(&self) -> Option<String> {
        lock(&self.shared).install_outcome.clone()
    }

    /// This test deliberately makes requests the fake complains about.
    pub fn expect_unexpected(&self) {
        lock(&self.shared).expect_unexpected = true;
    }

    /// The unexpected requests recorded so far (one line each).
    pub fn unexpected(&self) -> Vec<String> {
        lock(&self.shared).unexpected.clone()
    }

    /// Start a fresh 30 s rate-limit window for `hash` with `left` requests
    /// left (0 = the next API call gets 429).
    pub fn set_rate_limit_left(&self, hash: &str, left: u32) {
        lock(&self.shared).rate.insert(
            hash.to_owned(),
            RateWindow {
                started: Instant::now(),
                left,
            },
        );
    }
}

impl FakeBc {
    /// Every store gets `quota` requests per `window` instead of 150 per 30 s;
    /// every store's next request starts a fresh window.
    pub fn set_rate_window(&self, quota: u32, window: Duration) {
        let mut inner = lock(&self.shared);
        inner.rate_window = Some((quota, window.as_millis() as u64));
        inner.rate.clear();
    }

    /// The next `count` API requests to `hash` get 429 with
    /// `X-Retry-After: retry_after_secs`, whatever the window says.
    pub fn force_429(&self, hash: &str, count: u32, retry_after_secs: u64) {
        lock(&self.shared)
            .forced_429
            .insert(hash.to_owned(), (count, retry_after_secs));
    }

    /// How many 429s the fake has sent.
    pub fn served_429(&self) -> usize {
        lock(&self.shared).served_429
    }

    /// Every API request waits this long before it is answered.
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.shared).latency = latency;
    }

    /// The most requests to `hash` that were in flight at once.
    pub fn max_in_flight(&self, hash: &str) -> usize {
        lock(&self.shared)
            .max_in_flight
            .get(hash)
            .copied()
            .unwrap_or(0)
    }

    /// Adds `n` products named `Product 001`, `Product 002`, ... to `hash`'s
    /// catalog; returns their ids.
    pub fn add_products(&self, hash: &str, n: usize) -> Vec<u64> {
        let mut inner = lock(&self.shared);
        let mut ids = Vec::new();
        for _ in 0..n {
            inner.next_id += 1;
            let id = inner.next_id;
            let name = format!(
                "Product {:03}",
                inner.products.get(hash).map_or(0, Vec::len) + 1
            );
            inner
                .products
                .entry(hash.to_owned())
                .or_default()
                .push(json!({
                    "id": id, "name": name, "type": "physical", "weight": 1, "price": 10.0,
                    "sku": format!("SKU-{id}"), "is_visible": true,
                }));
            ids.push(id);
        }
        ids
    }

    /// `hash`'s products, in id order.
    pub fn products(&self, hash: &str) -> Vec<Value> {
        lock(&self.shared)
            .products
            .get(hash)
            .cloned()
            .unwrap_or_default()
    }

    /// Adds `n` v2 orders to `hash`; returns their ids.
    pub fn add_orders(&self, hash: &str, n: usize) -> Vec<u64> {
        let mut inner = lock(&self.shared);
        let mut ids = Vec::new();
        for _ in 0..n {
            inner.next_id += 1;
            let id = inner.next_id;
            inner
                .orders
                .entry(hash.to_owned())
                .or_default()
                .push(json!({
                    "id": id, "status": "Awaiting Fulfillment", "total_inc_tax": "10.0000",
                }));
            ids.push(id);
        }
        ids
    }
}

impl Drop for FakeBc {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let inner = lock(&self.shared);
        if !inner.unexpected.is_empty() && !inner.expect_unexpected && !std::thread::panicking() {
            let list = inner.unexpected.join("\n  ");
            drop(inner);
            panic!(
                "fake BigCommerce got unexpected request(s) (call expect_unexpected() if deliberate):\n  {list}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Server side

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 8 << 20)
        .await
        .unwrap_or_default();
    let rec = Recorded {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    let store = rec
        .path
        .strip_prefix("/stores/")
        .and_then(|p| p.split('/').next())
        .filter(|h| !h.is_empty())
        .map(str::to_owned);
    let (idx, latency) = {
        let mut inner = lock(&shared);
        inner.requests.push(rec.clone());
        if let Some(hash) = &store {
            let now = {
                let n = inner.in_flight.entry(hash.clone()).or_default();
                *n += 1;
                *n
            };
            let max = inner.max_in_flight.entry(hash.clone()).or_default();
            *max = (*max).max(now);
        }
        (inner.requests.len() - 1, inner.latency)
    };
    if store.is_some() && !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let hostile = store.as_ref().and_then(|hash| {
        let rest = rec.path.strip_prefix(&format!("/stores/{hash}/"))?;
        let rest = rest.trim_matches('/');
        let mut inner = lock(&shared);
        let route = inner
            .hostile
            .iter_mut()
            .find(|h| h.method == rec.method && h.path == rest)?;
        route.hits += 1;
        Some((route.handler.clone(), route.hits - 1))
    });
    if let Some((handler, n)) = hostile {
        // The in-flight count drops when the handler returns (a streamed
        // body may still be flowing).
        let resp = handler(rec, n).await;
        if let Some(hash) = &store
            && let Some(n) = lock(&shared).in_flight.get_mut(hash)
        {
            *n = n.saturating_sub(1);
        }
        return resp;
    }
    let mut inner = lock(&shared);
    let resp = dispatch(&mut inner, idx, &rec);
    if let Some(hash) = &store
        && let Some(n) = inner.in_flight.get_mut(hash)
    {
        *n = n.saturating_sub(1);
    }
    resp
}

fn dispatch(inner: &mut Inner, idx: usize, rec: &Recorded) -> Response {
    let path = rec.path.strip_prefix('/').unwrap_or(&rec.path);
    let segs: Vec<&str> = path.split('/').collect();
    match (rec.method.as_str(), segs.as_slice()) {
        ("GET", ["oauth2", "authorize"]) => authorize(inner, idx, rec),
        ("POST", ["oauth2", "authorize", "confirm"]) => {
            confirm(inner, idx, rec, Flow::Authorize, None)
        }
        ("POST", ["oauth2", "token"]) => token(inner, idx, rec),
        ("GET", ["app", id, "install"]) => install(inner, idx, id),
        ("POST", ["app", id, "install", "confirm"]) => {
            confirm(inner, idx, rec, Flow::Install, Some(id))
        }
        ("GET", ["app", id, "install", outcome @ ("succeeded" | "failed")]) => {
            install_outcome(inner, idx, id, outcome)
        }
        (_, ["stores", hash, rest @ ..]) => api(inner, idx, rec, hash, rest),
        // Real browsers ask every site for one; not a client mistake.
        ("GET", ["favicon.ico"]) => html(StatusCode::NOT_FOUND, "Not found", ""),
        _ => {
            inner.flag(idx, "no such route (404)");
            html(StatusCode::NOT_FOUND, "Not found", "<p>No such page.</p>")
        }
    }
}

// --- login: authorize / install / confirm -----------------------------------

fn authorize(inner: &mut Inner, idx: usize, rec: &Recorded) -> Response {
    let q = |name: &str| rec.query_param(name).filter(|v| !v.is_empty());
    let fail = |inner: &mut Inner, reason: &str| {
        inner.flag(idx, reason);
        html(
            StatusCode::BAD_REQUEST,
            "Authorization error",
            &format!("<p>{}</p>", esc(reason)),
        )
    };
    let Some(client_id) = q("client_id") else {
        return fail(inner, "authorize: missing client_id");
    };
    if !inner.apps.contains_key(&client_id) {
        return fail(
            inner,
            &format!("authorize: unknown client_id {client_id:?}"),
        );
    }
    if q("response_type").as_deref() != Some("code") {
        return fail(inner, "authorize: response_type must be \"code\"");
    }
    let Some(redirect_uri) = q("redirect_uri") else {
        return fail(inner, "authorize: missing redirect_uri");
    };
    match url::Url::parse(&redirect_uri) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
        _ => {
            return fail(
                inner,
                &format!("authorize: redirect_uri {redirect_uri:?} is not an absolute http(s) URL"),
            );
        }
    }
    let scope = q("scope").unwrap_or_default();
    let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
    if scopes.is_empty() {
        return fail(inner, "authorize: empty or missing scope");
    }
    if let Some(bad) = scopes.iter().find(|s| !is_scope_word(s)) {
        return fail(
            inner,
            &format!("authorize: malformed scope word {bad:?} (scopes are space separated)"),
        );
    }
    let context = q("context").unwrap_or_default();
    let hash = match context.strip_prefix("stores/") {
        Some(h) if inner.store(h).is_some() => h.to_owned(),
        _ => {
            return fail(
                inner,
                &format!("authorize: context {context:?} is not stores/<hash of a known store>"),
            );
        }
    };
    let Some(state) = q("state") else {
        return fail(inner, "authorize: missing state");
    };
    let id = random_string(24);
    let page = consent_page(
        inner,
        &client_id,
        &hash,
        &scopes,
        "/oauth2/authorize/confirm",
        &id,
    );
    inner.pending.insert(
        id,
        Pending {
            flow: Flow::Authorize,
            client_id,
            hash,
            scopes,
            redirect_to: redirect_uri,
            state: Some(state),
        },
    );
    page
}

fn install(inner: &mut Inner, idx: usize, client_id: &str) -> Response {
    let Some(app) = inner.apps.get(client_id) else {
        inner.flag(idx, &format!("install: unknown client_id {client_id:?}"));
        return html(StatusCode::NOT_FOUND, "Unknown app", "<p>No such app.</p>");
    };
    let (scopes, callback) = (app.scopes.clone(), app.callback.clone());
    let Some(hash) = inner.stores.first().map(|s| s.hash.clone()) else {
        inner.flag(idx, "install: no store added (test setup)");
        return html(
            StatusCode::BAD_REQUEST,
            "No store",
            "<p>You are not logged into any store.</p>",
        );
    };
    let id = random_string(24);
    let action = format!("/app/{client_id}/install/confirm");
    let page = consent_page(inner, client_id, &hash, &scopes, &action, &id);
    inner.pending.insert(
        id,
        Pending {
            flow: Flow::Install,
            client_id: client_id.to_owned(),
            hash,
            scopes,
            redirect_to: callback,
            state: None,
        },
    );
    page
}

fn consent_page(
    inner: &Inner,
    client_id: &str,
    hash: &str,
    scopes: &[String],
    action: &str,
    consent_id: &str,
) -> Response {
    let store_name = inner.store(hash).map(|s| s.name.as_str()).unwrap_or(hash);
    let mut items = String::new();
    for s in scopes {
        let _ = writeln!(items, "<li>{}</li>", esc(s));
    }
    let body = format!(
        "<p>The app <b id=\"client\">{}</b> asks for access to the store <b id=\"store\">{}</b> ({}):</p>\n\
         <ul id=\"scopes\">\n{items}</ul>\n\
         <form method=\"post\" action=\"{}\">\n\
         <input type=\"hidden\" name=\"consent_id\" value=\"{}\">\n\
         <button id=\"confirm\" type=\"submit\">Confirm</button>\n\
         <button id=\"cancel\" type=\"submit\" name=\"cancel\" value=\"1\">Cancel</button>\n\
         </form>",
        esc(client_id),
        esc(store_name),
        esc(hash),
        esc(action),
        esc(consent_id),
    );
    html(StatusCode::OK, "Authorize app", &body)
}

fn confirm(
    inner: &mut Inner,
    idx: usize,
    rec: &Recorded,
    flow: Flow,
    route_client: Option<&str>,
) -> Response {
    let fail = |inner: &mut Inner, reason: &str| {
        inner.flag(idx, reason);
        html(
            StatusCode::BAD_REQUEST,
            "Error",
            &format!("<p>{}</p>", esc(reason)),
        )
    };
    let consent_id = first_pair(&rec.body, "consent_id").unwrap_or_default();
    let Some(p) = inner.pending.remove(&consent_id) else {
        return fail(inner, "confirm: unknown or already used consent_id");
    };
    if p.flow != flow || route_client.is_some_and(|c| c != p.client_id) {
        return fail(
            inner,
            "confirm: consent_id posted to the wrong confirm route",
        );
    }
    let cancelled = first_pair(&rec.body, "cancel").is_some();
    let consent = if cancelled {
        Consent::Deny
    } else {
        inner.consent.clone()
    };

    let mut target = match url::Url::parse(&p.redirect_to) {
        Ok(u) => u,
        Err(_) => {
            return fail(
                inner,
                "confirm: redirect target is not a URL (check register_app)",
            );
        }
    };
    if consent == Consent::Deny {
        if flow == Flow::Install {
            return html(
                StatusCode::OK,
                "Installation cancelled",
                "<p>Installation cancelled.</p>",
            );
        }
        {
            let mut qp = target.query_pairs_mut();
            qp.append_pair("error", "access_denied");
            qp.append_pair("error_description", "The user denied access to the app.");
            if let Some(s) = &p.state {
                qp.append_pair("state", s);
            }
        }
        return redirect(target.as_str());
    }

    let registered = inner
        .apps
        .get(&p.client_id)
        .map(|a| a.callback.clone())
        .unwrap_or_default();
    let scope = inner.granted_scope(&p.scopes);
    let context = format!("stores/{}", p.hash);
    let code = random_string(16);
    inner.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: p.client_id.clone(),
            context: context.clone(),
            scope: scope.clone(),
            redirect_uri: registered,
            used: false,
        },
    );
    let sent_context = match &consent {
        Consent::WrongContext(other) => {
            if other.starts_with("stores/") {
                other.clone()
            } else {
                format!("stores/{other}")
            }
        }
        _ => context,
    };
    {
        let mut qp = target.query_pairs_mut();
        qp.append_pair("code", &code);
        qp.append_pair("scope", &scope);
        qp.append_pair("context", &sent_context);
        qp.append_pair("account_uuid", DEV_ACCOUNT_UUID);
        match flow {
            Flow::Install => {
                qp.append_pair("external_install", "1");
            }
            Flow::Authorize => {
                if let Some(s) = &p.state {
                    if consent == Consent::TamperState {
                        qp.append_pair("state", &format!("tampered{}", random_string(12)));
                    } else {
                        qp.append_pair("state", s);
                    }
                }
            }
        }
    }
    redirect(target.as_str())
}

fn install_outcome(inner: &mut Inner, idx: usize, client_id: &str, outcome: &str) -> Response {
    if !inner.apps.contains_key(client_id) {
        inner.flag(
            idx,
            &format!("install/{outcome}: unknown client_id {client_id:?}"),
        );
        return html(StatusCode::NOT_FOUND, "Unknown app", "<p>No such app.</p>");
    }
    inner.install_outcome = Some(outcome.to_owned());
    let text = if outcome == "succeeded" {
        "Installation succeeded"
    } else {
        "Installation failed"
    };
    html(StatusCode::OK, text, &format!("<h1>{text}</h1>"))
}

// --- login: token ------------------------------------------------------------

const TOKEN_FIELDS: [&str; 7] = [
    "client_id",
    "client_secret",
    "code",
    "grant_type",
    "redirect_uri",
    "scope",
    "context",
];

fn token(inner: &mut Inner, idx: usize, rec: &Recorded) -> Response {
    let err = |status: StatusCode, msg: &str| json_response(status, &json!({ "error": msg }));
    let invalid_format = |inner: &mut Inner, why: &str| {
        inner.flag(idx, &format!("token: {why}"));
        err(StatusCode::NOT_ACCEPTABLE, ERR_INVALID_FORMAT)
    };

    let content_type = rec
        .header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut fields: HashMap<String, String> = HashMap::new();
    match content_type.as_str() {
        "application/json" => match serde_json::from_str::<Value>(&rec.body) {
            Ok(Value::Object(map)) => {
                for (k, v) in map {
                    match v {
                        Value::String(s) => {
                            fields.insert(k, s);
                        }
                        _ if TOKEN_FIELDS.contains(&k.as_str()) => {
                            return invalid_format(
                                inner,
                                &format!("JSON field {k:?} is not a string"),
                            );
                        }
                        _ => {}
                    }
                }
            }
            _ => return invalid_format(inner, "body is not a JSON object"),
        },
        "application/x-www-form-urlencoded" => {
            if rec
                .body
                .chars()
                .any(|c| c.is_whitespace() || "{}\"<>\\".contains(c))
            {
                return invalid_format(inner, "body labelled as form is not form-encoded (JSON?)");
            }
            for (k, v) in url::form_urlencoded::parse(rec.body.as_bytes()) {
                fields
                    .entry(k.into_owned())
                    .or_insert_with(|| v.into_owned());
            }
        }
        other => {
            return invalid_format(inner, &format!("unsupported Content-Type {other:?}"));
        }
    }
    let get = |k: &str| fields.get(k).filter(|v| !v.is_empty()).cloned();

    let basic = rec
        .header("authorization")
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("basic "));
    if basic && (get("client_id").is_none() || get("client_secret").is_none()) {
        inner.flag(idx, "token: client credentials only in an Authorization: Basic header (they belong in the body)");
        return err(StatusCode::BAD_REQUEST, ERR_INVALID_CLIENT);
    }
    for f in TOKEN_FIELDS {
        if get(f).is_none() {
            inner.flag(idx, &format!("token: missing field {f}"));
            return err(
                StatusCode::BAD_REQUEST,
                &format!("Missing required parameter: {f}"),
            );
        }
    }
    let field = |k: &str| get(k).unwrap_or_default();
    if field("grant_type") != "authorization_code" {
        inner.flag(idx, "token: grant_type is not authorization_code");
        return err(StatusCode::BAD_REQUEST, ERR_UNSUPPORTED_GRANT);
    }

    // Burn the code first: whatever happens next, it cannot be used again.
    let grant = match inner.codes.get_mut(&field("code")) {
        Some(g) if !g.used => {
            g.used = true;
            Some(g.clone())
        }
        _ => None,
    };
    let client_id = field("client_id");
    let Some(app) = inner.apps.get(&client_id) else {
        return err(StatusCode::BAD_REQUEST, ERR_INVALID_CLIENT);
    };
    if app.secret != field("client_secret") {
        return err(StatusCode::BAD_REQUEST, ERR_INVALID_CLIENT);
    }
    if app.callback != field("redirect_uri") {
        return err(StatusCode::BAD_REQUEST, ERR_REDIRECT_MISMATCH);
    }
    let grant = match grant {
        Some(g) if g.client_id == client_id && g.redirect_uri == field("redirect_uri") => g,
        _ => return err(StatusCode::BAD_REQUEST, ERR_INVALID_GRANT),
    };
    if field("context") != grant.context {
        inner.flag(idx, "token: context differs from the code's context");
        return err(StatusCode::BAD_REQUEST, ERR_CONTEXT_MISMATCH);
    }
    let sent: BTreeSet<String> = field("scope")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let granted: BTreeSet<String> = grant.scope.split_whitespace().map(str::to_owned).collect();
    if sent != granted {
        inner.flag(idx, "token: scope differs from the callback's scope");
        return err(StatusCode::BAD_REQUEST, ERR_SCOPE_MISMATCH);
    }

    let hash = grant.context.trim_start_matches("stores/").to_owned();
    for t in inner.tokens.values_mut() {
        if t.hash == hash && t.client_id.as_deref() == Some(client_id.as_str()) {
            t.revoked = true;
        }
    }
    let access_token = random_string(32);
    inner.tokens.insert(
        access_token.clone(),
        Token {
            hash,
            scopes: granted.into_iter().collect(),
            revoked: false,
            client_id: Some(client_id),
        },
    );
    inner.issued.push(access_token.clone());
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "scope": grant.scope,
            "user": { "id": USER_ID, "username": USER_EMAIL, "email": USER_EMAIL },
            "owner": { "id": OWNER_ID, "username": OWNER_EMAIL, "email": OWNER_EMAIL },
            "context": grant.context,
            "account_uuid": DEV_ACCOUNT_UUID,
        }),
    )
}

// --- API ----------------------------------------------------------------------

fn api(inner: &mut Inner, idx: usize, rec: &Recorded, hash: &str, rest: &[&str]) -> Response {
    // Rate limit bookkeeping (per store hash).
    let (quota, window_ms) = inner
        .rate_window
        .unwrap_or((RATE_LIMIT_QUOTA, RATE_LIMIT_WINDOW_MS));
    let now = Instant::now();
    let window = Duration::from_millis(window_ms);
    let w = inner.rate.entry(hash.to_owned()).or_insert(RateWindow {
        started: now,
        left: quota,
    });
    if now.duration_since(w.started) >= window {
        w.started = now;
        w.left = quota;
    }
    let forced = match inner.forced_429.get_mut(hash) {
        Some((n, secs)) if *n > 0 => {
            *n -= 1;
            Some(*secs)
        }
        _ => None,
    };
    let w = inner.rate.get_mut(hash).expect("just inserted");
    let exhausted = w.left == 0;
    if !exhausted && forced.is_none() {
        w.left -= 1;
    }
    let left = w.left;
    let reset_ms = window
        .saturating_sub(now.duration_since(w.started))
        .as_millis() as u64;
    let with_limits = |mut resp: Response| {
        let h = resp.headers_mut();
        h.insert("x-rate-limit-time-window-ms", hv(&window_ms.to_string()));
        h.insert("x-rate-limit-time-reset-ms", hv(&reset_ms.to_string()));
        h.insert("x-rate-limit-requests-quota", hv(&quota.to_string()));
        h.insert("x-rate-limit-requests-left", hv(&left.to_string()));
        resp
    };
    if exhausted || forced.is_some() {
        inner.served_429 += 1;
        let retry = forced.unwrap_or_else(|| reset_ms.div_ceil(1000).max(1));
        let mut resp = api_error(StatusCode::TOO_MANY_REQUESTS, TITLE_429);
        resp.headers_mut()
            .insert("x-retry-after", hv(&retry.to_string()));
        return with_limits(resp);
    }

    if let Some(resp) = storefront::api(inner, idx, rec, hash, rest) {
        return with_limits(resp);
    }
    let endpoint = match (rec.method.as_str(), rest) {
        ("GET", ["v2", "time"]) => Endpoint::Time,
        ("GET", ["v2", "store"]) => Endpoint::Store,
        ("GET", ["v2", "orders"]) => Endpoint::Orders,
        ("GET", ["v3", "catalog", "products"]) => Endpoint::Products,
        ("POST", ["v3", "catalog", "products"]) => Endpoint::CreateProduct,
        ("POST", ["graphql"]) => Endpoint::Graphql,
        (m @ ("GET" | "PUT" | "DELETE"), ["v3", "catalog", "products", id]) => {
            match id.parse::<u64>() {
                Ok(id) if m == "GET" => Endpoint::Product(id),
                Ok(id) if m == "PUT" => Endpoint::UpdateProduct(id),
                Ok(id) => Endpoint::DeleteProduct(id),
                Err(_) => {
                    inner.flag(idx, "api: product id is not a number (404)");
                    return with_limits(api_error(StatusCode::NOT_FOUND, TITLE_404));
                }
            }
        }
        (_, ["v3", "hooks", ..]) => Endpoint::Hooks,
        _ => {
            inner.flag(idx, "api: no such endpoint in the fake (404)");
            return with_limits(api_error(StatusCode::NOT_FOUND, TITLE_404));
        }
    };
    let Some(token) = rec
        .header("x-auth-token")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        inner.flag(idx, "api: no X-Auth-Token header");
        return with_limits(api_error(StatusCode::UNAUTHORIZED, TITLE_401));
    };
    let Some(tok) = inner.tokens.get(token).filter(|t| !t.revoked) else {
        return with_limits(api_error(StatusCode::UNAUTHORIZED, TITLE_401));
    };
    if tok.hash != hash {
        return with_limits(api_error(StatusCode::FORBIDDEN, TITLE_403));
    }
    let has = |scopes: &[&str]| tok.scopes.iter().any(|s| scopes.contains(&s.as_str()));
    let allowed = match endpoint {
        Endpoint::Time | Endpoint::Graphql => true,
        Endpoint::Store => has(&["store_v2_information", "store_v2_information_read_only"]),
        Endpoint::Orders => has(&["store_v2_orders", "store_v2_orders_read_only"]),
        Endpoint::Products | Endpoint::Product(_) => {
            has(&["store_v2_products", "store_v2_products_read_only"])
        }
        Endpoint::CreateProduct | Endpoint::UpdateProduct(_) | Endpoint::DeleteProduct(_) => {
            has(&["store_v2_products"])
        }
        // Each hook's own scope is checked with it.
        Endpoint::Hooks => true,
    };
    if !allowed {
        return with_limits(api_error(StatusCode::FORBIDDEN, TITLE_403));
    }
    let resp = match endpoint {
        Endpoint::Time => {
            let secs = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            json_response(StatusCode::OK, &json!({ "time": secs }))
        }
        Endpoint::Store => store_response(inner, hash),
        Endpoint::Graphql => graphql::answer(inner, idx, rec, hash),
        Endpoint::Orders => orders_page(inner, rec, hash),
        Endpoint::Hooks => hooks::handle(inner, idx, rec, hash, rest, token),
        Endpoint::Products => products_page(inner, rec, hash),
        Endpoint::Product(id) => match find_product(inner, hash, id) {
            Some(p) => json_response(StatusCode::OK, &json!({ "data": p, "meta": {} })),
            None => api_error(StatusCode::NOT_FOUND, TITLE_404),
        },
        Endpoint::CreateProduct | Endpoint::UpdateProduct(_) => {
            write_product(inner, idx, rec, hash, endpoint)
        }
        Endpoint::DeleteProduct(id) => {
            let list = inner.products.entry(hash.to_owned()).or_default();
            let before = list.len();
            list.retain(|p| p["id"] != json!(id));
            if list.len() == before {
                api_error(StatusCode::NOT_FOUND, TITLE_404)
            } else {
                let mut resp = Response::new(Body::empty());
                *resp.status_mut() = StatusCode::NO_CONTENT;
                resp
            }
        }
    };
    with_limits(resp)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Time,
    Store,
    Orders,
    Products,
    Product(u64),
    CreateProduct,
    UpdateProduct(u64),
    DeleteProduct(u64),
    Hooks,
    Graphql,
}

/// `page` and `limit` (defaults 1 and 50; limit at most 250).
fn page_params(rec: &Recorded) -> Option<(usize, usize)> {
    let num = |name: &str, default: usize| match rec.query_param(name) {
        None => Some(default),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n >= 1),
    };
    match (num("page", 1), num("limit", 50)) {
        (Some(page), Some(limit)) if limit <= 250 => Some((page, limit)),
        _ => None,
    }
}

fn bad_page_params() -> Response {
    api_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "The page or limit parameter is invalid",
    )
}

fn orders_page(inner: &Inner, rec: &Recorded, hash: &str) -> Response {
    let Some((page, limit)) = page_params(rec) else {
        return bad_page_params();
    };
    let all = inner.orders.get(hash).cloned().unwrap_or_default();
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    if items.is_empty() {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        return resp;
    }
    json_response(StatusCode::OK, &Value::Array(items))
}

fn products_page(inner: &Inner, rec: &Recorded, hash: &str) -> Response {
    let Some((page, limit)) = page_params(rec) else {
        return bad_page_params();
    };
    let all = inner.products.get(hash).cloned().unwrap_or_default();
    v3_page(all, page, limit, "")
}

/// Page `page` of `all` as a v3 list answers it: `data` and
/// `meta.pagination` with relative links, each starting with `base` (the
/// request's other query parameters, when the list keeps them).
pub(super) fn v3_page(all: Vec<Value>, page: usize, limit: usize, base: &str) -> Response {
    let total = all.len();
    let total_pages = total.div_ceil(limit);
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    let link = |p: usize| match base {
        "" => format!("?page={p}&limit={limit}"),
        _ => format!("?{base}&page={p}&limit={limit}"),
    };
    let mut links = serde_json::Map::new();
    if page > 1 {
        links.insert("previous".into(), json!(link(page - 1)));
    }
    links.insert("current".into(), json!(link(page)));
    if page < total_pages {
        links.insert("next".into(), json!(link(page + 1)));
    }
    json_response(
        StatusCode::OK,
        &json!({
            "data": items,
            "meta": { "pagination": {
                "total": total, "count": items.len(), "per_page": limit,
                "current_page": page, "total_pages": total_pages, "links": links,
            }},
        }),
    )
}

fn find_product(inner: &Inner, hash: &str, id: u64) -> Option<Value> {
    inner
        .products
        .get(hash)?
        .iter()
        .find(|p| p["id"] == json!(id))
        .cloned()
}

fn write_product(
    inner: &mut Inner,
    idx: usize,
    rec: &Recorded,
    hash: &str,
    endpoint: Endpoint,
) -> Response {
    let content_type = rec.header("content-type").unwrap_or("");
    if !content_type.starts_with("application/json") {
        inner.flag(idx, "api: a write without Content-Type: application/json");
        return api_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type");
    }
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&rec.body) else {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "JSON data is missing or invalid",
        );
    };
    let create = endpoint == Endpoint::CreateProduct;
    let mut errors = serde_json::Map::new();
    let mut check = |name: &str, ok: fn(&Value) -> bool, what: &str| match fields.get(name) {
        Some(v) if !ok(v) => {
            errors.insert(name.into(), json!(format!("{name} must be {what}")));
        }
        None if create => {
            errors.insert(name.into(), json!(format!("{name} is required")));
        }
        _ => {}
    };
    check(
        "name",
        |v| v.as_str().is_some_and(|s| !s.is_empty()),
        "a string",
    );
    check(
        "type",
        |v| matches!(v.as_str(), Some("physical" | "digital")),
        "physical or digital",
    );
    check("weight", Value::is_number, "a number");
    check("price", Value::is_number, "a number");
    if !errors.is_empty() {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({
                "status": 422, "title": "JSON data is missing or invalid",
                "type": ERROR_TYPE_URL, "errors": errors,
            }),
        );
    }
    let product = match endpoint {
        Endpoint::UpdateProduct(id) => {
            let list = inner.products.entry(hash.to_owned()).or_default();
            let Some(p) = list.iter_mut().find(|p| p["id"] == json!(id)) else {
                return api_error(StatusCode::NOT_FOUND, TITLE_404);
            };
            for (k, v) in fields {
                if k != "id" {
                    p[k] = v;
                }
            }
            p.clone()
        }
        _ => {
            inner.next_id += 1;
            let mut p = Value::Object(fields);
            p["id"] = json!(inner.next_id);
            inner
                .products
                .entry(hash.to_owned())
                .or_default()
                .push(p.clone());
            p
        }
    };
    json_response(StatusCode::OK, &json!({ "data": product, "meta": {} }))
}

fn store_json(inner: &Inner, hash: &str) -> Value {
    let (name, domain, store_id) = match inner.store(hash) {
        Some(s) => (s.name.clone(), s.domain.clone(), s.store_id),
        None => (
            hash.to_owned(),
            format!("store-{hash}.mybigcommerce.com"),
            1_000_000,
        ),
    };
    json!({
        "id": hash,
        "account_uuid": store_account_uuid(hash),
        "domain": domain,
        "secure_url": format!("https://{domain}"),
        "control_panel_base_url": format!("https://store-{hash}.mybigcommerce.com"),
        "name": name,
        "plan_name": "Standard",
        "plan_level": "Standard",
        "status": "live",
        "store_id": store_id,
        "default_channel_id": 1,
        "currency": "USD",
        "language": "en",
    })
}

/// The merchant account UUID the fake reports in `/v2/store` for `hash`
/// (deterministic; different from [`DEV_ACCOUNT_UUID`]).
pub fn store_account_uuid(hash: &str) -> String {
    let mut n: u64 = 0xcbf2_9ce4_8422_2325;
    for b in hash.bytes() {
        n = (n ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("a1b2c3d4-0000-4000-8000-{:012x}", n & 0xffff_ffff_ffff)
}

// --- helpers --------------------------------------------------------------------

fn is_scope_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("?"))
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{body}\n</body></html>\n",
        esc(title)
    );
    let mut resp = Response::new(Body::from(page));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// `/v2/store` with its keys in the order BigCommerce's reference lists
/// them (`id` first), not sorted as a `serde_json` map would write them:
/// a client that keeps the server's order can be told from one that sorts.
fn store_response(inner: &Inner, hash: &str) -> Response {
    let store = store_json(inner, hash);
    let order = [
        "id",
        "account_uuid",
        "domain",
        "secure_url",
        "control_panel_base_url",
        "status",
        "name",
        "plan_name",
        "plan_level",
        "store_id",
        "default_channel_id",
        "currency",
        "language",
    ];
    let fields: Vec<String> = order
        .iter()
        .map(|k| format!("{}:{}", json!(k), store[*k]))
        .collect();
    let mut resp = json_response(StatusCode::OK, &Value::Null);
    *resp.body_mut() = Body::from(format!("{{{}}}", fields.join(",")));
    resp
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    let mut resp = Response::new(Body::from(v.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn api_error(status: StatusCode, title: &str) -> Response {
    json_response(
        status,
        &json!({
            "status": status.as_u16(),
            "title": title,
            "type": ERROR_TYPE_URL,
            "errors": {},
        }),
    )
}

fn redirect(location: &str) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    resp.headers_mut().insert(header::LOCATION, hv(location));
    resp
}

/// Random `[a-z0-9]` string (SipHash with random keys over a counter and the clock).
fn random_string(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        let mut x = h.finish();
        for _ in 0..8 {
            out.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
            x /= ALPHABET.len() as u64;
        }
    }
    out.truncate(len);
    out
}
