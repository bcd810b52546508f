//! Headless storefronts: a store's storefront channels (`bcconn channels`)
//! and storefront tokens minted with a connection (`bcconn
//! storefront-token`), printed or kept as secrets of the connection.
//!
//! - [`channels`]: the storefront channels and their sites' URLs
//! - [`mint`]: what a token request says (kind, channels, expiry,
//!   origins, scopes), checked before anything is sent; creating and
//!   revoking tokens
//! - [`saved`]: tokens kept with a connection: saved through the ledger
//!   with their record, found for `env`/`exec`, forgotten, warned about
//!   before they expire
//!
//! Requests go through the same core as `bcconn api` (`super::call`): the
//! connection's pool, the store's rate limit, a 401 recorded.

pub mod channels;
pub mod mint;
pub mod saved;

use anyhow::Result;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;

use super::call::{self, Call, Outcome};
use super::default::{self, Source};
use super::tokens::{reauthorized, record_401, token_for};
use crate::bigcommerce::client::{Answer, Request};
use crate::bigcommerce::paginate::Item;
use crate::context::Context;
use crate::error::{Failure, failure};
use crate::store::Connection;
use crate::text::shell_word;

/// The connection a storefront command works with, as resolved.
pub struct Target {
    pub conn: Connection,
    pub source: Source,
}

/// The connection named, or the default one (`-c NAME`, then
/// `BCCONN_CONNECTION`, `.bcconn`, the global default).
pub fn target(ctx: &Context, given: Option<&str>) -> Result<Target> {
    let file = ctx.records.load()?;
    let (c, source) = default::resolve(ctx, given, &file)?;
    Ok(Target {
        conn: c.clone(),
        source,
    })
}

/// What came back from one request.
pub enum Sent {
    Answer(Answer),
    /// A list, every page's items in order.
    Items(Vec<Item>),
}

/// A request the caller built, under the store's base (`v3/channels`).
pub(crate) fn request(ctx: &Context, t: &Target, method: Method, path: &str) -> Result<Request> {
    let url = crate::bigcommerce::request::resolve(&ctx.env.api_url, &t.conn.store_hash, path)
        .map_err(|e| failure(format!("cannot make the URL of {path}: {e}")))?;
    Ok(Request {
        method,
        url,
        headers: Vec::new(),
        body: None,
    })
}

/// Sends `req` with the connection's token, within its pool and the
/// store's rate limit (as `bcconn api` does); `pages` pages through a list
/// (at most that many pages). A write asks first when an untrusted
/// `.bcconn` chose the connection. A 401 reads the record again: when the
/// connection was re-authorized meanwhile the request goes once more with
/// the new token; otherwise the connection is marked invalid and the
/// error says so.
pub(crate) fn send(
    ctx: &Context,
    t: &mut Target,
    req: Request,
    pages: Option<u64>,
) -> Result<Sent> {
    super::trust::before_request(ctx, &t.source, &req.method)?;
    let call = Call {
        paginate: pages.is_some(),
        max_pages: pages,
        ..Call::default()
    };
    let once = |c: &Connection| -> Result<Outcome> {
        let file = ctx.records.load()?;
        let token = token_for(ctx, c).map_err(|e| e.into_error(c, &file))?;
        call::send(ctx, &call, false, &file, c, req.clone(), token, None)
    };
    let mut outcome = once(&t.conn)?;
    if outcome.unauthorized()
        && let Some((_, newer)) = reauthorized(ctx, &t.conn)?
    {
        t.conn = newer;
        outcome = once(&t.conn)?;
    }
    match outcome {
        Outcome::Items(items) => Ok(Sent::Items(items)),
        Outcome::Answer(a) if a.status == StatusCode::UNAUTHORIZED => {
            let (marked, _) = record_401(ctx, &t.conn, a.title());
            Err(failure(a.headline())
                .hint(format!(
                    "BigCommerce refused the token{}; authorize it again with `bcconn authorize {}`",
                    if marked {
                        " (the connection is now marked invalid)"
                    } else {
                        ""
                    },
                    shell_word(&t.conn.name)
                ))
                .into())
        }
        Outcome::Answer(a) => Ok(Sent::Answer(a)),
        // No sink was given: nothing streams.
        Outcome::Streamed => Err(failure("the answer was streamed where it was to be held").into()),
    }
}

/// The error for a non-2xx answer to `method` on `path` (under the store's
/// base): its status and title, and for a 403 the scope the connection
/// lacks and how to add it.
pub(crate) fn refused(c: &Connection, a: &Answer, method: &Method, path: &str) -> Failure {
    let mut f = failure(a.headline());
    if a.status == StatusCode::FORBIDDEN {
        for hint in super::forbidden::forbidden(c, method, path) {
            f = f.also(hint);
        }
    }
    f
}

/// A secret held only for as long as it is needed.
pub type Token = SecretString;
