//! Which saved connection `authorize --store-hash H --iclient C` updates:
//! the one named, else the one for this store through this app, else none
//! (a new one is made).

use anyhow::Result;

use crate::bigcommerce::store_hash::StoreHash;
use crate::error::usage;
use crate::store::{AuthType, Connection, IClient, Tx};

/// The connection to update, if any. Two on the same store and app would
/// end each other's tokens: never guess which.
pub fn by_store<'f>(
    file: &'f Tx,
    hash: &StoreHash,
    iclient: &IClient,
    name: Option<&str>,
) -> Result<Option<&'f Connection>> {
    let existing = match name {
        Some(n) => file.connection(n)?,
        None => only_one(file, hash, iclient)?,
    };
    if let Some(conn) = existing
        && (conn.store_hash != *hash || conn.auth_type != AuthType::Oauth2)
    {
        let kind = if conn.auth_type == AuthType::Oauth2 {
            String::new()
        } else {
            format!(
                " {}, not an OAuth 2.0 connection,",
                super::rules::auth_kind(conn.auth_type)
            )
        };
        let store = if conn.store_hash == *hash {
            String::new()
        } else {
            format!(" for store {}, not {hash}", conn.store_hash)
        };
        return Err(usage(format!(
            "connection {} is{}{store}",
            super::rules::shown(&conn.name),
            kind.trim_end_matches(',')
        ))
        .hint("pick another --name")
        .into());
    }
    Ok(existing)
}

/// The OAuth connection on this store through an app with this client id.
fn only_one<'f>(
    file: &'f Tx,
    hash: &StoreHash,
    iclient: &IClient,
) -> Result<Option<&'f Connection>> {
    let apps: Vec<&str> = file
        .iclients()?
        .iter()
        .filter(|i| i.client_id == iclient.client_id)
        .map(|i| i.id.as_str())
        .collect();
    let matches: Vec<&Connection> = file
        .connections_for_store(hash)?
        .into_iter()
        .filter(|c| {
            c.auth_type == AuthType::Oauth2
                && c.iclient_id.as_deref().is_some_and(|i| apps.contains(&i))
        })
        .collect();
    if matches.len() > 1 {
        let names: Vec<String> = matches.iter().map(|c| format!("{:?}", c.name)).collect();
        return Err(usage(format!(
            "{} connections use store {hash} through this app: {}",
            matches.len(),
            names.join(", ")
        ))
        .hint("say which with --name NAME (authorizing one ends the others' tokens: BigCommerce keeps one token per app and store)")
        .into());
    }
    Ok(matches.first().copied())
}
