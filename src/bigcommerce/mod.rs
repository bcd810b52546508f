//! BigCommerce facts: store hashes, the scope catalog, OAuth (URLs, the
//! callback check, the code exchange), and the store API.

pub mod api;
pub mod client;
pub mod graphql;
pub mod hooks;
pub mod oauth;
pub mod paginate;
pub mod ratelimit;
pub mod request;
pub mod scopes;
pub mod store_hash;
pub mod trace;
