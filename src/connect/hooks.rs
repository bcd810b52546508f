//! Webhooks through a connection (`bcconn hooks`), and what the rest of
//! bcconn says about them: `status` names inactive ones, `delete` and a
//! token connection's `authorize` say what becomes of a token's hooks.
//!
//! Every request goes through the connection's client, as `bcconn api`'s
//! do: its pool, the store's rate limit, 429s waited out; a 401 re-reads
//! the record (another run may have re-authorized it meanwhile) and marks
//! the connection `invalid` only when the token that failed is still the
//! one on record.
//!
//! Ownership (documented, `docs/integrations/webhooks/overview.mdx`): a
//! hook is visible only to the token (API account, or app) that created it,
//! and an app's hooks are deleted when the app is uninstalled. What happens
//! to a store-level API account's hooks when the account is deleted, the
//! docs say both ways (api-accounts.mdx: "Webhooks do not persist upon
//! account deletion"; overview.mdx: "The associated webhook will continue
//! to run after you delete the token"), so bcconn says only what holds
//! either way: once bcconn forgets a token it can no longer see or change
//! that token's hooks.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use url::Url;

use super::default::{self, Source};
use super::intake::stopped;
use super::tokens::{reauthorized, record_401, token_for};
use super::using;
use crate::bigcommerce::client::{Answer, Client, DEFAULT_MAX_PAGES, PAGES_MAX, Paged, Request};
use crate::bigcommerce::hooks::{self, Hook};
use crate::context::Context;
use crate::error::{Failure, failure, usage};
use crate::fsutil::{Links, read_outside};
use crate::store::{AuthType, Connection, State, Tx};
use crate::text::shell_word;

/// How long the checks other commands make on the side (`status`,
/// `delete`, `authorize`) may take: they never hold up the command.
const SIDE_CHECK: Duration = Duration::from_secs(5);
/// The most pages a side check reads.
const SIDE_PAGES: u64 = 20;
/// The most a `--header-file` may be.
const HEADER_FILE_MAX: u64 = 64 * 1024;

/// A connection's webhooks: the records as read, the connection, and its token.
pub struct Hooks {
    file: Tx,
    conn: Connection,
    source: Source,
    token: SecretString,
}

/// What `hooks create` sends.
pub struct NewHook {
    pub scope: String,
    pub destination: Url,
    /// Names and values; the values are the destination's secrets.
    pub headers: Vec<(String, SecretString)>,
    pub active: bool,
}

/// What a request was for, to explain a refusal.
enum Doing<'a> {
    List,
    Create(&'a str),
    One(u64),
}

