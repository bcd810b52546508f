//! The flag groups several verbs flatten, and the command line's names for
//! the core's enums.

use clap::Args;

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

    /// How many API calls this connection makes at once, 1 to 25
    #[arg(long, value_name = "N", value_parser = super::values::concurrency)]
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

    /// Give up waiting for the browser after this long: seconds, or a time such as 5m
    #[arg(long, value_name = "TIME", default_value = "300", value_parser = timeout)]
    pub timeout: std::time::Duration,

    /// Where to listen when the callback URL is not on this machine (e.g. behind an HTTPS tunnel)
    #[arg(long, value_name = "ADDR:PORT", value_parser = super::values::listen)]
    pub listen: Option<std::net::SocketAddr>,

    /// With a shared store: wait (up to --timeout) while another machine authorizes the same app and store, instead of stopping
    #[arg(long)]
    pub wait: bool,
}

impl FlowFlags {
    pub fn options(&self) -> FlowOptions {
        FlowOptions {
            flow: self.flow.into(),
            no_browser: self.no_browser,
            timeout: self.timeout,
            listen: self.listen,
            wait: self.wait,
        }
    }
}

/// `--timeout`: plain seconds (`300`) or a time (`5m`, `90s`), 1 s to 24 h.
fn timeout(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let parsed = match text.parse::<u64>() {
        Ok(secs) => Some(std::time::Duration::from_secs(secs)),
        Err(_) => humantime::parse_duration(text).ok(),
    };
    match parsed {
        Some(d)
            if d >= std::time::Duration::from_secs(1)
                && d <= std::time::Duration::from_secs(86_400) =>
        {
            Ok(d)
        }
        _ => Err("give seconds or a time between 1s and 24h, e.g. 300 or 5m".into()),
    }
}

/// Whose variable names `env` and `exec` give (`--for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ToolArg {
    /// Catalyst, BigCommerce's Next.js storefront, and its CLI
    Catalyst,
}

/// `--for TOOL`, shared by `env` and `exec`.
#[derive(Debug, Args, Clone)]
pub struct ToolFlag {
    /// Which variables: the names TOOL reads instead of bcconn's own
    #[arg(long = "for", value_enum, value_name = "TOOL")]
    pub tool: Option<ToolArg>,
}

impl ToolFlag {
    pub fn set(&self) -> crate::connect::vars::Set {
        match self.tool {
            None => crate::connect::vars::Set::Bcconn,
            Some(ToolArg::Catalyst) => crate::connect::vars::Set::Catalyst,
        }
    }
}
