//! `bcconn api`'s core: build the request from what was given, send it (or
//! page through the list) within the connection's pool and the store's rate
//! limit, and record a 401 (the connection becomes `invalid`). GraphQL
//! (`bcconn api graphql`) is built in [`graphql`].

mod graphql;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::default::{self, Source};
use super::tokens::{reauthorized, record_401, token_for};
use super::using;
use crate::bigcommerce::client::{
    ANSWER_MAX, Answer, DEFAULT_MAX_PAGES, GraphqlPaged, PAGES_MAX, Paged, Request, Sink,
};
use crate::bigcommerce::paginate;
use crate::bigcommerce::request;
use crate::context::Context;
use crate::error::usage;
use crate::fsutil::{Links, human_bytes, read_outside};
use crate::store::Connection;

/// What `bcconn api` was asked to do.
#[derive(Debug, Default)]
pub struct Call {
    pub connection: Option<String>,
    pub path: String,
    pub method: Option<String>,
    /// `-f key=value`: strings.
    pub raw_fields: Vec<String>,
    /// `-F key=value`: typed, `@file` (`@-` stdin) read as text.
    pub fields: Vec<String>,
    /// `--input FILE` (`-` for stdin): the body as it is.
    pub input: Option<PathBuf>,
    pub headers: Vec<String>,
    pub paginate: bool,
    /// `--max-pages`: `None` is [`DEFAULT_MAX_PAGES`], `Some(0)` no cap.
    pub max_pages: Option<u64>,
    /// `--max-wait`: the longest one rate-limit wait (`None`: the default).
    pub max_wait: Option<std::time::Duration>,
    /// The most of a 2xx answer (or of a `--paginate` list's pages) held
    /// whole: what `--jq` takes. `None`: [`ANSWER_MAX`] and [`PAGES_MAX`].
    /// A write's answer past it is given to the sink unfiltered, and fails.
    pub held_max: Option<u64>,
}

/// The most bcconn reads of a file or stdin for a body or a field: what is
/// sent is held whole.
pub const INPUT_MAX: u64 = ANSWER_MAX;

/// What came back.
pub enum Outcome {
    /// One answer, whatever its status.
    Answer(Answer),
    /// A 2xx answer whose head and body already went to the sink given to
    /// [`api`]: nothing is left to print.
    Streamed,
    /// `--paginate`: every item, in order, as the store wrote it.
    Items(Vec<paginate::Item>),
}

impl Outcome {
    /// A 401: the token was refused.
    pub fn unauthorized(&self) -> bool {
        matches!(self, Outcome::Answer(a) if a.status == StatusCode::UNAUTHORIZED)
    }
}

pub struct Called {
    pub outcome: Outcome,
    /// The method sent: a write's answer is never lost to a failing `--jq`.
    pub method: Method,
    pub connection: Connection,
    pub source: Source,
    /// A 401 was recorded: the connection is now `invalid`.
    pub marked_invalid: bool,
    /// The path called, under the store's base (`v3/catalog/products`), no
    /// query: what a 403 is explained by.
    pub path: String,
    /// A GraphQL call: its 2xx answer may still hold `errors`.
    pub graphql: bool,
    /// The request may change the store (not GET or HEAD, and not a
    /// GraphQL document of queries only).
    pub write: bool,
}

/// Reads `path` (`-` is stdin), bounded by [`INPUT_MAX`]; a file only when
/// it is a regular file (a FIFO or `/dev/zero` is refused, without blocking).
fn read_input(stdin: &crate::context::Stdin, path: &Path, what: &str) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let bytes = stdin
            .read_bounded(INPUT_MAX)
            .map_err(|e| usage(format!("{what}: cannot read stdin: {e}")))?;
        if bytes.len() as u64 > INPUT_MAX {
            return Err(usage(format!(
                "{what}: stdin holds more than {}, more than bcconn sends",
                human_bytes(INPUT_MAX)
            ))
            .into());
        }
        return Ok(bytes);
    }
    match read_outside(path, INPUT_MAX, Links::Follow) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(usage(format!("{what}: {} does not exist", path.display())).into()),
        Err(e) => {
            let (_, why, hint) = crate::error::report(&e).into_parts();
            let refused = usage(format!("{what}: {why}"));
            Err(match hint {
                Some(h) => refused.hint(h),
                None => refused,
            }
            .into())
        }
    }
}

