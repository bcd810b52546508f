//! What our own prompts (the scope picker, the text and secret lines) share
//! on the terminal: raw mode, its size, and a widget redrawn in place on
//! stderr. The widgets build their frames as plain lines; this only puts
//! them on the screen.

use std::io::{self, Write};

use crossterm::event;
use crossterm::terminal::{self, ClearType};
use crossterm::{cursor, execute, queue};

use crate::seams::Stop;

/// Raw mode and bracketed paste for as long as it lives: dropping it puts
/// the terminal back on every way out of a prompt.
pub(super) struct RawMode;

impl RawMode {
    pub(super) fn enter() -> io::Result<RawMode> {
        terminal::enable_raw_mode()?;
        // Bracketed paste, so a pasted line arrives as text rather than as
        // keys (its newline would submit, its control bytes would edit).
        if let Err(e) = execute!(super::stderr(), event::EnableBracketedPaste) {
            let _ = terminal::disable_raw_mode();
            return Err(e);
        }
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = execute!(super::stderr(), event::DisableBracketedPaste, cursor::Show);
        let _ = terminal::disable_raw_mode();
    }
}

/// The terminal's size as (columns, rows), each None when unknown (a
/// pseudo-terminal may report 0).
pub(super) fn size() -> (Option<usize>, Option<usize>) {
    let known = |n: u16| (n > 0).then_some(usize::from(n));
    match terminal::size() {
        Ok((w, h)) => (known(w), known(h)),
        Err(_) => (None, None),
    }
}

/// Draws frames in place on stderr.
#[derive(Default)]
pub(super) struct Screen {
    drawn: bool,
    /// The row of the frame the text cursor was left on.
    row: usize,
}

impl Screen {
    /// Draws `lines` over the last frame and leaves the text cursor at
    /// column `col` of line `line`, which must fit one row. Other lines may
    /// be longer than `width` (the terminal's, when known): the terminal
    /// wraps them (so a message stays whole in the byte stream, for a
    /// reader of it), and their rows are counted.
    pub(super) fn draw(
        &mut self,
        lines: &[String],
        width: Option<usize>,
        line: usize,
        col: usize,
    ) -> io::Result<()> {
        // One write per frame, so the terminal never shows half of one.
        let mut buf: Vec<u8> = Vec::new();
        // The text cursor is hidden while it jumps around the frame.
        queue!(buf, cursor::Hide)?;
        self.to_top(&mut buf)?;
        queue!(buf, terminal::Clear(ClearType::FromCursorDown))?;
        // Raw mode: a line feed alone would not return to column 0.
        buf.extend_from_slice(lines.join("\r\n").as_bytes());
        let heights: Vec<usize> = lines.iter().map(|l| rows(l, width)).collect();
        let line = line.min(lines.len().saturating_sub(1));
        let row: usize = heights[..line].iter().sum();
        let up = heights.iter().sum::<usize>().saturating_sub(1) - row;
        if up > 0 {
            queue!(buf, cursor::MoveUp(to_u16(up)))?;
        }
        queue!(buf, cursor::MoveToColumn(to_u16(col)), cursor::Show)?;
        let mut err = super::stderr().lock();
        err.write_all(&buf)?;
        err.flush()?;
        self.drawn = true;
        self.row = row;
        Ok(())
    }

    /// Takes the widget off the screen, leaving the cursor where it began.
    pub(super) fn erase(&mut self) -> io::Result<()> {
        if !self.drawn {
            return Ok(());
        }
        let mut buf: Vec<u8> = Vec::new();
        self.to_top(&mut buf)?;
        queue!(buf, terminal::Clear(ClearType::FromCursorDown))?;
        let mut err = super::stderr().lock();
        err.write_all(&buf)?;
        err.flush()?;
        self.drawn = false;
        self.row = 0;
        Ok(())
    }

    fn to_top(&self, buf: &mut Vec<u8>) -> io::Result<()> {
        if self.drawn && self.row > 0 {
            queue!(buf, cursor::MoveUp(to_u16(self.row)))?;
        }
        queue!(buf, cursor::MoveToColumn(0))
    }
}

fn to_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

pub(super) fn failed(e: io::Error) -> Stop {
    Stop::Failed(anyhow::Error::new(e).context("reading from the terminal"))
}

/// How many rows `line` takes on a terminal `width` columns wide, as the
/// terminal wraps it: a wide character that does not fit the end of a row
/// starts the next one. Escape sequences (our colours) take no column.
pub(super) fn rows(line: &str, width: Option<usize>) -> usize {
    let Some(width) = width.filter(|&w| w > 0) else {
        return 1;
    };
    let (mut rows, mut col) = (1, 0);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // A CSI sequence ends at its first letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if col + w > width {
            rows += 1;
            col = 0;
        }
        col += w;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_count_as_the_terminal_wraps() {
        assert_eq!(rows("abc", None), 1);
        assert_eq!(rows("", Some(4)), 1);
        assert_eq!(rows("abcd", Some(4)), 1, "a full row does not wrap yet");
        assert_eq!(rows("abcde", Some(4)), 2);
        assert_eq!(rows("abcdefghi", Some(4)), 3);
        // 東 does not fit the last column of the first row.
        assert_eq!(rows("abc東", Some(4)), 2);
        assert_eq!(rows("東京東京", Some(5)), 2);
        assert_eq!(rows("\x1b[31mabcd\x1b[0m", Some(4)), 1);
    }
}
