//! `bcconn store copy --to URL|DIR`: every record and secret of the current
//! store into another (a shared PostgreSQL store, or a home directory's
//! local database), in one transaction there. Secrets arrive sealed under
//! this machine's key (the first of `BCCONN_SECRET_KEY`), so both ways
//! work: a home into the team's store, and the team's store into a home.

use std::path::PathBuf;

use anyhow::Result;

use super::bundle;
use crate::context::Context;
use crate::env::StoreUrl;
use crate::error::{failure, usage};
use crate::secrets::{StoreKind, iclient_account};
use crate::store::{Records, State};
use crate::text::outside;

/// Where `store copy` writes.
pub enum Destination {
    Shared(StoreUrl),
    Home(PathBuf),
}

impl Destination {
    /// A `postgres://` URL without a password (one on the command line
    /// is visible to every user in `ps`: use `--to-env`), or a directory
    /// (made absolute).
    pub fn parse(text: &str) -> Result<Destination> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let url = StoreUrl::new(text);
            if url.password().is_some() || text.contains("password=") {
                return Err(usage(format!(
                    "--to {}: a password on the command line is visible to every user of this machine",
                    url.redacted()
                ))
                .hint("put the URL in a variable and name it: --to-env VAR (e.g. TEAM_STORE_URL)")
                .into());
            }
            return Ok(Destination::Shared(url));
        }
        if text.contains("://") {
            return Err(
                usage("--to takes a postgres:// URL or a directory (a bcconn home)")
                    .hint("e.g. --to postgres://app@db/bcconn, or --to ~/bcconn-home")
                    .into(),
            );
        }
        Ok(Destination::Home(
            std::path::absolute(text).unwrap_or_else(|_| PathBuf::from(text)),
        ))
    }

    /// The URL in variable `var` (`--to-env`).
    pub fn from_env(var: &str) -> Result<Destination> {
        match crate::env::named(var) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Destination::Shared(StoreUrl::new(url)))
            }
            Some(_) => Err(usage(format!(
                "--to-env {var}: it does not hold a postgres:// URL"
            ))
            .into()),
            None => Err(usage(format!("--to-env {var}: the variable is not set")).into()),
        }
    }

    pub fn shown(&self) -> String {
        match self {
            Destination::Shared(url) => url.redacted(),
            Destination::Home(dir) => outside(&dir.display().to_string(), 200),
        }
    }
}

/// What was copied, and what could not be.
#[derive(Debug, Default)]
pub struct Copied {
    pub iclients: usize,
    pub connections: usize,
    pub secrets: usize,
    /// Authorized connections whose token was missing: copied as pending.
    pub without_token: Vec<String>,
    /// Saved storefront tokens whose secret was missing: left out.
    pub without_storefront: Vec<String>,
}

pub fn copy(ctx: &Context, to: &Destination) -> Result<Copied> {
    let same = match (to, &ctx.env.store_url) {
        (Destination::Shared(u), Some(here)) => u.expose() == here.expose(),
        (Destination::Home(d), None) => *d == ctx.env.home,
        _ => false,
    };
    if same {
        return Err(usage(format!("--to {} is where the records are now", to.shown())).into());
    }
    let keys = ctx.seal_keys()?;
    let doc = ctx.records.document()?;
    let (secrets, missing) = bundle::gather(ctx, &doc)?;
    if !missing.iclients.is_empty() {
        return Err(failure(format!(
            "the client secret of {} is missing from its store; nothing was copied",
            missing.iclients.join(", ")
        ))
        .hint("set it with `bcconn iclient edit NAME --secret`, then copy again")
        .into());
    }
    let dest = match to {
        Destination::Shared(url) => Records::open(
            &ctx.env.home,
            Some(url.clone()),
            ctx.records.waits().clone(),
        ),
        Destination::Home(dir) => Records::open(dir, None, ctx.records.waits().clone()),
    };
    dest.set_verb("store copy");
    let mut copied = Copied::default();
    dest.update(|tx| {
        if !tx.connection_names()?.is_empty() || !tx.iclients()?.is_empty() {
            return Err(usage(format!(
                "{} already holds records; store copy goes into an empty store only",
                to.shown()
            ))
            .hint("to add records to a store in use, use `bcconn export --with-secrets` and `bcconn import`")
            .into());
        }
        for mut ic in doc.iclients.iter().cloned() {
            if let Some(secret) = secrets.iclients.get(&ic.id) {
                let account = iclient_account(&ic.id);
                tx.sealed_put(&account, &keys.seal(&account, secret)?)?;
                ic.secret_store = StoreKind::Sealed;
                copied.secrets += 1;
            }
            tx.iclients_mut()?.push(ic);
            copied.iclients += 1;
        }
        for mut c in doc.connections.iter().cloned() {
            match secrets.tokens.get(&c.id) {
                Some(token) => {
                    // The same generation, so the token's account is the same
                    // (and the destination never hands it out again).
                    tx.reserve_generation(&c.id, c.token_generation)?;
                    let account = c.token_account();
                    tx.sealed_put(&account, &keys.seal(&account, token)?)?;
                    c.token_store = Some(StoreKind::Sealed);
                    copied.secrets += 1;
                }
                None if c.state == State::Authorized => {
                    copied.without_token.push(c.name.clone());
                    c.state = State::Pending;
                    c.token_store = None;
                }
                None => c.token_store = None,
            }
            let saved = secrets.storefront.get(&c.id);
            let mut kept = Vec::new();
            for mut t in std::mem::take(&mut c.storefront_tokens) {
                match saved.and_then(|m| m.get(&t.name)) {
                    Some(token) => {
                        // The same account: the same serial, sealed here.
                        let account = t.account(&c.id);
                        tx.sealed_put(&account, &keys.seal(&account, token)?)?;
                        t.secret_store = StoreKind::Sealed;
                        copied.secrets += 1;
                        kept.push(t);
                    }
                    None => copied.without_storefront.push(format!(
                        "{:?} of {:?}",
                        outside(&t.name, 64),
                        outside(&c.name, 64)
                    )),
                }
            }
            c.storefront_tokens = kept;
            tx.push_connection(c)?;
            copied.connections += 1;
        }
        Ok(())
    })?;
    Ok(copied)
}
