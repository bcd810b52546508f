//! An example command cut into the pieces a line break may not separate.

/// A command and what follows it after a gap of three or more spaces
/// (`# a comment`, or a description as `doctor`'s examples have), outside
/// quotes.
pub(super) fn split_comment(body: &str) -> (&str, Option<&str>) {
    let mut quote = None;
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'\'' | b'"') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b' ') if bytes[i..].starts_with(b"   ") || bytes[i..].starts_with(b"  #") => {
                let rest = body[i..].trim_start();
                let rest = rest.strip_prefix('#').unwrap_or(rest).trim();
                return (body[..i].trim_end(), (!rest.is_empty()).then_some(rest));
            }
            _ => {}
        }
    }
    (body.trim_end(), None)
}

/// The command as units that must stay on one line: a word, a flag with
/// its value, a pipe with the command after it. `None` when a quote is left
/// open (an example that goes on over lines of its own).
pub(super) fn words(command: &str) -> Option<Vec<String>> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in command.chars() {
        match (quote, c) {
            (None, ' ') => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
                continue;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            _ => {}
        }
        current.push(c);
    }
    if quote.is_some() {
        return None;
    }
    tokens.extend((!current.is_empty()).then_some(current));
    let mut units: Vec<String> = Vec::new();
    let mut prev: Option<String> = None;
    let mut joined = false;
    for token in tokens {
        let operator = |t: &str| matches!(t, "|" | "&&" | "||" | ";");
        let glue = prev.as_deref().is_some_and(|p| {
            operator(p)
                || (p.starts_with('-')
                    && p != "--"
                    && !p.contains('=')
                    && !token.starts_with('-')
                    && !operator(&token)
                    && !joined)
        });
        match units.last_mut() {
            Some(last) if glue => {
                last.push(' ');
                last.push_str(&token);
                joined = true;
            }
            _ => {
                units.push(token.clone());
                joined = false;
            }
        }
        prev = Some(token);
    }
    Some(units)
}
