//! The fake BigCommerce's headless-storefront endpoints (a child module of
//! `fake_bc`, hooked into its API router): channels, sites, and the three
//! storefront token endpoints with revoke. Facts from BigCommerce's
//! `reference/channels.v3.yml`, `sites.v3.yml` and `storefront_tokens.v3.yml`
//! (docs snapshot 24f580c) and `shared/reference/field.md` §2.
//!
//! # Routes (under `/stores/{hash}/`, after the rate limit)
//!
//! * `GET v3/channels?available=true&type=storefront[&page&limit]` → the
//!   channels added with [`FakeBc::add_channel`], filtered: `available=true`
//!   keeps `prelaunch`, `active`, `inactive` and `connected`; `type` keeps
//!   that type. Paged as every v3 list (`meta.pagination`). Needs
//!   `store_channel_settings[_read_only]`. Any other query parameter is
//!   UNEXPECTED (bcconn asks exactly this).
//! * `GET v3/sites?channel_id:in=1,2[&page&limit]` → the sites added with
//!   [`FakeBc::add_site`] of those channels (`url`, `urls` with `primary`
//!   and `canonical`). Needs `store_sites[_read_only]`. Without
//!   `channel_id:in` UNEXPECTED (bcconn asks for its channels' sites only).
//! * `POST v3/storefront/api-token` (browser), `api-token-private` (server),
//!   `api-token-customer-impersonation` → `200 {"data":{"token":"eyJ…"},"meta":{}}`.
//!   `Content-Type: application/json` and `Accept: application/json` are
//!   required. The body must be a JSON object with `expires_at` (an integer
//!   in the future) and exactly one of `channel_id` (an integer) or
//!   `channel_ids` (a non-empty array of integers); `allowed_cors_origins`
//!   (1 or 2 origins, `scheme://host[:port]`) only on `api-token`; `scopes`
//!   (non-empty, from `Unauthenticated`, `Customer`, `B2B`) required on
//!   `api-token-private` and nowhere else; no other field. Each of those
//!   failing is a 422 with a BigCommerce-shaped body AND UNEXPECTED (bcconn
//!   checks them before sending). A channel id that is not one of the
//!   store's storefront channels is a 422 that is NOT unexpected (a person
//!   can give a wrong id): `{"status":422,"title":"Invalid channel",
//!   "type":…,"errors":{"channel_id":"Channel 9 is not a storefront channel
//!   of this store"}}`. Scope: `store_storefront_api` (impersonation:
//!   `store_storefront_api_customer_impersonation`), else 403.
//! * `DELETE v3/storefront/api-token` with `Sf-Api-Token: <token>`: a token
//!   this fake issued for the store and not yet revoked → `200` with no
//!   body ("revocation has been scheduled"), and the token is marked
//!   revoked; an unknown, revoked or other store's token → 422 "Invalid
//!   JWT Token provided" (not unexpected); no header → 422 and UNEXPECTED.
//!   Scope: `store_storefront_api`.
//!
//! Auth as every API route: no `X-Auth-Token` → 401 and UNEXPECTED; an
//! unknown or revoked token → 401; another store's → 403.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{
    ERROR_TYPE_URL, FakeBc, Inner, Recorded, TITLE_401, TITLE_403, api_error, json_response, lock,
    page_params, random_string,
};

/// One channel or site row, kept per store.
#[derive(Default)]
pub(super) struct Storefront {
    channels: std::collections::HashMap<String, Vec<Value>>,
    sites: std::collections::HashMap<String, Vec<Value>>,
    issued: Vec<Issued>,
    next_site: u64,
}

/// A storefront token the fake issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub hash: String,
    /// `browser`, `server` or `impersonation`.
    pub kind: &'static str,
    pub token: String,
    /// The request body as the fake got it.
    pub body: Value,
    pub revoked: bool,
}

impl FakeBc {
    /// A channel of store `hash` (`kind` is its type: `storefront`,
    /// `marketplace`…; `status` one of BigCommerce's).
    pub fn add_channel(
        &self,
        hash: &str,
        id: u64,
        name: &str,
        kind: &str,
        platform: &str,
        status: &str,
    ) {
        lock(&self.shared)
            .storefront
            .channels
            .entry(hash.to_owned())
            .or_default()
            .push(json!({
                "id": id, "name": name, "type": kind, "platform": platform, "status": status,
                "external_id": "", "is_listable_from_ui": true, "is_visible": true,
                "date_created": "2026-01-05T10:00:00Z", "date_modified": "2026-01-05T10:00:00Z",
                "icon_url": "https://example.invalid/icon.svg",
            }));
    }

