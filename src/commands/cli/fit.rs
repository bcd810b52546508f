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
    let example = |l: &str| l.starts_with("  ") && !l.starts_with("   ");
    let commented = |l: &str| example(l) && split_comment(&l[2..]).1.is_some();
    // One comment moved above its command moves them all, so that the
    // examples of one command read alike.
    let move_all = text.lines().any(|l| width(l) > WIDTH && commented(l));
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let fits = width(line) <= WIDTH && !(move_all && commented(line));
        if fits || !example(line) {
            out.push(line.to_string());
            continue;
        }
        let body = &line[2..];
        let (command, comment) = split_comment(body);
        if let Some(comment) = comment {
            let mut line = String::from("  #");
            for word in comment.split_whitespace() {
                if line.len() > 3 && width(&line) + 1 + width(word) > WIDTH {
                    out.push(std::mem::replace(&mut line, String::from("  #")));
                }
                line.push(' ');
                line.push_str(word);
            }
            out.push(line);
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
                    --scopes store_v2_orders --yes   # no questions\n  bcconn list   # all\n\nMore.";
        let got = examples(text);
        let long = examples(&format!("  bcconn use --unset   # {}", "word ".repeat(20)));
        assert!(long.starts_with("  # word") && long.lines().all(|l| width(l) <= WIDTH));
        assert_eq!(
            got,
            "Examples:\n  # no questions\n  bcconn create shop --store-hash abc123 \\\n      \
             --iclient my-app --scopes store_v2_orders --yes\n  # all\n  bcconn list\n\nMore."
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
