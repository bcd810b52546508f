//! `text::outside`, the one way text from outside (callbacks, HTTP bodies,
//! files) is made safe to print, and `text::shell_word`, which quotes names
//! in hints.
//!
//! Input: the first byte is the length limit, the rest the text.
#![no_main]

use bcconn::text::{is_unsafe, outside, shell_word};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&max, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let max = usize::from(max);
    let shown = outside(text, max);
    // Never an unsafe character, whatever came in.
    assert!(!shown.chars().any(is_unsafe), "{shown:?}");
    // Bounded: at most `max` characters, each escaped to at most 10
    // (`\u{10ffff}`), plus the note of what was cut.
    assert!(shown.chars().count() <= max * 10 + 40, "{} chars", shown.chars().count());
    // Safe text that fits comes out unchanged.
    if !text.chars().any(is_unsafe) && text.chars().count() <= max {
        assert_eq!(shown, text);
    }

    // A shell word is the text itself, or the text single-quoted with each
    // `'` written as `'\''`: undoing that gives the text back.
    let word = shell_word(text);
    if word != text {
        let inner = word
            .strip_prefix('\'')
            .and_then(|w| w.strip_suffix('\''))
            .expect("quoted");
        assert_eq!(inner.replace("'\\''", "'"), text);
        assert!(!inner.replace("'\\''", "").contains('\''));
    } else {
        assert!(!text.is_empty());
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@/".contains(c)));
    }
});
