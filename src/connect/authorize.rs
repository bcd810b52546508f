//! "Save & authorize" for a saved OAuth connection: preflight, the browser
//! and the wait for BigCommerce's callback, the code exchange, verifying the
//! token against the store, then the one commit. It reports through
//! `ctx.progress` only, so it runs the same in-process under a test.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use secrecy::SecretString;

use super::commit::{Changes, Grant, Target, save_token};
use super::rules;
use super::runtime;
use super::tokens::Verified;
use crate::bigcommerce::api::{self, Check, StoreInfo};
use crate::bigcommerce::oauth::callback::{Callback, Expect};
use crate::bigcommerce::oauth::exchange::{self, Credentials, ExchangeError, Exchanged};
use crate::bigcommerce::oauth::{Flow, urls};
use crate::bigcommerce::scopes;
use crate::bigcommerce::store_hash::StoreHash;
use crate::context::Context;
use crate::error::{ExitStatus, Failure, failure, usage};
use crate::loopback::server::{self, BindError, Reply, Server};
use crate::loopback::wait::{self, Handled, Paste, Wait, WaitError};
use crate::secrets::iclient_account;
use crate::store::{self, AuthType, Connection, IClient, State};
use crate::text::shell_word;

pub use crate::bigcommerce::oauth::FlowOptions;

/// The iClient a flow runs with: saved, or about to be saved by `create`.
pub struct App<'a> {
    pub name: &'a str,
    pub client_id: &'a str,
    pub callback_url: &'a str,
}

impl<'a> From<&'a IClient> for App<'a> {
    fn from(ic: &'a IClient) -> Self {
        App {
            name: &ic.name,
            client_id: &ic.client_id,
            callback_url: &ic.callback_url,
        }
    }
}

/// Checks, before anything is saved or a browser opens, that a flow with
/// this app can run: the URLs are sane, the token's secret store opens, the
/// callback can be received here.
pub fn preflight(ctx: &Context, app: &App, store: &StoreHash, opts: &FlowOptions) -> Result<()> {
    crate::env::check_base_url("BCCONN_LOGIN_URL", &ctx.env.login_url)?;
    crate::env::check_base_url("BCCONN_API_URL", &ctx.env.api_url)?;
    ctx.default_secrets()?;
    // Before the callback port: a machine that waits its turn must not be
    // told the port is taken by the one authorizing.
    hold(ctx, app, store, opts)?;
    can_receive(app, opts)?;
    Ok(())
}

/// One machine at a time per app and store, through the commit (held
/// until this run ends; see `Records::hold_authorize`).
fn hold(ctx: &Context, app: &App, store: &StoreHash, opts: &FlowOptions) -> Result<()> {
    ctx.records.hold_authorize(
        app.client_id,
        store.as_str(),
        opts.wait.then_some(opts.timeout),
        &|line| ctx.progress.say(line),
    )
}

/// Whether the callback can be received here as `opts` say (always, for
/// the paste-back flow): its port is bound and released at once.
pub fn can_receive(app: &App, opts: &FlowOptions) -> Result<(), Failure> {
    if opts.flow != Flow::Manual {
        drop(server::bind(app.callback_url, opts.listen).map_err(|e| bind_failure(e, app))?);
    }
    Ok(())
}

/// The client secret of a saved iClient, or why it cannot be read.
pub fn client_secret(ctx: &Context, ic: &IClient) -> Result<SecretString> {
    ctx.secrets(ic.secret_store)?
        .get(&iclient_account(&ic.id))?
        .ok_or_else(|| {
            failure(format!(
                "the client secret of iClient {:?} is missing from {}",
                ic.name,
                ic.secret_store.describe()
            ))
            .hint(format!(
                "set it with `bcconn iclient edit {} --secret`",
                shell_word(&ic.name)
            ))
            .into()
        })
}

