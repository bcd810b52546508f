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

use std::io::{self, Write};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, ClearType};
use crossterm::{cursor, execute, queue};

use super::{BOLD, DIM, GREEN, RED, RESET, display_width};
use crate::seams::{Step, Stop};

const CYAN: &str = "\x1b[36m";

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

/// What a key asks of the picker (crossterm's events mapped by [`key_of`]).
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
    Cancel,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still asking.
    Open,
    /// The ticked options' indexes, ascending.
    Accepted(Vec<usize>),
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

    /// "3 selected (of 56) · filter: orders (2 shown)".
    pub fn count_line(&self) -> String {
        let mut line = format!("{} selected (of {})", self.count(), self.options.len());
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
        prompt.push(GREEN, "?");
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
            row.push(DIM, "  nothing matches the filter; Backspace edits it");
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

/// The key a terminal event stands for, if any.
fn key_of(ev: &KeyEvent) -> Option<Key> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let alt = ev.modifiers.contains(KeyModifiers::ALT);
    Some(match ev.code {
        // Raw mode turns Ctrl-C into a key, not a signal.
        KeyCode::Char('c' | 'C') if ctrl => Key::Cancel,
        KeyCode::Esc => Key::Cancel,
        KeyCode::Enter => Key::Accept,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Right => Key::TickShown,
        KeyCode::Left => Key::UntickShown,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Char(' ') => Key::Toggle,
        KeyCode::Char(c) if !ctrl && !alt && !c.is_control() => Key::Type(c),
        _ => return None,
    })
}

/// Raw mode and bracketed paste for as long as it lives: dropping it puts
/// the terminal back on every way out of [`run`].
struct RawMode;

impl RawMode {
    fn enter() -> io::Result<RawMode> {
        terminal::enable_raw_mode()?;
        // Bracketed paste, so a pasted line arrives as text for the filter
        // rather than as keys (its newline would accept).
        if let Err(e) = execute!(io::stderr(), event::EnableBracketedPaste) {
            let _ = terminal::disable_raw_mode();
            return Err(e);
        }
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = execute!(io::stderr(), event::DisableBracketedPaste, cursor::Show);
        let _ = terminal::disable_raw_mode();
    }
}

/// The terminal's size as (columns, rows), each None when unknown (a
/// pseudo-terminal may report 0).
fn size() -> (Option<usize>, Option<usize>) {
    let known = |n: u16| (n > 0).then_some(usize::from(n));
    match terminal::size() {
        Ok((w, h)) => (known(w), known(h)),
        Err(_) => (None, None),
    }
}

/// Draws frames in place on stderr. Between draws the text cursor rests on
/// the widget's first line, so each draw starts there.
struct Screen {
    drawn: bool,
}

impl Screen {
    fn draw(&mut self, frame: &Frame) -> io::Result<()> {
        // One write per frame, so the terminal never shows half of one.
        let mut buf: Vec<u8> = Vec::new();
        // The text cursor is hidden while it jumps around the frame.
        queue!(
            buf,
            cursor::Hide,
            cursor::MoveToColumn(0),
            terminal::Clear(ClearType::FromCursorDown)
        )?;
        // Raw mode: a line feed alone would not return to column 0.
        buf.extend_from_slice(frame.lines.join("\r\n").as_bytes());
        let up = frame.lines.len().saturating_sub(1);
        if up > 0 {
            queue!(buf, cursor::MoveUp(to_u16(up)))?;
        }
        queue!(
            buf,
            cursor::MoveToColumn(to_u16(frame.cursor_col)),
            cursor::Show
        )?;
        let mut err = io::stderr().lock();
        err.write_all(&buf)?;
        err.flush()?;
        self.drawn = true;
        Ok(())
    }

    /// Takes the widget off the screen.
    fn erase(&mut self) -> io::Result<()> {
        if !self.drawn {
            return Ok(());
        }
        let mut err = io::stderr().lock();
        queue!(
            err,
            cursor::MoveToColumn(0),
            terminal::Clear(ClearType::FromCursorDown)
        )?;
        err.flush()
    }
}

