//! Minting and revoking storefront tokens (`/v3/storefront/api-token`,
//! `-private`, `-customer-impersonation`; BigCommerce's
//! `reference/storefront_tokens.v3.yml`). What a request says is checked
//! here before anything is sent: channel ids, an expiry in the future and
//! not absurd, at most two CORS origins that are origins, a server token's
//! scopes from BigCommerce's three. The answer is outside input: the token
//! is taken only when it looks like one, and an error body is shown
//! bounded and escaped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{Sent, Target, refused, request, send};
use crate::context::Context;
use crate::error::failure;
use crate::store::StorefrontKind;
use crate::text::outside;

/// The path of every token endpoint's create and of revoke.
pub const API_TOKEN: &str = "v3/storefront/api-token";
pub const PRIVATE_TOKEN: &str = "v3/storefront/api-token-private";
pub const IMPERSONATION_TOKEN: &str = "v3/storefront/api-token-customer-impersonation";
/// BigCommerce's limit: more origins need more tokens.
pub const MAX_ORIGINS: usize = 2;
/// The scopes of a private (server) token, as BigCommerce spells them.
pub const SERVER_SCOPES: [&str; 3] = ["Unauthenticated", "Customer", "B2B"];
/// The nearest an expiry may be: a token that ends before it is used is
/// a mistake.
pub const MIN_AHEAD: Duration = Duration::from_secs(60);
/// The furthest: ten years (a longer one is a typo, or a token that should
/// not exist).
pub const MAX_AHEAD: Duration = Duration::from_secs(10 * 366 * 24 * 3600);
/// The longest token taken from an answer (BigCommerce's are JWTs of a few
/// hundred bytes).
const TOKEN_MAX: usize = 16 * 1024;

/// What kind of token, with what only that kind takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `--for browser`: its CORS origins (0 to [`MAX_ORIGINS`]).
    Browser { origins: Vec<String> },
    /// `--for server`: a private token's scopes (at least one).
    Server { scopes: Vec<String> },
    /// `--customer-impersonation`.
    Impersonation,
}

impl Kind {
    pub fn stored(&self) -> StorefrontKind {
        match self {
            Kind::Browser { .. } => StorefrontKind::Browser,
            Kind::Server { .. } => StorefrontKind::Server,
            Kind::Impersonation => StorefrontKind::Impersonation,
        }
    }

    /// The endpoint that makes it.
    pub fn path(&self) -> &'static str {
        match self {
            Kind::Browser { .. } => API_TOKEN,
            Kind::Server { .. } => PRIVATE_TOKEN,
            Kind::Impersonation => IMPERSONATION_TOKEN,
        }
    }

    /// The scope the connection needs to make it.
    pub fn scope(&self) -> &'static str {
        match self {
            Kind::Impersonation => "store_storefront_api_customer_impersonation",
            _ => "store_storefront_api",
        }
    }
}

/// One token request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub kind: Kind,
    /// At least one, each once, in the order given.
    pub channels: Vec<u64>,
    /// Unix seconds.
    pub expires_at: i64,
}

impl Spec {
    /// The JSON body: `channel_id` for one channel, `channel_ids` for more
    /// (never both), `expires_at` always.
    pub fn body(&self) -> Value {
        let mut body = serde_json::Map::new();
        match self.channels.as_slice() {
            [one] => {
                body.insert("channel_id".into(), json!(one));
            }
            many => {
                body.insert("channel_ids".into(), json!(many));
            }
        }
        body.insert("expires_at".into(), json!(self.expires_at));
        match &self.kind {
            Kind::Browser { origins } if !origins.is_empty() => {
                body.insert("allowed_cors_origins".into(), json!(origins));
            }
            Kind::Server { scopes } => {
                body.insert("scopes".into(), json!(scopes));
            }
            _ => {}
        }
        Value::Object(body)
    }
}

/// Who a token is for, before its details are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum For {
    Browser,
    Server,
    Impersonation,
}

