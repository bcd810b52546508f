//! Storefront tokens kept with a connection (`--save NAME`). The token is a
//! secret like the access token: written to the store new secrets go to
//! under an account of its own (`connection/<id>/storefront/<NAME>/<serial>`,
//! a new serial for every save), through the one commit
//! ([`super::super::commit::secret_then_record`]): listed in the ledger
//! first, live in the transaction that records it (sealed: in that very
//! transaction), so a run killed at any point leaves no token that no
//! record names, and no record naming a token that is not there. A
//! replaced token's secret is retired in the same transaction and deleted
//! after it.
//!
//! Everything else that handles a connection's secrets (delete, `secrets
//! move`, bundles, `store copy`, doctor) reads them through [`secrets_of`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use secrecy::SecretString;

use super::mint::{Spec, shown_time};
use crate::connect::commit::{Slot, secret_then_record};
use crate::context::Context;
use crate::error::{failure, usage};
use crate::secrets::StoreKind;
use crate::store::StorefrontKind;
use crate::store::{self, Connection, StorefrontToken, Tx};
use crate::text::shell_word;

/// How long before its expiry `status` warns about a saved token.
pub const WARN_AHEAD: Duration = Duration::from_secs(7 * 24 * 3600);

/// One secret a connection names: where, under which account, and whose
/// it is (for a message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub store: StoreKind,
    pub account: String,
    pub whose: String,
}

/// Every secret `c` names: its access token (when it has one in a store)
/// and each saved storefront token.
pub fn secrets_of(c: &Connection) -> Vec<Named> {
    let mut out = Vec::new();
    if let Some(kind) = c.token_store {
        out.push(Named {
            store: kind,
            account: c.token_account(),
            whose: format!("the token of {:?}", crate::text::outside(&c.name, 64)),
        });
    }
    out.extend(storefront_secrets(c));
    out
}

/// The secrets of `c`'s saved storefront tokens.
pub fn storefront_secrets(c: &Connection) -> impl Iterator<Item = Named> + '_ {
    c.storefront_tokens.iter().map(|t| Named {
        store: t.secret_store,
        account: t.account(&c.id),
        whose: whose(c, &t.name),
    })
}

fn whose(c: &Connection, name: &str) -> String {
    format!(
        "the storefront token {:?} of {:?}",
        crate::text::outside(name, 64),
        crate::text::outside(&c.name, 64)
    )
}

/// `c`'s saved token `name`.
pub fn find<'c>(c: &'c Connection, name: &str) -> Option<&'c StorefrontToken> {
    c.storefront_tokens.iter().find(|t| t.name == name)
}

