//! The pages of a GraphQL `--paginate`: each answer's connection (the one
//! object in `data` that holds `pageInfo { hasNextPage endCursor }`), and
//! the pages merged into one document: the first page as the store wrote
//! it, with that connection's `edges` and `nodes` holding every page's
//! items in order and its `pageInfo` from the last page.
//!
//! A page is read without parsing its lists: objects are opened (keys in
//! the store's order) down to [`OPENED`] levels, and everything else (every
//! array, so every item) is kept as the text the store sent. Memory is then
//! about the size of the pages' text, as for REST pages. A connection inside
//! a list (a product's variants) is not looked for: it is part of an item.

use std::io::Write as _;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// How many levels of objects are opened to look for the connection.
pub const OPENED: usize = 32;

/// A JSON value read for paging.
#[derive(Debug)]
pub enum Tree {
    /// An object's entries, in the store's order (a repeated key: the
    /// last value, where the first stood).
    Object(Vec<(String, Tree)>),
    /// Anything else, or an object deeper than [`OPENED`]: as sent.
    Raw(Box<RawValue>),
}

impl Tree {
    fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Tree::Raw(_) => None,
        }
    }

    fn raw(&self) -> Option<&RawValue> {
        match self {
            Tree::Raw(r) => Some(r),
            Tree::Object(_) => None,
        }
    }
}

/// An object's entries as raw values, in order.
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out: Vec<(String, Box<RawValue>)> = Vec::new();
                // Where each key is, so a hostile object of many keys costs
                // its length, not its length squared.
                let mut at: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::new();
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    match at.get(&k) {
                        Some(&i) => out[i].1 = v,
                        None => {
                            at.insert(k.clone(), out.len());
                            out.push((k, v));
                        }
                    }
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a page's JSON text.
pub fn read(body: &[u8]) -> serde_json::Result<Tree> {
    let raw: Box<RawValue> = serde_json::from_slice(body)?;
    open(raw, 0)
}

fn open(raw: Box<RawValue>, depth: usize) -> serde_json::Result<Tree> {
    if depth >= OPENED || !raw.get().trim_start().starts_with('{') {
        return Ok(Tree::Raw(raw));
    }
    let Entries(entries) = serde_json::from_str(raw.get())?;
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        out.push((k, open(v, depth + 1)?));
    }
    Ok(Tree::Object(out))
}

/// Why a page cannot be followed; each says where, for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfollowable {
    NotJson(String),
    NoData,
    NoConnection,
    /// How many objects hold a `pageInfo`, and the paths of the first few.
    Several(usize, Vec<String>),
    /// A later page's connection is elsewhere than the first page's.
    Moved {
        first: String,
        now: String,
    },
    /// `pageInfo` is not what GraphQL's connections say it is.
    BadPageInfo {
        at: String,
        why: String,
    },
    /// The first page's `edges`/`nodes` list is missing or not a list on
    /// a later page.
    NotAList {
        at: String,
        key: &'static str,
    },
}

impl std::fmt::Display for Unfollowable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfollowable::NotJson(e) => write!(f, "the answer is not JSON ({e})"),
            Unfollowable::NoData => f.write_str("the answer has no data object"),
            Unfollowable::NoConnection => f.write_str(
                "no object in data holds pageInfo { hasNextPage endCursor } (outside a list): ask for it beside the edges or nodes to page through",
            ),
            Unfollowable::Several(count, paths) => write!(
                f,
                "{count} objects in data hold pageInfo ({}{}): bcconn follows one connection; ask for one at a time",
                paths.join(", "),
                if *count > paths.len() { ", …" } else { "" }
            ),
            Unfollowable::Moved { first, now } => write!(
                f,
                "the first page's connection is at {first}, a later page's at {now}"
            ),
            Unfollowable::BadPageInfo { at, why } => write!(f, "{at}.pageInfo: {why}"),
            Unfollowable::NotAList { at, key } => write!(
                f,
                "{at}.{key} is a list on the first page and not on a later one"
            ),
        }
    }
}

