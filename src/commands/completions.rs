//! `bcconn completions SHELL`: the shell code that completes bcconn's
//! commands, flags and saved names (clap_complete's dynamic completion).
//!
//! The shell code calls bcconn back at each Tab with `BCCONN_COMPLETE=SHELL`
//! set; `main` hands that run to [`complete`] before anything else happens.
//! Completing reads the record file and nothing else: no secret store, no
//! network, no lock, no write.

use std::ffi::OsStr;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{EnvCompleter, Shells};

use crate::cli::{Cli, CompletionsArgs, Shell};
use crate::context::Context;
use crate::env::Env;
use crate::error::ExitStatus;
use crate::store::Records;
use crate::ui;

/// The variable the shell code sets when it asks for completions.
pub const VAR: &str = "BCCONN_COMPLETE";

/// Which saved names an argument takes.
#[derive(Clone, Copy)]
enum Names {
    Connections,
    IClients,
}

/// Every argument that names a saved connection or iClient:
/// (subcommand path, argument id, names).
const NAME_ARGS: &[(&[&str], &str, Names)] = &[
    (&["authorize"], "connection", Names::Connections),
    (
        &["authorize"],
        "borrow_concurrency_from",
        Names::Connections,
    ),
    (&["authorize"], "iclient", Names::IClients),
    (&["create"], "borrow_concurrency_from", Names::Connections),
    (&["create"], "iclient", Names::IClients),
    (&["show"], "name", Names::Connections),
    (&["edit"], "name", Names::Connections),
    (&["edit"], "borrow_concurrency_from", Names::Connections),
    (&["edit"], "iclient", Names::IClients),
    (&["rename"], "old", Names::Connections),
    (&["delete"], "name", Names::Connections),
    (&["status"], "names", Names::Connections),
    (&["token"], "name", Names::Connections),
    (&["callback-url"], "iclient", Names::IClients),
    (&["iclient", "edit"], "name", Names::IClients),
    (&["iclient", "show"], "name", Names::IClients),
    (&["iclient", "remove"], "name", Names::IClients),
];

/// The command line with name completers on every argument that names a
/// saved connection or iClient.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for (path, arg, names) in NAME_ARGS {
        let completer = match names {
            Names::Connections => ArgValueCompleter::new(connections),
            Names::IClients => ArgValueCompleter::new(iclients),
        };
        cmd = with_completer(cmd, path, arg, completer);
    }
    cmd
}

fn with_completer(
    cmd: clap::Command,
    path: &[&str],
    arg: &str,
    completer: ArgValueCompleter,
) -> clap::Command {
    match path {
        [] => cmd.mut_arg(arg, |a| a.add(completer)),
        [first, rest @ ..] => {
            cmd.mut_subcommand(first, |sub| with_completer(sub, rest, arg, completer))
        }
    }
}

/// Answers the shell's completion request and exits, when this run is one
/// (`BCCONN_COMPLETE` is set); otherwise returns at once.
pub fn complete() {
    clap_complete::CompleteEnv::with_factory(command)
        .var(VAR)
        .shells(SHELLS)
        .complete();
}

/// How a shell needs a completed name written so that entering the line
/// gives back the name and runs nothing: bash inserts a reply as it is (a
/// name holding `$(…)` ran when the line was entered), PowerShell too;
/// zsh (`compadd`) and fish quote what they insert themselves, so quoting
/// there would put the quotes into the name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Quote {
    AsIs,
    /// `'…'`, a `'` written `'\''` (bash).
    Posix,
    /// `'…'`, a `'` written `''` (PowerShell).
    PowerShell,
}

thread_local! {
    /// The quoting of the shell this run answers (set before the engine
    /// calls the name completers, which cannot be told otherwise).
    static QUOTE: std::cell::Cell<Quote> = const { std::cell::Cell::new(Quote::AsIs) };
}

/// A built-in shell whose completion answer quotes saved names its way.
struct Quoting {
    shell: &'static dyn EnvCompleter,
    quote: Quote,
}

impl EnvCompleter for Quoting {
    fn name(&self) -> &'static str {
        self.shell.name()
    }

    fn is(&self, name: &str) -> bool {
        self.shell.is(name)
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        if self.quote != Quote::Posix {
            return self
                .shell
                .write_registration(var, name, bin, completer, buf);
        }
        // clap's bash script puts the program inside double quotes after
        // quoting it for the shell: a path with a space was called with its
        // quotes in the name (no completion), and `$(…)` or a backquote in
        // it ran at every Tab. Written here for double quotes instead.
        let mut script = Vec::new();
        self.shell
            .write_registration(var, name, bin, PLACEHOLDER, &mut script)?;
        let script = String::from_utf8_lossy(&script).replace(
            &format!("\"{PLACEHOLDER}\""),
            &format!("\"{}\"", in_double_quotes(completer)),
        );
        buf.write_all(script.as_bytes())
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<std::ffi::OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        QUOTE.with(|q| q.set(self.quote));
        self.shell.write_complete(cmd, args, current_dir, buf)
    }
}

/// Stands for the program in clap's bash script until it is quoted.
const PLACEHOLDER: &str = "bcconn-completer-placeholder";

