//! The audit trail: every change to the records says who made it (OS user
//! and host), what (a verb, the connection or iClient, the fields that
//! changed, never a value and never a secret) and when. An entry is written
//! in the same transaction as its change, by every engine.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One change to one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339 UTC, seconds.
    pub at: String,
    /// The OS user who ran bcconn.
    pub user: String,
    /// The machine it ran on.
    pub host: String,
    /// The command (`authorize`, `rename`, `api` for a 401 mark, …).
    pub verb: String,
    /// `connection` or `iclient` (or `store` for a whole-store change such
    /// as a migration).
    pub kind: String,
    /// The record's id (empty for a store-wide entry).
    pub subject_id: String,
    /// The record's name when the change was made (after it, for a rename).
    pub subject_name: String,
    /// `created`, `changed` or `removed` (or `migrated`, `imported`).
    pub action: String,
    /// The names of the fields that changed (never their values).
    pub fields: Vec<String>,
}

/// Which entries `history` asks for.
#[derive(Clone, Copy, Debug)]
pub enum AuditFilter<'a> {
    All,
    /// Entries about this record id, or (for records gone or renamed) whose
    /// name, folded with [`super::name_key`], is this.
    Subject {
        id: Option<&'a str>,
        name_key: &'a str,
    },
}

/// What kind of record an entry is about.
pub const CONNECTION: &str = "connection";
pub const ICLIENT: &str = "iclient";
/// A change to the whole store (a schema migration).
pub const STORE: &str = "store";

/// The verb of a change made outside any command (unit tests, the library
/// driven directly).
pub const NO_VERB: &str = "-";

/// Who is making changes in this process: (OS user, host). Computed once:
/// both are asked of the OS, never of the environment, which any caller
/// may set to anything (`USER=root`).
pub fn who() -> &'static (String, String) {
    static WHO: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    WHO.get_or_init(|| {
        let host = super::ledger::host();
        (
            os_user(),
            if host.is_empty() {
                "unknown".into()
            } else {
                host
            },
        )
    })
}

/// The effective user's login name from the password database, or the
/// uid itself when it has none (a container's arbitrary uid).
#[cfg(unix)]
fn os_user() -> String {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: zeroed is a valid passwd (pointers null, numbers 0).
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call, and the buffer's
        // length is passed with it.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return uid.to_string();
        }
        // SAFETY: on success pw_name points at a C string inside `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        let name = name.to_string_lossy().into_owned();
        return if name.is_empty() {
            uid.to_string()
        } else {
            name
        };
    }
}

#[cfg(not(unix))]
fn os_user() -> String {
    "unknown".into()
}

impl AuditEntry {
    /// An entry made now, by this process's user on this host.
    pub fn now(
        verb: &str,
        kind: &str,
        subject: (&str, &str),
        action: &str,
        fields: Vec<String>,
    ) -> AuditEntry {
        let (user, host) = who();
        AuditEntry {
            at: super::now(),
            user: user.clone(),
            host: host.clone(),
            verb: verb.to_string(),
            kind: kind.to_string(),
            subject_id: subject.0.to_string(),
            subject_name: subject.1.to_string(),
            action: action.to_string(),
            fields,
        }
    }
}

/// What happened to one record between two images of its JSON (`None`:
/// it did not exist): the action and the names of the top-level fields
/// whose values differ, `updated_at` left out (it moves with any change
/// and says nothing of its own). `None` when nothing else changed.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Option<(&'static str, Vec<String>)> {
    match (before, after) {
        (None, None) => None,
        (None, Some(_)) => Some(("created", Vec::new())),
        (Some(_), None) => Some(("removed", Vec::new())),
        (Some(b), Some(a)) => {
            let empty = serde_json::Map::new();
            let b = b.as_object().unwrap_or(&empty);
            let a = a.as_object().unwrap_or(&empty);
            let mut fields: Vec<String> = a
                .keys()
                .chain(b.keys().filter(|k| !a.contains_key(*k)))
                .filter(|k| k.as_str() != "updated_at" && a.get(*k) != b.get(*k))
                .cloned()
                .collect();
            fields.sort();
            (!fields.is_empty()).then_some(("changed", fields))
        }
    }
}

/// The record's name in a JSON image (for an entry about a removed one).
pub fn name_in(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_record_is_created_and_a_gone_one_removed() {
        let v = json!({"name": "shop"});
        assert_eq!(diff(None, Some(&v)), Some(("created", vec![])));
        assert_eq!(diff(Some(&v), None), Some(("removed", vec![])));
        assert_eq!(diff(None, None), None);
    }

    #[test]
    fn a_change_names_the_fields_that_differ_and_never_a_value() {
        let before = json!({"name": "shop", "state": "authorized", "scopes": ["a"],
            "last_error": null, "updated_at": "1", "token_generation": 1});
        let after = json!({"name": "shop", "state": "invalid", "scopes": ["a"],
            "last_error": "the store API answered 401", "updated_at": "2"});
        let (action, fields) = diff(Some(&before), Some(&after)).unwrap();
        assert_eq!(action, "changed");
        // A field gone counts as changed; updated_at is left out.
        assert_eq!(fields, ["last_error", "state", "token_generation"]);
        assert!(!fields.iter().any(|f| f.contains("401") || f == "invalid"));
    }

    #[test]
    fn only_updated_at_or_nothing_changed_is_no_entry() {
        let before = json!({"name": "shop", "updated_at": "1"});
        let after = json!({"name": "shop", "updated_at": "2"});
        assert_eq!(diff(Some(&before), Some(&after)), None);
        assert_eq!(diff(Some(&before), Some(&before)), None);
    }

    #[test]
    fn who_is_a_user_and_a_host() {
        let (user, host) = who();
        assert!(!user.is_empty());
        assert!(!host.is_empty());
        #[cfg(unix)]
        {
            // SAFETY: geteuid cannot fail.
            let uid = unsafe { libc::geteuid() };
            // The password database's name, or the uid when there is none.
            assert!(
                user.chars().any(|c| !c.is_ascii_digit()) || *user == uid.to_string(),
                "{user}"
            );
        }
    }
}
