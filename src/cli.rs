//! The command line. Doc comments here are the help people read.
//!
//! Conventions: flags are long and kebab-case; `-v` and `-h`/`-V` are the only
//! short ones. Secrets never have a flag that takes a value: they come from a
//! hidden prompt, stdin (`--*-stdin`) or an environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::bigcommerce::oauth::{Flow, FlowOptions};
use crate::bigcommerce::store_hash::StoreHash;
use crate::store::AuthType;

/// `--flow`: the command line's names for [`Flow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlowArg {
    /// Open BigCommerce's consent page (login.bigcommerce.com/oauth2/authorize)
    Authorize,
    /// Open the app's external install link (login.bigcommerce.com/app/ID/install)
    Install,
    /// Print the URL and read back the address the browser landed on (SSH, headless)
    Manual,
}

impl From<FlowArg> for Flow {
    fn from(f: FlowArg) -> Self {
        match f {
            FlowArg::Authorize => Flow::Authorize,
            FlowArg::Install => Flow::Install,
            FlowArg::Manual => Flow::Manual,
        }
    }
}

/// `--auth-type`: the command line's names for [`AuthType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthTypeArg {
    /// OAuth 2.0 through a BigCommerce app (an iClient).
    Oauth2,
    /// A store-level API account's access token.
    Token,
}

impl From<AuthTypeArg> for AuthType {
    fn from(a: AuthTypeArg) -> Self {
        match a {
            AuthTypeArg::Oauth2 => AuthType::Oauth2,
            AuthTypeArg::Token => AuthType::Token,
        }
    }
}

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
    /// Print shell lines that export a connection's variables
    Env(EnvArgs),
    /// Run a command with a connection's variables set (the token never goes on argv)
    Exec(ExecArgs),
    /// Show or set the default connection (here, or globally)
    Use(UseArgs),
    /// Check the setup: secret store, files, ports, browser, endpoints, clock
    Doctor(DoctorArgs),
    /// Print the shell code that completes bcconn's commands and saved names
    Completions(CompletionsArgs),
    /// Write a man page for each command into a directory
    Man(ManArgs),
    /// Print the records (iClients and connections, no secrets) as one JSON document
    #[command(after_help = "Examples:
  bcconn export > records.json
  bcconn export shop staging > two.json")]
    Export(ExportArgs),
    /// Add the records of an exported document (or an old bcconn.json); connections come in pending
    #[command(after_help = "Examples:
  bcconn import records.json
  bcconn export | ssh other-host bcconn import -
  bcconn import records.json --replace           # a name that exists is replaced")]
    Import(ImportArgs),
    /// Write a consistent copy of the record database (while bcconn is in use)
    #[command(after_help = "Example:\n  bcconn backup ~/bcconn-$(date +%F).db")]
    Backup(BackupArgs),
    /// Put a backup in place of the record database (the current one is kept beside it)
    #[command(after_help = "Example:\n  bcconn restore ~/bcconn-2026-12-01.db")]
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Connections to export (with the iClients they use); none: everything
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The document to read, or - for standard input
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace a saved record that has the same name (otherwise a clash is an error)
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist; created 0600)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup written by `bcconn backup`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// What a connection is: shared by `create`, `authorize` and `edit`.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionFlags {
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

/// The store a new connection is for: `create` and `authorize` take it,
/// `edit` does not (a token belongs to its store).
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Connection")]
pub struct StoreFlag {
    /// Store hash, or any URL that holds one (API path, control panel URL, `stores/HASH`)
    #[arg(long, value_name = "HASH|URL")]
    pub store_hash: Option<String>,
}

impl StoreFlag {
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
    #[arg(long, value_enum, default_value_t = FlowArg::Authorize)]
    pub flow: FlowArg,

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
            flow: self.flow.into(),
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
    pub auth_type: Option<AuthTypeArg>,

