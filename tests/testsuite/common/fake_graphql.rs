//! The fake's GraphQL Admin API: `POST /stores/{hash}/graphql` (a child
//! module of `fake_bc`, which routes it; token, store and rate-limit checks
//! are the REST API's: 401 without a valid `X-Auth-Token`, 403 for a token
//! of another store).
//!
//! Strict about the request:
//!
//! | case | status | unexpected? |
//! |---|---|---|
//! | `Content-Type` not `application/json` | 400 BigCommerce error body | yes |
//! | body not a JSON object, `query` missing or not a string, `variables` present and neither an object nor null, `operationName` not a string | 400 | yes |
//! | a cursor the fake never gave (`after`) | 200, GraphQL error | yes |
//!
//! Not a GraphQL engine: it knows a few document shapes and answers them
//! from the fake's data, with opaque cursors:
//!
//! * `site { products(first: N, after: X) { pageInfo { hasNextPage
//!   endCursor } edges { cursor node { entityId name } } nodes { … } } }`
//!   over the products of [`FakeBc::add_products`], in order. `first` and
//!   `after` are literals or `$variables` (taken from `variables`);
//!   `first` is 1 to 50 (BigCommerce's most), 10 when not given; `edges`
//!   and `nodes` are answered when the document names them.
//! * `site { settings { storeName } }`: the store's name and hash.
//! * `mutation … deleteProduct(id: $id) …`: deletes that product
//!   (`{"deleteProduct": {"deletedId": ID}}`; an unknown id is a GraphQL
//!   error); [`FakeBc::graphql_mutations`] counts them.
//! * anything else: a 200 with BigCommerce's error for an unknown field,
//!   `{"data": null, "errors": [{"message": "Field 'x' doesn't exist on
//!   type 'Query'", "locations": [...], "path": ["query", "x"]}]}` (not
//!   unexpected: a person's query may be wrong).
//!
//! Every 200 carries `X-Bc-Graphql-Complexity`: the fake's estimate (10 a
//! requested item, plus 10), or what [`FakeBc::set_graphql_complexity`]
//! set, sent as given.

// The shapes' handlers stop with the answer to send (a GraphQL error):
// a test fake, where the size of that `Err` costs nothing.
#![allow(clippy::result_large_err)]

use base64::Engine as _;

use super::*;

#[derive(Default)]
pub(super) struct State {
    /// The complexity header's value when a test set one.
    complexity: Option<String>,
    mutations: usize,
}

impl FakeBc {
    /// `X-Bc-Graphql-Complexity` on every GraphQL answer from now on, sent
    /// as given (a test may give a value that is not a number); `None`:
    /// the fake's own estimate.
    pub fn set_graphql_complexity(&self, value: Option<&str>) {
        lock(&self.shared).graphql.complexity = value.map(str::to_owned);
    }

    /// How many GraphQL mutations the fake carried out.
    pub fn graphql_mutations(&self) -> usize {
        lock(&self.shared).graphql.mutations
    }
}

/// The opaque cursor of the product at `index` in the store's list.
pub fn cursor(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("arrayconnection:{index}"))
}

fn index_of(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("arrayconnection:")?
        .parse()
        .ok()
}

