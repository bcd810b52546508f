//! Text helpers every layer may use: quoting a name for a shell.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_what_needs_it() {
        assert_eq!(shell_word("acme-prod"), "acme-prod");
        assert_eq!(shell_word("my shop"), "'my shop'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
