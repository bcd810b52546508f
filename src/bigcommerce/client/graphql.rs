//! `--paginate` for GraphQL: the same request again with
//! `variables.endCursor` set to the last page's `endCursor`, one page at a
//! time, until `hasNextPage` is false; merged into one document
//! (`graphql::pages`). Within the same caps as REST lists: `--max-pages`,
//! the bytes of every page together, a cursor given twice.

use std::collections::HashSet;

use anyhow::{Result, anyhow};
use serde_json::{Map, Value};

use super::super::graphql::{self, pages};
use super::{Answer, ApiError, Client, PAGES_MAX, Request};

/// What paging through a GraphQL connection gave.
#[derive(Debug)]
pub enum GraphqlPaged {
    /// Every page merged, as the answer of the last page (its status and
    /// headers) with the merged document as its body.
    Whole(Answer),
    /// A page that failed: a non-2xx answer, or a 2xx one with GraphQL
    /// `errors`. Nothing of the pages before it is kept.
    Failed(Answer),
}

/// [`GraphqlPaged`] and the highest complexity any page reported, with the
/// page that reported it.
#[derive(Debug)]
pub struct GraphqlPages {
    pub outcome: GraphqlPaged,
    pub complexity: Option<(u64, u64)>,
}

impl Client {
    /// Every page of the connection `first` (a POST of `{"query",
    /// "variables"}`) asks for, fetching at most `max_pages` pages (0: no
    /// cap) whose bodies add up to at most `bytes_max`.
    pub async fn paginate_graphql(
        &self,
        first: Request,
        max_pages: u64,
        bytes_max: u64,
    ) -> Result<GraphqlPages> {
        let cap = if max_pages == 0 { u64::MAX } else { max_pages };
        let path = first.url.path().to_string();
        let mut body: Map<String, Value> = first
            .body
            .as_deref()
            .and_then(|b| serde_json::from_slice(b).ok())
            .ok_or_else(|| anyhow!("a GraphQL request's body must be a JSON object"))?;
        let mut seen = HashSet::new();
        if let Some(Value::String(c)) = body.get("variables").and_then(|v| v.get("endCursor")) {
            seen.insert(c.clone());
        }
        let unfollowable = |why: String| -> anyhow::Error {
            ApiError::Unfollowable {
                path: path.clone(),
                why,
            }
            .into()
        };
        let mut req = first.clone();
        let mut merged: Option<pages::Merged> = None;
        let mut complexity: Option<(u64, u64)> = None;
        let (mut pages_read, mut bytes) = (0u64, 0u64);
        loop {
            let answer = self.send(&req).await?;
            pages_read += 1;
            if let Some(c) = graphql::complexity(&answer.headers)
                && complexity.is_none_or(|(max, _)| c > max)
            {
                complexity = Some((c, pages_read));
            }
            let failed =
                !answer.status.is_success() || graphql::first_error(&answer.body).is_some();
            if failed {
                if pages_read > 1 {
                    self.note(format!(
                        "page {pages_read} of {path} answered {}{}; the pages before it are not printed (the list is not whole)",
                        answer.status,
                        if answer.status.is_success() {
                            " with GraphQL errors"
                        } else {
                            ""
                        }
                    ));
                }
                return Ok(GraphqlPages {
                    outcome: GraphqlPaged::Failed(answer),
                    complexity,
                });
            }
            bytes = bytes.saturating_add(answer.body.len() as u64);
            if bytes > bytes_max {
                return Err(ApiError::PagesTooLarge {
                    path: path.clone(),
                    max: bytes_max,
                    pages: pages_read,
                    for_jq: bytes_max < PAGES_MAX,
                }
                .into());
            }
            let page = pages::page(&answer.body).map_err(|e| {
                unfollowable(if pages_read > 1 {
                    format!("page {pages_read}: {e}")
                } else {
                    e.to_string()
                })
            })?;
            let (has_next, cursor) = (page.has_next, page.end_cursor.clone());
            match merged.as_mut() {
                None => {
                    merged =
                        Some(pages::Merged::new(page).map_err(|e| unfollowable(e.to_string()))?)
                }
                Some(m) => m
                    .add(page)
                    .map_err(|e| unfollowable(format!("page {pages_read}: {e}")))?,
            }
            if !has_next {
                let merged = merged.expect("a page was read");
                return Ok(GraphqlPages {
                    outcome: GraphqlPaged::Whole(Answer {
                        body: merged.finish(),
                        ..answer
                    }),
                    complexity,
                });
            }
            let Some(cursor) = cursor else {
                return Err(unfollowable(format!(
                    "page {pages_read} says hasNextPage: true without an endCursor; ask for pageInfo {{ hasNextPage endCursor }}"
                )));
            };
            if !seen.insert(cursor.clone()) {
                return Err(ApiError::CursorLoop {
                    path: path.clone(),
                    cursor: crate::text::outside(&cursor, 80),
                    pages: pages_read,
                }
                .into());
            }
            if pages_read >= cap {
                return Err(ApiError::Capped {
                    path: path.clone(),
                    cap,
                }
                .into());
            }
            let variables = body
                .entry("variables")
                .or_insert_with(|| Value::Object(Map::new()));
            match variables {
                Value::Object(v) => {
                    v.insert("endCursor".into(), Value::String(cursor));
                }
                Value::Null => {
                    *variables = serde_json::json!({ "endCursor": cursor });
                }
                _ => return Err(anyhow!("the request's variables are not a JSON object")),
            }
            req.body = Some(serde_json::to_vec(&body)?);
        }
    }
}
