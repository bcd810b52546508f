//! Building a store API request from what `bcconn api` was given: the URL
//! (a path under the store's base, or a full URL on that same store), the
//! `-f`/`-F` fields (a JSON body, or query parameters for GET) and `-H`
//! headers. Pure: files are read by the caller.

use serde_json::{Map, Value};
use url::Url;

use crate::bigcommerce::store_hash::StoreHash;

/// The URL for `path` on `store` behind the API base `api` (no trailing
/// slash). A full URL must be on the API host and under `/stores/<store>/`;
/// so must any path once `..` segments are resolved.
pub fn resolve(api: &str, store: &StoreHash, path: &str) -> Result<Url, String> {
    let base = Url::parse(api).map_err(|e| format!("the API URL {api:?} is not a URL: {e}"))?;
    let prefix = format!(
        "{}/stores/{}/",
        base.path().trim_end_matches('/'),
        store.as_str()
    );
    let path = path.trim();
    let url = if path.starts_with("http://") || path.starts_with("https://") {
        let url = Url::parse(path).map_err(|e| format!("{path:?} is not a URL: {e}"))?;
        let origin = |u: &Url| {
            (
                u.scheme().to_string(),
                u.host_str().map(str::to_ascii_lowercase),
                u.port_or_known_default(),
            )
        };
        if origin(&url) != origin(&base) {
            return Err(format!(
                "{} is not the store API ({}); bcconn sends a token only there",
                url.origin().ascii_serialization(),
                base.origin().ascii_serialization()
            ));
        }
        url
    } else {
        let rest = path.trim_start_matches('/');
        if rest.is_empty() {
            return Err("the path is empty; give one such as v3/catalog/products".into());
        }
        let rest = match rest.strip_prefix("stores/") {
            Some(after) => {
                let (hash, tail) = after.split_once('/').unwrap_or((after, ""));
                if hash != store.as_str() {
                    return Err(other_store(hash, store));
                }
                tail.to_string()
            }
            None => rest.to_string(),
        };
        Url::parse(&format!(
            "{}{}{rest}",
            base.origin().ascii_serialization(),
            prefix
        ))
        .map_err(|e| format!("{path:?} does not make a URL: {e}"))?
    };
    if !url.path().starts_with(&prefix) {
        let other = url
            .path()
            .strip_prefix(&format!("{}/stores/", base.path().trim_end_matches('/')))
            .and_then(|p| p.split('/').next())
            .unwrap_or("");
        return Err(if other.is_empty() {
            format!("{} is not under {prefix}", url.path())
        } else {
            other_store(other, store)
        });
    }
    Ok(url)
}

fn other_store(other: &str, store: &StoreHash) -> String {
    format!(
        "that URL is on store {}, and this connection is for store {}",
        crate::text::outside(other, 40),
        store.as_str()
    )
}

/// `key=value`, split at the first `=`.
pub fn split_field(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{arg:?} is not key=value")),
    }
}

/// `-F`'s typing: `true`, `false`, `null`, integers and decimals become
/// JSON literals; anything else stays a string.
pub fn typed(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => {
            if let Ok(i) = raw.parse::<i64>() {
                return Value::from(i);
            }
            let decimal = raw
                .chars()
                .all(|c| c.is_ascii_digit() || ".-+eE".contains(c))
                && raw.chars().any(|c| c.is_ascii_digit());
            match raw.parse::<f64>() {
                Ok(f) if decimal && f.is_finite() => Value::from(f),
                _ => Value::String(raw.to_string()),
            }
        }
    }
}

/// The fields as one JSON object. `a[b]=1` nests (`{"a":{"b":1}}`) and
/// `a[]=1` appends to an array, as `gh api` does.
pub fn json_body(fields: &[(String, Value)]) -> Result<Value, String> {
    let mut root = Value::Object(Map::new());
    for (key, value) in fields {
        let path = key_path(key)?;
        insert(&mut root, &path, value.clone()).map_err(|why| format!("field {key:?}: {why}"))?;
    }
    Ok(root)
}

fn key_path(key: &str) -> Result<Vec<String>, String> {
    let Some(open) = key.find('[') else {
        return Ok(vec![key.to_string()]);
    };
    let mut path = vec![key[..open].to_string()];
    let mut rest = &key[open..];
    while !rest.is_empty() {
        let inner = rest
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .ok_or_else(|| format!("{key:?}: unbalanced [ ]"))?;
        path.push(inner.0.to_string());
        rest = inner.1;
    }
    if path[0].is_empty() {
        return Err(format!("{key:?}: no name before ["));
    }
    Ok(path)
}