    /// A site of channel `channel_id` at `url` (its primary URL; a
    /// different canonical one beside it).
    pub fn add_site(&self, hash: &str, channel_id: u64, url: &str) {
        let mut inner = lock(&self.shared);
        inner.storefront.next_site += 1;
        let id = inner.storefront.next_site;
        inner
            .storefront
            .sites
            .entry(hash.to_owned())
            .or_default()
            .push(json!({
                "id": id, "url": url, "channel_id": channel_id,
                "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z",
                "ssl_status": "shared",
                "urls": [
                    {"url": format!("https://store-{hash}-{channel_id}.mybigcommerce.com"), "type": "canonical"},
                    {"url": url, "type": "primary"},
                ],
                "is_checkout_url_customized": false,
            }));
    }

    /// A store as most tests want it: channel 1 (Stencil, active) and 2
    /// (Catalyst, prelaunch) with sites, 3 a marketplace, 4 an archived
    /// storefront (not available), 5 an inactive storefront without a site.
    pub fn add_storefront_channels(&self, hash: &str) {
        self.add_channel(hash, 1, "Acme", "storefront", "bigcommerce", "active");
        self.add_channel(hash, 2, "Acme Next", "storefront", "catalyst", "prelaunch");
        self.add_channel(hash, 3, "Amazon", "marketplace", "amazon", "connected");
        self.add_channel(hash, 4, "Old shop", "storefront", "custom", "archived");
        self.add_channel(hash, 5, "Outlet", "storefront", "next", "inactive");
        self.add_site(hash, 1, "https://acme.example.com");
        self.add_site(hash, 2, "https://next.acme.example.com");
        self.add_site(hash, 4, "https://old.acme.example.com");
    }

    /// Every storefront token issued, in order.
    pub fn storefront_tokens(&self) -> Vec<Issued> {
        lock(&self.shared).storefront.issued.clone()
    }
}

/// Answers the storefront routes; `None` for any other (the fake's own).
pub(super) fn api(
    inner: &mut Inner,
    idx: usize,
    rec: &Recorded,
    hash: &str,
    rest: &[&str],
) -> Option<Response> {
    enum Route {
        Channels,
        Sites,
        Create(&'static str),
        Revoke,
    }
    let route = match (rec.method.as_str(), rest) {
        ("GET", ["v3", "channels"]) => Route::Channels,
        ("GET", ["v3", "sites"]) => Route::Sites,
        ("POST", ["v3", "storefront", "api-token"]) => Route::Create("browser"),
        ("POST", ["v3", "storefront", "api-token-private"]) => Route::Create("server"),
        ("POST", ["v3", "storefront", "api-token-customer-impersonation"]) => {
            Route::Create("impersonation")
        }
        ("DELETE", ["v3", "storefront", "api-token"]) => Route::Revoke,
        _ => return None,
    };
    let scopes: &[&str] = match route {
        Route::Channels => &["store_channel_settings", "store_channel_settings_read_only"],
        Route::Sites => &["store_sites", "store_sites_read_only"],
        Route::Create("impersonation") => &["store_storefront_api_customer_impersonation"],
        Route::Create(_) | Route::Revoke => &["store_storefront_api"],
    };
    if let Some(resp) = refused(inner, idx, rec, hash, scopes) {
        return Some(resp);
    }
    Some(match route {
        Route::Channels => channels(inner, idx, rec, hash),
        Route::Sites => sites(inner, idx, rec, hash),
        Route::Create(kind) => create(inner, idx, rec, hash, kind),
        Route::Revoke => revoke(inner, idx, rec, hash),
    })
}

/// The API's auth checks, as the fake's own routes make them: the answer
/// when they fail.
fn refused(
    inner: &mut Inner,
    idx: usize,
    rec: &Recorded,
    hash: &str,
    scopes: &[&str],
) -> Option<Response> {
    let Some(token) = rec
        .header("x-auth-token")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        inner.flag(idx, "api: no X-Auth-Token header");
        return Some(api_error(StatusCode::UNAUTHORIZED, TITLE_401));
    };
    let Some(tok) = inner.tokens.get(token).filter(|t| !t.revoked) else {
        return Some(api_error(StatusCode::UNAUTHORIZED, TITLE_401));
    };
    if tok.hash != hash || !tok.scopes.iter().any(|s| scopes.contains(&s.as_str())) {
        return Some(api_error(StatusCode::FORBIDDEN, TITLE_403));
    }
    None
}

