//! `--paginate`: every page of a list, v3 pages in parallel once page 1
//! tells how many there are, v2 pages a pool's level at a time, cursor
//! lists one page at a time, all within the page and byte caps.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use reqwest::StatusCode;
use serde_json::Value;

use super::super::paginate::{self, Shape};
use super::{Answer, ApiError, Client, PAGES_MAX, Paged, Request};

impl Client {
    /// Every item of the list at `first` (GET), in order, fetching at most
    /// `max_pages` pages (0: no cap). Reaching the cap before the list is
    /// known to end is an error (the list may go on), as are a cursor that
    /// repeats, paging bcconn cannot follow, and absurd page numbers.
    pub async fn paginate(
        self: &Arc<Self>,
        first: Request,
        max_pages: u64,
        bytes_max: u64,
    ) -> Result<Paged> {
        let cap = if max_pages == 0 { u64::MAX } else { max_pages };
        let answer = self.send(&first).await?;
        if !answer.status.is_success() {
            return Ok(Paged::Failed(answer));
        }
        if answer.status == StatusCode::NO_CONTENT || answer.body.is_empty() {
            return Ok(Paged::Items(Vec::new()));
        }
        let asked = paginate::page_of(&first.url);
        let page = parse(&answer, asked)?;
        let path = first.url.path().to_string();
        let mut list = List::new(cap, bytes_max, &path);
        match paginate::shape(&page.skeleton) {
            Shape::Single => Ok(Paged::Single(answer)),
            Shape::Unfollowable(why) => Err(unfollowable(&path, &why)),
            Shape::Numbered { current, total } => {
                if current != asked {
                    return Err(ApiError::OtherPage {
                        path: path.clone(),
                        asked,
                        current,
                    }
                    .into());
                }
                // Known up front: no request of the store's quota is spent
                // on a list that could not be printed whole.
                let pages = total.saturating_sub(current).saturating_add(1);
                if pages > cap {
                    return Err(ApiError::TooManyPages {
                        path: path.clone(),
                        total,
                        cap,
                    }
                    .into());
                }
                list.add(page.items, answer.body.len())?;
                // Lazily: a page number is made only when a worker is free.
                let numbers = std::iter::successors(current.checked_add(1), |n| n.checked_add(1))
                    .take_while(move |n| *n <= total);
                let failed = self
                    .run_pages(&first, numbers, |n, answer| {
                        let page = page_value(&answer, n)?;
                        let value = &page.skeleton;
                        if !value.is_array() && !value.get("data").is_some_and(Value::is_array) {
                            return Err(unfollowable(
                                &path,
                                &format!("page {n} has no data array like page {current}"),
                            ));
                        }
                        // A page must be the page asked for, of the list page 1
                        // described: a list that ignores `page` would give page
                        // 1 again (its items merged away as repeats), and one
                        // that grew would lose what moved past the last page.
                        if let Shape::Numbered {
                            current: said,
                            total: now,
                        } = paginate::shape(value)
                        {
                            if said != n {
                                return Err(unfollowable(
                                    &path,
                                    &format!(
                                        "asked for page {n}, the answer says it is page {said}"
                                    ),
                                ));
                            }
                            if now != total {
                                return Err(ApiError::Changed {
                                    path: path.clone(),
                                    current,
                                    total,
                                    page: n,
                                    now,
                                }
                                .into());
                            }
                        }
                        list.add(page.items, answer.body.len())?;
                        Ok(true)
                    })
                    .await?;
                match failed {
                    Some(a) => Ok(Paged::Failed(a)),
                    None => Ok(Paged::Items(list.merged())),
                }
            }
            Shape::Array => {
                list.add(page.items, answer.body.len())?;
                let mut ended = false;
                let more = usize::try_from(cap - 1).unwrap_or(usize::MAX);
                let numbers =
                    std::iter::successors(asked.checked_add(1), |n| n.checked_add(1)).take(more);
                let failed = self
                    .run_pages(&first, numbers, |n, answer| {
                        let paginate::Page { skeleton, items } = page_value(&answer, n)?;
                        if !skeleton.is_array() {
                            return Err(unfollowable(
                                &path,
                                &format!("page {n} is not a JSON array like page {asked}"),
                            ));
                        }
                        // An empty page is past the end; the same items again
                        // (equal, or the same ids with a live field changed)
                        // are a list that ignores `page` (it has one page).
                        if items.is_empty()
                            || list
                                .last()
                                .is_some_and(|last| paginate::repeats(last, &items))
                        {
                            tracing::debug!("page {n} of {path} ends the list");
                            ended = true;
                            return Ok(false);
                        }
                        list.add(items, answer.body.len())?;
                        Ok(true)
                    })
                    .await?;
                if let Some(a) = failed {
                    return Ok(Paged::Failed(a));
                }
                if !ended {
                    return Err(list.capped());
                }
                Ok(Paged::Items(list.merged()))
            }
            Shape::Cursor { mut next } => {
                list.add(page.items, answer.body.len())?;
                let mut seen = HashSet::new();
                while let Some(query) = next.take() {
                    if list.pages >= cap {
                        return Err(list.capped());
                    }
                    if !seen.insert(query.clone()) {
                        return Err(ApiError::CursorLoop {
                            path: path.clone(),
                            cursor: crate::text::outside(&query, 80),
                            pages: list.pages,
                        }
                        .into());
                    }
                    let mut req = first.clone();
                    req.url = paginate::with_query(&first.url, &query);
                    let answer = self.send(&req).await?;
                    if !answer.status.is_success() {
                        let which = format!("page {}", list.pages + 1);
                        self.note(failed_page(&which, &first, &answer));
                        return Ok(Paged::Failed(answer));
                    }
                    if answer.status == StatusCode::NO_CONTENT || answer.body.is_empty() {
                        break;
                    }
                    let page = parse(&answer, 0)?;
                    next = match paginate::shape(&page.skeleton) {
                        Shape::Cursor { next } => next,
                        Shape::Unfollowable(why) => return Err(unfollowable(&path, &why)),
                        _ => {
                            return Err(unfollowable(
                                &path,
                                "a later page is not a cursor page like the first",
                            ));
                        }
                    };
                    list.add(page.items, answer.body.len())?;
                }
                Ok(Paged::Items(list.merged()))
            }
        }
    }