fn insert(at: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *at = value;
        return Ok(());
    };
    if first.is_empty() {
        let Value::Array(items) = at else {
            return Err("is both an array and something else".into());
        };
        if rest.is_empty() {
            items.push(value);
            return Ok(());
        }
        // `a[][b]=1`: a new object per item, as gh does when the key repeats.
        let start_new = match items.last() {
            Some(Value::Object(m)) => rest.first().is_some_and(|k| m.contains_key(k)),
            _ => true,
        };
        if start_new {
            items.push(Value::Object(Map::new()));
        }
        let last = items.last_mut().expect("just pushed");
        return insert(last, rest, value);
    }
    let Value::Object(map) = at else {
        return Err("is both an object and something else".into());
    };
    if rest.is_empty() {
        if map.contains_key(first) && !matches!(map.get(first), Some(Value::Null) | None) {
            return Err("given twice".into());
        }
        map.insert(first.clone(), value);
        return Ok(());
    }
    let child = map.entry(first.clone()).or_insert_with(|| {
        if rest[0].is_empty() {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        }
    });
    insert(child, rest, value)
}

/// A field value as query-string text: strings as they are, the rest as JSON.
pub fn query_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Headers bcconn (its HTTP client) sets from the request itself: one given
/// by hand would disagree with the body sent (`Content-Length`,
/// `Transfer-Encoding`), with the host the token goes to (`Host`), or with
/// how the connection is kept (`Connection`).
const SET_BY_BCCONN: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// Why a `-H` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderRefusal {
    /// `X-Auth-Token`: bcconn sends the connection's token in it.
    Token,
    /// Anything else, said in full.
    Other(String),
}

