//! The store's storefront channels (`GET /v3/channels?available=true&type=storefront`,
//! every page) with the URL of each one's site (`GET
//! /v3/sites?channel_id:in=…`, one request for up to [`SITES_AT_ONCE`]
//! channels, not one per channel). Everything the store says is outside
//! input: bounded and escaped here, once, for every caller.

use anyhow::Result;
use reqwest::Method;
use serde_json::Value;

use super::{Sent, Target, refused, request, send};
use crate::context::Context;
use crate::error::failure;
use crate::text::outside;

/// The channels list path and query (what create-catalyst asks, too).
pub const CHANNELS: &str = "v3/channels";
const CHANNELS_QUERY: &str = "available=true&type=storefront";
pub const SITES: &str = "v3/sites";
/// Channel ids per sites request: the URL stays short.
pub const SITES_AT_ONCE: usize = 100;
/// The most pages of either list bcconn reads: past this, it is not a
/// store's channels.
const MAX_PAGES: u64 = 100;
/// How much of a name, platform, status or URL is kept.
const TEXT_MAX: usize = 200;

/// One storefront channel as shown.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct Channel {
    pub id: u64,
    pub name: String,
    pub platform: String,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The primary URL of its site; `None` when it has none, or when the
    /// sites could not be read.
    pub site_url: Option<String>,
}

/// The channels, and why their URLs are missing when they are.
pub struct Channels {
    pub list: Vec<Channel>,
    /// The sites could not be read (a 403): what to say instead of URLs.
    pub no_sites: Option<Vec<String>>,
}

/// Reads the channels and their sites' URLs.
pub fn list(ctx: &Context, t: &mut Target) -> Result<Channels> {
    let mut req = request(ctx, t, Method::GET, CHANNELS)?;
    req.url.set_query(Some(CHANNELS_QUERY));
    let items = match send(ctx, t, req, Some(MAX_PAGES))? {
        Sent::Items(items) => items
            .iter()
            .map(|i| serde_json::from_str::<Value>(i.get()))
            .collect::<Result<Vec<_>, _>>()?,
        Sent::Answer(a) if a.status.is_success() => data_of(&a.body)?,
        Sent::Answer(a) => return Err(refused(&t.conn, &a, &Method::GET, CHANNELS).into()),
    };
    let mut list: Vec<Channel> = items.iter().filter_map(channel).collect();
    // What the store says it filtered, kept: a channel of another type is
    // not one a storefront token is for.
    list.retain(|c| c.kind == "storefront");
    let mut no_sites = None;
    for chunk in list
        .iter()
        .map(|c| c.id)
        .collect::<Vec<_>>()
        .chunks(SITES_AT_ONCE)
    {
        match sites(ctx, t, chunk)? {
            Ok(urls) => {
                for c in list.iter_mut() {
                    if let Some((_, url)) = urls.iter().find(|(id, _)| *id == c.id) {
                        c.site_url = Some(url.clone());
                    }
                }
            }
            Err(lines) => {
                no_sites = Some(lines);
                break;
            }
        }
    }
    Ok(Channels { list, no_sites })
}

/// `data` of a one-page answer that was not a paged list.
fn data_of(body: &[u8]) -> Result<Vec<Value>> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| failure("the store's channels answer is not JSON"))?;
    match v.get("data") {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => Err(
            failure("the store's channels answer holds no list of channels (no data array)").into(),
        ),
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => outside(s, TEXT_MAX),
        Some(Value::Null) | None => String::new(),
        Some(other) => outside(&other.to_string(), TEXT_MAX),
    }
}

/// A channel from one item; one without a numeric id is left out.
fn channel(v: &Value) -> Option<Channel> {
    Some(Channel {
        id: v.get("id")?.as_u64()?,
        name: text(v, "name"),
        platform: text(v, "platform"),
        status: text(v, "status"),
        kind: text(v, "type"),
        site_url: None,
    })
}

/// Each channel's site URL, or the lines to say instead (a 403).
type SiteUrls = std::result::Result<Vec<(u64, String)>, Vec<String>>;

/// The primary URL of each channel's site among `ids`: `Err` with the
/// lines to say when the connection may not read sites (403).
fn sites(ctx: &Context, t: &mut Target, ids: &[u64]) -> Result<SiteUrls> {
    if ids.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let mut req = request(ctx, t, Method::GET, SITES)?;
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    req.url
        .set_query(Some(&format!("channel_id:in={}", ids.join(","))));
    let items = match send(ctx, t, req, Some(MAX_PAGES))? {
        Sent::Items(items) => items
            .iter()
            .map(|i| serde_json::from_str::<Value>(i.get()))
            .collect::<Result<Vec<_>, _>>()?,
        Sent::Answer(a) if a.status.is_success() => data_of(&a.body)?,
        Sent::Answer(a) if a.status == reqwest::StatusCode::FORBIDDEN => {
            // The api's 403 words: which scope is missing, how to add it.
            let mut lines = super::super::forbidden::forbidden(&t.conn, &Method::GET, SITES);
            if let Some(first) = lines.first_mut() {
                *first = format!("site URLs are left out (403): {first}");
            }
            return Ok(Err(lines));
        }
        Sent::Answer(a) => return Err(refused(&t.conn, &a, &Method::GET, SITES).into()),
    };
    Ok(Ok(items.iter().filter_map(site_url).collect()))
}

/// A site's channel and its primary URL (the `primary` of `urls`, else `url`).
fn site_url(v: &Value) -> Option<(u64, String)> {
    let channel = v.get("channel_id")?.as_u64()?;
    let primary = v
        .get("urls")
        .and_then(Value::as_array)
        .and_then(|urls| {
            urls.iter()
                .find(|u| u.get("type").and_then(Value::as_str) == Some("primary"))
        })
        .and_then(|u| u.get("url"))
        .and_then(Value::as_str);
    let url = primary.or_else(|| v.get("url").and_then(Value::as_str))?;
    Some((channel, outside(url, TEXT_MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_channel_is_read_bounded_and_escaped() {
        let c = channel(&json!({
            "id": 7, "name": "Shop\u{1b}[31m", "platform": "catalyst", "status": "active",
            "type": "storefront", "icon_url": "x"
        }))
        .unwrap();
        assert_eq!(c.name, "Shop\\u{1b}[31m");
        assert_eq!(c.kind, "storefront");
        assert!(channel(&json!({"id": "seven", "name": "x"})).is_none());
        let long = channel(&json!({"id": 1, "name": "n".repeat(500)})).unwrap();
        assert!(long.name.len() < 300, "{}", long.name);
    }

    #[test]
    fn a_site_url_is_its_primary_one() {
        let site = json!({"id": 3, "channel_id": 2, "url": "https://old.example.com",
            "urls": [{"url": "https://canon.example.com", "type": "canonical"},
                     {"url": "https://shop.example.com", "type": "primary"}]});
        assert_eq!(
            site_url(&site),
            Some((2, "https://shop.example.com".into()))
        );
        let plain = json!({"channel_id": 1, "url": "https://a.example.com"});
        assert_eq!(site_url(&plain), Some((1, "https://a.example.com".into())));
        assert_eq!(site_url(&json!({"url": "x"})), None);
    }
}
