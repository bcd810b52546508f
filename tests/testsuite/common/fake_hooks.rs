//! The fake BigCommerce's webhooks: `/stores/{hash}/v3/hooks` (a module of
//! `fake_bc`, which authenticates the token and counts the rate limit
//! before a request gets here).
//!
//! Facts (BigCommerce's `reference/webhooks.v3.yml`,
//! `docs/integrations/webhooks/overview.mdx`; see `bigcommerce::hooks`):
//!
//! * `GET /v3/hooks?page&limit&is_active&scope&destination` → `{"data":
//!   [...], "meta": {"pagination": {...}}}` as v3 lists are (default limit
//!   50, at most 250), only the caller's hooks;
//! * `POST /v3/hooks` → `{"data": hook, "meta": {}}`;
//! * `GET|PUT /v3/hooks/{id}` → `{"data": hook, "meta": {}}`; `DELETE` →
//!   200 with the deleted hook; an id the caller cannot see → 404
//!   `{"status":404,"title":"Webhook with id [ID] not found","type":…}`.
//! * A hook is stored per store and owner: the app's client id for a token
//!   minted by `/oauth2/token`, the token itself for a store-level API
//!   account's. Another token never sees it ("Webhooks created with one
//!   token are not visible when you retrieve webhooks using a different
//!   token"); an app's re-authorization keeps them.
//! * Bodies are checked strictly: a JSON object (`Content-Type:
//!   application/json`), `scope` a webhook event of a known resource
//!   (`store/order/created`, `store/order/*`), `destination` https on port
//!   443, `is_active` and `events_history_enabled` booleans, `headers` an
//!   object of strings (or null); anything else is a 422 with BigCommerce's
//!   error shape `{"status":422,"title":…,"type":…,"errors":{field: …}}`.
//!   At most 10 hooks per store + owner + scope, one per store + owner +
//!   scope + destination (422; the titles' wording is the fake's own).
//! * Inferred, not documented (see `bigcommerce::hooks::likely_scope`): a
//!   hook on an order, shipment, product, sku, category, brand, customer,
//!   cart or channel event needs that resource's scope (read-only or
//!   modify), else 403 with the usual scope body.
//!
//! UNEXPECTED (bcconn never sends them): a body that is not a JSON object
//! or lacks the JSON Content-Type, an unknown field, a destination that is
//! not https on port 443 (bcconn refuses those before sending), an unknown
//! query parameter or a bad `page`/`limit`/`is_active`, an id that is not a
//! number, another method or path under `/v3/hooks`.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{ERROR_TYPE_URL, FakeBc, Inner, Recorded, TITLE_403, api_error, json_response, lock};

/// BigCommerce's limit per store + client id + scope.
pub const MAX_PER_SCOPE: usize = 10;

/// Every hook of the fake.
#[derive(Default)]
pub(super) struct Hooks {
    list: Vec<Stored>,
    next_id: u64,
}

#[derive(Clone)]
struct Stored {
    id: u64,
    store: String,
    /// Whose it is: `client:<client id>` or `token:<token>`.
    owner: String,
    client_id: String,
    scope: String,
    destination: String,
    headers: Option<Map<String, Value>>,
    is_active: bool,
    events_history_enabled: bool,
    created_at: u64,
    updated_at: u64,
}

impl Stored {
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "client_id": self.client_id,
            "store_hash": self.store,
            "scope": self.scope,
            "destination": self.destination,
            "headers": self.headers.clone().map_or(Value::Null, Value::Object),
            "is_active": self.is_active,
            "events_history_enabled": self.events_history_enabled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

/// Resources whose events the fake knows (from BigCommerce's events page).
const RESOURCES: [&str; 15] = [
    "app",
    "brand",
    "cart",
    "category",
    "channel",
    "customer",
    "hook",
    "information",
    "inventory",
    "order",
    "priceList",
    "product",
    "shipment",
    "sku",
    "subscriber",
];

fn known_scope(scope: &str) -> bool {
    let Some(rest) = scope.strip_prefix("store/") else {
        return false;
    };
    let mut parts = rest.split('/');
    let resource = parts.next().unwrap_or("");
    let tail: Vec<&str> = parts.collect();
    RESOURCES.contains(&resource)
        && !tail.is_empty()
        && tail
            .iter()
            .all(|p| *p == "*" || (!p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())))
}