/// A token request as far as it is known: what the flags gave, checked,
/// and holes the walk-through fills (or a usage error names).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Empty: not given.
    pub channels: Vec<u64>,
    pub for_: Option<For>,
    /// `--cors-origin`s, checked (browser tokens only).
    pub origins: Vec<String>,
    /// `--scopes`, checked (server tokens only).
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<i64>,
}

impl Draft {
    /// The flags still needed, as a person types them.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.channels.is_empty() {
            out.push("--channel ID");
        }
        match self.for_ {
            None => out.push("--for browser|server (or --customer-impersonation)"),
            Some(For::Server) if self.scopes.is_none() => {
                out.push("--scopes Unauthenticated,Customer,B2B")
            }
            _ => {}
        }
        if self.expires_at.is_none() {
            out.push("--expires 30d|DATE");
        }
        out
    }

    /// The request, once nothing is missing.
    pub fn spec(&self) -> Option<Spec> {
        let kind = match self.for_? {
            For::Browser => Kind::Browser {
                origins: self.origins.clone(),
            },
            For::Server => Kind::Server {
                scopes: self.scopes.clone()?,
            },
            For::Impersonation => Kind::Impersonation,
        };
        if self.channels.is_empty() {
            return None;
        }
        Some(Spec {
            kind,
            channels: self.channels.clone(),
            expires_at: self.expires_at?,
        })
    }
}

/// The channel ids, each once, in order; none is an error.
pub fn channels(given: &[u64]) -> Result<Vec<u64>, String> {
    let mut out: Vec<u64> = Vec::new();
    for id in given {
        if *id == 0 {
            return Err("--channel 0 is not a channel id (they start at 1)".into());
        }
        if !out.contains(id) {
            out.push(*id);
        }
    }
    if out.is_empty() {
        return Err("no channel given".into());
    }
    Ok(out)
}

