//! The few store API calls bcconn makes to check a token.
//!
//! `GET /stores/H/v2/store` tells the store's name and domain but needs the
//! information scope; `GET /stores/H/v2/time` works with any valid token.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::bigcommerce::store_hash::StoreHash;

/// What the store said about itself.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StoreInfo {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
}

impl StoreInfo {
    /// A `v2/store` answer: a JSON object (serde would also take an array
    /// for the struct's fields in order: `["x"]` is not a store).
    pub fn parse(body: &[u8]) -> Result<StoreInfo, String> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        if !value.is_object() {
            return Err("not a JSON object".into());
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// The store's words escaped and bounded: they are printed and stored.
    pub(crate) fn safe(self) -> StoreInfo {
        let clean = |v: Option<String>| v.map(|v| crate::text::outside(&v, 200));
        StoreInfo {
            id: clean(self.id),
            name: clean(self.name),
            domain: clean(self.domain),
        }
    }
}

/// The outcome of checking a token.
#[derive(Debug)]
pub enum Check {
    /// The token works; `store` is `Some` when it may read store information.
    Ok { store: Option<StoreInfo> },
    /// 401: BigCommerce does not know the token (revoked, app uninstalled).
    Invalid(String),
    /// 403 on every probe: the token exists but cannot reach this store.
    Forbidden(String),
    /// A definite answer that is not a working token for this store: any
    /// other 4xx (404: no such store, the hash is probably wrong; 400), or
    /// a 200 that is not store information. The full message, escaped.
    Rejected(String),
    /// No answer yet that says anything: the network, a 5xx, 429s past the
    /// retries, a wait longer than `--max-wait`. Transient.
    Unreachable(String),
}

/// Why a store answered `status` to `path`, for [`Check::Rejected`]; `why`
/// is already escaped and bounded.
pub fn rejected(path: &str, status: StatusCode, why: &str) -> Check {
    let hint = if status == StatusCode::NOT_FOUND {
        " (no such store: the store hash is probably wrong)"
    } else {
        ""
    };
    Check::Rejected(format!("{path} answered {status}: {why}{hint}"))
}

/// Whether an answer says nothing yet about the token (try again later).
pub fn transient(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// An HTTP client for BigCommerce: rustls, no redirects, timeouts.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("bcconn/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("building the HTTP client")
}

async fn get(
    http: &reqwest::Client,
    url: &str,
    token: &SecretString,
) -> Result<(StatusCode, String), String> {
    let clock = crate::clock::system();
    let start = clock.instant();
    let sent = http
        .get(url)
        .header("X-Auth-Token", token.expose_secret())
        .header("Accept", "application/json")
        .send()
        .await;
    let took = clock.instant().saturating_duration_since(start);
    let trace = |outcome: &str, headers| {
        if let Ok(url) = url::Url::parse(url) {
            let line = super::trace::line(&reqwest::Method::GET, &url, outcome, took, headers);
            tracing::debug!("{line}");
        }
    };
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            trace(&describe_reqwest(&e), None);
            return Err(describe_reqwest(&e));
        }
    };
    let status = response.status();
    trace(&status.to_string(), Some(response.headers()));
    let body = response.text().await.map_err(|e| describe_reqwest(&e))?;
    Ok((status, body))
}

/// A network error without the URL's query (nothing secret is in our URLs,
/// but keep messages short).
pub fn describe_reqwest(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        // reqwest's Display includes the URL; ours carry no secret, but the
        // caller names the host already.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}

/// The `title` of a BigCommerce error body, when it has one.
fn title(body: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        title: Option<String>,
    }
    // From outside: escaped and bounded before anyone prints or stores it.
    let said = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.title)
        .unwrap_or_else(|| body.to_string());
    crate::text::outside(&said, 120)
}

/// Checks a token against a store: `/v2/store` first, `/v2/time` when the
/// token may not read store information (403).
pub async fn check(
    http: &reqwest::Client,
    api: &str,
    store: &StoreHash,
    token: &SecretString,
) -> Check {
    let base = format!("{api}/stores/{}", store.as_str());
    let (status, body) = match get(http, &format!("{base}/v2/store"), token).await {
        Ok(r) => r,
        Err(e) => return Check::Unreachable(format!("{api}: {e}")),
    };
    match status {
        StatusCode::OK => match StoreInfo::parse(body.as_bytes()) {
            Ok(info) => {
                return Check::Ok {
                    store: Some(info.safe()),
                };
            }
            Err(e) => {
                return Check::Rejected(format!(
                    "{base}/v2/store answered 200 with something that is not store information ({e})"
                ));
            }
        },
        StatusCode::UNAUTHORIZED => return Check::Invalid(title(&body)),
        StatusCode::FORBIDDEN => {}
        other if transient(other) => {
            return Check::Unreachable(format!(
                "{base}/v2/store answered {other}: {}",
                title(&body)
            ));
        }
        other => return rejected(&format!("{base}/v2/store"), other, &title(&body)),
    }
    let (status, body) = match get(http, &format!("{base}/v2/time"), token).await {
        Ok(r) => r,
        Err(e) => return Check::Unreachable(format!("{api}: {e}")),
    };
    match status {
        StatusCode::OK => Check::Ok { store: None },
        StatusCode::UNAUTHORIZED => Check::Invalid(title(&body)),
        StatusCode::FORBIDDEN => Check::Forbidden(title(&body)),
        other if transient(other) => {
            Check::Unreachable(format!("{base}/v2/time answered {other}: {}", title(&body)))
        }
        other => rejected(&format!("{base}/v2/time"), other, &title(&body)),
    }
}
