//! `bcconn create`: a new connection, from flags, the walk-through, or both.
//! Flags fill a `Draft`; the walk-through fills its holes on a terminal;
//! `connect::create` saves the plan and authorizes it.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::commands::cli::{AuthTypeArg, ConnectionFlags, FlowFlags, StoreFlag};
use crate::connect::plan::{After, Draft, IClientPick, TokenSource, requested_scopes};
use crate::connect::{create, tokens};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::store::AuthType;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A unique name for the connection
    pub name: Option<String>,

    /// OAuth 2.0 through an app (default), or a store-level API account token
    #[arg(long, value_enum)]
    pub auth_type: Option<AuthTypeArg>,

    /// Do not ask; fail if something is missing
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub store: StoreFlag,

    #[command(flatten)]
    pub conn: ConnectionFlags,

    #[command(flatten)]
    pub flow: FlowFlags,

    /// Save the connection as pending without authorizing it
    #[arg(long)]
    pub no_authorize: bool,

    /// Read the access token from stdin
    #[arg(
        long,
        conflicts_with = "api_credentials_file",
        help_heading = "Token auth (--auth-type token)"
    )]
    pub access_token_stdin: bool,

    /// The API credentials .txt BigCommerce downloaded when the API account was created
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Token auth (--auth-type token)"
    )]
    pub api_credentials_file: Option<PathBuf>,
}

/// What the flags say, as a draft.
fn draft(ctx: &Context, args: &CreateArgs) -> Result<Draft> {
    let c = &args.conn;
    let token = if args.access_token_stdin {
        Some(TokenSource::Stdin)
    } else if let Some(p) = &args.api_credentials_file {
        Some(TokenSource::File(p.clone()))
    } else if ctx.env.access_token.is_some()
        && args.auth_type.map(AuthType::from) == Some(AuthType::Token)
    {
        Some(TokenSource::Env)
    } else {
        None
    };
    // A token source implies the token auth type.
    let auth_type = args
        .auth_type
        .map(AuthType::from)
        .or(token.as_ref().map(|_| AuthType::Token));
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
        store_hash: args.store.parsed_store_hash()?,
        scopes: requested_scopes(c.scopes.as_deref(), c.all_scopes)?,
        iclient: c.iclient.clone().map(IClientPick::Existing),
        concurrency: c.concurrency,
        borrow_from: c.borrow_concurrency_from.clone(),
        token,
        after: args.no_authorize.then_some(After::SaveOnly),
    })
}

pub fn run(ctx: &Context, args: CreateArgs) -> Result<ExitStatus> {
    let mut draft = draft(ctx, &args)?;
    // Token connections carry the store hash in the credentials file; read it
    // before deciding what is missing.
    if let Some(TokenSource::File(path)) = &draft.token {
        let creds = tokens::read_credentials_file(path)?;
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
    let opts = args.flow.options();
    let (plan, opts) = if ctx.interactive && !args.yes {
        drop(records);
        // The walk-through offers every iClient and lender: all records.
        let all = ctx.records.document()?;
        match crate::wizard::run(ctx, draft, &all, &opts)? {
            Some(done) => done,
            None => {
                ctx.ui.say("Cancelled; nothing was saved.");
                return Ok(ExitStatus::Interrupted);
            }
        }
    } else {
        (draft.complete()?, opts)
    };
    create::execute(ctx, plan, &opts)?;
    Ok(ExitStatus::Success)
}
