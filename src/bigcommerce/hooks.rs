//! Webhooks (`/v3/hooks`): the facts, as pure functions.
//!
//! Documented (BigCommerce's `reference/webhooks.v3.yml` and
//! `docs/integrations/webhooks/overview.mdx`):
//!
//! - A hook is `{id, client_id, store_hash, scope, destination, headers,
//!   is_active, created_at, updated_at}` (+ `events_history_enabled` on
//!   PUT); one comes back as `{"data": {...}, "meta": {}}`, a list as
//!   `{"data": [...], "meta": {"pagination": {...}}}`. A delete answers 200
//!   with the deleted hook. Errors are `{"status", "title", "type"}` and a
//!   422 adds `errors` (`{"destination": "error.path.missing."}`); an
//!   unknown id is 404 "Webhook with id [ID] not found".
//! - "The `destination` URL must be served on port 443; custom ports are
//!   not currently supported", over TLS.
//! - At most 10 hooks per store + client id + scope, and one per store +
//!   client id + scope + destination.
//! - A hook is deactivated after 90 days of inactivity, or after the
//!   retries of about 48 h of failed deliveries; `is_active: true` turns it
//!   back on.
//! - "Webhooks created with one token are not visible when you retrieve
//!   webhooks using a different token": a list shows the hooks of the
//!   `client_id` behind the token (an app's, or a store-level API
//!   account's).
//! - Managing hooks needs no scope ("Create and manage webhooks with the
//!   default scope of an API account").
//!
//! Header values are the destination's secrets (the docs' example is basic
//! authentication): nothing here keeps one from an answer, and a hook's
//! headers are known only by name.

use serde_json::Value;
use url::Url;

/// Why BigCommerce turns a hook off, and how to turn it back on, in a
/// sentence (documented: overview.mdx "Callback retry mechanism" and the
/// `is_active` field).
pub const DEACTIVATION: &str = "BigCommerce deactivates a webhook after about 48 h of failed deliveries, or after 90 days idle";

/// BigCommerce's rule for destinations, as its reference says it.
pub const DESTINATION_RULE: &str = "BigCommerce delivers webhooks only over HTTPS on port 443 (\"the destination URL must be served on port 443; custom ports are not currently supported\")";

/// Whether a hook is listed, changed or deleted: the word for it.
pub fn state(active: bool) -> &'static str {
    if active { "active" } else { "inactive" }
}

/// One webhook as BigCommerce describes it, with its headers by name only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub id: u64,
    pub client_id: Option<String>,
    pub store_hash: Option<String>,
    /// The event (BigCommerce calls it the hook's `scope`), escaped.
    pub scope: String,
    /// Escaped and bounded.
    pub destination: String,
    /// The names of its headers (escaped), never their values; `None` when
    /// BigCommerce said `null`.
    pub header_names: Option<Vec<String>>,
    pub is_active: bool,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

impl Hook {
    /// A hook object (an item of a list, or the `data` of one).
    pub fn from_value(v: &Value) -> Result<Hook, String> {
        let Some(obj) = v.as_object() else {
            return Err("a webhook that is not a JSON object".into());
        };
        let id = obj
            .get("id")
            .and_then(Value::as_u64)
            .ok_or("a webhook without a numeric id")?;
        let text = |key: &str, max: usize| -> Option<String> {
            obj.get(key)
                .and_then(Value::as_str)
                .map(|s| crate::text::outside(s, max))
        };
        let header_names = match obj.get("headers") {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(
                map.keys()
                    .take(64)
                    .map(|k| crate::text::outside(k, 100))
                    .collect(),
            ),
            Some(_) => return Err(format!("webhook {id}'s headers are not an object")),
        };
        Ok(Hook {
            id,
            client_id: text("client_id", 100),
            store_hash: text("store_hash", 100),
            scope: text("scope", 200).ok_or_else(|| format!("webhook {id} has no scope"))?,
            destination: text("destination", 500)
                .ok_or_else(|| format!("webhook {id} has no destination"))?,
            header_names,
            // Documented default: true.
            is_active: obj
                .get("is_active")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            created_at: obj.get("created_at").and_then(Value::as_i64),
            updated_at: obj.get("updated_at").and_then(Value::as_i64),
        })
    }

