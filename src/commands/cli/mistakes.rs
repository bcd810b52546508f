//! The mistakes people make first on bcconn's command line, answered with
//! what to type instead of clap's "unrecognized subcommand".

use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::line::Refusal;
use crate::error::usage;
use crate::text::{outside, shell_word};

/// Verbs people try from other tools, and what bcconn calls the same thing.
const MISTAKES: &[(&str, &str)] = &[
    ("login", CREATE_OR_AUTHORIZE),
    ("signin", CREATE_OR_AUTHORIZE),
    ("auth", CREATE_OR_AUTHORIZE),
    ("connect", CREATE_OR_AUTHORIZE),
    (
        "add",
        "to add a connection: bcconn create (an app's client id and secret: bcconn iclient add NAME)",
    ),
    ("new", "to add a connection: bcconn create"),
    (
        "logout",
        "to forget a connection and its token: bcconn delete NAME",
    ),
    (
        "remove",
        "to forget a connection and its token: bcconn delete NAME",
    ),
    (
        "info",
        "to see one connection: bcconn show NAME (all of them: bcconn list)",
    ),
];

const CREATE_OR_AUTHORIZE: &str =
    "to add a connection: bcconn create; to authorize a saved one again: bcconn authorize NAME";

/// `words`: the command line as given; `verbs`: the same without the
/// global flags, to recognise the verb.
pub(super) fn refusal(words: &[String], verbs: &[&str], e: clap::Error) -> Refusal {
    let word = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    match (e.kind(), verbs.first()) {
        (ErrorKind::InvalidSubcommand, Some(first)) => {
            if let Some((verb, hint)) = MISTAKES.iter().find(|(m, _)| m.eq_ignore_ascii_case(first))
            {
                return Refusal::Ours(usage(format!("bcconn has no `{verb}` command")).hint(*hint));
            }
        }
        // `exec NAME CMD` without `--`: clap calls CMD an unexpected argument.
        (ErrorKind::UnknownArgument | ErrorKind::MissingRequiredArgument, Some(&"exec"))
            if !verbs.contains(&"--")
                && !word(ContextKind::InvalidArg).is_some_and(|a| a.starts_with('-')) =>
        {
            let fixed = match word(ContextKind::InvalidArg) {
                Some(cmd) => {
                    let at = command_start(words, &cmd);
                    let mut line: Vec<String> = words.iter().map(|w| shell_word(w)).collect();
                    line.insert(at, "--".to_string());
                    format!("bcconn {}", line.join(" "))
                }
                None => "bcconn exec [NAME] -- CMD [ARGS...]".to_string(),
            };
            return Refusal::Ours(
                usage("bcconn exec takes the command to run after `--`")
                    .hint(format!("run: {}", outside(&fixed, 200))),
            );
        }
        _ => {}
    }
    Refusal::Clap(e)
}

/// Where CMD starts in `bcconn exec [NAME] CMD...`: the second word after
/// `exec` that is not a flag (the first is NAME). clap calls CMD the
/// unexpected argument, but the same word may come again among CMD's own
/// arguments (`exec shop echo hi echo`) or be NAME itself, so its position
/// is counted rather than searched for. The flags before CMD (`-v`,
/// `--pass-bcconn-env`) take no value, so skipping them keeps the count.
fn command_start(words: &[String], cmd: &str) -> usize {
    let Some(exec) = words.iter().position(|w| w == "exec") else {
        return words.len();
    };
    words
        .iter()
        .enumerate()
        .skip(exec + 1)
        .filter(|(_, w)| !w.starts_with('-'))
        .nth(1)
        .filter(|(_, w)| *w == cmd)
        .map_or(words.len(), |(at, _)| at)
}
