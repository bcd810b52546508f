//! Checks of the records themselves: connections that authorize the same
//! app on the same store (siblings), and authorized connections not
//! verified against their store for a while.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::{Finding, list, plural};
use crate::store::{self, Document, State};
use crate::text::outside;

/// A connection not checked against its store for this long is reported.
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);

/// Groups of connections on the same app (client id) and store: the
/// siblings of [`Document::siblings_of`], found in one pass.
pub fn sibling_groups(file: &Document) -> Vec<Vec<&store::Connection>> {
    let mut groups: HashMap<(&str, &str), Vec<&store::Connection>> = HashMap::new();
    let mut order = Vec::new();
    let client_ids: HashMap<&str, &str> = file
        .iclients
        .iter()
        .map(|ic| (ic.id.as_str(), ic.client_id.as_str()))
        .collect();
    for c in &file.connections {
        if c.auth_type != store::AuthType::Oauth2 {
            continue;
        }
        let Some(client_id) = c.iclient_id.as_deref().and_then(|id| client_ids.get(id)) else {
            continue;
        };
        let key = (*client_id, c.store_hash.as_str());
        let group = groups.entry(key).or_default();
        if group.is_empty() {
            order.push(key);
        }
        group.push(c);
    }
    order
        .into_iter()
        .filter_map(|key| groups.remove(&key))
        .filter(|g| g.len() > 1)
        .collect()
}

pub(super) fn siblings(file: &Document) -> Vec<Finding> {
    const CHECK: &str = "siblings";
    let groups = sibling_groups(file);
    if groups.is_empty() {
        return vec![Finding::ok(
            CHECK,
            "no two connections authorize the same app on the same store",
        )];
    }
    groups
        .iter()
        .map(|group| {
            let first = group[0];
            // A few names and a count: a thousand siblings are one line.
            let names: Vec<String> = group
                .iter()
                .take(3)
                .map(|c| format!("{} ({})", crate::connect::rules::shown(&c.name), c.state.as_str()))
                .collect();
            let names = match group.len() {
                n if n > names.len() => {
                    format!("{n} connections ({} and {} more)", names.join(", "), n - names.len())
                }
                _ => names.join(", "),
            };
            let client_id = first
                .iclient_id
                .as_deref()
                .and_then(|id| file.iclients.iter().find(|i| i.id == id))
                .map(|i| i.client_id.as_str())
                .unwrap_or_default();
            Finding::warn(
                CHECK,
                format!(
                    "{} authorize the same app (client id {}) on store {}: BigCommerce keeps one token per app and store, so authorizing one ends the others' tokens",
                    names,
                    outside(client_id, 64),
                    first.store_hash
                ),
            )
            .subject(format!("store {}", first.store_hash))
            .fix("keep one (`bcconn delete NAME`), or authorize the others through another app (an iClient with its own client id)")
        })
        .collect()
}

pub(super) fn last_verified(file: &Document, now: SystemTime) -> Finding {
    const CHECK: &str = "last_verified";
    let authorized: Vec<&store::Connection> = file
        .connections
        .iter()
        .filter(|c| c.state == State::Authorized)
        .collect();
    if authorized.is_empty() {
        return Finding::ok(CHECK, "no authorized connections");
    }
    let days = |c: &store::Connection| -> Option<u64> {
        let at = humantime::parse_rfc3339_weak(c.last_verified_at.as_deref()?).ok()?;
        Some(now.duration_since(at).unwrap_or_default().as_secs() / 86_400)
    };
    let stale: Vec<String> = authorized
        .iter()
        .filter_map(|c| match days(c) {
            Some(d) if d < STALE_AFTER.as_secs() / 86_400 => None,
            Some(d) => Some(format!("{:?} ({d} days ago)", outside(&c.name, 64))),
            None => Some(format!("{:?} (never)", outside(&c.name, 64))),
        })
        .collect();
    if stale.is_empty() {
        return Finding::ok(
            CHECK,
            format!(
                "{} authorized connection{} verified in the last 30 days",
                authorized.len(),
                plural(authorized.len())
            ),
        );
    }
    let shown: Vec<&str> = stale.iter().map(String::as_str).collect();
    Finding::warn(
        CHECK,
        format!(
            "{} of {} authorized connection{} not verified for 30 days or more: {}",
            stale.len(),
            authorized.len(),
            plural(authorized.len()),
            list(&shown, 10)
        ),
    )
    .fix("`bcconn status` checks them against their stores (and notes the time)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::doctor::Verdict;
    use crate::connect::doctor::tests::{conn, iclient};
    use crate::secrets::StoreKind;

    #[test]
    fn sibling_groups_agree_with_siblings_of() {
        let file = Document {
            iclients: vec![
                iclient("i1", "cid", StoreKind::File),
                iclient("i2", "cid", StoreKind::File),
                iclient("i3", "other", StoreKind::File),
            ],
            connections: vec![
                conn("a", Some("i1"), "abc123"),
                conn("b", Some("i2"), "abc123"),
                conn("c", Some("i3"), "abc123"),
                conn("d", Some("i1"), "zzz999"),
                conn("e", Some("i1"), "abc123"),
                conn("t", None, "abc123"),
            ],
            ..Default::default()
        };
        let groups = sibling_groups(&file);
        assert_eq!(groups.len(), 1);
        let names: Vec<&str> = groups[0].iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "e"]);
        for c in &file.connections {
            let mut want: Vec<&str> = file
                .siblings_of(c)
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            let mut got: Vec<&str> = groups
                .iter()
                .find(|g| g.iter().any(|m| m.id == c.id))
                .map(|g| {
                    g.iter()
                        .filter(|m| m.id != c.id)
                        .map(|m| m.name.as_str())
                        .collect()
                })
                .unwrap_or_default();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{}", c.name);
        }
    }

    #[test]
    fn last_verified_flags_old_and_never() {
        let now = humantime::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
        let mut fresh = conn("fresh", Some("i1"), "abc123");
        fresh.state = State::Authorized;
        fresh.last_verified_at = Some("2026-05-20T00:00:00Z".into());
        let mut old = conn("old", Some("i1"), "abc123");
        old.state = State::Authorized;
        old.last_verified_at = Some("2026-04-01T00:00:00Z".into());
        let mut never = conn("never", Some("i1"), "abc123");
        never.state = State::Authorized;
        let pending = conn("pending", Some("i1"), "abc123");
        let file = Document {
            connections: vec![fresh.clone(), old, never, pending],
            ..Default::default()
        };
        let f = last_verified(&file, now);
        assert_eq!(f.verdict, Verdict::Warn);
        assert!(f.detail.contains("\"old\" (61 days ago)"), "{}", f.detail);
        assert!(f.detail.contains("\"never\" (never)"), "{}", f.detail);
        assert!(!f.detail.contains("fresh") && !f.detail.contains("pending"));
        let file = Document {
            connections: vec![fresh],
            ..Default::default()
        };
        assert_eq!(last_verified(&file, now).verdict, Verdict::Ok);
    }
}