fn unprocessable(title: &str, errors: Value) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"status": 422, "title": title, "type": ERROR_TYPE_URL, "errors": errors}),
    )
}

/// A paged v3 list of `all`, as the fake's products are.
fn paged(rec: &Recorded, all: Vec<Value>) -> Response {
    let Some((page, limit)) = page_params(rec) else {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The page or limit parameter is invalid",
        );
    };
    let total = all.len();
    let total_pages = total.div_ceil(limit).max(1);
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "data": items,
            "meta": {"pagination": {
                "total": total, "count": items.len(), "per_page": limit,
                "current_page": page, "total_pages": total_pages,
                "links": {"current": format!("?page={page}&limit={limit}")},
            }},
        }),
    )
}

/// Query parameters other than `allowed` (and page/limit) are UNEXPECTED.
fn only_params(inner: &mut Inner, idx: usize, rec: &Recorded, allowed: &[&str]) {
    for (k, _) in url::form_urlencoded::parse(rec.query.as_bytes()) {
        if !allowed.contains(&k.as_ref()) && k != "page" && k != "limit" {
            inner.flag(
                idx,
                &format!("storefront: unexpected query parameter {k:?}"),
            );
        }
    }
}

fn channels(inner: &mut Inner, idx: usize, rec: &Recorded, hash: &str) -> Response {
    only_params(inner, idx, rec, &["available", "type"]);
    let available = rec.query_param("available");
    let kind = rec.query_param("type");
    if available.as_deref() != Some("true") || kind.as_deref() != Some("storefront") {
        inner.flag(
            idx,
            "storefront: channels asked without available=true&type=storefront",
        );
    }
    let all: Vec<Value> = inner
        .storefront
        .channels
        .get(hash)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| match available.as_deref() {
            Some("true") => matches!(
                c["status"].as_str(),
                Some("prelaunch" | "active" | "inactive" | "connected")
            ),
            _ => true,
        })
        .filter(|c| kind.as_deref().is_none_or(|k| c["type"] == k))
        .collect();
    paged(rec, all)
}

fn sites(inner: &mut Inner, idx: usize, rec: &Recorded, hash: &str) -> Response {
    only_params(inner, idx, rec, &["channel_id:in"]);
    let Some(ids) = rec.query_param("channel_id:in") else {
        inner.flag(idx, "storefront: sites asked without channel_id:in");
        return paged(rec, Vec::new());
    };
    let ids: Vec<u64> = match ids.split(',').map(str::parse).collect() {
        Ok(ids) => ids,
        Err(_) => {
            inner.flag(idx, "storefront: channel_id:in is not a list of ids");
            return unprocessable("Invalid filter", json!({"channel_id:in": "not integers"}));
        }
    };
    let all: Vec<Value> = inner
        .storefront
        .sites
        .get(hash)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s["channel_id"].as_u64().is_some_and(|c| ids.contains(&c)))
        .collect();
    paged(rec, all)
}

fn is_origin(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.path() == "/"
            && u.query().is_none()
            && !s.trim_end_matches('/').ends_with('/')
            && u.username().is_empty()
    })
}

