//! What the walk-through shows: option lists, their order, and the summary.
//! Pure functions, so they are tested here without a terminal.

use crate::bigcommerce::scopes::{self, Group, Scope};
use crate::connect::plan::{Auth, IClientPick, Plan, TokenSource};
use crate::store::{AuthType, Connection, Document};

/// The scopes the picker offers: store and token-creation scopes, in catalog
/// order. Account-level scopes never go on an app's token, and the implicit
/// ones are granted whatever is asked, so offering either would mislead.
pub fn picker_scopes() -> Vec<&'static Scope> {
    scopes::CATALOG
        .iter()
        .filter(|s| matches!(s.group, Group::Store | Group::TokenCreation))
        .collect()
}

/// "Products — modify  (store_v2_products)": the portal's words first, since
/// that is what people match against the app's settings page; the name last,
/// so typing part of it filters too.
pub fn scope_option(s: &Scope) -> String {
    format!("{}  ({})", s.display(), s.name)
}

/// The first scope question: a way to start, each with the scopes it ticks.
/// "Choose scopes…" ticks nothing; the others pre-tick a preset to adjust.
pub fn scope_starts() -> Vec<(String, Vec<String>)> {
    let mut starts = vec![("Choose scopes…".to_string(), Vec::new())];
    for (title, names) in scopes::presets() {
        starts.push((
            format!("{title} ({})", count(names.len(), "scope")),
            names.iter().map(|n| (*n).to_string()).collect(),
        ));
    }
    let all = scopes::all_store_scopes();
    // The picker counts rows, read-only twins included (56); the title says
    // why "all" ticks fewer.
    starts.push((
        format!(
            "All scopes ({}; each includes its read-only twin)",
            count(all.len(), "scope")
        ),
        all,
    ));
    starts
}

/// "1 scope", "3 scopes".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Indexes into `options` of the scopes named in `names`.
pub fn indexes_of(options: &[&Scope], names: &[String]) -> Vec<usize> {
    options
        .iter()
        .enumerate()
        .filter(|(_, s)| names.iter().any(|n| n == s.name))
        .map(|(i, _)| i)
        .collect()
}

/// A free connection name for a store: the hash, else `hash-2`, `hash-3`…
/// Offered as the default, which inquire accepts unchecked, so it must be free.
pub fn suggest_name(hash: &str, records: &Document) -> String {
    let free = |n: &str| records.connection(n).is_none();
    if free(hash) {
        return hash.to_string();
    }
    (2..)
        .map(|i| format!("{hash}-{i}"))
        .find(|n| free(n))
        .expect("some suffix is free")
}

/// Connections one may borrow concurrency from: the same store's first (the
/// usual reason to share a pool is that BigCommerce limits per store), then
/// the rest; each group keeps the record file's order.
pub fn borrow_order<'a>(records: &'a Document, hash: &str) -> Vec<&'a Connection> {
    let (mut same, other): (Vec<&Connection>, Vec<&Connection>) = records
        .connections
        .iter()
        .partition(|c| c.store_hash.as_str() == hash);
    same.extend(other);
    same
}

/// How a lender is shown in the borrow picker.
pub fn lender_option(records: &Document, c: &Connection, hash: &str) -> String {
    let level = records.effective_concurrency(c);
    let store = if c.store_hash.as_str() == hash {
        "same store".to_string()
    } else {
        format!("store {}", c.store_hash)
    };
    format!("{}  ({store}, concurrency {level})", c.name)
}

/// The summary printed before "Save & authorize". Never holds a secret.
pub fn summary(plan: &Plan, records: &Document) -> String {
    let rows = rows(plan, records);
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::from("Summary\n");
    for (key, value) in rows {
        // Continuation lines (the scope list) line up under the value column.
        let value = value.replace('\n', &format!("\n  {:width$}  ", ""));
        text.push_str(&format!("  {key:width$}  {value}\n"));
    }
    text
}

/// The summary's rows: a key, and its value (which may run on more lines).
pub fn rows(plan: &Plan, records: &Document) -> Vec<(&'static str, String)> {
    let mut rows: Vec<(&str, String)> = vec![
        ("name", plan.name.clone()),
        (
            "auth type",
            match plan.auth_type() {
                AuthType::Oauth2 => "OAuth 2.0".to_string(),
                AuthType::Token => "API-account token".to_string(),
            },
        ),
        ("store hash", plan.store_hash.to_string()),
    ];
    match &plan.auth {
        Auth::OAuth {
            scopes, iclient, ..
        } => {
            rows.push(("scopes", scope_summary(scopes)));
            let (iclient, callback) = iclient_summary(iclient, records);
            rows.push(("iClient", iclient));
            rows.push(("callback URL", callback));
        }
        Auth::Token(source) => rows.push(("token", token_summary(source))),
    }
    rows.push(("concurrency", concurrency_summary(plan, records)));
    rows
}

