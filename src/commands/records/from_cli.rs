//! `bcconn import --from catalyst|stencil [PATH]`: a token connection from
//! the token BigCommerce's own CLIs keep in a project.

use std::path::PathBuf;

use anyhow::Result;

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

pub fn import(ctx: &Context, from: From, args: ImportArgs) -> Result<ExitStatus> {
    let source = match from {
        From::Catalyst => Source::Catalyst,
        From::Stencil => Source::Stencil,
    };
    from_cli::import(
        ctx,
        Request {
            source,
            dir: args.file.unwrap_or_else(|| PathBuf::from(".")),
            name: args.name,
            store_hash: args.store_hash,
            replace: args.replace,
        },
    )?;
    Ok(ExitStatus::Success)
}