/// `-H 'Name: value'`. The token header is refused: bcconn sends it, and a
/// token on the command line is readable by other users. So are the headers
/// in [`SET_BY_BCCONN`]. Messages never repeat the value: it may be a
/// secret.
pub fn header(arg: &str) -> Result<(String, String), HeaderRefusal> {
    let other = |why: String| HeaderRefusal::Other(why);
    // Without a ':' there is no telling a name from a value, so the
    // argument is not shown at all: it may be a bare token.
    let Some((name, value)) = arg.split_once(':') else {
        return Err(other(
            "-H takes 'Name: value', and this argument has no ':'".to_string(),
        ));
    };
    let (name, value) = (name.trim(), value.trim());
    let shown = crate::text::outside(name, 40);
    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(other(format!(
            "-H {shown}: not a header name; give it as 'Name: value'"
        )));
    }
    if name.eq_ignore_ascii_case("x-auth-token") {
        return Err(HeaderRefusal::Token);
    }
    if reqwest::header::HeaderValue::from_str(value).is_err() {
        return Err(other(format!(
            "-H {shown}: its value has characters a header cannot hold (a line break, a control character)"
        )));
    }
    if let Some(own) = SET_BY_BCCONN.iter().find(|h| name.eq_ignore_ascii_case(h)) {
        return Err(other(format!(
            "-H {shown}: bcconn sets the {own} header itself, from the request it sends; leave it out"
        )));
    }
    Ok((name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn h() -> StoreHash {
        "abc123".parse().unwrap()
    }

    #[test]
    fn paths_resolve_under_the_store() {
        let api = "https://api.bigcommerce.com";
        let u = |p: &str| resolve(api, &h(), p).map(|u| u.to_string());
        assert_eq!(
            u("v3/catalog/products").unwrap(),
            "https://api.bigcommerce.com/stores/abc123/v3/catalog/products"
        );
        assert_eq!(
            u("/v2/orders?limit=5").unwrap(),
            "https://api.bigcommerce.com/stores/abc123/v2/orders?limit=5"
        );
        assert_eq!(
            u("/stores/abc123/v2/time").unwrap(),
            "https://api.bigcommerce.com/stores/abc123/v2/time"
        );
        assert_eq!(
            u("https://api.bigcommerce.com/stores/abc123/v3/x?a=1").unwrap(),
            "https://api.bigcommerce.com/stores/abc123/v3/x?a=1"
        );
        let local = resolve("http://127.0.0.1:9/base", &h(), "v2/time").unwrap();
        assert_eq!(
            local.as_str(),
            "http://127.0.0.1:9/base/stores/abc123/v2/time"
        );
    }

    #[test]
    fn other_stores_and_hosts_are_refused() {
        let api = "https://api.bigcommerce.com";
        let e = |p: &str| resolve(api, &h(), p).unwrap_err();
        assert!(e("https://api.bigcommerce.com/stores/zzz999/v2/time").contains("zzz999"));
        assert!(e("stores/zzz999/v2/time").contains("zzz999"));
        assert!(e("v3/../../zzz999/v2/time").contains("zzz999"));
        assert!(e("https://evil.example.com/stores/abc123/v2/time").contains("not the store API"));
        assert!(
            e("http://api.bigcommerce.com/stores/abc123/v2/time").contains("not the store API")
        );
        assert!(
            e("https://api.bigcommerce.com:8443/stores/abc123/v2").contains("not the store API")
        );
        assert!(e("https://api.bigcommerce.com/v2/time").contains("not under"));
        assert!(e("").contains("empty"));
    }

    #[test]
    fn typed_fields() {
        assert_eq!(typed("true"), json!(true));
        assert_eq!(typed("null"), json!(null));
        assert_eq!(typed("42"), json!(42));
        assert_eq!(typed("-1.5"), json!(-1.5));
        assert_eq!(typed("1e3"), json!(1000.0));
        assert_eq!(typed("12abc"), json!("12abc"));
        assert_eq!(typed("NaN"), json!("NaN"));
        assert_eq!(typed("inf"), json!("inf"));
        assert_eq!(typed(""), json!(""));
    }

    #[test]
    fn fields_nest_like_gh() {
        let f = |k: &str, v: Value| (k.to_string(), v);
        let body = json_body(&[
            f("name", json!("Shirt")),
            f("price", json!(9.5)),
            f("categories[]", json!(23)),
            f("categories[]", json!(24)),
            f("custom_url[url]", json!("/shirt")),
            f("variants[][sku]", json!("A")),
            f("variants[][price]", json!(1)),
            f("variants[][sku]", json!("B")),
        ])
        .unwrap();
        assert_eq!(
            body,
            json!({
                "name": "Shirt", "price": 9.5, "categories": [23, 24],
                "custom_url": {"url": "/shirt"},
                "variants": [{"sku": "A", "price": 1}, {"sku": "B"}]
            })
        );
        assert!(json_body(&[f("a", json!(1)), f("a[b]", json!(2))]).is_err());
        assert!(json_body(&[f("a", json!(1)), f("a", json!(2))]).is_err());
        assert!(json_body(&[f("a[b", json!(1))]).is_err());
        assert!(json_body(&[f("[x]", json!(1))]).is_err());
    }

    #[test]
    fn fields_and_headers_parse() {
        assert_eq!(split_field("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(split_field("=x").is_err() && split_field("x").is_err());
        assert_eq!(
            header("X-Test:  yes ").unwrap(),
            ("X-Test".into(), "yes".into())
        );
        assert_eq!(header("x-auth-token: abc"), Err(HeaderRefusal::Token));
        assert_eq!(header(" X-Auth-Token :\n"), Err(HeaderRefusal::Token));
        assert!(header("no colon").is_err());
        // No ':' may mean a bare secret: the refusal must not repeat it.
        let Err(HeaderRefusal::Other(why)) = header("abcSECRET") else {
            panic!("a header without ':' was taken");
        };
        assert!(!why.contains("abcSECRET"), "{why}");
        assert!(why.contains("'Name: value'"), "{why}");
        for own in [
            "Host: evil",
            "content-length: 5",
            "TRANSFER-ENCODING: chunked",
            "Connection: close",
        ] {
            let Err(HeaderRefusal::Other(why)) = header(own) else {
                panic!("{own} was taken");
            };
            assert!(why.contains("bcconn sets"), "{own}");
        }
        let Err(HeaderRefusal::Other(why)) = header("X-Secretish: a\u{7}b") else {
            panic!("a control character was taken");
        };
        assert!(
            !why.contains("a\u{7}b"),
            "the value is never repeated: {why}"
        );
        assert!(header("Bad Name: x").is_err());
        assert_eq!(query_text(&json!("a b")), "a b");
        assert_eq!(query_text(&json!(5)), "5");
    }
}
