//! The record file: loading, locking, atomic saving, migrating older
//! versions, and lookups (names match ignoring case; the concurrency-borrowing
//! graph). The rules a change must obey, with the hints a person gets, are
//! the connection core's (`crate::connect::rules`).

pub mod migrate;
pub mod schema;
pub mod summary;
pub mod view;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::{Failure, failure};
use crate::fsutil;
use crate::secrets::{FileStore, StoreKind, connection_account, iclient_account};
pub use schema::*;

const FILE_NAME: &str = "bcconn.json";
const LOCK_NAME: &str = "bcconn.lock";
/// The longest name a record may have, in characters.
pub const MAX_NAME: usize = 64;

/// The record file under one home directory.
pub struct Records {
    dir: PathBuf,
    /// Unit tests: make the file write fail after the change was accepted.
    #[cfg(test)]
    fail_writes: std::cell::Cell<bool>,
    /// The records lock while this process holds it; `depth` counts the
    /// nested holders (a transaction, and the update inside it).
    held: RefCell<Option<File>>,
    depth: Cell<usize>,
}

/// Keeps the records lock held; the last one dropped releases it.
pub struct Held<'a>(&'a Records);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let depth = self.0.depth.get() - 1;
        self.0.depth.set(depth);
        if depth == 0 {
            self.0.held.borrow_mut().take();
        }
    }
}

impl Records {
    pub fn new(dir: &Path) -> Self {
        Records {
            dir: dir.to_path_buf(),
            #[cfg(test)]
            fail_writes: std::cell::Cell::new(false),
            held: RefCell::new(None),
            depth: Cell::new(0),
        }
    }

    /// Unit tests: from now on, writes fail after the change (or work again).
    #[cfg(test)]
    pub fn fail_writes(&self, fail: bool) {
        self.fail_writes.set(fail);
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    fn check_home(&self) -> Result<(), Failure> {
        if self.dir.is_absolute() {
            Ok(())
        } else {
            Err(fsutil::no_home())
        }
    }

    /// Reads the records without locking: writers replace the file by rename,
    /// so a reader always sees a whole file. A missing file is an empty one.
    pub fn load(&self) -> Result<RecordFile> {
        match self.read_bytes()? {
            Some(bytes) => parse(&bytes, &self.path()).map_err(Into::into),
            None => Ok(RecordFile::default()),
        }
    }

    /// The record file's bytes; `None` when there is no file yet. Only a
    /// regular file (or a symlink to one) is read, and no more of it than
    /// it states (a link to a `/proc` file reads without end).
    pub fn read_bytes(&self) -> Result<Option<Vec<u8>>> {
        self.check_home()?;
        crate::fsutil::read_regular(&self.path())
    }

    /// `list`'s table (`None`: no file yet), without reading the whole
    /// file when it is in bcconn's own layout.
    pub fn table(&self) -> Result<Option<summary::Table>> {
        self.check_home()?;
        summary::Table::read(&self.path())
    }

    /// Holds the records lock until the guard is dropped. Updates inside
    /// (in this process) reuse it, so a secret and the record that names it
    /// are written under one lock: the orphan cleanup of a concurrent
    /// writer never sees the secret without its record.
    pub fn hold(&self) -> Result<Held<'_>> {
        self.check_home()?;
        if self.depth.get() == 0 {
            fsutil::ensure_private_dir(&self.dir)?;
            let lock = fsutil::lock(&self.dir.join(LOCK_NAME))?;
            *self.held.borrow_mut() = Some(lock);
        }
        self.depth.set(self.depth.get() + 1);
        Ok(Held(self))
    }

