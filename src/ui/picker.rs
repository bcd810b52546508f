//! The multi-select behind [`super::Terminal::multi_select`] (the scope
//! picker), drawn with crossterm on stderr.
//!
//! inquire's MultiSelect did not fit a list of 56 scopes: its filter matches
//! letters scattered anywhere in a row (`orders` kept Customers rows), its →
//! replaced the selection with the rows shown (hidden ticks were lost) and
//! its ← cleared hidden rows too, and the count appeared only once answered.
//! Here the filter matches words, → and ← act on the rows shown only, and
//! the count is on screen after every key.
//!
//! The state ([`Picker`]) and what it looks like ([`Picker::frame`]) are
//! pure, so they are tested without a terminal; [`run`] only carries keys in
//! and frames out.

mod term;

use super::{BOLD, DIM, GREEN, RED, RESET, display_width};

pub use term::run;

pub(super) const CYAN: &str = "\x1b[36m";

/// Rows shown at once, at most (fewer on a short terminal).
const PAGE: usize = 12;
/// Lines other than rows: the prompt, an error, the count, the help. The
/// help may take more on a narrow terminal; [`page_for`] leaves room for it.
const CHROME: usize = 4;

/// Characters that end a word, in option text and in the filter alike, so
/// `store_v2_orders`, `read-only` and `Orders — modify` all break into words
/// and a filter typed as `v2_prod` or `v2-prod` means the same as `v2 prod`.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '_' | '-' | '/' | '(' | ')' | '—' | '–' | ',')
}

/// The lower-case words of `text`.
pub fn words(text: &str) -> Vec<String> {
    text.split(is_separator)
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether a row with `row_words` is shown for `filter_words`: every filter
/// word starts some word of the row. Prefixes of words, not substrings, so
/// `orders` finds "Orders" and `store_v2_orders` but not "Customers".
fn shown_by(row_words: &[String], filter_words: &[String]) -> bool {
    filter_words
        .iter()
        .all(|f| row_words.iter().any(|w| w.starts_with(f.as_str())))
}

/// Whether the option text `option` is shown while `filter` is typed.
pub fn matches(option: &str, filter: &str) -> bool {
    shown_by(&words(option), &words(filter))
}

/// What a key asks of the picker (crossterm's events mapped by [`term::key_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// Space: tick or untick the row under the cursor.
    Toggle,
    /// →: tick every row shown.
    TickShown,
    /// ←: untick every row shown.
    UntickShown,
    /// A character of the filter.
    Type(char),
    Backspace,
    Accept,
    /// Esc: clears the filter when there is one, else goes back a step.
    Back,
    /// Ctrl-C: leave.
    Cancel,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still asking.
    Open,
    /// The ticked options' indexes, ascending.
    Accepted(Vec<usize>),
    /// Esc with no filter to clear.
    Back,
    Cancelled,
}

/// The picker's state: which options are ticked, the filter, the rows it
/// shows and where the cursor is among them.
pub struct Picker<'a> {
    options: &'a [String],
    /// Each option's words, split once.
    words: Vec<Vec<String>>,
    ticked: Vec<bool>,
    filter: String,
    /// Indexes into `options` of the rows shown, in option order.
    shown: Vec<usize>,
    /// Position in `shown` of the row under the cursor.
    cursor: usize,
    /// Position in `shown` of the first row drawn.
    top: usize,
    page: usize,
    empty_error: String,
    /// Shown under the list until the next key.
    error: Option<String>,
}

impl<'a> Picker<'a> {
    /// `selected` are ticked at the start; the cursor starts on the first of
    /// them, at the top of the page, so a preset shows what it ticked.
    pub fn new(options: &'a [String], selected: &[usize], empty_error: &str) -> Self {
        let mut ticked = vec![false; options.len()];
        for &i in selected {
            if let Some(t) = ticked.get_mut(i) {
                *t = true;
            }
        }
        let cursor = ticked.iter().position(|&t| t).unwrap_or(0);
        let mut picker = Picker {
            options,
            words: options.iter().map(|o| words(o)).collect(),
            ticked,
            filter: String::new(),
            shown: (0..options.len()).collect(),
            cursor,
            top: 0,
            page: PAGE,
            empty_error: empty_error.to_string(),
            error: None,
        };
        picker.top = cursor.min(picker.shown.len().saturating_sub(PAGE));
        picker
    }

    /// How many rows are drawn at once (the terminal's height may allow
    /// fewer than [`PAGE`]).
    pub fn set_page(&mut self, page: usize) {
        self.page = page.max(1);
        self.scroll();
    }