impl Hooks {
    /// The connection `name` (else the default one) and its token.
    pub fn open(ctx: &Context, name: Option<&str>) -> Result<Hooks> {
        let file = ctx.records.load()?;
        let (c, source) = default::resolve(ctx, name, &file)?;
        let token = token_for(ctx, c).map_err(|e| e.into_error(c, &file))?;
        let conn = c.clone();
        Ok(Hooks {
            file,
            conn,
            source,
            token,
        })
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Every webhook the connection's token sees, page by page.
    pub fn list(&mut self, ctx: &Context) -> Result<Vec<Hook>> {
        let url = self.url(ctx, "v3/hooks")?;
        match self.exchange(ctx, Request::get(url), true)? {
            Reply::Items(items) => parse_items(&items),
            Reply::One(a) if a.status.is_success() => Err(failure(
                "BigCommerce's answer to GET v3/hooks is not a list of webhooks",
            )
            .into()),
            Reply::One(a) => Err(self.refused(ctx, &a, Doing::List, &[]).into()),
        }
    }

    /// One webhook, by id.
    pub fn get(&mut self, ctx: &Context, id: u64) -> Result<Hook> {
        let url = self.url(ctx, &format!("v3/hooks/{id}"))?;
        self.one(ctx, Request::get(url), Doing::One(id), &[])
    }

    /// Creates a webhook; returns it as BigCommerce saved it.
    pub fn create(&mut self, ctx: &Context, new: &NewHook) -> Result<Hook> {
        let mut body = Map::new();
        body.insert("scope".into(), json!(new.scope));
        body.insert("destination".into(), json!(new.destination.as_str()));
        body.insert("is_active".into(), json!(new.active));
        if !new.headers.is_empty() {
            let headers: Map<String, Value> = new
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.expose_secret())))
                .collect();
            body.insert("headers".into(), Value::Object(headers));
        }
        let secrets: Vec<&str> = new.headers.iter().map(|(_, v)| v.expose_secret()).collect();
        let url = self.url(ctx, "v3/hooks")?;
        let req = self.write(ctx, Method::POST, url, &Value::Object(body))?;
        self.one(ctx, req, Doing::Create(&new.scope), &secrets)
    }

    /// Turns a webhook on or off (`is_active`).
    pub fn set_active(&mut self, ctx: &Context, id: u64, active: bool) -> Result<Hook> {
        let url = self.url(ctx, &format!("v3/hooks/{id}"))?;
        let req = self.write(ctx, Method::PUT, url, &json!({ "is_active": active }))?;
        self.one(ctx, req, Doing::One(id), &[])
    }

    /// Deletes a webhook.
    pub fn delete(&mut self, ctx: &Context, id: u64) -> Result<()> {
        let url = self.url(ctx, &format!("v3/hooks/{id}"))?;
        super::trust::before_request(ctx, &self.source, &Method::DELETE)?;
        let req = Request {
            method: Method::DELETE,
            url,
            headers: Vec::new(),
            body: None,
        };
        match self.exchange(ctx, req, false)? {
            Reply::One(a) if a.status.is_success() => Ok(()),
            Reply::One(a) => Err(self.refused(ctx, &a, Doing::One(id), &[]).into()),
            Reply::Items(_) => unreachable!("a delete is not paged"),
        }
    }

    fn url(&self, ctx: &Context, path: &str) -> Result<Url> {
        crate::bigcommerce::request::resolve(&ctx.env.api_url, &self.conn.store_hash, path)
            .map_err(|e| failure(e).into())
    }

    /// A write: an untrusted `.bcconn`'s choice asks first.
    fn write(&self, ctx: &Context, method: Method, url: Url, body: &Value) -> Result<Request> {
        super::trust::before_request(ctx, &self.source, &method)?;
        Ok(Request {
            method,
            url,
            headers: Vec::new(),
            body: Some(serde_json::to_vec(body)?),
        })
    }

    /// A request whose answer is one webhook.
    fn one(&mut self, ctx: &Context, req: Request, doing: Doing, secrets: &[&str]) -> Result<Hook> {
        match self.exchange(ctx, req, false)? {
            Reply::One(a) if a.status.is_success() => Hook::from_answer(&a.body).map_err(|e| {
                failure(format!(
                    "BigCommerce answered {} with something that is not a webhook: {}",
                    a.status,
                    hooks::redact(&e, secrets)
                ))
                .into()
            }),
            Reply::One(a) => Err(self.refused(ctx, &a, doing, secrets).into()),
            Reply::Items(_) => unreachable!("only a list is paged"),
        }
    }

    /// Sends `req` (or pages through it); a 401 is handled as `bcconn
    /// api` handles it.
    fn exchange(&mut self, ctx: &Context, req: Request, paginate: bool) -> Result<Reply> {
        let reply = send(
            ctx,
            &self.file,
            &self.conn,
            &self.token,
            req.clone(),
            paginate,
        )?;
        if !reply.unauthorized() {
            return Ok(reply);
        }
        // Read at the point of use: what the record says now.
        if let Some((now, newer)) = reauthorized(ctx, &self.conn)?
            && let Ok(token) = token_for(ctx, &newer)
        {
            tracing::debug!("401 with an older token generation: sent again with the new token");
            self.conn = newer;
            self.token = token;
            self.file = now;
            return send(ctx, &self.file, &self.conn, &self.token, req, paginate);
        }
        Ok(reply)
    }

    /// The error for a refusal: one line saying what BigCommerce said, and
    /// what to do.
    fn refused(&self, ctx: &Context, a: &Answer, doing: Doing, secrets: &[&str]) -> Failure {
        let name = shell_word(&self.conn.name);
        let said = hooks::error_text(&a.body, secrets).unwrap_or_else(|| a.status.to_string());
        match (a.status, &doing) {
            (StatusCode::UNAUTHORIZED, _) => {
                let title = a.title().map(|t| hooks::redact(&t, secrets));
                let (marked, why) = record_401(ctx, &self.conn, title);
                failure(format!(
                    "BigCommerce refused the token of {:?} (401: {})",
                    self.conn.name,
                    crate::text::outside(&why, 200)
                ))
                .hint(format!(
                    "authorize it again with `bcconn authorize {name}`{}",
                    if marked {
                        " (the connection is now marked invalid)"
                    } else {
                        ""
                    }
                ))
            }
            (StatusCode::NOT_FOUND, Doing::One(id)) => failure(format!(
                    "no webhook {id} for connection {:?}: BigCommerce answered 404 ({said})",
                    self.conn.name
                ))
                .hint(format!(
                    "BigCommerce shows a connection only the webhooks its own token created; `bcconn hooks list -c {name}` lists them"
                )),
            (StatusCode::FORBIDDEN, doing) => self.forbidden(&said, doing),
            (StatusCode::UNPROCESSABLE_ENTITY, _) => failure(format!(
                "BigCommerce refused the webhook (422): {said}"
            ))
            .hint(format!(
                "each token may have at most 10 webhooks per event, and one per event and destination; `bcconn hooks list -c {name}` shows the ones it has"
            )),
            (status, _) => failure(format!("BigCommerce answered {status}: {said}")),
        }
    }

    /// A 403: for a create, the scope the event's resource seems to need.
    fn forbidden(&self, said: &str, doing: &Doing) -> Failure {
        let name = shell_word(&self.conn.name);
        let f = failure(format!("BigCommerce answered 403 Forbidden: {said}"));
        let other_store = format!(
            "BigCommerce also answers 403 to a token of another store than {}; `bcconn status {name}` checks it",
            self.conn.store_hash
        );
        let Doing::Create(event) = doing else {
            return f
                .hint("BigCommerce documents webhooks as needing no scope beyond the default one")
                .also(other_store);
        };
        let Some((scope, label)) = hooks::likely_scope(event) else {
            return f.hint(other_store);
        };
        // Inferred (see `hooks::likely_scope`): said as the likely cause.
        let needs = format!(
            "creating a {event} webhook likely needs the {label} scope, read-only ({scope}) or modify"
        );
        let add = match self.conn.auth_type {
            AuthType::Token => format!(
                "{:?} is an API account's token: give that account {label} in the store's control panel (Settings › API › Store-level API accounts)",
                self.conn.name
            ),
            AuthType::Oauth2 => {
                let mut wanted = self.conn.scopes.clone();
                wanted.push(scope.to_string());
                format!(
                    "add it with `bcconn edit {name} --scopes {}`, then `bcconn authorize {name}`",
                    crate::bigcommerce::scopes::normalize(&wanted).join(",")
                )
            }
        };
        f.hint(needs).also(add).also(other_store)
    }
}

