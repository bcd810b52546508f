//! The command line. Doc comments here are the help people read.
//!
//! Conventions: flags are long and kebab-case; `-v` and `-h`/`-V` are the only
//! short ones. Secrets never have a flag that takes a value: they come from a
//! hidden prompt, stdin (`--*-stdin`) or an environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::bigcommerce::oauth::Flow;
use crate::bigcommerce::store_hash::StoreHash;
use crate::connect::authorize::FlowOptions;
use crate::store::AuthType;

#[derive(Debug, Parser)]
#[command(
    name = "bcconn",
    version,
    about = "Manage OAuth 2.0 connections to BigCommerce stores",
    long_about = "Manage OAuth 2.0 connections to BigCommerce stores.\n\n\
        Create a connection (`bcconn create`), authorize it in the browser, and use its \
        token from scripts (`bcconn token NAME`). Records live in BCCONN_HOME \
        (~/.config/bcconn on Linux); secrets live in the OS keyring.",
    after_help = "Run `bcconn create` to walk through a new connection.",
    max_term_width = 100
)]
pub struct Cli {
    /// Print diagnostics to stderr (-vv for more). Never prints secrets.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a connection: prompts for what the flags leave out, then authorizes it
    Create(CreateArgs),
    /// Authorize a saved connection, or create-or-update one from flags and authorize it
    Authorize(AuthorizeArgs),
    /// List saved connections (reads no secret, makes no request)
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one connection (secrets masked)
    Show(ShowArgs),
    /// Change a connection's scopes, iClient or concurrency settings
    Edit(EditArgs),
    /// Rename a connection
    Rename(RenameArgs),
    /// Forget a connection and its token (does not revoke it in BigCommerce)
    #[command(visible_alias = "rm")]
    Delete(DeleteArgs),
    /// Check saved tokens against their stores
    Status(StatusArgs),
    /// Print a connection's access token on stdout, for scripts
    Token(TokenArgs),
    /// Manage iClients: saved client id / secret pairs of your BigCommerce apps
    #[command(subcommand)]
    Iclient(IclientCommand),
    /// List the OAuth scopes bcconn knows
    Scopes(ScopesArgs),
    /// Print the callback URL to paste into your app's Auth, Load and Uninstall callback fields
    CallbackUrl(CallbackUrlArgs),
    /// Check the setup: secret store, files, ports, browser, endpoints, clock
    Doctor(DoctorArgs),
    /// Print the shell code that completes bcconn's commands and saved names
    Completions(CompletionsArgs),
    /// Write a man page for each command into a directory
    Man(ManArgs),
}

/// What a connection is: shared by `create`, `authorize` and `edit`.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionFlags {
    /// Store hash, or any URL that holds one (API path, control panel URL, `stores/HASH`)
    #[arg(long, value_name = "HASH|URL")]
    pub store_hash: Option<String>,

    /// Scopes to request, comma-separated (see `bcconn scopes`)
    #[arg(long, value_name = "SCOPE,..", conflicts_with = "all_scopes")]
    pub scopes: Option<String>,

    /// Request every store scope
    #[arg(long)]
    pub all_scopes: bool,

    /// The iClient (saved client id / secret) to authorize with
    #[arg(long, value_name = "NAME")]
    pub iclient: Option<String>,

    /// Concurrency level for this connection's API calls
    #[arg(long, value_name = "1..=25", value_parser = clap::value_parser!(u8).range(1..=25))]
    pub concurrency: Option<u8>,

    /// Share another connection's concurrency pool instead of having one
    #[arg(long, value_name = "CONNECTION")]
    pub borrow_concurrency_from: Option<String>,
}

impl ConnectionFlags {
    /// `--store-hash`, parsed here rather than by clap so that a refusal reads
    /// like every other bcconn error (what was wrong, then where to look).
    pub fn parsed_store_hash(&self) -> Result<Option<StoreHash>, crate::error::Failure> {
        self.store_hash
            .as_deref()
            .map(|s| {
                StoreHash::parse(s).map_err(|e| crate::error::usage(format!("--store-hash: {e}")))
            })
            .transpose()
    }
}

/// How to run the authorization.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Authorization")]
pub struct FlowFlags {
    /// Which authorization flow to use
    #[arg(long, value_enum, default_value_t = Flow::Authorize)]
    pub flow: Flow,

    /// Print the URL instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,

    /// Give up waiting for the browser after this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: u64,

    /// Where to listen when the callback URL is not on this machine (e.g. behind an HTTPS tunnel)
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
}