/// The names `c` has saved, for a message (`"web", "server"`, or "none").
pub fn names(c: &Connection) -> String {
    if c.storefront_tokens.is_empty() {
        return "none".into();
    }
    c.storefront_tokens
        .iter()
        .map(|t| format!("{:?}", crate::text::outside(&t.name, 64)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `c`'s saved token `name`, or a usage error naming the ones it has.
pub fn require<'c>(c: &'c Connection, name: &str) -> Result<&'c StorefrontToken> {
    find(c, name).ok_or_else(|| {
        usage(format!(
            "{:?} has no saved storefront token {:?} (saved: {})",
            c.name,
            crate::text::outside(name, 64),
            names(c)
        ))
        .hint(format!(
            "save one with `bcconn storefront-token create -c {} --save NAME ...`",
            shell_word(&c.name)
        ))
        .into()
    })
}

/// Refuses `name` before a token is made: a bad name, or one `c` already
/// uses while `replace` is not given.
pub fn check_new(c: &Connection, name: &str, replace: bool) -> Result<()> {
    store::storefront::check_name(name)
        .map_err(|why| usage(why).hint("e.g. --save web, --save catalyst-server"))?;
    if find(c, name).is_some() && !replace {
        return Err(usage(format!(
            "{:?} already has a storefront token named {name:?}",
            c.name
        ))
        .hint(format!(
            "pass --replace to replace it, or choose another name; the old token still works at BigCommerce until it expires or is revoked (`bcconn storefront-token revoke -c {} --saved {name}` revokes it first)",
            shell_word(&c.name)
        ))
        .into());
    }
    Ok(())
}

/// What [`save`] did.
pub struct Saved {
    pub token: StorefrontToken,
    /// It replaced a token saved under the same name.
    pub replaced: Option<StorefrontToken>,
}

/// Keeps `token` with connection `c` under `name`, as `spec` made it; with
/// `replace`, in place of one saved under that name (whose secret is
/// deleted once the record no longer names it).
pub fn save(
    ctx: &Context,
    c: &Connection,
    name: &str,
    spec: &Spec,
    token: &SecretString,
    replace: bool,
) -> Result<Saved> {
    let record = StorefrontToken {
        name: name.to_string(),
        kind: spec.kind.stored(),
        channels: spec.channels.clone(),
        expires_at: spec.expires_at,
        created_at: store::now(),
        secret_store: StoreKind::File,
        serial: store::new_id(),
        scopes: match &spec.kind {
            super::mint::Kind::Server { scopes } => scopes.clone(),
            _ => Vec::new(),
        },
        cors_origins: match &spec.kind {
            super::mint::Kind::Browser { origins } => origins.clone(),
            _ => Vec::new(),
        },
        extra: Default::default(),
    };
    keep(ctx, &c.id, record, token, replace)
}

/// Writes `record`'s token and the record together (see the module doc).
pub fn keep(
    ctx: &Context,
    connection_id: &str,
    mut record: StorefrontToken,
    token: &SecretString,
    replace: bool,
) -> Result<Saved> {
    let secrets = ctx.default_secrets()?;
    record.secret_store = secrets.kind();
    let account = record.account(connection_id);
    let replaced = secret_then_record(
        ctx,
        secrets.as_ref(),
        &account,
        Slot::Fresh,
        None,
        token,
        |tx| {
            let c = tx.connection_by_id_mut(connection_id)?.ok_or_else(|| {
                failure("the connection was deleted meanwhile; the storefront token was not saved")
            })?;
            let old = match c
                .storefront_tokens
                .iter()
                .position(|t| t.name == record.name)
            {
                Some(_) if !replace => {
                    return Err(usage(format!(
                        "{:?} already has a storefront token named {:?} (saved meanwhile)",
                        c.name, record.name
                    ))
                    .into());
                }
                Some(i) => Some(c.storefront_tokens.remove(i)),
                None => None,
            };
            c.storefront_tokens.push(record.clone());
            c.updated_at = store::now();
            if let Some(old) = &old {
                tx.secret_retire(old.secret_store.as_str(), &old.account(connection_id))?;
            }
            Ok(old)
        },
    )?;
    if let Some(old) = &replaced {
        forget_secret(ctx, old.secret_store, &old.account(connection_id));
    }
    Ok(Saved {
        token: record,
        replaced,
    })
}

/// Forgets `c`'s saved token `name` (record and secret): the record first,
/// with the secret retired in its transaction, then the secret.
pub fn forget(ctx: &Context, c: &Connection, name: &str) -> Result<StorefrontToken> {
    let id = c.id.clone();
    let gone = ctx.records.update(|tx| {
        let c = tx
            .connection_by_id_mut(&id)?
            .ok_or_else(|| failure("the connection was deleted meanwhile"))?;
        let Some(i) = c.storefront_tokens.iter().position(|t| t.name == name) else {
            return Err(usage(format!(
                "{:?} has no saved storefront token {name:?} (forgotten meanwhile?)",
                c.name
            ))
            .into());
        };
        let old = c.storefront_tokens.remove(i);
        c.updated_at = store::now();
        tx.secret_retire(old.secret_store.as_str(), &old.account(&id))?;
        Ok(old)
    })?;
    forget_secret(ctx, gone.secret_store, &gone.account(&id));
    Ok(gone)
}

/// Deletes a secret no record names any more, then its ledger row. A
/// failure is a warning: the row stays, and a later write removes it.
pub fn forget_secret(ctx: &Context, kind: StoreKind, account: &str) {
    let gone = ctx
        .secrets(kind)
        .and_then(|s| s.delete(account))
        .and_then(|()| ctx.records.ledger_forget(kind.as_str(), account));
    if let Err(e) = gone {
        ctx.progress.warn(&format!(
            "a storefront token that is no longer used could not be removed from {}: {} (a later write tries again)",
            kind.describe(),
            crate::error::message(&e)
        ));
    }
}

/// The token of `c`'s saved storefront token `t`.
pub fn secret(ctx: &Context, c: &Connection, t: &StorefrontToken) -> Result<SecretString> {
    match ctx.secrets(t.secret_store)?.get(&t.account(&c.id))? {
        Some(s) => Ok(s),
        None => Err(failure(format!(
            "{} is missing from {}",
            whose(c, &t.name),
            t.secret_store.describe()
        ))
        .hint(format!(
            "make it again: `bcconn storefront-token create -c {} --save {} --replace ...`",
            shell_word(&c.name),
            shell_word(&t.name)
        ))
        .into()),
    }
}

/// The variables `env` and `exec` set: `BIGCOMMERCE_STOREFRONT_TOKEN` and
/// `BIGCOMMERCE_CHANNEL_ID`.
pub const TOKEN_VAR: &str = "BIGCOMMERCE_STOREFRONT_TOKEN";
pub const CHANNEL_VAR: &str = "BIGCOMMERCE_CHANNEL_ID";

/// The saved token `env`/`exec` export for `c`: `name`'s, or the most
/// recently saved one; `None` when none is saved. A name `c` has not saved
/// is an error listing the ones it has. An expired token is exported all
/// the same, with a warning (BigCommerce refuses it: make a new one).
///
/// `for_server` (Catalyst's set): the most recent private token first,
/// and a warning when only a browser token is there to give.
pub fn for_env(
    ctx: &Context,
    c: &Connection,
    name: Option<&str>,
    for_server: bool,
) -> Result<Option<(SecretString, Option<u64>)>> {
    let newest = |server_only: bool| {
        c.storefront_tokens
            .iter()
            .filter(|t| !server_only || t.kind == StorefrontKind::Server)
            .max_by(|a, b| a.created_at.cmp(&b.created_at))
    };
    let chosen = match name {
        Some(n) => Some(require(c, n)?),
        None if for_server => newest(true).or_else(|| newest(false)),
        None => newest(false),
    };
    let Some(t) = chosen else {
        return Ok(None);
    };
    if for_server && t.kind == StorefrontKind::Browser {
        ctx.progress.warn(&format!(
            "{} is a browser token; Catalyst's server side uses BIGCOMMERCE_STOREFRONT_TOKEN, and BigCommerce refuses browser tokens made after 2026-06-30 from servers: make a private one with `bcconn storefront-token create -c {} --for server --scopes Unauthenticated,Customer --channel ID --expires 90d --save server`",
            whose(c, &t.name),
            shell_word(&c.name)
        ));
    }
    if t.expires_at <= unix(ctx.clock.now()) {
        ctx.progress.warn(&format!(
            "{} expired at {}; BigCommerce refuses it (make a new one with `bcconn storefront-token create -c {} --save {} --replace ...`)",
            whose(c, &t.name),
            shown_time(t.expires_at),
            shell_word(&c.name),
            shell_word(&t.name)
        ));
    }
    Ok(Some((secret(ctx, c, t)?, t.first_channel())))
}

/// Unix seconds of `t`.
pub fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs().min(i64::MAX as u64) as i64,
        Err(_) => 0,
    }
}

