//! `bcconn create`: a new connection, from flags, the walk-through, or both.
//!
//! Flags and the wizard fill one [`Draft`]; nothing is written until it is a
//! complete, valid [`Plan`]. Then: save the iClient if a new one was asked
//! for, save the connection, and (unless `--no-authorize`) authorize it.

use std::path::PathBuf;

use anyhow::Result;
use secrecy::SecretString;

use crate::bigcommerce::scopes;
use crate::bigcommerce::store_hash::StoreHash;
use crate::cli::{CreateArgs, FlowFlags};
use crate::commands::iclient::{NewIClient, save_new};
use crate::commands::{authorize, token_auth};
use crate::context::Context;
use crate::error::usage;
use crate::store::{AuthType, Connection, IClient, RecordFile};
use crate::ui::shell_word;

/// Which iClient a new connection uses.
pub enum IClientPick {
    Existing(String),
    New(NewIClient),
}

/// Where a token-type connection's token comes from.
pub enum TokenSource {
    Stdin,
    File(PathBuf),
    Env,
    /// Typed at the hidden prompt (or read from a file) by the wizard.
    Given(SecretString),
}

/// What to do once the plan is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Authorize,
    SaveOnly,
}

/// A plan with holes: what the flags gave. The wizard fills the holes.
#[derive(Default)]
pub struct Draft {
    pub name: Option<String>,
    pub auth_type: Option<AuthType>,
    pub store_hash: Option<StoreHash>,
    pub scopes: Option<Vec<String>>,
    pub iclient: Option<IClientPick>,
    pub concurrency: Option<u8>,
    pub borrow_from: Option<String>,
    pub token: Option<TokenSource>,
    pub after: Option<After>,
}

/// A complete plan.
pub struct Plan {
    pub name: String,
    pub auth_type: AuthType,
    pub store_hash: StoreHash,
    pub scopes: Vec<String>,
    pub iclient: Option<IClientPick>,
    pub concurrency: u8,
    pub borrow_from: Option<String>,
    pub token: Option<TokenSource>,
    pub after: After,
}

/// `--scopes`/`--all-scopes` as a normalized list (None: neither given).
pub fn requested_scopes(list: Option<&str>, all: bool) -> Result<Option<Vec<String>>> {
    if all {
        return Ok(Some(scopes::all_store_scopes()));
    }
    match list {
        None => Ok(None),
        Some(text) => {
            let list = scopes::parse_list(text).map_err(|e| usage(e.to_string()))?;
            // Account-level scopes belong to account API accounts; an app
            // token can never carry them, so asking for one is a mistake.
            if let Some(s) = list
                .iter()
                .filter_map(|s| scopes::lookup(s))
                .find(|s| s.group == scopes::Group::Account)
            {
                return Err(usage(format!(
                    "{} is an account-level scope; store connections cannot have it",
                    s.name
                ))
                .hint("account-level scopes are for account API accounts (bcconn manages store connections); see `bcconn scopes`")
                .into());
            }
            Ok(Some(list))
        }
    }
}

/// A warning when a connection borrows from one for another store.
pub fn lender_store_warning(
    file: &RecordFile,
    hash: &StoreHash,
    lender_id: &str,
) -> Option<String> {
    let lender = file.connection_by_id(lender_id)?;
    (&lender.store_hash != hash).then(|| {
        format!(
            "{:?} is for store {}, not {hash}: the two will share one concurrency pool",
            lender.name, lender.store_hash
        )
    })
}