    /// Do not ask; fail if something is missing
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub store: StoreFlag,

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
    pub store: StoreFlag,

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
    /// Print JSON (an array of connections; `[]` when there are none)
    #[arg(long)]
    pub json: bool,
    /// Show every column in full, however wide the terminal
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The connection's name (see `bcconn list`)
    pub name: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The connection to change (see `bcconn list`)
    pub name: String,
    #[command(flatten)]
    pub conn: ConnectionFlags,
    /// Stop borrowing concurrency; use the connection's own level
    #[arg(long, conflicts_with = "borrow_concurrency_from")]
    pub no_borrow: bool,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The connection's current name
    pub old: String,
    /// Its new name (unique, ignoring case)
    pub new: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The connection to forget (see `bcconn list`)
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
    /// Print JSON (an array of results; `[]` when there are no connections)
    #[arg(long)]
    pub json: bool,
    /// Show every column in full, however wide the terminal
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn token shop\n  \
    bcconn token            # the default connection (see `bcconn use`)")]
pub struct TokenArgs {
    /// The connection (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    pub name: Option<String>,
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
    #[command(
        after_help = "Examples:\n  bcconn iclient add my-app --client-id abc123def   # asks for the secret\n  pass show my-app | bcconn iclient add my-app --client-id abc123def --client-secret-stdin"
    )]
    Add(IclientAddArgs),
    /// Change an iClient's client id, secret or callback URL
    #[command(
        after_help = "Examples:\n  bcconn iclient edit my-app --secret\n  bcconn iclient edit my-app --callback-url http://localhost:9000/auth"
    )]
    Edit(IclientEditArgs),
    /// List iClients and the connections using each
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  bcconn iclient list\n  bcconn iclient list --json | jq -r '.[].name'"
    )]
    List(IclientListArgs),
    /// Show one iClient (secret masked)
    #[command(after_help = "Example:\n  bcconn iclient show my-app")]
    Show(IclientShowArgs),
    /// Remove an iClient and its secret (refused while a connection uses it)
    #[command(
        visible_alias = "rm",
        after_help = "Example:\n  bcconn iclient remove my-app --yes"
    )]
    Remove(IclientRemoveArgs),
}

#[derive(Debug, Args)]
pub struct IclientListArgs {
    /// Print JSON (an array of iClients; `[]` when there are none)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IclientShowArgs {
    /// The iClient's name (see `bcconn iclient list`)
    pub name: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IclientAddArgs {
    /// A name for this app's client id and secret, e.g. my-app
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
    /// The iClient to change (see `bcconn iclient list`)
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
    /// The iClient to remove (see `bcconn iclient list`)
    pub name: String,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn api v3/catalog/products --jq '.data[].name'\n  \
    bcconn api -c shop '/v2/orders?limit=5'\n  \
    bcconn api v3/catalog/products --paginate -f limit=250 > products.json\n  \
    bcconn api v3/catalog/products -f name=Shirt -f type=physical -F weight=1 -F price=9.5\n  \
    bcconn api v3/catalog/products/42 -X PUT -F is_visible=false\n  \
    bcconn api v3/catalog/products/42 -X DELETE\n  \
    bcconn api v3/catalog/products --input product.json\n\n\
    The connection is -c NAME, else BCCONN_CONNECTION, else the nearest .bcconn, else the \
    global default (`bcconn use`). Requests keep to the connection's concurrency pool and \
    the store's rate limit (a 429 is waited out and retried), shared by every machine when \
    BCCONN_POOL_URL names a Redis. Exit codes: 0 a 2xx answer; \
    1 any other answer (its body on stdout, its status and title on stderr) or no answer; \
    2 bad input.")]
pub struct ApiArgs {
    /// A path under the store's API base (v3/catalog/products, /v2/orders?limit=5), or a full URL on the connection's store
    #[arg(value_name = "PATH")]
    pub path: String,

    /// The connection to use
    #[arg(short = 'c', long = "connection", value_name = "NAME")]
    pub connection: Option<String>,

    /// The HTTP method (default: GET, or POST when a body is given)
    #[arg(short = 'X', long = "method", value_name = "METHOD")]
    pub method: Option<String>,

    /// A string field, key=value: a JSON body field (query parameter with GET); key[sub]=v and key[]=v nest
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    pub raw_fields: Vec<String>,

    /// A typed field, key=value: true, false, null and numbers as JSON; @FILE for a file's text (@- stdin)
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,

    /// Send this file as the body, as it is (- for stdin); fields then go to the query
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Add a header, 'Name: value' (X-Auth-Token is bcconn's to send)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Print the status line and the answer's headers before the body
    #[arg(short = 'i', long)]
    pub include: bool,

    /// Fetch every page of a list (v3 in parallel up to the pool's level, v2 until a 204, cursor lists in turn) and print one JSON array
    #[arg(long, conflicts_with = "include")]
    pub paginate: bool,

    /// With --paginate: fetch at most N pages (0: no cap); a list longer than that is an error (exit 1), never printed cut short
    #[arg(long, value_name = "N", default_value_t = crate::bigcommerce::client::DEFAULT_MAX_PAGES, requires = "paginate")]
    pub max_pages: u64,

    /// Filter the output with a jq expression (strings print without quotes)
    #[arg(short = 'q', long = "jq", value_name = "EXPR")]
    pub jq: Option<String>,

    /// The longest one wait for the store's rate limit may be (30s, 5m; at most 24h); a store that asks for longer is an error (exit 1)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = max_wait)]
    pub max_wait: std::time::Duration,
}

/// The longest `--max-wait`: past a day it is not a wait but a hang (and a
/// huge value would overflow the arithmetic on it).
const MAX_WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// `--max-wait`: a humantime duration (`90s`, `5m`), or plain seconds; at
/// most [`MAX_WAIT_LIMIT`].
fn max_wait(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let wait = match text.parse::<u64>() {
        Ok(secs) => std::time::Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("{e}; give a duration such as 30s, 5m or 1h"))?,
    };
    if wait > MAX_WAIT_LIMIT {
        return Err("longer than the limit of 24h; give at most 24h (e.g. 10m)".into());
    }
    Ok(wait)
}

/// Which shell `bcconn env` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShellKind {
    Sh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    eval \"$(bcconn env shop)\"\n  \
    bcconn env shop --shell fish | source\n  \
    bcconn env --shell powershell | Invoke-Expression\n\n\
    Prints BIGCOMMERCE_STORE_HASH, BIGCOMMERCE_ACCESS_TOKEN, BIGCOMMERCE_API_URL (ending \
    /stores/HASH) and, for OAuth connections, BIGCOMMERCE_CLIENT_ID. The output holds the \
    token: evaluate it, do not save it. `bcconn exec` sets them without printing anything.")]
