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

/// Puts the terminal back when the program panics, then reports the panic
/// as before. A release build aborts on a panic (`panic = "abort"`), so no
/// [`RawMode`] is dropped and the shell would be left in raw mode with
/// bracketed paste on and the cursor hidden. Installed once, by `main`.
pub fn put_back_the_terminal_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Raw mode is on only while a prompt is open (ours, or inquire's
        // through the same crossterm); otherwise stderr is left alone, as
        // it may be a file or a pipe.
        let raw = terminal::is_raw_mode_enabled().unwrap_or(false);
        leave_raw_mode(&mut super::stderr(), raw);
        previous(info);
    }));
}

/// When `raw`: turns bracketed paste off, shows the cursor and starts a new
/// line on `out` (for the panic's message to start at the left), then
/// leaves raw mode. Nothing otherwise. Errors are ignored: this runs on the
/// way out, with nothing better to do.
fn leave_raw_mode(out: &mut dyn Write, raw: bool) {
    if !raw {
        return;
    }
    let mut buf: Vec<u8> = Vec::new();
    let _ = queue!(buf, event::DisableBracketedPaste, cursor::Show);
    buf.extend_from_slice(b"\r\n");
    let _ = out.write_all(&buf);
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
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
    fn a_panic_in_a_prompt_turns_off_paste_and_shows_the_cursor() {
        let mut out = Vec::new();
        leave_raw_mode(&mut out, true);
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("\x1b[?2004l"), "bracketed paste off: {out:?}");
        assert!(out.contains("\x1b[?25h"), "cursor shown: {out:?}");
        assert!(out.ends_with("\r\n"), "{out:?}");
        // Outside a prompt stderr may be a file: nothing is written there.
        let mut out = Vec::new();
        leave_raw_mode(&mut out, false);
        assert!(out.is_empty());
    }

    #[test]
    fn the_panic_hook_runs_the_one_before_it() {
        // The hook is the process's: set, used and taken back in one test
        // of this binary, and the panic caught here.
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let before = std::panic::take_hook();
        let flag = seen.clone();
        std::panic::set_hook(Box::new(move |_| {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }));
        put_back_the_terminal_on_panic();
        let caught = std::panic::catch_unwind(|| panic!("in a prompt"));
        let _ours = std::panic::take_hook();
        std::panic::set_hook(before);
        assert!(caught.is_err());
        assert!(seen.load(std::sync::atomic::Ordering::SeqCst));
    }

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
