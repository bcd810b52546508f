//! Checks of the secrets: each secret store in use answers and holds what
//! the records name in it; orphan secrets in the secrets file; secrets of
//! killed runs that the ledger still lists. What counts as an orphan is the
//! store ledger's rule ([`crate::store::ledger`]).

use std::collections::HashSet;
use std::time::Duration;

use super::{Finding, Verdict, list, plural, read_data, symlink_note};
use crate::context::Context;
use crate::secrets::{self, FileStore, StoreKind};
use crate::store::Document;
use crate::store::ledger::{self, ORPHAN_GRACE};
use crate::text::outside;

/// A secret store slower than this is reported.
const SLOW_STORE: Duration = Duration::from_secs(1);

/// A secret a record says lives in a store, and whose it is.
struct Named {
    account: String,
    /// "the client secret of iClient X", "the token of Y".
    whose: String,
}

/// The secrets the records say live in `kind`, iClients first.
fn named_in(file: &Document, kind: StoreKind) -> Vec<Named> {
    let iclients = file
        .iclients
        .iter()
        .filter(|ic| ic.secret_store == kind)
        .map(|ic| Named {
            account: secrets::iclient_account(&ic.id),
            whose: format!("the client secret of iClient {:?}", outside(&ic.name, 64)),
        });
    let connections = file
        .connections
        .iter()
        .filter(|c| c.token_store == Some(kind))
        .map(|c| Named {
            account: c.token_account(),
            whose: format!("the token of {:?}", outside(&c.name, 64)),
        });
    let storefront = file
        .connections
        .iter()
        .flat_map(crate::connect::storefront::saved::storefront_secrets)
        .filter(|n| n.store == kind)
        .map(|n| Named {
            account: n.account,
            whose: n.whose,
        });
    iclients.chain(connections).chain(storefront).collect()
}

