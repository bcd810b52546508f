//! `bcconn doctor`: checks of what bcconn depends on, each with a verdict
//! (ok, warn, fail), what was found, and what to do about it.
//!
//! The checks, in the order they are shown, by subject:
//! - `files`: the home directory; the records database (integrity,
//!   schema, what it holds) and a write holding its lock; the modes and
//!   owners of bcconn's files (links followed and named); temp files left
//!   by interrupted writes.
//! - `secrets`: each secret store in use answers (and, for the OS and
//!   kernel keyrings, is unlocked), and holds what the records name in it;
//!   orphan secrets in the secrets file; secrets of killed runs the ledger
//!   still lists.
//! - `network`: the callback port of each iClient can be listened on; a
//!   browser can be opened; the login and API endpoints resolve and answer;
//!   the clock agrees with theirs (HTTP `Date`); the shared pools
//!   (`BCCONN_POOL_URL`) answer, when set.
//! - `records`: connections that authorize the same app on the same store
//!   (siblings); authorized connections not verified for 30 days.
//!
//! Doctor never waits on a lock and never reads a file that is not a
//! regular file, so it answers where other commands would hang. Network
//! probes have a short timeout. With `fix`, it removes what interrupted
//! writes left behind (stale temp files, orphan secrets in the secrets
//! file, secrets of killed runs the ledger lists) and tightens file modes;
//! it changes nothing else.

mod files;
mod network;
mod records;
mod sealed;
mod secrets;
mod shared;

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::context::Context;

pub use network::CLOCK_SKEW;
pub use records::{STALE_AFTER, sibling_groups};

/// How a check came out. Ordered: the worst verdict is the largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One check's result. Every finding has every field (`--json` is one
/// stable shape): `subject`, `fix`, `fixed` and `ms` are `null` when they
/// do not apply.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check's id: `home`, `records`, `writer`, `permissions`,
    /// `temp_files`, `secret_store`, `orphan_secrets`, `killed_writes`,
    /// `callback_port`, `browser`, `siblings`, `last_verified`,
    /// `login_endpoint`, `api_endpoint`, `clock`, `pool_url`, `shared_store`.
    pub check: &'static str,
    /// What it is about when a check runs more than once (a secret store, an
    /// iClient, a store), or the URL probed.
    pub subject: Option<String>,
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// What to do about it.
    pub fix: Option<String>,
    /// What `--fix` did.
    pub fixed: Option<String>,
    /// How long it took, where that matters (secret stores, endpoints).
    pub ms: Option<u64>,
}

impl Finding {
    fn new(check: &'static str, verdict: Verdict, detail: impl Into<String>) -> Finding {
        Finding {
            check,
            subject: None,
            verdict,
            detail: detail.into(),
            fix: None,
            fixed: None,
            ms: None,
        }
    }

    fn ok(check: &'static str, detail: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Ok, detail)
    }

    fn warn(check: &'static str, detail: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Warn, detail)
    }

    fn fail(check: &'static str, detail: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Fail, detail)
    }

    fn subject(mut self, subject: impl Into<String>) -> Finding {
        self.subject = Some(subject.into());
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    fn fixed(mut self, fixed: impl Into<String>) -> Finding {
        self.fixed = Some(fixed.into());
        self
    }

    /// How long the check took, since `since` on `clock`.
    fn took(mut self, clock: &dyn crate::clock::Clock, since: Instant) -> Finding {
        let spent = clock.instant().saturating_duration_since(since);
        self.ms = Some(spent.as_millis().try_into().unwrap_or(u64::MAX));
        self
    }

    /// A check that needs the records, which could not be read.
    fn not_checked(check: &'static str) -> Finding {
        Finding::warn(
            check,
            "not checked: the record file cannot be read (see above)",
        )
    }
}

pub struct Options {
    /// Remove stale temp files and orphan secrets; tighten file modes.
    pub fix: bool,
    /// For each network probe (resolve, then answer).
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fix: false,
            timeout: Duration::from_secs(4),
        }
    }
}

