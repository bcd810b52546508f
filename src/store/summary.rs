//! A borrowed, partial view of the record file for `bcconn list`.
//!
//! `list` runs often and must stay fast with a thousand connections. Reading
//! only the fields the table shows, as slices of the file's own bytes, skips
//! most allocations (which, on a VM, are mostly page faults). The fields it
//! reads have the full schema's types, and anything it cannot read goes
//! through the full parser for the error, so `list` refuses what the other
//! commands refuse (fields it does not read are not checked).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{AuthType, State, VERSION, parse};
use crate::bigcommerce::store_hash::StoreHash;
use crate::error::Failure;
use crate::fsutil;

#[derive(Deserialize)]
pub struct Summary<'a> {
    version: u32,
    #[serde(borrow, default)]
    iclients: Vec<IClientRow<'a>>,
    #[serde(borrow, default)]
    pub connections: Vec<Row<'a>>,
}

#[derive(Deserialize)]
struct IClientRow<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
}

/// One connection, as much as the table needs.
#[derive(Deserialize)]
pub struct Row<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    // Typed like the full schema, so both refuse the same values.
    pub auth_type: AuthType,
    pub store_hash: StoreHash,
    pub state: State,
    #[serde(borrow, default)]
    pub scopes: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub iclient_id: Option<Cow<'a, str>>,
    pub concurrency: u8,
    #[serde(borrow, default)]
    pub borrow_concurrency_from: Option<Cow<'a, str>>,
}

impl<'a> Summary<'a> {
    /// Reads the view, or the full parser's refusal.
    pub fn parse(bytes: &'a [u8], path: &Path) -> Result<Summary<'a>, Failure> {
        match serde_json::from_slice::<Summary>(bytes) {
            Ok(s) if s.version == VERSION => Ok(s),
            // Let the full parser say what is wrong (or read what this view
            // could not, e.g. a field of an unexpected type it would refuse too).
            // What the full parser reads, the view shows: fuzzing found a
            // version-1 file with a repeated key that the view refused while
            // the migration read it (the last value wins).
            _ => {
                let file = parse(bytes, path)?;
                Ok(serde_json::from_slice::<Summary>(bytes)
                    .unwrap_or_else(|_| Summary::from_file(file)))
            }
        }
    }

    /// The view of a file the full parser read.
    fn from_file(file: super::RecordFile) -> Summary<'static> {
        Summary {
            version: file.version,
            iclients: file
                .iclients
                .into_iter()
                .map(|i| IClientRow {
                    id: Cow::Owned(i.id),
                    name: Cow::Owned(i.name),
                })
                .collect(),
            connections: file
                .connections
                .into_iter()
                .map(|c| Row {
                    id: Cow::Owned(c.id),
                    name: Cow::Owned(c.name),
                    auth_type: c.auth_type,
                    store_hash: c.store_hash,
                    state: c.state,
                    scopes: c.scopes.into_iter().map(Cow::Owned).collect(),
                    iclient_id: c.iclient_id.map(Cow::Owned),
                    concurrency: c.concurrency,
                    borrow_concurrency_from: c.borrow_concurrency_from.map(Cow::Owned),
                })
                .collect(),
        }
    }

    /// Index for name and level lookups; every effective level is computed
    /// here, once, in time linear in the number of connections.
    pub fn index(&self) -> Index<'_> {
        let connections: HashMap<&str, usize> = self
            .connections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_ref(), i))
            .collect();
        let levels = super::effective_levels(
            self.connections.len(),
            |i| self.connections[i].concurrency,
            |i| {
                self.connections[i]
                    .borrow_concurrency_from
                    .as_deref()
                    .and_then(|id| connections.get(id).copied())
            },
        );
        Index {
            iclients: self
                .iclients
                .iter()
                .map(|i| (i.id.as_ref(), i.name.as_ref()))
                .collect(),
            rows: &self.connections,
            connections,
            levels,
        }
    }
}

