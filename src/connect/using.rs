//! Using a connection: its pool, a client for its store, and running the
//! client's work on a runtime while its notes (rate-limit waits, 429s) reach
//! `ctx.progress` as they come.

use std::future::Future;
use std::sync::Arc;

use anyhow::Result;
use secrecy::SecretString;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::runtime;
use crate::bigcommerce::client::Client;
use crate::context::Context;
use crate::pool::{self, PoolId, Pools};
use crate::store::{Connection, Tx};

/// A connection's pool: its lender chain's root (the pool owner), at the
/// level the connection really runs with.
pub fn pool_of(file: &Tx, c: &Connection) -> Result<PoolId> {
    let mut owner = c;
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = owner.borrow_concurrency_from.as_deref() {
        // A hand-made cycle stops the walk.
        if !seen.insert(id.to_string()) {
            break;
        }
        match file.connection_by_id(id)? {
            Some(lender) if lender.id != c.id => owner = lender,
            _ => break,
        }
    }
    Ok(PoolId {
        store: owner.store_hash.as_str().to_string(),
        owner: owner.id.clone(),
        owner_name: owner.name.clone(),
        level: file.effective_concurrency(c)?.max(1),
    })
}

/// The HTTP client for the store API.
pub fn http() -> reqwest::Client {
    crate::bigcommerce::api::http_client()
}

/// The pools and rate books: every process on this machine shares them
/// through files, or every machine through Redis when `BCCONN_POOL_URL` is
/// set. A bad URL or TTL is refused here; Redis itself is first reached by
/// [`Pools::ready`] (or the first slot taken). Inside a `bcconn exec`
/// that removed `BCCONN_POOL_URL`, refused: the local pools would not be
/// the ones the rest of the team counts in.
pub fn pools(ctx: &Context) -> Result<Arc<dyn Pools>> {
    match &ctx.env.pool_url {
        None => {
            ctx.env.check_not_removed("BCCONN_POOL_URL")?;
            Ok(pool::local(&ctx.env.home, ctx.clock.clone()))
        }
        Some(url) => {
            let ttl = ctx.env.pool_ttl()?;
            Ok(Arc::new(pool::redis::RedisPools::new(
                url,
                ttl,
                ctx.clock.clone(),
            )?))
        }
    }
}

/// A channel for a client's notes.
pub fn notes() -> (UnboundedSender<String>, UnboundedReceiver<String>) {
    unbounded_channel()
}

/// A client for `c`'s store with its token, within `c`'s pool. `http` is
/// shared by every client of a run (one connection pool, one TLS setup).
pub fn client(
    ctx: &Context,
    http: &reqwest::Client,
    file: &Tx,
    c: &Connection,
    token: SecretString,
    pools: Arc<dyn Pools>,
    notes: Option<UnboundedSender<String>>,
) -> Result<Client> {
    crate::env::check_base_url("BCCONN_API_URL", &ctx.env.api_url)?;
    Client::new(
        http.clone(),
        &ctx.env.api_url,
        c.store_hash.clone(),
        token,
        pools,
        pool_of(file, c)?,
        notes,
        ctx.clock.clone(),
    )
}

/// Runs `work` to its end on a new runtime; notes are said as they come.
pub fn drive<T>(
    ctx: &Context,
    notes: UnboundedReceiver<String>,
    work: impl Future<Output = T>,
) -> Result<T> {
    Ok(runtime()?.block_on(saying(ctx, notes, work)))
}

/// Runs `work` to its end, saying notes as they come (and those left when
/// it ends), on the runtime it is awaited on.
pub async fn saying<T>(
    ctx: &Context,
    mut notes: UnboundedReceiver<String>,
    work: impl Future<Output = T>,
) -> T {
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => {
                while let Ok(note) = notes.try_recv() {
                    ctx.progress.say(&note);
                }
                break out;
            }
            Some(note) = notes.recv() => ctx.progress.say(&note),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuthType;

    fn conn(name: &str, level: u8, borrow: Option<&str>) -> Connection {
        Connection {
            id: format!("id-{name}"),
            concurrency: level,
            borrow_concurrency_from: borrow.map(|b| format!("id-{b}")),
            ..Connection::pending(name, AuthType::Token, "abc123".parse().unwrap())
        }
    }

    #[test]
    fn borrowers_share_the_owners_pool() {
        let file = Tx::from_document(crate::store::Document {
            connections: vec![
                conn("a", 2, None),
                conn("b", 5, Some("a")),
                conn("c", 9, Some("b")),
                conn("d", 3, None),
            ],
            ..Default::default()
        });
        let p = |n: &str| pool_of(&file, file.connection(n).unwrap().unwrap()).unwrap();
        assert_eq!(p("a"), p("b"));
        assert_eq!(p("a"), p("c"));
        assert_eq!(p("c").level, 2);
        assert_eq!(p("d").owner, "id-d");
        assert_ne!(p("a"), p("d"));
    }

    #[test]
    fn a_hand_made_cycle_ends() {
        let file = Tx::from_document(crate::store::Document {
            connections: vec![conn("a", 2, Some("b")), conn("b", 4, Some("a"))],
            ..Default::default()
        });
        let _ = pool_of(&file, file.connection("a").unwrap().unwrap()).unwrap();
    }
}
