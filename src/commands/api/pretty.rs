//! JSON laid out for a terminal from its own text: the store's key order and
//! number spellings (`9.50`, ids past 2^53) are kept, which parsing into
//! `serde_json::Value` and printing it again would lose (its map sorts the
//! keys). The layout is serde_json's pretty one: two spaces a level, `": "`
//! after a key, `{}` and `[]` when empty.

/// Why a body is not laid out.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Unlaid {
    /// Not one JSON value (or nested deeper than serde_json's checker goes).
    NotJson,
    /// The layout would pass [`bound`]: shown as received instead.
    TooLarge,
}

/// The most the layout of a `len`-byte body may take. Each element is
/// indented two spaces a level, so deep nesting multiplies the size (an
/// 8 MiB body nested 127 deep grows about 128 times): the layout stops at
/// 64 MiB, or 4 times the body when that is more, which ordinary answers
/// (a few levels deep) stay well under.
pub(super) fn bound(len: usize) -> usize {
    (64 << 20).max(len.saturating_mul(4))
}

/// `json` pretty, or why not.
pub(super) fn pretty(json: &[u8]) -> Result<String, Unlaid> {
    pretty_within(json, bound(json.len()))
}

/// [`pretty`], giving up once the layout passes `max` bytes.
fn pretty_within(json: &[u8], max: usize) -> Result<String, Unlaid> {
    serde_json::from_slice::<serde::de::IgnoredAny>(json).map_err(|_| Unlaid::NotJson)?;
    // Checked: one valid value, so UTF-8, every string closed, and only
    // ASCII outside strings.
    let text = std::str::from_utf8(json).map_err(|_| Unlaid::NotJson)?;
    let b = text.as_bytes();
    let mut out = String::with_capacity(json.len() + json.len() / 2);
    let mut depth = 0usize;
    // Only the indentation makes the layout bigger than the body: checked
    // where it is added.
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
        if out.len() > max {
            return Err(Unlaid::TooLarge);
        }
        Ok(())
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i;
                i += 1;
                while b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.push_str(&text[start..=i]);
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                let next = b[i + 1..].iter().position(|c| !c.is_ascii_whitespace());
                out.push(open as char);
                match next {
                    Some(n) if b[i + 1 + n] == close => {
                        out.push(close as char);
                        i += 1 + n;
                    }
                    _ => {
                        depth += 1;
                        newline(&mut out, depth)?;
                    }
                }
            }
            close @ (b'}' | b']') => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth)?;
                out.push(close as char);
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth)?;
            }
            b':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c as char),
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_numbers_their_spelling() {
        let text = br#" {"id":7, "name":"A \"b\" {x}","price":9.50,"big":12345678901234567890123,
            "tags":[],"meta":{ },"nested":{"z":[1,{"b":true,"a":null}],"a":"\u00e9"}} "#;
        let want = "{\n  \"id\": 7,\n  \"name\": \"A \\\"b\\\" {x}\",\n  \"price\": 9.50,\n  \
                    \"big\": 12345678901234567890123,\n  \"tags\": [],\n  \"meta\": {},\n  \
                    \"nested\": {\n    \"z\": [\n      1,\n      {\n        \"b\": true,\n        \
                    \"a\": null\n      }\n    ],\n    \"a\": \"\\u00e9\"\n  }\n}";
        assert_eq!(pretty(text).unwrap(), want);
    }

    #[test]
    fn the_layout_is_serde_jsons_for_what_it_would_not_reorder() {
        let text = br#"[{"a":1,"b":[true,false,"x\\"]},[],{},"s",-1.5]"#;
        let v: serde_json::Value = serde_json::from_slice(text).unwrap();
        assert_eq!(
            pretty(text).unwrap(),
            serde_json::to_string_pretty(&v).unwrap()
        );
        assert_eq!(pretty(b"42").unwrap(), "42");
        assert_eq!(pretty(b"\"x\"").unwrap(), "\"x\"");
    }

    #[test]
    fn what_is_not_one_json_value_is_left_alone() {
        for bad in [
            &b"{\"a\":"[..],
            b"",
            b"not json",
            b"{} {}",
            b"[1,]",
            b"\xff",
        ] {
            assert_eq!(
                pretty(bad),
                Err(Unlaid::NotJson),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_layout_past_its_bound_is_given_up() {
        // 40 deep: the layout indents each level two more spaces.
        let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let whole = pretty_within(deep.as_bytes(), usize::MAX).unwrap();
        assert!(whole.len() > 1000, "{}", whole.len());
        assert_eq!(pretty_within(deep.as_bytes(), 1000), Err(Unlaid::TooLarge));
        assert_eq!(pretty_within(deep.as_bytes(), whole.len()), Ok(whole));
        // The default bound: never below 64 MiB, and 4 times a large body.
        assert_eq!(bound(10), 64 << 20);
        assert_eq!(bound(100 << 20), 400 << 20);
    }
}