/// One page, read for paging.
#[derive(Debug)]
pub struct Page {
    pub tree: Tree,
    /// The keys from the root to the connection (`data`, `site`, `products`).
    pub path: Vec<String>,
    pub has_next: bool,
    /// `endCursor`, when it is a string.
    pub end_cursor: Option<String>,
}

/// A path for a message: `data.site.products`, escaped and bounded.
fn shown(path: &[String]) -> String {
    crate::text::outside(&path.join("."), 200)
}

/// Reads one page and finds its connection.
pub fn page(body: &[u8]) -> Result<Page, Unfollowable> {
    let tree = read(body).map_err(|e| Unfollowable::NotJson(e.to_string()))?;
    if !matches!(tree.get("data"), Some(Tree::Object(_))) {
        return Err(Unfollowable::NoData);
    }
    // Every object reachable through objects from `data`, without
    // recursion (the depth is bounded by OPENED anyway).
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut todo: Vec<(Vec<String>, &Tree)> =
        vec![(vec!["data".to_string()], tree.get("data").expect("checked"))];
    while let Some((path, node)) = todo.pop() {
        let Tree::Object(entries) = node else {
            continue;
        };
        if matches!(node.get("pageInfo"), Some(p) if p.get("hasNextPage").is_some()) {
            found.push(path.clone());
        }
        for (k, v) in entries.iter().rev() {
            if k != "pageInfo" && matches!(v, Tree::Object(_)) {
                let mut p = path.clone();
                p.push(k.clone());
                todo.push((p, v));
            }
        }
    }
    let path = match found.len() {
        0 => return Err(Unfollowable::NoConnection),
        1 => found.pop().expect("one"),
        _ => {
            let paths: Vec<String> = found.iter().take(5).map(|p| shown(p)).collect();
            return Err(Unfollowable::Several(found.len(), paths));
        }
    };
    let (has_next, end_cursor) = page_info(&tree, &path)?;
    Ok(Page {
        tree,
        path,
        has_next,
        end_cursor,
    })
}

fn at<'t>(tree: &'t Tree, path: &[String]) -> Option<&'t Tree> {
    path.iter().try_fold(tree, |t, k| t.get(k))
}

fn page_info(tree: &Tree, path: &[String]) -> Result<(bool, Option<String>), Unfollowable> {
    let info = at(tree, path)
        .and_then(|c| c.get("pageInfo"))
        .expect("found there");
    let bad = |why: String| Unfollowable::BadPageInfo {
        at: shown(path),
        why,
    };
    let has_next = match info
        .get("hasNextPage")
        .and_then(Tree::raw)
        .map(RawValue::get)
    {
        Some("true") => true,
        Some("false") => false,
        other => {
            return Err(bad(format!(
                "hasNextPage is {}, not true or false",
                crate::text::outside(other.unwrap_or("an object"), 60)
            )));
        }
    };
    let end_cursor = match info.get("endCursor") {
        None => None,
        Some(Tree::Object(_)) => return Err(bad("endCursor is an object, not a string".into())),
        Some(Tree::Raw(r)) => match serde_json::from_str::<serde_json::Value>(r.get()) {
            Ok(serde_json::Value::String(s)) => Some(s),
            Ok(serde_json::Value::Null) => None,
            _ => {
                return Err(bad(format!(
                    "endCursor is {}, not a string",
                    crate::text::outside(r.get(), 60)
                )));
            }
        },
    };
    Ok((has_next, end_cursor))
}

/// The lists a connection pages: GraphQL's two spellings.
const LISTS: [&str; 2] = ["edges", "nodes"];

/// Every page so far, merged.
pub struct Merged {
    first: Tree,
    path: Vec<String>,
    /// Per name in [`LISTS`] that is a list on the first page: its items.
    lists: Vec<(&'static str, Vec<Box<RawValue>>)>,
    /// The last page's `pageInfo`, as sent.
    page_info: Option<Box<RawValue>>,
    pub pages: u64,
}

impl Merged {
    /// Starts with the first page.
    pub fn new(first: Page) -> Result<Merged, Unfollowable> {
        let mut m = Merged {
            first: first.tree,
            path: first.path,
            lists: Vec::new(),
            page_info: None,
            pages: 1,
        };
        let connection = at(&m.first, &m.path).expect("found there");
        for key in LISTS {
            if let Some(Tree::Raw(r)) = connection.get(key)
                && r.get().trim_start().starts_with('[')
            {
                m.lists
                    .push((key, items(r).map_err(Unfollowable::NotJson)?));
            }
        }
        Ok(m)
    }

