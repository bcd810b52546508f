//! Output: stdout is data, stderr is status.
//!
//! Status lines, warnings and errors go to stderr, coloured only when stderr is
//! a terminal and `NO_COLOR` is unset. Tables and JSON go to stdout.

mod prompt;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::time::Duration;

pub use prompt::Terminal;

use crate::seams::Progress;

pub struct Ui {
    color: bool,
    /// The spinner of a wait, while one runs (only when stderr is a terminal).
    spinner: RefCell<Option<indicatif::ProgressBar>>,
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl Ui {
    pub fn new(color: bool) -> Ui {
        Ui {
            color,
            spinner: RefCell::new(None),
        }
    }

    pub fn color(&self) -> bool {
        self.color
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint(BOLD, text)
    }

    /// A completed step: "✓ Code exchanged".
    pub fn step(&self, text: &str) {
        self.line(&format!("{} {text}", self.paint(GREEN, "✓")));
    }

    /// Plain status on stderr.
    pub fn say(&self, text: &str) {
        self.line(text);
    }

    pub fn warn(&self, text: &str) {
        self.line(&format!("{} {text}", self.paint(YELLOW, "warning:")));
    }

    /// A line on stderr, without a running spinner drawing over it.
    fn line(&self, text: &str) {
        match self.spinner.borrow().as_ref() {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    pub fn error(&self, message: &str, hint: Option<&str>) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{} {message}", self.paint(RED, "error:"));
        if let Some(hint) = hint {
            let _ = writeln!(err, "{} {hint}", self.paint(DIM, "hint:"));
        }
    }
}

impl Progress for Ui {
    fn step(&self, text: &str) {
        Ui::step(self, text);
    }

    fn say(&self, text: &str) {
        Ui::say(self, text);
    }

    fn warn(&self, text: &str) {
        Ui::warn(self, text);
    }

    fn waiting(&self, what: &str, left: Duration) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let mut spinner = self.spinner.borrow_mut();
        let bar = spinner.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
                // Without colour, plain ASCII frames.
                bar.set_style(if self.color {
                    style
                } else {
                    style.tick_chars("-\\|/ ")
                });
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let s = left.as_secs();
        bar.set_message(format!(
            "{what}… {}:{:02} left (Ctrl-C to stop)",
            s / 60,
            s % 60
        ));
    }

    fn done_waiting(&self) {
        if let Some(bar) = self.spinner.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

/// Writes data to stdout; a closed pipe (`bcconn list | head -1`) is not an error.
pub fn out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

pub use crate::text::shell_word;

/// "key   value" lines.
pub fn kv(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
    rows.iter()
        .map(|r| format!("{:width$}  {}\n", r[0], r[1]))
        .collect()
}

/// Pretty JSON with a trailing newline, on stdout.
pub fn out_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    out(&text)
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(cell));
        }
    }
    let mut text = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, cell) in cells.enumerate() {
            if i + 1 < widths.len() {
                l.push_str(cell);
                l.extend(std::iter::repeat_n(' ', widths[i] - width(cell) + 2));
            } else {
                l.push_str(cell);
            }
        }
        text.push_str(l.trim_end());
        text.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &["NAME", "STATE"],
            &[
                vec!["a-long-name".into(), "ok".into()],
                vec!["b".into(), "pending".into()],
            ],
        );
        assert_eq!(
            t,
            "NAME         STATE\na-long-name  ok\nb            pending\n"
        );
    }

    #[test]
    fn no_colour_means_plain_text() {
        assert_eq!(Ui::new(false).bold("x"), "x");
        assert_eq!(Ui::new(true).bold("x"), "\x1b[1mx\x1b[0m");
    }
}
