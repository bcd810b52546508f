//! Reaching Redis, and saying clearly why it could not be reached: the
//! URL checked, the connection made once with bounded waits, and every
//! error named without the password.

use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, RedisError};
use anyhow::Result;

use super::super::{PoolError, Refused};
use super::{CONNECT_TIMEOUT, RESPONSE_TIMEOUT};
use crate::clock::Clock;
use crate::env::PoolUrl;

pub(super) fn open(url: &PoolUrl) -> Result<::redis::Client, PoolError> {
    let bad = |why: String| PoolError::BadUrl {
        url: url.redacted(),
        why,
    };
    let scheme = url
        .expose()
        .split("://")
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !matches!(scheme.as_str(), "redis" | "rediss") || !url.expose().contains("://") {
        return Err(bad("it must start with redis:// or rediss://".into()));
    }
    ::redis::Client::open(url.expose()).map_err(|e| bad(scrub(url, &describe(&e))))
}

/// Connects and proves the server answers. The error is kept by the caller
/// to be told again: the connection is tried once per process.
pub(super) async fn connect(
    url: &PoolUrl,
    client: &::redis::Client,
) -> std::result::Result<MultiplexedConnection, PoolError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let attempt = async {
        // Connecting also sends AUTH and SELECT: a wrong password or
        // database fails here; PING proves the server answers commands.
        let mut con = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        ::redis::cmd("PING").query_async::<String>(&mut con).await?;
        Ok::<_, RedisError>(con)
    };
    let refusal = |why: String, refused: Refused| PoolError::Unreachable {
        url: url.redacted(),
        why,
        refused,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_secs(1), attempt).await {
        Err(_) => Err(refusal(
            format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            Refused::Other,
        )),
        Ok(Ok(con)) => Ok(con),
        Ok(Err(e)) => Err(refusal(scrub(url, &describe(&e)), classify(&e))),
    }
}

fn classify(e: &RedisError) -> Refused {
    let detail = e.detail().unwrap_or_default().to_ascii_lowercase();
    if e.kind() == ::redis::ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("NOAUTH" | "WRONGPASS"))
    {
        Refused::Credentials
    } else if detail.contains("db index") {
        Refused::Database
    } else {
        Refused::Other
    }
}

/// A short reason for a Redis error, on one line.
pub(super) fn describe(e: &RedisError) -> String {
    if e.is_connection_refusal() {
        return "connection refused".into();
    }
    if e.is_timeout() {
        return "no answer in time".into();
    }
    if e.code() == Some("NOAUTH") {
        return "the server wants a password".into();
    }
    if let Refused::Credentials = classify(e) {
        return "the user or password was refused".into();
    }
    if let Refused::Database = classify(e) {
        return "the server has no such database (DB index is out of range)".into();
    }
    let text = match e.detail() {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => e.to_string(),
    };
    text.lines().next().unwrap_or_default().trim().to_string()
}

/// `text` without any part of the URL that may be a secret (the user info,
/// the query's values), whatever a driver put in it.
pub(super) fn scrub(url: &PoolUrl, text: &str) -> String {
    url.scrub(text)
}

/// Round trip of one PING to the shared pools' Redis, timed on `clock`,
/// connection included (for `bcconn doctor`): an error is the same
/// [`PoolError`] that `bcconn api` would give.
pub async fn ping_on(url: &PoolUrl, clock: &dyn Clock) -> Result<Duration> {
    let client = open(url)?;
    let mut con = connect(url, &client).await?;
    let start = clock.instant();
    ::redis::cmd("PING")
        .query_async::<String>(&mut con)
        .await
        .map_err(|e| PoolError::StoppedAnswering {
            url: url.redacted(),
            why: scrub(url, &describe(&e)),
        })?;
    Ok(clock.instant().saturating_duration_since(start))
}