fn to_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn failed(e: io::Error) -> Stop {
    Stop::Failed(anyhow::Error::new(e).context("reading from the terminal"))
}

/// Reads keys and redraws until the person accepts or cancels.
fn drive(
    picker: &mut Picker,
    screen: &mut Screen,
    message: &str,
    help: &str,
    color: bool,
) -> io::Result<Outcome> {
    let (mut width, mut height) = size();
    loop {
        let look = Look {
            message,
            help,
            color,
            width,
        };
        picker.set_page(page_for(height, wrap_help(help, width).len()));
        screen.draw(&picker.frame(&look))?;
        let keys: Vec<Key> = match event::read()? {
            Event::Key(ev) => key_of(&ev).into_iter().collect(),
            // Pasted text only filters: its spaces separate words and its
            // control characters (a newline) do nothing.
            Event::Paste(text) => text
                .chars()
                .filter(|c| !c.is_control())
                .map(Key::Type)
                .collect(),
            Event::Resize(..) => {
                (width, height) = size();
                Vec::new()
            }
            _ => Vec::new(),
        };
        for key in keys {
            match picker.handle(key) {
                Outcome::Open => {}
                done => return Ok(done),
            }
        }
    }
}

/// Asks for some of `options` on the terminal; `selected` are ticked at the
/// start. Returns indexes, ascending. Leaves one line behind, as inquire's
/// prompts do: "? Scopes: 3 selected".
pub fn run(
    color: bool,
    message: &str,
    options: &[String],
    selected: &[usize],
    help: &str,
    empty_error: &str,
) -> Step<Vec<usize>> {
    let mut picker = Picker::new(options, selected, empty_error);
    let mut screen = Screen { drawn: false };
    let raw = RawMode::enter().map_err(failed)?;
    let outcome = drive(&mut picker, &mut screen, message, help, color);
    // Erase and restore whatever happened; a failure to erase matters less
    // than the one that ended the loop.
    let erased = screen.erase();
    drop(raw);
    let outcome = outcome.map_err(failed)?;
    erased.map_err(failed)?;
    let (accepted, answer) = match &outcome {
        Outcome::Accepted(chosen) => (true, format!("{} selected", chosen.len())),
        _ => (false, "<canceled>".to_string()),
    };
    // inquire's answered look: a green ">" when coloured, "?" when plain.
    let line = match (color, accepted) {
        (true, true) => format!("{GREEN}>{RESET} {message} {CYAN}{answer}{RESET}"),
        (true, false) => format!("{GREEN}?{RESET} {message} {RED}{answer}{RESET}"),
        (false, _) => format!("? {message} {answer}"),
    };
    writeln!(io::stderr(), "{line}").map_err(failed)?;
    match outcome {
        Outcome::Accepted(chosen) => Ok(chosen),
        _ => Err(Stop::Cancelled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    /// The scope picker's rows as the walk-through builds them
    /// (`wizard::view::scope_option`, private to the wizard): the store and
    /// token-creation scopes, "Label — level  (code)".
    fn scope_rows() -> Vec<String> {
        use crate::bigcommerce::scopes::{CATALOG, Group};
        CATALOG
            .iter()
            .filter(|s| matches!(s.group, Group::Store | Group::TokenCreation))
            .map(|s| format!("{}  ({})", s.display(), s.name))
            .collect()
    }

    fn shown_texts(rows: &[String], filter: &str) -> Vec<String> {
        rows.iter()
            .filter(|r| matches(r, filter))
            .cloned()
            .collect()
    }

    fn plain(width: Option<usize>) -> Look<'static> {
        Look {
            message: "Scopes:",
            help: "type to filter, space toggles, → selects all (shown), ← clears",
            color: false,
            width,
        }
    }

    #[test]
    fn words_split_labels_and_codes() {
        assert_eq!(
            words("Orders — read-only  (store_v2_orders_read_only)"),
            [
                "orders", "read", "only", "store", "v2", "orders", "read", "only"
            ]
        );
        assert_eq!(words("a/b,c–d"), ["a", "b", "c", "d"]);
        assert!(words("  — ").is_empty());
    }

    #[test]
    fn orders_shows_order_scopes_not_customers() {
        let rows = scope_rows();
        assert_eq!(
            shown_texts(&rows, "orders"),
            [
                "Orders — modify  (store_v2_orders)",
                "Orders — read-only  (store_v2_orders_read_only)"
            ]
        );
        // A substring inside a word is no match: "Customers" holds
        // o-r-d-e-r-s scattered, "ders" ends "orders".
        assert!(!matches(
            "Customers — modify  (store_v2_customers)",
            "orders"
        ));
        assert!(shown_texts(&rows, "ders").is_empty());
    }

    #[test]
    fn every_filter_word_must_start_a_word() {
        let rows = scope_rows();
        assert_eq!(
            shown_texts(&rows, "v2 prod"),
            [
                "Products — modify  (store_v2_products)",
                "Products — read-only  (store_v2_products_read_only)"
            ]
        );
        // Separators in the filter split it the same way (Space toggles in
        // the widget, so `_` or `-` is how one types two words there).
        assert_eq!(shown_texts(&rows, "v2_prod"), shown_texts(&rows, "v2 prod"));
        assert_eq!(
            shown_texts(&rows, "prod read"),
            ["Products — read-only  (store_v2_products_read_only)"]
        );
        // Word order does not matter; case does not either.
        assert_eq!(
            shown_texts(&rows, "ONLY Prod"),
            shown_texts(&rows, "prod read")
        );
        // The code typed whole, or part of it.
        assert_eq!(
            shown_texts(&rows, "store_v2_orders_read"),
            ["Orders — read-only  (store_v2_orders_read_only)"]
        );
        assert_eq!(
            shown_texts(&rows, "order").len(),
            6,
            "Order Fulfillment and Transactions too"
        );
        // Nothing typed: everything.
        assert_eq!(shown_texts(&rows, "").len(), rows.len());
        assert_eq!(shown_texts(&rows, " - ").len(), rows.len());
        assert!(shown_texts(&rows, "orders zzz").is_empty());
    }

    #[test]
    fn tick_shown_adds_to_the_selection() {
        let rows = scope_rows();
        let mut p = Picker::new(&rows, &[0], "none");
        for c in "orders".chars() {
            p.handle(Key::Type(c));
        }
        assert_eq!(p.shown().len(), 2);
        assert_eq!(p.handle(Key::TickShown), Outcome::Open);
        assert_eq!(p.count(), 3, "the hidden first row stays ticked");
        assert!(p.chosen().contains(&0));
        assert_eq!(
            p.count_line(),
            format!("3 selected (of {}) · filter: orders (2 shown)", rows.len())
        );
        // Clearing the filter keeps all three.
        for _ in 0..6 {
            p.handle(Key::Backspace);
        }
        assert_eq!(p.shown().len(), rows.len());
        assert_eq!(p.count_line(), format!("3 selected (of {})", rows.len()));
    }

    #[test]
    fn untick_shown_leaves_hidden_ticks_alone() {
        let rows = scope_rows();
        let orders = rows
            .iter()
            .position(|r| r.contains("(store_v2_orders)"))
            .unwrap();
        let mut p = Picker::new(&rows, &[0, orders], "none");
        for c in "orders".chars() {
            p.handle(Key::Type(c));
        }
        p.handle(Key::UntickShown);
        assert_eq!(p.chosen(), [0]);
        // With no filter, → and ← act on every row, as before.
        p.handle(Key::Backspace);
        for _ in 0..5 {
            p.handle(Key::Backspace);
        }
        p.handle(Key::TickShown);
        assert_eq!(p.count(), rows.len());
        p.handle(Key::UntickShown);
        assert_eq!(p.count(), 0);
    }

    #[test]
    fn space_toggles_the_row_under_the_cursor() {
        let o = opts(&["alpha", "beta", "gamma"]);
        let mut p = Picker::new(&o, &[], "none");
        p.handle(Key::Down);
        p.handle(Key::Toggle);
        assert_eq!(p.chosen(), [1]);
        p.handle(Key::Toggle);
        assert!(p.chosen().is_empty());
        // With nothing shown, Space does nothing.
        p.handle(Key::Type('z'));
        assert!(p.shown().is_empty());
        p.handle(Key::Toggle);
        p.handle(Key::TickShown);
        assert_eq!(p.count(), 0);
    }

    #[test]
    fn enter_with_nothing_ticked_is_refused_until_the_next_key() {
        let o = opts(&["alpha", "beta"]);
        let mut p = Picker::new(&o, &[], "choose at least one");
        assert_eq!(p.handle(Key::Accept), Outcome::Open);
        let frame = p.frame(&plain(None));
        assert!(
            frame.lines.contains(&"# choose at least one".to_string()),
            "{frame:?}"
        );
        p.handle(Key::Down);
        assert!(
            !p.frame(&plain(None))
                .lines
                .iter()
                .any(|l| l.starts_with('#'))
        );
        p.handle(Key::Toggle);
        p.handle(Key::Home);
        p.handle(Key::Toggle);
        assert_eq!(p.handle(Key::Accept), Outcome::Accepted(vec![0, 1]));
        assert_eq!(p.handle(Key::Cancel), Outcome::Cancelled);
    }

    #[test]
    fn the_cursor_starts_on_the_first_ticked_row_and_stays_on_the_page() {
        let o: Vec<String> = (0..30).map(|i| format!("row {i}")).collect();
        let mut p = Picker::new(&o, &[20, 7, 99], "none");
        assert_eq!(p.current(), Some(7));
        assert_eq!(p.chosen(), [7, 20], "an index out of range is ignored");
        let first_row = |p: &Picker| p.frame(&plain(None)).lines[1].clone();
        assert_eq!(
            first_row(&p),
            "> [x] row 7",
            "the preset's first tick at the top"
        );
        p.handle(Key::PageDown);
        assert_eq!(p.current(), Some(19));
        p.handle(Key::End);
        assert_eq!(p.current(), Some(29));
        let frame = p.frame(&plain(None));
        assert_eq!(frame.lines[1], "^ [ ] row 18");
        assert_eq!(frame.lines[12], "> [ ] row 29");
        // ↓ at the end wraps to the top, ↑ at the top to the end.
        p.handle(Key::Down);
        assert_eq!(p.current(), Some(0));
        let frame = p.frame(&plain(None));
        assert_eq!(frame.lines[1], "> [ ] row 0");
        assert_eq!(frame.lines[12], "v [ ] row 11");
        p.handle(Key::Up);
        assert_eq!(p.current(), Some(29));
        p.handle(Key::PageUp);
        assert_eq!(p.current(), Some(17));
        // A short terminal shows fewer rows, cursor still on the page.
        p.set_page(3);
        let frame = p.frame(&plain(None));
        assert_eq!(
            frame.lines[1..4],
            ["> [ ] row 17", "  [ ] row 18", "v [ ] row 19"]
        );
    }

    #[test]
    fn the_cursor_keeps_its_row_through_the_filter_when_it_can() {
        let o = opts(&["apple pie", "banana", "apple tart"]);
        let mut p = Picker::new(&o, &[2], "none");
        p.handle(Key::Type('a'));
        assert_eq!(p.current(), Some(2), "still shown: kept");
        p.handle(Key::Type('p'));
        p.handle(Key::Type('p'));
        p.handle(Key::Backspace);
        assert_eq!(p.current(), Some(2));
        p.handle(Key::Type('p'));
        p.handle(Key::Type(' '));
        p.handle(Key::Type('p'));
        assert_eq!(p.current(), Some(0), "hidden: the first match");
        assert_eq!(p.shown(), [0]);
    }

    #[test]
    fn a_plain_frame_has_no_escapes_and_always_the_count() {
        let rows = scope_rows();
        let mut p = Picker::new(&rows, &[], "none");
        for c in "orders".chars() {
            p.handle(Key::Type(c));
        }
        p.handle(Key::TickShown);
        p.handle(Key::Down);
        let frame = p.frame(&plain(None));
        let total = rows.len();
        assert_eq!(
            frame.lines,
            [
                "? Scopes: orders".to_string(),
                "  [x] Orders — modify  (store_v2_orders)".to_string(),
                "> [x] Orders — read-only  (store_v2_orders_read_only)".to_string(),
                format!("2 selected (of {total}) · filter: orders (2 shown)"),
                "[type to filter, space toggles, → selects all (shown), ← clears]".to_string(),
            ]
        );
        assert_eq!(frame.cursor_col, "? Scopes: orders".len());
        for c in "zz".chars() {
            p.handle(Key::Type(c));
        }
        let frame = p.frame(&plain(None));
        assert!(frame.lines[1].contains("nothing matches"), "{frame:?}");
        assert!(frame.lines[2].starts_with("2 selected"), "{frame:?}");
        assert!(!frame.lines.concat().contains('\x1b'));
        // Coloured, the same text with escapes around it.
        let look = Look {
            color: true,
            ..plain(None)
        };
        assert!(p.frame(&look).lines.concat().contains('\x1b'));
    }

    #[test]
    fn lines_fit_the_width_and_help_breaks_between_items() {
        let rows = scope_rows();
        let p = Picker::new(&rows, &[], "none");
        for width in [30, 50, 80] {
            for color in [false, true] {
                let look = Look {
                    color,
                    ..plain(Some(width))
                };
                let frame = p.frame(&look);
                for line in &frame.lines {
                    let text = strip(line);
                    assert!(display_width(&text) < width, "{text:?} at {width}");
                }
            }
        }
        let help = wrap_help(
            "type to filter, space toggles, → selects all (shown)",
            Some(30),
        );
        assert_eq!(
            help,
            [
                "[type to filter,",
                "space toggles,",
                "→ selects all (shown)]"
            ]
        );
        assert_eq!(wrap_help("a, b", None), ["[a, b]"]);
    }

    /// The text of a line without its colour escapes.
    fn strip(line: &str) -> String {
        let mut out = String::new();
        let mut in_escape = false;
        for c in line.chars() {
            match (in_escape, c) {
                (false, '\x1b') => in_escape = true,
                (true, 'm') => in_escape = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn page_leaves_room_for_the_other_lines() {
        assert_eq!(page_for(None, 1), PAGE);
        assert_eq!(page_for(Some(50), 1), PAGE);
        assert_eq!(page_for(Some(10), 1), 5);
        assert_eq!(page_for(Some(10), 3), 3);
        assert_eq!(page_for(Some(2), 1), 1);
    }

    #[test]
    fn keys_map_as_the_help_says() {
        let k = |code, modifiers| key_of(&KeyEvent::new(code, modifiers));
        let none = KeyModifiers::NONE;
        assert_eq!(k(KeyCode::Right, none), Some(Key::TickShown));
        assert_eq!(k(KeyCode::Left, none), Some(Key::UntickShown));
        assert_eq!(k(KeyCode::Char(' '), none), Some(Key::Toggle));
        assert_eq!(
            k(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Key::Cancel)
        );
        assert_eq!(k(KeyCode::Esc, none), Some(Key::Cancel));
        assert_eq!(
            k(KeyCode::Char('O'), KeyModifiers::SHIFT),
            Some(Key::Type('O'))
        );
        assert_eq!(k(KeyCode::Char('x'), KeyModifiers::ALT), None);
        assert_eq!(k(KeyCode::Tab, none), None);
    }
}
