//! A page of a GraphQL `--paginate` (`bigcommerce::graphql::pages`) and a
//! 200 answer's `errors` (`graphql::first_error`): a store's answer.
#![no_main]

use bcconn::bigcommerce::graphql::{first_error, pages};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(line) = first_error(data) {
        assert!(!line.chars().any(bcconn::text::is_unsafe), "{line:?}");
        assert!(line.chars().count() < 800, "{}", line.chars().count());
    }
    match pages::page(data) {
        Ok(page) => {
            assert_eq!(page.path.first().map(String::as_str), Some("data"));
            let (has_next, cursor) = (page.has_next, page.end_cursor.clone());
            let mut merged = pages::Merged::new(page).unwrap_or_else(|e| panic!("{e}"));
            // The same page again is the same connection at the same place.
            let again = pages::page(data).expect("read once, read twice");
            assert_eq!(
                (again.has_next, again.end_cursor.clone()),
                (has_next, cursor)
            );
            merged.add(again).unwrap_or_else(|e| panic!("{e}"));
            // What comes out reads as a page again; and it is JSON when what
            // came in was (items are kept as sent: serde_json's raw values
            // let a lone surrogate escape through, as the store wrote it).
            let out = merged.finish();
            let reread = pages::page(&out).expect("a page out");
            assert_eq!(reread.has_next, has_next);
            if serde_json::from_slice::<serde_json::Value>(data).is_ok() {
                let value: serde_json::Value = serde_json::from_slice(&out).expect("JSON out");
                assert!(value.get("data").is_some());
            }
        }
        Err(e) => {
            let said = e.to_string();
            assert!(!said.chars().any(bcconn::text::is_unsafe), "{said:?}");
        }
    }
});
