//! What comes back to the callback URL: the query the loopback server hands
//! to `callback::check`, and the address pasted in the manual flow.
//!
//! Input: `QUERY \n PASTED \n CALLBACK_URL` (later parts optional).
#![no_main]

use std::collections::HashMap;

use bcconn::bigcommerce::oauth::callback::{CallbackError, Expect, check, parse_pasted};
use bcconn::bigcommerce::store_hash::StoreHash;
use libfuzzer_sys::fuzz_target;

fn checked(params: &HashMap<String, String>) {
    let store: StoreHash = "abc123".parse().unwrap();
    for state in [Some("s3cr3t-state"), None] {
        let expect = Expect {
            state,
            store: &store,
        };
        match check(params, &expect) {
            Ok(cb) => {
                // Accepted only with our state, our store and a code.
                if let Some(want) = state {
                    assert_eq!(params.get("state").map(String::as_str), Some(want));
                }
                assert!(!params.contains_key("error"));
                assert_eq!(cb.context, "stores/abc123");
                assert!(!cb.code.is_empty());
                assert_eq!(params.get("code"), Some(&cb.code));
                assert_eq!(cb.scope, params.get("scope").cloned().unwrap_or_default());
            }
            Err(CallbackError::StateMismatch) => {
                let want = state.expect("no state expected, no mismatch");
                assert_ne!(params.get("state").map(String::as_str), Some(want));
            }
            Err(CallbackError::Denied { error, description }) => {
                // Outside text: escaped and bounded before anyone shows it.
                let raw = params.get("error").expect("denied, so there is an error");
                assert_eq!(error, bcconn::text::outside(raw, 100));
                for said in std::iter::once(&error).chain(description.as_ref()) {
                    assert!(!said.chars().any(bcconn::text::is_unsafe), "{said:?}");
                }
            }
            Err(CallbackError::WrongContext { got, .. }) => {
                assert_ne!(got, "stores/abc123");
                assert!(!got.chars().any(bcconn::text::is_unsafe), "{got:?}");
            }
            Err(CallbackError::Missing(what)) => {
                assert!(matches!(what, "code" | "context"), "{what}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let query = parts.next().unwrap_or_default();
    let pasted = parts.next().unwrap_or_default();
    let callback_url = parts.next().unwrap_or("http://localhost:8765/auth");

    // The server gets the query decoded into a map, as axum's Query does.
    let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    checked(&params);

    if let Ok(params) = parse_pasted(pasted, callback_url) {
        // Accepted only on the callback URL's path.
        let got = url::Url::parse(pasted.trim()).expect("accepted, so a URL");
        let want = url::Url::parse(callback_url).expect("accepted, so the callback parses");
        assert_eq!(got.path(), want.path());
        checked(&params);
    }
});