fn scope_summary(names: &[String]) -> String {
    format!("{}\n{}", count(names.len(), "scope"), wrap_list(names, 72))
}

fn iclient_summary(pick: &IClientPick, records: &Document) -> (String, String) {
    match pick {
        IClientPick::New(new) => (
            format!(
                "{} (client id {}; new, saved with the connection)",
                new.name, new.client_id
            ),
            new.callback_url.clone(),
        ),
        IClientPick::Edited { name, edit } => match records.iclient(name) {
            Some(ic) => (
                format!(
                    "{} (client id {}; edited, saved with the connection)",
                    ic.name,
                    edit.client_id.as_deref().unwrap_or(&ic.client_id)
                ),
                edit.callback_url.clone().unwrap_or(ic.callback_url.clone()),
            ),
            None => (name.clone(), "-".to_string()),
        },
        IClientPick::Existing(name) => match records.iclient(name) {
            Some(ic) => (
                format!("{} (client id {})", ic.name, ic.client_id),
                ic.callback_url.clone(),
            ),
            None => (name.clone(), "-".to_string()),
        },
    }
}

fn token_summary(source: &TokenSource) -> String {
    match source {
        TokenSource::Given(_) => "given (hidden); checked against the store on save".into(),
        TokenSource::File(p) => format!("from {}", p.display()),
        TokenSource::Env => "from BCCONN_ACCESS_TOKEN".into(),
        TokenSource::Stdin => "from standard input".into(),
    }
}

fn concurrency_summary(plan: &Plan, records: &Document) -> String {
    match &plan.borrow_from {
        Some(lender) => match records.connection(lender) {
            Some(c) => format!(
                "borrowed from {:?} (level {})",
                c.name,
                records.effective_concurrency(c)
            ),
            None => format!("borrowed from {lender:?}"),
        },
        None => plan.concurrency.to_string(),
    }
}