/// How `bcconn authorize` checks with the person before a flow that does
/// more than renew a token: it changes the connection's settings, or it
/// ends a sibling's live token.
#[derive(Clone, Copy, Debug)]
pub struct Consent {
    /// `--yes`: ask nothing, refuse nothing.
    pub yes: bool,
    /// The connection was matched by store hash and iClient, not named: say
    /// which one is updated even when no setting changes.
    pub matched: bool,
}

/// Authorizes the saved connection `id`, applying `changes` with the new
/// token. `secret` is the client secret when the caller already read it (so
/// the keyring is asked once). On failure nothing changes, except that a
/// connection that never had a token is marked `failed` with the reason.
pub fn authorize_saved(
    ctx: &Context,
    id: &str,
    opts: &FlowOptions,
    changes: Changes,
    secret: Option<&SecretString>,
) -> Result<Connection> {
    authorize_with(ctx, id, opts, changes, secret, None)
}

/// [`authorize_saved`] for `bcconn authorize`: first says what the changes
/// do, and asks (on a terminal) or refuses (without one, unless `--yes`)
/// before dropping scopes; asks before ending a sibling's live token.
pub fn authorize_consented(
    ctx: &Context,
    id: &str,
    opts: &FlowOptions,
    changes: Changes,
    consent: Consent,
) -> Result<Connection> {
    authorize_with(ctx, id, opts, changes, None, Some(consent))
}

/// Both: a secret already read, and the consent of `bcconn authorize` (for
/// `create` with flags, which has read the secret and must still ask).
pub(super) fn authorize_with(
    ctx: &Context,
    id: &str,
    opts: &FlowOptions,
    changes: Changes,
    secret: Option<&SecretString>,
    consent: Option<Consent>,
) -> Result<Connection> {
    let file = ctx.records.load()?;
    let conn = file
        .connection_by_id(id)?
        .ok_or_else(|| usage("the connection was deleted meanwhile"))?
        .clone();
    // Only a connection that never had a token becomes `failed`: an invalid
    // or superseded one keeps what bcconn learned about its old token.
    let first = matches!(conn.state, State::Pending | State::Failed);
    match try_authorize(ctx, &conn, opts, changes, secret, consent) {
        Ok(saved) => {
            say_saved(ctx, &saved);
            Ok(saved)
        }
        Err((stage, e)) if first => Err(mark_failed(ctx, id, e, stage != Stage::Before)),
        Err((Stage::Exchanged, e)) => Err(old_token_ended(e, &conn)),
        Err((_, e)) => Err(old_token_kept(e, &conn)),
    }
}

/// How far a failed authorization got, which decides what its error can
/// say about the token in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Refused before the flow started: nothing was tried.
    Before,
    /// The flow started, but BigCommerce issued no token.
    Started,
    /// BigCommerce issued a new token (the code was exchanged), which
    /// ended the old one, and then verifying or saving it failed.
    Exchanged,
}

/// A failed re-authorization changed nothing: the token in use is never
/// overwritten (a new one goes under the next generation), so the error
/// says the old one is still there. Not said for a refused input (exit 2),
/// where nothing was tried.
pub fn old_token_kept(e: anyhow::Error, conn: &Connection) -> anyhow::Error {
    about_the_old_token(
        e,
        conn,
        format!(
            "{} keeps its old token: nothing was saved",
            rules::shown(&conn.name)
        ),
    )
}

/// A failed re-authorization after the code exchange: nothing was saved,
/// but BigCommerce keeps one token per app and store, so the token it just
/// issued ended the old one. Saying the old one is kept would send people
/// to a token that no longer works; they need to authorize again.
fn old_token_ended(e: anyhow::Error, conn: &Connection) -> anyhow::Error {
    about_the_old_token(
        e,
        conn,
        format!(
            "the old token of {} has probably ended: BigCommerce issued a new one, which was not saved; authorize again with `bcconn authorize {}`",
            rules::shown(&conn.name),
            shell_word(&conn.name)
        ),
    )
}

