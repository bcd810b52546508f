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
    Table::new(header, rows).render()
}

/// Gives a cell's ANSI style from its column and text, or none.
pub type Paint<'a> = &'a dyn Fn(usize, &str) -> Option<&'static str>;

/// A table that can fit a width and colour some cells.
pub struct Table<'a> {
    header: &'a [&'a str],
    rows: &'a [Vec<String>],
    width: Option<usize>,
    paint: Option<Paint<'a>>,
}

/// How wide a string is on a terminal: wide (CJK) characters take two
/// columns, combining marks none.
pub fn display_width(s: &str) -> usize {
    // Printable ASCII is one column a byte: the common case, measured
    // without decoding (a 100,000-row table measures 700,000 cells).
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.len();
    }
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` columns, with an ellipsis when it was cut.
pub fn ellipsize(s: &str, max: usize) -> String {
    if display_width(s) <= max {
        return s.to_string();
    }
    // Measured as a whole each time: some sequences (an emoji with its
    // variation selector) are wider than the sum of their characters.
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if display_width(&out) > max.saturating_sub(1) {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

impl<'a> Table<'a> {
    pub fn new(header: &'a [&'a str], rows: &'a [Vec<String>]) -> Self {
        Table {
            header,
            rows,
            width: None,
            paint: None,
        }
    }

    /// Fit `width` columns (None: no limit) by shortening the widest
    /// columns, never below their header (or 6 columns).
    pub fn fit(mut self, width: Option<usize>) -> Self {
        self.width = width;
        self
    }

    /// Colours cells: `paint(column, text)` gives an ANSI style or None.
    pub fn paint(mut self, paint: Paint<'a>) -> Self {
        self.paint = Some(paint);
        self
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| display_width(h)).collect();
        for row in self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(display_width(cell));
            }
        }
        fit_widths(self.header, &mut widths, self.width);
        let mut text = table_line(self.header, &widths, None);
        for row in self.rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            text.push_str(&table_line(&cells, &widths, self.paint));
        }
        text
    }
}

/// Shortens the widest of `widths` (the columns' natural widths, header
/// included) until the row fits `limit` columns, never below a header
/// (or 6). A table streamed row by row measures in one pass, fits, then
/// writes each [`table_line`].
pub fn fit_widths(header: &[&str], widths: &mut [usize], limit: Option<usize>) {
    let Some(limit) = limit else {
        return;
    };
    let n = header.len();
    let floor: Vec<usize> = header.iter().map(|h| display_width(h).max(6)).collect();
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * n.saturating_sub(1);
    while total(widths) > limit {
        let widest = (0..n)
            .filter(|&i| widths[i] > floor[i])
            .max_by_key(|&i| (widths[i], i));
        match widest {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
}

/// One line of a table: each cell cut to its width, padded, and painted
/// (`paint`: body rows only), ending in a newline.
pub fn table_line(cells: &[&str], widths: &[usize], paint: Option<Paint<'_>>) -> String {
    let mut line = String::new();
    push_table_line(&mut line, cells, widths, paint);
    line
}

/// [`table_line`] appended to `out` (a buffer reused for every line of a
/// long table: no allocation per cell unless one is cut).
pub fn push_table_line(
    out: &mut String,
    cells: &[&str],
    widths: &[usize],
    paint: Option<Paint<'_>>,
) {
    let n = cells.len();
    let start = out.len();
    for (i, cell) in cells.iter().enumerate() {
        let width = display_width(cell);
        let cut;
        let (cell, width) = if width <= widths[i] {
            (*cell, width)
        } else {
            cut = ellipsize(cell, widths[i]);
            (cut.as_str(), display_width(&cut))
        };
        match paint.and_then(|p| p(i, cell)) {
            Some(style) => {
                out.push_str(style);
                out.push_str(cell);
                out.push_str(RESET);
            }
            None => out.push_str(cell),
        }
        if i + 1 < n {
            let pad = widths[i].saturating_sub(width) + 2;
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
    let end = out[start..].trim_end().len() + start;
    out.truncate(end);
    out.push('\n');
}

impl Ui {
    /// The width stdout's tables fit: the terminal's, else `COLUMNS`; none
    /// with `--wide` (or when neither is known: a pipe gets everything).
    pub fn table_width(&self, columns: Option<usize>, wide: bool) -> Option<usize> {
        if wide {
            return None;
        }
        if stdout().is_terminal() {
            return terminal_size::terminal_size()
                .map(|(w, _)| usize::from(w.0))
                .or(columns);
        }
        columns
    }

    /// Whether stdout's tables may be coloured (a terminal, NO_COLOR unset).
    pub fn stdout_color(no_color: bool) -> bool {
        !no_color && stdout().is_terminal()
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
    fn tables_fit_a_width_by_shortening_the_widest_column() {
        let rows = vec![
            vec![
                "a-very-long-connection-name-indeed".into(),
                "abc123".into(),
                "authorized".into(),
            ],
            vec![
                "東京ストア本店のテスト接続".into(),
                "def456".into(),
                "pending".into(),
            ],
        ];
        let t = Table::new(&["NAME", "STORE", "STATE"], &rows)
            .fit(Some(30))
            .render();
        for line in t.lines() {
            assert!(
                display_width(line) <= 30,
                "{line:?} is {} wide",
                display_width(line)
            );
        }
        assert!(t.contains('…'), "{t}");
        assert!(
            t.contains("abc123") && t.contains("authorized"),
            "short columns kept: {t}"
        );
        // Unlimited: everything, in full.
        let full = Table::new(&["NAME", "STORE", "STATE"], &rows).render();
        assert!(full.contains("a-very-long-connection-name-indeed"));
        assert!(full.contains("東京ストア本店のテスト接続"));
    }

    #[test]
    fn widths_are_measured_in_terminal_columns() {
        assert_eq!(display_width("東京"), 4);
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(ellipsize("東京ストア", 5), "東京…");
        assert_eq!(display_width(&ellipsize("東京ストア", 5)), 5);
        assert_eq!(ellipsize("short", 10), "short");
        // An emoji with its variation selector is two columns, not one.
        let hearts = "❤\u{fe0f}".repeat(10);
        for max in 1..12 {
            assert!(
                display_width(&ellipsize(&hearts, max)) <= max.max(1),
                "{max}"
            );
        }
        let rows = vec![vec![hearts.clone(), "x".into()]];
        let t = Table::new(&["NAME", "STATE"], &rows).fit(Some(14)).render();
        assert!(t.lines().all(|l| display_width(l) <= 14), "{t}");
    }

    #[test]
    fn no_colour_means_plain_text() {
        assert_eq!(Ui::new(false).bold("x"), "x");
        assert_eq!(Ui::new(true).bold("x"), "\x1b[1mx\x1b[0m");
    }
}
