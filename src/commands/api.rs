//! `bcconn api PATH`: call the store's API with a connection, as `gh api`
//! does for GitHub. stdout is the body: streamed as it arrives unless
//! `--jq` or `--paginate` must hold it; on a terminal, JSON is pretty (up to
//! [`PRETTY_MAX`]) and control characters are escaped, while piped output is
//! byte for byte what the store sent. A non-2xx answer also gets one line on
//! stderr and exit 1.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use reqwest::Method;
use serde_json::Value;

use crate::bigcommerce::client::{Answer, Sink};
use crate::bigcommerce::paginate::Item;
use crate::cli::ApiArgs;
use crate::connect::call::{self, Call, Outcome};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::{failure, usage};
use crate::text::{is_unsafe, outside, shell_word};
use crate::ui;

/// The most of a streamed JSON answer held to pretty-print it on a
/// terminal; past this it is shown as it comes (escaped).
const PRETTY_MAX: usize = 8 * 1024 * 1024;

pub fn run(ctx: &Context, args: ApiArgs) -> Result<ExitStatus> {
    // Read before anything is sent: a bad setting must not follow a write.
    let cpu = ctx.env.jq_cpu_limit()?;
    if let Some(expr) = &args.jq {
        crate::jq::check(expr).map_err(usage)?;
    }
    let terminal = crate::ui::stdout().is_terminal();
    let mut sink = Stdout {
        include: args.include,
        terminal,
        held: Some(Vec::new()).filter(|_| terminal),
        escape: Escaper::default(),
        closed: false,
        ends_in_newline: true,
    };
    let called = call::api(
        ctx,
        &Call {
            connection: args.connection,
            path: args.path,
            method: args.method,
            raw_fields: args.raw_fields,
            fields: args.fields,
            input: args.input,
            headers: args.headers,
            paginate: args.paginate,
            max_pages: Some(args.max_pages),
            max_wait: Some(args.max_wait),
            held_max: args.jq.is_some().then_some(crate::jq::INPUT_MAX),
        },
        // With --jq the sink takes only a write's answer too big to filter.
        (!args.paginate).then_some(&mut sink as &mut dyn Sink),
    )?;
    let jq = args.jq.as_deref().map(|expr| Jq { expr, cpu });
    let write = called.method != Method::GET && called.method != Method::HEAD;
    match called.outcome {
        Outcome::Streamed => Ok(ExitStatus::Success),
        Outcome::Items(items) => {
            print_items(&items, jq, terminal)?;
            Ok(ExitStatus::Success)
        }
        Outcome::Answer(a) => {
            if args.include {
                out(head(&a).as_bytes())?;
            }
            if a.status.is_success() {
                if !a.body.is_empty() {
                    print_body(&a.body, jq, write, terminal)?;
                }
                return Ok(ExitStatus::Success);
            }
            print_body(&a.body, None, false, terminal)?;
            let title = a
                .title()
                .map(|t| format!(": {}", outside(&t, 200)))
                .unwrap_or_default();
            let mut f = failure(format!("{}{title}", a.status));
            if a.status.as_u16() == 401 {
                f = f.hint(format!(
                    "BigCommerce refused the token{}; authorize it again with `bcconn authorize {}`",
                    if called.marked_invalid {
                        " (the connection is now marked invalid)"
                    } else {
                        ""
                    },
                    shell_word(&called.connection.name)
                ));
            }
            Err(f.into())
        }
    }
}

/// The status line and headers, as `curl -i` shows them.
fn head(a: &Answer) -> String {
    let mut text = format!("{:?} {}\n", a.version, a.status);
    for (name, value) in &a.headers {
        text.push_str(&format!(
            "{}: {}\n",
            name,
            outside(&String::from_utf8_lossy(value.as_bytes()), 2000)
        ));
    }
    text.push('\n');
    text
}

/// A body held whole, on stdout: through `--jq`, pretty on a terminal, else
/// as received (escaped on a terminal). When `--jq` fails on the answer of
/// a write, the answer is printed first, unfiltered: it may hold the only
/// record of what the write made.
fn print_body(body: &[u8], jq: Option<Jq>, write: bool, terminal: bool) -> Result<()> {
    if let Some(Jq { expr, cpu }) = jq {
        return match crate::jq::run(expr, body, cpu) {
            Ok(lines) if terminal => out(Escaper::default().all(&lines).as_bytes()),
            Ok(lines) => out(&lines),
            Err(why) if write => {
                print_body(body, None, false, terminal)?;
                Err(failure(why)
                    .hint("the write was answered with success; its answer is printed above, unfiltered")
                    .into())
            }
            Err(why) => Err(failure(why).into()),
        };
    }
    if !terminal {
        return out(body);
    }
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let mut text = serde_json::to_string_pretty(&v)?;
        text.push('\n');
        return out(Escaper::default().all(text.as_bytes()).as_bytes());
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
/// `--jq`'s filter and the CPU time it may take.
#[derive(Clone, Copy)]
struct Jq<'a> {
    expr: &'a str,
    cpu: std::time::Duration,
}