/// `e` with a last hint on what became of a connection's old token; only
/// for a connection that had one, and not for a refused input (exit 2),
/// where nothing was tried.
fn about_the_old_token(e: anyhow::Error, conn: &Connection, hint: String) -> anyhow::Error {
    let report = crate::error::report(&e);
    if conn.token_store.is_none() || report.status == ExitStatus::Usage {
        return e;
    }
    let mut f = Failure::new(report.status, report.message);
    f.hints = report.hints;
    f.also(hint).into()
}

/// The success screen of an authorization: the store it is for, where the
/// token went, and how scripts use it.
pub fn say_saved(ctx: &Context, saved: &Connection) {
    ctx.progress.step(&format!(
        "Saved: {:?} is authorized for {}; its token is in {}",
        saved.name,
        store_named(saved),
        saved.token_store.expect("just saved").describe()
    ));
    ctx.progress.say(&format!(
        "Use it from scripts: bcconn token {}",
        shell_word(&saved.name)
    ));
}

/// "Acme Shop (store abc123)": the store as its token's check named it.
pub fn store_named(c: &Connection) -> String {
    match &c.store_name {
        Some(name) => format!(
            "{} (store {})",
            crate::text::outside(name, 100),
            c.store_hash
        ),
        None => format!("store {}", c.store_hash),
    }
}

/// A connection that never had a token keeps what went wrong, and the error
/// says how to finish it. Interrupted is not failed, and neither is a run
/// that never started its flow (`started` false: a busy port, for instance
/// another run of the same connection still waiting): those leave the
/// state as it was.
fn mark_failed(ctx: &Context, id: &str, e: anyhow::Error, started: bool) -> anyhow::Error {
    let report = crate::error::report(&e);
    if report.status == ExitStatus::Usage {
        return e;
    }
    let interrupted = report.status == ExitStatus::Interrupted;
    let name = ctx.records.update(|file| {
        let Some(c) = file
            .connection_by_id_mut(id)?
            .filter(|c| matches!(c.state, State::Pending | State::Failed))
        else {
            return Ok(None);
        };
        if !interrupted && started {
            c.state = State::Failed;
            let now = store::now();
            c.last_error = Some(report.message.clone());
            c.last_error_at = Some(now.clone());
            c.updated_at = now;
        }
        Ok(Some(c.name.clone()))
    });
    // The connection stays saved: say how to finish it.
    let Ok(Some(name)) = name else { return e };
    let retry = if interrupted {
        format!(
            "the connection is saved; authorize it later with `bcconn authorize {}`",
            shell_word(&name)
        )
    } else {
        format!(
            "the connection is saved; once that is fixed, run `bcconn authorize {}`",
            shell_word(&name)
        )
    };
    let mut f = Failure::new(report.status, report.message);
    f.hints = report.hints;
    f.also(retry).into()
}

