//! The one error model: how any error ends a run.
//!
//! - The lower modules (store, secrets, pool, bigcommerce, loopback, fsutil,
//!   env) return their own typed errors. They say what happened and nothing
//!   about the command line: no exit code, no hint.
//! - `connect/`, `wizard/` and `commands/` raise a [`Failure`] when they
//!   refuse something on purpose: a message, hints and an [`ExitStatus`].
//! - [`report`] is the one place that turns any error into what is printed
//!   (`error: <message>`, then `hint:` lines) and the exit status. The typed
//!   errors of the lower modules are explained here, one file per module,
//!   so the hints that name bcconn's commands live above the code that fails.
//!
//! Context added with `.context()` is kept: it prefixes the message. A closed
//! stdout ([`StdoutClosed`]) ends the run quietly with exit status 0.

mod bigcommerce;
mod fs;
mod loopback;
mod pool;
mod secrets;
mod settings;
mod store;

use std::fmt;

/// How a run ends; the codes are documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// Something failed (network, BigCommerce refused, keyring error).
    Failure,
    /// The input was wrong: a bad flag value, an unknown name, a refused change.
    Usage,
    /// `status` and `doctor`: something is not usable.
    NotOk,
    /// Interrupted (Ctrl-C) or cancelled at a prompt.
    Interrupted,
    /// `exec`: the command could not be run (as a shell says it).
    CannotRun,
    /// `exec`: the command was not found (as a shell says it).
    NotFound,
    /// `exec` where it cannot replace itself: the command's own status.
    Child(u8),
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::NotOk => 3,
            ExitStatus::Interrupted => 130,
            ExitStatus::CannotRun => 126,
            ExitStatus::NotFound => 127,
            ExitStatus::Child(code) => code,
        }
    }
}

/// An error raised on purpose, with what to do about it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub hints: Vec<String>,
    pub status: ExitStatus,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            hints: Vec::new(),
            status,
        }
    }

    /// What to do next, in place of any hint it had (a caller that knows
    /// better replaces a general hint).
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints = vec![hint.into()];
        self
    }

    /// One more thing to do, after the hints it has.
    pub fn also(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

/// Bad input: exit code 2.
pub fn usage(message: impl Into<String>) -> Failure {
    Failure::new(ExitStatus::Usage, message)
}

/// A failure of the operation: exit code 1.
pub fn failure(message: impl Into<String>) -> Failure {
    Failure::new(ExitStatus::Failure, message)
}

/// Cancelled by the person (Ctrl-C, Esc, "Cancel"): exit code 130.
pub fn cancelled(message: impl Into<String>) -> Failure {
    Failure::new(ExitStatus::Interrupted, message)
}

/// The reader of stdout has gone (`bcconn list | head -1`): not an error
/// of bcconn's, so the run ends quietly with status 0.
#[derive(Debug)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// What a run prints for an error, and how it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub status: ExitStatus,
    /// Empty when nothing is to be printed (a closed stdout).
    pub message: String,
    pub hints: Vec<String>,
}

/// The one translation of an error into a message, hints and an exit status.
///
/// The chain is read from the outside in: contexts are kept as a prefix, and
/// the first error that explains itself (a [`Failure`], or a typed error of a
/// lower module) gives the message, hints and status. An error nothing
/// explains is a failure (1) with its whole chain as the message.
pub fn report(err: &anyhow::Error) -> Report {
    let mut context: Vec<String> = Vec::new();
    for cause in err.chain() {
        if cause.is::<StdoutClosed>() {
            return Report {
                status: ExitStatus::Success,
                message: String::new(),
                hints: Vec::new(),
            };
        }
        if let Some(mut r) = explain(cause) {
            if !context.is_empty() {
                context.push(r.message);
                r.message = context.join(": ");
            }
            return r;
        }
        context.push(cause.to_string());
    }
    Report {
        status: ExitStatus::Failure,
        // `{:#}` joins the context chain on one line: "reading x: permission denied".
        message: format!("{err:#}"),
        hints: Vec::new(),
    }
}

impl Report {
    /// Status, message and the hints as one line ("a; b"), for an error
    /// shown inside another line.
    pub fn into_parts(self) -> (ExitStatus, String, Option<String>) {
        let hint = (!self.hints.is_empty()).then(|| self.hints.join("; "));
        (self.status, self.message, hint)
    }
}

/// The message alone, for an error shown inside another line (a finding of
/// `doctor`, a step of the walk-through, a page of a callback).
pub fn message(err: &anyhow::Error) -> String {
    report(err).message
}

/// One error of a chain, when it explains itself.
fn explain(cause: &(dyn std::error::Error + 'static)) -> Option<Report> {
    if let Some(f) = cause.downcast_ref::<Failure>() {
        return Some(Report {
            status: f.status,
            message: f.message.clone(),
            hints: f.hints.clone(),
        });
    }
    if let Some(e) = cause.downcast_ref::<crate::store::StoreError>() {
        return Some(store::explain(e).into());
    }
    if let Some(e) = cause.downcast_ref::<crate::fsutil::FsError>() {
        return Some(fs::explain(e).into());
    }
    if let Some(e) = cause.downcast_ref::<crate::secrets::SecretError>() {
        return Some(secrets::explain(e).into());
    }
    if let Some(e) = cause.downcast_ref::<crate::loopback::wait::WaitError>() {
        return Some(loopback::explain(e).into());
    }
    if let Some(e) = cause.downcast_ref::<crate::env::SettingError>() {
        return Some(settings::explain(e).into());
    }
    if let Some(e) = cause.downcast_ref::<crate::pool::PoolError>() {
        return Some(pool::explain(e).into());
    }
    if let Some(e) = cause.downcast_ref::<crate::bigcommerce::client::ApiError>() {
        return Some(bigcommerce::explain(e).into());
    }
    None
}

impl From<Failure> for Report {
    fn from(f: Failure) -> Self {
        Report {
            status: f.status,
            message: f.message,
            hints: f.hints,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn context_prefixes_a_failure_and_its_hints_stay() {
        let err = Err::<(), _>(usage("no such connection").hint("x").hint("a").also("b"))
            .context("reading the records")
            .unwrap_err();
        let r = report(&err);
        assert_eq!(r.status, ExitStatus::Usage);
        assert_eq!(r.message, "reading the records: no such connection");
        assert_eq!(r.hints, ["a", "b"]);
    }

    #[test]
    fn a_closed_stdout_is_quiet_success_wherever_it_is() {
        let err = anyhow::Error::new(StdoutClosed).context("writing the list");
        let r = report(&err);
        assert_eq!(r.status, ExitStatus::Success);
        assert!(r.message.is_empty());
    }

    #[test]
    fn an_unexplained_error_is_a_failure_with_its_chain() {
        let err = anyhow::anyhow!("permission denied").context("reading x");
        let r = report(&err);
        assert_eq!(r.status, ExitStatus::Failure);
        assert_eq!(r.message, "reading x: permission denied");
        assert_eq!(ExitStatus::Interrupted.code(), 130);
    }
}