impl Draft {
    pub fn from_args(ctx: &Context, args: &CreateArgs) -> Result<Draft> {
        let c = &args.conn;
        let token = if args.access_token_stdin {
            Some(TokenSource::Stdin)
        } else if let Some(p) = &args.api_credentials_file {
            Some(TokenSource::File(p.clone()))
        } else if ctx.env.access_token.is_some() && args.auth_type == Some(AuthType::Token) {
            Some(TokenSource::Env)
        } else {
            None
        };
        // A token source implies the token auth type.
        let auth_type = args.auth_type.or(token.as_ref().map(|_| AuthType::Token));
        if auth_type == Some(AuthType::Token) && args.no_authorize {
            return Err(usage("--no-authorize is for OAuth connections: a token connection is verified as it is saved")
                .hint("drop --no-authorize")
                .into());
        }
        if auth_type == Some(AuthType::Oauth2) && token.is_some() {
            return Err(usage(
                "--access-token-stdin and --api-credentials-file are for --auth-type token",
            )
            .into());
        }
        Ok(Draft {
            name: args.name.clone(),
            auth_type,
            store_hash: c.parsed_store_hash()?,
            scopes: requested_scopes(c.scopes.as_deref(), c.all_scopes)?,
            iclient: c.iclient.clone().map(IClientPick::Existing),
            concurrency: c.concurrency,
            borrow_from: c.borrow_concurrency_from.clone(),
            token,
            after: args.no_authorize.then_some(After::SaveOnly),
        })
    }

    /// Completes the draft without asking; names the flags that are missing.
    pub fn complete(self) -> Result<Plan> {
        let auth_type = self.auth_type.unwrap_or(AuthType::Oauth2);
        let mut missing = Vec::new();
        if self.name.is_none() {
            missing.push("NAME");
        }
        if self.store_hash.is_none() {
            missing.push("--store-hash HASH");
        }
        match auth_type {
            AuthType::Oauth2 => {
                if self.scopes.is_none() {
                    missing.push("--scopes a,b (or --all-scopes)");
                }
                if self.iclient.is_none() {
                    missing.push("--iclient NAME");
                }
            }
            AuthType::Token => {
                if self.token.is_none() {
                    missing.push("--access-token-stdin (or --api-credentials-file FILE, or BCCONN_ACCESS_TOKEN)");
                }
            }
        }
        if !missing.is_empty() {
            return Err(usage(format!("missing {}", missing.join(", ")))
                .hint("pass them as flags, or run `bcconn create` in a terminal to be asked")
                .into());
        }
        Ok(Plan {
            name: self.name.expect("checked"),
            auth_type,
            store_hash: self.store_hash.expect("checked"),
            scopes: self.scopes.unwrap_or_default(),
            iclient: self.iclient,
            concurrency: self.concurrency.unwrap_or(1),
            borrow_from: self.borrow_from,
            token: self.token,
            after: self.after.unwrap_or(After::Authorize),
        })
    }
}

pub fn run(ctx: &Context, args: CreateArgs) -> Result<u8> {
    let mut draft = Draft::from_args(ctx, &args)?;
    // Token connections carry the store hash in the credentials file; read it
    // before deciding what is missing.
    if let Some(TokenSource::File(path)) = &draft.token {
        let creds = token_auth::read_credentials_file(path)?;
        match (&draft.store_hash, creds.store_hash) {
            (Some(given), Some(found)) if *given != found => {
                return Err(usage(format!(
                    "--store-hash {given} differs from the store in {} ({found})",
                    path.display()
                ))
                .into());
            }
            (None, found) => draft.store_hash = found,
            _ => {}
        }
        draft.token = Some(TokenSource::Given(creds.token));
    }
    let records = ctx.records.load()?;
    // Fail fast on what flags got wrong, before any prompt.
    if let Some(name) = &draft.name {
        records.check_connection_name_free(name, None)?;
    }
    if let Some(IClientPick::Existing(name)) = &draft.iclient {
        records.require_iclient(name)?;
    }
    if let Some(lender) = &draft.borrow_from {
        records.check_borrow(None, draft.name.as_deref().unwrap_or(""), lender)?;
    }
    let plan = if ctx.interactive && !args.yes {
        match crate::wizard::run(ctx, draft, &records)? {
            Some(plan) => plan,
            None => {
                ctx.ui.say("Cancelled; nothing was saved.");
                return Ok(crate::error::exit::INTERRUPTED);
            }
        }
    } else {
        draft.complete()?
    };
    execute(ctx, plan, &args.flow)
}

