//! BigCommerce's GraphQL Admin API (`POST /stores/{hash}/graphql`), as pure
//! functions: what a document holds ([`document`]), the `errors` a 200
//! answer may carry, the `X-Bc-Graphql-Complexity` header, and the pages of
//! a `--paginate` ([`pages`]).
//!
//! Facts (`reference/field.md` §2): the endpoint takes `X-Auth-Token` like
//! the REST API; a query whose complexity passes 10,000 is refused, and the
//! complexity of each answered one is in `X-Bc-Graphql-Complexity`. A
//! GraphQL error (a field that does not exist, a bad argument) comes in a
//! 200 answer, as `{"errors": [{"message", "locations", "path"}], "data"}`.

pub mod document;
pub mod pages;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The path under the store's base.
pub const PATH: &str = "graphql";
/// BigCommerce refuses a query more complex than this.
pub const COMPLEXITY_LIMIT: u64 = 10_000;
/// Above this (80% of the limit) a warning is said.
pub const COMPLEXITY_WARN: u64 = 8_000;
/// The header that says a query's complexity.
pub const COMPLEXITY_HEADER: &str = "x-bc-graphql-complexity";

/// The complexity an answer reports; `None` when the header is missing or
/// is not a whole number (outside input: never trusted further).
pub fn complexity(headers: &HeaderMap) -> Option<u64> {
    let text = headers.get(COMPLEXITY_HEADER)?.to_str().ok()?.trim();
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The warning for a complexity past [`COMPLEXITY_WARN`], if it is.
pub fn complexity_warning(complexity: u64) -> Option<String> {
    (complexity > COMPLEXITY_WARN).then(|| {
        format!(
            "query complexity {complexity} of {COMPLEXITY_LIMIT}: BigCommerce refuses a query above {COMPLEXITY_LIMIT}; ask for fewer fields, or fewer items a page (a smaller first: N)"
        )
    })
}

/// The first GraphQL error of an answer, as one line: its `message`
/// (escaped, bounded), its `path` when it has one, and how many more
/// there are. `None` when the answer has no `errors` (or an empty list, or
/// `null`), or is not a JSON object.
pub fn first_error(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Top {
        errors: Option<Box<RawValue>>,
    }
    #[derive(Deserialize)]
    struct Error {
        message: Option<Value>,
        path: Option<Vec<Value>>,
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return None;
    }
    let errors = serde_json::from_slice::<Top>(body).ok()?.errors?;
    let text = errors.get().trim();
    if text == "null" {
        return None;
    }
    let list = match serde_json::from_str::<Vec<Box<RawValue>>>(text) {
        Ok(list) if list.is_empty() => return None,
        Ok(list) => list,
        Err(_) => {
            return Some(format!(
                "the answer's errors are not a list: {}",
                crate::text::outside(text, 120)
            ));
        }
    };
    let error = serde_json::from_str::<Error>(list[0].get()).ok();
    let message = match error.as_ref().and_then(|e| e.message.as_ref()) {
        Some(Value::String(s)) => crate::text::outside(s.trim(), 300),
        Some(other) => crate::text::outside(&other.to_string(), 300),
        None => format!(
            "an error without a message: {}",
            crate::text::outside(list[0].get(), 120)
        ),
    };
    let mut line = message;
    if let Some(path) = error.and_then(|e| e.path).filter(|p| !p.is_empty()) {
        let shown: Vec<String> = path
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        line.push_str(&format!(
            " (at {})",
            crate::text::outside(&shown.join("."), 200)
        ));
    }
    if list.len() > 1 {
        let more = list.len() - 1;
        line.push_str(&format!(
            "; and {more} more error{}",
            if more == 1 { "" } else { "s" }
        ));
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn complexity_is_a_whole_number_or_nothing() {
        let mut h = HeaderMap::new();
        assert_eq!(complexity(&h), None);
        for (value, want) in [
            ("9200", Some(9200)),
            (" 12 ", Some(12)),
            ("0", Some(0)),
            ("-5", None),
            ("9.5", None),
            ("1e9", None),
            ("", None),
            ("99999999999999999999999", None),
            ("12abc", None),
        ] {
            h.insert(COMPLEXITY_HEADER, HeaderValue::from_str(value).unwrap());
            assert_eq!(complexity(&h), want, "{value:?}");
        }
        h.insert(
            COMPLEXITY_HEADER,
            HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(complexity(&h), None);
        assert_eq!(complexity_warning(8000), None);
        let w = complexity_warning(9200).unwrap();
        assert!(w.starts_with("query complexity 9200 of 10000"), "{w}");
    }

    #[test]
    fn the_first_error_with_its_path() {
        let body = br#"{"data": null, "errors": [
            {"message": "Field 'x' doesn't exist on type 'Query'", "locations": [{"line": 1, "column": 3}], "path": ["query", "x"]},
            {"message": "second"}]}"#;
        assert_eq!(
            first_error(body).unwrap(),
            "Field 'x' doesn't exist on type 'Query' (at query.x); and 1 more error"
        );
        assert_eq!(
            first_error(
                br#"{"errors": [{"message": "m", "path": ["site", "products", "edges", 3]}]}"#
            )
            .unwrap(),
            "m (at site.products.edges.3)"
        );
        for none in [
            &br#"{"data": {"a": 1}}"#[..],
            br#"{"data": {}, "errors": []}"#,
            br#"{"errors": null}"#,
            b"[1, 2]",
            b"not json",
            b"",
        ] {
            assert_eq!(first_error(none), None, "{}", String::from_utf8_lossy(none));
        }
        // Odd shapes still count as errors, said as they came (escaped).
        assert!(
            first_error(br#"{"errors": "boom"}"#)
                .unwrap()
                .contains("not a list")
        );
        assert!(
            first_error(br#"{"errors": [7]}"#)
                .unwrap()
                .contains("without a message")
        );
        assert_eq!(
            first_error(br#"{"errors": [{"message": 5}]}"#).unwrap(),
            "5"
        );
        let hostile = first_error(
            format!(
                r#"{{"errors": [{{"message": "a\u001b[2J{}", "path": ["\u202e"]}}]}}"#,
                "x".repeat(5000)
            )
            .as_bytes(),
        )
        .unwrap();
        assert!(
            !hostile.contains('\u{1b}') && !hostile.contains('\u{202e}'),
            "{hostile}"
        );
        assert!(hostile.len() < 700, "{}", hostile.len());
    }
}
