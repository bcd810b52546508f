//! One module per verb. Each exposes `run(ctx, args) -> Result<u8>` (the exit
//! code); shared intake helpers live here.

pub mod authorize;
pub mod callback_url;
pub mod create;
pub mod delete;
pub mod edit;
pub mod iclient;
pub mod list;
pub mod rename;
pub mod scopes;
pub mod show;
pub mod status;
pub mod token;
pub mod token_auth;

use std::io::Read;

use anyhow::Result;
use secrecy::SecretString;

use crate::cli::Command;
use crate::context::Context;
use crate::error::{cancelled, usage};

pub fn run(ctx: &Context, command: Command) -> Result<u8> {
    match command {
        Command::Create(args) => create::run(ctx, args),
        Command::Authorize(args) => authorize::run(ctx, args),
        Command::List(args) => list::run(ctx, args),
        Command::Show(args) => show::run(ctx, args),
        Command::Edit(args) => edit::run(ctx, args),
        Command::Rename(args) => rename::run(ctx, args),
        Command::Delete(args) => delete::run(ctx, args),
        Command::Status(args) => status::run(ctx, args),
        Command::Token(args) => token::run(ctx, args),
        Command::Iclient(cmd) => iclient::run(ctx, cmd),
        Command::Scopes(args) => scopes::run(ctx, args),
        Command::CallbackUrl(args) => callback_url::run(ctx, args),
    }
}

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
    if src.stdin && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
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
        let answer = inquire::Password::new(&format!("{}:", capitalize(src.what)))
            .without_confirmation()
            .with_display_mode(inquire::PasswordDisplayMode::Hidden)
            .with_help_message("input is hidden")
            .prompt()
            .map_err(prompt_error)?;
        let answer = answer.trim().to_string();
        if answer.is_empty() {
            return Err(usage(format!("the {} is empty", src.what)).into());
        }
        return Ok(SecretString::from(answer));
    }
    Err(usage(format!("no {} given", src.what))
        .hint(format!(
            "pipe it to {} or set {} (secrets are never taken as flag values)",
            src.stdin_flag, src.env_name
        ))
        .into())
}

/// Maps a prompt's cancel/interrupt to a clean "cancelled" exit.
pub fn prompt_error(e: inquire::InquireError) -> anyhow::Error {
    match e {
        inquire::InquireError::OperationCanceled | inquire::InquireError::OperationInterrupted => {
            cancelled("cancelled; nothing was saved").into()
        }
        other => anyhow::Error::new(other).context("reading from the terminal"),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Asks yes/no on the terminal. Without one there is nobody to ask, and a
/// destructive step must not happen by default: the caller needs `--yes`.
pub fn confirm(ctx: &Context, question: &str) -> Result<bool> {
    if !ctx.interactive {
        return Err(usage(format!(
            "{} (no terminal to ask on)",
            question.trim_end_matches('?')
        ))
        .hint("pass --yes to confirm")
        .into());
    }
    inquire::Confirm::new(question)
        .with_default(false)
        .prompt()
        .map_err(prompt_error)
}

/// A single-threaded runtime: one flow at a time needs no more.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
