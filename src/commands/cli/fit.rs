//! Examples in help that never wrap in the middle of a command: clap wraps
//! `after_help` at the terminal's width like prose, so a long example came
//! out cut at any space, its second half looking like a command of its own.
//! Every example line longer than [`WIDTH`] is broken here the way a shell
//! user would write it (` \` and an indented next line), its comment put on
//! a line of its own above it; the verbs' own texts stay as written.

use super::words::{split_comment, words};

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
