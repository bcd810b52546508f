//! The command-line half of encrypted bundles: where the passphrase and
//! the identity come from, where the age file goes, and what is said.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Result;

use crate::connect::bundle::{self, Choice, Lock};
use crate::connect::rules::few_names;
use crate::context::Context;
use crate::error::usage;
use crate::store::Document;

/// A binary age file is not for a terminal (as `age` refuses it too).
pub fn check_output(output: Option<&Path>, armor: bool) -> Result<()> {
    match output {
        None if !armor && crate::ui::stdout().is_terminal() => {
            Err(usage("refusing to write a binary age file to the terminal")
                .hint("add --armor for text, redirect it (> bundle.age), or give -o FILE")
                .into())
        }
        Some(path) if std::fs::symlink_metadata(path).is_ok() => Err(usage(format!(
            "{} exists",
            crate::text::outside(&path.display().to_string(), 300)
        ))
        .hint("name a new file; an export never overwrites one")
        .into()),
        _ => Ok(()),
    }
}

/// Writes a new file, 0600: it may hold an encrypted bundle.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let shown = crate::text::outside(&path.display().to_string(), 300);
    let mut file = options
        .open(path)
        .map_err(|e| usage(format!("cannot create {shown}: {e}")))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| {
            anyhow::Error::from(crate::error::failure(format!("cannot write {shown}: {e}")))
        })
}

pub fn export(
    ctx: &Context,
    doc: &Document,
    choice: Choice,
    args: &super::ExportArgs,
) -> Result<()> {
    let (lock, to) = match choice {
        Choice::Recipients(rs) => {
            let to = format!(
                "{} recipient{}",
                rs.len(),
                if rs.len() == 1 { "" } else { "s" }
            );
            (Lock::Recipients(rs), to)
        }
        Choice::Passphrase => (
            Lock::Passphrase(bundle::passphrase(ctx, true)?),
            "a passphrase".into(),
        ),
    };
    let (secrets, missing) = bundle::gather(ctx, doc)?;
    if !missing.iclients.is_empty() {
        ctx.progress.warn(&format!(
            "no client secret saved for {}: exported without one",
            few_names(&missing.iclients)
        ));
    }
    if !missing.tokens.is_empty() {
        ctx.progress.warn(&format!(
            "no token found for {}: exported without one",
            few_names(&missing.tokens)
        ));
    }
    if !missing.storefront.is_empty() {
        ctx.progress.warn(&format!(
            "the saved storefront tokens {} are missing from their stores: exported without them",
            missing.storefront.join(", ")
        ));
    }
    let bytes = bundle::seal(doc, &secrets, lock, args.armor)?;
    match &args.output {
        Some(path) => write_new(path, &bytes)?,
        None => match crate::ui::out_bytes(&bytes) {
            Err(e) if e.is::<crate::error::StdoutClosed>() => {}
            other => other?,
        },
    }
    ctx.ui.step(&format!(
        "Exported {} iClient{} and {} connection{} with {} client secret{} and {} token{}, encrypted to {to}",
        doc.iclients.len(), s(doc.iclients.len()), doc.connections.len(), s(doc.connections.len()),
        secrets.iclients.len(), s(secrets.iclients.len()), secrets.tokens.len(), s(secrets.tokens.len()),
    ));
    Ok(())
}

fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What an imported bundle brought, and what is left to do.
pub fn say_imported(ctx: &Context, done: &bundle::Imported) {
    let named = |n: usize, what: &str, names: &[String]| {
        format!("{n} {what}{} ({})", s(n), few_names(names))
    };
    let mut parts = Vec::new();
    if !done.tokens.is_empty() {
        parts.push(named(done.tokens.len(), "token", &done.tokens));
    }
    if !done.storefront.is_empty() {
        parts.push(format!(
            "{} storefront token{} ({})",
            done.storefront.len(),
            s(done.storefront.len()),
            done.storefront.join(", ")
        ));
    }
    if !done.client_secrets.is_empty() {
        parts.push(named(
            done.client_secrets.len(),
            "client secret",
            &done.client_secrets,
        ));
    }
    if let (false, Some(kind)) = (parts.is_empty(), done.store) {
        ctx.ui.step(&format!(
            "Imported {} into {}",
            parts.join(" and "),
            kind.describe()
        ));
    }
    if !done.tokens.is_empty() {
        ctx.ui
            .say("No re-authorization is needed: the imported connections are authorized.");
    }
    if !done.unverified.is_empty() {
        ctx.ui.say(&format!(
            "Not checked against their stores (--no-verify): {}; `bcconn status` checks them.",
            few_names(&done.unverified)
        ));
    }
    if !done.without_token.is_empty() {
        ctx.ui.say(&format!(
            "{} came without a token: pending until `bcconn authorize NAME`.",
            few_names(&done.without_token)
        ));
    }
    if !done.without_secret.is_empty() {
        ctx.ui.say(&format!(
            "{} came without a client secret: give it with `bcconn iclient edit NAME --client-secret-stdin`.",
            few_names(&done.without_secret)
        ));
    }
}