    /// Runs `f` with the records lock held (see [`Records::hold`]).
    pub fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let _held = self.hold()?;
        f()
    }

    /// Read-modify-write under an exclusive lock. `change` sees the current
    /// records; if it returns an error nothing is written. Under the lock,
    /// what crashed writes left behind goes too: temp files, and secrets in
    /// the plain-text store that no record names.
    pub fn update<T>(&self, change: impl FnOnce(&mut RecordFile) -> Result<T>) -> Result<T> {
        let _held = self.hold()?;
        let path = self.path();
        fsutil::check_writable(&path)?;
        let mut file = self.load()?;
        let out = change(&mut file)?;
        #[cfg(test)]
        if self.fail_writes.get() {
            anyhow::bail!("the test records were told to fail at write");
        }
        let bytes = to_bytes(&file)?;
        fsutil::write_atomic(&path, &bytes)?;
        self.remove_orphan_secrets(&file);
        Ok(out)
    }

    /// Removes secrets in the plain-text store that no record names (a crash
    /// between a secret's write and its record's, or between a record's
    /// removal and its secret's). Runs under the records lock, which every
    /// secret-then-record transaction holds throughout. Best effort.
    ///
    /// The OS keyrings cannot be listed cheaply, so an orphan there stays.
    fn remove_orphan_secrets(&self, file: &RecordFile) {
        let store = FileStore::new(&self.dir);
        let named: HashSet<String> = file
            .iclients
            .iter()
            .filter(|i| i.secret_store == StoreKind::File)
            .map(|i| iclient_account(&i.id))
            .chain(
                file.connections
                    .iter()
                    .filter(|c| c.token_store == Some(StoreKind::File))
                    .map(|c| connection_account(&c.id)),
            )
            .collect();
        if let Err(e) = store.tidy(|account| named.contains(account)) {
            tracing::debug!("orphan secret cleanup skipped: {e:#}");
        }
    }
}

/// The record file as written: one line per record (pretty at the top two
/// levels, compact inside a record). Diffs stay one line per change, and the
/// file is a third smaller than fully pretty JSON, which matters at 100,000
/// connections (every command reads it).
pub fn to_bytes(file: &RecordFile) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(file.connections.len() * 640 + 256);
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, RecordFormatter::default());
    serde::Serialize::serialize(file, &mut ser)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// serde_json's pretty formatter, down to [`RecordFormatter::PRETTY_DEPTH`]
/// levels of nesting; compact below.
#[derive(Default)]
struct RecordFormatter {
    depth: usize,
    has_value: bool,
}

impl RecordFormatter {
    const PRETTY_DEPTH: usize = 2;

    fn pretty(&self) -> bool {
        self.depth <= Self::PRETTY_DEPTH
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, depth: usize) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn begin<W: ?Sized + std::io::Write>(&mut self, w: &mut W, open: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(open)
    }

