//! Scope lists (`--scopes a,b c`, the wizard, hand-edited records).
#![no_main]

use bcconn::bigcommerce::scopes::{self, ScopeError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match scopes::parse_list(input) {
        Ok(list) => {
            assert!(!list.is_empty());
            for name in &list {
                assert!(scopes::lookup(name).is_some(), "{name:?} is not in the catalog");
            }
            // Normalized: a fixed point, and it reads back as itself.
            assert_eq!(scopes::normalize(&list), list);
            assert_eq!(scopes::parse_list(&list.join(",")), Ok(list.clone()));
            assert_eq!(scopes::parse_list(&list.join(" ")), Ok(list.clone()));
            // Everything asked for is covered by the normalized list.
            let asked: Vec<String> = input
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| scopes::lookup(&s.to_ascii_lowercase()).unwrap().name.to_string())
                .collect();
            assert!(scopes::missing(&asked, &list).is_empty());
        }
        Err(ScopeError::Unknown { name, suggestion }) => {
            assert!(scopes::lookup(&name).is_none());
            if let Some(s) = suggestion {
                assert!(scopes::lookup(&s).is_some(), "suggested {s:?}");
            }
        }
        Err(ScopeError::Empty) => {
            assert!(input.split(|c: char| c == ',' || c.is_whitespace()).all(str::is_empty));
        }
    }
});
