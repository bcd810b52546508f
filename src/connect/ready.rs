//! The secret store must answer before a person is asked anything or a
//! browser opens: found only at the last step, an unreachable keyring (an
//! SSH server, WSL, a container) would throw away every answer typed.
//!
//! On a terminal, the stores that answer here and now are offered for this
//! run; without one, the store's own error (with its hint) ends the run
//! before any work.

use anyhow::Result;

use crate::context::Context;
use crate::error::cancelled;
use crate::secrets::{self, FileStore, StoreKind};
use crate::text::outside;

/// Makes sure new secrets have somewhere to go, asking on a terminal.
pub fn secret_store(ctx: &Context) -> Result<()> {
    let kind = ctx.default_store_kind()?;
    let Err(e) = answers(ctx, kind) else {
        return Ok(());
    };
    if !ctx.interactive {
        return Err(e);
    }
    // Only what works at this moment: offering a store that fails too would
    // just move the failure to the last step.
    // Sealed first: it survives reboots and keeps only ciphertext on disk.
    let working: Vec<StoreKind> = [StoreKind::Sealed, StoreKind::Keyutils, StoreKind::File]
        .into_iter()
        .filter(|&k| k != kind && answers(ctx, k).is_ok())
        .collect();
    if working.is_empty() {
        return Err(e);
    }
    let (_, message, _) = crate::error::report(&e).into_parts();
    let sealed_needs_key = kind != StoreKind::Sealed && !working.contains(&StoreKind::Sealed);
    let mut options: Vec<String> = working.iter().map(|&k| offer(ctx, k)).collect();
    options.push("Stop here (nothing has been asked or saved)".into());
    let picked = ctx.ask(|p| {
        p.say(&format!("{message}."));
        if sealed_needs_key {
            p.say("The sealed store (secrets encrypted in the record database) needs a key first: `bcconn secrets new-key` makes one.");
        }
        p.select(
            "Where should bcconn keep secrets for this run?",
            &options,
            0,
            Some("BCCONN_SECRET_STORE makes a choice permanent"),
        )
    });
    match picked.ok().and_then(|i| working.get(i).copied()) {
        Some(chosen) => {
            ctx.choose_store(chosen);
            ctx.progress.say(&format!(
                "  → secrets go to {} for this run; to keep this choice, set BCCONN_SECRET_STORE={chosen}",
                chosen.describe()
            ));
            Ok(())
        }
        None => Err(cancelled(format!(
            "stopped: {} is not reachable; nothing was saved",
            kind.describe()
        ))
        .hint("choose another store with BCCONN_SECRET_STORE=sealed (with a key), keyutils or file")
        .into()),
    }
}

/// Whether the store of `kind` opens and answers a lookup now.
fn answers(ctx: &Context, kind: StoreKind) -> Result<()> {
    secrets::probe(ctx.secrets(kind)?.as_ref())
}

/// How a working store is offered, with what it costs.
fn offer(ctx: &Context, kind: StoreKind) -> String {
    match kind {
        StoreKind::Keyutils => {
            "The Linux kernel keyring (keyutils): emptied at reboot or logout".into()
        }
        StoreKind::File => format!(
            "A plain-text file only you can read (file): {}",
            outside(
                &FileStore::new(&ctx.env.home).path().display().to_string(),
                200
            )
        ),
        StoreKind::Os => "The OS keyring (os)".into(),
        StoreKind::Sealed => {
            "Sealed in the record database under your key (sealed): kept across reboots".into()
        }
    }
}
