//! The URLs bcconn sends a browser to. Pure functions.

use url::Url;

use crate::bigcommerce::store_hash::StoreHash;

/// `LOGIN/oauth2/authorize?client_id&redirect_uri&response_type=code&scope&context&state`.
///
/// BigCommerce does not document this endpoint, but its OmniAuth strategy and
/// Nango use it; `context` is what makes the grant store-level.
pub fn authorize_url(
    login: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[String],
    store: &StoreHash,
    state: &str,
) -> String {
    let mut url = Url::parse(&format!("{login}/oauth2/authorize"))
        .expect("BCCONN_LOGIN_URL is checked by the preflight");
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", &scopes.join(" "))
        .append_pair("context", &store.context())
        .append_pair("state", state);
    url.into()
}

/// `LOGIN/app/<client_id>/install`: BigCommerce's documented external install.
pub fn install_url(login: &str, client_id: &str) -> String {
    format!("{login}/app/{}/install", encode_segment(client_id))
}

/// Where the browser goes after an external install: `.../install/succeeded` or `/failed`.
pub fn install_result_url(login: &str, client_id: &str, ok: bool) -> String {
    let outcome = if ok { "succeeded" } else { "failed" };
    format!("{}/{outcome}", install_url(login, client_id))
}

fn encode_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A fresh `state`: 32 bytes from the OS CSPRNG, URL-safe.
pub fn new_state() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_carries_every_parameter_encoded() {
        let hash: StoreHash = "abc123".parse().unwrap();
        let url = authorize_url(
            "https://login.bigcommerce.com",
            "cid",
            "http://localhost:8765/auth",
            &[
                "store_v2_orders".into(),
                "store_v2_products_read_only".into(),
            ],
            &hash,
            "st4te",
        );
        let parsed = Url::parse(&url).unwrap();
        assert_eq!(parsed.path(), "/oauth2/authorize");
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "cid");
        assert_eq!(q["redirect_uri"], "http://localhost:8765/auth");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], "store_v2_orders store_v2_products_read_only");
        assert_eq!(q["context"], "stores/abc123");
        assert_eq!(q["state"], "st4te");
        assert!(url.contains("context=stores%2Fabc123"), "{url}");
    }

    #[test]
    fn install_urls() {
        assert_eq!(install_url("https://l", "a b"), "https://l/app/a+b/install");
        assert_eq!(
            install_result_url("https://l", "x", true),
            "https://l/app/x/install/succeeded"
        );
        assert_eq!(
            install_result_url("https://l", "x", false),
            "https://l/app/x/install/failed"
        );
    }

    #[test]
    fn states_are_long_and_unique() {
        let (a, b) = (new_state(), new_state());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
