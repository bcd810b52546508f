//! `bcconn import`: add the records of an exported document.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::connect::bundle;
use crate::connect::rules::few_names;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::store::migrate::{Mode, Report};
use crate::store::{self, Document};
use crate::text::outside;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  bcconn import records.json
  bcconn export | ssh other-host bcconn import -
  bcconn import records.json --replace           # a name that exists is replaced
  bcconn import --from catalyst ~/my-storefront  # its token, as connection catalyst-<hash>
  bcconn import --from stencil --name theme-dev  # secrets.stencil.json in this directory
  bcconn import bcconn.age --identity key.txt    # an encrypted bundle, with its secrets
  BCCONN_PASSPHRASE=... bcconn import bcconn.age")]
pub struct ImportArgs {
    /// The document to read, or - for standard input; with --from, the
    /// project directory (default: the current one)
    #[arg(value_name = "FILE", required_unless_present = "from")]
    pub file: Option<PathBuf>,
    /// Replace a saved record that has the same name (otherwise a clash is an error)
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub from_cli: super::from_cli::FromArgs,
    /// The age identity file (AGE-SECRET-KEY-1...) that opens an encrypted bundle
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub identity: Option<PathBuf>,
    /// Save a bundle's tokens without checking them against their stores
    #[arg(long)]
    pub no_verify: bool,
}

/// The largest document `import` reads (100,000 connections take ~70 MB).
const IMPORT_MAX: u64 = 512 << 20;

pub fn import(ctx: &Context, args: ImportArgs) -> Result<ExitStatus> {
    if args.from_cli.from.is_some() {
        return super::from_cli::import(ctx, args);
    }
    let file = args.file.clone().unwrap_or_default();
    let from_stdin = file.as_os_str() == "-";
    let bytes = if from_stdin {
        let buf = ctx.stdin.read_bounded(IMPORT_MAX)?;
        if buf.len() as u64 > IMPORT_MAX {
            return Err(usage(
                "standard input holds more than 512 MiB; that is not a bcconn document",
            )
            .into());
        }
        buf
    } else {
        crate::fsutil::read_regular(&file)?.ok_or_else(|| {
            usage(format!("{} does not exist", file.display()))
                .hint("name a file written by `bcconn export` (or an old bcconn.json), or - for standard input")
        })?
    };
    let shown = if from_stdin {
        std::path::PathBuf::from("standard input")
    } else {
        file
    };
    if bundle::is_age(&bytes) {
        let (doc, secrets) = bundle::open_file(ctx, &bytes, &shown, args.identity.as_deref())?;
        let done = bundle::import(ctx, doc, secrets, args.replace, !args.no_verify, &shown)?;
        say(ctx, &done.report);
        super::bundle::say_imported(ctx, &done);
        return Ok(ExitStatus::Success);
    }
    if args.identity.is_some() {
        return Err(usage(format!(
            "{} is not encrypted; --identity is for an encrypted bundle",
            outside(&shown.display().to_string(), 300)
        ))
        .hint("leave out --identity")
        .into());
    }
    let doc: Document = store::parse(&bytes, &shown)?;
    // Secrets travel only encrypted, and never land in the records.
    if doc.extra.contains_key(bundle::SECRETS_FIELD) {
        return Err(usage(format!("{} holds secrets in plain text; bcconn imports secrets only from an encrypted bundle", outside(&shown.display().to_string(), 300)))
            .hint("encrypt it (`age -r AGE_PUBLIC_KEY -o bundle.age FILE`), import bundle.age with --identity, and delete the plain copy")
            .into());
    }
    let secrets_needed: Vec<String> = doc.iclients.iter().map(|i| i.name.clone()).collect();
    let report = ctx.records.import(
        doc,
        Mode::Fresh {
            replace: args.replace,
        },
        &shown,
    )?;
    // The tokens of replaced connections are no longer named by a record.
    bundle::retire(ctx, &report.retired);
    say(ctx, &report);
    if !report.connections_added.is_empty() || !report.connections_replaced.is_empty() {
        ctx.ui.say(
            "Imported connections have no token: they are pending until `bcconn authorize NAME`.",
        );
    }
    if !secrets_needed.is_empty() {
        ctx.ui.say(&format!(
            "A document holds no secrets: give {} its client secret with `bcconn iclient edit NAME --client-secret-stdin`.",
            few_names(&secrets_needed)
        ));
    }
    Ok(ExitStatus::Success)
}

/// What an import added and replaced, by kind.
fn say(ctx: &Context, report: &Report) {
    let line = |verb: &str, kind: &str, names: &[String]| {
        if !names.is_empty() {
            ctx.ui.step(&format!(
                "{verb} {} {kind}{}: {}",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                few_names(names)
            ));
        }
    };
    line("Added", "iClient", &report.iclients_added);
    line("Replaced", "iClient", &report.iclients_replaced);
    line("Added", "connection", &report.connections_added);
    line("Replaced", "connection", &report.connections_replaced);
    if *report == Default::default() {
        ctx.ui
            .say("Nothing to import: the document holds no records.");
    }
}
