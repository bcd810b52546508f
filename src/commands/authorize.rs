//! `bcconn authorize`: (re-)authorize a saved connection, or create-or-update
//! one from flags and authorize it (the scripting entry point). Also the
//! commit step shared with `create`, and token-type intake.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use secrecy::SecretString;

use crate::bigcommerce::api::{self, Check};
use crate::bigcommerce::store_hash::StoreHash;
use crate::cli::{AuthorizeArgs, FlowFlags};
use crate::commands::create::{self, After, IClientPick, Plan, TokenSource, requested_scopes};
use crate::commands::{SecretSource, read_secret};
use crate::context::Context;
use crate::error::{failure, usage};
use crate::oauth::exchange::Credentials;
use crate::oauth::flow::{self, Authorized};
use crate::secrets::{connection_account, iclient_account};
use crate::store::{self, AuthType, Connection, State};

pub fn run(ctx: &Context, args: AuthorizeArgs) -> Result<u8> {
    let f = &args.conn;
    if let Some(name) = &args.connection {
        if f.store_hash.is_some() {
            return Err(
                usage("give a saved connection's NAME or --store-hash, not both")
                    .hint("to create or update by store hash, use --name NAME with --store-hash")
                    .into(),
            );
        }
        let file = ctx.records.load()?;
        let conn = file.require_connection(name)?;
        let changes = Changes {
            scopes: requested_scopes(f.scopes.as_deref(), f.all_scopes)?,
            iclient_id: f
                .iclient
                .as_deref()
                .map(|n| file.require_iclient(n).map(|i| i.id.clone()))
                .transpose()?,
        };
        authorize_with(
            ctx,
            &conn.id,
            &args.flow,
            conn.state == State::Pending,
            changes,
        )?;
        return Ok(0);
    }
    let Some(hash) = f.parsed_store_hash()? else {
        return Err(usage("which connection?")
            .hint("name a saved one (`bcconn authorize NAME`), or pass --store-hash H --iclient C --scopes a,b to create or update one")
            .into());
    };
    let file = ctx.records.load()?;
    let Some(iclient_name) = &f.iclient else {
        return Err(usage("--store-hash needs --iclient NAME (see `bcconn iclient list`)").into());
    };
    let iclient = file.require_iclient(iclient_name)?.clone();
    let scopes = requested_scopes(f.scopes.as_deref(), f.all_scopes)?;
    // The connection to update: by --name, else the one for this store and iClient.
    let existing = match &args.name {
        Some(n) => file.connection(n),
        None => file
            .connections
            .iter()
            .find(|c| c.store_hash == hash && c.iclient_id.as_deref() == Some(iclient.id.as_str())),
    };
    if let Some(conn) = existing {
        if conn.store_hash != hash {
            return Err(usage(format!(
                "connection {:?} is for store {}, not {hash}",
                conn.name, conn.store_hash
            ))
            .hint("pick another --name for the new store")
            .into());
        }
        let changes = Changes {
            scopes,
            iclient_id: Some(iclient.id.clone()),
        };
        authorize_with(
            ctx,
            &conn.id,
            &args.flow,
            conn.state == State::Pending,
            changes,
        )?;
        return Ok(0);
    }
    let Some(scopes) = scopes else {
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

/// Changes to apply together with a successful re-authorization.
#[derive(Default)]
pub struct Changes {
    pub scopes: Option<Vec<String>>,
    pub iclient_id: Option<String>,
}

/// Authorizes a saved connection as it is.
pub fn authorize_saved(ctx: &Context, id: &str, flow: &FlowFlags, first: bool) -> Result<()> {
    authorize_with(ctx, id, flow, first, Changes::default())
}

/// Runs the flow and commits. On failure nothing changes, except that a
/// connection that was never authorized is marked `failed` with the reason.
fn authorize_with(
    ctx: &Context,
    id: &str,
    flow: &FlowFlags,
    first: bool,
    changes: Changes,
) -> Result<()> {
    let Err(e) = try_authorize(ctx, id, flow, &changes) else {
        return Ok(());
    };
    let (code, message, hint) = crate::error::report(&e);
    if !first || code == crate::error::exit::USAGE {
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
        // Interrupted is not failed: the connection simply stays pending.
        if code != crate::error::exit::INTERRUPTED {
            c.state = State::Failed;
            c.last_error = Some(message.clone());
            c.updated_at = store::now();
        }
        Ok(Some(c.name.clone()))
    });
    // The connection stays saved (as `failed`): say how to finish it.
    let Ok(Some(name)) = name else { return Err(e) };
    let retry = if code == crate::error::exit::INTERRUPTED {
        format!(
            "the connection is saved as pending; authorize it later with `bcconn authorize {}`",
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

fn try_authorize(ctx: &Context, id: &str, flow: &FlowFlags, changes: &Changes) -> Result<()> {
    let file = ctx.records.load()?;
    let conn = file
        .connection_by_id(id)
        .ok_or_else(|| usage("the connection was deleted meanwhile"))?
        .clone();
    if conn.auth_type == AuthType::Token {
        return Err(usage(format!("{:?} uses an API-account token, which is not authorized in a browser", conn.name))
            .hint("to replace its token, delete it and create it again with `bcconn create --auth-type token`")
            .into());
    }
    let iclient_id = changes
        .iclient_id
        .as_deref()
        .or(conn.iclient_id.as_deref())
        .unwrap_or_default();
    let iclient = file.iclient_by_id(iclient_id).cloned().ok_or_else(|| {
        usage(format!("connection {:?} has no iClient", conn.name)).hint(format!(
            "choose one with `bcconn edit {} --iclient NAME`",
            conn.name
        ))
    })?;
    // Preflight: the secret must be readable before a browser opens.
    let secret = ctx
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
                iclient.name
            ))
        })?;
    // The token goes to the default store; open it now so a locked keyring
    // fails before the browser, not after the person clicked Confirm.
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
    let done = runtime()?.block_on(flow::run(request, &ctx.ui))?;
    commit(ctx, &conn, done, token_store.as_ref(), changes)
}

