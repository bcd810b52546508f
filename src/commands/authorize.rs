//! `bcconn authorize`: (re-)authorize a saved connection, or create-or-update
//! one from flags and authorize it (the scripting entry point). Also the
//! preflight and commit steps that `create` shares.

use std::time::Duration;

use anyhow::Result;
use secrecy::SecretString;

use crate::cli::{AuthorizeArgs, Flow, FlowFlags};
use crate::commands::create::{self, After, IClientPick, Plan, TokenSource, requested_scopes};
use crate::commands::{runtime, token_auth};
use crate::context::Context;
use crate::error::{exit, failure, usage};
use crate::oauth::exchange::Credentials;
use crate::oauth::flow::{self, Authorized};
use crate::oauth::server;
use crate::secrets::{SecretStore, connection_account, iclient_account};
use crate::store::{self, AuthType, Connection, IClient, RecordFile, State};
use crate::ui::shell_word;

pub fn run(ctx: &Context, args: AuthorizeArgs) -> Result<u8> {
    let f = &args.conn;
    let file = ctx.records.load()?;
    if let Some(name) = &args.connection {
        if f.store_hash.is_some() {
            return Err(
                usage("give a saved connection's NAME or --store-hash, not both")
                    .hint("to create or update by store hash, use --name NAME with --store-hash")
                    .into(),
            );
        }
        let conn = file.require_connection(name)?;
        if conn.auth_type == AuthType::Token {
            token_auth::replace(ctx, conn, token_source(ctx, &args).as_ref())?;
            return Ok(0);
        }
        let changes = changes(&file, &args, conn, None)?;
        authorize_with(
            ctx,
            &conn.id,
            &args.flow,
            conn.state != State::Authorized,
            changes,
            None,
        )?;
        return Ok(0);
    }
    let Some(hash) = f.parsed_store_hash()? else {
        return Err(usage("which connection?")
            .hint("name a saved one (`bcconn authorize NAME`), or pass --store-hash H --iclient C --scopes a,b to create or update one")
            .into());
    };
    let Some(iclient_name) = &f.iclient else {
        return Err(usage("--store-hash needs --iclient NAME (see `bcconn iclient list`)").into());
    };
    let iclient = file.require_iclient(iclient_name)?.clone();
    // The connection to update: by --name, else the one for this store and iClient.
    let existing = match &args.name {
        Some(n) => file.connection(n),
        None => file
            .connections
            .iter()
            .find(|c| c.store_hash == hash && c.iclient_id.as_deref() == Some(iclient.id.as_str())),
    };
    if let Some(conn) = existing {
        if conn.store_hash != hash || conn.auth_type != AuthType::Oauth2 {
            return Err(usage(format!(
                "connection {:?} is a {} connection for store {}, not an OAuth one for {hash}",
                conn.name,
                conn.auth_type.as_str(),
                conn.store_hash
            ))
            .hint("pick another --name")
            .into());
        }
        let changes = changes(&file, &args, conn, Some(iclient.id.clone()))?;
        authorize_with(
            ctx,
            &conn.id,
            &args.flow,
            conn.state != State::Authorized,
            changes,
            None,
        )?;
        return Ok(0);
    }
    let Some(scopes) = requested_scopes(f.scopes.as_deref(), f.all_scopes)? else {
        return Err(usage("a new connection needs --scopes a,b or --all-scopes").into());
    };
    let plan = Plan {
        name: args.name.clone().unwrap_or_else(|| hash.to_string()),
        auth_type: AuthType::Oauth2,
        store_hash: hash,
        scopes,
        iclient: Some(IClientPick::Existing(iclient.name.clone())),
        concurrency: f.concurrency.unwrap_or(1),
        borrow_from: f.borrow_concurrency_from.clone(),
        token: None,
        after: After::Authorize,
    };
    create::execute(ctx, plan, &args.flow)
}

fn token_source(ctx: &Context, args: &AuthorizeArgs) -> Option<TokenSource> {
    if args.access_token_stdin {
        Some(TokenSource::Stdin)
    } else if let Some(p) = &args.api_credentials_file {
        Some(TokenSource::File(p.clone()))
    } else {
        ctx.env.access_token.as_ref().map(|_| TokenSource::Env)
    }
}

