//! The records' shape, and the interchange document `bcconn export` prints
//! and `bcconn import` reads (the shape of the old record file, `bcconn.json`):
//! `{"version": 2, "iclients": [...], "connections": [...]}`.
//!
//! No secret is ever a field here; records name the store that holds theirs.
//! Older versions are read through `super::migrate`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::bigcommerce::oauth::BcUser;
use crate::bigcommerce::store_hash::StoreHash;
use crate::secrets::StoreKind;

/// The format version this build reads and writes. Version 2 added the
/// states `invalid` and `superseded`: a version-1 bcconn refuses such a file
/// as "written by a newer bcconn" instead of failing on an unknown word.
pub const VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    pub version: u32,
    #[serde(default)]
    pub iclients: Vec<IClient>,
    #[serde(default)]
    pub connections: Vec<Connection>,
    /// The id of the global default connection (`bcconn use --global`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_connection: Option<String>,
    /// Fields this version does not know (a newer minor version's, or added
    /// by hand): kept as they are, so a write does not erase them.
    #[serde(flatten, default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

impl Default for Document {
    fn default() -> Self {
        Document {
            version: VERSION,
            iclients: Vec::new(),
            connections: Vec::new(),
            default_connection: None,
            extra: Map::new(),
        }
    }
}

/// A reusable client id / secret pair of one BigCommerce app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IClient {
    pub id: String,
    pub name: String,
    pub client_id: String,
    /// Registered in the app's Auth, Load and Uninstall callback fields;
    /// `redirect_uri` must equal it byte for byte.
    pub callback_url: String,
    /// Where the client secret is kept.
    pub secret_store: StoreKind,
    pub created_at: String,
    pub updated_at: String,
    /// Fields this version does not know, kept as they are.
    #[serde(flatten, default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthType {
    /// OAuth 2.0 through a BigCommerce app (an iClient).
    Oauth2,
    /// A store-level API account's access token.
    Token,
}

impl AuthType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::Oauth2 => "oauth2",
            AuthType::Token => "token",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Saved, never authorized.
    Pending,
    /// Holds a verified token.
    Authorized,
    /// The first authorization failed; `last_error` says why.
    Failed,
    /// BigCommerce answered 401 to its token; `last_error` says when and why.
    Invalid,
    /// A sibling connection (same app, same store) got a newer token, which
    /// ended this one's.
    Superseded,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Authorized => "authorized",
            State::Failed => "failed",
            State::Invalid => "invalid",
            State::Superseded => "superseded",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub auth_type: AuthType,
    pub store_hash: StoreHash,
    /// Requested scopes (normalized).
    pub scopes: Vec<String>,
    /// The iClient's id (OAuth connections only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iclient_id: Option<String>,
    pub concurrency: u8,
    /// The lender's connection id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrow_concurrency_from: Option<String>,
    pub state: State,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<BcUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<BcUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verified_at: Option<String>,
    /// Where the access token is kept, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_store: Option<StoreKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When `last_error` was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<String>,
    /// State `superseded`: the id of the sibling whose token replaced this one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// Raised by every commit of a new token; the token's secret is keyed
    /// by it (`connection/<id>/g<N>`), so a new token never overwrites the
    /// one in use. 0: the key of versions before generations.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub token_generation: u64,
    /// Storefront tokens kept with it (`storefront-token create --save`),
    /// each naming where its token is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storefront_tokens: Vec<super::StorefrontToken>,
    /// Fields this version does not know, kept as they are.
    #[serde(flatten, default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

impl Connection {
    /// A new connection that was never authorized, with a fresh id; the
    /// caller fills in scopes, iClient and concurrency settings.
    pub fn pending(name: &str, auth_type: AuthType, store_hash: StoreHash) -> Connection {
        let now = super::now();
        Connection {
            id: super::new_id(),
            name: name.to_string(),
            auth_type,
            store_hash,
            scopes: Vec::new(),
            iclient_id: None,
            concurrency: 1,
            borrow_concurrency_from: None,
            state: State::Pending,
            created_at: now.clone(),
            updated_at: now,
            granted_scopes: None,
            user: None,
            owner: None,
            account_uuid: None,
            store_name: None,
            store_domain: None,
            authorized_at: None,
            last_verified_at: None,
            token_store: None,
            last_error: None,
            last_error_at: None,
            superseded_by: None,
            token_generation: 0,
            storefront_tokens: Vec::new(),
            extra: Map::new(),
        }
    }

    /// The account its token is kept under (service `bcconn`).
    pub fn token_account(&self) -> String {
        crate::secrets::token_account(&self.id, self.token_generation)
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
