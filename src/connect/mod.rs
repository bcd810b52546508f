//! The connection core: what `create`, `authorize`, `edit`, the token
//! commands and the walk-through share.
//!
//! - [`plan`]: a new connection as a [`plan::Plan`], built from a [`plan::Draft`] in one place
//! - [`rules`]: the checks a change to the records must pass, with their hints
//! - [`intake`]: secrets and confirmations, through the `Prompter`
//! - [`iclients`]: saving and checking iClients
//! - [`tokens`]: the one token lookup, token-type connections
//! - [`commit`]: the one transaction that saves a token (secret, then record,
//!   rolled back together) and the one way flag changes are applied
//! - [`authorize`]: preflight, the browser flow, the wait, exchange, verify
//! - [`create`]: saving a plan (iClient, connection) and authorizing it
//! - [`doctor`]: the checks of `bcconn doctor`, each with a verdict and a fix
//!
//! It reports through `ctx.progress` and asks through `ctx.prompter()`; it
//! never touches the terminal or the command line's types.

pub mod authorize;
pub mod call;
pub mod check;
pub mod commit;
pub mod create;
pub mod default;
pub mod doctor;
pub mod iclients;
pub mod intake;
pub mod plan;
pub mod rules;
#[cfg(test)]
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
