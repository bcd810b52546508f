//! BigCommerce's OAuth side, as data and pure functions plus the one HTTP
//! call: authorize/install URLs, checking a callback, the code exchange.
//! Waiting for the callback is `crate::loopback`'s job.

pub mod callback;
pub mod exchange;
pub mod urls;

use serde::{Deserialize, Serialize};

/// How the person reaches BigCommerce's consent page and how its answer
/// comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flow {
    /// BigCommerce's consent page (login.bigcommerce.com/oauth2/authorize).
    #[default]
    Authorize,
    /// The app's external install link (login.bigcommerce.com/app/ID/install).
    Install,
    /// The URL printed, and the address the browser landed on read back.
    Manual,
}

/// How to run one authorization (the command line's `--flow`, `--no-browser`,
/// `--timeout`, `--listen`).
#[derive(Debug, Clone)]
pub struct FlowOptions {
    pub flow: Flow,
    pub no_browser: bool,
    pub timeout: std::time::Duration,
    pub listen: Option<std::net::SocketAddr>,
    /// Wait for another machine authorizing the same app and store (a
    /// shared store) instead of stopping.
    pub wait: bool,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            flow: Flow::Authorize,
            no_browser: false,
            timeout: std::time::Duration::from_secs(300),
            listen: None,
            wait: false,
        }
    }
}

/// A BigCommerce user as the token response names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BcUser {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}
