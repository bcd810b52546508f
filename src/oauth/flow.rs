//! "Save & authorize", the part that talks to BigCommerce: open the consent
//! page, catch the callback, exchange the code, verify the token. It writes
//! nothing; the caller commits the result only when this returns `Ok`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use secrecy::SecretString;

use crate::bigcommerce::api::{self, Check, StoreInfo};
use crate::bigcommerce::scopes;
use crate::bigcommerce::store_hash::StoreHash;
use crate::cli::Flow;
use crate::error::{Failure, cancelled, failure};
use crate::oauth::callback::{self, Callback, CallbackError, Expect};
use crate::oauth::exchange::{self, Credentials, Exchanged};
use crate::oauth::server::{self, Reply, Server};
use crate::oauth::{browser, urls};
use crate::store::BcUser;
use crate::ui::Ui;

/// Everything one authorization needs.
pub struct Request<'a> {
    pub login: &'a str,
    pub api: &'a str,
    pub creds: Credentials<'a>,
    pub store: &'a StoreHash,
    pub scopes: &'a [String],
    pub flow: Flow,
    pub no_browser: bool,
    pub timeout: Duration,
    pub listen: Option<std::net::SocketAddr>,
    pub browser: Option<&'a str>,
}

/// A verified token and what BigCommerce said about it.
pub struct Authorized {
    pub token: SecretString,
    pub granted: Vec<String>,
    pub user: Option<BcUser>,
    pub owner: Option<BcUser>,
    pub account_uuid: Option<String>,
    pub store: Option<StoreInfo>,
}

pub async fn run(req: Request<'_>, ui: &Ui) -> Result<Authorized> {
    let state = urls::new_state();
    let url = match req.flow {
        Flow::Install => urls::install_url(req.login, req.creds.client_id),
        _ => urls::authorize_url(
            req.login,
            req.creds.client_id,
            req.creds.callback_url,
            req.scopes,
            req.store,
            &state,
        ),
    };
    let expect_state = (req.flow != Flow::Install).then_some(state.as_str());
    if req.flow == Flow::Manual {
        return manual(&req, &url, expect_state, ui).await;
    }
    // Bind first: a busy port should fail before a browser opens.
    let bound = server::bind(req.creds.callback_url, req.listen)?;
    tracing::debug!("listening on {:?}{}", bound.addrs, bound.path);
    let (server, mut hits) = Server::start(bound)?;

    ui.say(&if req.no_browser {
        format!(
            "Open this URL in a browser to authorize store {}:",
            req.store
        )
    } else {
        format!(
            "Opening the browser to authorize store {}; if it does not open, visit:",
            req.store
        )
    });
    ui.say(&format!("  {url}"));
    if !req.no_browser
        && let Err(why) = browser::open(&url, req.browser)
    {
        ui.warn(&format!(
            "could not open a browser ({why}); open the URL above yourself. Still waiting."
        ));
    }

    let deadline = Instant::now() + req.timeout;
    let spinner = Spinner::new(ui);
    let result: Result<Authorized> = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        spinner.tick(left);
        let hit = tokio::select! {
            hit = hits.recv() => hit,
            _ = tokio::time::sleep(left.min(spinner.refresh())) => {
                if Instant::now() >= deadline {
                    break Err(failure(format!(
                        "no callback from BigCommerce within {} s; no token was saved",
                        req.timeout.as_secs()
                    ))
                    .hint("run it again (--timeout SECONDS gives more time); if the browser showed an error, check the app's callback URL")
                    .into());
                }
                continue;
            }
        };
        let Some(hit) = hit else { continue };
        let checked = callback::check(
            &hit.params,
            &Expect {
                state: expect_state,
                store: req.store,
            },
        );
        let cb = match checked {
            Ok(cb) => cb,
            // Anyone on this machine (or a web page, with an <img>) can send
            // a request here. One that is not BigCommerce answering *this*
            // authorization is refused and the wait goes on; only a genuine
            // answer (right state, or in the install flow a code or an
            // error) ends it.
            Err(e) if is_stray(&e, &hit.params, req.flow) => {
                spinner.suspend(|| {
                    ui.warn(&format!(
                        "ignored a request to the callback URL: {e}; still waiting"
                    ))
                });
                let _ = hit.reply.send(Reply::Page {
                    ok: false,
                    title: "Callback refused".into(),
                    body: format!("{e}. bcconn is still waiting for BigCommerce's answer."),
                });
                continue;
            }
            Err(e) => {
                spinner.clear();
                let _ = hit.reply.send(failed_reply(&req, &e.to_string()));
                break Err(failure(e.to_string()).into());
            }
        };
        spinner.clear();
        ui.step("Callback received");
        let outcome = finish(&req, &cb, ui).await;
        let reply = match &outcome {
            Ok(done) => success_reply(&req, done),
            Err(e) => failed_reply(&req, &crate::error::report(e).1),
        };
        let _ = hit.reply.send(reply);
        break outcome;
    };
    spinner.clear();
    server.shutdown().await;
    result
}

/// A refused callback that did not come from this authorization's answer.
fn is_stray(e: &CallbackError, params: &HashMap<String, String>, flow: Flow) -> bool {
    match e {
        CallbackError::StateMismatch => true,
        _ if flow == Flow::Install => !params.contains_key("code") && !params.contains_key("error"),
        _ => false,
    }
}