/// `--cors-origin URL` as an origin (`scheme://host[:port]`), or why not.
pub fn origin(text: &str) -> Result<String, String> {
    let shown = outside(text, 200);
    let url = url::Url::parse(text.trim()).map_err(|_| {
        format!("--cors-origin {shown:?} is not a URL such as https://shop.example.com")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("--cors-origin {shown:?} is not an http(s) origin"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("--cors-origin {shown:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "--cors-origin {shown:?} holds a user or password; an origin is scheme://host[:port]"
        ));
    }
    // `Url` makes an empty path "/": only a bare origin, with or without
    // that slash, is one.
    let trimmed = text.trim();
    let bare = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || bare.ends_with('/')
    {
        return Err(format!(
            "--cors-origin {shown:?} has a path, query or fragment; an origin is scheme://host[:port], e.g. {}",
            url.origin().ascii_serialization()
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// The origins, each once; more than [`MAX_ORIGINS`] is an error.
pub fn origins(given: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for text in given {
        let o = origin(text)?;
        if !out.contains(&o) {
            out.push(o);
        }
    }
    if out.len() > MAX_ORIGINS {
        return Err(format!(
            "{} CORS origins given; BigCommerce takes at most {MAX_ORIGINS} per token (make another token for the others)",
            out.len()
        ));
    }
    Ok(out)
}

/// `--scopes Unauthenticated,Customer,B2B` (any case; each once, in
/// BigCommerce's spelling), or why not.
pub fn server_scopes(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let Some(known) = SERVER_SCOPES.iter().find(|s| s.eq_ignore_ascii_case(word)) else {
            return Err(format!(
                "{:?} is not a storefront token scope; use {}",
                outside(word, 60),
                SERVER_SCOPES.join(", ")
            ));
        };
        if !out.iter().any(|s| s == known) {
            out.push(known.to_string());
        }
    }
    if out.is_empty() {
        return Err(format!(
            "--scopes is empty; a server token needs at least one of {}",
            SERVER_SCOPES.join(", ")
        ));
    }
    Ok(out)
}

/// `--expires`: a duration from `now` (`30d`, `12h`, `1y`, `2w 3d`), a date
/// (`2026-12-31`, midnight UTC) or an RFC 3339 time
/// (`2026-12-31T18:00:00Z`, `2026-12-31T18:00:00+02:00`); as Unix seconds.
/// At least [`MIN_AHEAD`] and at most [`MAX_AHEAD`] ahead.
pub fn expiry(text: &str, now: SystemTime) -> Result<i64, String> {
    let t = text.trim();
    let shown = outside(t, 60);
    let at = if t.starts_with(|c: char| c.is_ascii_digit())
        && t.len() >= 10
        && t.as_bytes()[4] == b'-'
    {
        time(t).ok_or_else(|| {
            format!("--expires {shown:?} is not a date (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00Z)")
        })?
    } else {
        let d = humantime::parse_duration(t).map_err(|_| {
            format!(
                "--expires {shown:?} is neither a duration (30d, 12h, 1y) nor a date (2026-12-31)"
            )
        })?;
        now.checked_add(d)
            .ok_or_else(|| format!("--expires {shown:?} is too far ahead"))?
    };
    let secs = |t: SystemTime| -> i64 {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs().min(i64::MAX as u64) as i64,
            Err(e) => -(e.duration().as_secs().min(i64::MAX as u64) as i64),
        }
    };
    let (at_s, now_s) = (secs(at), secs(now));
    if at_s < now_s + MIN_AHEAD.as_secs() as i64 {
        return Err(format!(
            "--expires {shown:?} is {}: a token must last at least a minute",
            if at_s <= now_s {
                "in the past"
            } else {
                "too soon"
            }
        ));
    }
    if at_s > now_s + MAX_AHEAD.as_secs() as i64 {
        return Err(format!(
            "--expires {shown:?} is more than 10 years ahead; give a shorter time (1y, 2030-01-01) and make a new token before it ends (`--save NAME --replace` keeps the name)"
        ));
    }
    Ok(at_s)
}

/// A date or an RFC 3339 time, with a `Z` or `±HH:MM` offset (none: UTC).
fn time(t: &str) -> Option<SystemTime> {
    if t.len() == 10 {
        return humantime::parse_rfc3339_weak(&format!("{t}T00:00:00Z")).ok();
    }
    let (local, offset) = if let Some(rest) = t.strip_suffix(['Z', 'z']) {
        (rest, 0i64)
    } else if t.len() > 6
        && matches!(t.as_bytes()[t.len() - 6], b'+' | b'-')
        && t.as_bytes()[t.len() - 3] == b':'
    {
        let (rest, off) = t.split_at(t.len() - 6);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let h: i64 = off.get(1..3)?.parse().ok()?;
        let m: i64 = off.get(4..6)?.parse().ok()?;
        if h > 23 || m > 59 {
            return None;
        }
        (rest, sign * (h * 3600 + m * 60))
    } else {
        (t, 0)
    };
    let utc = humantime::parse_rfc3339_weak(local).ok()?;
    // Local time = UTC + offset.
    if offset >= 0 {
        utc.checked_sub(Duration::from_secs(offset as u64))
    } else {
        utc.checked_add(Duration::from_secs(offset.unsigned_abs()))
    }
}

/// Unix seconds as an RFC 3339 UTC time.
pub fn shown_time(secs: i64) -> String {
    crate::store::storefront::rfc3339(secs)
}

/// Asks BigCommerce for a token as `spec` says.
pub fn create(ctx: &Context, t: &mut Target, spec: &Spec) -> Result<SecretString> {
    let path = spec.kind.path();
    let mut req = request(ctx, t, Method::POST, path)?;
    req.body = Some(serde_json::to_vec(&spec.body())?);
    let a = match send(ctx, t, req, None)? {
        Sent::Answer(a) => a,
        Sent::Items(_) => return Err(failure("the token endpoint answered with a list").into()),
    };
    if a.status.is_success() {
        return token_of(&a.body);
    }
    if a.status == StatusCode::UNPROCESSABLE_ENTITY {
        let (said, details) = unprocessable(&a.body);
        let mut f = failure(format!(
            "BigCommerce refused the token request (422): {said}"
        ));
        for d in details {
            f = f.also(d);
        }
        return Err(f.into());
    }
    let mut f = refused(&t.conn, &a, &Method::POST, path);
    if a.status == StatusCode::FORBIDDEN && !f.hints.iter().any(|h| h.contains(spec.kind.scope())) {
        f = f.also(format!(
            "making this token needs scope {}",
            spec.kind.scope()
        ));
    }
    Err(f.into())
}

/// The token of a 2xx answer (`{"data": {"token": "…"}}`), when it looks
/// like one: printable ASCII without spaces, bounded.
fn token_of(body: &[u8]) -> Result<SecretString> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| failure("BigCommerce's answer is not JSON; no token was made known"))?;
    let Some(token) = v.pointer("/data/token").and_then(Value::as_str) else {
        return Err(failure("BigCommerce's answer holds no data.token").into());
    };
    if token.is_empty() || token.len() > TOKEN_MAX || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(failure(
            "BigCommerce's answer holds a data.token that is not a token (empty, too long, or with spaces or control characters)",
        )
        .into());
    }
    Ok(SecretString::from(token.to_string()))
}