    fn end<W: ?Sized + std::io::Write>(&mut self, w: &mut W, close: &[u8]) -> std::io::Result<()> {
        let pretty = self.pretty();
        self.depth -= 1;
        if pretty && self.has_value {
            self.newline(w, self.depth)?;
        }
        w.write_all(close)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.pretty() {
            self.newline(w, self.depth)?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for RecordFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.pretty() { b": " } else { b":" })
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
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
        Some(v) if v >= 1 && v < u64::from(VERSION) => migrate::to_current(bytes, v)
            .map_err(|e| failure(format!("cannot read {}: {e}", path.display())).hint(keep)),
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

    /// Connections that use the iClient with this id.
    pub fn users_of_iclient(&self, iclient_id: &str) -> Vec<&Connection> {
        self.connections
            .iter()
            .filter(|c| c.iclient_id.as_deref() == Some(iclient_id))
            .collect()
    }

    /// The siblings of a connection: other OAuth connections for the same
    /// store through an app with the same client id. BigCommerce keeps one
    /// token per app and store, so authorizing one ends the others' tokens.
    pub fn siblings_of(&self, c: &Connection) -> Vec<&Connection> {
        let Some(client_id) = self.client_id_of(c) else {
            return Vec::new();
        };
        self.connections
            .iter()
            .filter(|o| {
                o.id != c.id
                    && o.store_hash == c.store_hash
                    && self.client_id_of(o) == Some(client_id)
            })
            .collect()
    }

    /// The client id of an OAuth connection's iClient.
    pub fn client_id_of(&self, c: &Connection) -> Option<&str> {
        if c.auth_type != AuthType::Oauth2 {
            return None;
        }
        c.iclient_id
            .as_deref()
            .and_then(|id| self.iclient_by_id(id))
            .map(|ic| ic.client_id.as_str())
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

/// Lookups by id over a whole record file, built once: constant-time
/// lookups, and every connection's effective concurrency computed in one
/// pass (so `list --json` stays linear over long borrowing chains).
pub struct Index<'a> {
    pub file: &'a RecordFile,
    connections: HashMap<&'a str, usize>,
    iclients: HashMap<&'a str, usize>,
    levels: Vec<u8>,
}

impl<'a> Index<'a> {
    pub fn new(file: &'a RecordFile) -> Index<'a> {
        let connections: HashMap<&str, usize> = file
            .connections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let iclients = file
            .iclients
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let levels = effective_levels(
            file.connections.len(),
            |i| file.connections[i].concurrency,
            |i| {
                file.connections[i]
                    .borrow_concurrency_from
                    .as_deref()
                    .and_then(|id| connections.get(id).copied())
            },
        );
        Index {
            file,
            connections,
            iclients,
            levels,
        }
    }

    pub fn connection_by_id(&self, id: &str) -> Option<&'a Connection> {
        self.connections.get(id).map(|&i| &self.file.connections[i])
    }

    pub fn iclient_by_id(&self, id: &str) -> Option<&'a IClient> {
        self.iclients.get(id).map(|&i| &self.file.iclients[i])
    }

    /// The level a connection of this file really runs with.
    pub fn effective_concurrency(&self, c: &Connection) -> u8 {
        match self.connections.get(c.id.as_str()) {
            Some(&i) => self.levels[i],
            None => c.concurrency,
        }
    }
}

/// Every connection's effective level at once, in time linear in the number
/// of connections: `own(i)` is connection i's level, `lender(i)` the index
/// of the connection it borrows from (None: it does not, or the lender is
/// gone). A chain ends at a connection that does not borrow; a hand-made
/// cycle takes the level of the connection where the walk closed it.
pub fn effective_levels(
    n: usize,
    own: impl Fn(usize) -> u8,
    lender: impl Fn(usize) -> Option<usize>,
) -> Vec<u8> {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; n];
    let mut out = vec![0u8; n];
    let mut path = Vec::new();
    for start in 0..n {
        if state[start] == DONE {
            continue;
        }
        let mut cur = start;
        let value = loop {
            match state[cur] {
                DONE => break out[cur],
                ON_PATH => break own(cur),
                _ => {}
            }
            state[cur] = ON_PATH;
            path.push(cur);
            match lender(cur) {
                Some(next) => cur = next,
                None => break own(cur),
            }
        };
        for i in path.drain(..) {
            state[i] = DONE;
            out[i] = value;
        }
    }
    out
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
    fn siblings_share_client_id_and_store() {
        let ic = |id: &str, client: &str| IClient {
            id: id.into(),
            name: id.into(),
            client_id: client.into(),
            callback_url: "http://localhost:8765/auth".into(),
            secret_store: crate::secrets::StoreKind::File,
            created_at: String::new(),
            updated_at: String::new(),
            extra: Default::default(),
        };
        let with = |name: &str, iclient: &str, hash: &str| Connection {
            id: format!("id-{name}"),
            iclient_id: Some(iclient.into()),
            ..Connection::pending(name, AuthType::Oauth2, hash.parse().unwrap())
        };
        let f = RecordFile {
            // Two iClients holding the same app's client id are one app.
            iclients: vec![ic("i1", "cid"), ic("i2", "cid"), ic("i3", "other")],
            connections: vec![
                with("a", "i1", "abc123"),
                with("b", "i2", "abc123"),
                with("c", "i3", "abc123"),
                with("d", "i1", "zzz999"),
                Connection::pending("t", AuthType::Token, "abc123".parse().unwrap()),
            ],
            ..Default::default()
        };
        let names = |c: &str| -> Vec<String> {
            f.siblings_of(f.connection(c).unwrap())
                .iter()
                .map(|s| s.name.clone())
                .collect()
        };
        assert_eq!(names("a"), ["b"]);
        assert_eq!(names("b"), ["a"]);
        assert!(names("c").is_empty() && names("d").is_empty() && names("t").is_empty());
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
            parse(b"{\"version\": 3}", p)
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
    fn the_file_is_one_line_per_record_and_reads_back() {
        let mut f = file(vec![conn("a", 1, None), conn("b", 2, Some("a"))]);
        f.extra
            .insert("future".into(), serde_json::json!({"x": [1, {"y": 2}]}));
        let bytes = to_bytes(&f).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "{");
        assert_eq!(lines[1], "  \"version\": 2,");
        assert!(
            lines.iter().any(|l| l.starts_with("    {\"id\":\"id-a\",")),
            "{text}"
        );
        assert_eq!(
            text.lines().filter(|l| l.contains("\"id\":\"id-")).count(),
            2
        );
        assert!(text.ends_with("}\n"));
        let back = parse(&bytes, Path::new("x")).unwrap();
        assert_eq!(back.connections.len(), 2);
        assert_eq!(
            back.extra["future"],
            serde_json::json!({"x": [1, {"y": 2}]})
        );
        let empty = String::from_utf8(to_bytes(&RecordFile::default()).unwrap()).unwrap();
        assert_eq!(
            empty,
            "{\n  \"version\": 2,\n  \"iclients\": [],\n  \"connections\": []\n}\n"
        );
    }

    #[test]
    fn ids_are_random_hex() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
