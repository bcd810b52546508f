//! BigCommerce's OAuth side, as data and pure functions plus the one HTTP
//! call: authorize/install URLs, checking a callback, the code exchange.
//! Waiting for the callback is `crate::loopback`'s job.

pub mod callback;
pub mod exchange;
pub mod urls;

use serde::{Deserialize, Serialize};

/// How the person reaches BigCommerce's consent page and how its answer
/// comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Flow {
    /// Open BigCommerce's consent page (login.bigcommerce.com/oauth2/authorize)
    #[default]
    Authorize,
    /// Open the app's external install link (login.bigcommerce.com/app/ID/install)
    Install,
    /// Print the URL and read back the address the browser landed on (SSH, headless)
    Manual,
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
