//! The connection core: what `create`, `authorize`, `edit`, the token
//! commands and the walk-through share.
//!
//! - [`plan`]: a new connection as a [`plan::Plan`], built from a [`plan::Draft`] in one place
//! - [`rules`]: the checks a change to the records must pass, with their hints
//! - [`intake`]: secrets and confirmations, through the `Prompter`
//! - [`iclients`]: saving and checking iClients; [`iclient_intake`]: their id and secret from a person
//! - [`tokens`]: the one token lookup, token-type connections
//! - [`bundle`]: encrypted bundles (records with their secrets, as age files)
//! - [`commit`]: the one transaction that saves a token (secret, then record,
//!   rolled back together) and the one way flag changes are applied
//! - [`remove`]: the one way a connection or an iClient is removed, with its rules
//! - [`authorize`]: preflight, the browser flow, the wait, exchange, verify
//! - [`create`]: saving a plan (iClient, connection) and authorizing it
//! - [`from_cli`]: token connections from the files of BigCommerce's own CLIs
//! - [`ready`]: the secret store answers before anyone is asked anything
//! - [`resolve`]: which saved connection `authorize --store-hash` updates
//! - [`doctor`]: the checks of `bcconn doctor`, each with a verdict and a fix
//! - [`status`]: checking saved tokens, and keeping what the checks taught
//! - [`hooks`]: the webhooks a connection's token owns, and what other commands say of them
//! - [`storefront`]: storefront channels, and storefront tokens minted and kept
//!
//! It reports through `ctx.progress` and asks through `ctx.ask()`; it
//! never touches the terminal or the command line's types.

pub mod authorize;
pub mod bundle;
pub mod call;
pub mod check;
pub mod commit;
pub mod create;
pub mod default;
pub mod doctor;
pub mod forbidden;
pub mod from_cli;
pub mod hooks;
pub mod iclient_intake;
pub mod iclients;
pub mod intake;
pub mod move_secrets;
pub mod plan;
pub mod ready;
pub mod remove;
pub mod resolve;
pub mod rules;
pub mod status;
pub mod store_copy;
pub mod storefront;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod tokens;
pub mod trust;
pub mod using;
pub mod vars;

/// A single-threaded runtime: one flow at a time needs no more.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// What the record store tells a person while it works.
pub fn say_notice(progress: &dyn crate::seams::Progress, notice: crate::store::Notice) {
    use crate::store::Notice;
    match notice {
        Notice::Waiting { holder, up_to } => progress.say(&format!(
            "waiting for another bcconn to finish writing the records{} (up to {} s)…",
            holder
                .map(|p| format!(" (process {p})"))
                .unwrap_or_default(),
            up_to.as_secs()
        )),
        Notice::Said(text) => progress.say(&text),
        Notice::RollbackJournal => progress.warn(
            "the records are on a network filesystem, where SQLite's WAL mode does not work: using a rollback journal (readers may wait on writers)",
        ),
        Notice::OldFileIgnored { path } => progress.warn(&format!(
            "{} is not read: the records are in bcconn.db. Merge it with `bcconn import {}`, or move it away",
            crate::text::outside(&path.display().to_string(), 300),
            crate::text::shell_word(&path.display().to_string())
        )),
        Notice::Imported {
            iclients,
            connections,
            kept_as,
        } => progress.say(&format!(
            "Moved the records into bcconn.db: {connections} connection{}, {iclients} iClient{}; the old file is kept as {}",
            if connections == 1 { "" } else { "s" },
            if iclients == 1 { "" } else { "s" },
            kept_as.display()
        )),
    }
}
