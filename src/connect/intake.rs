//! Taking secrets and confirmations from a person, through the `Prompter`
//! (so `NO_COLOR` holds and tests can script them). Secrets never come from
//! argv: stdin, an environment variable, or a hidden prompt.

use anyhow::Result;
use secrecy::SecretString;

use crate::context::Context;
use crate::error::{Failure, cancelled, usage};
use crate::seams::Stop;

/// The most a piped secret may be: far more than any client secret or token.
const SECRET_MAX: u64 = 64 * 1024;

/// Where a secret may come from, in order of precedence.
pub struct SecretSource<'a> {
    /// e.g. "client secret"
    pub what: &'a str,
    /// The `--*-stdin` flag was given.
    pub stdin: bool,
    pub stdin_flag: &'a str,
    pub env_value: Option<&'a SecretString>,
    pub env_name: &'a str,
}

/// Reads a secret from stdin, the environment, or a hidden prompt — never argv.
pub fn read_secret(ctx: &Context, src: SecretSource) -> Result<SecretString> {
    // On a terminal, reading "stdin" would echo the secret as it is typed:
    // ask with the hidden prompt instead.
    if src.stdin && !ctx.stdin.is_terminal() {
        let bytes = ctx.stdin.read_bounded(SECRET_MAX)?;
        if bytes.len() as u64 > SECRET_MAX {
            return Err(usage(format!(
                "{} read more than {SECRET_MAX} bytes from stdin; that is not a {}",
                src.stdin_flag, src.what
            ))
            .into());
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            usage(format!(
                "{} read a {} from stdin that is not UTF-8 text",
                src.stdin_flag, src.what
            ))
        })?;
        let text = text.trim_end_matches(['\r', '\n']).trim();
        if text.is_empty() {
            return Err(usage(format!(
                "{} read no {} from stdin",
                src.stdin_flag, src.what
            ))
            .hint(format!(
                "pipe it in, e.g. `pass show app | bcconn ... {}`",
                src.stdin_flag
            ))
            .into());
        }
        return Ok(SecretString::from(text.to_string()));
    }
    if let Some(value) = src.env_value {
        return Ok(value.clone());
    }
    if ctx.interactive || src.stdin {
        let answer = ctx
            .ask(|p| {
                p.secret(
                    &format!("{}:", crate::text::capitalized(src.what)),
                    "input is hidden",
                    &format!("the {} is empty", src.what),
                )
            })
            .map_err(stopped)?;
        return Ok(answer);
    }
    Err(usage(format!("no {} given", src.what))
        .hint(format!(
            "pipe it to {} or set {} (secrets are never taken as flag values)",
            src.stdin_flag, src.env_name
        ))
        .into())
}

/// A prompt that stopped: cancelled is a clean exit 130, anything else an error.
pub fn stopped(stop: Stop) -> anyhow::Error {
    match stop {
        Stop::Cancelled | Stop::Back => cancelled("cancelled; nothing was saved").into(),
        Stop::Failed(e) => e,
    }
}

/// Asks yes/no on the terminal. Without one there is nobody to ask, and a
/// destructive step must not happen by default: the caller needs `--yes`.
pub fn confirm(ctx: &Context, question: &str) -> Result<bool> {
    if !ctx.interactive {
        return Err(no_terminal(question).into());
    }
    ctx.ask(|p| p.confirm(question, false, None))
        .map_err(stopped)
}

fn no_terminal(question: &str) -> Failure {
    usage(format!(
        "not confirmed: there is no terminal to ask \"{question}\""
    ))
    .hint("pass --yes to confirm without being asked")
}
