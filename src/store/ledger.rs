//! The secret ledger: every secret bcconn is about to write (or stops
//! using) is listed first, and its row goes in the transaction of the
//! record that uses it (or once the secret is deleted). A row still there
//! whose process is gone is a killed run's leftover, which the next write
//! removes from its secret store.
//!
//! The same rules say which secrets are orphans (`bcconn doctor`): a
//! secret no record names and no row lists ([`listed`], [`ORPHAN_GRACE`]).

use std::collections::HashSet;
use std::time::Duration;

/// How long a store must have been quiet before a secret in it that no
/// record names and no row lists is taken for an orphan and removed.
///
/// For this version's writes the ledger alone is enough, if the rows are
/// read before the records: a secret is listed before it is written, and
/// its row goes in the transaction that makes its record name it. The
/// grace is for secrets the ledger cannot know of, those of a bcconn from
/// before the ledger (still running on another machine that shares the
/// home, or mid-write across the upgrade), which saves a secret first and
/// its record after with nothing listed in between.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(60);

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The secret store's name (`os`, `keyutils`, `file`).
    pub store: String,
    /// The account under service `bcconn` (`connection/<id>/g<N>`, ...).
    pub account: String,
    /// The host the process ran on: a pid means nothing on another one (a
    /// home shared over NFS), so only this host's rows are judged.
    pub host: String,
    pub pid: u32,
    /// When that process started (Linux: clock ticks after boot), so a
    /// reused pid is not taken for the writer.
    pub started: String,
}

impl LedgerEntry {
    /// An entry for a secret this process is about to write.
    pub fn mine(store: &str, account: &str) -> LedgerEntry {
        let pid = std::process::id();
        LedgerEntry {
            store: store.to_string(),
            account: account.to_string(),
            host: host(),
            pid,
            started: start_time(pid).unwrap_or_default(),
        }
    }

    /// Written on this host by a process that is gone.
    pub fn abandoned(&self) -> bool {
        self.host == host() && !alive(self.pid, Some(&self.started))
    }
}

/// The accounts the ledger lists in `store`: never orphans, whatever
/// became of the run that listed them (a live run is still writing or
/// removing; a killed run's are the ledger's cleanup's, which claims the
/// row first), and whichever host it ran on.
pub fn listed(rows: impl IntoIterator<Item = LedgerEntry>, store: &str) -> HashSet<String> {
    rows.into_iter()
        .filter(|e| e.store == store)
        .map(|e| e.account)
        .collect()
}

/// This host's name (empty where it cannot be read).
pub fn host() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is writable and its length is passed.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    String::new()
}

/// The start time of a process, from `/proc/PID/stat` (field 22).
#[cfg(target_os = "linux")]
pub fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19).map(str::to_string)
}

#[cfg(not(target_os = "linux"))]
pub fn start_time(_pid: u32) -> Option<String> {
    None
}

/// Whether process `pid` runs (and, when `started` is known, is the same
/// process, not a later one given the same pid).
pub fn alive(pid: u32, started: Option<&str>) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    #[cfg(unix)]
    {
        // SAFETY: signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        if r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
            return false;
        }
        match (started, start_time(pid)) {
            (Some(want), Some(now)) if !want.is_empty() => want == now,
            _ => true,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = started;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = LedgerEntry::mine("file", "connection/x/g1");
        assert!(alive(me.pid, Some(&me.started)));
        assert!(!me.abandoned());
        #[cfg(target_os = "linux")]
        assert!(!alive(me.pid, Some("1")));
        assert!(!alive(0, None));
    }

    #[test]
    fn listed_accounts_are_those_of_one_store_whoever_wrote_them() {
        let mut gone = LedgerEntry::mine("file", "connection/b/g1");
        gone.pid = 0;
        let mut elsewhere = LedgerEntry::mine("file", "iclient/c");
        elsewhere.host = "another-host".into();
        let rows = [
            LedgerEntry::mine("file", "connection/a/g2"),
            gone,
            elsewhere,
            LedgerEntry::mine("os", "connection/d/g1"),
        ];
        let mut got: Vec<String> = listed(rows, "file").into_iter().collect();
        got.sort();
        assert_eq!(got, ["connection/a/g2", "connection/b/g1", "iclient/c"]);
    }
}