impl FlowFlags {
    pub fn options(&self) -> FlowOptions {
        FlowOptions {
            flow: self.flow,
            no_browser: self.no_browser,
            timeout: std::time::Duration::from_secs(self.timeout),
            listen: self.listen,
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A unique name for the connection
    pub name: Option<String>,

    /// OAuth 2.0 through an app (default), or a store-level API account token
    #[arg(long, value_enum)]
    pub auth_type: Option<AuthType>,

    /// Do not ask; fail if something is missing
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub conn: ConnectionFlags,

    #[command(flatten)]
    pub flow: FlowFlags,

    /// Save the connection as pending without authorizing it
    #[arg(long)]
    pub no_authorize: bool,

    /// Read the access token from stdin
    #[arg(
        long,
        conflicts_with = "api_credentials_file",
        help_heading = "Token auth (--auth-type token)"
    )]
    pub access_token_stdin: bool,

    /// The API credentials .txt BigCommerce downloaded when the API account was created
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Token auth (--auth-type token)"
    )]
    pub api_credentials_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    /// The saved connection to (re-)authorize
    #[arg(value_name = "NAME")]
    pub connection: Option<String>,

    /// With --store-hash: the connection to create or update (default: one for that store and iClient)
    #[arg(long, value_name = "NAME", conflicts_with = "connection")]
    pub name: Option<String>,

    /// Do not ask anything (authorize never asks; accepted so that scripts can pass create's flags)
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub conn: ConnectionFlags,

    #[command(flatten)]
    pub flow: FlowFlags,

    /// Token connections: read the new access token from stdin
    #[arg(
        long,
        conflicts_with = "api_credentials_file",
        help_heading = "Token auth (token connections)"
    )]
    pub access_token_stdin: bool,

    /// Token connections: the API credentials .txt with the new token
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Token auth (token connections)"
    )]
    pub api_credentials_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON (an array of connections)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub name: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub name: String,
    #[command(flatten)]
    pub conn: ConnectionFlags,
    /// Stop borrowing concurrency; use the connection's own level
    #[arg(long, conflicts_with = "borrow_concurrency_from")]
    pub no_borrow: bool,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    pub old: String,
    pub new: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    pub name: String,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Connections to check (default: all)
    pub names: Vec<String>,
    /// Check every saved connection
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ScopesArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CallbackUrlArgs {
    /// The iClient whose callback URL to print (default: the only one, or the default URL)
    #[arg(long, value_name = "NAME")]
    pub iclient: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum IclientCommand {
    /// Save a client id / secret pair (the secret is read from a prompt, stdin or BCCONN_CLIENT_SECRET)
    Add(IclientAddArgs),
    /// Change an iClient's client id, secret or callback URL
    Edit(IclientEditArgs),
    /// List iClients and the connections using each
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one iClient (secret masked)
    Show(ShowArgs),
    /// Remove an iClient and its secret (refused while a connection uses it)
    #[command(visible_alias = "rm")]
    Remove(IclientRemoveArgs),
}

#[derive(Debug, Args)]
pub struct IclientAddArgs {
    pub name: String,
    /// The app's client id (Developer Portal › My Apps › View Client ID)
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The callback URL registered in the app
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Read the client secret from stdin
    #[arg(long)]
    pub client_secret_stdin: bool,
}

#[derive(Debug, Args)]
pub struct IclientEditArgs {
    pub name: String,
    /// New client id
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// New callback URL
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Read a new client secret from stdin
    #[arg(long, conflicts_with = "secret")]
    pub client_secret_stdin: bool,
    /// Ask for a new client secret (hidden prompt), or take BCCONN_CLIENT_SECRET
    #[arg(long)]
    pub secret: bool,
    /// Rename the iClient
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
}

#[derive(Debug, Args)]
pub struct IclientRemoveArgs {
    pub name: String,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  bcconn doctor                 check everything; exits 3 when a check fails
  bcconn doctor --fix           also remove stale temp files and orphan secrets, tighten file modes
  bcconn doctor --json | jq '.[] | select(.verdict != \"ok\")'

Checks: home, records, permissions, temp_files, secret_store (with its timing), orphan_secrets, \
callback_port (per iClient), browser (or headless), siblings, last_verified (30 days), \
login_endpoint, api_endpoint, clock. Each says ok, warn or fail, and what to do.")]
pub struct DoctorArgs {
    /// Print JSON: an array of {check, subject, verdict, detail, fix, fixed, ms}
    #[arg(long)]
    pub json: bool,
    /// Remove stale temp files and orphan secrets, and make bcconn's files private
    #[arg(long)]
    pub fix: bool,
}

/// A shell `bcconn completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples (connection and iClient names are completed from your records):
  echo 'source <(bcconn completions bash)' >> ~/.bashrc
  echo 'source <(bcconn completions zsh)' >> ~/.zshrc
  echo 'bcconn completions fish | source' >> ~/.config/fish/config.fish
  echo 'bcconn completions powershell | Out-String | Invoke-Expression' >> $PROFILE

The shell code calls bcconn back at each Tab; completing reads the record file only \
(no secret store, no network)."
)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  bcconn man --dir ~/.local/share/man/man1 && man bcconn-create
  sudo bcconn man --dir /usr/local/share/man/man1")]
pub struct ManArgs {
    /// The directory to write the pages into (created if missing): bcconn.1, bcconn-create.1, …
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
