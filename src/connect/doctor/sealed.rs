//! The sealed secret store's check: a key is set and fits the secrets
//! there, the secrets records name are there and open, and which secrets
//! are still sealed by a key other than the sealing one (a key on its way
//! out, or a new one not yet moved to the front).

use super::{Finding, list, plural};
use crate::context::Context;
use crate::secrets::SecretStore as _;
use crate::store::Document;

const CHECK: &str = "secret_store";

pub(super) fn sealed_store(
    ctx: &Context,
    _file: Option<&Document>,
    named: &[(String, String)],
    role: &str,
) -> Finding {
    let start = ctx.clock.instant();
    let store = ctx.sealed_store();
    let fail = |e: anyhow::Error| {
        let (_, message, hint) = crate::error::report(&e).into_parts();
        let f = Finding::fail(CHECK, message);
        match hint {
            Some(h) => f.fix(h),
            None => f,
        }
    };
    if let Err(e) = store.check_keys() {
        return fail(e).subject("sealed").took(ctx.clock.as_ref(), start);
    }
    let usage = match store.usage() {
        Ok(u) => u,
        Err(e) => return fail(e).subject("sealed").took(ctx.clock.as_ref(), start),
    };
    // Opening the first secret a record names proves the key opens it.
    if let Some((account, whose)) = named.first() {
        match store.get(account) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Finding::warn(
                    CHECK,
                    format!("the sealed secret store ({role}) answered, but {whose} is missing from it"),
                )
                .fix("authorize the connection again (`bcconn authorize NAME`), or give the iClient its secret again (`bcconn iclient edit NAME --secret`)")
                .subject("sealed")
                .took(ctx.clock.as_ref(), start);
            }
            Err(e) => return fail(e).subject("sealed").took(ctx.clock.as_ref(), start),
        }
    }
    let sealing = store.sealing_id().unwrap_or_default().to_string();
    let total: u64 = usage.iter().map(|(_, n)| n).sum();
    // Whose secrets each other key seals, so the person knows what a key
    // leaving the list would take with it.
    let accounts = store.accounts().unwrap_or_default();
    let whose = |id: &str| -> Vec<&str> {
        accounts
            .iter()
            .filter(|(_, k)| k == id)
            .filter_map(|(a, _)| named.iter().find(|(n, _)| n == a).map(|(_, w)| w.as_str()))
            .collect()
    };
    let others: Vec<String> = usage
        .iter()
        .filter(|(id, _)| *id != sealing)
        .map(|(id, n)| {
            let id_shown = crate::text::outside(id, 40);
            match whose(id) {
                w if w.is_empty() => format!("{n} by {id_shown}"),
                w => format!("{n} by {id_shown} ({})", list(&w, 3)),
            }
        })
        .collect();
    let detail = format!(
        "the sealed secret store ({role}) holds {total} secret{}; the sealing key is {sealing}",
        plural(total as usize)
    );
    let finding = if others.is_empty() {
        Finding::ok(CHECK, detail)
    } else {
        let shown: Vec<&str> = others.iter().map(String::as_str).collect();
        Finding::warn(
            CHECK,
            format!(
                "{detail}, but some are sealed by another key of your list: {}",
                list(&shown, 5)
            ),
        )
        .fix(format!(
            "before a key leaves the list, `bcconn secrets rotate-key` re-seals everything under {sealing}; if the other key is the new one, put it first in your key list"
        ))
    };
    finding.subject("sealed").took(ctx.clock.as_ref(), start)
}
