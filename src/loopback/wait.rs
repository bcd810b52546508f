//! The wait for BigCommerce's answer: callbacks arrive from the server, each
//! is checked, and the wait ends with one good callback handled, a callback
//! that proves it belongs to this authorization and refuses it, the timeout,
//! or Ctrl-C. It writes nothing and prints only through the [`Progress`] sink.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::mpsc;

use super::server::{Hit, Reply};
use crate::bigcommerce::oauth::callback::{self, Callback, CallbackError, Expect};
use crate::error::{cancelled, failure};
use crate::seams::{LineReader, Progress, Stop};

/// What one wait expects.
pub struct Wait<'a> {
    pub expect: Expect<'a>,
    /// The install flow: no `state`, so what a callback proves is weaker.
    pub install: bool,
    pub timeout: Duration,
    /// Where the browser goes when the flow fails (install flow), instead of
    /// an error page.
    pub failed_redirect: Option<String>,
}

/// Why a wait ended without a token.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("no callback from BigCommerce within {} s", .0.as_secs())]
    Timeout(Duration),
    /// A callback that belongs to this authorization refused it.
    #[error(transparent)]
    Refused(CallbackError),
}

impl Wait<'_> {
    fn failed_reply(&self, why: &str) -> Reply {
        match &self.failed_redirect {
            Some(url) => Reply::Redirect(url.clone()),
            None => Reply::Page {
                ok: false,
                title: "Authorization failed".into(),
                body: format!(
                    "{why}. The terminal says what to do next; you can close this window."
                ),
            },
        }
    }

    /// A refused callback that did not come from this authorization's answer.
    fn is_stray(&self, e: &CallbackError, params: &HashMap<String, String>) -> bool {
        match e {
            CallbackError::StateMismatch => true,
            _ if self.install => !params.contains_key("code") && !params.contains_key("error"),
            _ => false,
        }
    }
}

/// Serves callbacks from `hits` until one passes the checks; `handle` turns
/// it into the result and the browser's reply.
pub async fn first_good<T>(
    hits: &mut mpsc::Receiver<Hit>,
    w: &Wait<'_>,
    progress: &dyn Progress,
    handle: impl AsyncFnOnce(Callback) -> (Result<T>, Reply),
) -> Result<T> {
    let deadline = Instant::now() + w.timeout;
    let result = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        progress.waiting("Waiting for BigCommerce in the browser", left);
        let hit = tokio::select! {
            hit = hits.recv() => hit,
            _ = tokio::time::sleep(left.min(Duration::from_secs(1))) => {
                if Instant::now() >= deadline {
                    break Err(WaitError::Timeout(w.timeout).into());
                }
                continue;
            }
        };
        let Some(hit) = hit else { continue };
        let cb = match callback::check(&hit.params, &w.expect) {
            Ok(cb) => cb,
            // Anyone on this machine (or a web page, with an <img>) can send
            // a request here. One that is not BigCommerce answering *this*
            // authorization is refused and the wait goes on.
            Err(e) if w.is_stray(&e, &hit.params) => {
                progress.warn(&format!(
                    "ignored a request to the callback URL: {e}; still waiting"
                ));
                let _ = hit.reply.send(Reply::Page {
                    ok: false,
                    title: "Callback refused".into(),
                    body: format!("{e}. bcconn is still waiting for BigCommerce's answer."),
                });
                continue;
            }
            Err(e) => {
                progress.done_waiting();
                let _ = hit.reply.send(w.failed_reply(&e.to_string()));
                break Err(WaitError::Refused(e).into());
            }
        };
        progress.done_waiting();
        progress.step("Callback received");
        let (outcome, reply) = handle(cb).await;
        let _ = hit.reply.send(reply);
        break outcome;
    };
    progress.done_waiting();
    result
}

/// The manual flow: reads the address the person pasted, within `timeout`.
/// The read runs on a plain thread, not spawn_blocking: a blocked stdin read
/// must not keep the runtime (and so bcconn) alive after a timeout or Ctrl-C.
pub async fn pasted(
    reader: LineReader,
    callback_url: &str,
    timeout: Duration,
) -> Result<HashMap<String, String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(reader());
    });
    let line = tokio::select! {
        r = rx => r.map_err(|_| failure("reading the pasted address failed"))?,
        _ = tokio::time::sleep(timeout) => return Err(WaitError::Timeout(timeout).into()),
    };
    let line = match line {
        Ok(line) => line,
        Err(Stop::Cancelled) => return Err(cancelled("cancelled; no token was saved").into()),
        Err(Stop::Failed(e)) => return Err(e),
    };
    callback::parse_pasted(&line, callback_url).map_err(|e| failure(e).into())
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
        _ = interrupted => Err(cancelled("interrupted; no token was saved").into()),
    }
}
