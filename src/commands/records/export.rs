//! `bcconn export`: the records as one document, or with their secrets as
//! an encrypted bundle.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::bundle;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  bcconn export > records.json
  bcconn export shop staging > two.json
  bcconn export --with-secrets --recipient age1... > bcconn.age
  bcconn export shop --with-secrets --passphrase --armor -o shop.age
  bcconn export --with-secrets --recipient age1... | ssh other-host bcconn import --identity key.txt -")]
pub struct ExportArgs {
    /// Connections to export (with the iClients they use); none: everything
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Include the client secrets and current tokens, encrypted as an age file
    /// (needs --recipient or --passphrase)
    #[arg(long)]
    pub with_secrets: bool,
    /// Encrypt to this age public key (age1...); repeatable
    #[arg(long, value_name = "AGE_PUBLIC_KEY", requires = "with_secrets")]
    pub recipient: Vec<String>,
    /// Encrypt with a passphrase (asked twice, hidden; or BCCONN_PASSPHRASE)
    #[arg(long, requires = "with_secrets", conflicts_with = "recipient")]
    pub passphrase: bool,
    /// Write the age file as ASCII armor (text), not binary
    #[arg(long, requires = "with_secrets")]
    pub armor: bool,
    /// Write to FILE (must not exist; created 0600) instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn export(ctx: &Context, args: ExportArgs) -> Result<ExitStatus> {
    // Refused before anything is asked or read.
    let lock = if args.with_secrets {
        bundle::check_output(args.output.as_deref(), args.armor)?;
        Some(crate::connect::bundle::lock_from(
            &args.recipient,
            args.passphrase,
        )?)
    } else {
        None
    };
    let mut doc = ctx.records.document()?;
    // Personal, never exported.
    doc.default_connection = None;
    if !args.names.is_empty() {
        let tx = ctx.records.load()?;
        let mut ids = HashSet::new();
        for name in &args.names {
            ids.insert(tx.require_connection(name)?.id.clone());
        }
        doc.connections.retain(|c| ids.contains(&c.id));
        let used: HashSet<&str> = doc
            .connections
            .iter()
            .filter_map(|c| c.iclient_id.as_deref())
            .collect();
        let keep: Vec<_> = doc
            .iclients
            .iter()
            .filter(|i| used.contains(i.id.as_str()))
            .cloned()
            .collect();
        doc.iclients = keep;
    }
    match lock {
        Some(lock) => bundle::export(ctx, &doc, lock, &args)?,
        None => {
            let mut text = serde_json::to_string_pretty(&doc)?;
            text.push('\n');
            match &args.output {
                Some(path) => bundle::write_new(path, text.as_bytes())?,
                None => ui::out(&text)?,
            }
        }
    }
    Ok(ExitStatus::Success)
}
