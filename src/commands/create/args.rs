//! `bcconn create`'s arguments, and the draft they make.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::commands::cli::{AuthTypeArg, ConnectionFlags, FlowFlags, StoreFlag};
use crate::connect::plan::{After, Draft, IClientPick, TokenSource, requested_scopes};
use crate::context::Context;
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

    /// Walk through on a terminal even when the flags give everything: the steps they leave out, then the summary, where any step can be changed
    #[arg(long, conflicts_with = "yes")]
    pub interactive: bool,

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
pub(super) fn draft(ctx: &Context, args: &CreateArgs) -> Result<Draft> {
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
