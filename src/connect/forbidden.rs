//! What a 403 from the store API is explained with (`bcconn api`,
//! `channels`, `storefront-token`): which scope is missing. BigCommerce's 403 names no
//! scope and is also what a token of another store gets, so the
//! connection's scopes are read against the path's
//! (`bigcommerce::scopes::paths`): a missing one is named with the commands
//! that add it; one already held points at the other causes.

use reqwest::Method;

use crate::bigcommerce::scopes::paths::{self, Verdict};
use crate::bigcommerce::scopes::{lookup, modify_twin, normalize, satisfied};
use crate::store::{AuthType, Connection};
use crate::text::shell_word;

/// The hints for a 403 on `path` (under the store's base) by `method`.
pub fn forbidden(c: &Connection, method: &Method, path: &str) -> Vec<String> {
    let name = shell_word(&c.name);
    let store = c.store_hash.as_str();
    let write = *method != Method::GET && *method != Method::HEAD;
    let shown = crate::text::outside(path.trim_matches('/'), 120);
    let other_store = format!(
        "BigCommerce also answers 403 to a token of another store than {store}; `bcconn status {name}` checks it against this one"
    );
    let Some(need) = paths::need(path) else {
        return vec![
            format!(
                "BigCommerce's 403 names no scope, and bcconn does not know the scopes of {shown}: see \"OAuth scopes\" on its page of BigCommerce's API reference"
            ),
            other_store,
        ];
    };
    let token = c.auth_type == AuthType::Token;
    // An API account's scopes are set in the control panel and never seen
    // by bcconn; an app's are what BigCommerce granted (else what was asked).
    let granted = if token {
        Vec::new()
    } else {
        c.granted_scopes.clone().unwrap_or_else(|| c.scopes.clone())
    };
    let doing = if write {
        format!("{method} on {shown}")
    } else {
        format!("reading {shown}")
    };
    match paths::verdict(need, write, &granted) {
        Verdict::NoneNeeded => vec![
            format!("{shown} needs no scope beyond the default one every token has"),
            other_store,
        ],
        Verdict::NoneOpens => vec![
            format!("no scope allows {doing}: that API is read-only"),
            other_store,
        ],
        Verdict::Held(held) => vec![
            format!(
                "{:?} holds {held}, which {doing} needs: the token may be for another store than {store}, or the app may lack the scope in the Developer Portal",
                c.name
            ),
            format!("check the token against {store} with `bcconn status {name}`"),
        ],
        Verdict::Lacks { add, others } => {
            let label = lookup(add)
                .map(|s| format!(" ({})", s.display()))
                .unwrap_or_default();
            let needs = match others.as_slice() {
                [] => format!("{doing} needs scope {add}{label}"),
                more => format!("{doing} needs scope {add}{label} or {}", more.join(" or ")),
            };
            let one = others.is_empty();
            if token {
                return vec![
                    format!(
                        "{needs}; {:?} is an API account's token, whose scopes bcconn cannot see",
                        c.name
                    ),
                    format!(
                        "check that API account's OAuth scopes in the store's control panel (Settings › API Accounts); a token of another store than {store} also gets 403"
                    ),
                ];
            }
            // Asked for and not granted: BigCommerce gives an app no more
            // than its scopes in the Developer Portal.
            if satisfied(add, &c.scopes) {
                let asked = c
                    .scopes
                    .iter()
                    .find(|s| s.as_str() == add || modify_twin(add) == Some(s.as_str()))
                    .map_or(add, String::as_str);
                return vec![
                    format!(
                        "{needs}; {:?} asked for {asked}, but BigCommerce did not grant it",
                        c.name
                    ),
                    format!(
                        "add it to the app's OAuth scopes in the Developer Portal, then `bcconn authorize {name}`"
                    ),
                ];
            }
            let mut wanted = c.scopes.clone();
            wanted.push(add.to_string());
            vec![
                format!(
                    "{needs}, and {:?} {}",
                    c.name,
                    if one { "lacks it" } else { "has neither" }
                ),
                format!(
                    "add {add} with `bcconn edit {name} --scopes {}`, then `bcconn authorize {name}`",
                    normalize(&wanted).join(",")
                ),
            ]
        }
    }
}