fn try_authorize(
    ctx: &Context,
    conn: &Connection,
    opts: &FlowOptions,
    changes: Changes,
    secret: Option<&SecretString>,
    consent: Option<Consent>,
) -> Result<Connection, (Stage, anyhow::Error)> {
    let before = |e: anyhow::Error| (Stage::Before, e);
    if conn.auth_type != AuthType::Oauth2 {
        return Err(before(
            usage(format!(
                "{} is {}, not an OAuth 2.0 connection",
                rules::shown(&conn.name),
                rules::auth_kind(conn.auth_type)
            ))
            .into(),
        ));
    }
    let file = ctx.records.load().map_err(before)?;
    changes.check(&file, &conn.id).map_err(before)?;
    let iclient = match &changes.iclient {
        Some(name) => file.require_iclient(name).map_err(before)?,
        None => match conn.iclient_id.as_deref() {
            Some(id) => file.iclient_by_id(id).map_err(before)?,
            None => None,
        }
        .ok_or_else(|| {
            usage(format!("connection {:?} has no iClient", conn.name)).hint(format!(
                "choose one with `bcconn edit {} --iclient NAME`",
                shell_word(&conn.name)
            ))
        })
        .map_err(|e| before(e.into()))?,
    };
    let app = App::from(iclient);
    preflight(ctx, &app, &conn.store_hash, opts).map_err(before)?;
    if let Some(consent) = consent {
        agree_to_changes(ctx, &file, conn, &changes, consent).map_err(before)?;
    }
    // Said before the browser opens: this ends the siblings' tokens (the
    // siblings it will have, through the app it will use).
    let mut me = conn.clone();
    me.iclient_id = Some(iclient.id.clone());
    let siblings = file.siblings_of(&me).map_err(before)?;
    // One line, however many siblings there are.
    let ended: Vec<&str> = siblings
        .iter()
        .filter(|s| s.state == State::Authorized)
        .map(|s| s.name.as_str())
        .collect();
    let what = match ended.len() {
        0 => None,
        1 => Some(format!(
            "authorizing {} ends the token of {}: BigCommerce keeps one token per app and store",
            rules::shown(&conn.name),
            rules::shown(ended[0])
        )),
        n => Some(format!(
            "authorizing {} ends the tokens of {n} connections ({}): BigCommerce keeps one token per app and store",
            rules::shown(&conn.name),
            rules::few_names(&ended)
        )),
    };
    if let Some(what) = what {
        match consent {
            // A live token is work someone relies on: on a terminal, the
            // person says yes first.
            Some(c) if !c.yes && ctx.interactive => {
                if !agree(ctx, &format!("{}. Go on?", crate::text::capitalized(&what)))
                    .map_err(before)?
                {
                    return Err(before(not_authorized(conn).into()));
                }
            }
            // A script that did not pass --yes goes on as before, and the
            // log says it did so knowingly.
            Some(c) if !c.yes => ctx
                .progress
                .warn(&format!("{what} (no terminal to ask: going on)")),
            _ => ctx.progress.warn(&what),
        }
    }
    let secret = match secret {
        Some(s) => s.clone(),
        None => client_secret(ctx, iclient).map_err(before)?,
    };
    let scopes = changes.scopes.as_ref().unwrap_or(&conn.scopes);
    let exchanged = AtomicBool::new(false);
    let grant = flow(
        ctx,
        &app,
        &secret,
        &conn.store_hash,
        scopes,
        opts,
        &exchanged,
    )
    .map_err(|e| {
        let stage = if exchanged.load(Ordering::SeqCst) {
            Stage::Exchanged
        } else {
            Stage::Started
        };
        (stage, e)
    })?;
    let target = Target::Saved {
        conn: conn.clone(),
        changes,
        client_id: Some(app.client_id.to_string()),
    };
    save_token(ctx, target, grant).map_err(|e| (Stage::Exchanged, e))
}

/// Says what `changes` do to `conn`, and asks before (or, without a
/// terminal and `--yes`, refuses) dropping scopes it asks for today.
fn agree_to_changes(
    ctx: &Context,
    file: &store::Tx,
    conn: &Connection,
    changes: &Changes,
    consent: Consent,
) -> Result<()> {
    let effect = changes.effect(file, &conn.id)?;
    let name = rules::shown(&conn.name);
    let n = effect.dropped.len();
    let scopes = rules::few_scopes(&effect.dropped);
    let plural = if n == 1 { "" } else { "s" };
    if n > 0 && !consent.yes && !ctx.interactive {
        return Err(usage(format!(
            "--scopes would drop {n} scope{plural} from {name}: {scopes}"
        ))
        .hint(format!(
            "pass --yes to drop {}, or add {} to --scopes to keep {}",
            rules::them(n),
            rules::them(n),
            rules::them(n)
        ))
        .into());
    }
    if !effect.parts.is_empty() {
        ctx.progress
            .say(&format!("updating {name}: {}", effect.line()));
    } else if consent.matched {
        ctx.progress.say(&format!(
            "authorizing {name} again, the connection for store {} through this iClient; its settings stay as they are",
            conn.store_hash
        ));
    }
    if n == 0
        || consent.yes
        || agree(
            ctx,
            &format!("Drop {n} scope{plural} from {name} ({scopes})?"),
        )?
    {
        return Ok(());
    }
    Err(not_authorized(conn).into())
}