/// `--flow manual`: the person opens the URL anywhere and pastes back the
/// address the browser landed on (an error page, since nothing listens).
async fn manual(
    req: &Request<'_>,
    url: &str,
    expect_state: Option<&str>,
    ui: &Ui,
) -> Result<Authorized> {
    ui.say("Open this URL in any browser, confirm, then copy the address of the page it lands on");
    ui.say("(it will not load: nothing is listening there) and paste it here:");
    ui.say(&format!("  {url}"));
    let callback_url = req.creds.callback_url.to_string();
    // A plain thread, not spawn_blocking: a blocked stdin read must not keep
    // the runtime (and so bcconn) alive after a timeout or Ctrl-C.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(read_pasted(&callback_url));
    });
    let pasted = tokio::select! {
        r = rx => r.map_err(|_| failure("reading the pasted address failed"))??,
        _ = tokio::time::sleep(req.timeout) => {
            return Err(failure(format!("nothing was pasted within {} s; no token was saved", req.timeout.as_secs())).into());
        }
    };
    let cb = callback::check(
        &pasted,
        &Expect {
            state: expect_state,
            store: req.store,
        },
    )
    .map_err(|e| failure(e.to_string()))?;
    ui.step("Callback address accepted");
    finish(req, &cb, ui).await
}

fn read_pasted(callback_url: &str) -> Result<std::collections::HashMap<String, String>, Failure> {
    use std::io::{BufRead, IsTerminal};
    let line = if std::io::stdin().is_terminal() {
        inquire::Text::new("Address:")
            .prompt()
            .map_err(|_| cancelled("cancelled; no token was saved"))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| failure(format!("reading the pasted address: {e}")))?;
        line
    };
    callback::parse_pasted(&line, callback_url).map_err(failure)
}

/// Exchange and verify: everything after a good callback.
async fn finish(req: &Request<'_>, cb: &Callback, ui: &Ui) -> Result<Authorized> {
    let http = api::http_client();
    let Exchanged {
        token,
        scopes: granted,
        user,
        owner,
        context,
        account_uuid,
    } = exchange::exchange(&http, req.login, &req.creds, cb).await?;
    ui.step(&format!(
        "Code exchanged for a token; scopes granted: {}",
        if granted.is_empty() {
            "none listed".to_string()
        } else {
            granted.join(" ")
        }
    ));
    let expected = req.store.context();
    if context.as_deref() != Some(expected.as_str()) {
        return Err(failure(format!(
            "BigCommerce issued the token for {:?}, not {expected}; it was not saved",
            context.unwrap_or_default()
        ))
        .into());
    }
    let store = match api::check(&http, req.api, req.store, &token).await {
        Check::Ok { store: Some(info) }
            if info
                .id
                .as_deref()
                .is_some_and(|id| id != req.store.as_str()) =>
        {
            return Err(failure(format!(
                "the store API says the token belongs to store {:?}, not {}; it was not saved",
                info.id.unwrap_or_default(),
                req.store
            ))
            .into());
        }
        Check::Ok { store } => store,
        Check::Invalid(why) => {
            return Err(failure(format!(
                "the store API refused the new token (401: {why}); it was not saved"
            ))
            .into());
        }
        Check::Forbidden(why) => {
            return Err(failure(format!(
                "the new token cannot reach store {} (403: {why}); it was not saved",
                req.store
            ))
            .into());
        }
        Check::Unreachable(why) => {
            return Err(failure(format!(
                "could not verify the new token: {why}; it was not saved"
            ))
            .hint("check your network, or BCCONN_API_URL if you set it")
            .into());
        }
    };
    match &store {
        Some(info) => ui.step(&format!(
            "Token verified: store {}{}",
            info.name.as_deref().unwrap_or(req.store.as_str()),
            info.domain
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )),
        None => ui.step(&format!("Token verified against store {}", req.store)),
    }
    let missing = scopes::missing(req.scopes, &granted);
    for scope in &missing {
        ui.warn(&format!("BigCommerce did not grant {scope}; set it in the app's scopes in the Developer Portal, then authorize again"));
    }
    Ok(Authorized {
        token,
        granted,
        user,
        owner,
        account_uuid,
        store,
    })
}

fn success_reply(req: &Request<'_>, done: &Authorized) -> Reply {
    if req.flow == Flow::Install {
        return Reply::Redirect(urls::install_result_url(
            req.login,
            req.creds.client_id,
            true,
        ));
    }
    let name = done
        .store
        .as_ref()
        .and_then(|s| s.name.clone())
        .unwrap_or_else(|| req.store.to_string());
    Reply::Page {
        ok: true,
        title: format!("Connected to {name}"),
        body: "bcconn has the token. You can close this window and go back to the terminal.".into(),
    }
}

fn failed_reply(req: &Request<'_>, why: &str) -> Reply {
    if req.flow == Flow::Install {
        return Reply::Redirect(urls::install_result_url(
            req.login,
            req.creds.client_id,
            false,
        ));
    }
    Reply::Page {
        ok: false,
        title: "Authorization failed".into(),
        body: format!("{why}. The terminal says what to do next; you can close this window."),
    }
}

/// A spinner with the time left, shown only when stderr is a terminal.
struct Spinner {
    bar: Option<indicatif::ProgressBar>,
}

impl Spinner {
    fn new(ui: &Ui) -> Spinner {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return Spinner { bar: None };
        }
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        if !ui.color() {
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap()
                    .tick_chars("-\\|/ "),
            );
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner { bar: Some(bar) }
    }

    fn refresh(&self) -> Duration {
        if self.bar.is_some() {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(3600)
        }
    }

    fn tick(&self, left: Duration) {
        if let Some(bar) = &self.bar {
            let s = left.as_secs();
            bar.set_message(format!(
                "Waiting for BigCommerce in the browser… {}:{:02} left (Ctrl-C to stop)",
                s / 60,
                s % 60
            ));
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Prints without the spinner drawing over it.
    fn suspend(&self, f: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
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
        _ = interrupted => Err(cancelled("interrupted; no token was saved").into()),
    }
}