fn create(
    inner: &mut Inner,
    idx: usize,
    rec: &Recorded,
    hash: &str,
    kind: &'static str,
) -> Response {
    // A request a correct bcconn never sends: flagged, and 422 as BigCommerce would.
    let bad = |inner: &mut Inner, field: &str, why: &str| {
        inner.flag(idx, &format!("storefront token: {field}: {why}"));
        unprocessable("JSON data is missing or invalid", json!({ field: why }))
    };
    if !rec
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return bad(inner, "Content-Type", "must be application/json");
    }
    if rec.header("accept") != Some("application/json") {
        return bad(inner, "Accept", "must be application/json");
    }
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&rec.body) else {
        return bad(inner, "body", "is not a JSON object");
    };
    let mut allowed = vec!["expires_at", "channel_id", "channel_ids"];
    match kind {
        "browser" => allowed.push("allowed_cors_origins"),
        "server" => allowed.push("scopes"),
        _ => {}
    }
    if let Some(k) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
        return bad(inner, k, "is not a field of this endpoint");
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    match body.get("expires_at") {
        Some(Value::Number(n)) if n.is_i64() => {
            if n.as_i64().unwrap_or(0) <= now {
                return bad(inner, "expires_at", "must be in the future");
            }
        }
        Some(_) => return bad(inner, "expires_at", "must be an integer (Unix seconds)"),
        None => return bad(inner, "expires_at", "is required"),
    }
    let channels: Vec<u64> = match (body.get("channel_id"), body.get("channel_ids")) {
        (Some(_), Some(_)) => {
            return bad(
                inner,
                "channel_id",
                "give channel_id or channel_ids, not both",
            );
        }
        (None, None) => return bad(inner, "channel_id", "channel_id or channel_ids is required"),
        (Some(one), None) => match one.as_u64().filter(|n| *n >= 1) {
            Some(id) => vec![id],
            None => return bad(inner, "channel_id", "must be an integer of at least 1"),
        },
        (None, Some(many)) => {
            match many
                .as_array()
                .filter(|a| !a.is_empty())
                .and_then(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<u64>>>())
            {
                Some(ids) => ids,
                None => {
                    return bad(
                        inner,
                        "channel_ids",
                        "must be a non-empty array of integers",
                    );
                }
            }
        }
    };
    if let Some(origins) = body.get("allowed_cors_origins") {
        let Some(list) = origins.as_array() else {
            return bad(inner, "allowed_cors_origins", "must be an array");
        };
        if list.is_empty() || list.len() > 2 {
            return bad(inner, "allowed_cors_origins", "takes 1 or 2 origins");
        }
        if !list.iter().all(|o| o.as_str().is_some_and(is_origin)) {
            return bad(
                inner,
                "allowed_cors_origins",
                "holds something that is not an origin",
            );
        }
    }
    if kind == "server" {
        let ok = body
            .get("scopes")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .is_some_and(|a| {
                a.iter().all(|s| {
                    s.as_str()
                        .is_some_and(|s| ["Unauthenticated", "Customer", "B2B"].contains(&s))
                })
            });
        if !ok {
            return bad(
                inner,
                "scopes",
                "is required: a non-empty array of Unauthenticated, Customer, B2B",
            );
        }
    }
    let known: Vec<u64> = inner
        .storefront
        .channels
        .get(hash)
        .map(|list| {
            list.iter()
                .filter(|c| c["type"] == "storefront")
                .filter_map(|c| c["id"].as_u64())
                .collect()
        })
        .unwrap_or_default();
    if let Some(unknown) = channels.iter().find(|c| !known.contains(c)) {
        return unprocessable(
            "Invalid channel",
            json!({"channel_id": format!("Channel {unknown} is not a storefront channel of this store")}),
        );
    }
    let token = format!(
        "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
        random_string(48),
        random_string(43)
    );
    inner.storefront.issued.push(Issued {
        hash: hash.to_owned(),
        kind,
        token: token.clone(),
        body: Value::Object(body),
        revoked: false,
    });
    json_response(
        StatusCode::OK,
        &json!({"data": {"token": token}, "meta": {}}),
    )
}

fn revoke(inner: &mut Inner, idx: usize, rec: &Recorded, hash: &str) -> Response {
    let invalid = || {
        unprocessable(
            "Invalid JWT Token provided or missing JWT token header",
            json!({}),
        )
    };
    let Some(token) = rec
        .header("sf-api-token")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        inner.flag(idx, "storefront: revoke without an Sf-Api-Token header");
        return invalid();
    };
    match inner
        .storefront
        .issued
        .iter_mut()
        .find(|t| t.token == token && t.hash == hash && !t.revoked)
    {
        Some(t) => {
            t.revoked = true;
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::OK;
            resp
        }
        None => invalid(),
    }
}
