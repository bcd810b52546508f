//! The only place bcconn reads environment variables.
//!
//! Everything the process takes from its environment is read once, here, into
//! [`Env`]. The rest of the program gets it through `Context`, so a test (or a
//! reader) can see at a glance what outside state can change behaviour.

use std::ffi::OsString;
use std::path::PathBuf;

use secrecy::SecretString;

use crate::secrets::StoreKind;

/// Default BigCommerce login host: authorize, install and token endpoints.
pub const DEFAULT_LOGIN_URL: &str = "https://login.bigcommerce.com";
/// Default BigCommerce API host.
pub const DEFAULT_API_URL: &str = "https://api.bigcommerce.com";

/// What the environment says, read once at startup.
#[derive(Debug)]
pub struct Env {
    /// `BCCONN_HOME`, or the platform config dir.
    pub home: PathBuf,
    /// Whether `home` came from `BCCONN_HOME` (shown by `-v`).
    pub home_from_env: bool,
    /// `BCCONN_SECRET_STORE` as given; parsed lazily so that commands which
    /// never touch a secret (list, scopes) are not refused for a typo here.
    pub secret_store: Option<String>,
    pub login_url: String,
    pub api_url: String,
    /// `BCCONN_BROWSER`, then `BROWSER`: a command the URL is appended to.
    pub browser: Option<String>,
    /// `BCCONN_CLIENT_SECRET`: lets scripts pass a secret without argv.
    pub client_secret: Option<SecretString>,
    /// `BCCONN_ACCESS_TOKEN`: same, for `--auth-type token`.
    pub access_token: Option<SecretString>,
    /// `NO_COLOR` set to anything non-empty.
    pub no_color: bool,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set: a graphical session (`doctor`).
    pub display: bool,
    /// `SSH_CONNECTION` or `SSH_TTY` is set: an SSH session (`doctor`).
    pub ssh: bool,
    /// `PATH`, where `doctor` looks for the browser command.
    pub path: Option<OsString>,
}

impl Env {
    /// Reads the process environment.
    pub fn from_process() -> Env {
        Env::from_lookup(|key| std::env::var_os(key))
    }

    /// Reads from any lookup function; unit tests pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<OsString>) -> Env {
        let text = |key: &str| {
            get(key)
                .map(|v| v.to_string_lossy().into_owned())
                .filter(|v| !v.is_empty())
        };
        let (home, home_from_env) = match get("BCCONN_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => (PathBuf::from(dir), true),
            None => (default_home(), false),
        };
        Env {
            home,
            home_from_env,
            secret_store: text("BCCONN_SECRET_STORE"),
            login_url: trim_slash(text("BCCONN_LOGIN_URL").unwrap_or(DEFAULT_LOGIN_URL.into())),
            api_url: trim_slash(text("BCCONN_API_URL").unwrap_or(DEFAULT_API_URL.into())),
            browser: text("BCCONN_BROWSER").or_else(|| text("BROWSER")),
            client_secret: text("BCCONN_CLIENT_SECRET").map(SecretString::from),
            access_token: text("BCCONN_ACCESS_TOKEN").map(SecretString::from),
            no_color: text("NO_COLOR").is_some(),
            display: text("DISPLAY").is_some() || text("WAYLAND_DISPLAY").is_some(),
            ssh: text("SSH_CONNECTION").is_some() || text("SSH_TTY").is_some(),
            path: get("PATH").filter(|v| !v.is_empty()),
        }
    }

    /// The secret store new secrets go to.
    pub fn secret_store_kind(&self) -> anyhow::Result<StoreKind> {
        match &self.secret_store {
            None => Ok(StoreKind::Os),
            Some(name) => name.parse(),
        }
    }
}

/// Checks a base URL from the environment before it is used, so a typo
/// (`login.bigcommerce.com` without a scheme) is an error naming the
/// variable, not a failure somewhere deep in a request.
pub fn check_base_url(name: &str, value: &str) -> Result<(), crate::error::Failure> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(
            crate::error::usage(format!("{name}={value:?} is not an http(s) URL")).hint(format!(
                "set it to e.g. https://… or unset {name} to use BigCommerce"
            )),
        ),
    }
}

fn trim_slash(mut url: String) -> String {
    while url.ends_with('/') {
        url.pop();
    }
    url
}

fn default_home() -> PathBuf {
    // ~/.config/bcconn on Linux, ~/Library/Application Support/bcconn on macOS,
    // %APPDATA%\bcconn\config on Windows.
    directories::ProjectDirs::from("", "", "bcconn")
        .map(|dirs| dirs.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".bcconn"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Env::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_point_at_bigcommerce() {
        let e = env(&[]);
        assert_eq!(e.login_url, DEFAULT_LOGIN_URL);
        assert_eq!(e.api_url, DEFAULT_API_URL);
        assert!(!e.home_from_env);
        assert!(e.browser.is_none());
        assert_eq!(e.secret_store_kind().unwrap(), StoreKind::Os);
    }

    #[test]
    fn overrides_are_read_and_trailing_slashes_dropped() {
        let e = env(&[
            ("BCCONN_HOME", "/tmp/x"),
            ("BCCONN_LOGIN_URL", "http://127.0.0.1:9/"),
            ("BCCONN_SECRET_STORE", "file"),
            ("BROWSER", "firefox"),
            ("BCCONN_CLIENT_SECRET", "s3cr3t"),
            ("NO_COLOR", "1"),
        ]);
        assert_eq!(e.home, PathBuf::from("/tmp/x"));
        assert_eq!(e.login_url, "http://127.0.0.1:9");
        assert_eq!(e.secret_store_kind().unwrap(), StoreKind::File);
        assert_eq!(e.browser.as_deref(), Some("firefox"));
        assert_eq!(e.client_secret.unwrap().expose_secret(), "s3cr3t");
        assert!(e.no_color);
    }

    #[test]
    fn base_urls_must_be_http_urls() {
        assert!(check_base_url("BCCONN_LOGIN_URL", "https://login.bigcommerce.com").is_ok());
        assert!(check_base_url("BCCONN_LOGIN_URL", "http://127.0.0.1:9").is_ok());
        let e = check_base_url("BCCONN_LOGIN_URL", "login.bigcommerce.com").unwrap_err();
        assert!(e.message.contains("BCCONN_LOGIN_URL"));
        assert!(check_base_url("X", "ftp://x").is_err());
    }

    #[test]
    fn bcconn_browser_wins_over_browser_and_empty_means_unset() {
        let e = env(&[
            ("BCCONN_BROWSER", "mine"),
            ("BROWSER", "theirs"),
            ("NO_COLOR", ""),
        ]);
        assert_eq!(e.browser.as_deref(), Some("mine"));
        assert!(!e.no_color);
    }

    #[test]
    fn unknown_secret_store_is_refused_with_the_choices() {
        let err = env(&[("BCCONN_SECRET_STORE", "vault")])
            .secret_store_kind()
            .unwrap_err();
        let (code, message, hint) = crate::error::report(&err);
        assert_eq!(code, crate::error::exit::USAGE);
        assert!(message.contains("vault"), "{message}");
        assert!(hint.unwrap().contains("keyutils"));
    }
}