/// A yes/no question whose answer defaults to no.
fn agree(ctx: &Context, question: &str) -> Result<bool> {
    ctx.ask(|p| p.confirm(question, false, None))
        .map_err(super::intake::stopped)
}

fn not_authorized(conn: &Connection) -> Failure {
    crate::error::cancelled(format!(
        "{} was not authorized; nothing changed",
        rules::shown(&conn.name)
    ))
}

/// Runs the browser flow to a verified token. Writes nothing.
pub fn run_flow(
    ctx: &Context,
    app: &App,
    secret: &SecretString,
    store: &StoreHash,
    scopes: &[String],
    opts: &FlowOptions,
) -> Result<Grant> {
    flow(
        ctx,
        app,
        secret,
        store,
        scopes,
        opts,
        &AtomicBool::new(false),
    )
}

/// [`run_flow`], setting `exchanged` once BigCommerce issued a token (so a
/// later failure knows the old token has ended).
fn flow(
    ctx: &Context,
    app: &App,
    secret: &SecretString,
    store: &StoreHash,
    scopes: &[String],
    opts: &FlowOptions,
    exchanged: &AtomicBool,
) -> Result<Grant> {
    let req = Request {
        ctx,
        app,
        creds: Credentials {
            client_id: app.client_id,
            secret,
            callback_url: app.callback_url,
        },
        store,
        scopes,
        opts,
        exchanged,
    };
    runtime()?.block_on(wait::until_interrupted(req.run()))
}

/// Everything one authorization needs.
struct Request<'a> {
    ctx: &'a Context,
    app: &'a App<'a>,
    creds: Credentials<'a>,
    store: &'a StoreHash,
    scopes: &'a [String],
    opts: &'a FlowOptions,
    /// Set once the code was exchanged for a token.
    exchanged: &'a AtomicBool,
}