/// The request `call` describes, for connection `c`, and what a GraphQL
/// one holds.
pub fn build(
    ctx: &Context,
    call: &Call,
    c: &Connection,
) -> Result<(Request, Option<graphql::Graphql>)> {
    let mut url = request::resolve(&ctx.env.api_url, &c.store_hash, &call.path).map_err(|e| {
        usage(e)
            .hint("give a path such as v3/catalog/products, or a URL on this connection's store")
    })?;
    let is_graphql = graphql::is_graphql(&url, &c.store_hash);
    if is_graphql {
        // The document goes in the body only: a query string beside it
        // (`graphql?query=mutation…`) is what some servers read first, and
        // the trust check reads the body.
        if url.query().is_some() {
            return Err(usage(
                "a GraphQL call takes no query string: its document and variables go in the body",
            )
            .hint(
                "leave the ?… out of the path and give -f query=… (other fields become variables)",
            )
            .into());
        }
        let trimmed = url.path().trim_end_matches('/').to_string();
        url.set_path(&trimmed);
    }
    let mut fields: Vec<(String, Value)> = Vec::new();
    for arg in &call.raw_fields {
        let (k, v) = request::split_field(arg).map_err(|e| usage(format!("-f {e}")))?;
        fields.push((k, Value::String(v)));
    }
    for arg in &call.fields {
        let (k, v) = request::split_field(arg).map_err(|e| usage(format!("-F {e}")))?;
        let value = match v.strip_prefix('@') {
            Some(file) => {
                let bytes = read_input(&ctx.stdin, Path::new(file), &format!("-F {k}"))?;
                Value::String(String::from_utf8_lossy(&bytes).into_owned())
            }
            None => request::typed(&v),
        };
        fields.push((k, value));
    }
    let mut input = match &call.input {
        Some(p) => Some(read_input(&ctx.stdin, p, "--input")?),
        None => None,
    };
    // gh's rule: fields make a POST body unless -X says otherwise. With a
    // query string already in PATH, fields look like more query parameters
    // just as much, so bcconn asks instead of guessing a write.
    if call.method.is_none()
        && !is_graphql
        && !call.paginate
        && input.is_none()
        && !fields.is_empty()
        && url.query().is_some_and(|q| !q.is_empty())
    {
        return Err(usage(
            "-f/-F fields with a query string in PATH: bcconn cannot tell whether they are more query parameters or a body to POST",
        )
        .hint("add `-X GET` to send them as query parameters, or `-X POST` to send them as a JSON body")
        .into());
    }
    let gql = if is_graphql {
        Some(graphql::body(
            call.method.as_deref(),
            std::mem::take(&mut fields),
            input.take(),
            call.paginate,
        )?)
    } else {
        None
    };
    let method = match &call.method {
        _ if gql.is_some() => Method::POST,
        Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .map_err(|_| usage(format!("-X {m:?} is not an HTTP method")))?,
        None if call.paginate => Method::GET,
        None if input.is_some() || !fields.is_empty() => Method::POST,
        None => Method::GET,
    };
    if call.paginate && method != Method::GET && gql.is_none() {
        return Err(usage(format!(
            "--paginate pages through a list: it needs GET, not {method}"
        ))
        .into());
    }
    let mut headers = Vec::new();
    for h in &call.headers {
        headers.push(request::header(h).map_err(|refused| match refused {
            request::HeaderRefusal::Other(why) => usage(why),
            request::HeaderRefusal::Token => usage(
                "-H X-Auth-Token: bcconn sends the connection's own token in that header; leave the -H out",
            )
            .hint(
                "to call with another token, save it as a connection (`bcconn create NAME --auth-type token --access-token-stdin`) and pass -c NAME; a token on the command line is readable by other users",
            ),
        })?);
    }
    let fields_in_query = method == Method::GET || method == Method::HEAD || input.is_some();
    // A GraphQL body is made whole by `graphql::body`.
    let (graphql_body, gql) = match gql {
        Some((body, g)) => (Some(body), Some(g)),
        None => (None, None),
    };
    let body = if graphql_body.is_some() {
        graphql_body
    } else if fields_in_query {
        if !fields.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &fields {
                q.append_pair(k, &request::query_text(v));
            }
        }
        input
    } else if fields.is_empty() {
        None
    } else {
        let body = request::json_body(&fields).map_err(usage)?;
        Some(serde_json::to_vec(&body)?)
    };
    Ok((
        Request {
            method,
            url,
            headers,
            body,
        },
        gql,
    ))
}