pub struct Index<'s> {
    iclients: HashMap<&'s str, &'s str>,
    rows: &'s [Row<'s>],
    connections: HashMap<&'s str, usize>,
    levels: Vec<u8>,
}

impl<'s> Index<'s> {
    pub fn iclient_name(&self, id: &str) -> Option<&'s str> {
        self.iclients.get(id).copied()
    }

    pub fn connection_name(&self, id: &str) -> Option<&'s str> {
        self.connections
            .get(id)
            .map(|&i| self.rows[i].name.as_ref())
    }

    pub fn effective_concurrency(&self, row: &Row<'_>) -> u8 {
        match self.connections.get(row.id.as_ref()) {
            Some(&i) => self.levels[i],
            None => row.concurrency,
        }
    }
}

/// `list`'s table, compact: what each row shows, interned where values
/// repeat, without the file's bytes. At 100,000 connections this is about a
/// fifth of the record file's size.
pub struct Table {
    rows: Vec<TableRow>,
    /// Interned iClient ids: index -> name (None: no such iClient).
    iclient_names: Vec<Option<Box<str>>>,
    /// Interned first scopes.
    scopes: Vec<Box<str>>,
    /// Each row's effective concurrency.
    levels: Vec<u8>,
    /// Each row's lender, as a row index (None: it does not borrow, or
    /// the lender is gone).
    lenders: Vec<Option<u32>>,
}

struct TableRow {
    id: Box<str>,
    name: Box<str>,
    store_hash: StoreHash,
    auth_type: AuthType,
    state: State,
    first_scope: Option<u32>,
    more_scopes: u32,
    iclient: Option<u32>,
    concurrency: u8,
    borrows: Option<Box<str>>,
}

/// Builds a [`Table`] row by row.
#[derive(Default)]
struct TableBuilder {
    rows: Vec<TableRow>,
    iclient_ids: HashMap<Box<str>, u32>,
    iclient_names: Vec<Option<Box<str>>>,
    scope_ids: HashMap<Box<str>, u32>,
    scopes: Vec<Box<str>>,
}

impl TableBuilder {
    fn iclient(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.iclient_ids.get(id) {
            return i;
        }
        let i = self.iclient_names.len() as u32;
        self.iclient_names.push(None);
        self.iclient_ids.insert(id.into(), i);
        i
    }

    fn add_iclient(&mut self, ic: &IClientRow<'_>) {
        let i = self.iclient(&ic.id) as usize;
        self.iclient_names[i] = Some(ic.name.as_ref().into());
    }

    fn add(&mut self, r: Row<'_>) {
        let first_scope = r
            .scopes
            .first()
            .map(|s| match self.scope_ids.get(s.as_ref()) {
                Some(&i) => i,
                None => {
                    let i = self.scopes.len() as u32;
                    self.scopes.push(s.as_ref().into());
                    self.scope_ids.insert(s.as_ref().into(), i);
                    i
                }
            });
        let iclient = r.iclient_id.as_deref().map(|id| self.iclient(id));
        self.rows.push(TableRow {
            id: r.id.as_ref().into(),
            name: r.name.as_ref().into(),
            store_hash: r.store_hash,
            auth_type: r.auth_type,
            state: r.state,
            first_scope,
            more_scopes: r.scopes.len().saturating_sub(1) as u32,
            iclient,
            concurrency: r.concurrency,
            borrows: r.borrow_concurrency_from.as_deref().map(Into::into),
        });
    }

    fn finish(self) -> Table {
        let rows = self.rows;
        let by_id: HashMap<&str, u32> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_ref(), i as u32))
            .collect();
        let lenders: Vec<Option<u32>> = rows
            .iter()
            .map(|r| r.borrows.as_deref().and_then(|id| by_id.get(id).copied()))
            .collect();
        let levels = super::effective_levels(
            rows.len(),
            |i| rows[i].concurrency,
            |i| lenders[i].map(|l| l as usize),
        );
        drop(by_id);
        Table {
            rows,
            iclient_names: self.iclient_names,
            scopes: self.scopes,
            levels,
            lenders,
        }
    }
}

