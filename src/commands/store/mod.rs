//! `bcconn store migrate | grants | copy`: the record store itself (a
//! team's shared PostgreSQL store, `BCCONN_STORE_URL`).

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::connect::store_copy::{self, Destination};
use crate::context::Context;
use crate::error::{ExitStatus, usage};
use crate::store::postgres::schema;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Bring the shared store's schema up to this bcconn's (never done as a side effect)
    #[command(
        after_help = "Example:\n  BCCONN_STORE_URL=postgres://owner@db/bcconn bcconn store migrate"
    )]
    Migrate,
    /// Print the SQL for a writer role and a read-only role for workers
    #[command(after_help = "Example:\n  bcconn store grants | psql postgres://owner@db/bcconn")]
    Grants,
    /// Copy every record and secret into another store, in one transaction there
    #[command(
        after_help = "Examples:\n  TEAM=postgres://app:PW@db/bcconn \\\n    bcconn store copy --to-env TEAM\n  BCCONN_STORE_URL=postgres://app:PW@db/bcconn \\\n    bcconn store copy --to ~/bcconn-home"
    )]
    Copy(CopyArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct CopyArgs {
    /// A directory (a bcconn home) for its local database, or a postgres:// URL without a password; it must be empty
    #[arg(long, value_name = "DIR|URL")]
    pub to: Option<String>,

    /// The name of a variable holding the destination's postgres:// URL (so its password stays off the command line)
    #[arg(long, value_name = "VAR")]
    pub to_env: Option<String>,
}

pub fn run(ctx: &Context, cmd: StoreCommand) -> Result<ExitStatus> {
    match cmd {
        StoreCommand::Migrate => migrate(ctx),
        StoreCommand::Grants => {
            let database = ctx
                .records
                .shared()
                .map(|pg| pg.database())
                .unwrap_or_else(|| "bcconn".into());
            crate::ui::out(&schema::grants(&database))?;
            Ok(ExitStatus::Success)
        }
        StoreCommand::Copy(args) => copy(ctx, args),
    }
}

fn migrate(ctx: &Context) -> Result<ExitStatus> {
    let Some(pg) = ctx.records.shared() else {
        return Err(usage(
            "bcconn store migrate is for a shared store: BCCONN_STORE_URL is not set",
        )
        .hint("the local database brings its own schema up to date when bcconn opens it")
        .into());
    };
    let (before, after) = pg.migrate()?;
    if before == after {
        ctx.ui.step(&format!(
            "{} is at schema {after}, as this bcconn needs; nothing to do",
            pg.shown()
        ));
    } else {
        ctx.ui.step(&format!(
            "{}: schema {before} → {after} (bcconn {} or newer can use it)",
            pg.shown(),
            schema::STEPS[(after - 1) as usize].1
        ));
    }
    Ok(ExitStatus::Success)
}

fn copy(ctx: &Context, args: CopyArgs) -> Result<ExitStatus> {
    let to = match (&args.to, &args.to_env) {
        (_, Some(var)) => Destination::from_env(var)?,
        (Some(to), None) => Destination::parse(to)?,
        (None, None) => unreachable!("clap requires one"),
    };
    let done = store_copy::copy(ctx, &to)?;
    ctx.ui.step(&format!(
        "Copied {} iClient{}, {} connection{} and {} secret{} (sealed) to {}",
        done.iclients,
        plural(done.iclients),
        done.connections,
        plural(done.connections),
        done.secrets,
        plural(done.secrets),
        to.shown()
    ));
    if !done.without_token.is_empty() {
        ctx.progress.warn(&format!(
            "no token to copy for {}: copied as pending (authorize there with `bcconn authorize NAME`)",
            done.without_token.join(", ")
        ));
    }
    if !done.without_storefront.is_empty() {
        ctx.progress.warn(&format!(
            "the saved storefront tokens {} are missing from their stores: left out",
            done.without_storefront.join(", ")
        ));
    }
    if let Destination::Shared(_) = to {
        ctx.ui.say("Use it with BCCONN_STORE_URL set to that URL and the same BCCONN_SECRET_KEY on every machine.");
    }
    Ok(ExitStatus::Success)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
