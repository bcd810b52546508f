//! Pagination facts (protocol notes §6 and §9), as pure functions:
//!
//! - v3 collections: `{"data": [...], "meta": {"pagination": {"total_pages",
//!   "current_page", "links": {"next": "?page=2&limit=50"}, ...}}}`. Once
//!   page 1 tells `total_pages`, every other page is known up front.
//! - Cursor-paged v3 lists (`/v3/infrastructure/projects`,
//!   `/v3/channels/{id}/listings`): `meta.cursor_pagination` (or
//!   `meta.pagination` without page numbers) with `start_cursor`,
//!   `end_cursor` and `links.next` = `?after=…`; they are followed one page
//!   at a time. When a list has both, the cursor is followed: it is what the
//!   server uses to say there is more.
//! - v2 lists: a bare JSON array per page (`page`, `limit`), and a `204` (or
//!   an empty array) past the last page. A list that ignores `page` answers
//!   the same array again: that repeat is its end.
//!
//! Everything here is outside input: a list whose paging is not one of these
//! is [`Shape::Unfollowable`], never taken for a one-page list.

use std::collections::HashSet;

use serde_json::Value;
use serde_json::value::RawValue;
use url::Url;

/// What kind of page an answer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A v3 collection with page numbers.
    Numbered { current: u64, total: u64 },
    /// A v3 collection with cursors; `next` is the query of the next page.
    Cursor { next: Option<String> },
    /// A bare array (v2).
    Array,
    /// Not a list: printed as it is.
    Single,
    /// A list with paging bcconn cannot follow: why, for the message.
    Unfollowable(String),
}

pub fn shape(body: &Value) -> Shape {
    if body.is_array() {
        return Shape::Array;
    }
    if !body.get("data").is_some_and(Value::is_array) {
        return Shape::Single;
    }
    let meta = body.get("meta");
    if let Some(c) = meta.and_then(|m| m.get("cursor_pagination")) {
        return cursor(c, "meta.cursor_pagination");
    }
    let Some(p) = meta.and_then(|m| m.get("pagination")) else {
        return Shape::Single;
    };
    if !p.is_object() {
        return Shape::Unfollowable("meta.pagination is not an object".into());
    }
    match (p.get("current_page"), p.get("total_pages")) {
        (None, None) => cursor(p, "meta.pagination"),
        (Some(c), Some(t)) => match (c.as_u64(), t.as_u64()) {
            (Some(current), Some(total)) => Shape::Numbered { current, total },
            _ => Shape::Unfollowable(format!(
                "current_page {} and total_pages {} are not page numbers",
                shown(c),
                shown(t)
            )),
        },
        _ => Shape::Unfollowable(
            "meta.pagination has one of current_page and total_pages, not both".into(),
        ),
    }
}

/// A cursor page: `links.next` is a query string on the same path, or
/// absent (null, empty) on the last page.
fn cursor(p: &Value, at: &str) -> Shape {
    match p.pointer("/links/next") {
        None | Some(Value::Null) => Shape::Cursor { next: None },
        Some(Value::String(s)) if s.is_empty() => Shape::Cursor { next: None },
        Some(Value::String(s)) if s.starts_with('?') => Shape::Cursor {
            next: Some(s.clone()),
        },
        Some(other) => Shape::Unfollowable(format!(
            "{at}.links.next is {}, not a query string such as ?after=…",
            shown(other)
        )),
    }
}

/// A value from an answer, for a message: escaped and short.
pub fn shown(v: &Value) -> String {
    crate::text::outside(&v.to_string(), 80)
}

/// One item of a list, as the store wrote it: held as its JSON text, not
/// parsed (a parsed small object takes ~35 times its text).
pub type Item = Box<RawValue>;

/// A page of a list, read for paging: its items as text, and just enough
/// of the rest (`meta`, and whether `data` is an array) for [`shape`].
#[derive(Debug)]
pub struct Page {
    pub skeleton: Value,
    pub items: Vec<Item>,
}

/// Reads a page's JSON text without parsing its items.
pub fn read_page(body: &[u8]) -> serde_json::Result<Page> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'[') => Ok(Page {
            skeleton: Value::Array(Vec::new()),
            items: serde_json::from_slice(body)?,
        }),
        Some(b'{') => {
            // Last of a repeated key wins, as for a parsed Value.
            let mut map: std::collections::BTreeMap<String, Item> = serde_json::from_slice(body)?;
            let mut skeleton = serde_json::Map::new();
            let mut items = Vec::new();
            if let Some(data) = map.remove("data") {
                match serde_json::from_str::<Vec<Item>>(data.get()) {
                    Ok(list) => {
                        items = list;
                        skeleton.insert("data".into(), Value::Array(Vec::new()));
                    }
                    Err(_) => {
                        skeleton.insert("data".into(), serde_json::from_str(data.get())?);
                    }
                }
            }
            if let Some(meta) = map.remove("meta") {
                skeleton.insert("meta".into(), serde_json::from_str(meta.get())?);
            }
            Ok(Page {
                skeleton: Value::Object(skeleton),
                items,
            })
        }
        _ => Ok(Page {
            skeleton: serde_json::from_slice(body)?,
            items: Vec::new(),
        }),
    }
}

