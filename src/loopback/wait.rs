//! The wait for BigCommerce's answer: callbacks arrive from the server, each
//! is checked, and the wait ends with one good callback handled, a callback
//! that proves it belongs to this authorization and refuses it, the timeout,
//! or Ctrl-C. It writes nothing and prints only through the [`Progress`] sink.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Result;
use tokio::sync::mpsc;

use super::server::{Hit, Reply};
use crate::bigcommerce::oauth::callback::{self, Callback, CallbackError, Expect};
use crate::seams::{LineReader, Progress, Step, Stop};
use crate::text::outside;

/// What one wait expects.
pub struct Wait<'a> {
    pub expect: Expect<'a>,
    /// The install flow: no `state`, so a callback proves nothing about who
    /// sent it, and no refusal it carries may end the wait.
    pub install: bool,
    pub timeout: Duration,
    /// Where the browser goes when the flow fails (install flow), instead of
    /// an error page.
    pub failed_redirect: Option<String>,
    /// Also read pasted landing addresses (headless): the first good answer,
    /// from the browser or pasted, wins.
    pub paste: Option<Paste<'a>>,
    /// A callback server is listening (false in the paste-back flow: then
    /// the end of standard input ends the wait).
    pub listening: bool,
    /// What the deadline is kept on.
    pub clock: &'a dyn crate::clock::Clock,
}

/// Where pasted addresses come from.
pub struct Paste<'a> {
    /// Makes a reader for the next line (each runs on a thread of its own).
    pub reader: Box<dyn Fn() -> LineReader + 'a>,
    pub callback_url: &'a str,
}

/// How many codes BigCommerce may refuse in the install flow before the
/// wait gives up: each refusal could be a forgery, but not endlessly.
pub const MAX_REFUSED: usize = 5;

/// What the handler made of a callback that passed the checks.
pub enum Handled<T> {
    /// The flow is over: a token, or an error that settles it.
    Done(Result<T>),
    /// BigCommerce refused what the callback carried, and the callback may
    /// be forged (install flow): say why and keep waiting.
    Refused(String),
}

/// Why a wait ended without a token.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("no callback from BigCommerce within {} s", .0.as_secs())]
    Timeout(Duration),
    /// A callback that proved it belongs to this authorization (its state)
    /// carried BigCommerce's refusal: the person pressed Cancel.
    #[error(transparent)]
    Refused(CallbackError),
    /// Too many codes refused in the install flow.
    #[error("BigCommerce refused the code of {0} callbacks in a row; the last said: {1}")]
    TooManyRefused(usize, String),
    #[error("the callback server stopped; no token was saved")]
    ServerStopped,
    /// The person cancelled at the paste prompt.
    #[error("cancelled; no token was saved")]
    Cancelled,
    /// Ctrl-C during the flow.
    #[error("interrupted; no token was saved")]
    Interrupted,
    #[error("standard input ended before a good address was pasted; no token was saved")]
    InputEnded,
}

impl Wait<'_> {
    /// Whether a refused callback ends the wait: only one that proved, by
    /// its state, that it answers this authorization, and only when it
    /// carries BigCommerce's `error` (the person pressed Cancel).
    fn ends_wait(&self, e: &CallbackError) -> bool {
        !self.install && matches!(e, CallbackError::Denied { .. })
    }
}

/// One answer: from the callback server (with a reply for the browser), or
/// pasted (no browser to answer).
enum Incoming {
    Hit(Hit),
    Pasted(HashMap<String, String>),
}

fn refused_page(why: &str) -> Reply {
    Reply::Page {
        ok: false,
        title: "Callback refused".into(),
        body: format!("{why}. bcconn is still waiting for BigCommerce's answer."),
    }
}

/// Why a callback was ignored while the wait goes on. A stale state says
/// what to do now: the wait is not over, so the checks' own "start again"
/// would contradict the "still waiting" that follows it.
fn ignored(e: &CallbackError) -> String {
    match e {
        CallbackError::StateMismatch => "its state does not match this authorization (it may be forged, or from an earlier attempt), so it was refused; open the URL printed above, this run's, and confirm there".to_string(),
        other => other.to_string(),
    }
}