/// Runs every check, in the order they are shown.
pub fn run(ctx: &Context, opts: &Options) -> Vec<Finding> {
    let env = &ctx.env;
    let mut out = vec![files::home(env)];
    out.extend(shared::shared_store(ctx));
    let (found, file) = files::records(ctx);
    out.push(found);
    if file.is_some() {
        out.push(files::writer(ctx));
    }
    out.push(files::permissions(&env.home, opts.fix));
    out.push(files::temp_files(&env.home, opts.fix, ctx.clock.now()));
    out.extend(secrets::secret_stores(ctx, file.as_ref()));
    out.push(secrets::orphan_secrets(ctx, file.as_ref(), opts.fix));
    if file.is_some() {
        out.push(secrets::killed_writes(ctx, opts.fix));
    }
    out.extend(network::callback_ports(file.as_ref()));
    out.push(network::browser(env));
    match &file {
        Some(file) => {
            out.extend(records::siblings(file));
            out.push(records::last_verified(file, ctx.clock.now()));
        }
        None => {
            out.push(Finding::not_checked("siblings"));
            out.push(Finding::not_checked("last_verified"));
        }
    }
    out.extend(network::endpoints(env, opts.timeout, ctx.clock.as_ref()));
    out.extend(network::pool_url(env, ctx.clock.as_ref()));
    out
}

/// The worst verdict of all.
pub fn worst(findings: &[Finding]) -> Verdict {
    findings
        .iter()
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Ok)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The first `max` items, then how many more.
fn list(items: &[&str], max: usize) -> String {
    let mut text = items
        .iter()
        .take(max)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        text.push_str(&format!(" and {} more", items.len() - max));
    }
    text
}

/// Where a symlink points, said after a path.
fn symlink_note(path: &Path) -> String {
    match std::fs::read_link(path) {
        Ok(target) => format!(" (a symlink to {})", target.display()),
        Err(_) => String::new(),
    }
}

/// A data file's bytes, read the way the store reads it
/// ([`crate::fsutil::read_regular`]: the opened file is checked, a FIFO is
/// never waited on, a file that holds more than it states is not read to
/// the end). `Ok(None)` when it does not exist; the error is said as
/// doctor words it.
fn read_data(path: &Path) -> Result<Option<Vec<u8>>, String> {
    crate::fsutil::read_regular(path).map_err(|e| {
        // The read was refused on the opened file; what the path is now
        // only picks the words.
        match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => format!(
                "{} is not a regular file (a FIFO, device or directory), so bcconn cannot use it",
                path.display()
            ),
            Err(stat) if stat.kind() != std::io::ErrorKind::NotFound => {
                format!("cannot read {}: {stat}", path.display())
            }
            // bcconn's own words for a file it will not read (too large,
            // more than it states): they name the path already.
            _ if e.chain().any(|c| c.is::<crate::fsutil::FsError>()) => crate::error::message(&e),
            _ => format!("cannot read {}: {e:#}", path.display()),
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::secrets::StoreKind;
    use crate::store::{AuthType, Connection, IClient};

    pub fn iclient(id: &str, client_id: &str, kind: StoreKind) -> IClient {
        IClient {
            id: id.into(),
            name: format!("ic-{id}"),
            client_id: client_id.into(),
            callback_url: crate::connect::iclients::DEFAULT_CALLBACK_URL.into(),
            secret_store: kind,
            created_at: String::new(),
            updated_at: String::new(),
            extra: Default::default(),
        }
    }

    pub fn conn(name: &str, iclient: Option<&str>, hash: &str) -> Connection {
        Connection {
            id: format!("id-{name}"),
            iclient_id: iclient.map(str::to_string),
            ..Connection::pending(
                name,
                if iclient.is_some() {
                    AuthType::Oauth2
                } else {
                    AuthType::Token
                },
                hash.parse().unwrap(),
            )
        }
    }

    #[test]
    fn worst_verdict_wins() {
        let f = |v| Finding::new("x", v, "");
        assert_eq!(worst(&[]), Verdict::Ok);
        assert_eq!(
            worst(&[f(Verdict::Ok), f(Verdict::Fail), f(Verdict::Warn)]),
            Verdict::Fail
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_at_once_in_doctor_words() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("secrets.json");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_data(&fifo).unwrap_err();
        assert!(
            e.ends_with(
                "is not a regular file (a FIFO, device or directory), so bcconn cannot use it"
            ),
            "{e}"
        );
        assert_eq!(read_data(&dir.path().join("none")), Ok(None));
    }
}