impl Request<'_> {
    async fn run(&self) -> Result<Grant> {
        let progress = self.ctx.progress.as_ref();
        let login = self.ctx.env.login_url.as_str();
        let state = urls::new_state();
        let install = self.opts.flow == Flow::Install;
        let url = if install {
            urls::install_url(login, self.app.client_id)
        } else {
            urls::authorize_url(
                login,
                self.app.client_id,
                self.app.callback_url,
                self.scopes,
                self.store,
                &state,
            )
        };
        let expect = Expect {
            state: (!install).then_some(state.as_str()),
            store: self.store,
        };
        let failed_redirect =
            install.then(|| urls::install_result_url(login, self.app.client_id, false));
        let ctx = self.ctx;
        let paste = || Paste {
            reader: Box::new(move || {
                ctx.ask(|p| Ok(p.line_reader("Address:")))
                    .unwrap_or_else(|stop| Box::new(move || Err(stop)))
            }),
            callback_url: self.app.callback_url,
        };
        if self.opts.flow == Flow::Manual {
            progress.say("Open this URL in any browser, confirm, then copy the address of the page it lands on");
            progress.say("(it will not load: nothing is listening there) and paste it here:");
            progress.say(&format!("  {url}"));
            // No server: the wait has only what is pasted (an idle channel
            // stands in for the callbacks).
            let (_idle, mut hits) = tokio::sync::mpsc::channel(1);
            let w = Wait {
                expect,
                install,
                timeout: self.opts.timeout,
                failed_redirect,
                paste: Some(paste()),
                listening: false,
                clock: ctx.clock.as_ref(),
            };
            return wait::first_good(&mut hits, &w, progress, async |cb: Callback| {
                self.handle(cb, install).await
            })
            .await
            .map_err(|e| self.wait_failure(e));
        }
        // Bind first: a busy port should fail before a browser opens.
        let bound = server::bind(self.app.callback_url, self.opts.listen)
            .map_err(|e| bind_failure(e, self.app))?;
        tracing::debug!("listening on {:?}{}", bound.addrs, bound.path);
        let (server, mut hits) = Server::start(bound)?;
        let opened = self.open_browser(&url);
        // No browser here: on a terminal, the address the browser lands on
        // (on another machine) can be pasted, while the server still listens.
        let paste = (!opened && self.ctx.interactive).then(|| {
            progress.say(&format!(
                "Then paste here the address the browser lands on (it starts with {}), or wait: bcconn also listens there.",
                self.app.callback_url
            ));
            paste()
        });
        let w = Wait {
            expect,
            install,
            timeout: self.opts.timeout,
            failed_redirect,
            paste,
            listening: true,
            clock: ctx.clock.as_ref(),
        };
        let result = wait::first_good(&mut hits, &w, progress, async |cb: Callback| {
            self.handle(cb, install).await
        })
        .await
        .map_err(|e| self.wait_failure(e));
        server.shutdown().await;
        result
    }

    /// A callback that passed the checks: exchange its code and verify the
    /// token. Without state (install flow), whatever a forged callback can
    /// make BigCommerce's token endpoint answer must not end the wait.
    async fn handle(&self, cb: Callback, install: bool) -> (Handled<Grant>, Reply) {
        let handled = match self.exchange(&cb).await {
            Err(
                e @ (ExchangeError::InvalidGrant { .. }
                | ExchangeError::Refused { .. }
                | ExchangeError::NoAnswer { .. }
                | ExchangeError::Unreadable { .. }),
            ) if install => Handled::Refused(e.to_string()),
            Err(e) => Handled::Done(Err(exchange_failure(e, self.app).into())),
            Ok(exchanged) => {
                self.exchanged.store(true, Ordering::SeqCst);
                Handled::Done(self.verify(exchanged).await)
            }
        };
        let reply = match &handled {
            Handled::Done(Ok(grant)) => self.success_reply(grant),
            Handled::Done(Err(e)) => self.failed_reply(&crate::error::message(e)),
            Handled::Refused(why) => self.failed_reply(why),
        };
        (handled, reply)
    }

    /// Shows the URL and opens a browser on it, unless told not to or none
    /// can start here. Returns whether a browser was started.
    fn open_browser(&self, url: &str) -> bool {
        let progress = self.ctx.progress.as_ref();
        let store = self.store;
        if self.opts.no_browser {
            progress.say(&format!(
                "Open this URL in a browser to authorize store {store}:"
            ));
            progress.say(&format!("  {url}"));
            return false;
        }
        if let Some(why) = self.ctx.browser.headless() {
            progress.say(&format!(
                "No browser can open here: {why}. Open this URL in a browser on any machine to authorize store {store}:"
            ));
            progress.say(&format!("  {url}"));
            if !self.ctx.interactive {
                progress.say("(Without a terminal here, --flow manual reads the landing address from stdin.)");
            }
            return false;
        }
        progress.say(&format!(
            "Opening the browser to authorize store {store}; if it does not open, visit:"
        ));
        progress.say(&format!("  {url}"));
        match self.ctx.browser.open(url) {
            Ok(()) => true,
            Err(why) => {
                // The launcher's own words are for -v: they read like a riddle.
                tracing::debug!("starting a browser failed: {why}");
                progress.warn(if self.ctx.interactive {
                    "no browser could be started; open the URL above yourself."
                } else {
                    "no browser could be started; open the URL above yourself (or use --flow manual to paste the address back). Still waiting."
                });
                false
            }
        }
    }

    /// Exchanges a callback's code for a token.
    async fn exchange(&self, cb: &Callback) -> Result<Exchanged, ExchangeError> {
        let exchanged = exchange::exchange(
            &api::http_client(),
            &self.ctx.env.login_url,
            &self.creds,
            cb,
        )
        .await?;
        self.ctx.progress.step(&format!(
            "Code exchanged for a token; scopes granted: {}",
            if exchanged.scopes.is_empty() {
                "none listed".to_string()
            } else {
                scopes::shown_list(&exchanged.scopes)
            }
        ));
        Ok(exchanged)
    }

    /// Verifies a new token: issued for this store, and working there.
    async fn verify(&self, exchanged: Exchanged) -> Result<Grant> {
        let progress = self.ctx.progress.as_ref();
        let Exchanged {
            token,
            scopes: granted,
            user,
            owner,
            context,
            account_uuid,
        } = exchanged;
        let expected = self.store.context();
        if context.as_deref() != Some(expected.as_str()) {
            return Err(failure(format!(
                "BigCommerce issued the token for {:?}, not {expected}; it was not saved",
                context.unwrap_or_default()
            ))
            .into());
        }
        let store = verify_new_token(self.ctx, self.store, &token).await?;
        match &store {
            None => {}
            Some(Some(info)) => progress.step(&format!(
                "Token verified: store {}{}",
                info.name.as_deref().unwrap_or(self.store.as_str()),
                info.domain
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )),
            Some(None) => progress.step(&format!("Token verified against store {}", self.store)),
        }
        let missing = scopes::missing(self.scopes, &granted);
        if !missing.is_empty() {
            let it = rules::them(missing.len());
            progress.warn(&format!(
                "BigCommerce did not grant {}; add {it} to the app's scopes in the Developer Portal, then authorize again",
                rules::few_scopes(&missing)
            ));
        }
        Ok(Grant {
            token,
            granted: Some(granted),
            user,
            owner,
            account_uuid,
            verified: store.is_some(),
            store: store.flatten(),
        })
    }

    fn success_reply(&self, grant: &Grant) -> Reply {
        if self.opts.flow == Flow::Install {
            return Reply::Redirect(urls::install_result_url(
                &self.ctx.env.login_url,
                self.app.client_id,
                true,
            ));
        }
        let name = grant
            .store
            .as_ref()
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| self.store.to_string());
        Reply::Page {
            ok: true,
            title: format!("Connected to {name}"),
            body: "bcconn has the token. You can close this window and go back to the terminal."
                .into(),
        }
    }

    fn failed_reply(&self, why: &str) -> Reply {
        let redirect = (self.opts.flow == Flow::Install)
            .then(|| urls::install_result_url(&self.ctx.env.login_url, self.app.client_id, false));
        wait::failed_reply(redirect.as_deref(), why)
    }

    /// The wait's own errors, with what to do next.
    fn wait_failure(&self, e: anyhow::Error) -> anyhow::Error {
        match e.downcast::<WaitError>() {
            Ok(WaitError::Timeout(t)) if self.opts.flow == Flow::Manual => failure(format!(
                "nothing was pasted within {} s; no token was saved",
                t.as_secs()
            ))
            .into(),
            Ok(WaitError::Timeout(t)) => failure(format!(
                "no callback from BigCommerce within {} s; no token was saved",
                t.as_secs()
            ))
            .hint("run it again (--timeout SECONDS gives more time); if the browser showed an error, check the app's callback URL")
            .into(),
            Ok(WaitError::Refused(e)) => failure(e.to_string()).into(),
            Ok(e @ WaitError::TooManyRefused(..)) => failure(format!("{e}; no token was saved"))
                .hint("if you installed the app yourself, check the iClient's client id and secret (`bcconn iclient show`), or use --flow authorize")
                .into(),
            Ok(other) => other.into(),
            Err(e) => e,
        }
    }
}