/// Writes the token, then the record. Only called with a verified token.
fn commit(
    ctx: &Context,
    conn: &Connection,
    done: Authorized,
    secrets: &dyn crate::secrets::SecretStore,
    changes: &Changes,
) -> Result<()> {
    secrets.set(&connection_account(&conn.id), &done.token)?;
    let kind = secrets.kind();
    let now = store::now();
    let saved = ctx.records.update(|file| {
        let c = file
            .connections
            .iter_mut()
            .find(|c| c.id == conn.id)
            .ok_or_else(|| failure("the connection was deleted while it was being authorized"))?;
        if let Some(s) = &changes.scopes {
            c.scopes = s.clone();
        }
        if let Some(i) = &changes.iclient_id {
            c.iclient_id = Some(i.clone());
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
    })?;
    if let Some(old) = conn.token_store.filter(|old| *old != kind) {
        let _ = ctx
            .secrets(old)
            .and_then(|s| s.delete(&connection_account(&conn.id)));
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

fn shell_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A single-threaded runtime: one flow at a time needs no more.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// What BigCommerce's API credentials `.txt` holds.
pub struct ApiCredentials {
    pub token: SecretString,
    pub store_hash: Option<StoreHash>,
}

/// Reads the `.txt` BigCommerce downloads when a store-level API account is
/// created: `KEY: value` lines (ACCESS TOKEN, CLIENT ID, CLIENT SECRET, NAME,
/// API PATH). Its content never appears in an error.
pub fn read_credentials_file(path: &Path) -> Result<ApiCredentials> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage(format!("cannot read {}: {e}", path.display()))
            .hint("pass the .txt BigCommerce downloaded when you created the API account")
    })?;
    let mut token = None;
    let mut api_path = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_uppercase().replace('_', " ");
        let value = value.trim();
        match key.as_str() {
            "ACCESS TOKEN" if !value.is_empty() => token = Some(value.to_string()),
            "API PATH" => api_path = Some(value.to_string()),
            _ => {}
        }
    }
    let token = token.ok_or_else(|| {
        usage(format!("{} has no ACCESS TOKEN line", path.display()))
            .hint("pass the API credentials .txt BigCommerce downloaded when you created the store-level API account")
    })?;
    let store_hash = api_path.and_then(|p| StoreHash::parse(&p).ok());
    Ok(ApiCredentials {
        token: SecretString::from(token),
        store_hash,
    })
}