pub(super) fn answer(inner: &mut Inner, idx: usize, rec: &Recorded, hash: &str) -> Response {
    let bad = |inner: &mut Inner, why: &str| {
        inner.flag(idx, &format!("graphql: {why}"));
        api_error(StatusCode::BAD_REQUEST, why)
    };
    let content_type = rec.header("content-type").unwrap_or("");
    if !content_type.starts_with("application/json") {
        return bad(inner, "the body is not application/json");
    }
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&rec.body) else {
        return bad(inner, "the body is not a JSON object");
    };
    let Some(Value::String(query)) = body.get("query") else {
        return bad(inner, "the body has no query string");
    };
    let variables = match body.get("variables") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(v)) => v.clone(),
        Some(_) => return bad(inner, "variables is not an object"),
    };
    if body.get("operationName").is_some_and(|n| !n.is_string()) {
        return bad(inner, "operationName is not a string");
    }
    let words = tokens(query);
    let (data, items) = if words.first().map(String::as_str) == Some("mutation") {
        match mutation(inner, &words, &variables, hash) {
            Ok(data) => (data, 1),
            Err(resp) => return resp,
        }
    } else if let Some(args) = args_of(&words, "products") {
        match products(inner, idx, &words, &args, &variables, hash) {
            Ok(found) => found,
            Err(resp) => return resp,
        }
    } else if words.iter().any(|w| w == "settings") && words.iter().any(|w| w == "storeName") {
        let name = inner
            .store(hash)
            .map_or_else(|| hash.to_owned(), |s| s.name.clone());
        (
            json!({"site": {"settings": {"storeName": name, "storeHash": hash}}}),
            1,
        )
    } else {
        return unknown_field(inner, query, &words);
    };
    let mut resp = json_response(StatusCode::OK, &json!({ "data": data }));
    with_complexity(inner, &mut resp, 10 + 10 * items);
    resp
}

fn with_complexity(inner: &Inner, resp: &mut Response, estimate: usize) {
    let value = inner
        .graphql
        .complexity
        .clone()
        .unwrap_or_else(|| estimate.to_string());
    resp.headers_mut()
        .insert("x-bc-graphql-complexity", hv(&value));
}

/// A GraphQL error in a 200, as BigCommerce answers a document it cannot run.
fn errors(inner: &Inner, error: Value) -> Response {
    let mut resp = json_response(StatusCode::OK, &json!({"data": null, "errors": [error]}));
    with_complexity(inner, &mut resp, 0);
    resp
}

/// The document's words and punctuation, comments and strings left out
/// (enough for the shapes the fake knows).
fn tokens(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => while chars.next_if(|c| *c != '\n').is_some() {},
            '"' => {
                let mut s = String::from('"');
                while let Some(c) = chars.next() {
                    s.push(c);
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            s.push(n);
                        }
                    } else if c == '"' {
                        break;
                    }
                }
                out.push(s);
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' || c == '-' => {
                let mut w = String::from(c);
                while let Some(n) = chars.next_if(|n| n.is_alphanumeric() || *n == '_') {
                    w.push(n);
                }
                out.push(w);
            }
            c if c.is_whitespace() || c == ',' => {}
            c => out.push(c.to_string()),
        }
    }
    out
}

/// The `name: value` arguments of the field `field`, when it has some.
fn args_of(words: &[String], field: &str) -> Option<Vec<(String, String)>> {
    let at = words.iter().position(|w| w == field)?;
    let mut args = Vec::new();
    if words.get(at + 1).map(String::as_str) != Some("(") {
        return Some(args);
    }
    let mut i = at + 2;
    while let (Some(name), Some(colon), Some(value)) =
        (words.get(i), words.get(i + 1), words.get(i + 2))
    {
        if name == ")" || colon != ":" {
            break;
        }
        args.push((name.clone(), value.clone()));
        i += 3;
    }
    Some(args)
}

/// An argument's value: a `$variable` from `variables`, else the literal.
fn value(raw: &str, variables: &serde_json::Map<String, Value>) -> Value {
    match raw.strip_prefix('$') {
        Some(var) => variables.get(var).cloned().unwrap_or(Value::Null),
        None => serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned())),
    }
}