/// Checks a new token against its store: it must work and be this store's.
/// BigCommerce ended the connection's old token when it issued this one,
/// so only a definite refusal throws it away: `Ok(None)` is a transient
/// failure (429s past the retries, a 5xx, the network), said; the token is
/// saved unverified and `status` checks it later.
async fn verify_new_token(
    ctx: &Context,
    store: &StoreHash,
    token: &SecretString,
) -> Result<Option<Option<StoreInfo>>> {
    match super::tokens::verify_new(ctx, store, token).await {
        Verified::Yes(info) => Ok(Some(info)),
        Verified::NotYet(why) => {
            super::tokens::say_not_verified(ctx, "the new token", &why);
            Ok(None)
        }
        Verified::Refused(Check::Ok { store: info }) => Err(failure(format!(
            "the store API says the token belongs to store {:?}, not {store}; it was not saved",
            info.and_then(|i| i.id).unwrap_or_default(),
        ))
        .into()),
        Verified::Refused(Check::Unreachable(why)) => {
            super::tokens::say_not_verified(ctx, "the new token", &why);
            Ok(None)
        }
        // 401, 403, any other 4xx, a 200 that is not store information:
        // said as `create --auth-type token` says it.
        Verified::Refused(refused) => Ok(Some(super::tokens::check_failure(
            refused,
            store,
            "the new token",
        )?)),
    }
}

