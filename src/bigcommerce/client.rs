//! The store API client `bcconn api` and `bcconn status` use: every request
//! holds a slot of the connection's pool while it is in flight, reserves one
//! request of the store's rate-limit window before it is sent, reports the
//! answer's rate-limit headers back, and waits out a 429 (a bounded number
//! of times). It also pages through lists: v3 pages in parallel once page 1
//! tells how many there are, v2 pages a pool's level at a time until a 204
//! (or a page that repeats the one before), cursor lists one page at a time.
//!
//! Everything an answer says is outside input. Paging is capped (`max_pages`)
//! and fed lazily (never more page numbers in hand than the pool's level),
//! whatever `total_pages` claims; a body read whole is capped
//! ([`ANSWER_MAX`], [`PAGES_MAX`]); a body that need not be held is streamed
//! to a [`Sink`] as it arrives.
//!
//! What it has to say while it waits goes to `notes` (a channel the caller
//! drains onto stderr), so it can run on any task.

mod body;
mod graphql;
mod pages;

pub use graphql::{GraphqlPaged, GraphqlPages};

use body::{hold_or_spill, read_body, stream_body};

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Version};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use url::Url;

use super::api::{self, Check, StoreInfo, describe_reqwest};
use super::paginate;
use super::ratelimit;
use super::store_hash::StoreHash;
use super::trace;
use crate::clock::Clock;
use crate::fsutil::human_bytes;
use crate::pool::rate::{MARGIN_MS, WaitWhy};
use crate::pool::{Learned, PoolId, Pools, Reserve, Ticket};

/// How many times one request is retried after a 429.
pub const RETRIES: u32 = 3;
/// `--max-pages` when none is given: a list longer than this is not taken
/// for whole (exit 1), so a server that never ends a list costs at most
/// this many requests of the store's shared quota.
pub const DEFAULT_MAX_PAGES: u64 = 1000;
/// The most of one answer bcconn holds in memory when it must read it whole
/// (a page of `--paginate`, an error answer, a write's answer with `--jq`;
/// a read's answer with `--jq` is held up to what `--jq` takes, less).
/// Without those the body streams to stdout and is not held at all.
pub const ANSWER_MAX: u64 = 64 * 1024 * 1024;
/// The most the bodies of every page of one `--paginate` may add up to:
/// the list is held to be printed as one array. Items are held as the
/// text the store sent (not parsed), so this bounds memory to about this
/// much plus a few dozen bytes an item. With `--jq` the cap is the filter's
/// input limit instead (`jq::INPUT_MAX`), so a list `--jq` would refuse is
/// not fetched to the end.
pub const PAGES_MAX: u64 = 256 * 1024 * 1024;

/// Where a streamed answer goes (`bcconn api` without `--jq`/`--paginate`).
pub trait Sink: Send {
    /// The status line and headers, before any of the body.
    fn head(&mut self, head: &Answer) -> Result<()>;
    /// A piece of the body as it arrived; `false` when the reader has gone
    /// (a closed pipe), so the rest is not downloaded for nothing.
    fn chunk(&mut self, bytes: &[u8]) -> Result<bool>;
    /// The whole body has been given.
    fn end(&mut self) -> Result<()>;
}
/// The longest one wait for the rate limit may be (`--max-wait`): a store
/// that asks for longer is an error, not a silent hour.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);
/// A wait for requests not reported back is said once it is this long.
const SAY_ANSWER_WAIT: Duration = Duration::from_secs(1);

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

    /// `403 Forbidden: <title>`; a title that only says the status's own words
    /// again (`Unauthorized`, `401 Unauthorized: …`) is not let repeat them.
    pub fn headline(&self) -> String {
        let said = self
            .title()
            .map(|t| crate::text::outside(t.trim(), 200))
            .unwrap_or_default();
        let rest = strip_word(&said, self.status.as_str()).unwrap_or(&said);
        let rest = self
            .status
            .canonical_reason()
            .and_then(|reason| strip_word(rest, reason))
            .unwrap_or(rest);
        if rest.is_empty() {
            self.status.to_string()
        } else {
            format!("{}: {rest}", self.status)
        }
    }
}

