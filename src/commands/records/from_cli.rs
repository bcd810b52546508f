//! `bcconn import --from catalyst|stencil [PATH]`: a token connection from
//! the token BigCommerce's own CLIs keep in a project.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::ImportArgs;
use crate::connect::from_cli::{self, Request, Source};
use crate::context::Context;
use crate::error::ExitStatus;

/// Whose files `import --from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum From {
    /// Catalyst's .bigcommerce/project.json, or create-catalyst's .catalyst
    Catalyst,
    /// Stencil's secrets.stencil.json (or the secretsFileName of config.stencil.json)
    Stencil,
}

/// `import`'s flags for a CLI's project (FILE is then its directory).
#[derive(Debug, Args)]
pub struct FromArgs {
    /// Import the token a BigCommerce CLI keeps in a project, as a token connection
    #[arg(long, value_name = "CLI")]
    pub from: Option<From>,
    /// With --from: the connection's name (default: catalyst-<hash> or stencil-<hash>)
    #[arg(long, value_name = "NAME", requires = "from")]
    pub name: Option<String>,
    /// With --from: the store, when the project's files do not say
    #[arg(long, value_name = "HASH", requires = "from")]
    pub store_hash: Option<String>,
}

pub fn import(ctx: &Context, args: ImportArgs) -> Result<ExitStatus> {
    let source = match args.from_cli.from {
        Some(From::Catalyst) => Source::Catalyst,
        Some(From::Stencil) => Source::Stencil,
        None => unreachable!("import dispatches here with --from only"),
    };
    from_cli::import(
        ctx,
        Request {
            source,
            dir: args.file.unwrap_or_else(|| PathBuf::from(".")),
            name: args.from_cli.name,
            store_hash: args.from_cli.store_hash,
            replace: args.replace,
        },
    )?;
    Ok(ExitStatus::Success)
}