/// "a, b, c" broken into lines of at most `width` characters (a longer
/// single item gets a line of its own).
pub fn wrap_list(items: &[String], width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if !line.is_empty() && line.chars().count() + 1 + piece.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bigcommerce::store_hash::StoreHash;
    use crate::connect::iclients::NewIClient;
    use crate::connect::plan::After;
    use crate::store::IClient;

    fn conn(name: &str, hash: &str, level: u8) -> Connection {
        Connection {
            id: format!("id-{name}"),
            scopes: vec!["store_v2_products".into()],
            concurrency: level,
            ..Connection::pending(name, AuthType::Oauth2, StoreHash::parse(hash).unwrap())
        }
    }

    fn records(conns: Vec<Connection>) -> Document {
        Document {
            connections: conns,
            iclients: vec![IClient {
                id: "ic1".into(),
                name: "main-app".into(),
                client_id: "cid123".into(),
                callback_url: "http://localhost:8765/auth".into(),
                secret_store: crate::secrets::StoreKind::File,
                created_at: String::new(),
                updated_at: String::new(),
                extra: Default::default(),
            }],
            ..Document::default()
        }
    }

    fn plan(auth: Auth) -> Plan {
        Plan {
            name: "acme".into(),
            store_hash: StoreHash::parse("abc123").unwrap(),
            concurrency: 1,
            borrow_from: None,
            auth,
        }
    }

    fn oauth(scopes: &[&str], iclient: IClientPick) -> Auth {
        Auth::OAuth {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            iclient,
            after: After::Authorize,
        }
    }

    #[test]
    fn picker_offers_store_and_token_creation_scopes_only() {
        let offered = picker_scopes();
        assert!(
            offered
                .iter()
                .all(|s| matches!(s.group, Group::Store | Group::TokenCreation))
        );
        assert!(!offered.iter().any(|s| s.name == "account_read"));
        assert!(!offered.iter().any(|s| s.name == "store_v2_default"));
        // Everything --all-scopes asks for can be ticked, and the read-only
        // twins too.
        for name in scopes::all_store_scopes() {
            assert!(offered.iter().any(|s| s.name == name), "{name}");
        }
        assert!(
            offered
                .iter()
                .any(|s| s.name == "store_v2_products_read_only")
        );
    }

    #[test]
    fn scope_option_shows_label_level_and_name() {
        let s = scopes::lookup("store_v2_products").unwrap();
        assert_eq!(scope_option(s), "Products — modify  (store_v2_products)");
        let r = scopes::lookup("store_v2_orders_read_only").unwrap();
        assert_eq!(
            scope_option(r),
            "Orders — read-only  (store_v2_orders_read_only)"
        );
    }

    #[test]
    fn scope_starts_are_in_order_and_pickable() {
        let starts = scope_starts();
        let titles: Vec<&str> = starts.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(titles[0], "Choose scopes…");
        assert!(titles[1].starts_with("Read-only everything ("));
        assert!(titles[2].starts_with("Catalog ("));
        assert!(titles[3].starts_with("Orders ("));
        assert!(titles[4].starts_with("All scopes ("));
        assert_eq!(titles.len(), 5);
        assert!(starts[0].1.is_empty());
        let options = picker_scopes();
        for (title, names) in &starts[1..] {
            assert!(!names.is_empty(), "{title}");
            // Every preset scope is an option, so pre-ticking loses none.
            assert_eq!(indexes_of(&options, names).len(), names.len(), "{title}");
            assert!(title.contains(&format!("({} scopes", names.len())));
        }
        assert_eq!(starts[4].1, scopes::all_store_scopes());
    }

    #[test]
    fn suggested_name_is_free() {
        let r = records(vec![
            conn("abc123", "abc123", 1),
            conn("ABC123-2", "abc123", 1),
        ]);
        assert_eq!(suggest_name("abc123", &r), "abc123-3");
        assert_eq!(suggest_name("zzz9", &r), "zzz9");
    }

    #[test]
    fn same_store_lenders_come_first_in_file_order() {
        let r = records(vec![
            conn("other-a", "zzz111", 3),
            conn("same-a", "abc123", 5),
            conn("other-b", "yyy222", 2),
            conn("same-b", "abc123", 7),
        ]);
        let names: Vec<&str> = borrow_order(&r, "abc123")
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["same-a", "same-b", "other-a", "other-b"]);
        assert_eq!(
            lender_option(&r, &r.connections[1], "abc123"),
            "same-a  (same store, concurrency 5)"
        );
        assert_eq!(
            lender_option(&r, &r.connections[0], "abc123"),
            "other-a  (store zzz111, concurrency 3)"
        );
    }

    #[test]
    fn count_says_one_or_many() {
        assert_eq!(count(1, "scope"), "1 scope");
        assert_eq!(count(0, "scope"), "0 scopes");
        assert_eq!(count(34, "scope"), "34 scopes");
    }

    #[test]
    fn wrap_list_breaks_between_items() {
        let items: Vec<String> = ["aaaa", "bbbb", "cccc", "dd"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(wrap_list(&items, 11), "aaaa, bbbb,\ncccc, dd");
        assert_eq!(wrap_list(&items, 100), "aaaa, bbbb, cccc, dd");
        assert_eq!(wrap_list(&[], 10), "");
    }

    #[test]
    fn oauth_summary_names_everything_but_the_secret() {
        let mut p = plan(oauth(
            &["store_v2_orders", "store_v2_products"],
            IClientPick::New(NewIClient {
                name: "new-app".into(),
                client_id: "cid-new".into(),
                callback_url: "http://127.0.0.1:9999/auth".into(),
                secret: secrecy::SecretString::from("s3cr3t-value".to_string()),
            }),
        ));
        p.concurrency = 4;
        let text = summary(&p, &records(vec![]));
        for want in [
            "name          acme",
            "auth type     OAuth 2.0",
            "store hash    abc123",
            "scopes        2 scopes\n                store_v2_orders, store_v2_products",
            "iClient       new-app (client id cid-new; new, saved with the connection)",
            "callback URL  http://127.0.0.1:9999/auth",
            "concurrency   4",
        ] {
            assert!(text.contains(want), "{want:?} not in\n{text}");
        }
        assert!(!text.contains("s3cr3t"));
    }

    #[test]
    fn summary_of_existing_iclient_and_borrowed_level() {
        let r = records(vec![conn("lender", "abc123", 9)]);
        let mut p = plan(oauth(
            &["store_v2_products"],
            IClientPick::Existing("MAIN-APP".into()),
        ));
        p.borrow_from = Some("lender".into());
        let text = summary(&p, &r);
        assert!(text.contains("1 scope\n"), "{text}");
        assert!(text.contains("main-app (client id cid123)"), "{text}");
        assert!(text.contains("http://localhost:8765/auth"), "{text}");
        assert!(
            text.contains("borrowed from \"lender\" (level 9)"),
            "{text}"
        );
    }

    #[test]
    fn token_summary_has_no_scopes_or_iclient() {
        let p = plan(Auth::Token(TokenSource::Given(
            secrecy::SecretString::from("tok-value".to_string()),
        )));
        let text = summary(&p, &records(vec![]));
        assert!(text.contains("API-account token"));
        assert!(text.contains("given (hidden)"));
        assert!(!text.contains("scopes"));
        assert!(!text.contains("iClient"));
        assert!(!text.contains("tok-value"));
    }
}