/// What came back.
enum Reply {
    One(Answer),
    Items(Vec<crate::bigcommerce::paginate::Item>),
}

impl Reply {
    fn unauthorized(&self) -> bool {
        matches!(self, Reply::One(a) if a.status == StatusCode::UNAUTHORIZED)
    }
}

fn client(
    ctx: &Context,
    file: &Tx,
    c: &Connection,
    token: &SecretString,
) -> Result<(Arc<Client>, tokio::sync::mpsc::UnboundedReceiver<String>)> {
    let (tx, rx) = using::notes();
    let client = using::client(
        ctx,
        &using::http(),
        file,
        c,
        token.clone(),
        using::pools(ctx)?,
        Some(tx),
    )?;
    Ok((Arc::new(client), rx))
}

/// One request (or a list's pages) within the connection's pool.
fn send(
    ctx: &Context,
    file: &Tx,
    c: &Connection,
    token: &SecretString,
    req: Request,
    paginate: bool,
) -> Result<Reply> {
    let (client, rx) = client(ctx, file, c, token)?;
    using::drive(ctx, rx, async move {
        if paginate {
            Ok::<_, anyhow::Error>(
                match client.paginate(req, DEFAULT_MAX_PAGES, PAGES_MAX).await? {
                    Paged::Items(items) => Reply::Items(items),
                    Paged::Single(a) | Paged::Failed(a) => Reply::One(a),
                },
            )
        } else {
            Ok(Reply::One(client.send(&req).await?))
        }
    })?
}

fn parse_items(items: &[crate::bigcommerce::paginate::Item]) -> Result<Vec<Hook>> {
    items
        .iter()
        .map(|item| {
            serde_json::from_str::<Value>(item.get())
                .map_err(|e| e.to_string())
                .and_then(|v| Hook::from_value(&v))
                .map_err(|e| {
                    failure(format!(
                        "BigCommerce listed a webhook bcconn cannot read: {e}"
                    ))
                    .into()
                })
        })
        .collect()
}

// --- headers ------------------------------------------------------------------

