//! `bcconn api PATH`: call the store's API with a connection, as `gh api`
//! does for GitHub. stdout is the body: streamed as it arrives unless
//! `--jq` or `--paginate` must hold it; on a terminal, JSON is pretty (up to
//! [`sink::PRETTY_MAX`], keys in the store's order) and control characters
//! are escaped, while piped output is byte for byte what the store sent, and
//! a newline after text that lacks one. A non-2xx answer also gets one line
//! on stderr (a 403's hints name the missing scope) and exit 1. So does a
//! GraphQL answer (`bcconn api graphql`) whose 200 holds `errors`: its
//! body is printed as any other, and its first error said.

mod args;
mod failed;
mod pretty;
mod print;
mod sink;

use std::io::IsTerminal;

use anyhow::Result;

use crate::bigcommerce::client::{Answer, Sink};
use crate::connect::call::{self, Call, Outcome};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::{failure, usage};
use crate::text::{outside, shell_word};
use crate::ui::escape::Escaper;
pub use args::ApiArgs;
use print::{Jq, out, print_body, print_items};
use sink::Stdout;

pub fn run(ctx: &Context, args: ApiArgs) -> Result<ExitStatus> {
    // Read before anything is sent (a bad setting must not follow a
    // write), and only when there is a filter to limit.
    let cpu = match &args.jq {
        Some(expr) => {
            crate::jq::check(expr).map_err(usage)?;
            ctx.env.jq_cpu_limit()?
        }
        None => std::time::Duration::ZERO,
    };
    let terminal = crate::ui::stdout().is_terminal();
    let mut sink = Stdout {
        include: args.include,
        terminal,
        held: Some(Vec::new()).filter(|_| terminal),
        escape: Escaper::default(),
        closed: false,
        ends_in_newline: true,
        text: true,
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
    let write = called.write;
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
                    print_body(&a.body, jq, write, terminal, text_body(&a))?;
                }
                // GraphQL says what went wrong in a 200: printed, and a failure.
                if called.graphql
                    && let Some(error) = crate::bigcommerce::graphql::first_error(&a.body)
                {
                    return Err(failure(format!("GraphQL error: {error}")).into());
                }
                return Ok(ExitStatus::Success);
            }
            print_body(&a.body, None, false, terminal, text_body(&a))?;
            let mut f = failure(a.headline());
            if a.status.as_u16() == 403 {
                for hint in failed::forbidden(&called.connection, &called.method, &called.path) {
                    f = f.also(hint);
                }
            }
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

/// Whether a body is text that ends with a newline when printed: JSON and
/// text are; a download (an image, a zip) stays byte for byte.
pub(super) fn text_body(a: &Answer) -> bool {
    print::is_text(a.headers.get(reqwest::header::CONTENT_TYPE))
}

/// The status line and headers, as `curl -i` shows them.
pub(super) fn head(a: &Answer) -> String {
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
