//! The text and secret prompts behind [`super::Terminal`]: a
//! [`super::line::Editor`] drawn on one row of stderr, with its error and
//! help below, in the look of the other prompts (inquire's select and
//! confirm, our scope picker).
//!
//! [`Field`] (state, answers, frames) is pure and tested without a
//! terminal; [`ask`] only carries keys in and frames out.

use std::io::Write;

use crossterm::event::{self, Event};
use secrecy::zeroize::Zeroizing;

use super::line::{Action, Editor, Key, LINE_MAX, key_of, view};
use super::picker::CYAN;
use super::screen::{RawMode, Screen, failed, size};
use super::{DIM, GREEN, RED, RESET, display_width, ellipsize};
use crate::seams::{Step, Stop};

/// The mark of a question still open.
pub const OPEN: &str = "?";
/// The mark of an answered question, left on the screen: not `?`, so that
/// without colour an answered question does not look like an open one.
pub const ANSWERED: &str = "✔";

/// The columns a question's text may leave to the line at least (its
/// text is cut before the line gets narrower than this).
const MIN_ROOM: usize = 16;

/// One line-input question.
pub struct Question<'a> {
    pub message: &'a str,
    pub help: Option<&'a str>,
    /// Taken, unchecked, when the line is submitted empty.
    pub default: Option<&'a str>,
    /// In the line when the question opens; checked like anything typed.
    pub initial: Option<&'a str>,
    /// Nothing typed is drawn, and the answer is shown as `(hidden)`.
    pub hidden: bool,
    pub check: &'a dyn Fn(&str) -> Result<(), String>,
}

/// How a question ended. The answer may be a secret: it is in a buffer
/// wiped when it is dropped, and left out of the Debug form.
#[derive(PartialEq, Eq)]
pub enum Outcome {
    Open,
    Answered(Zeroizing<String>),
    Back,
    Cancelled,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Open => f.write_str("Open"),
            Outcome::Answered(a) => write!(f, "Answered({} bytes)", a.len()),
            Outcome::Back => f.write_str("Back"),
            Outcome::Cancelled => f.write_str("Cancelled"),
        }
    }
}

/// A question being answered.
pub struct Field<'a> {
    q: &'a Question<'a>,
    editor: Editor,
    /// The check's complaint about the last line submitted, until the next.
    error: Option<String>,
    /// Where the view of a long line starts (see [`view`]).
    left: usize,
}

/// A frame to draw: its lines, and the text cursor's column on the first
/// (the line being edited).
#[derive(Debug)]
pub struct Frame {
    pub lines: Vec<String>,
    pub col: usize,
}

impl<'a> Field<'a> {
    pub fn new(q: &'a Question<'a>) -> Self {
        Field {
            q,
            editor: Editor::new(q.initial.unwrap_or("")),
            error: None,
            left: 0,
        }
    }

    #[cfg(test)]
    pub fn text(&self) -> &str {
        self.editor.text()
    }

    /// Text arriving at once (a bracketed paste): typed, never submitted.
    /// A paste of several lines is refused: joined, two values copied at
    /// once (an id and its secret) would be saved as one without a sign.
    /// A line break at either end (a whole copied line) is dropped.
    pub fn paste(&mut self, text: &str) {
        let text = text.trim_matches(['\r', '\n']);
        if text.contains(['\r', '\n']) {
            self.error = Some(
                "the paste held more than one line and was left out; paste one value".to_string(),
            );
            return;
        }
        self.error = None;
        self.editor.insert(text);
    }

    pub fn handle(&mut self, key: Key) -> Outcome {
        match self.editor.handle(key) {
            Action::Open => Outcome::Open,
            Action::Back => Outcome::Back,
            Action::Cancel => Outcome::Cancelled,
            Action::Submit => {
                let text = self.editor.text();
                if let (true, Some(default)) = (text.is_empty(), self.q.default) {
                    return Outcome::Answered(Zeroizing::new(default.to_string()));
                }
                match (self.q.check)(text) {
                    // The one copy, into a buffer as wiped as the editor's.
                    Ok(()) => Outcome::Answered(Zeroizing::new(text.to_string())),
                    Err(e) => {
                        self.error = Some(e);
                        Outcome::Open
                    }
                }
            }
        }
    }

