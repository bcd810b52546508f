//! The API credentials `.txt` BigCommerce downloads for a store-level API
//! account (`--api-credentials-file`).
#![no_main]

use bcconn::bigcommerce::store_hash::StoreHash;
use bcconn::connect::tokens::parse_credentials;
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(creds) = parse_credentials(text) else {
        // No token found: there is no line with the key and a value.
        assert!(!text.split(['\n', '\r']).any(|l| {
            l.split_once(':').is_some_and(|(k, v)| {
                k.trim().to_ascii_uppercase().replace('_', " ") == "ACCESS TOKEN"
                    && !v.trim().is_empty()
            })
        }));
        return;
    };
    let token = creds.token.expose_secret();
    // One value off one line, trimmed.
    assert!(!token.is_empty());
    assert_eq!(token, token.trim());
    assert!(!token.contains('\n') && !token.contains('\r'));
    assert!(text.contains(token));
    if let Some(hash) = creds.store_hash {
        assert_eq!(StoreHash::parse(hash.as_str()).unwrap(), hash);
    }
});