/// An item's `id` (not null), when it is an object that has one; only the
/// id is parsed.
pub fn id_of(item: &RawValue) -> Option<Value> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<Value>,
    }
    // A struct also reads from an array (`[5]` would be id 5): objects only.
    if !item.get().starts_with('{') {
        return None;
    }
    serde_json::from_str::<Id>(item.get())
        .ok()?
        .id
        .filter(|v| !v.is_null())
}

/// The page number `url` asks for (1 when it names none).
pub fn page_of(url: &Url) -> u64 {
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
}

/// `url` asking for `page`; every other parameter (`limit` too) is kept.
pub fn with_page(url: &Url, page: u64) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut out = url.clone();
    {
        let mut q = out.query_pairs_mut();
        q.clear();
        q.extend_pairs(kept);
        q.append_pair("page", &page.to_string());
    }
    out
}

/// A cursor page's `links.next` (a query string such as `?after=X&limit=50`)
/// on `url`'s path. The caller's parameters that `next` does not name (its
/// filters) are kept: the cursor says where in the list, not which list,
/// and a page 2 without them would be another list mixed into this one.
/// `url`'s own paging (`page`, `before`, `after`) is not kept.
pub fn with_query(url: &Url, next: &str) -> Url {
    let mut out = url.clone();
    out.set_query(Some(next.trim_start_matches('?')));
    let named: HashSet<String> = out.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| {
            !named.contains(k.as_ref()) && !["page", "before", "after"].contains(&k.as_ref())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !kept.is_empty() {
        out.query_pairs_mut().extend_pairs(kept);
    }
    out
}

/// Whether `page` is `before` again: the same items, or the same ids in the
/// same order (a list that ignores `page` may still change a live field,
/// such as a stock level, from one answer to the next).
pub fn repeats(before: &[Item], page: &[Item]) -> bool {
    if before.len() != page.len() {
        return false;
    }
    if before.iter().zip(page).all(|(a, b)| a.get() == b.get()) {
        return true;
    }
    let ids = |items: &[Item]| -> Option<Vec<Value>> { items.iter().map(|i| id_of(i)).collect() };
    ids(before).is_some_and(|a| Some(a) == ids(page))
}

/// Every page's items, in page order, each once: an item whose `id` was
/// already seen (a list that shifted between pages) is left out.
pub fn merge(pages: Vec<Vec<Item>>) -> Vec<Item> {
    // Sized once, and ids kept as short text: this runs with the whole
    // list in memory.
    let mut out = Vec::with_capacity(pages.iter().map(Vec::len).sum());
    let mut seen: HashSet<Box<str>> = HashSet::new();
    for page in pages {
        for item in page {
            if let Some(id) = id_of(&item)
                && !seen.insert(id.to_string().into_boxed_str())
            {
                continue;
            }
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_are_told_apart() {
        let v3 = json!({"data": [], "meta": {"pagination": {"current_page": 1, "total_pages": 8}}});
        assert_eq!(
            shape(&v3),
            Shape::Numbered {
                current: 1,
                total: 8
            }
        );
        let cursor = json!({"data": [], "meta": {"pagination": {"links": {"next": "?after=x"}}}});
        assert_eq!(
            shape(&cursor),
            Shape::Cursor {
                next: Some("?after=x".into())
            }
        );
        assert_eq!(shape(&json!([1, 2])), Shape::Array);
        assert_eq!(
            shape(&json!({"data": {"id": 1}, "meta": {}})),
            Shape::Single
        );
        assert_eq!(shape(&json!({"time": 1})), Shape::Single);
    }

    #[test]
    fn page_urls_keep_the_callers_limit() {
        let u = Url::parse("http://h/stores/x/v3/catalog/products?limit=3&sort=name").unwrap();
        assert_eq!(page_of(&u), 1);
        let p = with_page(&u, 5);
        assert_eq!(
            p.as_str(),
            "http://h/stores/x/v3/catalog/products?limit=3&sort=name&page=5"
        );
        assert_eq!(page_of(&p), 5);
        assert_eq!(page_of(&with_page(&p, 6)), 6);
        assert_eq!(
            with_query(&u, "?after=abc&limit=3").as_str(),
            "http://h/stores/x/v3/catalog/products?after=abc&limit=3&sort=name"
        );
        // The cursor is the answer's; the caller's own paging is not kept.
        let paged = Url::parse("http://h/s/v3/x?after=old&page=2&f=1").unwrap();
        assert_eq!(
            with_query(&paged, "?after=new").as_str(),
            "http://h/s/v3/x?after=new&f=1"
        );
    }

    fn raw(v: Value) -> Vec<Item> {
        read_page(v.to_string().as_bytes()).unwrap().items
    }

    fn texts(items: &[Item]) -> Vec<String> {
        items.iter().map(|i| i.get().to_string()).collect()
    }

    #[test]
    fn a_page_repeats_with_the_same_items_or_the_same_ids() {
        let p = raw;
        let one = p(json!([{"id": 1, "stock": 5}, {"id": 2, "stock": 1}]));
        assert!(repeats(&one, &one));
        assert!(repeats(
            &one,
            &p(json!([{"id": 1, "stock": 4}, {"id": 2, "stock": 1}]))
        ));
        assert!(!repeats(&one, &p(json!([{"id": 2}, {"id": 1}]))));
        assert!(!repeats(&one, &p(json!([{"id": 1}, {"id": 2}, {"id": 3}]))));
        assert!(!repeats(&one, &p(json!([{"id": 3}, {"id": 4}]))));
        // Without ids only equal items repeat.
        assert!(!repeats(&p(json!([{"a": 1}])), &p(json!([{"a": 2}]))));
        assert!(repeats(&p(json!(["x"])), &p(json!(["x"]))));
        // An array is not an object with an id.
        assert!(!repeats(&p(json!([[1]])), &p(json!([[1, 2]]))));
    }

    #[test]
    fn merged_in_order_each_once() {
        let pages = vec![
            raw(json!([{"id": 1}, {"id": 2}])),
            raw(json!([{"id": 2}, {"id": 3}])),
            raw(json!(["no id", "no id", [1], [1], {"id": null}, {"id": null}])),
        ];
        assert_eq!(
            texts(&merge(pages)),
            [
                r#"{"id":1}"#,
                r#"{"id":2}"#,
                r#"{"id":3}"#,
                r#""no id""#,
                r#""no id""#,
                "[1]",
                "[1]",
                r#"{"id":null}"#,
                r#"{"id":null}"#
            ]
        );
        let page = read_page(br#"{"data": [1, {"a": 2}], "meta": {"x": 1}, "other": 3}"#).unwrap();
        assert_eq!(texts(&page.items), ["1", r#"{"a": 2}"#]);
        assert_eq!(page.skeleton, json!({"data": [], "meta": {"x": 1}}));
        assert_eq!(texts(&read_page(b" [3]").unwrap().items), ["3"]);
        let single = read_page(br#"{"data": {"id": 1}}"#).unwrap();
        assert!(single.items.is_empty());
        assert_eq!(shape(&single.skeleton), Shape::Single);
        assert!(read_page(b"[1,").is_err());
    }

    #[test]
    fn cursor_lists_and_lists_bcconn_cannot_follow() {
        let c = |meta: Value| shape(&json!({"data": [{"id": 1}], "meta": meta}));
        assert_eq!(
            c(
                json!({"cursor_pagination": {"start_cursor": "a", "end_cursor": "b",
                "links": {"next": "?after=b&limit=2"}}})
            ),
            Shape::Cursor {
                next: Some("?after=b&limit=2".into())
            }
        );
        assert_eq!(
            c(json!({"cursor_pagination": {"end_cursor": null, "links": {"next": null}}})),
            Shape::Cursor { next: None }
        );
        // Both page numbers and a cursor: the cursor is followed.
        assert_eq!(
            c(json!({"pagination": {"current_page": 1, "total_pages": 1},
                "cursor_pagination": {"links": {"next": "?after=z"}}})),
            Shape::Cursor {
                next: Some("?after=z".into())
            }
        );
        for odd in [
            json!({"cursor_pagination": {"links": {"next": "https://elsewhere/x?after=1"}}}),
            json!({"cursor_pagination": {"links": {"next": 7}}}),
            json!({"pagination": {"current_page": 1, "total_pages": 1e12}}),
            json!({"pagination": {"current_page": -1, "total_pages": 3}}),
            json!({"pagination": {"total_pages": 3}}),
            json!({"pagination": "yes"}),
        ] {
            assert!(
                matches!(c(odd.clone()), Shape::Unfollowable(_)),
                "{odd}: {:?}",
                c(odd.clone())
            );
        }
        // Huge but whole numbers are numbers: the caller applies its cap.
        assert_eq!(
            c(json!({"pagination": {"current_page": 1, "total_pages": u64::MAX}})),
            Shape::Numbered {
                current: 1,
                total: u64::MAX
            }
        );
        // Outside text in a message is escaped.
        let Shape::Unfollowable(why) =
            c(json!({"cursor_pagination": {"links": {"next": "\u{1b}[2J"}}}))
        else {
            panic!()
        };
        assert!(!why.contains('\u{1b}'), "{why}");
    }
}
