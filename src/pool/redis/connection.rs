//! Reaching Redis, and saying clearly why it could not be reached: the
//! URL checked, the connection made once with bounded waits, and every
//! error named without the password.

use std::time::{Duration, Instant};

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, RedisError};
use anyhow::Result;

use super::{CONNECT_TIMEOUT, RESPONSE_TIMEOUT};
use crate::env::PoolUrl;
use crate::error::{Failure, failure, usage};

/// Why Redis could not be used, kept to be told again (the connection is
/// tried once per process; every later use gets the same answer).
#[derive(Debug, Clone)]
pub(super) struct Refusal {
    message: String,
    hint: String,
}

impl Refusal {
    pub(super) fn failure(&self) -> Failure {
        failure(self.message.clone()).hint(self.hint.clone())
    }
}

pub(super) fn open(url: &PoolUrl) -> Result<::redis::Client, Failure> {
    let bad = |why: String| {
        usage(format!(
            "BCCONN_POOL_URL={} is not a Redis URL ({why})",
            url.redacted()
        ))
        .hint("set it to redis://[:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS), or unset it for this machine's pools")
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

pub(super) async fn connect(
    url: &PoolUrl,
    client: &::redis::Client,
) -> std::result::Result<MultiplexedConnection, Refusal> {
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
    let refusal = |why: String, hint: &str| Refusal {
        message: format!(
            "cannot use the shared pools at {} (BCCONN_POOL_URL): {why}",
            url.redacted()
        ),
        hint: hint.to_string(),
    };
    const RUNS: &str = "check BCCONN_POOL_URL and that Redis runs there (redis-cli -u URL ping); \
                        bcconn does not fall back to this machine's pools";
    match tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_secs(1), attempt).await {
        Err(_) => Err(refusal(
            format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            RUNS,
        )),
        Ok(Ok(con)) => Ok(con),
        Ok(Err(e)) => {
            let hint = match classify(&e) {
                Why::Credentials => {
                    "check the user and password in BCCONN_POOL_URL (redis://USER:PASSWORD@HOST:PORT/DB)"
                }
                Why::Database => {
                    "check the database number at the end of BCCONN_POOL_URL (a server has /0 to /15 unless configured otherwise)"
                }
                Why::Other => RUNS,
            };
            Err(refusal(scrub(url, &describe(&e)), hint))
        }
    }
}

enum Why {
    Credentials,
    Database,
    Other,
}

fn classify(e: &RedisError) -> Why {
    let detail = e.detail().unwrap_or_default().to_ascii_lowercase();
    if e.kind() == ::redis::ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("NOAUTH" | "WRONGPASS"))
    {
        Why::Credentials
    } else if detail.contains("db index") {
        Why::Database
    } else {
        Why::Other
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
    if let Why::Credentials = classify(e) {
        return "the user or password was refused".into();
    }
    if let Why::Database = classify(e) {
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

/// Round trip of one PING to the shared pools' Redis, connection included
/// in the checks (for `bcconn doctor`): an error is the same [`Failure`]
/// that `bcconn api` would give.
pub async fn ping(url: &PoolUrl) -> Result<Duration> {
    let client = open(url)?;
    let mut con = connect(url, &client).await.map_err(|r| r.failure())?;
    let start = Instant::now();
    ::redis::cmd("PING")
        .query_async::<String>(&mut con)
        .await
        .map_err(|e| {
            failure(format!(
                "the shared pools at {} (BCCONN_POOL_URL) stopped answering: {}",
                url.redacted(),
                scrub(url, &describe(&e))
            ))
        })?;
    Ok(start.elapsed())
}