/// The headers of a new hook: `--header 'Name: value'`, `--header Name`
/// (its value asked with a hidden prompt), and `--header-file FILE` (`-`:
/// stdin) with `Name: value` lines (blank lines and `#` comments skipped).
/// A name given twice is refused. Nothing here ever repeats a value.
pub fn headers(
    ctx: &Context,
    given: &[String],
    file: Option<&Path>,
) -> Result<Vec<(String, SecretString)>> {
    let mut out: Vec<(String, SecretString)> = Vec::new();
    let mut add = |name: String, value: SecretString| -> Result<()> {
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            return Err(usage(format!(
                "header {} is given twice",
                crate::text::outside(&name, 60)
            ))
            .into());
        }
        out.push((name, value));
        Ok(())
    };
    if let Some(path) = file {
        let (bytes, shown) = if path.as_os_str() == "-" {
            let bytes = ctx
                .stdin
                .read_bounded(HEADER_FILE_MAX)
                .map_err(|e| usage(format!("--header-file -: cannot read stdin: {e}")))?;
            (bytes, "stdin".to_string())
        } else {
            let shown = crate::text::outside(&path.display().to_string(), 200);
            match read_outside(path, HEADER_FILE_MAX, Links::Follow) {
                Ok(Some(bytes)) => (bytes, shown),
                Ok(None) => {
                    return Err(usage(format!("--header-file {shown}: no such file")).into());
                }
                Err(e) => {
                    let (_, why, _) = crate::error::report(&e).into_parts();
                    return Err(usage(format!("--header-file: {why}")).into());
                }
            }
        };
        if bytes.len() as u64 > HEADER_FILE_MAX {
            return Err(usage(format!(
                "--header-file: {shown} holds more than {HEADER_FILE_MAX} bytes of headers"
            ))
            .into());
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| usage(format!("--header-file: {shown} is not UTF-8 text")))?;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) =
                hooks::header(line, &format!("line {} of {shown}", i + 1)).map_err(usage)?;
            add(name, SecretString::from(value))?;
        }
    }
    for arg in given {
        if arg.contains(':') {
            let (name, value) = hooks::header(arg, "--header").map_err(usage)?;
            // Said, not refused: a header may be no secret at all, but a
            // value on argv is visible to every user of this machine.
            ctx.progress.warn(&format!(
                "the value of header {} was on the command line, where other users of this \
                 machine can see it; --header-file FILE (or -) or --header {} alone (asked \
                 hidden) keep it off",
                crate::text::outside(&name, 60),
                crate::text::shell_word(&name)
            ));
            add(name, SecretString::from(value))?;
            continue;
        }
        let name = hooks::header_name(arg).map_err(usage)?;
        if !ctx.interactive {
            return Err(usage(format!(
                "--header {}: no value, and no terminal to ask for it",
                crate::text::outside(&name, 60)
            ))
            .hint("put `Name: value` lines in a file and pass --header-file FILE (or - for stdin)")
            .into());
        }
        let question = format!("Value of header {}:", crate::text::outside(&name, 60));
        let value = ctx
            .ask(|p| p.secret(&question, "input is hidden", "the value is empty"))
            .map_err(stopped)?;
        let checked = hooks::header(&format!("{name}: {}", value.expose_secret()), "--header")
            .map_err(usage)?;
        add(checked.0, SecretString::from(checked.1))?;
    }
    Ok(out)
}

// --- what other commands say --------------------------------------------------

/// Lists `c`'s hooks with `token` (those matching `query`), bounded in
/// time and pages, on its own client: `None` when the list cannot be had
/// (no answer in time, a 401 or 403, anything else).
async fn side_list(client: Arc<Client>, url: Url) -> Option<Vec<Hook>> {
    let listed = tokio::time::timeout(
        SIDE_CHECK,
        client.paginate(Request::get(url), SIDE_PAGES, PAGES_MAX),
    )
    .await;
    match listed {
        Ok(Ok(Paged::Items(items))) => parse_items(&items).ok(),
        _ => None,
    }
}

/// The hooks `c`'s `token` sees, or `None` (see [`side_list`]).
fn side_check(
    ctx: &Context,
    file: &Tx,
    c: &Connection,
    token: &SecretString,
    query: &str,
) -> Option<Vec<Hook>> {
    let url = crate::bigcommerce::request::resolve(
        &ctx.env.api_url,
        &c.store_hash,
        &format!("v3/hooks{query}"),
    )
    .ok()?;
    let (client, rx) = client(ctx, file, c, token).ok()?;
    using::drive(ctx, rx, side_list(client, url)).ok().flatten()
}

/// A few hooks as one bounded line.
fn few(hooks: &[Hook]) -> String {
    let mut shown: Vec<String> = hooks.iter().take(3).map(Hook::short).collect();
    if hooks.len() > 3 {
        shown.push(format!("and {} more", hooks.len() - 3));
    }
    shown.join(", ")
}