/// `text` after a leading `word` (any case, a whole word) and the
/// punctuation after it.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let after = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && !after.starts_with(char::is_alphanumeric))
        .then(|| after.trim_start_matches([':', '.', ' ', '-']))
}

/// What paging through a list gave. A list that cannot be had whole (the
/// page cap, a cursor loop, paging bcconn cannot follow, more than
/// [`PAGES_MAX`]) is an error, never a shorter list.
#[derive(Debug)]
pub enum Paged {
    /// Every item of every page, in order, each once, as the store wrote it.
    Items(Vec<paginate::Item>),
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
    /// The most of a 2xx answer held whole ([`ANSWER_MAX`], or what `--jq`
    /// takes); an error answer is held up to [`ANSWER_MAX`].
    held_max: u64,
    /// What the waits (the rate book's, a 429's) sleep on and the times
    /// they are judged by.
    clock: Arc<dyn Clock>,
}

impl Client {
    // Each is chosen by the caller (a test gives its own pools and clock);
    // a builder would let one be forgotten.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        http: reqwest::Client,
        api: &str,
        store: StoreHash,
        token: SecretString,
        pools: Arc<dyn Pools>,
        pool: PoolId,
        notes: Option<UnboundedSender<String>>,
        clock: Arc<dyn Clock>,
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
            held_max: ANSWER_MAX,
            clock,
        })
    }

    /// Sets `--max-wait`.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Client {
        self.max_wait = max_wait;
        self
    }

    /// Sets the most of a 2xx answer held whole (`--jq` takes less than
    /// [`ANSWER_MAX`]: a bigger answer is refused as it arrives).
    pub fn with_held_max(mut self, held_max: u64) -> Client {
        self.held_max = held_max.min(ANSWER_MAX);
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
                            if wait
                                > self
                                    .max_wait
                                    .saturating_add(Duration::from_millis(MARGIN_MS))
                            {
                                return Err(ApiError::WindowTooLong {
                                    store: store.to_string(),
                                    quota,
                                    wait,
                                    max_wait: self.max_wait,
                                    clear: rates.clear_hint(store),
                                }
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
                            for_answers = for_answers.saturating_add(wait);
                            let left = Duration::from_millis(
                                until.saturating_sub(crate::pool::local::now_ms(&*self.clock)),
                            );
                            // As any wait, at most --max-wait in all. Judged
                            // on the time waited, not on `until`: requests
                            // still running (this process's own pages, too)
                            // count to the same end and are answered soon.
                            if for_answers
                                > self
                                    .max_wait
                                    .saturating_add(Duration::from_millis(MARGIN_MS))
                            {
                                return Err(ApiError::UnansweredTooLong {
                                    store: store.to_string(),
                                    out,
                                    waited: for_answers.saturating_sub(wait),
                                    max_wait: self.max_wait,
                                    left,
                                    clear: rates.clear_hint(store),
                                }
                                .into());
                            }
                            if !said_answers && for_answers >= SAY_ANSWER_WAIT {
                                said_answers = true;
                                self.note(format!(
                                    "rate limit: waiting for {out} earlier request{} to store {store} that {} not reported back (killed in flight?): at most {} more",
                                    if out == 1 { "" } else { "s" },
                                    if out == 1 { "has" } else { "have" },
                                    seconds(left)
                                ));
                            }
                        }
                    }
                    self.clock.sleep_async(wait).await;
                }
            }
        }
    }

    /// Reports an answer to the rate book. Once a request was sent, its
    /// answer wins: a book that cannot be written is a warning.
    async fn learn(&self, learned: Learned) {
        let store = self.store.as_str();
        if let Err(e) = self.pools.rates().learn(store, learned).await {
            self.note(format!(
                "warning: the answer stands, but recording store {store}'s rate limit failed: {e:#}"
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
    /// waited out and retried up to [`RETRIES`] times. The body is read
    /// whole, up to [`ANSWER_MAX`].
    pub async fn send(&self, req: &Request) -> Result<Answer> {
        self.exchange(req, None, false).await
    }

    /// As [`Client::send`], but a 2xx answer's body goes to `sink` as it
    /// arrives (the answer returned has an empty body); any other answer is
    /// read whole (bounded) and returned, for its error title.
    pub async fn send_to(&self, req: &Request, sink: &mut dyn Sink) -> Result<Answer> {
        self.exchange(req, Some(sink), false).await
    }

    /// As [`Client::send`] for a write's answer that must not be lost: a 2xx
    /// body larger than the held cap, or one that breaks off, goes to `sink`
    /// raw (what was read, then the rest), and the call fails saying so.
    pub async fn send_or_spill(&self, req: &Request, sink: &mut dyn Sink) -> Result<Answer> {
        self.exchange(req, Some(sink), true).await
    }

    async fn exchange(
        &self,
        req: &Request,
        mut sink: Option<&mut dyn Sink>,
        spill: bool,
    ) -> Result<Answer> {
        let headers = self.headers_for(req)?;
        let mut lease = self.pools.acquire(&self.pool).await?;
        let store = self.store.as_str();
        let mut attempt = 0;
        let mut spilled = None;
        let answer = loop {
            let ticket = self.reserve().await?;
            // The wait for the rate limit may be long: a shared slot lost
            // meanwhile (Redis flushed, restarted) is taken again before
            // sending, so the pool's level holds.
            if lease.lost() {
                self.learn(Learned::unanswered(ticket)).await;
                let _ = lease.release().await;
                lease = self.pools.acquire(&self.pool).await?;
                continue;
            }
            let mut builder = self
                .http
                .request(req.method.clone(), req.url.clone())
                .headers(headers.clone());
            if let Some(body) = &req.body {
                builder = builder.body(body.clone());
            }
            let start = self.clock.instant();
            let sent = match builder.send().await {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(
                        "{}",
                        trace::line(
                            &req.method,
                            &req.url,
                            &describe_reqwest(&e),
                            self.clock.instant().saturating_duration_since(start),
                            None,
                        )
                    );
                    self.learn(Learned::unanswered(ticket)).await;
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
            tracing::debug!(
                "{}",
                trace::line(
                    &req.method,
                    &req.url,
                    &status.to_string(),
                    self.clock.instant().saturating_duration_since(start),
                    Some(&resp_headers),
                )
            );
            let wait = (status == StatusCode::TOO_MANY_REQUESTS).then(|| {
                ratelimit::retry_after(&resp_headers)
                    .unwrap_or(Duration::from_secs(1 << attempt.min(5)))
            });
            self.learn(Learned::answered(
                ticket,
                ratelimit::seen(&resp_headers),
                wait,
            ))
            .await;
            if wait.is_none()
                && status.is_success()
                && let Some(sink) = sink.as_deref_mut()
            {
                let head = Answer {
                    status,
                    version,
                    headers: resp_headers,
                    body: Vec::new(),
                };
                if !spill {
                    stream_body(sent, &head, sink).await?;
                    break head;
                }
                match hold_or_spill(sent, &head, self.held_max, sink).await? {
                    Ok(body) => break Answer { body, ..head },
                    Err(why) => {
                        spilled = Some(why);
                        break head;
                    }
                }
            }
            let max = if status.is_success() {
                self.held_max
            } else {
                ANSWER_MAX
            };
            let body = read_body(sent, status, max).await?;
            if let Some(wait) = wait
                && attempt < RETRIES
            {
                if wait > self.max_wait {
                    return Err(ApiError::RetryTooLong {
                        store: store.to_string(),
                        wait,
                        asked: asked(&resp_headers),
                        max_wait: self.max_wait,
                    }
                    .into());
                }
                attempt += 1;
                self.note(format!(
                    "store {store} answered 429 Too Many Requests{}: waiting {}, then retrying ({attempt} of {RETRIES})",
                    asked(&resp_headers),
                    seconds(wait)
                ));
                self.clock.sleep_async(wait).await;
                // (A lease lost during the sleep is taken again after the
                // next reservation, before sending.)
                continue;
            }
            break Answer {
                status,
                version,
                headers: resp_headers,
                body,
            };
        };
        if let Err(e) = lease.release().await {
            self.note(format!("warning: the answer stands, but {e:#}"));
        }
        if let Some(why) = spilled {
            return Err(why.into());
        }
        Ok(answer)
    }

    /// Checks the token: `v2/store`, then `v2/time` when the token may not
    /// read store information (as `api::check`, within pool and rate limit).
    pub async fn check(&self) -> Check {
        let get = |path: &str| Request::get(self.base.join(path).expect("a relative path"));
        let store = match self.send(&get("v2/store")).await {
            Ok(a) => a,
            Err(e) => return Check::Unreachable(format!("{e:#}")),
        };
        // From outside: escaped and bounded once, here, for every message.
        let why = |a: &Answer| {
            let said = a
                .title()
                .unwrap_or_else(|| String::from_utf8_lossy(&a.body).into_owned());
            crate::text::outside(&said, 200)
        };
        match store.status {
            StatusCode::OK => {
                return match StoreInfo::parse(&store.body) {
                    Ok(info) => Check::Ok { store: Some(info) },
                    Err(e) => Check::Rejected(format!(
                        "v2/store answered 200 with something that is not store information ({})",
                        crate::text::outside(&e, 200)
                    )),
                };
            }
            StatusCode::UNAUTHORIZED => return Check::Invalid(why(&store)),
            StatusCode::FORBIDDEN => {}
            other if api::transient(other) => {
                return Check::Unreachable(format!("v2/store answered {other}: {}", why(&store)));
            }
            other => return api::rejected("v2/store", other, &why(&store)),
        }
        match self.send(&get("v2/time")).await {
            Err(e) => Check::Unreachable(format!("{e:#}")),
            Ok(a) => match a.status {
                StatusCode::OK => Check::Ok { store: None },
                StatusCode::UNAUTHORIZED => Check::Invalid(why(&a)),
                StatusCode::FORBIDDEN => Check::Forbidden(why(&a)),
                other if api::transient(other) => {
                    Check::Unreachable(format!("v2/time answered {other}: {}", why(&a)))
                }
                other => api::rejected("v2/time", other, &why(&a)),
            },
        }
    }
}

/// Why a request or a list was not had whole. Each message says what the
/// store or the rate book did and which limit stopped bcconn; what to do
/// about it is said above, where the command line is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The rate book's window has no request left for longer than `--max-wait`.
    WindowTooLong {
        store: String,
        quota: u32,
        wait: Duration,
        max_wait: Duration,
        /// How to clear the store's rate book by hand.
        clear: String,
    },
    /// Requests sent earlier and never reported back held the rate book
    /// for longer than `--max-wait`.
    UnansweredTooLong {
        store: String,
        out: u32,
        waited: Duration,
        max_wait: Duration,
        /// How much longer they count.
        left: Duration,
        clear: String,
    },
    /// A 429 asked for a wait longer than `--max-wait`.
    RetryTooLong {
        store: String,
        wait: Duration,
        /// What the 429 said it wanted, as [`asked`] shows it.
        asked: String,
        max_wait: Duration,
    },
    /// An answer read whole was larger than `max`; `for_jq` when the cap is
    /// what `--jq` takes rather than [`ANSWER_MAX`].
    TooLarge {
        status: StatusCode,
        max: u64,
        for_jq: bool,
    },
    /// A write's answer broke off; what came was printed unfiltered.
    BrokeOff { got: u64, why: String },
    /// A write's answer was too large for `--jq` and was printed unfiltered.
    Spilled { max: u64 },
    /// A numbered list answered another page than the one asked for.
    OtherPage {
        path: String,
        asked: u64,
        current: u64,
    },
    /// A numbered list has more pages than `--max-pages`.
    TooManyPages { path: String, total: u64, cap: u64 },
    /// A numbered list's page count changed while it was paged through.
    Changed {
        path: String,
        current: u64,
        total: u64,
        page: u64,
        now: u64,
    },
    /// A cursor list gave a cursor again.
    CursorLoop {
        path: String,
        /// The cursor, escaped and bounded for a message.
        cursor: String,
        pages: u64,
    },
    /// The pages' bodies add up to more than `max`; `for_jq` when the cap
    /// is what `--jq` takes rather than [`PAGES_MAX`].
    PagesTooLarge {
        path: String,
        max: u64,
        pages: u64,
        for_jq: bool,
    },
    /// `--max-pages` reached before the list was known to end.
    Capped { path: String, cap: u64 },
    /// Paging that bcconn cannot follow.
    Unfollowable { path: String, why: String },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::WindowTooLong {
                store,
                quota,
                wait,
                max_wait,
                ..
            } => write!(
                f,
                "none of store {store}'s {quota} requests per window are left for {} more, longer than --max-wait {}: not waiting",
                seconds(*wait),
                seconds(*max_wait)
            ),
            ApiError::UnansweredTooLong {
                store,
                out,
                waited,
                max_wait,
                left,
                ..
            } => write!(
                f,
                "waited {} for {out} earlier request{} to store {store} that {} not reported back (killed in flight?), longer than --max-wait {}: not waiting (they count for at most {} more)",
                seconds(*waited),
                if *out == 1 { "" } else { "s" },
                if *out == 1 { "has" } else { "have" },
                seconds(*max_wait),
                seconds(*left)
            ),
            ApiError::RetryTooLong {
                store,
                wait,
                asked,
                max_wait,
            } => write!(
                f,
                "store {store} answered 429 Too Many Requests and asked to wait {}{asked}, longer than --max-wait {}: not waiting",
                seconds(*wait),
                seconds(*max_wait)
            ),
            ApiError::TooLarge {
                status,
                max,
                for_jq: true,
            } => write!(
                f,
                "the answer ({status}) is larger than {}, more than --jq takes",
                human_bytes(*max)
            ),
            ApiError::TooLarge {
                status,
                max,
                for_jq: false,
            } => write!(
                f,
                "the answer ({status}) is larger than {}, more than bcconn holds in memory (for --jq, --paginate or an error)",
                human_bytes(*max)
            ),
            ApiError::BrokeOff { got, why } => write!(
                f,
                "the answer broke off after {}: {why}; what came is printed unfiltered",
                human_bytes(*got)
            ),
            ApiError::Spilled { max } => write!(
                f,
                "the answer is printed unfiltered: it is larger than {} for --jq",
                human_bytes(*max)
            ),
            ApiError::OtherPage {
                path,
                asked,
                current,
            } => write!(
                f,
                "asked for page {asked} of {path}, the answer says it is page {current}; bcconn cannot page through it"
            ),
            ApiError::TooManyPages { path, total, cap } => write!(
                f,
                "{path} says it has {total} pages (total_pages), more than --max-pages {cap}"
            ),
            ApiError::Changed {
                path,
                current,
                total,
                page,
                now,
            } => write!(
                f,
                "{path} changed while bcconn paged through it: page {current} said {total} pages, page {page} says {now}; nothing was printed"
            ),
            ApiError::CursorLoop {
                path,
                cursor,
                pages,
            } => write!(
                f,
                "{path} gave the cursor {cursor} a second time after {pages} pages: the server is going round in a loop"
            ),
            ApiError::PagesTooLarge {
                path,
                max,
                pages,
                for_jq,
            } => write!(
                f,
                "the pages of {path} add up to more than {} after {pages} pages, {}; nothing was printed",
                human_bytes(*max),
                if *for_jq {
                    "more than --jq takes"
                } else {
                    "more than bcconn holds to print one array"
                }
            ),
            ApiError::Capped { path, cap } => write!(
                f,
                "stopped after {cap} pages (--max-pages) of {path}; the list may go on, so nothing was printed"
            ),
            ApiError::Unfollowable { path, why } => {
                write!(f, "bcconn cannot follow the paging of {path}: {why}")
            }
        }
    }
}

impl std::error::Error for ApiError {}

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

// The fake-clock tests time the real clock too, to show a wait took none.
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests;