/// Changes to apply together with a successful re-authorization.
#[derive(Default)]
pub struct Changes {
    pub scopes: Option<Vec<String>>,
    pub iclient_id: Option<String>,
    pub concurrency: Option<u8>,
    /// The lender's name; checked again when the record is written.
    pub borrow_from: Option<String>,
}

/// The flags' changes to a saved OAuth connection, checked now so that a bad
/// one fails before the browser opens.
fn changes(
    file: &RecordFile,
    args: &AuthorizeArgs,
    conn: &Connection,
    iclient_id: Option<String>,
) -> Result<Changes> {
    let f = &args.conn;
    if args.access_token_stdin || args.api_credentials_file.is_some() {
        return Err(usage(format!(
            "{:?} is an OAuth connection; it takes no access token",
            conn.name
        ))
        .hint("drop --access-token-stdin / --api-credentials-file")
        .into());
    }
    if let Some(lender) = &f.borrow_concurrency_from {
        file.check_borrow(Some(&conn.id), &conn.name, lender)?;
    }
    let iclient_id = match (iclient_id, &f.iclient) {
        (Some(id), _) => Some(id),
        (None, Some(name)) => Some(file.require_iclient(name)?.id.clone()),
        (None, None) => None,
    };
    Ok(Changes {
        scopes: requested_scopes(f.scopes.as_deref(), f.all_scopes)?,
        iclient_id,
        concurrency: f.concurrency,
        borrow_from: f.borrow_concurrency_from.clone(),
    })
}

/// Authorizes a saved connection as it is, with the client secret the
/// caller's preflight already read (so the keyring is asked once).
pub fn authorize_saved(
    ctx: &Context,
    id: &str,
    flow: &FlowFlags,
    first: bool,
    secret: &SecretString,
) -> Result<()> {
    authorize_with(ctx, id, flow, first, Changes::default(), Some(secret))
}

/// Checks, before anything is saved or a browser opens, that a flow with
/// this iClient can run: the URLs are sane, the token's secret store opens,
/// the callback can be received here. Returns the client secret.
pub fn preflight(
    ctx: &Context,
    iclient: &IClient,
    secret: Option<&SecretString>,
    flow: &FlowFlags,
) -> Result<SecretString> {
    crate::env::check_base_url("BCCONN_LOGIN_URL", &ctx.env.login_url)?;
    crate::env::check_base_url("BCCONN_API_URL", &ctx.env.api_url)?;
    ctx.default_secrets()?;
    let secret = match secret {
        Some(s) => s.clone(),
        None => ctx
            .secrets(iclient.secret_store)?
            .get(&iclient_account(&iclient.id))?
            .ok_or_else(|| {
                failure(format!(
                    "the client secret of iClient {:?} is missing from {}",
                    iclient.name,
                    iclient.secret_store.describe()
                ))
                .hint(format!(
                    "set it with `bcconn iclient edit {} --secret`",
                    shell_word(&iclient.name)
                ))
            })?,
    };
    if flow.flow != Flow::Manual {
        // Bound and released at once; the flow binds it again.
        drop(server::bind(&iclient.callback_url, flow.listen)?);
    }
    Ok(secret)
}

