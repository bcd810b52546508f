//! `bcconn completions SHELL`: the shell code that completes bcconn's
//! commands, flags and saved names (clap_complete's dynamic completion).
//!
//! The shell code calls bcconn back at each Tab with `BCCONN_COMPLETE=SHELL`
//! set; `main` hands that run to [`complete`] before anything else happens.
//! Completing reads the record file and nothing else: no secret store, no
//! network, no lock, no write.

mod args;
mod names;
mod positions;
mod shells;

use anyhow::Result;
use clap_complete::env::EnvCompleter;

use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;
pub use args::{CompletionsArgs, Shell};
pub use positions::{Names, command, names_of};
use shells::SHELLS;

/// The variable the shell code sets when it asks for completions.
pub const VAR: &str = "BCCONN_COMPLETE";

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
