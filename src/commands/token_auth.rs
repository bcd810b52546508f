//! Token-type connections: a store-level API account's access token, taken
//! from stdin, the environment, a hidden prompt or the credentials `.txt`
//! BigCommerce downloads; verified against the store, then stored.

use std::path::Path;

use anyhow::Result;
use secrecy::SecretString;

use crate::bigcommerce::api::{self, Check, StoreInfo};
use crate::bigcommerce::store_hash::StoreHash;
use crate::commands::create::TokenSource;
use crate::commands::{SecretSource, read_secret, runtime};
use crate::context::Context;
use crate::error::{Failure, failure, usage};
use crate::secrets::connection_account;
use crate::store::{self, Connection, State};
use crate::ui::shell_word;

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

/// Turns a failed token check into a message; `what` names the token.
pub fn check_failure(
    check: Check,
    store: &StoreHash,
    what: &str,
) -> Result<Option<StoreInfo>, Failure> {
    match check {
        Check::Ok { store } => Ok(store),
        Check::Invalid(why) => Err(failure(format!(
            "the store API refused {what} for store {store} (401: {why}); it was not saved"
        ))),
        Check::Forbidden(why) => Err(failure(format!(
            "{what} cannot reach store {store} (403: {why}); it was not saved"
        ))
        .hint("check that the token belongs to that store")),
        Check::Unreachable(why) => Err(failure(format!(
            "could not verify {what}: {why}; it was not saved"
        ))
        .hint("check your network, or BCCONN_API_URL if you set it")),
    }
}

/// Checks a token against its store; says so when it works.
fn verify(ctx: &Context, hash: &StoreHash, token: &SecretString) -> Result<Option<StoreInfo>> {
    crate::env::check_base_url("BCCONN_API_URL", &ctx.env.api_url)?;
    let http = api::http_client();
    let check = runtime()?.block_on(api::check(&http, &ctx.env.api_url, hash, token));
    let store = check_failure(check, hash, "this token").map_err(|f| {
        f.hint("copy the ACCESS TOKEN of a store-level API account of that store (Settings › API › Store-level API accounts)")
    })?;
    ctx.ui.step(&format!(
        "Token verified: store {}",
        store
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .unwrap_or(hash.as_str())
    ));
    Ok(store)
}

/// Verifies a new token connection's token, then stores token and record.
pub fn save_new(ctx: &Context, mut conn: Connection, token: SecretString) -> Result<()> {
    let secrets = ctx.default_secrets()?;
    let store = verify(ctx, &conn.store_hash, &token)?;
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
    let (id, name) = (conn.id.clone(), conn.name.clone());
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
    ctx.ui.say(&format!(
        "Use it from scripts: bcconn token {}",
        shell_word(&name)
    ));
    Ok(())
}

/// Replaces a saved token connection's token with a new, verified one.
pub fn replace(ctx: &Context, conn: &Connection, source: Option<&TokenSource>) -> Result<()> {
    let secrets = ctx.default_secrets()?;
    let token = read_token(ctx, source)?;
    let store = verify(ctx, &conn.store_hash, &token)?;
    let account = connection_account(&conn.id);
    // Keep the old token until the record points at the new one.
    let old = crate::secrets::snapshot(secrets.as_ref(), &account, conn.token_store)?;
    secrets.set(&account, &token)?;
    let now = store::now();
    let kind = secrets.kind();
    let updated = ctx.records.update(|file| {
        let c = file
            .connections
            .iter_mut()
            .find(|c| c.id == conn.id)
            .ok_or_else(|| failure("the connection was deleted meanwhile"))?;
        c.state = State::Authorized;
        c.token_store = Some(kind);
        c.authorized_at = Some(now.clone());
        c.last_verified_at = Some(now.clone());
        c.last_error = None;
        if let Some(info) = &store {
            c.store_name = info.name.clone();
            c.store_domain = info.domain.clone();
        }
        c.updated_at = now.clone();
        Ok(())
    });
    if let Err(e) = updated {
        crate::secrets::restore(secrets.as_ref(), &account, old.as_ref());
        return Err(e);
    }
    if let Some(prev) = conn.token_store.filter(|k| *k != kind) {
        let _ = ctx.secrets(prev).and_then(|s| s.delete(&account));
    }
    ctx.ui.step(&format!(
        "Saved: {:?} has its new token in {}",
        conn.name,
        kind.describe()
    ));
    Ok(())
}
