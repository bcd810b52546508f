//! Reading the command line: help topics clap does not know, clap's parse,
//! and the mistakes people make first, answered with what to type instead.

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

use super::Cli;
use super::mistakes::refusal;
use crate::error::Failure;

/// What the command line asks for.
#[derive(Debug)]
pub enum Line {
    Run(Box<Cli>),
    /// `bcconn help TOPIC`: the topic to print, at the width of stdout.
    Topic(super::Topic),
}

/// Why the command line cannot run: clap's own error (help, version, and
/// every refusal not answered here), or one of bcconn's.
#[derive(Debug)]
pub enum Refusal {
    Clap(clap::Error),
    Ours(Failure),
}

/// The command line as help, man pages and completions show it: examples
/// fitted to a narrow terminal (see [`super::fit`]).
pub fn command() -> clap::Command {
    fitted(Cli::command())
}

fn fitted(mut cmd: clap::Command) -> clap::Command {
    if let Some(text) = cmd.get_after_help().map(|t| t.to_string()) {
        cmd = cmd.after_help(super::fit::examples(&text));
    }
    if let Some(text) = cmd.get_after_long_help().map(|t| t.to_string()) {
        cmd = cmd.after_long_help(super::fit::examples(&text));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, fitted);
    }
    cmd
}

/// Reads `args` (the program's name first).
pub fn read(args: Vec<OsString>) -> Result<Line, Refusal> {
    let words: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let verbs: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !matches!(*w, "-v" | "-vv" | "-vvv" | "--verbose"))
        .collect();
    if let ["help", name, rest @ ..] = verbs.as_slice()
        && let Some(topic) = super::topics::topic(name)
    {
        // clap would call the topic an unrecognized subcommand.
        if !rest.is_empty() {
            return Err(Refusal::Ours(
                crate::error::usage(format!(
                    "`bcconn help {}` takes nothing after it",
                    topic.name()
                ))
                .hint(format!("run: bcconn help {}", topic.name())),
            ));
        }
        return Ok(Line::Topic(topic));
    }
    let matches = command()
        .try_get_matches_from(&args)
        .map_err(|e| refusal(&words, &verbs, e))?;
    Cli::from_arg_matches(&matches)
        .map(|cli| Line::Run(Box::new(cli)))
        .map_err(Refusal::Clap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_words(words: &[&str]) -> Result<Line, Refusal> {
        read(
            std::iter::once("bcconn")
                .chain(words.iter().copied())
                .map(OsString::from)
                .collect(),
        )
    }

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn help_topics_come_before_clap() {
        assert!(matches!(
            read_words(&["help", "environment"]),
            Ok(Line::Topic(_))
        ));
        assert!(matches!(
            read_words(&["-v", "help", "exit-codes"]),
            Ok(Line::Topic(_))
        ));
        assert!(matches!(
            read_words(&["help", "env"]),
            Err(Refusal::Clap(_))
        ));
        let Err(Refusal::Ours(f)) = read_words(&["help", "environment", "extra"]) else {
            panic!("not ours")
        };
        assert!(
            f.message.contains("takes nothing after it"),
            "{}",
            f.message
        );
    }

    #[test]
    fn exec_without_dashes_says_where_they_go() {
        let Err(Refusal::Ours(f)) = read_words(&["exec", "shop", "env", "-0"]) else {
            panic!("not ours")
        };
        assert_eq!(f.hints, ["run: bcconn exec shop -- env -0"]);
        let Err(Refusal::Ours(f)) = read_words(&["exec", "shop", "-v", "ls"]) else {
            panic!("not ours")
        };
        assert_eq!(f.hints, ["run: bcconn exec shop -v -- ls"]);
        // The same word again among CMD's arguments: `--` goes before the
        // first one, the command, not the last.
        let Err(Refusal::Ours(f)) = read_words(&["exec", "shop", "echo", "hi", "echo"]) else {
            panic!("not ours")
        };
        assert_eq!(f.hints, ["run: bcconn exec shop -- echo hi echo"]);
        // NAME and CMD the same word.
        let Err(Refusal::Ours(f)) = read_words(&["exec", "ls", "ls"]) else {
            panic!("not ours")
        };
        assert_eq!(f.hints, ["run: bcconn exec ls -- ls"]);
        // Each word quoted for a shell, so the hint runs what was meant.
        let Err(Refusal::Ours(f)) =
            read_words(&["exec", "shop", "sh", "-c", "echo $HOME; rm -rf \"a b\""])
        else {
            panic!("not ours")
        };
        assert_eq!(
            f.hints,
            [r#"run: bcconn exec shop -- sh -c 'echo $HOME; rm -rf "a b"'"#]
        );
        let Err(Refusal::Ours(f)) = read_words(&["exec"]) else {
            panic!("not ours")
        };
        assert!(f.hints[0].contains("-- CMD"), "{:?}", f.hints);
        assert!(matches!(
            read_words(&["exec", "shop", "--", "env"]),
            Ok(Line::Run(_))
        ));
    }
}