/// `text` as it must be written between double quotes in bash: `\`, `"`,
/// `$` and a backquote escaped.
fn in_double_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const SHELLS: Shells<'static> = Shells(&[
    &Quoting {
        shell: &clap_complete::env::Bash,
        quote: Quote::Posix,
    },
    &Quoting {
        shell: &clap_complete::env::Zsh,
        quote: Quote::AsIs,
    },
    &Quoting {
        shell: &clap_complete::env::Fish,
        quote: Quote::AsIs,
    },
    &Quoting {
        shell: &clap_complete::env::Powershell,
        quote: Quote::PowerShell,
    },
    // Not offered by `bcconn completions`; answered as clap does.
    &Quoting {
        shell: &clap_complete::env::Elvish,
        quote: Quote::AsIs,
    },
]);

/// `name` as a word the shell gives back unchanged: as it is when it holds
/// nothing the shell treats specially (so `shop` stays `shop`).
fn quoted(name: &str, quote: Quote) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.@/:,+=".contains(c))
        && !name.starts_with(['-', '@', '=']);
    match quote {
        _ if plain => name.to_string(),
        Quote::AsIs => name.to_string(),
        Quote::Posix => format!("'{}'", name.replace('\'', "'\\''")),
        Quote::PowerShell => format!("'{}'", name.replace('\'', "''")),
    }
}

/// What was typed so far, without the quoting the shell would remove
/// (`'x$(` or `x\$` while completing a quoted name in bash).
fn unquoted(typed: &str) -> String {
    let mut out = String::new();
    let mut chars = typed.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {}
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

pub fn run(_ctx: &Context, args: CompletionsArgs) -> Result<ExitStatus> {
    let name = match args.shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Powershell => "powershell",
    };
    let shell: &dyn EnvCompleter = SHELLS
        .completer(name)
        .expect("clap_complete knows the four shells");
    let mut script = Vec::new();
    shell.write_registration(VAR, "bcconn", "bcconn", &completer_path(), &mut script)?;
    ui::out(&String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}

/// How the shell code calls bcconn back: as it was called now (`bcconn`
/// from PATH stays `bcconn`, so an upgrade is picked up; a path is made
/// absolute).
fn completer_path() -> String {
    let argv0 = std::env::args_os()
        .next()
        .unwrap_or_else(|| "bcconn".into());
    let path = std::path::PathBuf::from(&argv0);
    if path.components().count() > 1
        && let Ok(dir) = crate::env::current_dir()
    {
        return dir.join(path).to_string_lossy().into_owned();
    }
    path.to_string_lossy().into_owned()
}

/// The records of this user's home, for completion (best effort: any
/// error completes nothing). Reads rows, never secrets.
fn records() -> Records {
    Records::new(&Env::from_process().home)
}

/// Names that start with what was typed (ignoring case, as names match).
fn matching<'a>(
    current: &OsStr,
    items: impl Iterator<Item = (&'a str, String)>,
) -> Vec<CompletionCandidate> {
    let quote = QUOTE.with(|q| q.get());
    let typed = current.to_string_lossy();
    let typed = match quote {
        Quote::AsIs => typed.to_lowercase(),
        _ => unquoted(&typed).to_lowercase(),
    };
    items
        .filter(|(name, _)| name.to_lowercase().starts_with(&typed))
        .map(|(name, help)| CompletionCandidate::new(quoted(name, quote)).help(Some(help.into())))
        .collect()
}

fn connections(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let listed = records().list_rows(&mut |r| {
        let help = format!("store {}, {}", r.store_hash, r.state);
        rows.push((r.name.to_string(), crate::text::outside(&help, 80)));
        Ok(())
    });
    if listed.is_err() {
        return Vec::new();
    }
    matching(current, rows.iter().map(|(n, h)| (n.as_str(), h.clone())))
}

fn iclients(current: &OsStr) -> Vec<CompletionCandidate> {
    let Ok(tx) = records().load() else {
        return Vec::new();
    };
    let Ok(list) = tx.iclients() else {
        return Vec::new();
    };
    matching(
        current,
        list.iter().map(|ic| {
            let help = format!("client id {}", ic.client_id);
            (ic.name.as_str(), crate::text::outside(&help, 80))
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_argument_exists() {
        // mut_arg and mut_subcommand panic on a name that is not there.
        command().debug_assert();
    }

    #[test]
    fn names_are_quoted_the_way_each_shell_reads_them_back() {
        let odd = "x$(touch pwned) it's";
        assert_eq!(quoted(odd, Quote::Posix), "'x$(touch pwned) it'\\''s'");
        assert_eq!(quoted(odd, Quote::PowerShell), "'x$(touch pwned) it''s'");
        // zsh and fish quote what they insert themselves.
        assert_eq!(quoted(odd, Quote::AsIs), odd);
        for quote in [Quote::Posix, Quote::PowerShell, Quote::AsIs] {
            assert_eq!(quoted("acme-prod_2", quote), "acme-prod_2");
            assert_eq!(quoted("東京-café", quote), "東京-café");
        }
        assert_eq!(quoted("a b", Quote::Posix), "'a b'");
        assert_eq!(unquoted("'x$("), "x$(");
        assert_eq!(unquoted("x\\$\\(t"), "x$(t");
    }

    #[test]
    fn names_match_by_prefix_ignoring_case() {
        let items = [
            ("Shop", String::new()),
            ("shipping", String::new()),
            ("other", String::new()),
        ];
        let got: Vec<String> =
            matching(OsStr::new("sh"), items.iter().map(|(n, h)| (*n, h.clone())))
                .iter()
                .map(|c| c.get_value().to_string_lossy().into_owned())
                .collect();
        assert_eq!(got, ["Shop", "shipping"]);
    }
}
