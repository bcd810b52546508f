//! The saved names a Tab completes: connections and iClients, read from
//! the records (rows only, never secrets).

use std::ffi::OsStr;

use clap_complete::engine::CompletionCandidate;

use super::shells::{QUOTE, Quote};
use crate::env::Env;
use crate::store::Records;

/// The records of this user's home, for completion (best effort: any
/// error completes nothing). Reads rows, never secrets.
fn records() -> Records {
    Records::new(&Env::from_process().home)
}

/// Names that start with what was typed (ignoring case, as names match).
fn matching<'a>(
    current: &OsStr,
    items: impl Iterator<Item = (&'a str, String)>,
) -> Vec<CompletionCandidate> {
    let quote = QUOTE.with(|q| q.get());
    let typed = current.to_string_lossy();
    let typed = match quote {
        Quote::AsIs => typed.to_lowercase(),
        _ => unquoted(&typed).to_lowercase(),
    };
    items
        .filter(|(name, _)| name.to_lowercase().starts_with(&typed))
        .map(|(name, help)| CompletionCandidate::new(quoted(name, quote)).help(Some(help.into())))
        .collect()
}

pub(super) fn connections(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let listed = records().list_rows(&mut |r| {
        let help = format!("store {}, {}", r.store_hash, r.state);
        rows.push((r.name.to_string(), crate::text::outside(&help, 80)));
        Ok(())
    });
    if listed.is_err() {
        return Vec::new();
    }
    matching(current, rows.iter().map(|(n, h)| (n.as_str(), h.clone())))
}

pub(super) fn iclients(current: &OsStr) -> Vec<CompletionCandidate> {
    let Ok(tx) = records().load() else {
        return Vec::new();
    };
    let Ok(list) = tx.iclients() else {
        return Vec::new();
    };
    matching(
        current,
        list.iter().map(|ic| {
            let help = format!("client id {}", ic.client_id);
            (ic.name.as_str(), crate::text::outside(&help, 80))
        }),
    )
}

/// `--scopes a,b,c`: the last part completes to the store scopes that start
/// with it and are not listed yet; the parts before it are kept as typed.
pub(super) fn scopes(current: &OsStr) -> Vec<CompletionCandidate> {
    use crate::bigcommerce::scopes::{CATALOG, Group};
    let typed = current.to_string_lossy();
    let (done, last) = match typed.rsplit_once(',') {
        Some((done, last)) => (format!("{done},"), last),
        None => (String::new(), typed.as_ref()),
    };
    let listed: Vec<&str> = done.split(',').map(str::trim).collect();
    CATALOG
        .iter()
        .filter(|s| matches!(s.group, Group::Store | Group::TokenCreation))
        .filter(|s| s.name.starts_with(last) && !listed.contains(&s.name))
        .map(|s| {
            CompletionCandidate::new(format!("{done}{}", s.name)).help(Some(s.display().into()))
        })
        .collect()
}

/// `name` as a word the shell gives back unchanged: as it is when it holds
/// nothing the shell treats specially (so `shop` stays `shop`).
fn quoted(name: &str, quote: Quote) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.@/:,+=".contains(c))
        && !name.starts_with(['-', '@', '=']);
    match quote {
        _ if plain => name.to_string(),
        Quote::AsIs => name.to_string(),
        Quote::Posix => format!("'{}'", name.replace('\'', "'\\''")),
        Quote::PowerShell => format!("'{}'", name.replace('\'', "''")),
    }
}

/// What was typed so far, without the quoting the shell would remove
/// (`'x$(` or `x\$` while completing a quoted name in bash).
fn unquoted(typed: &str) -> String {
    let mut out = String::new();
    let mut chars = typed.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {}
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_by_prefix_ignoring_case() {
        let items = [
            ("Shop", String::new()),
            ("shipping", String::new()),
            ("other", String::new()),
        ];
        let got: Vec<String> =
            matching(OsStr::new("sh"), items.iter().map(|(n, h)| (*n, h.clone())))
                .iter()
                .map(|c| c.get_value().to_string_lossy().into_owned())
                .collect();
        assert_eq!(got, ["Shop", "shipping"]);
    }

    #[test]
    fn names_are_quoted_the_way_each_shell_reads_them_back() {
        let odd = "x$(touch pwned) it's";
        assert_eq!(quoted(odd, Quote::Posix), "'x$(touch pwned) it'\\''s'");
        assert_eq!(quoted(odd, Quote::PowerShell), "'x$(touch pwned) it''s'");
        // zsh and fish quote what they insert themselves.
        assert_eq!(quoted(odd, Quote::AsIs), odd);
        for quote in [Quote::Posix, Quote::PowerShell, Quote::AsIs] {
            assert_eq!(quoted("acme-prod_2", quote), "acme-prod_2");
            assert_eq!(quoted("東京-café", quote), "東京-café");
        }
        assert_eq!(quoted("a b", Quote::Posix), "'a b'");
        assert_eq!(unquoted("'x$("), "x$(");
        assert_eq!(unquoted("x\\$\\(t"), "x$(t");
    }
}
