//! A storefront token saved with a connection (`bcconn storefront-token
//! create --save NAME`): what it is for, never the token. The token lives
//! in a secret store under [`StorefrontToken::account`], an account that
//! names the connection's id, the token's name and a serial of its own, so
//! a replacement never overwrites the token in use and a sealed row's
//! associated data (the account) binds it to its name.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secrets::StoreKind;

/// The longest name a saved storefront token may have.
pub const STOREFRONT_NAME_MAX: usize = 40;

/// Which endpoint made the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorefrontKind {
    /// `/v3/storefront/api-token`: for browsers (CORS origins).
    Browser,
    /// `/v3/storefront/api-token-private`: server to server, with scopes.
    Server,
    /// `/v3/storefront/api-token-customer-impersonation`.
    Impersonation,
    /// A kind a newer bcconn wrote: kept, shown as such.
    #[serde(other)]
    Other,
}

impl StorefrontKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StorefrontKind::Browser => "browser",
            StorefrontKind::Server => "server",
            StorefrontKind::Impersonation => "impersonation",
            StorefrontKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StorefrontToken {
    /// Unique within its connection (lower case, see [`check_name`]).
    pub name: String,
    pub kind: StorefrontKind,
    /// The channel ids it was made for, in the order given.
    pub channels: Vec<u64>,
    /// When BigCommerce ends it, in Unix seconds (what was sent).
    pub expires_at: i64,
    pub created_at: String,
    /// Where the token is kept.
    pub secret_store: StoreKind,
    /// Part of the account it is kept under: a new one for every save.
    pub serial: String,
    /// A server token's scopes (`Unauthenticated`, `Customer`, `B2B`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// A browser token's CORS origins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cors_origins: Vec<String>,
    /// Fields this version does not know, kept as they are.
    #[serde(flatten, default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

impl StorefrontToken {
    /// The account its token is kept under, for connection `connection_id`.
    pub fn account(&self, connection_id: &str) -> String {
        crate::secrets::storefront_account(connection_id, &self.name, &self.serial)
    }

    /// Its first channel: what `BIGCOMMERCE_CHANNEL_ID` is set to.
    pub fn first_channel(&self) -> Option<u64> {
        self.channels.first().copied()
    }
}

/// Unix seconds as RFC 3339 UTC (a time before 1970 as its number).
pub fn rfc3339(secs: i64) -> String {
    match u64::try_from(secs) {
        Ok(s) => humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(s),
        )
        .to_string(),
        Err(_) => secs.to_string(),
    }
}

/// Why `name` cannot name a saved storefront token, if it cannot: 1 to
/// [`STOREFRONT_NAME_MAX`] characters of `a-z`, `0-9`, `-`, `_` and `.`,
/// starting with a letter or digit (it is part of a secret's account name,
/// and is typed as a flag value).
pub fn check_name(name: &str) -> Result<(), String> {
    let shown = crate::text::outside(name, 60);
    if name.is_empty() {
        return Err("a storefront token's name cannot be empty".into());
    }
    if name.chars().count() > STOREFRONT_NAME_MAX {
        return Err(format!(
            "the storefront token name {shown:?} is longer than {STOREFRONT_NAME_MAX} characters"
        ));
    }
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    if !name.chars().all(ok) {
        return Err(format!(
            "the storefront token name {shown:?} may hold only a-z, 0-9, '-', '_' and '.'"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "the storefront token name {shown:?} must start with a letter or a digit"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_lower_case_words() {
        for good in ["web", "catalyst-server", "a", "v2.prod_1", "9"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Web", "-web", ".x", "a b", "a/b", "é", &"a".repeat(41)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unknown_kind_is_kept_not_refused() {
        let t: StorefrontToken = serde_json::from_str(
            r#"{"name":"x","kind":"quantum","channels":[1],"expires_at":1,"created_at":"t","secret_store":"file","serial":"s","later":true}"#,
        )
        .unwrap();
        assert_eq!(t.kind, StorefrontKind::Other);
        assert_eq!(t.extra["later"], true);
        assert_eq!(t.account("c1"), "connection/c1/storefront/x/s");
    }
}