    /// Adds a later page: its items after the ones before, its `pageInfo`
    /// in place of theirs.
    pub fn add(&mut self, page: Page) -> Result<(), Unfollowable> {
        if page.path != self.path {
            return Err(Unfollowable::Moved {
                first: shown(&self.path),
                now: shown(&page.path),
            });
        }
        let connection = at(&page.tree, &page.path).expect("found there");
        for (key, list) in &mut self.lists {
            match connection.get(key) {
                Some(Tree::Raw(r)) if r.get().trim_start().starts_with('[') => {
                    list.extend(items(r).map_err(Unfollowable::NotJson)?);
                }
                Some(Tree::Raw(r)) if r.get().trim() == "null" => {}
                _ => {
                    return Err(Unfollowable::NotAList {
                        at: shown(&self.path),
                        key,
                    });
                }
            }
        }
        let info = connection.get("pageInfo").expect("found there");
        let mut text = Vec::new();
        write_tree(&mut text, info, None);
        self.page_info = Some(
            serde_json::from_slice::<Box<RawValue>>(&text)
                .map_err(|e| Unfollowable::NotJson(e.to_string()))?,
        );
        self.pages += 1;
        Ok(())
    }

    /// The document: the first page with every page's items.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::new();
        let splice = Splice {
            path: &self.path,
            lists: &self.lists,
            page_info: self.page_info.as_deref(),
        };
        write_tree(&mut out, &self.first, Some((&splice, 0)));
        out
    }
}

fn items(r: &RawValue) -> Result<Vec<Box<RawValue>>, String> {
    serde_json::from_str(r.get()).map_err(|e| e.to_string())
}

/// What replaces the first page's connection's lists and `pageInfo`.
struct Splice<'a> {
    path: &'a [String],
    lists: &'a [(&'static str, Vec<Box<RawValue>>)],
    page_info: Option<&'a RawValue>,
}

