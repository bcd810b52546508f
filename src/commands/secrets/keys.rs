//! `bcconn secrets new-key` and `rotate-key`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use secrecy::ExposeSecret;

use crate::context::Context;
use crate::error::{ExitStatus, usage};
use crate::secrets::seal::{self, SealKeys};
use crate::text::{outside, shell_word};
use crate::ui;

#[derive(Debug, Args)]
pub struct NewKeyArgs {
    /// Write the key to this new file (mode 0600) instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    /// A 0600 file holding the new key (as `new-key` writes it); without it,
    /// secrets are re-sealed under the first key of BCCONN_SECRET_KEY
    #[arg(long, value_name = "FILE")]
    pub new_key_file: Option<PathBuf>,
}

pub fn new_key(ctx: &Context, args: NewKeyArgs) -> Result<ExitStatus> {
    let key = seal::new_key()?;
    let id = key
        .expose_secret()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    match &args.output {
        Some(path) => {
            // A fresh machine may not have ~/.config yet.
            if let Some(dir) = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty() && !d.exists())
            {
                crate::fsutil::ensure_private_dir(dir)?;
            }
            crate::fsutil::write_new_private(path, format!("{}\n", key.expose_secret()).as_bytes())
                .map_err(|e| {
                    usage(format!(
                        "cannot write {}: {}",
                        outside(&path.display().to_string(), 200),
                        crate::error::message(&e)
                    ))
                    .hint("name a new file in a directory that exists; a key file is never overwritten")
                })?;
            ctx.ui.step(&format!(
                "Wrote the key {id} to {} (mode 0600)",
                path.display()
            ));
            ctx.ui.say(&format!(
                "Use it with: export BCCONN_SECRET_KEY_FILE={} BCCONN_SECRET_STORE=sealed",
                shell_word(&path.display().to_string())
            ));
        }
        None => {
            ui::out(&format!("{}\n", key.expose_secret()))?;
            ctx.ui.say(&format!(
                "A new key {id}: keep it where only you can read it (BCCONN_SECRET_KEY, or a 0600 file for BCCONN_SECRET_KEY_FILE); a lost key loses every secret sealed with it"
            ));
        }
    }
    Ok(ExitStatus::Success)
}

pub fn rotate_key(ctx: &Context, args: RotateKeyArgs) -> Result<ExitStatus> {
    let store = ctx.sealed_store();
    let new = match &args.new_key_file {
        Some(path) => SealKeys::parse(
            &seal::read_key_file(path)?,
            &format!("the key file {}", outside(&path.display().to_string(), 200)),
        )?,
        None => ctx.seal_keys()?,
    };
    let held: u64 = store.usage()?.iter().map(|(_, n)| n).sum();
    let done = store.rotate(&new)?;
    let to = new.sealing_id();
    if held == 0 {
        ctx.ui.step("There are no sealed secrets; nothing changed");
        return Ok(ExitStatus::Success);
    }
    if done.total == 0 {
        ctx.ui.step(&format!(
            "Every sealed secret is already sealed by {to}; nothing changed"
        ));
    } else {
        let from: Vec<String> = done
            .by_key
            .iter()
            .map(|(k, n)| format!("{n} from {k}"))
            .collect();
        ctx.ui.step(&format!(
            "Re-sealed {} secret{} under the key {to} ({}), in one transaction",
            done.total,
            if done.total == 1 { "" } else { "s" },
            from.join(", ")
        ));
    }
    if args.new_key_file.is_some() && done.total > 0 {
        ctx.ui.say(&format!(
            "Next: put {to} first in BCCONN_SECRET_KEY (or its file) here and on every machine that shares these records; an old key can leave the list once no secret is sealed by it (`bcconn doctor` names any)"
        ));
    }
    Ok(ExitStatus::Success)
}