impl Table {
    /// Reads the record file's table (`None`: there is no file). A file in
    /// the layout bcconn writes (one line per record) is read line by line,
    /// never whole; any other layout, or anything a line cannot tell, is
    /// read whole through [`Summary::parse`], so `list` refuses what the
    /// other commands refuse.
    pub fn read(path: &Path) -> anyhow::Result<Option<Table>> {
        // Bounded by what the file states: a link to a `/proc` file has no
        // newline to stop at and no end. A read past the bound ends the
        // line-by-line pass, and the whole read below says why.
        let Some(file) = fsutil::Bounded::open(path)? else {
            return Ok(None);
        };
        if let Some(table) = by_lines(std::io::BufReader::with_capacity(1 << 20, file)) {
            return Ok(Some(table));
        }
        let Some(bytes) = fsutil::read_regular(path)? else {
            return Ok(None);
        };
        let summary = Summary::parse(&bytes, path)?;
        let mut b = TableBuilder::default();
        for ic in &summary.iclients {
            b.add_iclient(ic);
        }
        for r in summary.connections {
            b.add(r);
        }
        Ok(Some(b.finish()))
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i` as the table shows it: name, store, auth, state, iClient,
    /// scopes, concurrency.
    pub fn cells(&self, i: usize) -> [Cow<'_, str>; 7] {
        let r = &self.rows[i];
        let iclient = match r.iclient {
            Some(ic) => self.iclient_names[ic as usize]
                .as_deref()
                .unwrap_or("(removed)"),
            None => "-",
        };
        let scopes = match (r.first_scope, r.more_scopes) {
            (None, _) => Cow::Borrowed("-"),
            (Some(s), 0) => Cow::Borrowed(self.scopes[s as usize].as_ref()),
            (Some(s), more) => Cow::Owned(format!("{} +{more}", self.scopes[s as usize])),
        };
        let concurrency = match (&r.borrows, self.lenders[i]) {
            (Some(_), lender) => Cow::Owned(format!(
                "{} (from {})",
                self.levels[i],
                safe(
                    lender
                        .map(|l| self.rows[l as usize].name.as_ref())
                        .unwrap_or("(removed)"),
                    NAME_CELL
                )
            )),
            (None, _) => Cow::Owned(r.concurrency.to_string()),
        };
        [
            safe(r.name.as_ref(), NAME_CELL),
            Cow::Borrowed(r.store_hash.as_str()),
            Cow::Borrowed(r.auth_type.as_str()),
            Cow::Borrowed(r.state.as_str()),
            safe(iclient, NAME_CELL),
            match scopes {
                Cow::Borrowed(s) => safe(s, OTHER_CELL),
                Cow::Owned(s) => Cow::Owned(safe(&s, OTHER_CELL).into_owned()),
            },
            concurrency,
        ]
    }
}

/// The longest a name is shown in a cell (a hand-edited file may hold a
/// longer one than bcconn saves), and any other text.
const NAME_CELL: usize = super::MAX_NAME + 16;
const OTHER_CELL: usize = 200;

/// A cell as a terminal may show it: a name edited by hand can hold ESC
/// (which repaints or retitles the terminal) or be 10,000 characters long.
/// Borrowed, as nearly every cell is, when it needs nothing.
fn safe(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().any(crate::text::is_unsafe) || s.len() > max {
        Cow::Owned(crate::text::outside(s, max))
    } else {
        Cow::Borrowed(s)
    }
}

/// Reads a record file in the layout `super::to_bytes` writes:
///
/// ```text
/// {
///   "version": 2,
///   "iclients": [
///     {...},
///     {...}
///   ],
///   "connections": [],
///   "other": <one line, or a block closed by "  }" / "  ]">
/// }
/// ```
///
/// `None` at the first thing that does not fit (or a version other than
/// this one's): the caller then reads the file whole.
fn by_lines(mut r: impl std::io::BufRead) -> Option<Table> {
    let mut line = String::new();
    let mut next = |line: &mut String| -> Option<()> {
        line.clear();
        match r.read_line(line) {
            Ok(n) if n > 0 && line.ends_with('\n') => {
                line.pop();
                Some(())
            }
            _ => None,
        }
    };
    next(&mut line)?;
    if line != "{" {
        return None;
    }
    let mut b = TableBuilder::default();
    let mut version = None;
    loop {
        next(&mut line)?;
        if line == "}" {
            break;
        }
        let entry = line.strip_prefix("  ")?;
        if entry.starts_with(' ') {
            return None;
        }
        let (key, value) = entry.split_once(": ")?;
        let key: Cow<str> = serde_json::from_str(key).ok()?;
        let value = value.strip_suffix(',').unwrap_or(value);
        match (key.as_ref(), value) {
            ("iclients" | "connections", "[]") => {}
            (list @ ("iclients" | "connections"), "[") => loop {
                next(&mut line)?;
                if line == "  ]" || line == "  ]," {
                    break;
                }
                let item = line.strip_prefix("    ")?;
                let item = item.strip_suffix(',').unwrap_or(item);
                if !item.starts_with('{') {
                    return None;
                }
                if list == "iclients" {
                    b.add_iclient(&serde_json::from_str::<IClientRow>(item).ok()?);
                } else {
                    b.add(serde_json::from_str::<Row>(item).ok()?);
                }
            },
            ("iclients" | "connections", _) => return None,
            ("version", v) => version = Some(v.parse::<u32>().ok()?),
            // A field this version does not show: a one-line value, or a
            // block that ends at this indentation.
            (_, "{" | "[") => {
                let close = if value == "{" { "  }" } else { "  ]" };
                loop {
                    next(&mut line)?;
                    if line == close || line.strip_suffix(',') == Some(close) {
                        break;
                    }
                    if !line.starts_with("    ") {
                        return None;
                    }
                }
            }
            (_, v) => {
                serde_json::from_str::<serde::de::IgnoredAny>(v).ok()?;
            }
        }
    }
    // Nothing after the closing brace.
    if next(&mut line).is_some() || !line.trim().is_empty() {
        return None;
    }
    (version == Some(VERSION)).then(|| b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"version":1,
        "iclients":[{"id":"i1","name":"app","client_id":"c","callback_url":"http://localhost:8765/auth","secret_store":"os","created_at":"t","updated_at":"t"}],
        "connections":[
          {"id":"a","name":"lender","auth_type":"oauth2","store_hash":"abc123","scopes":["store_v2_orders"],"iclient_id":"i1","concurrency":7,"state":"authorized","created_at":"t","updated_at":"t","user":{"id":1}},
          {"id":"b","name":"borrower","auth_type":"oauth2","store_hash":"abc123","scopes":[],"concurrency":1,"borrow_concurrency_from":"a","state":"pending","created_at":"t","updated_at":"t"}]}"#;

    #[test]
    fn reads_what_the_table_needs_and_follows_lenders() {
        let s = Summary::parse(FILE.as_bytes(), Path::new("x")).unwrap();
        let idx = s.index();
        assert_eq!(s.connections.len(), 2);
        let b = &s.connections[1];
        assert_eq!(idx.effective_concurrency(b), 7);
        assert_eq!(idx.connection_name("a"), Some("lender"));
        assert_eq!(idx.iclient_name("i1"), Some("app"));
        // Borrowed, not copied: the common case allocates no strings.
        assert!(matches!(s.connections[0].name, Cow::Borrowed(_)));
    }

    fn table_of(bytes: &[u8]) -> (Option<Table>, Table) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bcconn.json");
        std::fs::write(&path, bytes).unwrap();
        let lines = by_lines(std::io::BufReader::new(bytes));
        (lines, Table::read(&path).unwrap().unwrap())
    }

    fn rows(t: &Table) -> Vec<Vec<String>> {
        (0..t.len())
            .map(|i| t.cells(i).iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn the_table_reads_line_by_line_what_the_whole_file_says() {
        let full = super::super::parse(FILE.as_bytes(), Path::new("x")).unwrap();
        let mut written = full.clone();
        written
            .extra
            .insert("later".into(), serde_json::json!({"a": [1, 2]}));
        written.extra.insert("flag".into(), serde_json::json!(true));
        let bytes = super::super::to_bytes(&written).unwrap();
        let (lines, table) = table_of(&bytes);
        let lines = lines.expect("bcconn's own layout reads line by line");
        // Whole-file reading (pretty JSON) gives the same table.
        let pretty = serde_json::to_vec_pretty(&written).unwrap();
        let (none, whole) = table_of(&pretty);
        assert!(none.is_none());
        assert_eq!(rows(&lines), rows(&whole));
        assert_eq!(rows(&table), rows(&whole));
        assert_eq!(
            rows(&whole),
            [
                [
                    "lender",
                    "abc123",
                    "oauth2",
                    "authorized",
                    "app",
                    "store_v2_orders",
                    "7"
                ],
                [
                    "borrower",
                    "abc123",
                    "oauth2",
                    "pending",
                    "-",
                    "-",
                    "7 (from lender)"
                ],
            ]
        );
    }

    #[test]
    fn anything_a_line_cannot_tell_is_read_whole() {
        let file = super::super::parse(FILE.as_bytes(), Path::new("x")).unwrap();
        let good = String::from_utf8(super::super::to_bytes(&file).unwrap()).unwrap();
        assert!(by_lines(good.as_bytes()).is_some());
        for bad in [
            good.replace("\"version\": 2", "\"version\": 1"),
            good.replace("\"state\":\"pending\"", "\"state\":\"weird\""),
            good.replace("\n}\n", "\n}\n{}\n"),
            good.trim_end().to_string(),
            good.replace("    {\"id\":\"b\"", "     {\"id\":\"b\""),
        ] {
            assert!(by_lines(bad.as_bytes()).is_none(), "{bad}");
        }
        // And the whole-file reading refuses what the parser refuses.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bcconn.json");
        std::fs::write(&path, good.replace("\"version\": 2", "\"version\": 9")).unwrap();
        assert!(Table::read(&path).is_err());
    }

    #[test]
    fn shows_what_the_full_parser_reads() {
        // Found by fuzzing: a version-1 file with a repeated key is migrated
        // (the last value wins) by the full parser; the view refused it.
        let file = br#"{"version": 1, "iclients": [], "iclients": [], "connections": [{"id": "a", "name": "shop", "auth_type": "token", "store_hash": "abc123", "scopes": [], "concurrency": 2, "state": "pending", "created_at": "t", "updated_at": "t"}]}"#;
        let p = Path::new("/x/bcconn.json");
        assert!(parse(file, p).is_ok());
        let s = Summary::parse(file, p).unwrap();
        assert_eq!(s.connections[0].name, "shop");
        assert_eq!(s.index().effective_concurrency(&s.connections[0]), 2);
    }

    #[test]
    fn refuses_what_the_full_parser_refuses() {
        let p = Path::new("/x/bcconn.json");
        assert!(
            Summary::parse(b"{", p)
                .err()
                .unwrap()
                .message
                .contains("not valid JSON")
        );
        let newer = Summary::parse(br#"{"version":3,"connections":[]}"#, p)
            .err()
            .unwrap();
        assert!(newer.message.contains("newer bcconn"));
    }
}
