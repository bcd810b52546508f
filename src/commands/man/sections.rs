//! A man page as the sections a reader looks for: clap_mangen's title,
//! name, description and options, with bcconn's own SYNOPSIS (value names
//! kept), EXAMPLES as literal lines, and on bcconn(1) ENVIRONMENT, FILES
//! and EXIT STATUS, each from the table the code itself uses.

use std::io::Write;

use crate::commands::cli::exit_statuses;
use crate::env::VARIABLES;

use super::files::FILES;
use super::synopsis::synopsis;

/// Renders the page of `cmd` (a built command; `top` for bcconn(1)).
pub fn render(cmd: clap::Command, top: bool) -> std::io::Result<Vec<u8>> {
    let after = cmd
        .get_after_long_help()
        .or_else(|| cmd.get_after_help())
        .map(|t| t.to_string())
        .unwrap_or_default();
    let usage = synopsis(&cmd);
    let cmd = cmd.after_help(None::<&str>).after_long_help(None::<&str>);
    let has_args = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subs = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let has_version = cmd.get_version().is_some();
    let man = clap_mangen::Man::new(cmd)
        .manual("bcconn")
        .source(concat!("bcconn ", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    // Names like BCCONN_HOME and flags are never hyphenated.
    writeln!(out, ".nh\n.ad l")?;
    man.render_name_section(&mut out)?;
    // Each word kept whole (`[--store-hash HASH|URL]` never split at its
    // space), the command's name in bold.
    let (name, words) = usage;
    let words: Vec<String> = words.iter().map(|w| roff(w).replace(' ', "\\ ")).collect();
    writeln!(
        out,
        ".SH SYNOPSIS\n\\fB{}\\fR {}",
        roff(&name),
        words.join(" ")
    )?;
    man.render_description_section(&mut out)?;
    if has_args {
        man.render_options_section(&mut out)?;
    }
    if has_subs {
        man.render_subcommands_section(&mut out)?;
    }
    let (examples, notes) = split_examples(&after);
    if !examples.is_empty() {
        writeln!(out, ".SH EXAMPLES\n.PP\n.nf\n.RS 2")?;
        for line in &examples {
            writeln!(out, "{}", roff(line))?;
        }
        writeln!(out, ".RE\n.fi")?;
    }
    if !notes.is_empty() {
        writeln!(out, ".SH NOTES")?;
        for para in &notes {
            writeln!(out, ".PP\n{}", roff(para))?;
        }
    }
    if top {
        writeln!(out, ".SH ENVIRONMENT")?;
        for v in VARIABLES {
            writeln!(out, ".TP\n.B {}\n{}", roff(v.name), roff(v.what))?;
        }
        writeln!(out, ".SH FILES")?;
        for (path, what) in FILES {
            writeln!(out, ".TP\n.I {}\n{}", roff(path), roff(what))?;
        }
        writeln!(out, ".SH \"EXIT STATUS\"")?;
        for (code, what) in exit_statuses() {
            writeln!(out, ".TP\n.B {}\n{}", roff(&code), roff(what))?;
        }
    } else {
        writeln!(out, ".SH \"SEE ALSO\"\n.BR bcconn (1)")?;
    }
    if has_version {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// The example lines (those under `Examples:`), and the other paragraphs.
fn split_examples(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut examples, mut notes) = (Vec::new(), Vec::new());
    let mut in_examples = false;
    let mut para = String::new();
    for line in text.lines() {
        let header = line.starts_with("Example") && line.trim_end().ends_with(':');
        if header || (in_examples && line.starts_with("  ")) {
            in_examples = true;
            if !header {
                examples.push(line[2..].to_string());
            }
            continue;
        }
        in_examples = false;
        if line.trim().is_empty() {
            notes.extend((!para.is_empty()).then(|| std::mem::take(&mut para)));
        } else {
            if !para.is_empty() {
                para.push(' ');
            }
            para.push_str(line.trim());
        }
    }
    notes.extend((!para.is_empty()).then_some(para));
    (examples, notes)
}

/// Text as roff reads it literally: `\` and `-` escaped, and a line never
/// starting with a control character.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
