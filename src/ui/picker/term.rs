//! The terminal side of the picker: raw mode, keys in, frames drawn in
//! place on stderr. Everything here is a thin carrier for the pure
//! [`Picker`] in the parent module.

use std::io::{self, Write};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, ClearType};
use crossterm::{cursor, execute, queue};

use super::super::{GREEN, RED, RESET};
use super::{CYAN, Frame, Key, Look, Outcome, Picker, page_for, wrap_help};
use crate::seams::{Step, Stop};

/// The key a terminal event stands for, if any.
pub(super) fn key_of(ev: &KeyEvent) -> Option<Key> {
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
        if let Err(e) = execute!(crate::ui::stderr(), event::EnableBracketedPaste) {
            let _ = terminal::disable_raw_mode();
            return Err(e);
        }
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = execute!(
            crate::ui::stderr(),
            event::DisableBracketedPaste,
            cursor::Show
        );
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
        let mut err = crate::ui::stderr().lock();
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
        let mut err = crate::ui::stderr().lock();
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
    writeln!(crate::ui::stderr(), "{line}").map_err(failed)?;
    match outcome {
        Outcome::Accepted(chosen) => Ok(chosen),
        _ => Err(Stop::Cancelled),
    }
}
