//! Escaping text from outside for a terminal, chunk by chunk.

use crate::text::is_unsafe;

/// Escapes what could change how a terminal shows text (control characters
/// but newline and tab, bidi controls), across chunk boundaries: a UTF-8
/// character cut between two chunks is kept until it is whole; bytes that
/// are not UTF-8 show as `\x..`.
#[derive(Default)]
pub struct Escaper {
    pending: Vec<u8>,
}

impl Escaper {
    /// The text of everything given so far but an unfinished character.
    pub fn some(&mut self, bytes: &[u8]) -> String {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(bytes);
        let mut shown = String::with_capacity(data.len());
        let mut rest = &data[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    push_escaped(&mut shown, text);
                    break;
                }
                Err(e) => {
                    let (good, after) = rest.split_at(e.valid_up_to());
                    push_escaped(
                        &mut shown,
                        std::str::from_utf8(good).expect("checked valid"),
                    );
                    match e.error_len() {
                        Some(bad) => {
                            for b in &after[..bad] {
                                shown.push_str(&format!("\\x{b:02x}"));
                            }
                            rest = &after[bad..];
                        }
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        shown
    }

    /// The bytes still held (a character cut at the very end), escaped.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.pending)
            .iter()
            .map(|b| format!("\\x{b:02x}"))
            .collect()
    }

    /// All of `bytes`, escaped.
    pub fn all(mut self, bytes: &[u8]) -> String {
        let mut text = self.some(bytes);
        text.push_str(&self.finish());
        text
    }
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if is_unsafe(c) && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_is_escaped_across_chunks() {
        let mut e = Escaper::default();
        let mut shown = e.some(b"ok \x1b[2J\r\n\tgr\xc3");
        shown.push_str(&e.some(b"\xbcn \xff \xe2\x80\xae end"));
        shown.push_str(&e.finish());
        assert_eq!(shown, "ok \\u{1b}[2J\\r\n\tgrün \\xff \\u{202e} end");
        assert_eq!(Escaper::default().all(b"cut \xe2\x80"), "cut \\xe2\\x80");
        assert_eq!(Escaper::default().all("plain\n".as_bytes()), "plain\n");
    }
}