/// The method a server may act on: an `X-HTTP-Method-Override` (or its
/// cousins) on a GET turns it into a write for servers that honour it.
fn effective_method(req: &Request) -> Method {
    const OVERRIDES: [&str; 3] = [
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
    ];
    req.headers
        .iter()
        .filter(|(k, _)| OVERRIDES.iter().any(|o| k.trim().eq_ignore_ascii_case(o)))
        .filter_map(|(_, v)| Method::from_bytes(v.trim().to_ascii_uppercase().as_bytes()).ok())
        .find(|m| *m != Method::GET && *m != Method::HEAD)
        .unwrap_or_else(|| req.method.clone())
}

/// Runs `bcconn api`. With a `sink` (and no `--paginate`), a 2xx answer's
/// body goes there as it arrives instead of being held.
///
/// A 401 re-reads the connection first: when another machine (or run)
/// re-authorized it meanwhile, its token generation moved and the request
/// is sent once more with the new token; only when the token that failed
/// is still the one on record is the connection marked `invalid`.
pub fn api(ctx: &Context, call: &Call, mut sink: Option<&mut dyn Sink>) -> Result<Called> {
    let file = ctx.records.load()?;
    let (c, source) = default::resolve(ctx, call.connection.as_deref(), &file)?;
    let (req, gql) = build(ctx, call, c)?;
    // A write chosen by an untrusted .bcconn asks first (the method as sent;
    // a GraphQL document of queries only reads, though POSTed).
    let mut method = effective_method(&req);
    if method == Method::POST && gql.is_some_and(|g| g.reads_only) {
        method = Method::GET;
    }
    if gql.is_some() && method != Method::GET {
        super::trust::before_graphql_write(ctx, &source)?;
    } else {
        super::trust::before_request(ctx, &source, &method)?;
    }
    let write = method != Method::GET && method != Method::HEAD;
    // A GraphQL answer is held whole: its `errors` are read after it.
    if gql.is_some() {
        sink = None;
    }
    let graphql = gql.is_some();
    let token = token_for(ctx, c).map_err(|e| e.into_error(c, &file))?;
    let method = req.method.clone();
    let path = store_path(&req.url, &c.store_hash);
    let mut c = c.clone();
    let mut outcome = send(
        ctx,
        call,
        graphql,
        &file,
        &c,
        req.clone(),
        token,
        sink.as_deref_mut(),
    )?;
    if outcome.unauthorized()
        && let Some((now, newer)) = reauthorized(ctx, &c)?
        && let Ok(token) = token_for(ctx, &newer)
    {
        // Read at the point of use: another run re-authorized meanwhile.
        tracing::debug!(
            "401 with token generation {}; the record has {}: sent again",
            c.token_generation,
            newer.token_generation
        );
        c = newer;
        outcome = send(ctx, call, graphql, &now, &c, req, token, sink)?;
    }
    let marked_invalid = match &outcome {
        Outcome::Answer(a) if a.status == StatusCode::UNAUTHORIZED => {
            record_401(ctx, &c, a.title()).0
        }
        _ => false,
    };
    Ok(Called {
        outcome,
        method,
        connection: c,
        source,
        marked_invalid,
        path,
        graphql,
        write,
    })
}