    /// An answer's `{"data": {...}}`.
    pub fn from_answer(body: &[u8]) -> Result<Hook, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
        match v.get("data") {
            Some(data) => Hook::from_value(data),
            None => Err("an answer without data".into()),
        }
    }

    /// `Name: ***, Other: ***` (empty without headers).
    pub fn masked_headers(&self) -> String {
        self.header_names
            .iter()
            .flatten()
            .map(|n| format!("{n}: ***"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `12 store/order/created → https://…` for a line of text.
    pub fn short(&self) -> String {
        format!(
            "{} {} → {}",
            self.id,
            self.scope,
            crate::text::outside(&self.destination, 80)
        )
    }
}

/// Why a destination is refused before anything is sent.
pub fn check_destination(given: &str) -> Result<Url, String> {
    let given = given.trim();
    let url = Url::parse(given).map_err(|e| {
        format!(
            "--destination {}: not a URL ({e}); give https://host/path",
            crate::text::outside(given, 200)
        )
    })?;
    // A password here would be printed by every list: not echoed, either.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "--destination holds a user name or password, which every list of the store's webhooks would show: send credentials as a header instead (--header-file)"
                .into(),
        );
    }
    let shown = crate::text::outside(url.as_str(), 200);
    if url.scheme() != "https" {
        return Err(format!(
            "--destination {shown}: {} is not https; {DESTINATION_RULE}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "--destination {shown}: no host; give https://host/path"
        ));
    }
    // The url crate drops a default port: any port left is another one.
    if let Some(port) = url.port() {
        return Err(format!(
            "--destination {shown}: port {port}; {DESTINATION_RULE}"
        ));
    }
    Ok(url)
}

/// A webhook event (`store/order/created`, `store/order/*`,
/// `store/channel/1/cart/created`): its form only, since BigCommerce adds
/// events; a wrong one is BigCommerce's 422 to tell.
pub fn check_scope(given: &str) -> Result<(), String> {
    let shown = crate::text::outside(given, 100);
    let Some(rest) = given.strip_prefix("store/") else {
        return Err(format!(
            "--scope {shown}: webhook events start with store/ (store/order/created, store/product/*)"
        ));
    };
    let ok = !rest.is_empty()
        && given.len() <= 200
        && rest.split('/').all(|part| {
            !part.is_empty()
                && (part == "*" || part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        });
    if !ok {
        return Err(format!(
            "--scope {shown}: not a webhook event; give one such as store/order/created or store/product/*"
        ));
    }
    Ok(())
}

/// One header for a hook: `Name: value`. Messages name the header and
/// never its value.
pub fn header(line: &str, at: &str) -> Result<(String, String), String> {
    let Some((name, value)) = line.split_once(':') else {
        return Err(format!("{at}: no ':' (give Name: value)"));
    };
    let (name, value) = (name.trim(), value.trim());
    let shown = crate::text::outside(name, 60);
    if name.is_empty() || reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("{at}: {shown:?} is not a header name"));
    }
    if value.is_empty() {
        return Err(format!("{at}: header {shown} has no value"));
    }
    if reqwest::header::HeaderValue::from_str(value).is_err() {
        return Err(format!(
            "{at}: the value of header {shown} has characters a header cannot hold"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// A header name alone (its value asked for on a terminal).
pub fn header_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!(
            "--header {:?}: not a header name; give Name or 'Name: value'",
            crate::text::outside(name, 60)
        ));
    }
    Ok(name.to_string())
}