/// The token of a token-type connection, from wherever the plan says.
pub fn read_token(ctx: &Context, source: Option<&TokenSource>) -> Result<SecretString> {
    match source {
        Some(TokenSource::Given(t)) => Ok(t.clone()),
        Some(TokenSource::File(p)) => Ok(read_credentials_file(p)?.token),
        Some(TokenSource::Env) => ctx
            .env
            .access_token
            .clone()
            .ok_or_else(|| usage("BCCONN_ACCESS_TOKEN is not set").into()),
        Some(TokenSource::Stdin) | None => read_secret(
            ctx,
            SecretSource {
                what: "access token",
                stdin: matches!(source, Some(TokenSource::Stdin)),
                stdin_flag: "--access-token-stdin",
                env_value: ctx.env.access_token.as_ref(),
                env_name: "BCCONN_ACCESS_TOKEN",
            },
        ),
    }
}

/// Verifies an API-account token against its store, then stores token and record.
pub fn save_token_connection(
    ctx: &Context,
    mut conn: Connection,
    token: SecretString,
) -> Result<()> {
    let secrets = ctx.default_secrets()?;
    let http = api::http_client();
    let check = runtime()?.block_on(api::check(
        &http,
        &ctx.env.api_url,
        &conn.store_hash,
        &token,
    ));
    let store = match check {
        Check::Ok { store } => store,
        Check::Invalid(why) => {
            return Err(failure(format!("BigCommerce does not accept this token for store {} (401: {why}); nothing was saved", conn.store_hash))
                .hint("copy the ACCESS TOKEN of a store-level API account of that store (Settings › API › Store-level API accounts)")
                .into());
        }
        Check::Forbidden(why) => {
            return Err(failure(format!(
                "this token cannot reach store {} (403: {why}); nothing was saved",
                conn.store_hash
            ))
            .hint("check that the token belongs to that store")
            .into());
        }
        Check::Unreachable(why) => {
            return Err(failure(format!(
                "could not verify the token: {why}; nothing was saved"
            ))
            .into());
        }
    };
    ctx.ui.step(&format!(
        "Token verified: store {}",
        store
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .unwrap_or(conn.store_hash.as_str())
    ));
    secrets.set(&connection_account(&conn.id), &token)?;
    let now = store::now();
    conn.state = State::Authorized;
    conn.token_store = Some(secrets.kind());
    conn.authorized_at = Some(now.clone());
    conn.last_verified_at = Some(now);
    if let Some(info) = store {
        conn.store_name = info.name;
        conn.store_domain = info.domain;
    }
    let id = conn.id.clone();
    let name = conn.name.clone();
    let saved = ctx.records.update(|file| {
        file.check_connection_name_free(&conn.name, None)?;
        if let Some(lender) = &conn.borrow_concurrency_from
            && file.connection_by_id(lender).is_none()
        {
            return Err(
                usage("the connection to borrow concurrency from was deleted meanwhile").into(),
            );
        }
        file.connections.push(conn);
        Ok(())
    });
    if let Err(e) = saved {
        let _ = secrets.delete(&connection_account(&id));
        return Err(e);
    }
    ctx.ui.step(&format!(
        "Saved: {name:?} is authorized; its token is in {}",
        secrets.kind().describe()
    ));
    Ok(())
}