pub(super) fn secret_stores(ctx: &Context, file: Option<&Document>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut kinds: Vec<StoreKind> = Vec::new();
    let default = match ctx.env.secret_store_kind() {
        Ok(kind) => {
            kinds.push(kind);
            Some(kind)
        }
        Err(e) => {
            let (_, message, hint) = crate::error::report(&e).into_parts();
            let mut f = Finding::fail("secret_store", message)
                .subject(ctx.env.secret_store.clone().unwrap_or_default());
            f.fix = hint;
            out.push(f);
            None
        }
    };
    if let Some(file) = file {
        let used = file
            .iclients
            .iter()
            .map(|ic| ic.secret_store)
            .chain(file.connections.iter().filter_map(|c| c.token_store))
            .chain(
                file.connections
                    .iter()
                    .flat_map(|c| c.storefront_tokens.iter().map(|t| t.secret_store)),
            );
        for kind in used {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    for kind in [
        StoreKind::Os,
        StoreKind::Keyutils,
        StoreKind::Sealed,
        StoreKind::File,
    ] {
        if kinds.contains(&kind) {
            let named = file.map(|f| named_in(f, kind)).unwrap_or_default();
            let role = if default == Some(kind) {
                "where new secrets go"
            } else {
                "named by records"
            };
            out.push(match kind {
                StoreKind::File => file_store(ctx, &named, role),
                StoreKind::Sealed => {
                    super::sealed::sealed_store(ctx, file, &named_accounts(&named), role)
                }
                _ => keyring_store(ctx, kind, &named, role),
            });
        }
    }
    out
}

/// The accounts and whose they are, for the sealed store's check.
fn named_accounts(named: &[Named]) -> Vec<(String, String)> {
    named
        .iter()
        .map(|n| (n.account.clone(), n.whose.clone()))
        .collect()
}

fn keyring_store(ctx: &Context, kind: StoreKind, named: &[Named], role: &str) -> Finding {
    let start = ctx.clock.instant();
    let describe = kind.describe();
    let other_stores = "choose another store: BCCONN_SECRET_STORE=keyutils (Linux kernel keyring) or BCCONN_SECRET_STORE=file (plain-text file)";
    let store = match ctx.secrets(kind) {
        Ok(store) => store,
        Err(e) => {
            let (_, message, hint) = crate::error::report(&e).into_parts();
            return Finding::fail("secret_store", message)
                .subject(kind.as_str())
                .fix(hint.unwrap_or_else(|| other_stores.to_string()))
                .took(ctx.clock.as_ref(), start);
        }
    };
    // Reading a secret a record names proves the store is unlocked; with
    // none, looking one up proves it answers.
    let probe = named.first();
    let account = probe.map_or(secrets::PROBE_ACCOUNT, |n| n.account.as_str());
    let finding = match store.get(account) {
        Ok(Some(_)) => Finding::ok(
            "secret_store",
            format!(
                "{describe} ({role}) answered and is unlocked: read {}",
                probe.map_or("a secret", |n| n.whose.as_str())
            ),
        ),
        Ok(None) => match probe {
            Some(n) => Finding::warn(
                "secret_store",
                format!("{describe} ({role}) answered, but {} is missing from it", n.whose),
            )
            .fix("authorize the connection again (`bcconn authorize NAME`), or give the iClient its secret again (`bcconn iclient edit NAME --secret`)"),
            None => Finding::ok(
                "secret_store",
                format!("{describe} ({role}) answered; it holds no secret of bcconn's yet"),
            ),
        },
        Err(e) => {
            let (_, message, hint) = crate::error::report(&e).into_parts();
            Finding::fail("secret_store", message).fix(hint.unwrap_or_else(|| {
                format!("unlock {describe} (log in to the desktop session), or {other_stores}")
            }))
        }
    };
    let mut finding = finding
        .subject(kind.as_str())
        .took(ctx.clock.as_ref(), start);
    if finding.verdict == Verdict::Ok
        && ctx.clock.instant().saturating_duration_since(start) > SLOW_STORE
    {
        finding.verdict = Verdict::Warn;
        finding.detail.push_str(", but slowly");
        finding.fix = Some("a slow keyring slows every command that reads a secret; check the keyring daemon, or choose another store".into());
    }
    finding
}

fn file_store(ctx: &Context, named: &[Named], role: &str) -> Finding {
    let start = ctx.clock.instant();
    let path = FileStore::new(&ctx.env.home).path();
    let finding = match read_data(&path) {
        Err(why) => Finding::fail("secret_store", why)
            .fix("move it away; secrets in it are lost, so authorize again afterwards"),
        Ok(None) if named.is_empty() => Finding::ok(
            "secret_store",
            format!(
                "the plain-text secrets file ({role}) does not exist yet; bcconn creates it (0600) with the first secret"
            ),
        ),
        Ok(None) => Finding::fail(
            "secret_store",
            format!(
                "{} is missing, yet the records name {} secret{} in it",
                path.display(),
                named.len(),
                plural(named.len())
            ),
        )
        .fix("authorize the connections again (`bcconn authorize NAME`) and give iClients their secrets again (`bcconn iclient edit NAME --secret`)"),
        Ok(Some(bytes)) => match FileStore::parse(&bytes) {
            Err(e) => Finding::fail(
                "secret_store",
                format!("cannot read the secrets file {}: {e}", path.display()),
            )
            .fix("fix or move the file away; bcconn will not overwrite it"),
            Ok(secrets) => {
                let held: HashSet<&str> = secrets.accounts().collect();
                let missing: Vec<&str> = named
                    .iter()
                    .filter(|n| !held.contains(n.account.as_str()))
                    .map(|n| n.whose.as_str())
                    .collect();
                let detail = format!(
                    "{} ({role}) holds {} secret{}{}",
                    path.display(),
                    held.len(),
                    plural(held.len()),
                    symlink_note(&path)
                );
                if missing.is_empty() && held.is_empty() {
                    Finding::ok("secret_store", detail)
                } else if missing.is_empty() {
                    // Asked for by name, but plain text all the same.
                    Finding::warn("secret_store", format!("{detail}, in plain text"))
                        .fix("`bcconn secrets move --to sealed` encrypts them (make a key first: `bcconn secrets new-key`), or `--to os` moves them to the OS keyring")
                } else {
                    Finding::warn(
                        "secret_store",
                        format!("{detail}; missing: {}", list(&missing, 5)),
                    )
                    .fix("authorize those connections again (`bcconn authorize NAME`); for an iClient, `bcconn iclient edit NAME --secret`")
                }
            }
        },
    };
    finding.subject("file").took(ctx.clock.as_ref(), start)
}

/// File-store accounts the ledger lists (see [`ledger::listed`]).
fn listed_in_file(ctx: &Context) -> HashSet<String> {
    ledger::listed(
        ctx.records.ledger().unwrap_or_default(),
        StoreKind::File.as_str(),
    )
}

/// Accounts in the secrets file that no record names as kept there,
/// leaving out `listed`: secrets the ledger lists, which are its business.
fn orphans<'a>(
    file: &Document,
    accounts: impl Iterator<Item = &'a str>,
    listed: &HashSet<String>,
) -> Vec<String> {
    let named: HashSet<String> = named_in(file, StoreKind::File)
        .into_iter()
        .map(|n| n.account)
        .chain(listed.iter().cloned())
        .collect();
    accounts
        .filter(|a| !named.contains(*a))
        .map(str::to_string)
        .collect()
}

pub(super) fn orphan_secrets(ctx: &Context, file: Option<&Document>, fix: bool) -> Finding {
    const CHECK: &str = "orphan_secrets";
    let path = FileStore::new(&ctx.env.home).path();
    let subject = path.display().to_string();
    let elsewhere =
        "the OS and kernel keyrings cannot be listed, so only the secrets file is checked";
    let bytes = match read_data(&path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Finding::ok(CHECK, format!("no secrets file ({elsewhere})")).subject(subject);
        }
        Err(_) => {
            return Finding::warn(
                CHECK,
                "not checked: the secrets file cannot be read (see above)",
            )
            .subject(subject);
        }
    };
    let Some(file) = file else {
        return Finding::not_checked(CHECK).subject(subject);
    };
    let Ok(secrets) = FileStore::parse(&bytes) else {
        return Finding::warn(
            CHECK,
            "not checked: the secrets file cannot be read (see above)",
        )
        .subject(subject);
    };
    let found = orphans(file, secrets.accounts(), &listed_in_file(ctx));
    if found.is_empty() {
        return Finding::ok(
            CHECK,
            format!("every secret in the secrets file belongs to a record ({elsewhere})"),
        )
        .subject(subject);
    }
    let shown: Vec<&str> = found.iter().map(String::as_str).collect();
    let detail = format!(
        "{} secret{} in the secrets file belong{} to no record (left by an interrupted write or delete): {}",
        found.len(),
        plural(found.len()),
        if found.len() == 1 { "s" } else { "" },
        list(&shown, 5)
    );
    if !fix {
        return Finding::warn(CHECK, detail)
            .subject(subject)
            .fix("`bcconn doctor --fix` removes them");
    }
    let finding = Finding::warn(CHECK, detail).subject(subject);
    // A write saves a secret, then its record: a secret may look orphaned
    // for a moment. Such a secret is listed in the ledger (left out below);
    // the store's grace covers writers the ledger cannot see.
    let age = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| ctx.clock.now().duration_since(t).ok())
        .unwrap_or_default();
    if age < ORPHAN_GRACE {
        return finding.fix(format!(
            "the secrets file changed less than {} s ago (a write may still be saving its record); run `bcconn doctor --fix` again in a minute",
            ORPHAN_GRACE.as_secs()
        ));
    }
    // Again, from the records as they are now. The ledger is read first: a
    // write that commits after it has its record in what is read next.
    let listed = listed_in_file(ctx);
    let current = match ctx.records.document() {
        Ok(f) => f,
        Err(e) => return finding.fix(crate::error::message(&e)),
    };
    let found = orphans(&current, secrets.accounts(), &listed);
    let store = match ctx.secrets(StoreKind::File) {
        Ok(s) => s,
        Err(e) => return finding.fix(crate::error::message(&e)),
    };
    let mut removed = 0;
    let mut failed = Vec::new();
    for account in &found {
        match store.delete(account) {
            Ok(()) => removed += 1,
            Err(e) => failed.push(format!("{account}: {}", crate::error::message(&e))),
        }
    }
    let mut finding = finding.fixed(format!(
        "removed {removed} orphan secret{}",
        plural(removed)
    ));
    if failed.is_empty() {
        finding.verdict = Verdict::Ok;
    } else {
        finding = finding.fix(format!("could not remove: {}", failed.join("; ")));
    }
    finding
}

