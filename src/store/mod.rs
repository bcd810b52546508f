//! The record file: loading, locking, atomic saving, and the rules records obey
//! (unique names, the concurrency-borrowing graph).

pub mod fsutil;
pub mod schema;
pub mod summary;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::error::{Failure, failure, usage};
pub use schema::*;

const FILE_NAME: &str = "bcconn.json";
const LOCK_NAME: &str = "bcconn.lock";
/// The longest name a record may have, in characters.
pub const MAX_NAME: usize = 64;

/// The record file under one home directory.
pub struct Records {
    dir: PathBuf,
}

impl Records {
    pub fn new(dir: &Path) -> Self {
        Records {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Reads the records without locking: writers replace the file by rename,
    /// so a reader always sees a whole file. A missing file is an empty one.
    pub fn load(&self) -> Result<RecordFile> {
        match self.read_bytes()? {
            Some(bytes) => parse(&bytes, &self.path()).map_err(Into::into),
            None => Ok(RecordFile::default()),
        }
    }

    /// The record file's bytes; `None` when there is no file yet.
    pub fn read_bytes(&self) -> Result<Option<Vec<u8>>> {
        let path = self.path();
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Read-modify-write under an exclusive lock. `change` sees the current
    /// records; if it returns an error nothing is written.
    pub fn update<T>(&self, change: impl FnOnce(&mut RecordFile) -> Result<T>) -> Result<T> {
        fsutil::ensure_private_dir(&self.dir)?;
        let _lock = fsutil::lock(&self.dir.join(LOCK_NAME))?;
        let mut file = self.load()?;
        let out = change(&mut file)?;
        let mut bytes = serde_json::to_vec_pretty(&file)?;
        bytes.push(b'\n');
        fsutil::write_atomic(&self.path(), &bytes)?;
        Ok(out)
    }
}

/// Parses the record file, refusing what this build cannot safely rewrite.
pub fn parse(bytes: &[u8], path: &Path) -> Result<RecordFile, Failure> {
    let keep = "bcconn did not change it; fix or move it away, or point BCCONN_HOME elsewhere";
    // One pass in the common case: `list` reads this file on every run.
    let full = serde_json::from_slice::<RecordFile>(bytes);
    let version = match &full {
        Ok(file) => Some(u64::from(file.version)),
        Err(_) => {
            // Say *why* it failed: bad JSON, a newer format, or no version.
            #[derive(serde::Deserialize)]
            struct Probe {
                version: Option<serde_json::Value>,
            }
            let probe: Probe = serde_json::from_slice(bytes).map_err(|e| {
                failure(format!(
                    "cannot read {}: not valid JSON ({e})",
                    path.display()
                ))
                .hint(keep)
            })?;
            probe.version.as_ref().and_then(|v| v.as_u64())
        }
    };
    match version {
        Some(v) if v == u64::from(VERSION) => {
            full.map_err(|e| failure(format!("cannot read {}: {e}", path.display())).hint(keep))
        }
        Some(v) if v > u64::from(VERSION) => Err(failure(format!(
            "{} was written by a newer bcconn (format version {v}; this one reads {VERSION})",
            path.display()
        ))
        .hint("upgrade bcconn; the file was left as it is")),
        _ => Err(failure(format!(
            "cannot read {}: it has no format version bcconn knows",
            path.display()
        ))
        .hint(keep)),
    }
}

/// A new random record id: 16 hex digits from the OS's CSPRNG.
pub fn new_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, as RFC 3339 UTC with seconds.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Checks a record name: non-empty printable text, at most 64 characters,
/// no leading or trailing space (they make names that look equal differ).
pub fn validate_name(kind: &str, name: &str) -> Result<(), Failure> {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let fix = format!(
        "{article} {kind} name is 1 to {MAX_NAME} printable characters, e.g. \"acme-prod\""
    );
    if name.trim().is_empty() {
        return Err(usage(format!("the {kind} name is empty")).hint(fix));
    }
    if name.chars().any(char::is_control) {
        return Err(usage(format!(
            "the {kind} name {name:?} holds a control character"
        ))
        .hint(fix));
    }
    if name.trim() != name {
        return Err(usage(format!(
            "the {kind} name {name:?} starts or ends with a space"
        ))
        .hint(fix));
    }
    if name.chars().count() > MAX_NAME {
        return Err(usage(format!(
            "the {kind} name is {} characters long; the limit is {MAX_NAME}",
            name.chars().count()
        ))
        .hint(fix));
    }
    Ok(())
}

/// Case-insensitive name match, so "Acme" and "acme" are one name.
pub fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

impl RecordFile {
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| same_name(&c.name, name))
    }

    pub fn connection_mut(&mut self, name: &str) -> Option<&mut Connection> {
        self.connections
            .iter_mut()
            .find(|c| same_name(&c.name, name))
    }

    pub fn connection_by_id(&self, id: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    pub fn iclient(&self, name: &str) -> Option<&IClient> {
        self.iclients.iter().find(|c| same_name(&c.name, name))
    }

    pub fn iclient_by_id(&self, id: &str) -> Option<&IClient> {
        self.iclients.iter().find(|c| c.id == id)
    }

    /// The connection called `name`, or an error that lists what exists.
    pub fn require_connection(&self, name: &str) -> Result<&Connection, Failure> {
        self.connection(name).ok_or_else(|| {
            not_found(
                "connection",
                name,
                self.connections.iter().map(|c| c.name.as_str()),
                "bcconn list",
            )
        })
    }

    pub fn require_iclient(&self, name: &str) -> Result<&IClient, Failure> {
        self.iclient(name).ok_or_else(|| {
            not_found(
                "iClient",
                name,
                self.iclients.iter().map(|c| c.name.as_str()),
                "bcconn iclient list",
            )
        })
    }

    /// Refuses a connection name that is taken (case-insensitively), unless it
    /// is taken by `except` (a rename to a different case of itself).
    pub fn check_connection_name_free(
        &self,
        name: &str,
        except: Option<&str>,
    ) -> Result<(), Failure> {
        validate_name("connection", name)?;
        match self.connection(name) {
            Some(c) if Some(c.id.as_str()) != except => Err(usage(format!(
                "a connection named {:?} already exists",
                c.name
            ))
            .hint("pick another name, or change that one with `bcconn edit` / `bcconn authorize`")),
            _ => Ok(()),
        }
    }

    pub fn check_iclient_name_free(&self, name: &str, except: Option<&str>) -> Result<(), Failure> {
        validate_name("iClient", name)?;
        match self.iclient(name) {
            Some(c) if Some(c.id.as_str()) != except => Err(usage(format!(
                "an iClient named {:?} already exists",
                c.name
            ))
            .hint("pick another name, or change that one with `bcconn iclient edit`")),
            _ => Ok(()),
        }
    }

    /// Connections that use the iClient with this id.
    pub fn users_of_iclient(&self, iclient_id: &str) -> Vec<&Connection> {
        self.connections
            .iter()
            .filter(|c| c.iclient_id.as_deref() == Some(iclient_id))
            .collect()
    }

    /// Connections that borrow concurrency from the connection with this id.
    pub fn borrowers_of(&self, id: &str) -> Vec<&Connection> {
        self.connections
            .iter()
            .filter(|c| c.borrow_concurrency_from.as_deref() == Some(id))
            .collect()
    }

    /// The concurrency level a connection really runs with: its own, or, when
    /// it borrows, its lender's (following chains). Cycles cannot be saved,
    /// but a hand-edited file might hold one; the walk stops there.
    pub fn effective_concurrency(&self, conn: &Connection) -> u8 {
        effective_concurrency(
            conn.concurrency,
            conn.borrow_concurrency_from.as_deref(),
            |id| {
                self.connection_by_id(id)
                    .map(|c| (c.concurrency, c.borrow_concurrency_from.as_deref()))
            },
        )
    }

    /// Checks that the connection `borrower_id` (None: not saved yet) may
    /// borrow from the connection named `lender`, and returns the lender's id.
    pub fn check_borrow(
        &self,
        borrower_id: Option<&str>,
        borrower_name: &str,
        lender: &str,
    ) -> Result<String, Failure> {
        let itself = || {
            usage(format!(
                "connection {borrower_name:?} cannot borrow concurrency from itself"
            ))
            .hint("name another connection, or set its own level with --concurrency")
        };
        // Checked before the lookup: a connection being created is not saved
        // yet, and "no connection named X" would hide the real mistake.
        if !borrower_name.is_empty() && same_name(lender, borrower_name) {
            return Err(itself());
        }
        let Some(lend) = self.connection(lender) else {
            return Err(not_found("connection", lender, self.connections.iter().map(|c| c.name.as_str()), "bcconn list")
                .hint("--borrow-concurrency-from takes the name of a saved connection (see `bcconn list`)"));
        };
        if Some(lend.id.as_str()) == borrower_id {
            return Err(itself());
        }
        // Walk the lender's chain; reaching the borrower means a cycle.
        if let Some(me) = borrower_id {
            let mut chain = vec![lend.name.clone()];
            let mut current = lend;
            while let Some(next) = current
                .borrow_concurrency_from
                .as_deref()
                .and_then(|id| self.connection_by_id(id))
            {
                if next.id == me {
                    return Err(usage(format!(
                        "borrowing from {:?} would make a cycle: {borrower_name} -> {} -> {borrower_name}",
                        lend.name,
                        chain.join(" -> ")
                    ))
                    .hint("borrow from a connection that does not itself borrow from this one"));
                }
                if chain.len() > self.connections.len() {
                    break;
                }
                chain.push(next.name.clone());
                current = next;
            }
        }
        Ok(lend.id.clone())
    }
}

/// Follows a borrowing chain from a connection (its own `level` and lender
/// id) to the level it really runs with. `lookup` gives a connection's level
/// and lender by id. Cycles cannot be saved, but a hand-edited file might hold
/// one; the walk stops after as many steps as there could be connections.
pub fn effective_concurrency<'a>(
    level: u8,
    lender: Option<&'a str>,
    lookup: impl Fn(&str) -> Option<(u8, Option<&'a str>)>,
) -> u8 {
    let (mut level, mut next) = (level, lender);
    let mut steps = 0;
    while let Some((l, n)) = next.and_then(&lookup) {
        steps += 1;
        if steps > 10_000 {
            break;
        }
        (level, next) = (l, n);
    }
    level
}

fn not_found<'a>(
    kind: &str,
    name: &str,
    existing: impl Iterator<Item = &'a str>,
    list_cmd: &str,
) -> Failure {
    let names: Vec<&str> = existing.collect();
    let near = names
        .iter()
        .map(|n| {
            (
                strsim::jaro_winkler(&n.to_lowercase(), &name.to_lowercase()),
                *n,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let f = usage(format!("no {kind} named {name:?}"));
    match near {
        Some((_, n)) => f.hint(format!("did you mean {n:?}? `{list_cmd}` shows them all")),
        None if names.is_empty() => f.hint(format!(
            "there are none yet; `{list_cmd}` will show them once made"
        )),
        None => f.hint(format!("`{list_cmd}` shows the saved ones")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(name: &str, level: u8, borrow: Option<&str>) -> Connection {
        Connection {
            id: format!("id-{name}"),
            concurrency: level,
            borrow_concurrency_from: borrow.map(|b| format!("id-{b}")),
            ..Connection::pending(name, AuthType::Oauth2, "abc123".parse().unwrap())
        }
    }

    fn file(conns: Vec<Connection>) -> RecordFile {
        RecordFile {
            connections: conns,
            ..Default::default()
        }
    }

    #[test]
    fn effective_concurrency_follows_chains() {
        let f = file(vec![
            conn("a", 7, None),
            conn("b", 1, Some("a")),
            conn("c", 3, Some("b")),
        ]);
        assert_eq!(f.effective_concurrency(f.connection("c").unwrap()), 7);
        assert_eq!(f.effective_concurrency(f.connection("a").unwrap()), 7);
    }

    #[test]
    fn effective_concurrency_survives_a_hand_made_cycle() {
        let f = file(vec![conn("a", 2, Some("b")), conn("b", 5, Some("a"))]);
        let level = f.effective_concurrency(f.connection("a").unwrap());
        assert!(level == 2 || level == 5);
    }

    #[test]
    fn borrow_refuses_self_unknown_and_cycles() {
        let f = file(vec![
            conn("a", 2, None),
            conn("b", 1, Some("a")),
            conn("c", 1, Some("b")),
        ]);
        assert!(
            f.check_borrow(Some("id-a"), "a", "A")
                .unwrap_err()
                .message
                .contains("itself")
        );
        // A connection not saved yet is told it names itself, not that the
        // lender is unknown.
        assert!(
            f.check_borrow(None, "new", "NEW")
                .unwrap_err()
                .message
                .contains("itself")
        );
        assert!(
            f.check_borrow(None, "new", "zzz")
                .unwrap_err()
                .message
                .contains("no connection named")
        );
        let cyc = f.check_borrow(Some("id-a"), "a", "c").unwrap_err();
        assert!(
            cyc.message.contains("cycle") && cyc.message.contains("c -> b"),
            "{}",
            cyc.message
        );
        assert_eq!(f.check_borrow(None, "new", "c").unwrap(), "id-c");
    }

    #[test]
    fn names_are_checked_and_unique_ignoring_case() {
        assert!(validate_name("connection", "").is_err());
        assert!(validate_name("connection", "   ").is_err());
        assert!(validate_name("connection", "a\tb").is_err());
        assert!(validate_name("connection", " a").is_err());
        assert!(validate_name("connection", &"x".repeat(65)).is_err());
        assert!(validate_name("connection", &"é".repeat(64)).is_ok());
        let f = file(vec![conn("Acme", 1, None)]);
        assert!(f.check_connection_name_free("acme", None).is_err());
        assert!(
            f.check_connection_name_free("ACME", Some("id-Acme"))
                .is_ok()
        );
        assert!(f.check_connection_name_free("other", None).is_ok());
    }

    #[test]
    fn unknown_and_newer_files_are_refused() {
        let p = Path::new("/x/bcconn.json");
        assert!(
            parse(b"{", p)
                .unwrap_err()
                .message
                .contains("not valid JSON")
        );
        assert!(
            parse(b"{\"version\": 2}", p)
                .unwrap_err()
                .message
                .contains("newer bcconn")
        );
        assert!(parse(b"[]", p).is_err());
        assert!(
            parse(b"{\"connections\": []}", p)
                .unwrap_err()
                .message
                .contains("format version")
        );
        assert!(
            parse(b"{\"version\": 1}", p)
                .unwrap()
                .connections
                .is_empty()
        );
    }

    #[test]
    fn update_writes_private_file_and_failed_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let records = Records::new(&home);
        records
            .update(|f| {
                f.connections.push(conn("a", 1, None));
                Ok(())
            })
            .unwrap();
        let before = std::fs::read(records.path()).unwrap();
        let err: Result<()> = records.update(|f| {
            f.connections.clear();
            anyhow::bail!("no")
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(records.path()).unwrap(), before);
        assert_eq!(records.load().unwrap().connections.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file_mode = std::fs::metadata(records.path())
                .unwrap()
                .permissions()
                .mode();
            let dir_mode = std::fs::metadata(&home).unwrap().permissions().mode();
            assert_eq!(file_mode & 0o777, 0o600);
            assert_eq!(dir_mode & 0o777, 0o700);
        }
    }

    #[test]
    fn ids_are_random_hex() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