    /// How many options are ticked, shown or not.
    pub fn count(&self) -> usize {
        self.ticked.iter().filter(|&&t| t).count()
    }

    /// The ticked options' indexes, ascending.
    pub fn chosen(&self) -> Vec<usize> {
        (0..self.ticked.len()).filter(|&i| self.ticked[i]).collect()
    }

    /// Indexes into the options of the rows the filter shows.
    pub fn shown(&self) -> &[usize] {
        &self.shown
    }

    /// The option under the cursor, if any row is shown.
    pub fn current(&self) -> Option<usize> {
        self.shown.get(self.cursor).copied()
    }

    /// Ticks every row shown; hidden ticked rows stay ticked.
    pub fn tick_shown(&mut self) {
        for &i in &self.shown {
            self.ticked[i] = true;
        }
    }

    /// Unticks every row shown; hidden ticked rows stay ticked.
    pub fn untick_shown(&mut self) {
        for &i in &self.shown {
            self.ticked[i] = false;
        }
    }

    pub fn handle(&mut self, key: Key) -> Outcome {
        self.error = None;
        let last = self.shown.len().saturating_sub(1);
        match key {
            // ↑ and ↓ wrap around, as inquire's lists did.
            Key::Up => {
                self.cursor = if self.cursor == 0 {
                    last
                } else {
                    self.cursor - 1
                }
            }
            Key::Down => {
                self.cursor = if self.cursor >= last {
                    0
                } else {
                    self.cursor + 1
                }
            }
            Key::PageUp => self.cursor = self.cursor.saturating_sub(self.page),
            Key::PageDown => self.cursor = (self.cursor + self.page).min(last),
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = last,
            Key::Toggle => {
                if let Some(i) = self.current() {
                    self.ticked[i] = !self.ticked[i];
                }
            }
            Key::TickShown => self.tick_shown(),
            Key::UntickShown => self.untick_shown(),
            Key::Type(c) => {
                self.filter.push(c);
                self.refilter();
            }
            Key::Backspace => {
                if self.filter.pop().is_some() {
                    self.refilter();
                }
            }
            Key::Accept => {
                let chosen = self.chosen();
                if chosen.is_empty() {
                    self.error = Some(self.empty_error.clone());
                } else {
                    return Outcome::Accepted(chosen);
                }
            }
            // One Esc undoes the filter (all rows come back, ticks kept);
            // the next one leaves the picker.
            Key::Back if !self.filter.is_empty() => {
                self.filter.clear();
                self.refilter();
            }
            Key::Back => return Outcome::Back,
            Key::Cancel => return Outcome::Cancelled,
        }
        self.scroll();
        Outcome::Open
    }

    /// Recomputes the rows shown. The cursor stays on its option while that
    /// is still shown (so clearing the filter does not lose one's place),
    /// else goes to the first match.
    fn refilter(&mut self) {
        let current = self.current();
        let filter = words(&self.filter);
        self.shown = (0..self.options.len())
            .filter(|&i| shown_by(&self.words[i], &filter))
            .collect();
        self.cursor = current
            .and_then(|c| self.shown.iter().position(|&i| i == c))
            .unwrap_or(0);
    }

    /// Keeps the cursor on the page, and the page full when it can be.
    fn scroll(&mut self) {
        if self.cursor < self.top {
            self.top = self.cursor;
        } else if self.cursor >= self.top + self.page {
            self.top = self.cursor + 1 - self.page;
        }
        self.top = self.top.min(self.shown.len().saturating_sub(self.page));
    }

    /// "3 selected (of 56 rows) · filter: orders (2 shown)". Rows, since
    /// what a row stands for may be counted otherwise elsewhere (a preset
    /// of "34 scopes" ticks 34 of 56 rows: each scope's read-only level is
    /// a row of its own, which its modify scope includes).
    pub fn count_line(&self) -> String {
        let mut line = format!("{} selected (of {} rows)", self.count(), self.options.len());
        if !self.filter.is_empty() {
            line.push_str(&format!(
                " · filter: {} ({} shown)",
                self.filter,
                self.shown.len()
            ));
        }
        line
    }

