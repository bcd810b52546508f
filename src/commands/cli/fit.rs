//! Examples in help that never wrap in the middle of a command: clap wraps
//! `after_help` at the terminal's width like prose, so a long example came
//! out cut at any space, its second half looking like a command of its own.
//! Every example line longer than [`WIDTH`] is broken here the way a shell
//! user would write it (` \` and an indented next line), its comment put on
//! a line of its own above it; the verbs' own texts stay as written.

/// The widest example line: fits a 60-column terminal.
pub const WIDTH: usize = 58;

/// Where a continued command goes on.
const MORE: &str = "      ";

/// `text` with every example line (one indented by two spaces) fitted to
/// [`WIDTH`]; prose is left to clap's wrapping.
pub fn examples(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if width(line) <= WIDTH || !line.starts_with("  ") || line.starts_with("   ") {
            out.push(line.to_string());
            continue;
        }
        let body = &line[2..];
        let (command, comment) = split_comment(body);
        if let Some(comment) = comment {
            out.push(format!("  # {comment}"));
        }
        match words(command) {
            Some(units) => out.extend(broken(&units)),
            None => out.push(format!("  {command}")),
        }
    }
    out.join("\n")
}

fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// A command and what follows it after a gap of three or more spaces
/// (`# a comment`, or a description as `doctor`'s examples have), outside
/// quotes.
fn split_comment(body: &str) -> (&str, Option<&str>) {
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
fn words(command: &str) -> Option<Vec<String>> {
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

/// The units filled greedily into lines of [`WIDTH`], each but the last
/// ending in ` \`.
fn broken(units: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from("  ");
    for unit in units {
        if !line.trim().is_empty() && width(&line) + 1 + width(unit) + 2 > WIDTH {
            lines.push(format!("{line} \\"));
            line = String::from(MORE);
        }
        if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(unit);
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_example_breaks_between_flags_with_a_backslash() {
        let text = "Examples:\n  bcconn create shop --store-hash abc123 --iclient my-app \
                    --scopes store_v2_orders --yes   # no questions\n  bcconn list";
        let got = examples(text);
        assert_eq!(
            got,
            "Examples:\n  # no questions\n  bcconn create shop --store-hash abc123 \\\n      \
             --iclient my-app --scopes store_v2_orders --yes\n  bcconn list"
        );
        assert!(got.lines().all(|l| width(l) <= WIDTH));
    }

    #[test]
    fn quotes_pipes_and_prose_are_kept_whole() {
        let jq = "  bcconn list --json | jq -r '.[] | select(.state != \"authorized\") | .name'";
        let got = examples(jq);
        assert_eq!(
            got,
            "  bcconn list --json | jq \\\n      -r '.[] | select(.state != \"authorized\") | .name'"
        );
        let prose =
            "Order: -c/NAME on the command line, BCCONN_CONNECTION, the nearest .bcconn file";
        assert_eq!(examples(prose), prose);
        let open = "  bcconn exec shop -- sh -c 'printf \"%s\" \"$BIGCOMMERCE_ACCESS_TOKEN\" | curl -sH @-";
        assert_eq!(
            examples(open),
            open,
            "an open quote goes on over lines: left alone"
        );
    }
}