/// Secrets the ledger lists for a run that was killed before its record
/// went live (or before it deleted a secret it stopped using): in any
/// secret store, the OS keyring included. The next change removes them too.
pub(super) fn killed_writes(ctx: &Context, fix: bool) -> Finding {
    const CHECK: &str = "killed_writes";
    let subject = ctx.records.path().display().to_string();
    let left = match ctx.records.abandoned_secrets() {
        Ok(l) => l,
        Err(e) => {
            return Finding::warn(CHECK, format!("not checked: {}", crate::error::message(&e)))
                .subject(subject);
        }
    };
    if left.is_empty() {
        return Finding::ok(CHECK, "no secret of a killed run is left in a secret store")
            .subject(subject);
    }
    let mut stores: Vec<&str> = left.iter().map(|e| e.store.as_str()).collect();
    stores.sort_unstable();
    stores.dedup();
    let detail = format!(
        "{} secret{} that killed runs wrote or were removing {} still listed (stores: {})",
        left.len(),
        plural(left.len()),
        if left.len() == 1 { "is" } else { "are" },
        stores.join(", ")
    );
    if !fix {
        return Finding::warn(CHECK, detail)
            .subject(subject)
            .fix("`bcconn doctor --fix` removes them (so does the next change)");
    }
    let removed = crate::connect::commit::tidy_secrets(ctx);
    let mut f = if removed == left.len() {
        Finding::ok(CHECK, "no secret of a killed run is left in a secret store")
    } else {
        Finding::warn(CHECK, detail).fix("check that the secret store answers (see secret_store above), then run `bcconn doctor --fix` again")
    }
    .subject(subject);
    f.fixed = Some(format!("removed {removed} secret{}", plural(removed)));
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::doctor::tests::{conn, iclient};

    #[test]
    fn orphans_are_secrets_no_record_keeps_in_the_file() {
        let mut authorized = conn("a", Some("i1"), "abc123");
        authorized.token_store = Some(StoreKind::File);
        let mut elsewhere = conn("b", Some("i1"), "abc123");
        elsewhere.token_store = Some(StoreKind::Os);
        let file = Document {
            iclients: vec![
                iclient("i1", "cid", StoreKind::File),
                iclient("i2", "cid", StoreKind::Os),
            ],
            connections: vec![authorized, elsewhere, conn("p", Some("i1"), "abc123")],
            ..Default::default()
        };
        let accounts = [
            "iclient/i1",
            "iclient/i2",
            "iclient/gone",
            "connection/id-a",
            "connection/id-b",
            "connection/id-p",
        ];
        assert_eq!(
            orphans(&file, accounts.into_iter(), &HashSet::new()),
            [
                "iclient/i2",
                "iclient/gone",
                "connection/id-b",
                "connection/id-p"
            ]
        );
        let listed = HashSet::from(["connection/id-p".to_string()]);
        assert_eq!(
            orphans(&file, accounts.into_iter(), &listed),
            ["iclient/i2", "iclient/gone", "connection/id-b"]
        );
    }
}