/// Serves callbacks from `hits` (and pasted addresses) until one passes the
/// checks and `handle` settles the flow. A callback that fails the checks
/// gets an error page and one warning line, and the wait goes on.
pub async fn first_good<T>(
    hits: &mut mpsc::Receiver<Hit>,
    w: &Wait<'_>,
    progress: &dyn Progress,
    mut handle: impl AsyncFnMut(Callback) -> (Handled<T>, Reply),
) -> Result<T> {
    let deadline = w.clock.instant() + w.timeout;
    let (paste_tx, mut pasted) = mpsc::unbounded_channel::<Step<String>>();
    // One reader at a time, started only when a line is wanted: a reader
    // prints its prompt, and none must show after a good answer.
    let (mut reading, mut input_ended) = (false, false);
    let mut refused = 0;
    let result = loop {
        if let Some(paste) = &w.paste
            && !reading
            && !input_ended
        {
            let (reader, tx) = ((paste.reader)(), paste_tx.clone());
            std::thread::spawn(move || {
                let _ = tx.send(reader());
            });
            reading = true;
        }
        let left = deadline.saturating_duration_since(w.clock.instant());
        if w.paste.is_none() {
            // A spinner would draw over what a person pastes.
            progress.waiting("Waiting for BigCommerce in the browser", left);
        }
        let incoming = tokio::select! {
            hit = hits.recv() => match hit {
                Some(hit) => Incoming::Hit(hit),
                None => break Err(WaitError::ServerStopped.into()),
            },
            line = pasted.recv(), if reading => {
                reading = false;
                let paste = w.paste.as_ref().expect("reading only with a paste source");
                match line {
                    // An empty Enter asks again, as a shell prompt does: a
                    // warning about "not a URL" would scold a keypress.
                    Some(Ok(line)) if line.trim().is_empty() => continue,
                    Some(Ok(line)) => {
                        match callback::parse_pasted(&line, paste.callback_url) {
                            Ok(params) => Incoming::Pasted(params),
                            Err(why) => {
                                progress.warn(&format!("{}; still waiting", outside(&why, 300)));
                                continue;
                            }
                        }
                    }
                    Some(Err(Stop::Cancelled | Stop::Back)) => {
                        break Err(WaitError::Cancelled.into());
                    }
                    // End of input: keep waiting for the browser alone, if
                    // one can still answer.
                    Some(Err(Stop::Failed(_))) | None if !w.listening => {
                        break Err(WaitError::InputEnded.into());
                    }
                    Some(Err(Stop::Failed(e))) => {
                        tracing::debug!("no more pasted input: {e:#}");
                        input_ended = true;
                        continue;
                    }
                    None => {
                        input_ended = true;
                        continue;
                    }
                }
            },
            _ = w.clock.sleep_async(left.min(Duration::from_secs(1))) => {
                if w.clock.instant() >= deadline {
                    break Err(WaitError::Timeout(w.timeout).into());
                }
                continue;
            }
        };
        let (params, reply) = match incoming {
            Incoming::Hit(hit) => (hit.params, Some(hit.reply)),
            Incoming::Pasted(params) => (params, None),
        };
        let cb = match callback::check(&params, &w.expect) {
            Ok(cb) => cb,
            Err(e) if w.ends_wait(&e) => {
                progress.done_waiting();
                if let Some(reply) = reply {
                    let _ = reply.send(w.failed_reply(&e.to_string()));
                }
                break Err(WaitError::Refused(e).into());
            }
            // Anyone on this machine (or a web page, with an <img>) can send
            // a request here. One that cannot prove it answers *this*
            // authorization is refused, and the wait goes on.
            Err(e) => {
                let why = ignored(&e);
                progress.warn(&format!("ignored a callback: {why}; still waiting"));
                if let Some(reply) = reply {
                    let _ = reply.send(refused_page(&why));
                }
                continue;
            }
        };
        progress.done_waiting();
        progress.step("Callback received");
        let (handled, page) = handle(cb).await;
        match handled {
            Handled::Done(outcome) => {
                if let Some(reply) = reply {
                    let _ = reply.send(page);
                }
                break outcome;
            }
            Handled::Refused(why) => {
                refused += 1;
                if let Some(reply) = reply {
                    let _ = reply.send(refused_page(&why));
                }
                if refused >= MAX_REFUSED {
                    break Err(WaitError::TooManyRefused(refused, why).into());
                }
                progress.warn(&format!(
                    "ignored a callback: {why} (it may be forged: the install flow has no state); still waiting"
                ));
            }
        }
    };
    progress.done_waiting();
    result
}

impl Wait<'_> {
    fn failed_reply(&self, why: &str) -> Reply {
        failed_reply(self.failed_redirect.as_deref(), why)
    }
}

/// What the browser gets when the flow failed: BigCommerce's failure page
/// in the install flow (`redirect`), else a page that says why.
pub fn failed_reply(redirect: Option<&str>, why: &str) -> Reply {
    match redirect {
        Some(url) => Reply::Redirect(url.to_string()),
        None => Reply::Page {
            ok: false,
            title: "Authorization failed".into(),
            body: format!("{why}. The terminal says what to do next; you can close this window."),
        },
    }
}

/// Listens for Ctrl-C from now on. The handler is registered here, not on
/// first poll, so a Ctrl-C right after the URL is printed is caught too.
/// Must be called inside the runtime.
pub fn on_interrupt() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    #[cfg(windows)]
    let mut signal = tokio::signal::windows::ctrl_c()?;
    Ok(async move {
        signal.recv().await;
    })
}

/// Runs `flow` until it ends or Ctrl-C comes, whichever is first.
pub async fn until_interrupted<T>(flow: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let interrupted = on_interrupt()?;
    tokio::select! {
        r = flow => r,
        _ = interrupted => Err(WaitError::Interrupted.into()),
    }
}
