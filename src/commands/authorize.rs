//! `bcconn authorize`: (re-)authorize a saved connection, or create-or-update
//! one from flags and authorize it (the scripting entry point).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::commands::cli::{ConnectionFlags, FlowFlags, StoreFlag};
use crate::connect::authorize::{Consent, authorize_consented};
use crate::connect::commit::{Borrow, Changes};
use crate::connect::plan::{After, Auth, IClientPick, Plan, TokenSource, requested_scopes};
use crate::connect::{create, resolve, tokens};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::store::AuthType;

#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    /// The saved connection to (re-)authorize
    #[arg(value_name = "NAME")]
    pub connection: Option<String>,

    /// With --store-hash: the connection to create or update (default: one for that store and iClient)
    #[arg(long, value_name = "NAME", conflicts_with = "connection")]
    pub name: Option<String>,

    /// Ask nothing: drop scopes that --scopes leaves out, end a sibling's token
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub store: StoreFlag,

    #[command(flatten)]
    pub conn: ConnectionFlags,

    #[command(flatten)]
    pub flow: FlowFlags,

    /// Token connections: read the new access token from stdin
    #[arg(
        long,
        conflicts_with = "api_credentials_file",
        help_heading = "Token auth (token connections)"
    )]
    pub access_token_stdin: bool,

    /// Token connections: the API credentials .txt with the new token
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Token auth (token connections)"
    )]
    pub api_credentials_file: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: AuthorizeArgs) -> Result<ExitStatus> {
    let f = &args.conn;
    let opts = args.flow.options();
    // Before the browser opens, a token with nowhere to go would be lost;
    // but only once the arguments and the name are known good, so that a
    // typo is told as such, not after a question about where secrets go.
    let ready = || crate::connect::ready::secret_store(ctx);
    let file = ctx.records.load()?;
    if let Some(name) = &args.connection {
        if args.store.store_hash.is_some() {
            return Err(
                usage("give a saved connection's NAME or --store-hash, not both")
                    .hint("to create or update by store hash, use --name NAME with --store-hash")
                    .into(),
            );
        }
        let conn = file.require_connection(name)?;
        if conn.auth_type == AuthType::Token {
            ready()?;
            tokens::replace(ctx, conn, token_source(ctx, &args).as_ref())?;
            return Ok(ExitStatus::Success);
        }
        let consent = Consent {
            yes: args.yes,
            matched: false,
        };
        let changes = changes(&args, &conn.name)?;
        ready()?;
        authorize_consented(ctx, &conn.id, &opts, changes, consent)?;
        return Ok(ExitStatus::Success);
    }
    let Some(hash) = args.store.parsed_store_hash()? else {
        return Err(usage("which connection?")
            .hint("name a saved one (`bcconn authorize NAME`), or pass --store-hash H --iclient C --scopes a,b to create or update one")
            .into());
    };
    let Some(iclient_name) = &f.iclient else {
        return Err(usage("--store-hash needs --iclient NAME (see `bcconn iclient list`)").into());
    };
    let iclient = file.require_iclient(iclient_name)?;
    if let Some(conn) = resolve::by_store(&file, &hash, iclient, args.name.as_deref())? {
        let changes = Changes {
            iclient: Some(iclient.name.clone()),
            ..changes(&args, &conn.name)?
        };
        ready()?;
        let consent = Consent {
            yes: args.yes,
            matched: true,
        };
        authorize_consented(ctx, &conn.id, &opts, changes, consent)?;
        return Ok(ExitStatus::Success);
    }
    let Some(scopes) = requested_scopes(f.scopes.as_deref(), f.all_scopes)? else {
        return Err(usage("a new connection needs --scopes a,b or --all-scopes").into());
    };
    let plan = Plan {
        name: args.name.clone().unwrap_or_else(|| hash.to_string()),
        store_hash: hash,
        concurrency: f.concurrency.unwrap_or(1),
        borrow_from: f.borrow_concurrency_from.clone(),
        auth: Auth::OAuth {
            scopes,
            iclient: IClientPick::Existing(iclient.name.clone()),
            after: After::Authorize,
        },
    };
    // The new connection's name and settings, checked here too (`execute`
    // checks them again): a bad --name is said before any question.
    plan.connection(None, &file)?;
    ready()?;
    let consent = Consent {
        yes: args.yes,
        matched: false,
    };
    create::execute_consented(ctx, plan, &opts, consent)?;
    Ok(ExitStatus::Success)
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

/// The flags' changes to a saved OAuth connection; the core checks them
/// against the records before the browser opens.
fn changes(args: &AuthorizeArgs, name: &str) -> Result<Changes> {
    let f = &args.conn;
    if args.access_token_stdin || args.api_credentials_file.is_some() {
        return Err(usage(format!(
            "{name:?} is an OAuth 2.0 connection; it takes no access token"
        ))
        .hint("drop --access-token-stdin / --api-credentials-file")
        .into());
    }
    Ok(Changes {
        scopes: requested_scopes(f.scopes.as_deref(), f.all_scopes)?,
        iclient: f.iclient.clone(),
        concurrency: f.concurrency,
        borrow: f.borrow_concurrency_from.clone().map(Borrow::From),
    })
}
