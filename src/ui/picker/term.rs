//! The terminal side of the picker: keys in, frames drawn in place on
//! stderr (through `ui::screen`). Everything here is a thin carrier for
//! the pure [`Picker`] in the parent module.

use std::io::{self, Write};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::super::field::closing_line;
use super::super::screen::{RawMode, Screen, failed, size};
use super::{Key, Look, Outcome, Picker, page_for, wrap_help};
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
        KeyCode::Esc => Key::Back,
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
        let frame = picker.frame(&look);
        screen.draw(&frame.lines, width, 0, frame.cursor_col)?;
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
    let mut screen = Screen::default();
    let raw = RawMode::enter().map_err(failed)?;
    let outcome = drive(&mut picker, &mut screen, message, help, color);
    // Erase and restore whatever happened; a failure to erase matters less
    // than the one that ended the loop.
    let erased = screen.erase();
    drop(raw);
    let outcome = outcome.map_err(failed)?;
    erased.map_err(failed)?;
    let answer = match &outcome {
        Outcome::Accepted(chosen) => Some(format!("{} selected", chosen.len())),
        _ => None,
    };
    let line = closing_line(color, message, answer.as_deref());
    writeln!(crate::ui::stderr(), "{line}").map_err(failed)?;
    match outcome {
        Outcome::Accepted(chosen) => Ok(chosen),
        Outcome::Back => Err(Stop::Back),
        _ => Err(Stop::Cancelled),
    }
}