/// A 422's title and each of its `errors` (`field: message`), bounded and
/// escaped: BigCommerce's words, shown as they are.
fn unprocessable(body: &[u8]) -> (String, Vec<String>) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        return (outside(text.trim(), 300), Vec::new());
    };
    let title = v
        .get("title")
        .and_then(Value::as_str)
        .or_else(|| v.get("message").and_then(Value::as_str))
        .map(|t| outside(t.trim(), 300))
        .unwrap_or_else(|| "Unprocessable Entity".into());
    let mut details = Vec::new();
    match v.get("errors") {
        Some(Value::Object(map)) => {
            for (k, e) in map.iter().take(10) {
                let said = match e {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                details.push(format!("{}: {}", outside(k, 80), outside(&said, 300)));
            }
        }
        Some(Value::Array(list)) => {
            for e in list.iter().take(10) {
                let said = e
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string());
                details.push(outside(&said, 300));
            }
        }
        _ => {}
    }
    (title, details)
}

/// How a revoke went.
#[derive(Debug, PartialEq, Eq)]
pub enum Revoked {
    /// BigCommerce took it (its revocation is scheduled).
    Done,
    /// BigCommerce does not know the token (404, or 422 "invalid JWT"):
    /// expired, revoked already, or of another store. What it said.
    Unknown(String),
}

