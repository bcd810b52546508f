//! Help that belongs to no one command: the environment, the exit statuses
//! and the files (`bcconn help environment`, and the man pages' sections).
//! Each is rendered from the one table that the code itself uses, so help
//! cannot drift from what bcconn does.

use crate::env::VARIABLES;
use crate::error::ExitStatus;
use crate::ui::hang;

/// The topics `bcconn help TOPIC` knows besides the commands: (name, what).
pub const TOPICS: &[(&str, &str)] = &[
    ("environment", "the environment variables bcconn reads"),
    ("exit-codes", "what each exit status means"),
];

/// One of [`TOPICS`], to render at the width of where it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic(&'static str);

/// The topic `bcconn help NAME` asks for, when NAME is one of [`TOPICS`].
pub fn topic(name: &str) -> Option<Topic> {
    TOPICS
        .iter()
        .find(|(t, _)| *t == name)
        .map(|(t, _)| Topic(t))
}

/// The width help is laid out for without a terminal or `COLUMNS`, and the
/// most it takes on a wide one (as clap's own help, whose `max_term_width`
/// is the same).
const DEFAULT_WIDTH: usize = 80;
const MAX_WIDTH: usize = 100;

impl Topic {
    pub fn name(&self) -> &'static str {
        self.0
    }

    /// The text, wrapped to `width` (`None`: [`DEFAULT_WIDTH`]).
    pub fn text(&self, width: Option<usize>) -> String {
        let width = width.unwrap_or(DEFAULT_WIDTH).min(MAX_WIDTH);
        match self.0 {
            "environment" => environment(width),
            _ => exit_codes(width),
        }
    }
}

/// Each description wraps under itself, so the names stand out on the left.
const DESCRIPTION_INDENT: usize = 6;
const STATUS_INDENT: usize = 7;

fn environment(width: usize) -> String {
    let mut out = String::from("Environment variables bcconn reads:\n");
    for v in VARIABLES {
        out.push_str(&format!(
            "\n  {}\n{}{}\n",
            v.name,
            " ".repeat(DESCRIPTION_INDENT),
            hang(v.what, DESCRIPTION_INDENT, Some(width))
        ));
    }
    out.push('\n');
    let note = "Secrets (BCCONN_CLIENT_SECRET, BCCONN_ACCESS_TOKEN) are read from the \
                environment so that they never go on the command line, where other users \
                can read them.";
    out.push_str(&hang(note, 0, Some(width)));
    out.push('\n');
    out
}

fn exit_codes(width: usize) -> String {
    let mut out = String::from("Exit statuses of bcconn:\n\n");
    for (code, what) in exit_statuses() {
        // "  130  " is STATUS_INDENT wide.
        out.push_str(&format!(
            "  {code:<4} {}\n",
            hang(what, STATUS_INDENT, Some(width))
        ));
    }
    out
}

/// Every exit status with what it means, in order: from [`ExitStatus`]
/// itself, so a status added there cannot be left out here (the matches
/// below have no catch-all arm).
pub fn exit_statuses() -> Vec<(String, &'static str)> {
    let mut rows = Vec::new();
    let mut next = Some(ExitStatus::Success);
    while let Some(status) = next {
        let (what, after) = match status {
            ExitStatus::Success => ("success", Some(ExitStatus::Failure)),
            ExitStatus::Failure => (
                "the operation failed (network, BigCommerce refused, secret store)",
                Some(ExitStatus::Usage),
            ),
            ExitStatus::Usage => (
                "bad input: a wrong flag or value, an unknown name, a refused change",
                Some(ExitStatus::NotOk),
            ),
            ExitStatus::NotOk => (
                "`status` found a connection that is not usable, or a `doctor` check failed",
                Some(ExitStatus::CannotRun),
            ),
            ExitStatus::CannotRun => (
                "`exec`: the command could not be run",
                Some(ExitStatus::NotFound),
            ),
            ExitStatus::NotFound => (
                "`exec`: the command was not found",
                Some(ExitStatus::Interrupted),
            ),
            ExitStatus::Interrupted => (
                "cancelled at a prompt or interrupted (Ctrl-C)",
                Some(ExitStatus::Child(0)),
            ),
            ExitStatus::Child(_) => ("`exec`: any other status is the command's own", None),
        };
        let code = match status {
            ExitStatus::Child(_) => "N".to_string(),
            other => other.code().to_string(),
        };
        rows.push((code, what));
        next = after;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_status_has_its_line() {
        let rows = exit_statuses();
        let codes: Vec<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["0", "1", "2", "3", "126", "127", "130", "N"]);
        for status in [
            ExitStatus::Success,
            ExitStatus::Failure,
            ExitStatus::Usage,
            ExitStatus::NotOk,
            ExitStatus::CannotRun,
            ExitStatus::NotFound,
            ExitStatus::Interrupted,
        ] {
            assert!(codes.contains(&status.code().to_string().as_str()));
        }
    }

    #[test]
    fn every_topic_has_a_text() {
        for (name, _) in TOPICS {
            assert!(
                topic(name).is_some_and(|t| t.text(None).ends_with('\n')),
                "{name}"
            );
        }
        assert!(
            topic("env").is_none(),
            "`help env` is the env command's help"
        );
    }
}
