//! The editing part of our text and secret prompts: a line, a cursor, and
//! what each key does to them, as a shell's line editor does it. Pure (no
//! terminal), so every key is tested here; `super::field` draws it.
//!
//! inquire 0.9 turned Ctrl+letter into the letter (Ctrl-U typed a `u` into
//! a client secret), and its key handling cannot be changed from outside;
//! so the keys are ours.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use secrecy::zeroize::Zeroizing;
use unicode_segmentation::{GraphemeCursor, UnicodeSegmentation};

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

/// The most a line holds, in bytes: far more than any name, URL or secret
/// asked for, and little enough that a frame of it is drawn at once. A
/// paste past it is cut (and the prompt says so), not taken whole.
pub const LINE_MAX: usize = 16 * 1024;

/// A line being edited. The text is in a buffer wiped when it is dropped
/// or outgrown, since a secret is typed into it.
pub struct Editor {
    text: Zeroizing<String>,
    /// A byte offset into `text`, always between two graphemes.
    cursor: usize,
    /// The last insert was cut at [`LINE_MAX`], and nothing was removed
    /// since.
    cut: bool,
}

impl Editor {
    /// A line holding `initial` (control characters left out), the cursor
    /// at its end.
    pub fn new(initial: &str) -> Editor {
        let mut editor = Editor {
            text: Zeroizing::new(String::new()),
            cursor: 0,
            cut: false,
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

    /// Whether the last text inserted was cut short at [`LINE_MAX`] (and
    /// nothing was deleted since).
    pub fn was_cut(&self) -> bool {
        self.cut
    }

    /// Inserts `typed` at the cursor, as if typed: control characters (a
    /// pasted newline or escape) are left out, and what would take the line
    /// past [`LINE_MAX`]. In one move of the text after the cursor, so that
    /// a long paste in the middle of a line costs its length, not its
    /// length times the line's. The cursor ends after it, on
    /// the boundary of the whole text's graphemes: what was inserted may
    /// join the grapheme that follows (a leading jamo before another, a
    /// letter before a combining mark), and a cursor left inside one would
    /// split it.
    pub fn insert(&mut self, typed: &str) {
        let room = LINE_MAX.saturating_sub(self.text.len());
        // Sized for all it can hold, so it never grows (and leaves an
        // unwiped copy behind); wiped as it drops.
        let mut kept = Zeroizing::new(String::with_capacity(typed.len().min(room)));
        self.cut = false;
        for c in typed.chars().filter(|c| !c.is_control()) {
            if kept.len() + c.len_utf8() > room {
                self.cut = true;
                break;
            }
            kept.push(c);
        }
        self.reserve(kept.len());
        self.text.insert_str(self.cursor, &kept);
        self.cursor = self.boundary_from(self.cursor + kept.len());
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

    /// Removes `text[from..to]` and leaves the cursor at `from`, or at the
    /// start of the grapheme `from` fell into when the two sides joined
    /// (`ᄀ` `x` `ᄀ` without the `x`). In place: the bytes moved stay inside
    /// the buffer, which is wiped whole.
    fn remove(&mut self, from: usize, to: usize) {
        self.cut = false;
        if from < to && self.text.is_char_boundary(from) && self.text.is_char_boundary(to) {
            self.text.replace_range(from..to, "");
        }
        self.cursor = self.boundary_to(from);
    }

    /// A grapheme cursor over the whole text at `at` (a char boundary).
    fn graphemes_at(&self, at: usize) -> GraphemeCursor {
        GraphemeCursor::new(at, self.text.len(), true)
    }

    /// `at`, or the first grapheme boundary after it. The whole text is the
    /// one chunk given, so the cursor never asks for more (an error cannot
    /// happen; the end of the text stands in for one).
    fn boundary_from(&self, at: usize) -> usize {
        let at = self.char_boundary(at);
        let mut g = self.graphemes_at(at);
        match g.is_boundary(&self.text, 0) {
            Ok(true) => at,
            Ok(false) => g
                .next_boundary(&self.text, 0)
                .ok()
                .flatten()
                .unwrap_or(self.text.len()),
            Err(_) => self.text.len(),
        }
    }

    /// `at`, or the grapheme boundary before it (the start of the text
    /// standing in for an error, which cannot happen).
    fn boundary_to(&self, at: usize) -> usize {
        let at = self.char_boundary(at);
        let mut g = self.graphemes_at(at);
        match g.is_boundary(&self.text, 0) {
            Ok(true) => at,
            Ok(false) => g.prev_boundary(&self.text, 0).ok().flatten().unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// `at` within the text and moved back to a char boundary, so that a
    /// slice never panics (a panic's message would quote the line).
    fn char_boundary(&self, at: usize) -> usize {
        let mut at = at.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    /// The start of the grapheme before the cursor.
    fn before(&self) -> usize {
        let mut g = self.graphemes_at(self.cursor);
        g.prev_boundary(&self.text, 0).ok().flatten().unwrap_or(0)
    }

    /// The end of the grapheme under the cursor.
    fn after(&self) -> usize {
        let mut g = self.graphemes_at(self.cursor);
        g.next_boundary(&self.text, 0)
            .ok()
            .flatten()
            .unwrap_or(self.text.len())
    }

    /// Where Ctrl-W deletes back to: over spaces, then over the word before
    /// them (the shell's word is anything between spaces).
    fn word_start(&self) -> usize {
        let head = self.text.get(..self.cursor).unwrap_or_default();
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
///
/// A `cursor` or `left` that is not on a grapheme's start is moved back to
/// one, never sliced at: drawing must not fail (nor panic with the line in
/// the message) whatever it is given. The graphemes' columns are summed
/// once, so a frame costs time in proportion to the line, even a pasted
/// one many thousand characters long.
pub fn view(text: &str, cursor: usize, left: &mut usize, room: usize) -> View {
    let room = room.max(3);
    let width = super::display_width;
    let starts: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
    // cols[k]: the columns of the first k graphemes.
    let mut cols = Vec::with_capacity(starts.len() + 1);
    cols.push(0);
    for g in text.graphemes(true) {
        cols.push(cols[cols.len() - 1] + width(g));
    }
    let n = starts.len();
    let total = cols[n];
    // The index of the grapheme starting at `at`, or of the one `at` is in.
    let index = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);
    let ci = if cursor >= text.len() {
        n
    } else {
        index(cursor)
    };
    if total < room {
        *left = 0;
        return View {
            text: text.to_string(),
            cursor_col: cols[ci],
        };
    }
    let marker = |l: usize| usize::from(l > 0);
    let span = |a: usize, b: usize| cols[b] - cols[a];
    // The cursor's grapheme (or the column past the end) must fit after
    // `left`, with a column kept for the `…` on the right.
    let under = if ci < n { span(ci, ci + 1).max(1) } else { 1 };
    let mut li = index(*left).min(ci);
    while li < ci && marker(li) + span(li, ci) + under > room - 1 {
        li += 1;
    }
    // Scrolled further than needed (text deleted at the end): fill the row.
    while li > 0 && marker(li - 1) + span(li - 1, n) < room {
        li -= 1;
    }
    let mut end = li;
    while end < n && marker(li) + span(li, end + 1) < room {
        end += 1;
    }
    let byte = |k: usize| starts.get(k).copied().unwrap_or(text.len());
    *left = byte(li);
    let mut shown = String::new();
    if li > 0 {
        shown.push('…');
    }
    shown.push_str(text.get(byte(li)..byte(end)).unwrap_or_default());
    if end < n {
        shown.push('…');
    }
    View {
        text: shown,
        cursor_col: marker(li) + span(li, ci),
    }
}

#[cfg(test)]
mod tests;
