//! `bcconn api PATH`: call the store's API with a connection, as `gh api`
//! does for GitHub. stdout is the body (pretty only on a terminal); a
//! non-2xx answer also gets one line on stderr and exit 1.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use serde_json::Value;

use crate::bigcommerce::client::Answer;
use crate::cli::ApiArgs;
use crate::connect::call::{self, Call, Outcome};
use crate::context::Context;
use crate::error::{exit, usage};
use crate::text::{outside, shell_word};

pub fn run(ctx: &Context, args: ApiArgs) -> Result<u8> {
    if let Some(expr) = &args.jq {
        crate::jq::check(expr).map_err(usage)?;
    }
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
            max_wait: Some(args.max_wait),
        },
    )?;
    let jq = args.jq.as_deref();
    match called.outcome {
        Outcome::Items(items) => {
            let mut text = serde_json::to_vec(&Value::Array(items))?;
            text.push(b'\n');
            print_body(&text, jq)?;
            Ok(0)
        }
        Outcome::Answer(a) => {
            if args.include {
                out(head(&a).as_bytes())?;
            }
            if a.status.is_success() {
                if !a.body.is_empty() {
                    print_body(&a.body, jq)?;
                }
                return Ok(0);
            }
            print_body(&a.body, None)?;
            let title = a
                .title()
                .map(|t| format!(": {}", outside(&t, 200)))
                .unwrap_or_default();
            let hint = (a.status.as_u16() == 401).then(|| {
                format!(
                    "BigCommerce refused the token{}; authorize it again with `bcconn authorize {}`",
                    if called.marked_invalid {
                        " (the connection is now marked invalid)"
                    } else {
                        ""
                    },
                    shell_word(&called.connection.name)
                )
            });
            ctx.ui
                .error(&format!("{}{title}", a.status), hint.as_deref());
            Ok(exit::FAILURE)
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

/// A body on stdout: through `--jq`, pretty on a terminal, else as received.
fn print_body(body: &[u8], jq: Option<&str>) -> Result<()> {
    if let Some(expr) = jq {
        let lines = crate::jq::run(expr, body).map_err(crate::error::failure)?;
        return out(lines.as_bytes());
    }
    if std::io::stdout().is_terminal()
        && let Ok(v) = serde_json::from_slice::<Value>(body)
    {
        let mut text = serde_json::to_string_pretty(&v)?;
        text.push('\n');
        return out(text.as_bytes());
    }
    out(body)?;
    if std::io::stdout().is_terminal() && !body.ends_with(b"\n") {
        out(b"\n")?;
    }
    Ok(())
}

/// Bytes on stdout; a closed pipe (`| head`) is not an error.
fn out(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
