//! The command line. Doc comments here are the help people read.
//!
//! Conventions: flags are long and kebab-case; `-v` and `-h`/`-V` are the only
//! short ones. Secrets never have a flag that takes a value: they come from a
//! hidden prompt, stdin (`--*-stdin`) or an environment variable.
//!
//! Each verb's arguments live beside the verb (`CreateArgs` in
//! `commands/create.rs`); here are only what the verbs share: the top-level
//! parser, the list of verbs, and the flag groups in [`flags`].

mod fit;
mod flags;
mod line;
mod mistakes;
mod topics;
mod values;
mod words;

use clap::{Parser, Subcommand};

pub use flags::{AuthTypeArg, ConnectionFlags, FlowArg, FlowFlags, StoreFlag, ToolArg, ToolFlag};
pub use line::{Line, Refusal, command, read};
pub use topics::{TOPICS, Topic, exit_statuses};

use super::api::ApiArgs;
use super::authorize::AuthorizeArgs;
use super::callback_url::CallbackUrlArgs;
use super::channels::ChannelsArgs;
use super::completions::CompletionsArgs;
use super::create::CreateArgs;
use super::delete::DeleteArgs;
use super::doctor::DoctorArgs;
use super::edit::EditArgs;
use super::env::EnvArgs;
use super::exec::ExecArgs;
use super::history::HistoryArgs;
use super::hooks::HooksCommand;
use super::iclient::IclientCommand;
use super::list::ListArgs;
use super::man::ManArgs;
use super::records::{BackupArgs, ExportArgs, ImportArgs, RestoreArgs};
use super::rename::RenameArgs;
use super::scopes::ScopesArgs;
use super::secrets::SecretsCommand;
use super::show::ShowArgs;
use super::status::StatusArgs;
use super::store::StoreCommand;
use super::storefront_token::StorefrontTokenCommand;
use super::token::TokenArgs;
use super::use_::UseArgs;
use super::version::VersionArgs;

#[derive(Debug, Parser)]
#[command(
    name = "bcconn",
    version = super::version::TEXT,
    about = "Manage OAuth 2.0 connections to BigCommerce stores",
    long_about = "Manage OAuth 2.0 connections to BigCommerce stores.\n\n\
        Create a connection (`bcconn create`), authorize it in the browser, and use its \
        token from scripts (`bcconn token NAME`). Records live in BCCONN_HOME \
        (~/.config/bcconn on Linux); secrets live in the OS keyring.",
    after_help = "Run `bcconn create` to walk through a new connection.\n\
        More help: bcconn help environment (the variables bcconn reads), \
        bcconn help exit-codes.",
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
    #[command(
        after_help = "Examples:\n  bcconn create                                  # walk through it\n  bcconn create shop --store-hash abc123 --iclient my-app --scopes store_v2_orders --yes\n  bcconn create shop --store-hash abc123 --iclient my-app --all-scopes --no-authorize --yes\n  pass show shop-token | bcconn create shop --auth-type token --store-hash abc123 --access-token-stdin --yes"
    )]
    Create(CreateArgs),
    /// Authorize a saved connection, or create-or-update one from flags and authorize it
    #[command(
        after_help = "Examples:\n  bcconn authorize shop\n  bcconn authorize shop --flow manual            # over SSH: paste the address back\n  bcconn authorize --store-hash abc123 --iclient my-app --scopes store_v2_orders --name shop"
    )]
    Authorize(AuthorizeArgs),
    /// List saved connections (reads no secret, makes no request)
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  bcconn list\n  bcconn list --wide\n  bcconn list --json | jq -r '.[] | select(.state != \"authorized\") | .name'"
    )]
    List(ListArgs),
    /// Show one connection (secrets masked)
    #[command(
        after_help = "Examples:\n  bcconn show shop\n  bcconn show shop --json | jq -r .api_url"
    )]
    Show(ShowArgs),
    /// Change a connection's scopes, iClient or concurrency settings
    #[command(
        after_help = "Examples:\n  bcconn edit shop                               # on a terminal: walk through it\n  bcconn edit shop --scopes store_v2_orders,store_v2_products\n  bcconn edit shop --concurrency 5\n  bcconn edit shop --borrow-concurrency-from main-shop"
    )]
    Edit(EditArgs),
    /// Rename a connection
    #[command(after_help = "Example:\n  bcconn rename shop acme-prod")]
    Rename(RenameArgs),
    /// Forget a connection and its token (does not revoke it in BigCommerce)
    #[command(
        visible_alias = "rm",
        after_help = "Examples:\n  bcconn delete shop\n  bcconn delete shop --yes                       # no question (scripts)"
    )]
    Delete(DeleteArgs),
    /// Check saved tokens against their stores
    #[command(after_help = "Examples:\n  bcconn status\n  bcconn status shop --json")]
    Status(StatusArgs),
    /// Print a connection's access token on stdout, for scripts
    #[command(after_help = "Example:\n  X_AUTH_TOKEN=$(bcconn token shop) some-tool")]
    Token(TokenArgs),
    /// Manage iClients: saved client id / secret pairs of your BigCommerce apps
    #[command(subcommand)]
    Iclient(IclientCommand),
    /// List the OAuth scopes bcconn knows
    #[command(after_help = "Examples:\n  bcconn scopes\n  bcconn scopes --json | jq -r '.[].name'")]
    Scopes(ScopesArgs),
    /// Print the callback URL to paste into your app's Auth, Load and Uninstall callback fields
    #[command(
        after_help = "Examples:\n  bcconn callback-url\n  bcconn callback-url --iclient my-app"
    )]
    CallbackUrl(CallbackUrlArgs),
    /// Call the store's API with a connection's token (in the spirit of `gh api`)
    Api(ApiArgs),
    /// Make storefront tokens for a store's channels (printed, or kept with the connection), and revoke them
    #[command(subcommand)]
    StorefrontToken(StorefrontTokenCommand),
    /// List the store's storefront channels: id, name, platform, status, site URL
    Channels(ChannelsArgs),
    /// Webhooks of a connection's token: list, create, enable, disable, delete
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// Print a connection's variables: shell lines, a dotenv file or JSON
    Env(EnvArgs),
    /// Run a command with a connection's variables set (the token never goes on argv)
    Exec(ExecArgs),
    /// Who changed which connection or iClient, from where, and when (never a secret)
    #[command(
        after_help = "Examples:\n  bcconn history\n  bcconn history shop       # also before a rename\n  bcconn history shop --json | jq -r '.[0].host'"
    )]
    History(HistoryArgs),
    /// Show or set the default connection (here, or globally)
    Use(UseArgs),
    /// Check the setup: secret store, files, ports, browser, endpoints, clock
    Doctor(DoctorArgs),
    /// Print the shell code that completes bcconn's commands and saved names
    Completions(CompletionsArgs),
    /// Write a man page for each command into a directory
    Man(ManArgs),
    /// Print the records as JSON (no secrets); with --with-secrets, an encrypted bundle
    Export(ExportArgs),
    /// Add the records of an export (pending) or of an encrypted bundle (authorized)
    Import(ImportArgs),
    /// Write a consistent copy of the record database (while bcconn is in use)
    Backup(BackupArgs),
    /// Put a backup in place of the record database (the current one is kept beside it)
    Restore(RestoreArgs),
    /// The sealed secret store's keys, and moving secrets between stores
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// The record store: migrate a shared one, print its grants, copy between stores
    #[command(subcommand)]
    Store(StoreCommand),
    /// The version, the commit it was built from and the target (--json for a bug report)
    Version(VersionArgs),
}
