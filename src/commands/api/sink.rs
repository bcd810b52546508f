//! Where a streamed answer goes.

use anyhow::Result;

use super::head as head_text;
use super::print::{out, print_body, write_out};
use crate::bigcommerce::client::{Answer, Sink};
use crate::ui::escape::Escaper;

/// The most of a streamed JSON answer held to pretty-print it on a
/// terminal; past this it is shown as it comes (escaped).
pub(super) const PRETTY_MAX: usize = 8 * 1024 * 1024;

/// Where a streamed answer goes: stdout, raw when piped; on a terminal held
/// (up to [`PRETTY_MAX`]) to be pretty-printed when it is JSON, and escaped.
pub(super) struct Stdout {
    pub(super) include: bool,
    pub(super) terminal: bool,
    /// On a terminal, the body so far while it may still be pretty-printed.
    pub(super) held: Option<Vec<u8>>,
    pub(super) escape: Escaper,
    /// stdout was closed (`| head`): the rest is not wanted.
    pub(super) closed: bool,
    pub(super) ends_in_newline: bool,
    /// The answer is text (its `Content-Type`): it ends with a newline.
    pub(super) text: bool,
}

impl Stdout {
    fn write(&mut self, bytes: &[u8]) -> Result<bool> {
        if bytes.is_empty() {
            return Ok(!self.closed);
        }
        let shown;
        let bytes = if self.terminal {
            shown = self.escape.some(bytes);
            shown.as_bytes()
        } else {
            bytes
        };
        if let Some(last) = bytes.last() {
            self.ends_in_newline = *last == b'\n';
        }
        if write_out(bytes)? {
            self.closed = true;
        }
        Ok(!self.closed)
    }
}

impl Sink for Stdout {
    fn head(&mut self, head: &Answer) -> Result<()> {
        self.text = super::text_body(head);
        if self.include {
            out(head_text(head).as_bytes())?;
        }
        Ok(())
    }

    fn chunk(&mut self, bytes: &[u8]) -> Result<bool> {
        if let Some(held) = &mut self.held {
            if held.len() + bytes.len() <= PRETTY_MAX {
                held.extend_from_slice(bytes);
                return Ok(true);
            }
            let held = self.held.take().unwrap_or_default();
            if !self.write(&held)? {
                return Ok(false);
            }
        }
        self.write(bytes)
    }

    fn end(&mut self) -> Result<()> {
        if let Some(held) = self.held.take() {
            if !held.is_empty() {
                return print_body(&held, None, false, self.terminal, self.text);
            }
            return Ok(());
        }
        let rest = self.escape.finish();
        self.write(rest.as_bytes())?;
        if (self.terminal || self.text) && !self.ends_in_newline {
            out(b"\n")?;
        }
        Ok(())
    }
}