    /// The question drawn `width` columns wide (None: unknown, nothing is
    /// cut). The line being edited fits in `width - 1` columns, scrolled
    /// sideways; the error and help below are left to the terminal to wrap.
    pub fn frame(&mut self, color: bool, width: Option<usize>) -> Frame {
        let paint = |style: &str, text: &str| {
            if color && !text.is_empty() {
                format!("{style}{text}{RESET}")
            } else {
                text.to_string()
            }
        };
        let usable = width.map(|w| w.saturating_sub(1).max(1));
        let mut message = format!("{} ", self.q.message);
        let mut default = self
            .q
            .default
            .map(|d| format!("({d}) "))
            .unwrap_or_default();
        let mut room = usize::MAX;
        if let Some(w) = usable {
            let most = w.saturating_sub(2 + MIN_ROOM.min(w / 2));
            if display_width(&message) + display_width(&default) > most {
                // A question too long for the row is cut, not the line typed.
                let whole = format!("{message}{default}");
                message = format!("{} ", ellipsize(whole.trim_end(), most.saturating_sub(1)));
                default.clear();
            }
            room = w.saturating_sub(2 + display_width(&message) + display_width(&default));
        }
        let (shown, cursor_col) = if self.q.hidden {
            (String::new(), 0)
        } else {
            let v = view(
                self.editor.text(),
                self.editor.cursor(),
                &mut self.left,
                room,
            );
            (v.text, v.cursor_col)
        };
        let mut lines = vec![format!(
            "{} {message}{}{shown}",
            paint(GREEN, OPEN),
            paint(DIM, &default)
        )];
        let col = 2 + display_width(&message) + display_width(&default) + cursor_col;
        if let Some(error) = &self.error {
            lines.push(paint(RED, &format!("# {error}")));
        }
        if self.editor.was_cut() {
            lines.push(paint(
                RED,
                &format!(
                    "# cut at {} KiB, the most a line holds; the rest was left out",
                    LINE_MAX / 1024
                ),
            ));
        }
        if let Some(help) = self.q.help {
            lines.push(paint(CYAN, &format!("[{help}]")));
        }
        Frame { lines, col }
    }
}

/// The line left on the screen when a question closes: the answered mark
/// and the answer, or the open mark and `<canceled>` when it was left.
pub fn closing_line(color: bool, message: &str, answer: Option<&str>) -> String {
    match (color, answer) {
        (true, Some(a)) => format!("{GREEN}{ANSWERED}{RESET} {message} {CYAN}{a}{RESET}"),
        (false, Some(a)) => format!("{ANSWERED} {message} {a}"),
        (true, None) => format!("{GREEN}{OPEN}{RESET} {message} {RED}<canceled>{RESET}"),
        (false, None) => format!("{OPEN} {message} <canceled>"),
    }
}

/// Asks `q` on the terminal until it is answered, or left with Esc
/// ([`Stop::Back`]) or Ctrl-C ([`Stop::Cancelled`]). The answer comes in a
/// buffer wiped when it is dropped (it may be a secret).
pub fn ask(color: bool, q: &Question) -> Step<Zeroizing<String>> {
    let mut field = Field::new(q);
    let mut screen = Screen::default();
    let raw = RawMode::enter().map_err(failed)?;
    let outcome = drive(&mut field, &mut screen, color);
    // Erase and restore whatever happened; a failure to erase matters less
    // than the one that ended the loop.
    let erased = screen.erase();
    drop(raw);
    let outcome = outcome.map_err(failed)?;
    erased.map_err(failed)?;
    let shown = match &outcome {
        Outcome::Answered(_) if q.hidden => Some("(hidden)"),
        Outcome::Answered(a) => Some(a.as_str()),
        _ => None,
    };
    let line = closing_line(color, q.message, shown);
    writeln!(super::stderr(), "{line}").map_err(failed)?;
    match outcome {
        Outcome::Answered(a) => Ok(a),
        Outcome::Back => Err(Stop::Back),
        _ => Err(Stop::Cancelled),
    }
}

fn drive(field: &mut Field, screen: &mut Screen, color: bool) -> std::io::Result<Outcome> {
    let (mut width, _) = size();
    loop {
        let frame = field.frame(color, width);
        screen.draw(&frame.lines, width, 0, frame.col)?;
        match event::read()? {
            Event::Key(ev) => {
                if let Some(key) = key_of(&ev) {
                    match field.handle(key) {
                        Outcome::Open => {}
                        done => return Ok(done),
                    }
                }
            }
            Event::Paste(text) => {
                // A pasted secret: wiped once it is in the editor's buffer.
                let text = Zeroizing::new(text);
                field.paste(&text);
            }
            Event::Resize(..) => (width, _) = size(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
