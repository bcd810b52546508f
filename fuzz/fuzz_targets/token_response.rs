//! The token endpoint's answer: a token response, or an error response that
//! `exchange::classify` turns into a message.
#![no_main]

use bcconn::bigcommerce::oauth::exchange::{BcTokenResponse, ExchangeError, classify};
use libfuzzer_sys::fuzz_target;
use oauth2::TokenResponse;
use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = serde_json::from_slice::<BcTokenResponse>(data) {
        let secret = r.access_token().secret().clone();
        // The token never shows in Debug output (logs at -vv): the output is
        // the same whatever the token.
        let mut other = serde_json::to_value(&r).unwrap();
        other["access_token"] = "another-token".into();
        let other: BcTokenResponse = serde_json::from_value(other).unwrap();
        assert_eq!(format!("{r:?}"), format!("{other:?}"));
        assert!(r.expires_in().is_none() && r.refresh_token().is_none());
        // It survives a round trip (the fake BigCommerce and tests rely on it).
        let json = serde_json::to_vec(&r).unwrap();
        let again: BcTokenResponse = serde_json::from_slice(&json).unwrap();
        assert_eq!(again.access_token().secret(), &secret);
        assert_eq!(again.scopes(), r.scopes());
        assert_eq!(again.user, r.user);
        assert_eq!(again.owner, r.owner);
        assert_eq!(again.context, r.context);
        assert_eq!(again.account_uuid, r.account_uuid);
    }
    if let Ok(e) = serde_json::from_slice::<BasicErrorResponse>(data) {
        let kind = classify(e.error(), e.error_description().map(String::as_str));
        // The kind follows the `error` field only, never the description.
        let code = e.error().as_ref().to_string();
        match &kind {
            ExchangeError::InvalidGrant { .. } => assert_eq!(code, "invalid_grant"),
            ExchangeError::RedirectMismatch { .. } => assert_eq!(
                code.trim(),
                "Parameter redirect_uri does not match registered URI"
            ),
            ExchangeError::InvalidClient { .. } => assert!(
                matches!(
                    e.error(),
                    BasicErrorResponseType::InvalidClient
                        | BasicErrorResponseType::UnauthorizedClient
                ) || code.trim() == "Invalid client id."
            ),
            ExchangeError::Refused { .. } => {}
            other => panic!("classify gave a network kind: {other:?}"),
        }
        match &kind {
            ExchangeError::InvalidClient { said }
            | ExchangeError::RedirectMismatch { said }
            | ExchangeError::InvalidGrant { said }
            | ExchangeError::Refused { said } => {
                // BigCommerce's words, escaped and bounded before they are shown.
                assert!(said.starts_with(&bcconn::text::outside(&code, 120)), "{said:?}");
                assert!(!said.chars().any(bcconn::text::is_unsafe), "{said:?}");
            }
            _ => unreachable!(),
        }
    }
});
