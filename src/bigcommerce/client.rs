//! The store API client `bcconn api` and `bcconn status` use: every request
//! holds a slot of the connection's pool while it is in flight, reserves one
//! request of the store's rate-limit window before it is sent, reports the
//! answer's rate-limit headers back, and waits out a 429 (a bounded number
//! of times). It also pages through lists: v3 pages in parallel once page 1
//! tells how many there are, v2 pages a pool's level at a time until a 204.
//!
//! What it has to say while it waits goes to `notes` (a channel the caller
//! drains onto stderr), so it can run on any task.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Version};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use url::Url;

use super::api::{Check, StoreInfo, describe_reqwest};
use super::paginate::{self, Shape};
use super::ratelimit;
use super::store_hash::StoreHash;
use crate::error::failure;
use crate::pool::rate::{MARGIN_MS, WaitWhy};
use crate::pool::{PoolId, Pools, Reserve, Ticket};

/// How many times one request is retried after a 429.
pub const RETRIES: u32 = 3;
/// The longest one wait for the rate limit may be (`--max-wait`): a store
/// that asks for longer is an error, not a silent hour.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);
/// A wait for requests not reported back is said once it is this long.
const SAY_ANSWER_WAIT: Duration = Duration::from_secs(1);
/// The most pages a cursor list is followed for (a server that loops).
const MAX_CURSOR_PAGES: usize = 100_000;

/// One request, as `bcconn api` builds it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    /// Extra headers (`-H`); they replace bcconn's own of the same name.
    pub headers: Vec<(String, String)>,
    /// Sent with `Content-Type: application/json` unless a header says otherwise.
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn get(url: Url) -> Request {
        Request {
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: None,
        }
    }
}

/// The store's answer, whole.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// BigCommerce's error `title`, when the body has one.
    pub fn title(&self) -> Option<String> {
        let v: Value = serde_json::from_slice(&self.body).ok()?;
        let t = v
            .get("title")
            .or_else(|| v.get(0).and_then(|e| e.get("message")))
            .or_else(|| v.get("error"))?;
        t.as_str().map(str::to_string)
    }
}

/// What paging through a list gave.
#[derive(Debug)]
pub enum Paged {
    /// Every item of every page, in order, each once.
    Items(Vec<Value>),
    /// The first answer was not a list: it stands as it is.
    Single(Answer),
    /// A page failed (non-2xx): its answer.
    Failed(Answer),
}

pub struct Client {
    http: reqwest::Client,
    /// `API/stores/H/`
    base: Url,
    store: StoreHash,
    token: SecretString,
    pools: Arc<dyn Pools>,
    pool: PoolId,
    notes: Option<UnboundedSender<String>>,
    /// The reset time last announced, so parallel waits say it once.
    announced: Mutex<Option<u64>>,
    /// `--max-wait`: the longest one rate-limit wait may be.
    max_wait: Duration,
}

impl Client {
    pub fn new(
        http: reqwest::Client,
        api: &str,
        store: StoreHash,
        token: SecretString,
        pools: Arc<dyn Pools>,
        pool: PoolId,
        notes: Option<UnboundedSender<String>>,
    ) -> Result<Client> {
        let base = Url::parse(&format!("{api}/stores/{}/", store.as_str()))
            .with_context(|| format!("the API URL {api:?} is not a URL"))?;
        if let Some(tx) = &notes {
            pools.set_notes(tx.clone());
        }
        Ok(Client {
            http,
            base,
            store,
            token,
            pools,
            pool,
            notes,
            announced: Mutex::new(None),
            max_wait: DEFAULT_MAX_WAIT,
        })
    }