/// Runs the flow and commits. On failure nothing changes, except that a
/// connection that was never authorized is marked `failed` with the reason.
fn authorize_with(
    ctx: &Context,
    id: &str,
    flow: &FlowFlags,
    first: bool,
    changes: Changes,
    secret: Option<&SecretString>,
) -> Result<()> {
    let Err(e) = try_authorize(ctx, id, flow, &changes, secret) else {
        return Ok(());
    };
    let (code, message, hint) = crate::error::report(&e);
    if !first || code == exit::USAGE {
        return Err(e);
    }
    let name = ctx.records.update(|file| {
        let Some(c) = file
            .connections
            .iter_mut()
            .find(|c| c.id == id && c.state != State::Authorized)
        else {
            return Ok(None);
        };
        // Interrupted is not failed: the connection simply stays as it was.
        if code != exit::INTERRUPTED {
            c.state = State::Failed;
            c.last_error = Some(message.clone());
            c.updated_at = store::now();
        }
        Ok(Some(c.name.clone()))
    });
    // The connection stays saved: say how to finish it.
    let Ok(Some(name)) = name else { return Err(e) };
    let retry = if code == exit::INTERRUPTED {
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
    Err(crate::error::Failure {
        message,
        hint: Some(match hint {
            Some(h) => format!("{h}\n      {retry}"),
            None => retry,
        }),
        code,
    }
    .into())
}

fn try_authorize(
    ctx: &Context,
    id: &str,
    flow: &FlowFlags,
    changes: &Changes,
    secret: Option<&SecretString>,
) -> Result<()> {
    let file = ctx.records.load()?;
    let conn = file
        .connection_by_id(id)
        .ok_or_else(|| usage("the connection was deleted meanwhile"))?
        .clone();
    let iclient_id = changes
        .iclient_id
        .as_deref()
        .or(conn.iclient_id.as_deref())
        .unwrap_or_default();
    let iclient = file.iclient_by_id(iclient_id).cloned().ok_or_else(|| {
        usage(format!("connection {:?} has no iClient", conn.name)).hint(format!(
            "choose one with `bcconn edit {} --iclient NAME`",
            shell_word(&conn.name)
        ))
    })?;
    let secret = preflight(ctx, &iclient, secret, flow)?;
    let token_store = ctx.default_secrets()?;
    let scopes = changes
        .scopes
        .clone()
        .unwrap_or_else(|| conn.scopes.clone());
    let request = flow::Request {
        login: &ctx.env.login_url,
        api: &ctx.env.api_url,
        creds: Credentials {
            iclient_name: &iclient.name,
            client_id: &iclient.client_id,
            secret: &secret,
            callback_url: &iclient.callback_url,
        },
        store: &conn.store_hash,
        scopes: &scopes,
        flow: flow.flow,
        no_browser: flow.no_browser,
        timeout: Duration::from_secs(flow.timeout),
        listen: flow.listen,
        browser: ctx.env.browser.as_deref(),
    };
    let done = runtime()?.block_on(flow::until_interrupted(flow::run(request, &ctx.ui)))?;
    commit(ctx, &conn, done, token_store.as_ref(), changes)
}

/// Writes the token, then the record. Only called with a verified token. If
/// the record cannot be written, the secret store is put back as it was.
fn commit(
    ctx: &Context,
    conn: &Connection,
    done: Authorized,
    secrets: &dyn SecretStore,
    changes: &Changes,
) -> Result<()> {
    let kind = secrets.kind();
    let account = connection_account(&conn.id);
    let old = crate::secrets::snapshot(secrets, &account, conn.token_store)?;
    secrets.set(&account, &done.token)?;
    let now = store::now();
    let saved = ctx.records.update(|file| {
        let lender = match &changes.borrow_from {
            Some(name) => Some(file.check_borrow(Some(&conn.id), &conn.name, name)?),
            None => None,
        };
        let c = file
            .connections
            .iter_mut()
            .find(|c| c.id == conn.id)
            .ok_or_else(|| failure("the connection was deleted while it was being authorized; the new token was dropped"))?;
        if let Some(s) = &changes.scopes {
            c.scopes = s.clone();
        }
        if let Some(i) = &changes.iclient_id {
            c.iclient_id = Some(i.clone());
        }
        if let Some(level) = changes.concurrency {
            c.concurrency = level;
        }
        if lender.is_some() {
            c.borrow_concurrency_from = lender;
        }
        c.state = State::Authorized;
        c.granted_scopes = Some(done.granted.clone());
        c.user = done.user.clone();
        c.owner = done.owner.clone();
        c.account_uuid = done.account_uuid.clone();
        if let Some(info) = &done.store {
            c.store_name = info.name.clone();
            c.store_domain = info.domain.clone();
        }
        c.authorized_at = Some(now.clone());
        c.last_verified_at = Some(now.clone());
        c.token_store = Some(kind);
        c.last_error = None;
        c.updated_at = now.clone();
        Ok(c.clone())
    });
    let saved = match saved {
        Ok(saved) => saved,
        Err(e) => {
            crate::secrets::restore(secrets, &account, old.as_ref());
            return Err(e);
        }
    };
    if let Some(prev) = conn.token_store.filter(|k| *k != kind) {
        let _ = ctx.secrets(prev).and_then(|s| s.delete(&account));
    }
    ctx.ui.step(&format!(
        "Saved: {:?} is authorized; its token is in {}",
        saved.name,
        kind.describe()
    ));
    ctx.ui.say(&format!(
        "Use it from scripts: bcconn token {}",
        shell_word(&saved.name)
    ));
    Ok(())
}
