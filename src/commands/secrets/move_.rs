//! `bcconn secrets move --to STORE`.

use anyhow::Result;
use clap::Args;

use crate::connect::move_secrets;
use crate::context::Context;
use crate::error::{ExitStatus, failure};
use crate::secrets::StoreKind;

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The store every secret goes to
    #[arg(long, value_name = "STORE", value_parser = ["sealed", "os", "keyutils", "file"])]
    pub to: String,
}

pub fn run(ctx: &Context, args: MoveArgs) -> Result<ExitStatus> {
    let to = move_secrets::target(&args.to)?;
    if to == StoreKind::File {
        ctx.progress.warn(
            "moving every secret into the plain-text secrets file, as asked: anyone who can read it (or a backup of it) can use them",
        );
    }
    let moved = move_secrets::move_all(ctx, to)?;
    if moved.total() == 0 && moved.missing.is_empty() && moved.changed.is_empty() {
        ctx.ui.step(&format!(
            "Every secret is already in {}; nothing moved",
            to.describe()
        ));
        return Ok(ExitStatus::Success);
    }
    if moved.total() > 0 {
        let from: Vec<String> = moved
            .from
            .iter()
            .map(|(k, n)| format!("{n} from {}", k.describe()))
            .collect();
        ctx.ui.step(&format!(
            "Moved {} secret{} to {} ({})",
            moved.total(),
            if moved.total() == 1 { "" } else { "s" },
            to.describe(),
            from.join(", ")
        ));
    }
    if !moved.changed.is_empty() {
        ctx.progress.warn(&format!(
            "not moved, changed by another run meanwhile: {}; run `bcconn secrets move --to {to}` again",
            some(&moved.changed)
        ));
    }
    if !moved.missing.is_empty() {
        return Err(failure(format!(
            "{} missing from the store its record names: {}",
            if moved.missing.len() == 1 { "one secret is" } else { "some secrets are" },
            some(&moved.missing)
        ))
        .hint("authorize those connections again (`bcconn authorize NAME`); for an iClient, `bcconn iclient edit NAME --secret`")
        .into());
    }
    Ok(ExitStatus::Success)
}

/// The first few of a list of "whose" phrases, and how many more.
fn some(items: &[String]) -> String {
    let mut line = items.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 5 {
        line.push_str(&format!(" and {} more", items.len() - 5));
    }
    line
}