/// The scope a store API account or app seems to need to create a hook on
/// `event`, as `(read-only scope, label)`.
///
/// Inferred, not documented: the webhooks reference says hooks need no
/// scope of their own, while BigCommerce's webhooks tutorial asks for
/// Products read-only to create a `store/product/updated` hook. A 403 on a
/// create is explained with this, as the likely cause.
pub fn likely_scope(event: &str) -> Option<(&'static str, &'static str)> {
    let resource = event.strip_prefix("store/")?.split('/').next()?;
    Some(match resource {
        "order" | "shipment" => ("store_v2_orders_read_only", "Orders"),
        "product" | "sku" | "category" | "brand" => ("store_v2_products_read_only", "Products"),
        "customer" => ("store_v2_customers_read_only", "Customers"),
        "cart" => ("store_cart_read_only", "Carts"),
        "channel" => ("store_channel_settings_read_only", "Channel Settings"),
        _ => return None,
    })
}

/// What an error answer says, as one line: the title, then each of
/// `errors`' messages (`destination: …`), escaped and bounded, with each of
/// `secrets` (header values BigCommerce may echo) blanked out first, so a
/// cut never leaves part of one. `None` when the body says nothing
/// readable.
pub fn error_text(body: &[u8], secrets: &[&str]) -> Option<String> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    redact_strings(&mut v, secrets, 0);
    let mut parts = Vec::new();
    if let Some(t) = v.get("title").and_then(Value::as_str)
        && !t.trim().is_empty()
    {
        parts.push(crate::text::outside(t.trim(), 200));
    }
    let mut details = Vec::new();
    match v.get("errors") {
        Some(Value::Object(map)) => {
            for (k, e) in map.iter().take(8) {
                let said = match e {
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                };
                details.push(format!(
                    "{}: {}",
                    crate::text::outside(k, 60),
                    crate::text::outside(&said, 200)
                ));
            }
            if map.len() > 8 {
                details.push(format!("and {} more", map.len() - 8));
            }
        }
        Some(Value::Array(list)) => {
            for e in list.iter().take(8) {
                if let Some(s) = e
                    .as_str()
                    .or_else(|| e.get("message").and_then(Value::as_str))
                {
                    details.push(crate::text::outside(s, 200));
                }
            }
        }
        _ => {}
    }
    if !details.is_empty() {
        parts.push(format!("({})", details.join("; ")));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// `text` with every one of `secrets` (the header values bcconn sent)
/// replaced by `***`: an error that echoes a value must not print it.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    // A value of a few characters ("1", "yes") would blank out every
    // match of it in a message and hide nothing worth hiding.
    for s in secrets.iter().filter(|s| s.chars().count() >= 4) {
        out = out.replace(s, "***");
        // An echo may have been escaped on its way (`outside`).
        let escaped = crate::text::outside(s, usize::MAX);
        if escaped != *s {
            out = out.replace(&escaped, "***");
        }
    }
    out
}