    /// Sets `--max-wait`.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Client {
        self.max_wait = max_wait;
        self
    }

    pub fn level(&self) -> u8 {
        self.pool.level.max(1)
    }

    fn note(&self, text: String) {
        match &self.notes {
            Some(tx) => {
                let _ = tx.send(text);
            }
            None => tracing::debug!("{text}"),
        }
    }

    /// Waits until the store's rate book lets one request go. Every wait
    /// is said (past a moment), and none may be longer than `--max-wait`.
    async fn reserve(&self) -> Result<Ticket> {
        let rates = self.pools.rates();
        let store = self.store.as_str();
        let mut for_answers = Duration::ZERO;
        let mut said_answers = false;
        loop {
            match rates.reserve(store).await? {
                Reserve::Go(t) => return Ok(t),
                Reserve::Wait { wait, why } => {
                    match why {
                        WaitWhy::Window { quota, reset_at } => {
                            // (The book adds a few ms past the reset.)
                            if wait > self.max_wait + Duration::from_millis(MARGIN_MS) {
                                return Err(failure(format!(
                                    "none of store {store}'s {quota} requests per window are left for {} more, longer than --max-wait {}: not waiting",
                                    seconds(wait),
                                    seconds(self.max_wait)
                                ))
                                .hint(format!(
                                    "run it again later or give a longer --max-wait; if the wait looks wrong, clear the store's rate book: {}",
                                    rates.clear_hint(store)
                                ))
                                .into());
                            }
                            let first = {
                                let mut last =
                                    self.announced.lock().unwrap_or_else(|e| e.into_inner());
                                let first = *last != Some(reset_at);
                                *last = Some(reset_at);
                                first
                            };
                            if first && wait >= Duration::from_millis(200) {
                                self.note(format!(
                                    "rate limit: none of store {store}'s {quota} requests per window left; waiting {} for the window to reset (if that looks wrong: {})",
                                    seconds(wait),
                                    rates.clear_hint(store)
                                ));
                            }
                        }
                        WaitWhy::Answer { out, until } => {
                            // Requests sent and never reported (their bcconn
                            // was killed) count until their reservation ends.
                            for_answers += wait;
                            if !said_answers && for_answers >= SAY_ANSWER_WAIT {
                                said_answers = true;
                                let left = Duration::from_millis(
                                    until.saturating_sub(crate::pool::local::now_ms()),
                                );
                                self.note(format!(
                                    "rate limit: waiting for {out} earlier request{} to store {store} that {} not reported back (killed in flight?): at most {} more",
                                    if out == 1 { "" } else { "s" },
                                    if out == 1 { "has" } else { "have" },
                                    seconds(left)
                                ));
                            }
                        }
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Reports an answer to the rate book. Once a request was sent, its
    /// answer wins: a book that cannot be written is a warning.
    async fn learn(
        &self,
        ticket: Ticket,
        answered: bool,
        seen: Option<crate::pool::Seen>,
        wait: Option<Duration>,
    ) {
        let store = self.store.as_str();
        if let Some(s) = &seen {
            tracing::debug!(
                "store {store}: rate limit {} of {} left, window resets in {} ms (window {} ms)",
                s.left,
                s.quota,
                s.reset_ms,
                s.window_ms
            );
        }
        if let Err(e) = self
            .pools
            .rates()
            .learn(store, ticket, answered, seen, wait)
            .await
        {
            self.note(format!(
                "warning: the answer stands, but recording store {store}'s rate limit failed: {}",
                crate::error::report(&e).1
            ));
        }
    }

    fn headers_for(&self, req: &Request) -> Result<HeaderMap> {
        let mut h = HeaderMap::new();
        let mut token = HeaderValue::from_str(self.token.expose_secret())
            .map_err(|_| anyhow!("the saved token has characters a header cannot hold"))?;
        token.set_sensitive(true);
        h.insert(HeaderName::from_static("x-auth-token"), token);
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if req.body.is_some() {
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for (k, v) in &req.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| anyhow!("{k:?} is not a header name"))?;
            if name.as_str() == "x-auth-token" {
                continue;
            }
            let value =
                HeaderValue::from_str(v).map_err(|_| anyhow!("bad value for header {k}"))?;
            h.insert(name, value);
        }
        Ok(h)
    }

    /// Sends one request within the pool and the rate limit; a 429 is
    /// waited out and retried up to [`RETRIES`] times.
    pub async fn send(&self, req: &Request) -> Result<Answer> {
        let headers = self.headers_for(req)?;
        let mut lease = self.pools.acquire(&self.pool).await?;
        let store = self.store.as_str();
        let mut attempt = 0;
        let answer = loop {
            let ticket = self.reserve().await?;
            let mut builder = self
                .http
                .request(req.method.clone(), req.url.clone())
                .headers(headers.clone());
            if let Some(body) = &req.body {
                builder = builder.body(body.clone());
            }
            let sent = match builder.send().await {
                Ok(r) => r,
                Err(e) => {
                    self.learn(ticket, false, None, None).await;
                    return Err(anyhow!(
                        "{} {}: {}",
                        req.method,
                        req.url.path(),
                        describe_reqwest(&e)
                    ));
                }
            };
            let status = sent.status();
            let version = sent.version();
            let resp_headers = sent.headers().clone();
            let wait = (status == StatusCode::TOO_MANY_REQUESTS).then(|| {
                ratelimit::retry_after(&resp_headers)
                    .unwrap_or(Duration::from_secs(1 << attempt.min(5)))
            });
            self.learn(ticket, true, ratelimit::seen(&resp_headers), wait)
                .await;
            let body = sent
                .bytes()
                .await
                .map_err(|e| anyhow!("reading the answer: {}", describe_reqwest(&e)))?;
            if let Some(wait) = wait
                && attempt < RETRIES
            {
                if wait > self.max_wait {
                    return Err(failure(format!(
                        "store {store} answered 429 Too Many Requests and asked to wait {}{}, longer than --max-wait {}: not waiting",
                        seconds(wait),
                        asked(&resp_headers),
                        seconds(self.max_wait)
                    ))
                    .hint("run it again later, or give a longer --max-wait (e.g. --max-wait 10m)")
                    .into());
                }
                attempt += 1;
                self.note(format!(
                    "store {store} answered 429 Too Many Requests{}: waiting {}, then retrying ({attempt} of {RETRIES})",
                    asked(&resp_headers),
                    seconds(wait)
                ));
                tokio::time::sleep(wait).await;
                if lease.lost() {
                    // Its shared slot went to another: take one again.
                    let _ = lease.release().await;
                    lease = self.pools.acquire(&self.pool).await?;
                }
                continue;
            }
            break Answer {
                status,
                version,
                headers: resp_headers,
                body: body.to_vec(),
            };
        };
        if let Err(e) = lease.release().await {
            self.note(format!(
                "warning: the answer stands, but {}",
                crate::error::report(&e).1
            ));
        }
        Ok(answer)
    }

    /// Every item of the list at `first` (GET), in order.
    pub async fn paginate(self: &Arc<Self>, first: Request) -> Result<Paged> {
        let answer = self.send(&first).await?;
        if !answer.status.is_success() {
            return Ok(Paged::Failed(answer));
        }
        if answer.status == StatusCode::NO_CONTENT || answer.body.is_empty() {
            return Ok(Paged::Items(Vec::new()));
        }
        let body = parse(&answer, paginate::page_of(&first.url))?;
        match paginate::shape(&body) {
            Shape::Single => Ok(Paged::Single(answer)),
            Shape::Numbered { current, total } => {
                let rest = (current + 1..=total).collect::<Vec<_>>();
                let mut pages = vec![paginate::items(body)];
                match self.pages(&first, rest).await? {
                    Ok(more) => pages.extend(more.into_iter().map(|(_, v)| paginate::items(v))),
                    Err(failed) => return Ok(Paged::Failed(failed)),
                }
                Ok(Paged::Items(paginate::merge(pages)))
            }
            Shape::Array => {
                let mut pages = vec![paginate::items(body)];
                let mut next = paginate::page_of(&first.url) + 1;
                loop {
                    let batch: Vec<u64> = (next..next + u64::from(self.level())).collect();
                    next += u64::from(self.level());
                    let more = match self.pages(&first, batch).await? {
                        Ok(more) => more,
                        Err(failed) => return Ok(Paged::Failed(failed)),
                    };
                    let mut ended = false;
                    for (_, v) in more {
                        let items = paginate::items(v);
                        if items.is_empty() {
                            ended = true;
                            break;
                        }
                        pages.push(items);
                    }
                    if ended {
                        return Ok(Paged::Items(paginate::merge(pages)));
                    }
                }
            }
            Shape::Cursor { mut next } => {
                let mut pages = vec![paginate::items(body)];
                let mut seen = std::collections::HashSet::new();
                while let Some(query) = next.take() {
                    if !seen.insert(query.clone()) || pages.len() >= MAX_CURSOR_PAGES {
                        break;
                    }
                    let mut req = first.clone();
                    req.url = paginate::with_query(&first.url, &query);
                    let answer = self.send(&req).await?;
                    if !answer.status.is_success() {
                        return Ok(Paged::Failed(answer));
                    }
                    if answer.status == StatusCode::NO_CONTENT || answer.body.is_empty() {
                        break;
                    }
                    let body = parse(&answer, 0)?;
                    if let Shape::Cursor { next: n } = paginate::shape(&body) {
                        next = n;
                    }
                    pages.push(paginate::items(body));
                }
                Ok(Paged::Items(paginate::merge(pages)))
            }
        }
    }

    /// Fetches `numbers` pages of `first` at once (the pool decides how many
    /// fly); their bodies in page order, a 204 as an empty list. The first
    /// failed page (in page order) instead, when one failed.
    async fn pages(
        self: &Arc<Self>,
        first: &Request,
        numbers: Vec<u64>,
    ) -> Result<Result<Vec<(u64, Value)>, Answer>> {
        let mut set = tokio::task::JoinSet::new();
        for n in numbers {
            let (me, mut req) = (self.clone(), first.clone());
            req.url = paginate::with_page(&first.url, n);
            set.spawn(async move { (n, me.send(&req).await) });
        }
        let mut got: BTreeMap<u64, Answer> = BTreeMap::new();
        while let Some(joined) = set.join_next().await {
            let (n, answer) = joined.context("a page request stopped")?;
            got.insert(n, answer?);
        }
        let mut out = Vec::new();
        for (n, answer) in got {
            if !answer.status.is_success() {
                return Ok(Err(answer));
            }
            if answer.status == StatusCode::NO_CONTENT || answer.body.is_empty() {
                out.push((n, Value::Array(Vec::new())));
            } else {
                out.push((n, parse(&answer, n)?));
            }
        }
        Ok(Ok(out))
    }

    /// Checks the token: `v2/store`, then `v2/time` when the token may not
    /// read store information (as `api::check`, within pool and rate limit).
    pub async fn check(&self) -> Check {
        let get = |path: &str| Request::get(self.base.join(path).expect("a relative path"));
        let store = match self.send(&get("v2/store")).await {
            Ok(a) => a,
            Err(e) => return Check::Unreachable(format!("{e:#}")),
        };
        let why = |a: &Answer| {
            a.title()
                .unwrap_or_else(|| String::from_utf8_lossy(&a.body).chars().take(120).collect())
        };
        match store.status {
            StatusCode::OK => {
                return match serde_json::from_slice::<StoreInfo>(&store.body) {
                    Ok(info) => Check::Ok { store: Some(info) },
                    Err(e) => Check::Unreachable(format!("unexpected answer from v2/store: {e}")),
                };
            }
            StatusCode::UNAUTHORIZED => return Check::Invalid(why(&store)),
            StatusCode::FORBIDDEN => {}
            other => {
                return Check::Unreachable(format!("v2/store answered {other}: {}", why(&store)));
            }
        }
        match self.send(&get("v2/time")).await {
            Err(e) => Check::Unreachable(format!("{e:#}")),
            Ok(a) => match a.status {
                StatusCode::OK => Check::Ok { store: None },
                StatusCode::UNAUTHORIZED => Check::Invalid(why(&a)),
                StatusCode::FORBIDDEN => Check::Forbidden(why(&a)),
                other => Check::Unreachable(format!("v2/time answered {other}: {}", why(&a))),
            },
        }
    }
}

fn parse(answer: &Answer, page: u64) -> Result<Value> {
    serde_json::from_slice(&answer.body).map_err(|e| {
        if page > 0 {
            anyhow!("page {page} of the list is not JSON ({e})")
        } else {
            anyhow!("a page of the list is not JSON ({e})")
        }
    })
}

/// What a 429 said it wanted, for the message: ` (X-Retry-After: 3600)`.
fn asked(headers: &HeaderMap) -> String {
    match headers.get("x-retry-after").and_then(|v| v.to_str().ok()) {
        Some(v) => format!(" (X-Retry-After: {})", crate::text::outside(v.trim(), 24)),
        None => String::new(),
    }
}

/// `1.2 s`
pub fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
