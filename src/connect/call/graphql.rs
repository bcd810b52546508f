//! `bcconn api graphql`, as `gh api graphql`: the `query` field (`-f
//! query='…'`, `-F query=@FILE`, `@-` for stdin) is the document,
//! `operationName` goes beside it, and every other field is a variable
//! (`-f` a string, `-F` typed, `key[sub]=v` nested). The body is POSTed as
//! `{"query", "operationName"?, "variables"?}`; `--input FILE` sends such
//! a body as it is.

use anyhow::Result;
use serde_json::{Map, Value};

use crate::bigcommerce::graphql::{self, document};
use crate::bigcommerce::request;
use crate::bigcommerce::store_hash::StoreHash;
use crate::error::usage;

/// What the trust check and `--paginate` need to know of a GraphQL call.
#[derive(Debug, Clone, Copy)]
pub struct Graphql {
    /// The document holds queries only (and reads as GraphQL): not a write.
    pub reads_only: bool,
}

/// Whether `url` is the store's GraphQL endpoint.
pub(super) fn is_graphql(url: &url::Url, store: &StoreHash) -> bool {
    super::store_path(url, store).trim_end_matches('/') == graphql::PATH
}

/// The example a refusal shows: a query `--paginate` can follow.
const PAGED_EXAMPLE: &str = "query($endCursor: String) { site { products(first: 50, after: $endCursor) { pageInfo { hasNextPage endCursor } edges { node { entityId name } } } } }";

/// The body of a GraphQL call from what `bcconn api graphql` was given.
pub(super) fn body(
    method: Option<&str>,
    fields: Vec<(String, Value)>,
    input: Option<Vec<u8>>,
    paginate: bool,
) -> Result<(Vec<u8>, Graphql)> {
    if let Some(m) = method
        && !m.eq_ignore_ascii_case("POST")
    {
        return Err(usage(format!(
            "-X {}: a GraphQL call is a POST",
            crate::text::outside(m, 20)
        ))
        .hint("leave -X out (or give -X POST); a query only reads even when POSTed")
        .into());
    }
    let (body, query) = match input {
        Some(bytes) => {
            if !fields.is_empty() {
                return Err(usage(
                    "--input with -f/-F fields: with GraphQL, --input is the whole body",
                )
                .hint("put the variables in the --input file's \"variables\", or leave --input out and give -f query=… with the fields")
                .into());
            }
            let parsed = serde_json::from_slice::<Map<String, Value>>(&bytes).ok();
            let query = parsed
                .as_ref()
                .and_then(|m| match m.get("query") {
                    Some(Value::String(q)) => Some(q.clone()),
                    _ => None,
                })
                .ok_or_else(|| {
                    usage("--input: a GraphQL body is a JSON object with a \"query\" string")
                        .hint("e.g. {\"query\": \"{ site { settings { storeName } } }\", \"variables\": {}}")
                })?;
            // What was read is what is sent: with a key given twice, the
            // bytes as given could mean another document to the server
            // than the one the trust check read.
            (serde_json::to_vec(&parsed)?, query)
        }
        None => from_fields(fields)?,
    };
    let doc = document::scan(&query);
    let reads_only = doc.as_ref().is_ok_and(|d| d.reads_only());
    if paginate {
        let doc = doc.map_err(|why| {
            usage(format!(
                "--paginate: the query does not read as a GraphQL document: {why}"
            ))
        })?;
        if !reads_only {
            return Err(usage(
                "--paginate pages through a query: this document holds a mutation or a subscription",
            )
            .hint("send a mutation without --paginate")
            .into());
        }
        if !doc.declares("endCursor") {
            return Err(usage(
                "--paginate: the query does not declare $endCursor, which bcconn sets to each page's pageInfo.endCursor",
            )
            .hint(format!(
                "declare it and pass it to the connection, with pageInfo: -f query='{PAGED_EXAMPLE}'"
            ))
            .into());
        }
    }
    Ok((body, Graphql { reads_only }))
}

