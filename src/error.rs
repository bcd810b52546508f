//! Errors a person can act on, and the exit codes they map to.
//!
//! Any error may bubble up as `anyhow::Error`; the ones bcconn raises on
//! purpose are [`Failure`]s, which carry a hint (what to do next) and an exit
//! code. `main` prints `error: <message>` and, when there is one,
//! `hint: <hint>` on the next line.

use std::fmt;

/// Exit codes, documented in the README.
pub mod exit {
    /// Something failed (network, BigCommerce refused, keyring error).
    pub const FAILURE: u8 = 1;
    /// The input was wrong: a bad flag value, an unknown name, a refused change.
    pub const USAGE: u8 = 2;
    /// `status`: at least one connection is not usable.
    pub const NOT_OK: u8 = 3;
    /// Interrupted (Ctrl-C) or cancelled at a prompt.
    pub const INTERRUPTED: u8 = 130;
}

/// An error raised on purpose, with what to do about it.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
    pub code: u8,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Bad input: exit code 2.
pub fn usage(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        hint: None,
        code: exit::USAGE,
    }
}

/// A failure of the operation: exit code 1.
pub fn failure(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        hint: None,
        code: exit::FAILURE,
    }
}

/// Cancelled by the person (Ctrl-C, Esc, "Cancel"): exit code 130.
pub fn cancelled(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        hint: None,
        code: exit::INTERRUPTED,
    }
}

/// The exit code and the lines to print for any error.
pub fn report(err: &anyhow::Error) -> (u8, String, Option<String>) {
    if let Some(f) = err.downcast_ref::<Failure>() {
        return (f.code, f.message.clone(), f.hint.clone());
    }
    // `{:#}` joins the context chain on one line: "reading x: permission denied".
    (exit::FAILURE, format!("{err:#}"), None)
}