/// Sends `req` (or pages through it) with `token`, within `c`'s pool. A
/// GraphQL answer's complexity past BigCommerce's warning line is said.
#[allow(clippy::too_many_arguments)]
pub(super) fn send<'d>(
    ctx: &Context,
    call: &Call,
    graphql: bool,
    file: &crate::store::Tx,
    c: &Connection,
    req: Request,
    token: secrecy::SecretString,
    sink: Option<&mut (dyn Sink + 'd)>,
) -> Result<Outcome> {
    let (tx, rx) = using::notes();
    let mut client = using::client(
        ctx,
        &using::http(),
        file,
        c,
        token,
        using::pools(ctx)?,
        Some(tx),
    )?;
    if let Some(max_wait) = call.max_wait {
        client = client.with_max_wait(max_wait);
    }
    // A write's answer too big to hold (or cut off) is not lost: it goes to
    // the sink unfiltered (`send_or_spill`).
    let read = req.method == reqwest::Method::GET || req.method == reqwest::Method::HEAD;
    let held = call.held_max.is_some();
    if let Some(held_max) = call.held_max {
        client = client.with_held_max(held_max);
    }
    let pages_max = call.held_max.unwrap_or(PAGES_MAX);
    let client = Arc::new(client);
    let paginate = call.paginate;
    let max_pages = call.max_pages.unwrap_or(DEFAULT_MAX_PAGES);
    let (outcome, complexity) = using::drive(ctx, rx, async move {
        if paginate && graphql {
            let pages = client.paginate_graphql(req, max_pages, pages_max).await?;
            let answer = match pages.outcome {
                GraphqlPaged::Whole(a) | GraphqlPaged::Failed(a) => a,
            };
            return Ok::<_, anyhow::Error>((Outcome::Answer(answer), pages.complexity));
        }
        let outcome = if paginate {
            match client.paginate(req, max_pages, pages_max).await? {
                Paged::Items(items) => Outcome::Items(items),
                Paged::Single(a) | Paged::Failed(a) => Outcome::Answer(a),
            }
        } else if let Some(sink) = sink {
            if held {
                Outcome::Answer(if read {
                    client.send(&req).await?
                } else {
                    client.send_or_spill(&req, sink).await?
                })
            } else {
                let a = client.send_to(&req, sink).await?;
                if a.status.is_success() {
                    Outcome::Streamed
                } else {
                    Outcome::Answer(a)
                }
            }
        } else {
            Outcome::Answer(client.send(&req).await?)
        };
        Ok((outcome, None))
    })??;
    let complexity = complexity.or_else(|| match &outcome {
        Outcome::Answer(a) if graphql => {
            crate::bigcommerce::graphql::complexity(&a.headers).map(|c| (c, 1))
        }
        _ => None,
    });
    if let Some((value, page)) = complexity
        && let Some(warning) = crate::bigcommerce::graphql::complexity_warning(value)
    {
        ctx.progress.warn(&if page > 1 {
            format!("page {page}: {warning}")
        } else {
            warning
        });
    }
    Ok(outcome)
}

/// The part of `url`'s path after `/stores/{hash}/`.
fn store_path(url: &url::Url, store: &crate::bigcommerce::store_hash::StoreHash) -> String {
    let marker = format!("/stores/{}/", store.as_str());
    let path = url.path();
    path.find(&marker)
        .map(|at| &path[at + marker.len()..])
        .unwrap_or(path)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_override_header_counts_as_the_method_sent() {
        let url = url::Url::parse("http://h/stores/x/v3/catalog/products").unwrap();
        let mut req = Request::get(url);
        assert_eq!(effective_method(&req), Method::GET);
        req.headers
            .push(("X-HTTP-Method-Override".into(), " delete ".into()));
        assert_eq!(effective_method(&req), Method::DELETE);
        req.headers = vec![("x-http-method".into(), "GET".into())];
        assert_eq!(effective_method(&req), Method::GET);
    }
}