/// Why the callback cannot be served here, with what to do.
pub fn bind_failure(e: BindError, app: &App) -> Failure {
    let message = e.to_string();
    match e {
        BindError::BadUrl { .. } => usage(message),
        BindError::NotLoopback { addr } => usage(format!("--listen {addr} is not a loopback address"))
            .hint("bcconn only listens on this machine; point your tunnel at 127.0.0.1:PORT and pass --listen 127.0.0.1:PORT"),
        BindError::NotLocal { .. } => usage(message)
            .hint("if a tunnel (e.g. an HTTPS proxy) forwards it here, pass --listen 127.0.0.1:PORT; otherwise use --flow manual"),
        BindError::InUse { .. } => failure(message).hint(format!(
            "stop whatever listens there (another bcconn?) and try again, or register a callback URL with a free port in the app and set it with `bcconn iclient edit {} --callback-url URL`",
            shell_word(app.name)
        )),
        BindError::Other { .. } => failure(message)
            .hint("use a callback URL with a port above 1024, e.g. http://localhost:8765/auth"),
    }
}

/// What the token endpoint said, with what to do about it.
fn exchange_failure(e: ExchangeError, app: &App) -> Failure {
    let name = shell_word(app.name);
    match &e {
        ExchangeError::InvalidClient { .. } => failure(e.to_string()).hint(format!(
            "check the client id ({}) and secret of iClient {:?} against the app in the Developer Portal; fix them with `bcconn iclient edit {name} --client-id ID --secret`",
            app.client_id, app.name
        )),
        ExchangeError::RedirectMismatch { .. } => {
            failure(format!("{e}; bcconn sent {}", app.callback_url)).hint(format!(
                "the app's Auth callback URL (Developer Portal › My Apps › Edit App › Technical) must be exactly {}, or set the iClient to the registered one with `bcconn iclient edit {name} --callback-url URL`",
                app.callback_url
            ))
        }
        ExchangeError::InvalidGrant { .. } => {
            failure(e.to_string()).hint("run the authorization again")
        }
        ExchangeError::Refused { .. } | ExchangeError::Unreadable { .. } => failure(e.to_string()),
        ExchangeError::Unreachable { .. } => failure(e.to_string())
            .hint("check your network, or BCCONN_LOGIN_URL if you set it"),
        ExchangeError::NoAnswer { .. } => {
            failure(e.to_string()).hint("check BCCONN_LOGIN_URL if you set it")
        }
    }
}
