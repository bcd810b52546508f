//! `-v`'s line per store API request, in the spirit of `GH_DEBUG=api`:
//! method, URL, status, time taken, and the rate-limit headers the answer
//! carried. Pagination and 429 retries are requests too, a line each.
//!
//! No request header is ever shown: the token is one. The URL loses any
//! user and password, and the value of a query parameter whose name says it
//! is a secret, though bcconn's own URLs carry neither: a URL pasted with
//! one must not end up in a log.

use std::time::Duration;

use reqwest::header::HeaderMap;
use url::Url;

/// The rate-limit headers a line shows, in this order, by the names
/// BigCommerce documents (protocol notes §6).
const RATE_HEADERS: [&str; 5] = [
    "X-Rate-Limit-Requests-Left",
    "X-Rate-Limit-Requests-Quota",
    "X-Rate-Limit-Time-Reset-Ms",
    "X-Rate-Limit-Time-Window-Ms",
    "X-Retry-After",
];

/// Query parameter names whose values are not shown.
const SECRET_WORDS: [&str; 5] = ["token", "secret", "password", "signature", "jwt"];

/// `url` as a log shows it: without user and password, and with `***` for
/// the values of secret-looking query parameters.
pub fn shown_url(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let lower = k.to_ascii_lowercase();
                let secret = SECRET_WORDS.iter().any(|w| lower.contains(w));
                (
                    k.into_owned(),
                    if secret { "***".into() } else { v.into_owned() },
                )
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    crate::text::outside(url.as_str(), 2000)
}

/// One line: `GET URL -> 200 OK in 12 ms; rate limit headers:
/// X-Rate-Limit-Requests-Left: 148, …`.
/// `outcome` is the status, or why there was no answer.
pub fn line(
    method: &reqwest::Method,
    url: &Url,
    outcome: &str,
    took: Duration,
    headers: Option<&HeaderMap>,
) -> String {
    let rate: Vec<String> = headers
        .map(|h| {
            RATE_HEADERS
                .iter()
                .filter_map(|name| {
                    let value = h.get(*name)?.to_str().ok()?;
                    Some(format!(
                        "{name}: {}",
                        crate::text::outside(value.trim(), 24)
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let rate = if rate.is_empty() {
        String::new()
    } else {
        format!("; rate limit headers: {}", rate.join(", "))
    };
    format!(
        "{method} {} -> {outcome} in {} ms{rate}",
        shown_url(url),
        took.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_method_url_status_time_and_the_rate_headers() {
        let url =
            Url::parse("https://api.example.com/stores/abc/v3/catalog/products?page=2").unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-requests-left", "148".parse().unwrap());
        h.insert("x-rate-limit-requests-quota", "150".parse().unwrap());
        h.insert("x-rate-limit-time-reset-ms", "29876".parse().unwrap());
        h.insert("x-auth-token", "not-shown-ever".parse().unwrap());
        let text = line(
            &reqwest::Method::GET,
            &url,
            "200 OK",
            Duration::from_millis(12),
            Some(&h),
        );
        assert_eq!(
            text,
            "GET https://api.example.com/stores/abc/v3/catalog/products?page=2 -> 200 OK in 12 ms; \
             rate limit headers: X-Rate-Limit-Requests-Left: 148, X-Rate-Limit-Requests-Quota: 150, X-Rate-Limit-Time-Reset-Ms: 29876"
        );
        let none = line(
            &reqwest::Method::POST,
            &url,
            "could not connect",
            Duration::ZERO,
            None,
        );
        assert!(none.ends_with("-> could not connect in 0 ms"), "{none}");
    }

    #[test]
    fn urls_lose_credentials_and_secret_query_values() {
        let url = Url::parse(
            "https://me:pw@api.example.com/stores/abc/v2/x?limit=5&access_token=t0k&Client_Secret=s&keyword=a+b",
        )
        .unwrap();
        let shown = shown_url(&url);
        assert_eq!(
            shown,
            "https://api.example.com/stores/abc/v2/x?limit=5&access_token=***&Client_Secret=***&keyword=a+b"
        );
        let plain = Url::parse("https://api.example.com/stores/abc/v2/time").unwrap();
        assert_eq!(shown_url(&plain), plain.as_str());
    }
}