/// [`redact`] on every string (keys too) of `v`, to a bounded depth.
fn redact_strings(v: &mut Value, secrets: &[&str], depth: usize) {
    if depth > 16 {
        return;
    }
    match v {
        Value::String(s) => *s = redact(s, secrets),
        Value::Array(a) => a
            .iter_mut()
            .for_each(|e| redact_strings(e, secrets, depth + 1)),
        Value::Object(m) => {
            let old = std::mem::take(m);
            for (k, mut e) in old {
                redact_strings(&mut e, secrets, depth + 1);
                m.insert(redact(&k, secrets), e);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_https_on_port_443_is_a_destination() {
        assert!(check_destination("https://example.com/hooks").is_ok());
        assert!(check_destination("https://example.com:443/hooks").is_ok());
        for (bad, said) in [
            ("http://example.com/hooks", "is not https"),
            ("https://example.com:8443/hooks", "port 8443"),
            ("ftp://example.com/", "is not https"),
            ("example.com/hooks", "not a URL"),
            ("https:///hooks", "https://hooks/"),
        ] {
            match check_destination(bad) {
                Err(e) => assert!(e.contains(said), "{bad}: {e}"),
                // `https:///hooks` is read as host "hooks" by the URL
                // standard: a host after all.
                Ok(u) => assert_eq!(u.as_str(), said, "{bad}"),
            }
        }
        let e = check_destination("http://example.com/").unwrap_err();
        assert!(e.contains("port 443"), "{e}");
        let e = check_destination("https://user:hunter2@example.com/").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn scopes_are_events_under_store() {
        for ok in [
            "store/order/created",
            "store/order/*",
            "store/channel/1/cart/created",
            "store/cart/lineItem/*",
        ] {
            assert!(check_scope(ok).is_ok(), "{ok}");
        }
        for bad in [
            "order/created",
            "store/",
            "store//created",
            "store/order/created now",
            "store/order/\u{1b}[31m",
        ] {
            assert!(check_scope(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_header_error_never_shows_the_value() {
        assert_eq!(
            header("Authorization: Basic abc", "x").unwrap(),
            ("Authorization".into(), "Basic abc".into())
        );
        for bad in ["no colon secretvalue", "Bad Name: secretvalue", "X:  "] {
            let e = header(bad, "line 1").unwrap_err();
            assert!(!e.contains("secretvalue"), "{e}");
        }
        let e = header("X-Key: a\u{7f}secretvalue", "line 2").unwrap_err();
        assert!(!e.contains("secretvalue"), "{e}");
    }

    #[test]
    fn a_hook_keeps_header_names_only() {
        let v = json!({
            "id": 12, "client_id": "abc", "store_hash": "h", "scope": "store/order/created",
            "destination": "https://x.example/h", "headers": {"X-Key": "s3cret"},
            "is_active": false, "created_at": 1, "updated_at": 2
        });
        let h = Hook::from_value(&v).unwrap();
        assert_eq!(h.header_names, Some(vec!["X-Key".to_string()]));
        assert!(!format!("{h:?}").contains("s3cret"));
        assert_eq!(h.masked_headers(), "X-Key: ***");
        assert!(!h.is_active);
        assert!(Hook::from_value(&json!({"id": "x"})).is_err());
    }

    #[test]
    fn error_text_reads_title_and_errors() {
        let body = br#"{"status":422,"title":"JSON data is missing or invalid","type":"t","errors":{"destination":"error.path.missing."}}"#;
        assert_eq!(
            error_text(body, &[]).unwrap(),
            "JSON data is missing or invalid (destination: error.path.missing.)"
        );
        assert_eq!(error_text(b"not json", &[]), None);
        let body = br#"{"title":"a\u001b[31mb"}"#;
        assert_eq!(error_text(body, &[]).unwrap(), "a\\u{1b}[31mb");
        assert_eq!(
            redact("value s3cret echoed", &["s3cret"]),
            "value *** echoed"
        );
        // Too short to be worth hiding: not every "1" blanked out.
        assert_eq!(redact("1 of 10", &["1"]), "1 of 10");
    }

    #[test]
    fn a_long_echoed_value_is_blanked_before_the_message_is_cut() {
        let secret = format!("Bearer {}", "A1b2C3d4".repeat(40));
        let body = json!({
            "title": format!("bad header value {secret} here"),
            "errors": {"headers": format!("{secret} is not allowed"), secret.clone(): "x"},
        })
        .to_string();
        let text = error_text(body.as_bytes(), &[&secret]).unwrap();
        assert!(!text.contains("A1b2C3d4"), "{text}");
        assert!(text.contains("***"), "{text}");
    }

    #[test]
    fn likely_scopes_follow_the_resource() {
        assert_eq!(
            likely_scope("store/order/created").map(|s| s.0),
            Some("store_v2_orders_read_only")
        );
        assert_eq!(
            likely_scope("store/sku/*").map(|s| s.0),
            Some("store_v2_products_read_only")
        );
        assert_eq!(likely_scope("store/app/uninstalled"), None);
    }
}