fn products(
    inner: &mut Inner,
    idx: usize,
    words: &[String],
    args: &[(String, String)],
    variables: &serde_json::Map<String, Value>,
    hash: &str,
) -> Result<(Value, usize), Response> {
    let arg = |name: &str| {
        args.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| value(v, variables))
            .unwrap_or(Value::Null)
    };
    let first = match arg("first") {
        Value::Null => 10,
        Value::Number(n) => match n.as_u64() {
            Some(n @ 1..=50) => n as usize,
            _ => {
                return Err(errors(
                    inner,
                    json!({"message": "first must be between 1 and 50", "path": ["site", "products"]}),
                ));
            }
        },
        _ => {
            return Err(errors(
                inner,
                json!({"message": "Argument 'first' has an invalid value", "path": ["site", "products"]}),
            ));
        }
    };
    let start = match arg("after") {
        Value::Null => 0,
        Value::String(c) => match index_of(&c) {
            Some(i) => i + 1,
            None => {
                inner.flag(idx, "graphql: a cursor the fake never gave");
                return Err(errors(
                    inner,
                    json!({"message": "Invalid cursor", "path": ["site", "products"]}),
                ));
            }
        },
        _ => {
            return Err(errors(
                inner,
                json!({"message": "Argument 'after' has an invalid value", "path": ["site", "products"]}),
            ));
        }
    };
    let all = inner.products.get(hash).cloned().unwrap_or_default();
    let page: Vec<(usize, &Value)> = all.iter().enumerate().skip(start).take(first).collect();
    let node = |p: &Value| json!({"entityId": p["id"], "name": p["name"]});
    let mut connection = serde_json::Map::new();
    connection.insert(
        "pageInfo".into(),
        json!({
            "hasNextPage": start + page.len() < all.len(),
            "endCursor": page.last().map(|(i, _)| cursor(*i)),
        }),
    );
    if words.iter().any(|w| w == "edges") {
        let edges: Vec<Value> = page
            .iter()
            .map(|(i, p)| json!({"cursor": cursor(*i), "node": node(p)}))
            .collect();
        connection.insert("edges".into(), Value::Array(edges));
    }
    if words.iter().any(|w| w == "nodes") {
        let nodes: Vec<Value> = page.iter().map(|(_, p)| node(p)).collect();
        connection.insert("nodes".into(), Value::Array(nodes));
    }
    Ok((
        json!({"site": {"products": Value::Object(connection)}}),
        page.len(),
    ))
}

fn mutation(
    inner: &mut Inner,
    words: &[String],
    variables: &serde_json::Map<String, Value>,
    hash: &str,
) -> Result<Value, Response> {
    let Some(args) = args_of(words, "deleteProduct") else {
        return Err(unknown_field(inner, "", words));
    };
    let id = args
        .iter()
        .find(|(n, _)| n == "id")
        .map(|(_, v)| value(v, variables))
        .unwrap_or(Value::Null);
    let id = id
        .as_u64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()));
    let list = inner.products.entry(hash.to_owned()).or_default();
    let before = list.len();
    if let Some(id) = id {
        list.retain(|p| p["id"] != json!(id));
    }
    if list.len() == before {
        return Err(errors(
            inner,
            json!({"message": "Product not found", "path": ["deleteProduct"]}),
        ));
    }
    inner.graphql.mutations += 1;
    Ok(json!({"deleteProduct": {"deletedId": id}}))
}

/// BigCommerce's answer to a field it does not know: the first field of
/// the first selection set.
fn unknown_field(inner: &Inner, query: &str, words: &[String]) -> Response {
    let kind = if words.first().map(String::as_str) == Some("mutation") {
        ("Mutation", "mutation")
    } else {
        ("Query", "query")
    };
    let field = words
        .iter()
        .skip_while(|w| *w != "{")
        .nth(1)
        .cloned()
        .unwrap_or_default();
    let (line, column) = query
        .lines()
        .enumerate()
        .find_map(|(n, l)| l.find(&format!("{{ {field}")).map(|c| (n + 1, c + 3)))
        .unwrap_or((1, 1));
    errors(
        inner,
        json!({
            "message": format!("Field '{field}' doesn't exist on type '{}'", kind.0),
            "locations": [{"line": line, "column": column}],
            "path": [kind.1, field],
        }),
    )
}
