//! Output: stdout is data, stderr is status.
//!
//! Status lines, warnings and errors go to stderr, coloured only when stderr is
//! a terminal and `NO_COLOR` is unset. Tables and JSON go to stdout.

pub mod escape;
mod field;
mod line;
pub mod picker;
mod prompt;
mod screen;
pub mod table;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::time::Duration;

pub use prompt::Terminal;
pub use screen::put_back_the_terminal_on_panic;
pub use table::{
    Column, Paint, Table, display_width, ellipsize, fit_widths, hang, kv, kv_fit, push_table_line,
    table, table_line, wrap_text,
};

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

    /// `error: message`, then the hints: the first after `hint:`, the
    /// others aligned under it.
    pub fn error(&self, message: &str, hints: &[String]) {
        let mut err = stderr().lock();
        let _ = writeln!(err, "{} {message}", self.paint(RED, "error:"));
        for (i, hint) in hints.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(err, "{} {hint}", self.paint(DIM, "hint:"));
            } else {
                let _ = writeln!(err, "{:width$} {hint}", "", width = "hint:".len());
            }
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
        if !stderr().is_terminal() {
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

/// The process's stdout: ui/ and commands/ are where the terminal is
/// written (clippy.toml), and they reach it through here.
#[allow(clippy::disallowed_methods)]
pub fn stdout() -> std::io::Stdout {
    std::io::stdout()
}

/// The process's stderr, as [`stdout`].
#[allow(clippy::disallowed_methods)]
pub fn stderr() -> std::io::Stderr {
    std::io::stderr()
}

/// Writes data to stdout. A closed pipe (`bcconn status | head -0`) means
/// nothing more is wanted there: the command goes on to its own end, its
/// records kept and its exit status its own.
pub fn out(text: &str) -> anyhow::Result<()> {
    match out_bytes(text.as_bytes()) {
        Err(e) if e.is::<crate::error::StdoutClosed>() => Ok(()),
        other => other,
    }
}

/// Bytes on stdout; a closed pipe is [`crate::error::StdoutClosed`] (see
/// [`stdout_error`]), for a writer that stops there.
pub fn out_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|_| stdout.flush())
        .map_err(stdout_error)
}

/// Buffered stdout for a command that writes much. It remembers whether
/// the reader went away, so whatever wraps a write error on its way up (the
/// store's row walk does) the run ends as [`stdout_error`] says.
pub struct Stdout {
    inner: std::io::BufWriter<std::io::StdoutLock<'static>>,
    closed: bool,
}

impl Stdout {
    pub fn new(capacity: usize) -> Self {
        Stdout {
            inner: std::io::BufWriter::with_capacity(capacity, stdout().lock()),
            closed: false,
        }
    }

    /// The result of writing, with the buffer flushed.
    pub fn finish(mut self, written: anyhow::Result<()>) -> anyhow::Result<()> {
        let written = written.and_then(|()| self.flush().map_err(stdout_error));
        if self.closed {
            return Err(crate::error::StdoutClosed.into());
        }
        written
    }

    fn seen(&mut self, e: std::io::Error) -> std::io::Error {
        self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        e
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).map_err(|e| self.seen(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().map_err(|e| self.seen(e))
    }
}

/// The one place a failed write to stdout is judged: a closed pipe is not
/// bcconn's failure ([`crate::error::StdoutClosed`], exit status 0), any
/// other error is.
pub fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        crate::error::StdoutClosed.into()
    } else {
        e.into()
    }
}

pub use crate::text::shell_word;

/// Pretty JSON with a trailing newline, on stdout.
pub fn out_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    out(&text)
}

impl Ui {
    /// The width stdout's tables fit: the terminal's, else `COLUMNS`; none
    /// with `--wide` (or when neither is known: a pipe gets everything).
    pub fn table_width(&self, columns: Option<usize>, wide: bool) -> Option<usize> {
        if wide {
            return None;
        }
        if stdout().is_terminal() {
            // A pseudo-terminal nobody sized says 0 columns: not a width.
            return terminal_size::terminal_size()
                .map(|(w, _)| usize::from(w.0))
                .filter(|&w| w > 0)
                .or(columns);
        }
        columns
    }

    /// Whether stdout's tables may be coloured (a terminal, NO_COLOR unset).
    pub fn stdout_color(no_color: bool) -> bool {
        !no_color && stdout().is_terminal()
    }
}

/// `text` in an ANSI `style` (one of [`verdict_color`]'s, [`state_color`]'s).
pub fn painted(style: &str, text: &str) -> String {
    format!("{style}{text}{RESET}")
}

/// The colour of a check's verdict (`status`, `doctor`): green when it
/// is ok, yellow when it asks for a step (not yet authorized, superseded,
/// a warning), red when something failed.
pub fn verdict_color(verdict: &str) -> Option<&'static str> {
    match verdict {
        "ok" => Some(GREEN),
        "warn" | "not authorized" | "superseded" | "pending" => Some(YELLOW),
        "" => None,
        _ => Some(RED),
    }
}

/// The colour of a connection state that needs attention, if it does.
pub fn state_color(state: &str) -> Option<&'static str> {
    match state {
        "failed" | "invalid" => Some(RED),
        "superseded" | "pending" => Some(YELLOW),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_colour_means_plain_text() {
        assert_eq!(Ui::new(false).bold("x"), "x");
        assert_eq!(Ui::new(true).bold("x"), "\x1b[1mx\x1b[0m");
    }
}