/// Writes `tree` as JSON text; `splice` with how deep `tree` is along its
/// path (when `tree` is on it).
fn write_tree(out: &mut Vec<u8>, tree: &Tree, splice: Option<(&Splice, usize)>) {
    let entries = match tree {
        Tree::Raw(r) => {
            out.extend_from_slice(r.get().as_bytes());
            return;
        }
        Tree::Object(entries) => entries,
    };
    let here = splice.filter(|(s, depth)| *depth == s.path.len());
    out.push(b'{');
    for (n, (k, v)) in entries.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        // A key is a string: its JSON is always writable.
        let _ = serde_json::to_writer(&mut *out, k);
        out.push(b':');
        if let Some((s, _)) = here {
            if let Some((_, list)) = s.lists.iter().find(|(key, _)| key == k) {
                out.push(b'[');
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(item.get().as_bytes());
                }
                out.push(b']');
                continue;
            }
            if k == "pageInfo"
                && let Some(info) = s.page_info
            {
                let _ = out.write_all(info.get().as_bytes());
                continue;
            }
        }
        let next = splice
            .filter(|(s, depth)| s.path.get(*depth) == Some(k))
            .map(|(s, depth)| (s, depth + 1));
        write_tree(out, v, next);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn products(names: &[&str], next: Option<&str>) -> Vec<u8> {
        let edges: Vec<Value> = names
            .iter()
            .map(|n| json!({"cursor": format!("c-{n}"), "node": {"name": n}}))
            .collect();
        format!(
            r#"{{"data":{{"site":{{"products":{{"pageInfo":{{"hasNextPage":{},"endCursor":{}}},"edges":{}}}}},"settings":{{"x":1}}}},"extensions":{{"z":0,"a":1}}}}"#,
            next.is_some(),
            next.map_or("null".to_string(), |n| json!(n).to_string()),
            Value::Array(edges)
        )
        .into_bytes()
    }

    #[test]
    fn pages_merge_in_order_keeping_the_first_pages_text() {
        let first = page(&products(&["a", "b"], Some("c2"))).unwrap();
        assert_eq!(first.path, ["data", "site", "products"]);
        assert!(first.has_next);
        assert_eq!(first.end_cursor.as_deref(), Some("c2"));
        let mut m = Merged::new(first).unwrap();
        let second = page(&products(&["c"], Some("c3"))).unwrap();
        m.add(second).unwrap();
        let last = page(&products(&["d"], None)).unwrap();
        assert!(!last.has_next && last.end_cursor.is_none());
        m.add(last).unwrap();
        assert_eq!(m.pages, 3);
        let text = String::from_utf8(m.finish()).unwrap();
        // The store's key order, everything but the connection untouched.
        assert!(
            text.starts_with(r#"{"data":{"site":{"products":{"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":["#),
            "{text}"
        );
        assert!(
            text.ends_with(r#""settings":{"x":1}},"extensions":{"z":0,"a":1}}"#),
            "{text}"
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let names: Vec<&str> = v["data"]["site"]["products"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }

    #[test]
    fn nodes_and_edges_both_merge_and_a_null_list_adds_nothing() {
        let body = |items: &str, next: bool| {
            format!(
                r#"{{"data":{{"orders":{{"nodes":{items},"edges":{items},"pageInfo":{{"hasNextPage":{next},"endCursor":"x{next}"}}}}}}}}"#
            )
            .into_bytes()
        };
        let mut m = Merged::new(page(&body("[1,2]", true)).unwrap()).unwrap();
        m.add(page(&body("null", true)).unwrap()).unwrap();
        m.add(page(&body("[3]", false)).unwrap()).unwrap();
        let v: Value = serde_json::from_slice(&m.finish()).unwrap();
        assert_eq!(v["data"]["orders"]["nodes"], json!([1, 2, 3]));
        assert_eq!(v["data"]["orders"]["edges"], json!([1, 2, 3]));
        assert_eq!(v["data"]["orders"]["pageInfo"]["endCursor"], "xfalse");
        // A list on the first page that is not one later: refused.
        let mut m = Merged::new(page(&body("[1]", true)).unwrap()).unwrap();
        let e = m.add(page(&body("{\"a\":1}", true)).unwrap()).unwrap_err();
        assert!(
            matches!(e, Unfollowable::NotAList { key: "edges", .. }),
            "{e:?}"
        );
    }

    #[test]
    fn zero_or_several_connections_are_refused_naming_them() {
        let none = page(br#"{"data":{"site":{"settings":{"name":"x"}}}}"#).unwrap_err();
        assert_eq!(none, Unfollowable::NoConnection);
        let info = r#"{"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[]}"#;
        let two = format!(r#"{{"data":{{"site":{{"products":{info},"brands":{info}}}}}}}"#);
        let e = page(two.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "2 objects in data hold pageInfo (data.site.products, data.site.brands): bcconn follows one connection; ask for one at a time"
        );
        // A connection inside a list is an item's, not followed: one here.
        let nested = format!(
            r#"{{"data":{{"products":{{"pageInfo":{{"hasNextPage":false}},"edges":[{{"node":{{"variants":{info}}}}}]}}}}}}"#
        );
        assert_eq!(page(nested.as_bytes()).unwrap().path, ["data", "products"]);
        assert_eq!(page(br#"{"errors":[]}"#).unwrap_err(), Unfollowable::NoData);
        assert_eq!(page(br#"{"data":null}"#).unwrap_err(), Unfollowable::NoData);
        assert!(matches!(page(b"{").unwrap_err(), Unfollowable::NotJson(_)));
        // A page whose connection moved.
        let mut m =
            Merged::new(page(format!(r#"{{"data":{{"a":{info}}}}}"#).as_bytes()).unwrap()).unwrap();
        let e = m
            .add(page(format!(r#"{{"data":{{"b":{info}}}}}"#).as_bytes()).unwrap())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the first page's connection is at data.a, a later page's at data.b"
        );
    }

    #[test]
    fn page_info_must_be_what_it_says() {
        let with = |info: &str| format!(r#"{{"data":{{"p":{{"pageInfo":{info},"edges":[]}}}}}}"#);
        for (info, why) in [
            (r#"{"hasNextPage":"yes"}"#, "hasNextPage is \"yes\""),
            (r#"{"hasNextPage":{}}"#, "hasNextPage is an object"),
            (r#"{"hasNextPage":true,"endCursor":5}"#, "endCursor is 5"),
            (
                r#"{"hasNextPage":true,"endCursor":{}}"#,
                "endCursor is an object",
            ),
        ] {
            let e = page(with(info).as_bytes()).unwrap_err().to_string();
            assert!(
                e.contains(why) && e.starts_with("data.p.pageInfo"),
                "{info}: {e}"
            );
        }
        let p = page(with(r#"{"hasNextPage":true}"#).as_bytes()).unwrap();
        assert!(p.has_next && p.end_cursor.is_none());
        // Repeated keys: the last one counts.
        let p = page(with(r#"{"hasNextPage":true,"hasNextPage":false}"#).as_bytes()).unwrap();
        assert!(!p.has_next);
    }

    #[test]
    fn deep_and_hostile_pages_end_without_a_panic() {
        // Deeper than OPENED: kept as text, not looked into.
        let deep = format!(
            r#"{{"data":{}{{"pageInfo":{{"hasNextPage":true}}}}{}}}"#,
            r#"{"a":"#.repeat(OPENED + 5),
            "}".repeat(OPENED + 5)
        );
        assert_eq!(
            page(deep.as_bytes()).unwrap_err(),
            Unfollowable::NoConnection
        );
        // Within it: found.
        let shallow = format!(
            r#"{{"data":{}{{"pageInfo":{{"hasNextPage":true}}}}{}}}"#,
            r#"{"a":"#.repeat(10),
            "}".repeat(10)
        );
        assert_eq!(page(shallow.as_bytes()).unwrap().path.len(), 11);
        // Past serde_json's nesting limit: not JSON, no overflow.
        let too_deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(page(too_deep.as_bytes()).is_err());
        // Many connections: named, a few of them.
        let info = r#"{"pageInfo":{"hasNextPage":false}}"#;
        let many: Vec<String> = (0..1000).map(|i| format!(r#""k{i}":{info}"#)).collect();
        let body = format!(r#"{{"data":{{{}}}}}"#, many.join(","));
        let Unfollowable::Several(count, paths) = page(body.as_bytes()).unwrap_err() else {
            panic!()
        };
        assert_eq!((count, paths.len()), (1000, 5));
        // Escaped keys in messages.
        let odd = format!(r#"{{"data":{{"\u001b[2J":{info},"b":{info}}}}}"#);
        let e = page(odd.as_bytes()).unwrap_err().to_string();
        assert!(!e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn a_wide_object_is_read_in_one_pass_and_a_repeated_key_keeps_its_last_value() {
        // 200,000 keys: read key by key against a map (was each against
        // every earlier one: hours for a page of this size).
        let info = r#""p":{"pageInfo":{"hasNextPage":false}}"#;
        let keys: Vec<String> = (0..200_000).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let body = format!(r#"{{"data":{{{},"k7":"last",{info}}}}}"#, keys.join(","));
        let tree = read(body.as_bytes()).unwrap();
        let data = tree.get("data").unwrap();
        assert_eq!(
            data.raw().map(RawValue::get),
            None,
            "opened, not kept as text"
        );
        assert_eq!(
            data.get("k7").and_then(Tree::raw).map(RawValue::get),
            Some(r#""last""#)
        );
        assert_eq!(
            data.get("k199999").and_then(Tree::raw).map(RawValue::get),
            Some("199999")
        );
        assert_eq!(page(body.as_bytes()).unwrap().path, ["data", "p"]);
    }
}
