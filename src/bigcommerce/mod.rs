//! BigCommerce facts: store hashes, the scope catalog, and the store API.

pub mod api;
pub mod scopes;
pub mod store_hash;
