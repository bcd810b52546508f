//! The editing part of our text and secret prompts: a line, a cursor, and
//! what each key does to them, as a shell's line editor does it. Pure (no
//! terminal), so every key is tested here; `super::field` draws it.
//!
//! inquire 0.9 turned Ctrl+letter into the letter (Ctrl-U typed a `u` into
//! a client secret), and its key handling cannot be changed from outside;
//! so the keys are ours.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use secrecy::zeroize::Zeroizing;
use unicode_segmentation::UnicodeSegmentation;

/// What a key asks of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character typed.
    Char(char),
    Left,
    Right,
    /// Home, Ctrl-A.
    Start,
    /// End, Ctrl-E.
    End,
    Backspace,
    /// Delete: the character under the cursor.
    Delete,
    /// Ctrl-U: everything before the cursor.
    ClearToStart,
    /// Ctrl-K: everything from the cursor on.
    ClearToEnd,
    /// Ctrl-W: the word before the cursor, and the spaces after it.
    DeleteWord,
    Enter,
    /// Esc.
    Back,
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-D: leaves on an empty line, else deletes forward (as a shell).
    EndOfInput,
}

/// What the line asks of its prompt after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Still editing.
    Open,
    /// Enter: check the line and answer with it.
    Submit,
    /// Esc: go back a step.
    Back,
    /// Ctrl-C, or Ctrl-D on an empty line: leave.
    Cancel,
}

/// The key a terminal event stands for. None for a release, and for every
/// control key and Alt-combination without a meaning here: those are
/// ignored, never typed (an unknown Ctrl+letter must not become the letter).
pub fn key_of(ev: &KeyEvent) -> Option<Key> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let alt = ev.modifiers.contains(KeyModifiers::ALT);
    // Windows reports AltGr as Ctrl+Alt with the character it makes (`@`,
    // `ł`): typed. A terminal sends Ctrl+Alt+letter as Esc and a control
    // byte, which is a letter here: ignored, as every Alt-combination.
    if let (true, true, KeyCode::Char(c)) = (ctrl, alt, ev.code)
        && !c.is_ascii_alphanumeric()
        && !c.is_control()
        && c != ' '
    {
        return Some(Key::Char(c));
    }
    if alt {
        return None;
    }
    Some(match ev.code {
        KeyCode::Char(c) if ctrl => match c.to_ascii_lowercase() {
            // Raw mode makes Ctrl-C a key, not a signal.
            'c' => Key::Interrupt,
            'd' => Key::EndOfInput,
            'a' => Key::Start,
            'e' => Key::End,
            'b' => Key::Left,
            'f' => Key::Right,
            'u' => Key::ClearToStart,
            'k' => Key::ClearToEnd,
            'w' => Key::DeleteWord,
            // What some terminals send for Backspace, and for Enter in raw mode.
            'h' => Key::Backspace,
            'j' | 'm' => Key::Enter,
            _ => return None,
        },
        KeyCode::Char(c) if !c.is_control() => Key::Char(c),
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Home => Key::Start,
        KeyCode::End => Key::End,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Back,
        _ => return None,
    })
}

/// A line being edited. The text is in a buffer wiped when it is dropped
/// or outgrown, since a secret is typed into it.
pub struct Editor {
    text: Zeroizing<String>,
    /// A byte offset into `text`, always between two graphemes.
    cursor: usize,
}