/// Warnings about `c`'s saved tokens that have expired or expire within
/// [`WARN_AHEAD`] of `now`.
pub fn expiry_warnings(c: &Connection, now: SystemTime) -> Vec<String> {
    let now = unix(now);
    let soon = now + WARN_AHEAD.as_secs() as i64;
    c.storefront_tokens
        .iter()
        .filter(|t| t.expires_at <= soon)
        .map(|t| {
            let again = format!(
                "make a new one: `bcconn storefront-token create -c {} --save {} --replace ...`",
                shell_word(&c.name),
                shell_word(&t.name)
            );
            if t.expires_at <= now {
                format!(
                    "{} expired at {}; {again}",
                    whose(c, &t.name),
                    shown_time(t.expires_at)
                )
            } else {
                format!(
                    "{} expires at {} (in {}); {again}",
                    whose(c, &t.name),
                    shown_time(t.expires_at),
                    left((t.expires_at - now) as u64)
                )
            }
        })
        .collect()
}

/// A time left, roughly: `3 days`, `5 hours`, `1 minute`.
fn left(secs: u64) -> String {
    let (n, unit) = match secs {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3600 => (s / 3600, "hour"),
        s => ((s / 60).max(1), "minute"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// [`expiry_warnings`] for every connection of `file` named in `names`
/// (all when empty).
pub fn warnings_for(file: &Tx, names: &[String], now: SystemTime) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for c in file.connections()? {
        if names.is_empty() || names.iter().any(|n| store::same_name(n, &c.name)) {
            out.extend(expiry_warnings(c, now));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AuthType, StorefrontKind};

    fn token(name: &str, expires_at: i64, created_at: &str) -> StorefrontToken {
        StorefrontToken {
            name: name.into(),
            kind: StorefrontKind::Browser,
            channels: vec![3, 1],
            expires_at,
            created_at: created_at.into(),
            secret_store: StoreKind::File,
            serial: format!("s-{name}"),
            scopes: Vec::new(),
            cors_origins: Vec::new(),
            extra: Default::default(),
        }
    }

    #[test]
    fn warnings_are_for_expired_and_soon_expiring_tokens_only() {
        let mut c = Connection::pending("shop", AuthType::Token, "abc123".parse().unwrap());
        let now = 1_800_000_000;
        c.storefront_tokens = vec![
            token("gone", now - 10, "t1"),
            token("soon", now + 3 * 86_400, "t2"),
            token("later", now + 30 * 86_400, "t3"),
        ];
        let said = expiry_warnings(&c, UNIX_EPOCH + Duration::from_secs(now as u64));
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(
            said[0].contains("\"gone\"") && said[0].contains("expired"),
            "{said:?}"
        );
        assert!(
            said[1].contains("\"soon\"") && said[1].contains("in 3 days"),
            "{said:?}"
        );
        let named: Vec<String> = secrets_of(&c).into_iter().map(|n| n.account).collect();
        assert_eq!(
            named,
            [
                format!("connection/{}/storefront/gone/s-gone", c.id),
                format!("connection/{}/storefront/soon/s-soon", c.id),
                format!("connection/{}/storefront/later/s-later", c.id),
            ]
        );
    }

    #[test]
    fn names_are_checked_and_taken_ones_need_replace() {
        let mut c = Connection::pending("shop", AuthType::Token, "abc123".parse().unwrap());
        c.storefront_tokens = vec![token("web", 1, "t")];
        assert!(check_new(&c, "Web!", false).is_err());
        assert!(check_new(&c, "web", false).is_err());
        assert!(check_new(&c, "web", true).is_ok());
        assert!(check_new(&c, "server", false).is_ok());
        assert_eq!(names(&c), "\"web\"");
    }
}