    /// Fetches the pages `numbers` of `first`, at most the pool's level in
    /// flight (numbers are drawn only as workers free up), and hands each
    /// answer to `take` in page order; `take` returns `false` to stop. The
    /// first failed (non-2xx) page, in page order, when one failed. Requests
    /// already in flight when it stops are waited for, not abandoned, so
    /// their slots and rate-limit reservations are given back.
    async fn run_pages(
        self: &Arc<Self>,
        first: &Request,
        mut numbers: impl Iterator<Item = u64>,
        mut take: impl FnMut(u64, Answer) -> Result<bool>,
    ) -> Result<Option<Answer>> {
        let level = usize::from(self.level());
        let mut set = tokio::task::JoinSet::new();
        // Drawn and not yet taken, in page order; `ready` holds the ones that
        // came back before an earlier page did.
        let mut order: VecDeque<u64> = VecDeque::new();
        let mut ready: BTreeMap<u64, Answer> = BTreeMap::new();
        let mut drawing = true;
        let outcome = loop {
            while drawing && order.len() < level {
                let Some(n) = numbers.next() else {
                    drawing = false;
                    break;
                };
                let (me, mut req) = (self.clone(), first.clone());
                req.url = paginate::with_page(&first.url, n);
                set.spawn(async move { (n, me.send(&req).await) });
                order.push_back(n);
            }
            let mut stop = None;
            while let Some(n) = order.front().copied() {
                let Some(answer) = ready.remove(&n) else {
                    break;
                };
                order.pop_front();
                if !answer.status.is_success() {
                    self.note(failed_page(&format!("page {n}"), first, &answer));
                    stop = Some(Ok(Some(answer)));
                    break;
                }
                match take(n, answer) {
                    Ok(true) => {}
                    Ok(false) => {
                        stop = Some(Ok(None));
                        break;
                    }
                    Err(e) => {
                        stop = Some(Err(e));
                        break;
                    }
                }
            }
            if let Some(out) = stop {
                break out;
            }
            match set.join_next().await {
                Some(joined) => match joined.context("a page request stopped") {
                    Ok((n, Ok(answer))) => {
                        ready.insert(n, answer);
                    }
                    Ok((_, Err(e))) | Err(e) => break Err(e),
                },
                // Nothing in flight: draw more, unless the numbers ran out.
                None if drawing => {}
                None => break Ok(None),
            }
        };
        while set.join_next().await.is_some() {}
        outcome
    }
}

fn parse(answer: &Answer, page: u64) -> Result<paginate::Page> {
    paginate::read_page(&answer.body).map_err(|e| {
        if page > 0 {
            anyhow!("page {page} of the list is not JSON ({e})")
        } else {
            anyhow!("a page of the list is not JSON ({e})")
        }
    })
}

/// The pages of one `--paginate` so far, within the page cap and a cap on
/// the bytes of their bodies (held as the items' text, so memory is about
/// that many bytes).
struct List<'a> {
    pages: u64,
    bytes: u64,
    cap: u64,
    bytes_max: u64,
    path: &'a str,
    items: Vec<Vec<paginate::Item>>,
}

impl<'a> List<'a> {
    fn new(cap: u64, bytes_max: u64, path: &'a str) -> List<'a> {
        List {
            pages: 0,
            bytes: 0,
            cap,
            bytes_max,
            path,
            items: Vec::new(),
        }
    }

    fn add(&mut self, items: Vec<paginate::Item>, bytes: usize) -> Result<()> {
        self.pages += 1;
        self.bytes = self.bytes.saturating_add(bytes as u64);
        if self.bytes > self.bytes_max {
            // A cap under PAGES_MAX is the one `--jq` set.
            return Err(ApiError::PagesTooLarge {
                path: self.path.to_string(),
                max: self.bytes_max,
                pages: self.pages,
                for_jq: self.bytes_max < PAGES_MAX,
            }
            .into());
        }
        self.items.push(items);
        Ok(())
    }

    fn last(&self) -> Option<&Vec<paginate::Item>> {
        self.items.last()
    }

    fn capped(&self) -> anyhow::Error {
        ApiError::Capped {
            path: self.path.to_string(),
            cap: self.cap,
        }
        .into()
    }

    fn merged(self) -> Vec<paginate::Item> {
        paginate::merge(self.items)
    }
}

/// Why a list already partly fetched is not printed: without it, a failed
/// page 7 reads like a failed request.
fn failed_page(which: &str, first: &Request, answer: &Answer) -> String {
    format!(
        "{which} of {} answered {}; the pages before it are not printed (the list is not whole)",
        first.url.path(),
        answer.status
    )
}

fn unfollowable(path: &str, why: &str) -> anyhow::Error {
    ApiError::Unfollowable {
        path: path.to_string(),
        why: why.to_string(),
    }
    .into()
}

/// A numbered page's JSON: a 204 or an empty body is an empty page.
fn page_value(answer: &Answer, page: u64) -> Result<paginate::Page> {
    if answer.status == StatusCode::NO_CONTENT || answer.body.is_empty() {
        Ok(paginate::Page {
            skeleton: Value::Array(Vec::new()),
            items: Vec::new(),
        })
    } else {
        parse(answer, page)
    }
}