pub struct EnvArgs {
    /// The connection (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    pub name: Option<String>,
    /// The shell to write for
    #[arg(long, value_enum, default_value_t = ShellKind::Sh)]
    pub shell: ShellKind,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn exec shop -- python3 sync.py   # reads BIGCOMMERCE_ACCESS_TOKEN from its environment\n  \
    bcconn exec -- ./deploy.sh            # the default connection\n  \
    bcconn exec shop -- sh -c 'printf \"X-Auth-Token: %s\\n\" \"$BIGCOMMERCE_ACCESS_TOKEN\" | curl -sH @- \"$BIGCOMMERCE_API_URL/v2/time\"'\n\n\
    CMD gets BIGCOMMERCE_STORE_HASH, BIGCOMMERCE_ACCESS_TOKEN, BIGCOMMERCE_API_URL and, for \
    OAuth connections, BIGCOMMERCE_CLIENT_ID. bcconn exits with CMD's exit code; on Unix \
    bcconn becomes CMD (exec), so a death by a signal is CMD's own (a shell shows 128+N).\n\n\
    CMD never gets BCCONN_CLIENT_SECRET, BCCONN_ACCESS_TOKEN or BCCONN_PASSPHRASE. \
    BCCONN_POOL_URL, BCCONN_STORE_URL, BCCONN_SECRET_KEY and BCCONN_SECRET_KEY_FILE are removed \
    too, and BCCONN_EXEC_REMOVED names them, so a bcconn inside CMD that needs them refuses \
    instead of using this machine's own; --pass-bcconn-env keeps them.")]
pub struct ExecArgs {
    /// The connection (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    pub name: Option<String>,
    /// Keep BCCONN_POOL_URL (and the store URL and sealing key) for a CMD that runs bcconn
    #[arg(long)]
    pub pass_bcconn_env: bool,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn use shop            # writes .bcconn here: commands under this directory use shop\n  \
    bcconn use --global shop   # the default everywhere else\n  \
    bcconn use                 # which connection applies here, and why\n  \
    bcconn use --trust         # after checking it: trust the .bcconn that applies here\n  \
    bcconn use --unset         # remove .bcconn here (with --global: the global default)\n\n\
    Order: -c/NAME on the command line, BCCONN_CONNECTION, the nearest .bcconn from the \
    current directory up (its first line), the global default. A .bcconn is used only when \
    it is a regular file you own that nobody else can write; one bcconn did not write and \
    you did not trust (or that changed since) makes writes through `bcconn api` and \
    `bcconn exec` ask first, and exit 2 where there is no terminal to ask.")]
pub struct UseArgs {
    /// The connection to make the default
    pub name: Option<String>,
    /// Set (or, without NAME, show) the global default instead of writing .bcconn here
    #[arg(long)]
    pub global: bool,
    /// Remove .bcconn here (with --global: the global default)
    #[arg(long, conflicts_with = "name")]
    pub unset: bool,
    /// Trust the .bcconn that applies here, as it is now (check what it names first)
    #[arg(long, conflicts_with_all = ["name", "global", "unset"])]
    pub trust: bool,
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