/// `{"query", "operationName"?, "variables"?}` from the fields.
fn from_fields(fields: Vec<(String, Value)>) -> Result<(Vec<u8>, String)> {
    let mut query = None;
    let mut operation = None;
    let mut variables = Vec::new();
    for (k, v) in fields {
        match k.as_str() {
            "query" | "operationName" => {
                let Value::String(text) = v else {
                    return Err(usage(format!(
                        "-F {k}={v}: {k} is text; give it with -f {k}=…{}",
                        if k == "query" {
                            " or -F query=@FILE"
                        } else {
                            ""
                        }
                    ))
                    .into());
                };
                let slot = if k == "query" {
                    &mut query
                } else {
                    &mut operation
                };
                if slot.replace(text).is_some() {
                    return Err(usage(format!("{k} is given twice")).into());
                }
            }
            _ => variables.push((k, v)),
        }
    }
    let Some(query) = query else {
        return Err(usage("bcconn api graphql needs the document: no query field was given")
            .hint("give it with -f query='{ site { settings { storeName } } }', or from a file with -F query=@FILE (@- for stdin)")
            .into());
    };
    if query.trim().is_empty() {
        return Err(usage("the query is empty")
            .hint("give the document with -f query='{ … }' or -F query=@FILE")
            .into());
    }
    let mut body = Map::new();
    body.insert("query".into(), Value::String(query.clone()));
    if let Some(name) = operation {
        body.insert("operationName".into(), Value::String(name));
    }
    if !variables.is_empty() {
        let vars = request::json_body(&variables).map_err(usage)?;
        body.insert("variables".into(), vars);
    }
    Ok((serde_json::to_vec(&Value::Object(body))?, query))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ExitStatus, report};

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn refused(r: Result<(Vec<u8>, Graphql)>) -> String {
        let e = r.unwrap_err();
        let rep = report(&e);
        assert_eq!(rep.status, ExitStatus::Usage, "{}", rep.message);
        format!("{} | {}", rep.message, rep.hints.join(" | "))
    }

    #[test]
    fn fields_become_variables_beside_the_query() {
        let (body, g) = body(
            None,
            vec![
                ("query".into(), s("query($n: Int, $f: F) { a }")),
                ("n".into(), Value::from(5)),
                ("f[name]".into(), s("x")),
                ("operationName".into(), s("Q")),
            ],
            None,
            false,
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"query": "query($n: Int, $f: F) { a }", "operationName": "Q",
                "variables": {"n": 5, "f": {"name": "x"}}})
        );
        assert!(g.reads_only);
        // No variables: none sent.
        let (body, _) = body_of("mutation { a }");
        assert_eq!(body, serde_json::json!({"query": "mutation { a }"}));
    }

    fn body_of(q: &str) -> (Value, Graphql) {
        let (b, g) = body(None, vec![("query".into(), s(q))], None, false).unwrap();
        (serde_json::from_slice(&b).unwrap(), g)
    }

    #[test]
    fn writes_are_what_is_not_only_queries() {
        assert!(body_of("{ a }").1.reads_only);
        assert!(!body_of("mutation { a }").1.reads_only);
        assert!(!body_of("{ a").1.reads_only);
    }

    #[test]
    fn refusals() {
        let q = |t: &str| vec![("query".to_string(), s(t))];
        let no_query = refused(body(None, vec![("x".into(), s("1"))], None, false));
        assert!(no_query.contains("-f query="), "{no_query}");
        let m = refused(body(Some("GET"), q("{ a }"), None, false));
        assert!(m.contains("-X GET") && m.contains("POST"), "{m}");
        assert!(body(Some("post"), q("{ a }"), None, false).is_ok());
        let typed = refused(body(
            None,
            vec![("query".into(), Value::from(5))],
            None,
            false,
        ));
        assert!(typed.contains("query is text"), "{typed}");
        let twice = refused(body(None, [q("{ a }"), q("{ b }")].concat(), None, false));
        assert!(twice.contains("twice"), "{twice}");
        let paged = refused(body(
            None,
            q("{ site { products { pageInfo { hasNextPage } } } }"),
            None,
            true,
        ));
        assert!(
            paged.contains("$endCursor") && paged.contains("query($endCursor: String)"),
            "{paged}"
        );
        let mutation = refused(body(
            None,
            q("mutation($endCursor: String) { a }"),
            None,
            true,
        ));
        assert!(mutation.contains("mutation"), "{mutation}");
        let broken = refused(body(None, q("query($endCursor: String) { a"), None, true));
        assert!(broken.contains("never closed"), "{broken}");
        assert!(body(None, q("query($endCursor: String) { a }"), None, true).is_ok());
        let input = refused(body(None, q("{ a }"), Some(b"{}".to_vec()), false));
        assert!(input.contains("--input"), "{input}");
        let bad_input = refused(body(None, vec![], Some(b"[1]".to_vec()), false));
        assert!(bad_input.contains("\"query\" string"), "{bad_input}");
        let (sent, g) = body(
            None,
            vec![],
            Some(br#"{"query": "mutation { x }"}"#.to_vec()),
            false,
        )
        .unwrap();
        assert_eq!(sent, br#"{"query":"mutation { x }"}"#, "sent as read");
        assert!(!g.reads_only);
        // A key given twice: the document checked is the document sent.
        let (sent, g) = body(
            None,
            vec![],
            Some(br#"{"query": "mutation { deleteAll }", "query": "{ a }"}"#.to_vec()),
            false,
        )
        .unwrap();
        assert_eq!(sent, br#"{"query":"{ a }"}"#);
        assert!(g.reads_only);
    }
}
