//! `bcconn completions SHELL`: the shell code that completes bcconn's
//! commands, flags and saved names (clap_complete's dynamic completion).
//!
//! The shell code calls bcconn back at each Tab with `BCCONN_COMPLETE=SHELL`
//! set; `main` hands that run to [`complete`] before anything else happens.
//! Completing reads the record file and nothing else: no secret store, no
//! network, no lock, no write.

mod args;
mod names;
mod shells;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::engine::ArgValueCompleter;
use clap_complete::env::EnvCompleter;

use crate::commands::cli::Cli;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;
pub use args::{CompletionsArgs, Shell};
use names::{connections, iclients};
use shells::SHELLS;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_argument_exists() {
        // mut_arg and mut_subcommand panic on a name that is not there.
        command().debug_assert();
    }
}