/// Saves what the plan says and authorizes when asked. Everything that can
/// be checked is checked before the first write; a new iClient saved for
/// this connection is taken back if the connection then cannot be saved.
pub fn execute(ctx: &Context, mut plan: Plan, flow: &FlowFlags) -> Result<u8> {
    if plan.auth_type == AuthType::Token {
        let token = token_auth::read_token(ctx, plan.token.as_ref())?;
        let conn = new_connection(&plan, None, &ctx.records.load()?)?;
        token_auth::save_new(ctx, conn, token)?;
        return Ok(0);
    }
    let file = ctx.records.load()?;
    // Fail before writing anything: the record must be valid…
    new_connection(&plan, None, &file)?;
    let pick = plan
        .iclient
        .take()
        .ok_or_else(|| usage("an OAuth connection needs an iClient; pass --iclient NAME"))?;
    // …and, when authorizing right away, the flow must be able to run.
    let secret = if plan.after == After::Authorize {
        Some(match &pick {
            IClientPick::Existing(name) => {
                authorize::preflight(ctx, file.require_iclient(name)?, None, flow)?
            }
            IClientPick::New(new) => {
                let draft = IClient {
                    id: String::new(),
                    name: new.name.clone(),
                    client_id: new.client_id.clone(),
                    callback_url: new.callback_url.clone(),
                    secret_store: ctx.env.secret_store_kind()?,
                    created_at: String::new(),
                    updated_at: String::new(),
                };
                authorize::preflight(ctx, &draft, Some(&new.secret), flow)?
            }
        })
    } else {
        None
    };
    let (iclient_id, new_iclient) = match pick {
        IClientPick::Existing(name) => (file.require_iclient(&name)?.id.clone(), None),
        IClientPick::New(new) => {
            let saved = save_new(ctx, new)?;
            ctx.ui.step(&format!(
                "Saved iClient {:?} (secret in {})",
                saved.name,
                saved.secret_store.describe()
            ));
            (saved.id.clone(), Some(saved))
        }
    };
    let mut warning = None;
    let saved = ctx.records.update(|file| {
        let conn = new_connection(&plan, Some(iclient_id.clone()), file)?;
        if let Some(id) = &conn.borrow_concurrency_from {
            warning = lender_store_warning(file, &conn.store_hash, id);
        }
        file.connections.push(conn.clone());
        Ok(conn)
    });
    let conn = match saved {
        Ok(conn) => conn,
        Err(e) => {
            if let Some(ic) = new_iclient {
                remove_iclient(ctx, &ic);
            }
            return Err(e);
        }
    };
    if let Some(w) = warning {
        ctx.ui.warn(&w);
    }
    let name = shell_word(&conn.name);
    ctx.ui.step(&format!(
        "Saved connection {:?} for store {} (pending)",
        conn.name, conn.store_hash
    ));
    let Some(secret) = secret else {
        ctx.ui
            .say(&format!("Authorize it when ready: bcconn authorize {name}"));
        return Ok(0);
    };
    authorize::authorize_saved(ctx, &conn.id, flow, true, &secret)?;
    Ok(0)
}

/// Takes back an iClient this run saved (record, then secret).
fn remove_iclient(ctx: &Context, ic: &IClient) {
    let _ = ctx.records.update(|file| {
        file.iclients.retain(|c| c.id != ic.id);
        Ok(())
    });
    let _ = ctx
        .secrets(ic.secret_store)
        .and_then(|s| s.delete(&crate::secrets::iclient_account(&ic.id)));
}

/// Builds the record for a plan, checking it against the current records.
fn new_connection(
    plan: &Plan,
    iclient_id: Option<String>,
    file: &RecordFile,
) -> Result<Connection> {
    file.check_connection_name_free(&plan.name, None)?;
    let borrow = match &plan.borrow_from {
        Some(lender) => Some(file.check_borrow(None, &plan.name, lender)?),
        None => None,
    };
    if plan.auth_type == AuthType::Oauth2 && plan.scopes.is_empty() {
        return Err(usage("no scopes given")
            .hint("pass --scopes a,b or --all-scopes")
            .into());
    }
    Ok(Connection {
        scopes: plan.scopes.clone(),
        iclient_id,
        concurrency: plan.concurrency,
        borrow_concurrency_from: borrow,
        ..Connection::pending(&plan.name, plan.auth_type, plan.store_hash.clone())
    })
}
