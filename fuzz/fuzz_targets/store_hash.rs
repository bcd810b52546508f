//! Store-hash intake (`--store-hash`, the wizard, the credentials file's API
//! PATH): whatever a person pastes.
#![no_main]

use bcconn::bigcommerce::store_hash::StoreHash;
use bcconn::text::is_unsafe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match StoreHash::parse(input) {
        Ok(hash) => {
            let s = hash.as_str();
            assert!((1..=16).contains(&s.len()), "{s:?}");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{s:?}"
            );
            // A parsed hash reads back as itself: bare, as an OAuth context,
            // as an API path, and through the record file's serde.
            assert_eq!(StoreHash::parse(s).as_ref(), Ok(&hash));
            assert_eq!(StoreHash::parse(&hash.context()).as_ref(), Ok(&hash));
            let api = format!("https://api.bigcommerce.com/stores/{s}/v3/");
            assert_eq!(StoreHash::parse(&api).as_ref(), Ok(&hash));
            let json = serde_json::to_string(&hash).unwrap();
            assert_eq!(serde_json::from_str::<StoreHash>(&json).unwrap(), hash);
        }
        Err(e) => {
            // The message is printed as it is: one line, nothing from the
            // input that can steer a terminal, and an excerpt, not the input.
            let msg = e.to_string();
            assert!(!msg.chars().any(is_unsafe), "{msg:?}");
            assert!(msg.chars().count() <= 1000, "{} chars", msg.chars().count());
            // serde refuses what parse refuses.
            let json = serde_json::to_string(input).unwrap();
            assert!(serde_json::from_str::<StoreHash>(&json).is_err());
        }
    }
});