fn print_items(items: &[Item], jq: Option<Jq>, terminal: bool) -> Result<()> {
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
        return print_body(&text, jq, false, terminal);
    }
    let mut stdout = ui::Stdout::new(256 * 1024);
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
            // Parsed one item at a time, as `to_string_pretty` of the whole
            // array would lay it out (each line two deeper).
            let pretty = serde_json::from_str::<Value>(item.get())
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| item.get().to_string());
            let shown = Escaper::default().all(pretty.as_bytes());
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

/// Where a streamed answer goes: stdout, raw when piped; on a terminal held
/// (up to [`PRETTY_MAX`]) to be pretty-printed when it is JSON, and escaped.
struct Stdout {
    include: bool,
    terminal: bool,
    /// On a terminal, the body so far while it may still be pretty-printed.
    held: Option<Vec<u8>>,
    escape: Escaper,
    /// stdout was closed (`| head`): the rest is not wanted.
    closed: bool,
    ends_in_newline: bool,
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
        if self.include {
            out(self::head(head).as_bytes())?;
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
                return print_body(&held, None, false, self.terminal);
            }
            return Ok(());
        }
        let rest = self.escape.finish();
        self.write(rest.as_bytes())?;
        if self.terminal && !self.ends_in_newline {
            out(b"\n")?;
        }
        Ok(())
    }
}

/// Escapes what could change how a terminal shows text (control characters
/// but newline and tab, bidi controls), across chunk boundaries: a UTF-8
/// character cut between two chunks is kept until it is whole; bytes that
/// are not UTF-8 show as `\x..`.
#[derive(Default)]
struct Escaper {
    pending: Vec<u8>,
}

impl Escaper {
    /// The text of everything given so far but an unfinished character.
    fn some(&mut self, bytes: &[u8]) -> String {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(bytes);
        let mut shown = String::with_capacity(data.len());
        let mut rest = &data[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    push_escaped(&mut shown, text);
                    break;
                }
                Err(e) => {
                    let (good, after) = rest.split_at(e.valid_up_to());
                    push_escaped(
                        &mut shown,
                        std::str::from_utf8(good).expect("checked valid"),
                    );
                    match e.error_len() {
                        Some(bad) => {
                            for b in &after[..bad] {
                                shown.push_str(&format!("\\x{b:02x}"));
                            }
                            rest = &after[bad..];
                        }
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        shown
    }

    /// The bytes still held (a character cut at the very end), escaped.
    fn finish(&mut self) -> String {
        std::mem::take(&mut self.pending)
            .iter()
            .map(|b| format!("\\x{b:02x}"))
            .collect()
    }

    /// All of `bytes`, escaped.
    fn all(mut self, bytes: &[u8]) -> String {
        let mut text = self.some(bytes);
        text.push_str(&self.finish());
        text
    }
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if is_unsafe(c) && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

/// Bytes on stdout; a closed pipe (`| head`) is not an error.
fn out(bytes: &[u8]) -> Result<()> {
    write_out(bytes).map(|_| ())
}

/// Bytes on stdout; `true` when the reader has gone (a closed pipe).
fn write_out(bytes: &[u8]) -> Result<bool> {
    match ui::out_bytes(bytes) {
        Err(e) if e.is::<crate::error::StdoutClosed>() => Ok(true),
        Err(e) => Err(e),
        Ok(()) => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_is_escaped_across_chunks() {
        let mut e = Escaper::default();
        let mut shown = e.some(b"ok \x1b[2J\r\n\tgr\xc3");
        shown.push_str(&e.some(b"\xbcn \xff \xe2\x80\xae end"));
        shown.push_str(&e.finish());
        assert_eq!(shown, "ok \\u{1b}[2J\\r\n\tgrün \\xff \\u{202e} end");
        assert_eq!(Escaper::default().all(b"cut \xe2\x80"), "cut \\xe2\\x80");
        assert_eq!(Escaper::default().all("plain\n".as_bytes()), "plain\n");
    }
}