/// `DELETE /v3/storefront/api-token` with the token in `Sf-Api-Token`.
pub fn revoke(ctx: &Context, t: &mut Target, token: &SecretString) -> Result<Revoked> {
    let mut req = request(ctx, t, Method::DELETE, API_TOKEN)?;
    req.headers
        .push(("Sf-Api-Token".into(), token.expose_secret().to_string()));
    let mut a = match send(ctx, t, req, None)? {
        Sent::Answer(a) => a,
        Sent::Items(_) => return Err(failure("the revoke endpoint answered with a list").into()),
    };
    if a.status.is_success() {
        return Ok(Revoked::Done);
    }
    // An error body may echo the token it was given: never shown.
    let echoed = String::from_utf8_lossy(&a.body).into_owned();
    if echoed.contains(token.expose_secret()) {
        a.body = echoed.replace(token.expose_secret(), "***").into_bytes();
    }
    if matches!(
        a.status,
        StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
    ) {
        return Ok(Revoked::Unknown(a.headline()));
    }
    Err(refused(&t.conn, &a, &Method::DELETE, API_TOKEN).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SystemTime {
        humantime::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn one_channel_is_channel_id_several_are_channel_ids() {
        let spec = |channels: Vec<u64>, kind| Spec {
            kind,
            channels,
            expires_at: 1_900_000_000,
        };
        let one = spec(vec![1], Kind::Impersonation).body();
        assert_eq!(one, json!({"channel_id": 1, "expires_at": 1_900_000_000}));
        let many = spec(
            vec![1, 7],
            Kind::Server {
                scopes: vec!["Unauthenticated".into()],
            },
        )
        .body();
        assert_eq!(
            many,
            json!({"channel_ids": [1, 7], "expires_at": 1_900_000_000, "scopes": ["Unauthenticated"]})
        );
        let browser = spec(vec![2], Kind::Browser { origins: vec![] }).body();
        assert!(browser.get("allowed_cors_origins").is_none(), "{browser}");
        assert_eq!(channels(&[3, 1, 3]).unwrap(), [3, 1]);
        assert!(channels(&[]).is_err());
        assert!(channels(&[0]).is_err());
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(
            origin("https://Shop.example.com").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            origin("https://shop.example.com/").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        for bad in [
            "shop.example.com",
            "ftp://shop.example.com",
            "https://shop.example.com/path",
            "https://shop.example.com//",
            "https://shop.example.com/?q=1",
            "https://u:p@shop.example.com",
        ] {
            assert!(origin(bad).is_err(), "{bad}");
        }
        let three = [
            "https://a.example",
            "https://b.example",
            "https://c.example",
        ]
        .map(String::from);
        assert!(origins(&three).unwrap_err().contains("at most 2"));
        assert_eq!(origins(&three[..2]).unwrap().len(), 2);
    }

    #[test]
    fn server_scopes_are_bigcommerces_three() {
        assert_eq!(
            server_scopes("customer, unauthenticated,Customer").unwrap(),
            ["Customer", "Unauthenticated"]
        );
        assert!(
            server_scopes("Admin")
                .unwrap_err()
                .contains("Unauthenticated, Customer, B2B")
        );
        assert!(server_scopes(" , ").is_err());
    }

    #[test]
    fn expiry_takes_durations_dates_and_times() {
        let now = at("2026-01-01T00:00:00Z");
        let base = 1_767_225_600; // 2026-01-01
        assert_eq!(expiry("30d", now).unwrap(), base + 30 * 86_400);
        assert_eq!(expiry("12h", now).unwrap(), base + 12 * 3600);
        assert_eq!(expiry("2026-03-01", now).unwrap(), base + 59 * 86_400);
        assert_eq!(
            expiry("2026-01-02T06:00:00Z", now).unwrap(),
            base + 30 * 3600
        );
        assert_eq!(
            expiry("2026-01-02T06:00:00+02:00", now).unwrap(),
            base + 28 * 3600
        );
        for bad in [
            "2025-12-31",
            "-1d",
            "10s",
            "soon",
            "2026-13-01",
            "20y",
            "2026-01-02T06:00:00+25:00",
        ] {
            assert!(expiry(bad, now).is_err(), "{bad}");
        }
        assert!(
            expiry("2025-12-31", now)
                .unwrap_err()
                .contains("in the past")
        );
    }

    #[test]
    fn a_token_is_taken_only_when_it_looks_like_one() {
        let ok = token_of(br#"{"data":{"token":"eyJ.abc.def"},"meta":{}}"#).unwrap();
        assert_eq!(ok.expose_secret(), "eyJ.abc.def");
        for bad in [
            &br#"{"data":{}}"#[..],
            br#"{"data":{"token":""}}"#,
            br#"{"data":{"token":"a b"}}"#,
            b"not json",
        ] {
            assert!(token_of(bad).is_err());
        }
    }

    #[test]
    fn a_422_body_is_shown_bounded_and_escaped() {
        let (title, details) = unprocessable(
            br#"{"status":422,"title":"Bad \u001b[31mrequest","errors":{"channel_id":"Channel 9 does not exist"}}"#,
        );
        assert_eq!(title, "Bad \\u{1b}[31mrequest");
        assert_eq!(details, ["channel_id: Channel 9 does not exist"]);
    }
}