impl Editor {
    /// A line holding `initial` (control characters left out), the cursor
    /// at its end.
    pub fn new(initial: &str) -> Editor {
        let mut editor = Editor {
            text: Zeroizing::new(String::new()),
            cursor: 0,
        };
        editor.insert(initial);
        editor
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the cursor is, as a byte offset into [`Editor::text`].
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Inserts `typed` at the cursor, as if typed: control characters (a
    /// pasted newline or escape) are left out.
    pub fn insert(&mut self, typed: &str) {
        let extra: usize = typed
            .chars()
            .filter(|c| !c.is_control())
            .map(char::len_utf8)
            .sum();
        self.reserve(extra);
        for c in typed.chars().filter(|c| !c.is_control()) {
            self.text.insert(self.cursor, c);
            self.cursor += c.len_utf8();
        }
    }

    /// Room for `extra` more bytes. A String that grows copies itself and
    /// frees the old buffer unwiped; this copies into a wiped one instead.
    fn reserve(&mut self, extra: usize) {
        let need = self.text.len() + extra;
        if need <= self.text.capacity() {
            return;
        }
        let mut grown = Zeroizing::new(String::with_capacity(
            need.max(2 * self.text.capacity()).max(32),
        ));
        grown.push_str(&self.text);
        // The old buffer is wiped as it drops.
        self.text = grown;
    }

    pub fn handle(&mut self, key: Key) -> Action {
        match key {
            Key::Char(c) => self.insert(c.encode_utf8(&mut [0; 4])),
            Key::Left => self.cursor = self.before(),
            Key::Right => self.cursor = self.after(),
            Key::Start => self.cursor = 0,
            Key::End => self.cursor = self.text.len(),
            Key::Backspace => self.remove(self.before(), self.cursor),
            Key::Delete => self.remove(self.cursor, self.after()),
            Key::ClearToStart => self.remove(0, self.cursor),
            Key::ClearToEnd => self.remove(self.cursor, self.text.len()),
            Key::DeleteWord => self.remove(self.word_start(), self.cursor),
            Key::EndOfInput if self.text.is_empty() => return Action::Cancel,
            Key::EndOfInput => self.remove(self.cursor, self.after()),
            Key::Enter => return Action::Submit,
            Key::Back => return Action::Back,
            Key::Interrupt => return Action::Cancel,
        }
        Action::Open
    }

    /// Removes `text[from..to]` and leaves the cursor at `from`. In place:
    /// the bytes moved stay inside the buffer, which is wiped whole.
    fn remove(&mut self, from: usize, to: usize) {
        if from < to {
            self.text.replace_range(from..to, "");
        }
        self.cursor = from;
    }

    /// The start of the grapheme before the cursor.
    fn before(&self) -> usize {
        self.text[..self.cursor]
            .grapheme_indices(true)
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    /// The end of the grapheme under the cursor.
    fn after(&self) -> usize {
        self.text[self.cursor..]
            .graphemes(true)
            .next()
            .map_or(self.cursor, |g| self.cursor + g.len())
    }

    /// Where Ctrl-W deletes back to: over spaces, then over the word before
    /// them (the shell's word is anything between spaces).
    fn word_start(&self) -> usize {
        let head = &self.text[..self.cursor];
        let word_end = head.trim_end().len();
        head[..word_end]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8())
    }
}

/// The part of a line shown in `room` columns, scrolled sideways so that
/// the cursor stays in view: a long value on a narrow terminal takes one
/// row, never wraps (which would throw off the redraw).
#[derive(Debug, PartialEq, Eq)]
pub struct View {
    /// What to draw, `…` marking text cut off on either side.
    pub text: String,
    /// The cursor's column in `text`.
    pub cursor_col: usize,
}

/// [`View`] of `text` with the cursor at byte `cursor`. `left` is the byte
/// offset of the first grapheme shown, kept between draws so the view does
/// not jump while one types; it is moved as little as keeps the cursor in
/// view. One column is kept for the cursor past the end (or the `…`).
pub fn view(text: &str, cursor: usize, left: &mut usize, room: usize) -> View {
    let room = room.max(3);
    let width = super::display_width;
    if width(text) < room {
        *left = 0;
        return View {
            text: text.to_string(),
            cursor_col: width(&text[..cursor]),
        };
    }
    let starts: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
    let marker = |l: usize| usize::from(l > 0);
    // The cursor's grapheme (or the column past the end) must fit after
    // `left`, with a column kept for the `…` on the right.
    let under = |c: usize| {
        text[c..]
            .graphemes(true)
            .next()
            .map_or(1, |g| width(g).max(1))
    };
    *left = (*left).min(cursor);
    while *left < cursor && marker(*left) + width(&text[*left..cursor]) + under(cursor) > room - 1 {
        *left = starts
            .iter()
            .copied()
            .find(|&s| s > *left)
            .unwrap_or(cursor);
    }
    // Scrolled further than needed (text deleted at the end): fill the row.
    while *left > 0 {
        let prev = starts.iter().copied().rfind(|&s| s < *left).unwrap_or(0);
        if marker(prev) + width(&text[prev..]) < room {
            *left = prev;
        } else {
            break;
        }
    }
    let mut shown = String::new();
    if *left > 0 {
        shown.push('…');
    }
    let mut used = marker(*left);
    let mut end = *left;
    for g in text[*left..].graphemes(true) {
        if used + width(g) > room - 1 {
            break;
        }
        used += width(g);
        end += g.len();
    }
    shown.push_str(&text[*left..end]);
    if end < text.len() {
        shown.push('…');
    }
    View {
        text: shown,
        cursor_col: marker(*left) + width(&text[*left..cursor]),
    }
}

#[cfg(test)]
mod tests;
