//! The store API client's errors in a person's words: the hints name the
//! flags of `bcconn api` (--max-wait, --jq, --paginate, --max-pages).

use super::{Failure, failure};
use crate::bigcommerce::client::ApiError;

pub(super) fn explain(e: &ApiError) -> Failure {
    let msg = e.to_string();
    let by_hand = "call it without --paginate and follow its pages by hand";
    let raise = "raise --max-pages, or 0 for no cap";
    match e {
        ApiError::WindowTooLong { clear, .. } => failure(msg).hint(format!(
            "run it again later or give a longer --max-wait; if the wait looks wrong, clear the store's rate book: {clear}"
        )),
        ApiError::UnansweredTooLong { clear, .. } => failure(msg).hint(format!(
            "run it again later or give a longer --max-wait; if no other bcconn is running, clear the store's rate book: {clear}"
        )),
        ApiError::RetryTooLong { .. } => failure(msg)
            .hint("run it again later, or give a longer --max-wait (e.g. --max-wait 10m)"),
        ApiError::TooLarge { for_jq: true, .. } => failure(msg)
            .hint("drop --jq (bcconn then streams the body) and filter it with jq, or ask for less"),
        ApiError::TooLarge { for_jq: false, .. } => {
            failure(msg).hint("without --jq and --paginate, bcconn streams the body to stdout")
        }
        ApiError::BrokeOff { .. } => {
            failure(msg).hint("the write may have been made: check before sending it again")
        }
        ApiError::Spilled { .. } => failure(msg)
            .hint("the write was answered with success; pipe its answer to jq instead of --jq"),
        ApiError::OtherPage { .. } => {
            failure(msg).hint("call it without --paginate and ask for each page with ?page=N")
        }
        ApiError::TooManyPages { .. } | ApiError::Capped { .. } => failure(msg).hint(raise),
        ApiError::Changed { .. } => failure(msg).hint(
            "run it again; for a list that keeps changing, narrow it (filters, a sort) or page by hand",
        ),
        ApiError::CursorLoop { .. } | ApiError::Unfollowable { .. } => {
            failure(msg).hint(by_hand)
        }
        ApiError::PagesTooLarge { for_jq: true, .. } => failure(msg).hint(
            "ask for less (filters, fewer fields), or drop --jq and filter the printed list with jq",
        ),
        ApiError::PagesTooLarge { for_jq: false, .. } => failure(msg)
            .hint("ask for less (filters, fewer fields), or page by hand without --paginate"),
    }
}