fn count(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// What `bcconn delete NAME` says before asking: the token's hooks, which
/// nobody can list or change once bcconn forgets the token. `None` when it
/// has none, or the check cannot be made (not authorized, no token, no
/// answer in time, 401): that never holds up a delete.
pub fn before_forgetting(ctx: &Context, file: &Tx, c: &Connection) -> Option<String> {
    if c.state != State::Authorized {
        return None;
    }
    let token = token_for(ctx, c).ok()?;
    let hooks = side_check(ctx, file, c, &token, "")?;
    if hooks.is_empty() {
        return None;
    }
    let name = shell_word(&c.name);
    let fate = match c.auth_type {
        // Documented: uninstalling an app deletes its hooks.
        AuthType::Oauth2 => "they keep firing until the app is uninstalled from the store",
        AuthType::Token => "they keep firing",
    };
    Some(format!(
        "the token of {:?} has {} in BigCommerce ({}): once bcconn forgets the token it can no longer list or change them, and {fate}. To delete them first: `bcconn hooks delete ID -c {name}`",
        c.name,
        count(hooks.len(), "webhook"),
        few(&hooks)
    ))
}

/// What `bcconn status` adds: for each connection (its check came back
/// ok), its inactive hooks, one warning per connection that has any. The
/// connections are checked at once, within their pools; a 403 or no answer
/// in time says nothing. The exit status is never changed by it.
pub fn warn_inactive(ctx: &Context, file: &Tx, conns: &[&Connection]) {
    let pools = match using::pools(ctx) {
        Ok(p) => p,
        Err(_) => return,
    };
    let http = using::http();
    let (tx, rx) = using::notes();
    let mut work = Vec::new();
    for c in conns {
        let Ok(token) = token_for(ctx, c) else {
            continue;
        };
        let Ok(url) = crate::bigcommerce::request::resolve(
            &ctx.env.api_url,
            &c.store_hash,
            "v3/hooks?is_active=false",
        ) else {
            continue;
        };
        let Ok(client) = using::client(ctx, &http, file, c, token, pools.clone(), Some(tx.clone()))
        else {
            continue;
        };
        work.push((c.name.clone(), Arc::new(client), url));
    }
    drop(tx);
    if work.is_empty() {
        return;
    }
    let found = using::drive(ctx, rx, async move {
        let mut set = tokio::task::JoinSet::new();
        for (i, (name, client, url)) in work.into_iter().enumerate() {
            set.spawn(async move { (i, name, side_list(client, url).await) });
        }
        let mut found = Vec::new();
        while let Some(Ok(r)) = set.join_next().await {
            found.push(r);
        }
        found.sort_by_key(|(i, _, _)| *i);
        found
    });
    let Ok(found) = found else {
        return;
    };
    for (_, name, hooks) in found {
        let Some(hooks) = hooks else {
            continue;
        };
        // The filter is BigCommerce's; kept honest here too.
        let inactive: Vec<Hook> = hooks.into_iter().filter(|h| !h.is_active).collect();
        if inactive.is_empty() {
            continue;
        }
        ctx.progress.warn(&format!(
            "{:?} has {} ({}): {}; `bcconn hooks enable ID -c {}` turns one back on",
            name,
            count(inactive.len(), "inactive webhook"),
            few(&inactive),
            hooks::DEACTIVATION,
            shell_word(&name)
        ));
    }
}

/// Before a token connection takes a new token: the hooks of the token it
/// had, when the new one is another token (another API account: a
/// store-level account's token never changes). `None` when it is the same
/// token, the old one is gone, or the check cannot be made.
///
/// An app's re-authorization keeps its hooks (they belong to the app's
/// client id, documented), so OAuth connections never come here.
pub fn left_with_old_token(ctx: &Context, c: &Connection, new: &SecretString) -> Option<Vec<Hook>> {
    if c.auth_type != AuthType::Token {
        return None;
    }
    let old = token_for(ctx, c).ok()?;
    if old.expose_secret() == new.expose_secret() {
        return None;
    }
    let file = ctx.records.load().ok()?;
    let hooks = side_check(ctx, &file, c, &old, "")?;
    (!hooks.is_empty()).then_some(hooks)
}

/// The warning for [`left_with_old_token`]'s hooks, once the new token is saved.
pub fn say_left_behind(ctx: &Context, name: &str, hooks: &[Hook]) {
    ctx.progress.warn(&format!(
        "the previous token of {name:?} has {} ({}): BigCommerce shows a webhook only to the API account that created it, so the new token cannot list or change them, and they keep firing. Manage them with that account's token (save it as a connection of its own)",
        count(hooks.len(), "webhook"),
        few(hooks)
    ));
}
