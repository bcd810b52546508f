//! Text helpers every layer may use: quoting a name for a shell, and making
//! text that came from outside (a callback, an HTTP body, a file) safe to
//! print and store.

/// A name as a shell word, so a hint like `bcconn token NAME` can be pasted
/// as it is even when the name has spaces or quotes.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@/".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `s` with its first letter upper-case, for a phrase that starts a
/// sentence.
pub fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Characters that change how a terminal shows text, or hide text: control
/// characters (C0, DEL, C1: ESC starts escape sequences), bidi overrides and
/// isolates, zero-width characters, line and paragraph separators, BOM.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'               // BOM / zero-width no-break space
        )
}

/// Text from outside, made safe to show and store: unsafe characters are
/// escaped (`\n`, `\u{1b}`), and past `max` characters the rest is cut
/// with a note of how much was left out.
pub fn outside(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i >= max {
            let left = s.chars().count() - i;
            out.push_str(&format!("… ({left} more characters)"));
            break;
        }
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_escaped_and_bounded() {
        assert_eq!(outside("plain text", 100), "plain text");
        assert_eq!(outside("a\x1b[31mred\n", 100), "a\\u{1b}[31mred\\n");
        assert_eq!(outside("x\u{202E}y", 100), "x\\u{202e}y");
        assert_eq!(outside("c0\u{200B}", 100), "c0\\u{200b}");
        let long = "é".repeat(300);
        let cut = outside(&long, 10);
        assert_eq!(cut, format!("{}… (290 more characters)", "é".repeat(10)));
        // Non-ASCII letters are not escaped.
        assert_eq!(outside("東京 café", 100), "東京 café");
    }

    #[test]
    fn shell_words_quote_what_needs_it() {
        assert_eq!(shell_word("acme-prod"), "acme-prod");
        assert_eq!(shell_word("my shop"), "'my shop'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