/// The scopes (either opens it) an event's hook needs: inferred.
fn needed(scope: &str) -> Option<[&'static str; 2]> {
    let resource = scope.strip_prefix("store/")?.split('/').next()?;
    Some(match resource {
        "order" | "shipment" => ["store_v2_orders", "store_v2_orders_read_only"],
        "product" | "sku" | "category" | "brand" => {
            ["store_v2_products", "store_v2_products_read_only"]
        }
        "customer" => ["store_v2_customers", "store_v2_customers_read_only"],
        "cart" => ["store_cart", "store_cart_read_only"],
        "channel" => ["store_channel_settings", "store_channel_settings_read_only"],
        _ => return None,
    })
}

/// Why a destination is refused, when it is.
fn bad_destination(d: &str) -> Option<String> {
    let Ok(url) = url::Url::parse(d) else {
        return Some("destination must be a URL".into());
    };
    if url.scheme() != "https" {
        return Some("destination must use https".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Some("destination must have a host".into());
    }
    if url.port().is_some() {
        return Some("destination must be served on port 443".into());
    }
    None
}

/// The owner key and the `client_id` shown for `token`.
fn owner_of(inner: &Inner, token: &str) -> (String, String) {
    match inner.tokens.get(token).and_then(|t| t.client_id.clone()) {
        Some(client) => (format!("client:{client}"), client),
        None => {
            // A store-level API account's client id: made up, and nothing
            // of the token in it.
            let mut n: u64 = 0xcbf2_9ce4_8422_2325;
            for b in token.bytes() {
                n = (n ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            (format!("token:{token}"), format!("acct{n:016x}"))
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn unprocessable(title: &str, errors: Map<String, Value>) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({
            "status": 422, "title": title, "type": ERROR_TYPE_URL, "errors": errors,
        }),
    )
}

fn not_found(id: u64) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({
            "status": 404,
            "title": format!("Webhook with id [{id}] not found"),
            "type": ERROR_TYPE_URL,
        }),
    )
}

/// Answers a request under `/stores/{hash}/v3/hooks` by a valid `token`
/// of store `hash`.
pub(super) fn handle(
    inner: &mut Inner,
    idx: usize,
    rec: &Recorded,
    hash: &str,
    rest: &[&str],
    token: &str,
) -> Response {
    let (owner, client_id) = owner_of(inner, token);
    let scopes = inner
        .tokens
        .get(token)
        .map(|t| t.scopes.clone())
        .unwrap_or_default();
    let flag404 = |inner: &mut Inner, why: &str| {
        inner.flag(idx, why);
        api_error(StatusCode::NOT_FOUND, super::TITLE_404)
    };
    match (rec.method.as_str(), rest) {
        ("GET", ["v3", "hooks"]) => list(inner, idx, rec, hash, &owner),
        ("POST", ["v3", "hooks"]) => {
            let Some(body) = body(inner, idx, rec) else {
                return unprocessable("JSON data is missing or invalid", Map::new());
            };
            create(inner, idx, hash, &owner, &client_id, &scopes, body)
        }
        (m @ ("GET" | "PUT" | "DELETE"), ["v3", "hooks", id]) => {
            let Ok(id) = id.parse::<u64>() else {
                return flag404(inner, "hooks: an id that is not a number (404)");
            };
            let Some(at) = inner
                .hooks
                .list
                .iter()
                .position(|h| h.id == id && h.store == hash && h.owner == owner)
            else {
                return not_found(id);
            };
            match m {
                "GET" => data(&inner.hooks.list[at]),
                "DELETE" => {
                    let gone = inner.hooks.list.remove(at);
                    data(&gone)
                }
                _ => {
                    let Some(body) = body(inner, idx, rec) else {
                        return unprocessable("JSON data is missing or invalid", Map::new());
                    };
                    update(inner, idx, at, &scopes, body)
                }
            }
        }
        _ => flag404(inner, "hooks: no such method or path in the fake (404)"),
    }
}

fn data(h: &Stored) -> Response {
    json_response(StatusCode::OK, &json!({ "data": h.json(), "meta": {} }))
}

/// The body of a write: a JSON object sent as JSON, else flagged.
fn body(inner: &mut Inner, idx: usize, rec: &Recorded) -> Option<Map<String, Value>> {
    if !rec
        .header("content-type")
        .unwrap_or("")
        .starts_with("application/json")
    {
        inner.flag(idx, "hooks: a write without Content-Type: application/json");
        return None;
    }
    match serde_json::from_str::<Value>(&rec.body) {
        Ok(Value::Object(map)) => Some(map),
        _ => {
            inner.flag(idx, "hooks: a body that is not a JSON object");
            None
        }
    }
}

/// The fields of a hook body, checked: `Err` is the 422's `errors`.
struct Fields {
    scope: Option<String>,
    destination: Option<String>,
    is_active: Option<bool>,
    events_history_enabled: Option<bool>,
    headers: Option<Option<Map<String, Value>>>,
}

fn fields(
    inner: &mut Inner,
    idx: usize,
    body: Map<String, Value>,
) -> Result<Fields, Map<String, Value>> {
    let mut errors = Map::new();
    let mut f = Fields {
        scope: None,
        destination: None,
        is_active: None,
        events_history_enabled: None,
        headers: None,
    };
    for (k, v) in body {
        match (k.as_str(), v) {
            ("scope", Value::String(s)) if known_scope(&s) => f.scope = Some(s),
            ("scope", _) => {
                errors.insert(k, json!("scope is not a known webhook event"));
            }
            ("destination", Value::String(s)) => match bad_destination(&s) {
                None => f.destination = Some(s),
                Some(why) => {
                    inner.flag(idx, &format!("hooks: {why} (bcconn checks it first)"));
                    errors.insert(k, json!(why));
                }
            },
            ("is_active", Value::Bool(b)) => f.is_active = Some(b),
            ("events_history_enabled", Value::Bool(b)) => f.events_history_enabled = Some(b),
            ("headers", Value::Null) => f.headers = Some(None),
            ("headers", Value::Object(map)) if map.values().all(Value::is_string) => {
                f.headers = Some(Some(map));
            }
            ("destination" | "is_active" | "events_history_enabled" | "headers", _) => {
                inner.flag(idx, &format!("hooks: field {k} of the wrong type"));
                errors.insert(k, json!("wrong type"));
            }
            _ => {
                inner.flag(idx, &format!("hooks: unknown field {k:?}"));
                errors.insert(k, json!("unknown field"));
            }
        }
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

/// A 403 when `scopes` lack what a hook on `scope` needs.
fn allowed(scopes: &[String], scope: &str) -> bool {
    needed(scope).is_none_or(|need| scopes.iter().any(|s| need.contains(&s.as_str())))
}

/// The 422 for a hook that would break BigCommerce's limits, if it would.
fn over_limits(
    hooks: &Hooks,
    skip: Option<u64>,
    store: &str,
    owner: &str,
    scope: &str,
    destination: &str,
) -> Option<Response> {
    let same: Vec<&Stored> = hooks
        .list
        .iter()
        .filter(|h| Some(h.id) != skip && h.store == store && h.owner == owner && h.scope == scope)
        .collect();
    if same.iter().any(|h| h.destination == destination) {
        return Some(unprocessable(
            "A webhook with this scope and destination already exists",
            Map::from_iter([(
                "destination".to_string(),
                json!(format!("already subscribed to {scope}")),
            )]),
        ));
    }
    if same.len() >= MAX_PER_SCOPE {
        return Some(unprocessable(
            &format!("No more than {MAX_PER_SCOPE} webhooks per scope"),
            Map::from_iter([(
                "scope".to_string(),
                json!(format!("{scope} has {MAX_PER_SCOPE} webhooks")),
            )]),
        ));
    }
    None
}

fn create(
    inner: &mut Inner,
    idx: usize,
    hash: &str,
    owner: &str,
    client_id: &str,
    scopes: &[String],
    body: Map<String, Value>,
) -> Response {
    let f = match fields(inner, idx, body) {
        Ok(f) => f,
        Err(errors) => return unprocessable("JSON data is missing or invalid", errors),
    };
    let mut missing = Map::new();
    if f.scope.is_none() {
        missing.insert("scope".into(), json!("error.path.missing."));
    }
    if f.destination.is_none() {
        missing.insert("destination".into(), json!("error.path.missing."));
    }
    let (Some(scope), Some(destination)) = (f.scope, f.destination) else {
        return unprocessable("JSON data is missing or invalid", missing);
    };
    if !allowed(scopes, &scope) {
        return api_error(StatusCode::FORBIDDEN, TITLE_403);
    }
    if let Some(refused) = over_limits(&inner.hooks, None, hash, owner, &scope, &destination) {
        return refused;
    }
    inner.hooks.next_id += 1;
    let at = now();
    let stored = Stored {
        id: 18_048_286 + inner.hooks.next_id,
        store: hash.to_string(),
        owner: owner.to_string(),
        client_id: client_id.to_string(),
        scope,
        destination,
        headers: f.headers.flatten(),
        is_active: f.is_active.unwrap_or(true),
        events_history_enabled: f.events_history_enabled.unwrap_or(false),
        created_at: at,
        updated_at: at,
    };
    inner.hooks.list.push(stored.clone());
    data(&stored)
}

fn update(
    inner: &mut Inner,
    idx: usize,
    at: usize,
    scopes: &[String],
    body: Map<String, Value>,
) -> Response {
    if body.is_empty() {
        inner.flag(idx, "hooks: a PUT that changes nothing");
    }
    let f = match fields(inner, idx, body) {
        Ok(f) => f,
        Err(errors) => return unprocessable("JSON data is missing or invalid", errors),
    };
    let old = inner.hooks.list[at].clone();
    let scope = f.scope.unwrap_or(old.scope.clone());
    let destination = f.destination.unwrap_or(old.destination.clone());
    if !allowed(scopes, &scope) {
        return api_error(StatusCode::FORBIDDEN, TITLE_403);
    }
    if let Some(refused) = over_limits(
        &inner.hooks,
        Some(old.id),
        &old.store,
        &old.owner,
        &scope,
        &destination,
    ) {
        return refused;
    }
    let h = &mut inner.hooks.list[at];
    h.scope = scope;
    h.destination = destination;
    if let Some(b) = f.is_active {
        h.is_active = b;
    }
    if let Some(b) = f.events_history_enabled {
        h.events_history_enabled = b;
    }
    if let Some(headers) = f.headers {
        h.headers = headers;
    }
    h.updated_at = now();
    data(h)
}

fn list(inner: &mut Inner, idx: usize, rec: &Recorded, hash: &str, owner: &str) -> Response {
    let mut page = 1usize;
    let mut limit = 50usize;
    let mut active = None;
    let mut scope = None;
    let mut destination = None;
    for (k, v) in url::form_urlencoded::parse(rec.query.as_bytes()) {
        let number = v.parse::<usize>().ok().filter(|n| *n >= 1);
        match (k.as_ref(), number) {
            ("page", Some(n)) => page = n,
            ("limit", Some(n)) if n <= 250 => limit = n,
            ("is_active", _) if v == "true" || v == "false" => active = Some(v == "true"),
            ("scope", _) => scope = Some(v.into_owned()),
            ("destination", _) => destination = Some(v.into_owned()),
            _ => {
                inner.flag(
                    idx,
                    &format!("hooks: query parameter {k}={v} is not one the list takes"),
                );
                return super::bad_page_params();
            }
        }
    }
    let all: Vec<Value> = inner
        .hooks
        .list
        .iter()
        .filter(|h| h.store == hash && h.owner == owner)
        .filter(|h| active.is_none_or(|a| h.is_active == a))
        .filter(|h| scope.as_ref().is_none_or(|s| &h.scope == s))
        .filter(|h| destination.as_ref().is_none_or(|d| &h.destination == d))
        .map(Stored::json)
        .collect();
    let mut base = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(rec.query.as_bytes()) {
        if k != "page" && k != "limit" {
            base.append_pair(&k, &v);
        }
    }
    super::v3_page(all, page, limit, &base.finish())
}

impl FakeBc {
    /// Every hook of store `hash`, as BigCommerce holds it (header values
    /// included), with `owner` added: `client:<id>` or `token:<token>`.
    pub fn hooks(&self, hash: &str) -> Vec<Value> {
        lock(&self.shared)
            .hooks
            .list
            .iter()
            .filter(|h| h.store == hash)
            .map(|h| {
                let mut v = h.json();
                v["owner"] = json!(h.owner);
                v
            })
            .collect()
    }

    /// A hook made by `token` (of store `hash`) outside bcconn; its id.
    pub fn add_hook(&self, token: &str, hash: &str, scope: &str, destination: &str) -> u64 {
        let mut inner = lock(&self.shared);
        let (owner, client_id) = owner_of(&inner, token);
        inner.hooks.next_id += 1;
        let id = 18_048_286 + inner.hooks.next_id;
        let at = now();
        inner.hooks.list.push(Stored {
            id,
            store: hash.to_string(),
            owner,
            client_id,
            scope: scope.to_string(),
            destination: destination.to_string(),
            headers: None,
            is_active: true,
            events_history_enabled: false,
            created_at: at,
            updated_at: at,
        });
        id
    }

    /// What BigCommerce does after about 48 h of failed deliveries (or 90
    /// days idle): the hook is turned off.
    pub fn deactivate_hook(&self, id: u64) {
        let mut inner = lock(&self.shared);
        if let Some(h) = inner.hooks.list.iter_mut().find(|h| h.id == id) {
            h.is_active = false;
        }
    }
}
