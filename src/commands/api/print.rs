//! Printing a body held whole, and a `--paginate` list, on stdout.

use std::io::Write;

use super::pretty::{Unlaid, pretty};
use crate::bigcommerce::paginate::Item;
use crate::error::failure;
use crate::ui;
use crate::ui::escape::Escaper;
use anyhow::Result;

/// `--jq`'s filter and the CPU time it may take.
#[derive(Clone, Copy)]
pub(super) struct Jq<'a> {
    pub(super) expr: &'a str,
    pub(super) cpu: std::time::Duration,
}

/// A body held whole, on stdout: through `--jq`, pretty on a terminal
/// (keys in the store's order), else as received (escaped on a terminal),
/// ending with a newline when it is `text` (see [`is_text`]). When `--jq`
/// fails on the answer of a write, the answer is printed first, unfiltered:
/// it may hold the only record of what the write made.
pub(super) fn print_body(
    body: &[u8],
    jq: Option<Jq>,
    write: bool,
    terminal: bool,
    text: bool,
) -> Result<()> {
    if let Some(Jq { expr, cpu }) = jq {
        return match crate::jq::run(expr, body, cpu) {
            Ok(lines) if terminal => out(Escaper::default().all(&lines).as_bytes()),
            Ok(lines) => out(&lines),
            Err(why) if write => {
                print_body(body, None, false, terminal, text)?;
                Err(failure(why)
                    .hint("the write was answered with success; its answer is printed above, unfiltered")
                    .into())
            }
            Err(why) => Err(failure(why).into()),
        };
    }
    if !terminal {
        out(body)?;
        if text && !body.is_empty() && !body.ends_with(b"\n") {
            out(b"\n")?;
        }
        return Ok(());
    }
    match pretty(body) {
        Ok(mut text) => {
            text.push('\n');
            return out(Escaper::default().all(text.as_bytes()).as_bytes());
        }
        Err(Unlaid::TooLarge) => too_deep(),
        Err(Unlaid::NotJson) => {}
    }
    let mut text = Escaper::default().all(body);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    out(text.as_bytes())
}

/// A `--paginate` list as one JSON array, from the items' own text: written
/// out item by item (piped: as sent; on a terminal: each pretty and
/// escaped), never built whole a second time but for `--jq`, whose input
/// is capped far lower.
pub(super) fn print_items(items: &[Item], jq: Option<Jq>, terminal: bool) -> Result<()> {
    if jq.is_some() {
        let mut text =
            Vec::with_capacity(items.iter().map(|i| i.get().len() + 1).sum::<usize>() + 2);
        text.push(b'[');
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                text.push(b',');
            }
            text.extend_from_slice(item.get().as_bytes());
        }
        text.extend_from_slice(b"]\n");
        return print_body(&text, jq, false, terminal, true);
    }
    let mut stdout = ui::Stdout::new(256 * 1024);
    let mut warned = false;
    let written = (|| -> std::io::Result<()> {
        if items.is_empty() {
            return stdout.write_all(b"[]\n");
        }
        stdout.write_all(if terminal { b"[\n" } else { b"[" })?;
        for (n, item) in items.iter().enumerate() {
            if !terminal {
                if n > 0 {
                    stdout.write_all(b",")?;
                }
                stdout.write_all(item.get().as_bytes())?;
                continue;
            }
            if n > 0 {
                stdout.write_all(b",\n")?;
            }
            // One item at a time, as the whole array would be laid out
            // (each line two deeper).
            let laid_out = match pretty(item.get().as_bytes()) {
                Ok(text) => text,
                Err(why) => {
                    // Said once, not once an item.
                    if why == Unlaid::TooLarge && !warned {
                        warned = true;
                        too_deep();
                    }
                    item.get().to_string()
                }
            };
            let shown = Escaper::default().all(laid_out.as_bytes());
            for (i, line) in shown.split('\n').enumerate() {
                if i > 0 {
                    stdout.write_all(b"\n")?;
                }
                stdout.write_all(b"  ")?;
                stdout.write_all(line.as_bytes())?;
            }
        }
        stdout.write_all(if terminal { b"\n]\n" } else { b"]\n" })
    })();
    stdout.finish(written.map_err(Into::into))
}

/// Says on stderr why a JSON answer is shown as received on a terminal.
fn too_deep() {
    eprintln!(
        "warning: the answer nests too deep to lay out within bounds; it is shown as received"
    );
}

/// Whether an answer with this `Content-Type` is text, to end with a
/// newline: JSON (BigCommerce's every answer), `text/*`, or none said.
/// Anything else (an image, a zip) is a download, kept byte for byte.
pub(super) fn is_text(content_type: Option<&reqwest::header::HeaderValue>) -> bool {
    let Some(value) = content_type else {
        return true;
    };
    let mime = String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase();
    let mime = mime.split(';').next().unwrap_or("").trim().to_string();
    mime.is_empty() || mime.starts_with("text/") || mime.ends_with("json")
}

/// Bytes on stdout; a closed pipe (`| head`) is not an error.
pub(super) fn out(bytes: &[u8]) -> Result<()> {
    write_out(bytes).map(|_| ())
}

/// Bytes on stdout; `true` when the reader has gone (a closed pipe).
pub(super) fn write_out(bytes: &[u8]) -> Result<bool> {
    match ui::out_bytes(bytes) {
        Err(e) if e.is::<crate::error::StdoutClosed>() => Ok(true),
        Err(e) => Err(e),
        Ok(()) => Ok(false),
    }
}
