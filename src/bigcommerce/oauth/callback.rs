//! Checking what BigCommerce sends back to the callback URL. Pure: the
//! loopback server and the manual (pasted URL) flow both use it, so they
//! accept and refuse exactly the same things.

use std::collections::HashMap;

use crate::bigcommerce::store_hash::StoreHash;
use crate::text::outside;

/// What a callback must match.
pub struct Expect<'a> {
    /// `Some` in the authorize flow: the state we sent. The install flow has none.
    pub state: Option<&'a str>,
    pub store: &'a StoreHash,
}

/// A good callback.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    pub code: String,
    /// Passed through to the token request exactly as received.
    pub scope: String,
    pub context: String,
    pub account_uuid: Option<String>,
}

/// Why a callback was refused; each message says what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallbackError {
    #[error(
        "the callback's state does not match this authorization; it may be forged or from an older attempt, so it was refused. Start again"
    )]
    StateMismatch,
    #[error("BigCommerce answered: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error(
        "the callback is for \"{got}\", not stores/{expected}; sign in to the right store in the browser and open the URL again"
    )]
    WrongContext { got: String, expected: String },
    #[error("the callback has no {0} parameter; this is not BigCommerce's auth callback")]
    Missing(&'static str),
}

/// Checks a callback's query parameters. `state` is checked before anything
/// else is read, so a forged callback cannot steer what happens next.
pub fn check(params: &HashMap<String, String>, expect: &Expect) -> Result<Callback, CallbackError> {
    if let Some(want) = expect.state {
        match params.get("state") {
            Some(got) if constant_time_eq(got.as_bytes(), want.as_bytes()) => {}
            _ => return Err(CallbackError::StateMismatch),
        }
    }
    // Everything read from the query came from outside: it is escaped and
    // bounded here, before any message can carry it to a terminal or a record.
    if let Some(error) = params.get("error") {
        return Err(CallbackError::Denied {
            error: outside(error, 100),
            description: params.get("error_description").map(|d| outside(d, 200)),
        });
    }
    let context = params
        .get("context")
        .ok_or(CallbackError::Missing("context"))?;
    let expected = expect.store.context();
    if *context != expected {
        return Err(CallbackError::WrongContext {
            got: outside(context, 100),
            expected: expect.store.to_string(),
        });
    }
    let code = params
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::Missing("code"))?;
    Ok(Callback {
        code: code.clone(),
        scope: params.get("scope").cloned().unwrap_or_default(),
        context: context.clone(),
        account_uuid: params.get("account_uuid").cloned(),
    })
}

/// Parses the address a person pasted in the manual flow.
pub fn parse_pasted(text: &str, callback_url: &str) -> Result<HashMap<String, String>, String> {
    let text = text.trim();
    let url = url::Url::parse(text).map_err(|_| {
        "that is not a URL; paste the whole address from the browser's address bar (it starts with your callback URL)".to_string()
    })?;
    let expected = url::Url::parse(callback_url).map_err(|e| e.to_string())?;
    if url.path() != expected.path() {
        return Err(format!(
            "that address is not the callback URL ({callback_url}); paste the address the browser landed on after you confirmed"
        ));
    }
    Ok(url.query_pairs().into_owned().collect())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn hash() -> StoreHash {
        "abc123".parse().unwrap()
    }

    #[test]
    fn outside_text_in_a_refusal_is_escaped_and_bounded() {
        let h = hash();
        let expect = Expect {
            state: None,
            store: &h,
        };
        let long = "x".repeat(5000);
        let p = params(&[
            ("error", "\u{1b}]0;pwned\u{7}"),
            ("error_description", long.as_str()),
        ]);
        let said = check(&p, &expect).unwrap_err().to_string();
        assert!(!said.chars().any(crate::text::is_unsafe), "{said:?}");
        assert!(said.contains("\\u{1b}]0;pwned\\u{7}"), "{said}");
        assert!(said.len() < 600, "{}", said.len());
        let p = params(&[("context", "stores/x\ny"), ("code", "c")]);
        let said = check(&p, &expect).unwrap_err().to_string();
        assert!(said.contains("stores/x\\ny"), "{said}");
    }

    #[test]
    fn good_callback_is_accepted_and_passes_scope_through() {
        let h = hash();
        let p = params(&[
            ("code", "c1"),
            ("scope", "store_v2_orders store_v2_default"),
            ("context", "stores/abc123"),
            ("state", "s"),
            ("account_uuid", "u"),
        ]);
        let cb = check(
            &p,
            &Expect {
                state: Some("s"),
                store: &h,
            },
        )
        .unwrap();
        assert_eq!(cb.code, "c1");
        assert_eq!(cb.scope, "store_v2_orders store_v2_default");
        assert_eq!(cb.account_uuid.as_deref(), Some("u"));
    }

    #[test]
    fn state_is_checked_first() {
        let h = hash();
        // Even an error callback with a wrong state is a state mismatch.
        let p = params(&[("error", "access_denied"), ("state", "evil")]);
        assert_eq!(
            check(
                &p,
                &Expect {
                    state: Some("s"),
                    store: &h
                }
            ),
            Err(CallbackError::StateMismatch)
        );
        let p = params(&[("code", "c"), ("context", "stores/abc123")]);
        assert_eq!(
            check(
                &p,
                &Expect {
                    state: Some("s"),
                    store: &h
                }
            ),
            Err(CallbackError::StateMismatch)
        );
    }

    #[test]
    fn install_flow_needs_no_state() {
        let h = hash();
        let p = params(&[
            ("code", "c"),
            ("context", "stores/abc123"),
            ("external_install", "1"),
        ]);
        assert!(
            check(
                &p,
                &Expect {
                    state: None,
                    store: &h
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn errors_wrong_context_and_missing_code_are_refused() {
        let h = hash();
        let e = Expect {
            state: None,
            store: &h,
        };
        let denied = check(
            &params(&[
                ("error", "access_denied"),
                ("error_description", "The user denied"),
            ]),
            &e,
        )
        .unwrap_err();
        assert!(
            denied.to_string().contains("access_denied")
                && denied.to_string().contains("The user denied")
        );
        let wrong = check(&params(&[("code", "c"), ("context", "stores/zzz999")]), &e).unwrap_err();
        assert!(matches!(wrong, CallbackError::WrongContext { .. }));
        assert_eq!(
            check(&params(&[("context", "stores/abc123")]), &e),
            Err(CallbackError::Missing("code"))
        );
    }

    #[test]
    fn pasted_urls() {
        let p = parse_pasted(
            " http://localhost:8765/auth?code=x&context=stores%2Fabc123 \n",
            "http://localhost:8765/auth",
        )
        .unwrap();
        assert_eq!(p["context"], "stores/abc123");
        assert!(parse_pasted("code=x", "http://localhost:8765/auth").is_err());
        assert!(
            parse_pasted(
                "http://localhost:8765/other?code=x",
                "http://localhost:8765/auth"
            )
            .is_err()
        );
    }
}
