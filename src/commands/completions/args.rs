//! `bcconn completions`' arguments.

use clap::Args;

/// A shell `bcconn completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  echo 'source <(bcconn completions bash)' >> ~/.bashrc
  echo 'source <(bcconn completions zsh)' >> ~/.zshrc
  echo 'bcconn completions fish | source' >> ~/.config/fish/config.fish
  # PowerShell: add this line to $PROFILE
  bcconn completions powershell | Out-String | iex

Connection, iClient and scope names are completed from your records wherever one goes. \
The shell code calls bcconn back at each Tab; completing reads the record file only \
(no secret store, no network).")]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: Shell,
}