    /// The widget as lines to draw, and the column of the text cursor on
    /// the first (the end of the filter). `width` is the terminal's (None
    /// when unknown): lines are cut to fit, since a line that wraps would
    /// throw off the redraw's line count.
    pub fn frame(&self, look: &Look) -> Frame {
        let fit = |line: Line| line.render(look.color, look.width);
        let mut lines = Vec::new();

        let mut prompt = Line::default();
        prompt.push(GREEN, super::field::OPEN);
        prompt.push("", format!(" {} ", look.message));
        let cursor_col = prompt.width() + display_width(&self.filter);
        prompt.push("", self.filter.clone());
        lines.push(fit(prompt));

        let end = (self.top + self.page).min(self.shown.len());
        for pos in self.top..end {
            let i = self.shown[pos];
            let at_cursor = pos == self.cursor;
            // inquire's marks for rows beyond the page: ^ above, v below.
            let mark = if at_cursor {
                ">"
            } else if pos == self.top && self.top > 0 {
                "^"
            } else if pos + 1 == end && end < self.shown.len() {
                "v"
            } else {
                " "
            };
            let mut row = Line::default();
            row.push(if at_cursor { CYAN } else { "" }, mark);
            row.push("", " ");
            if self.ticked[i] {
                row.push(GREEN, "[x]");
            } else {
                row.push("", "[ ]");
            }
            row.push("", " ");
            row.push(if at_cursor { CYAN } else { "" }, self.options[i].clone());
            lines.push(fit(row));
        }
        if self.shown.is_empty() {
            let mut row = Line::default();
            row.push(
                DIM,
                "  nothing matches the filter; Backspace edits it, Esc clears it",
            );
            lines.push(fit(row));
        }

        if let Some(error) = &self.error {
            let mut line = Line::default();
            line.push(RED, format!("# {error}"));
            lines.push(fit(line));
        }

        let mut count = Line::default();
        count.push(BOLD, self.count_line());
        lines.push(fit(count));

        for help in wrap_help(look.help, look.width) {
            let mut line = Line::default();
            line.push(CYAN, help);
            lines.push(fit(line));
        }

        Frame {
            lines,
            cursor_col: look
                .width
                .map_or(cursor_col, |w| cursor_col.min(w.saturating_sub(1))),
        }
    }
}

/// How the widget is drawn.
pub struct Look<'a> {
    pub message: &'a str,
    pub help: &'a str,
    pub color: bool,
    /// The terminal's width in columns, when known.
    pub width: Option<usize>,
}

/// One drawing of the widget.
#[derive(Debug)]
pub struct Frame {
    pub lines: Vec<String>,
    /// Where the text cursor goes on the first line.
    pub cursor_col: usize,
}

/// A line as styled pieces, so it is cut to width on its text, never
/// inside an escape sequence.
#[derive(Default)]
struct Line(Vec<(&'static str, String)>);

impl Line {
    fn push(&mut self, style: &'static str, text: impl Into<String>) {
        self.0.push((style, text.into()));
    }

    fn width(&self) -> usize {
        self.0.iter().map(|(_, t)| display_width(t)).sum()
    }

    /// The text, coloured when `color`, cut with an ellipsis to leave the
    /// last column free (a full line would wrap on some terminals).
    fn render(&self, color: bool, width: Option<usize>) -> String {
        let limit = match width {
            Some(w) if self.width() >= w => w.saturating_sub(2),
            _ => usize::MAX,
        };
        let mut out = String::new();
        let mut used = 0;
        let mut cut = false;
        for (style, text) in &self.0 {
            let mut piece = String::new();
            for c in text.chars() {
                let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if used + w > limit {
                    cut = true;
                    break;
                }
                used += w;
                piece.push(c);
            }
            if color && !style.is_empty() && !piece.is_empty() {
                out.push_str(&format!("{style}{piece}{RESET}"));
            } else {
                out.push_str(&piece);
            }
            if cut {
                out.push('…');
                break;
            }
        }
        out
    }
}

/// The help in brackets, as inquire shows it, broken between its
/// comma-separated items to fit `width` (never inside one, so "→ selects
/// all" stays whole).
fn wrap_help(help: &str, width: Option<usize>) -> Vec<String> {
    let text = format!("[{help}]");
    let Some(width) = width else {
        return vec![text];
    };
    let max = width.saturating_sub(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let items: Vec<&str> = text.split(", ").collect();
    for (n, item) in items.iter().enumerate() {
        let piece = if n + 1 < items.len() {
            format!("{item},")
        } else {
            (*item).to_string()
        };
        if !line.is_empty() && display_width(&line) + 1 + display_width(&piece) > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    lines.push(line);
    lines
}

/// Rows per page for a terminal `height` rows high (None when unknown):
/// at most [`PAGE`], leaving room for the other lines and the line above.
fn page_for(height: Option<usize>, help_lines: usize) -> usize {
    match height {
        Some(h) => h
            .saturating_sub(CHROME + help_lines.saturating_sub(1) + 1)
            .clamp(1, PAGE),
        None => PAGE,
    }
}

#[cfg(test)]
mod tests;
