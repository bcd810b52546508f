//! The only place bcconn reads environment variables.
//!
//! Everything the process takes from its environment is read once, here, into
//! [`Env`]. The rest of the program gets it through `Context`, so a test (or a
//! reader) can see at a glance what outside state can change behaviour.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

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
    /// `BCCONN_SECRET_KEY`: the sealed store's key list.
    pub secret_key: Option<SecretString>,
    /// `BCCONN_SECRET_KEY_FILE`: a private file holding it.
    pub secret_key_file: Option<PathBuf>,
    /// `BCCONN_PASSPHRASE`: an encrypted bundle's passphrase, for scripts.
    pub passphrase: Option<SecretString>,
    /// `NO_COLOR` set to anything non-empty.
    pub no_color: bool,
    /// Why no browser can open here, if that is known without trying: an
    /// SSH session (`SSH_CONNECTION`), or on Linux no `DISPLAY` and no
    /// `WAYLAND_DISPLAY`. `None` when a browser command was set explicitly.
    pub headless: Option<&'static str>,
    /// `COLUMNS`: the width tables fit when stdout is not a terminal.
    pub columns: Option<usize>,
    /// `BCCONN_CONNECTION`: the connection a command uses when given none.
    pub connection: Option<String>,
    /// `BCCONN_POOL_URL`: a Redis URL that holds the pools and rate books
    /// instead of this machine's files (DESIGN.md §8). It may carry a
    /// password, so it is kept as a secret and shown only [`PoolUrl::redacted`].
    pub pool_url: Option<PoolUrl>,
    /// `BCCONN_STORE_URL`: a PostgreSQL URL holding the records (and the
    /// sealed secrets) a team shares, instead of the home's SQLite
    /// database. Shown only [`SecretUrl::redacted`].
    pub store_url: Option<StoreUrl>,
    /// `BCCONN_POOL_TTL` as given (`30s`, `1m`, or seconds); parsed by
    /// [`Env::pool_ttl`] when shared pools are used, so a typo there does
    /// not break commands that never take a slot.
    pub pool_ttl: Option<String>,
    /// `BCCONN_JQ_CPU_LIMIT` as given; parsed by [`Env::jq_cpu_limit`] when
    /// `--jq` runs.
    pub jq_cpu_limit: Option<String>,
    /// `BCCONN_LOCK_WAIT` as given; parsed by [`Env::lock_wait`].
    pub lock_wait: Option<String>,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set: a graphical session (`doctor`).
    pub display: bool,
    /// `SSH_CONNECTION` or `SSH_TTY` is set: an SSH session (`doctor`).
    pub ssh: bool,
    /// `PATH`, where `doctor` looks for the browser command.
    pub path: Option<OsString>,
    /// `HOME` (`USERPROFILE` on Windows) when absolute: what `~` means in
    /// a path typed at a prompt.
    pub user_home: Option<PathBuf>,
    /// Which of [`EXEC_REMOVES_SETTINGS`] are set here: `bcconn exec`
    /// removes them from CMD's environment and says so in [`EXEC_MARKER`].
    pub exec_settings_set: Vec<&'static str>,
    /// [`EXEC_MARKER`]: the settings an outer `bcconn exec` removed, so
    /// that this bcconn, run inside its CMD, refuses rather than fall back
    /// to this machine's own (pools, records). Only known names are kept.
    pub exec_removed: Vec<&'static str>,
}

/// A variable bcconn reads (or sets for a child), as `bcconn help
/// environment` and the man pages describe it.
pub struct Variable {
    pub name: &'static str,
    /// One line: what it does, and its default when it has one.
    pub what: &'static str,
}

/// Every variable a person may set for bcconn, in the order help shows
/// them: the one table help, the man pages and their test read. A
/// `BCCONN_*` name anywhere in the sources that is missing here fails
/// `help::every_variable_is_documented`.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "BCCONN_HOME",
        what: "where the records live (default: ~/.config/bcconn on Linux, \
               ~/Library/Application Support/bcconn on macOS, %APPDATA%\\bcconn\\config on Windows)",
    },
    Variable {
        name: "BCCONN_SECRET_STORE",
        what: "where new secrets go: os (the OS keyring, the default), keyutils (the Linux \
               kernel keyring, emptied at reboot or logout), sealed (encrypted in the record \
               database under BCCONN_SECRET_KEY) or file (a plain-text 0600 file in the home)",
    },
    Variable {
        name: "BCCONN_CONNECTION",
        what: "the connection a command uses when given none (before .bcconn files and the \
               global default)",
    },
    Variable {
        name: "BCCONN_CLIENT_SECRET",
        what: "the client secret for `iclient add` and `iclient edit --secret`, so scripts \
               keep it off the command line",
    },
    Variable {
        name: "BCCONN_ACCESS_TOKEN",
        what: "the access token of an `--auth-type token` connection, so scripts keep it off \
               the command line",
    },
    Variable {
        name: "BCCONN_BROWSER",
        what: "the command that opens the consent page (the URL is appended as its last \
               argument); default: BROWSER, then the system opener",
    },
    Variable {
        name: "BROWSER",
        what: "used when BCCONN_BROWSER is not set",
    },
    Variable {
        name: "BCCONN_LOGIN_URL",
        what: "the authorize, install and token endpoints (default: https://login.bigcommerce.com)",
    },
    Variable {
        name: "BCCONN_API_URL",
        what: "the store API (default: https://api.bigcommerce.com)",
    },
    Variable {
        name: "BCCONN_POOL_URL",
        what: "redis://… or rediss://…: concurrency pools and rate limits shared by machines \
               (default: this machine's files); its password is never printed",
    },
    Variable {
        name: "BCCONN_POOL_TTL",
        what: "how long a shared-pool slot lives unless renewed, 1s to 1h (default: 30s)",
    },
    Variable {
        name: "BCCONN_LOCK_WAIT",
        what: "how long a change waits for another bcconn that is writing, 1s to 10m \
               (default: 10s)",
    },
    Variable {
        name: "BCCONN_JQ_CPU_LIMIT",
        what: "the CPU time an `api --jq` filter may use before it is stopped, 1s to 1h \
               (default: 20s)",
    },
    Variable {
        name: "BCCONN_STORE_URL",
        what: "a PostgreSQL URL (postgres://user:password@host/db, sslmode=require or \
               verify-full for TLS) holding the records a team shares instead of the local \
               database; secrets are then sealed in it (BCCONN_SECRET_STORE unset means \
               sealed); `bcconn exec` removes it from CMD's environment",
    },
    Variable {
        name: "BCCONN_SECRET_KEY",
        what: "the sealed secret store's keys: ID:BASE64 (or BASE64) of 32 bytes, \
               comma-separated; the first seals, any opens; `bcconn exec` removes it from \
               CMD's environment",
    },
    Variable {
        name: "BCCONN_SECRET_KEY_FILE",
        what: "a file holding the sealed store's keys, readable by you only (mode 0600); \
               used when BCCONN_SECRET_KEY is not set; `bcconn exec` removes it from \
               CMD's environment",
    },
    Variable {
        name: "BCCONN_PASSPHRASE",
        what: "the passphrase of an encrypted bundle (`export --with-secrets --passphrase`, \
               `import`), for scripts; `bcconn exec` never passes it to CMD",
    },
    Variable {
        name: EXEC_MARKER,
        what: "set by `bcconn exec` in CMD's environment: the shared settings it removed, \
               so a bcconn inside CMD refuses rather than run without them",
    },
    Variable {
        name: "BCCONN_COMPLETE",
        what: "set by the shell code of `bcconn completions` when it asks for completions; \
               not for setting by hand",
    },
    Variable {
        name: "NO_COLOR",
        what: "set to anything: no colour (colour is also off when stderr is not a terminal)",
    },
    Variable {
        name: "COLUMNS",
        what: "the width tables fit when stdout is not a terminal",
    },
];

/// Secret inputs `bcconn exec` never passes to CMD, whatever the flags:
/// CMD gets the connection's own token in `BIGCOMMERCE_ACCESS_TOKEN`, and
/// nothing it runs should find a client secret or another token lying about.
pub const EXEC_REMOVES_ALWAYS: &[&str] = &[
    "BCCONN_CLIENT_SECRET",
    "BCCONN_ACCESS_TOKEN",
    "BCCONN_PASSPHRASE",
];

/// Shared settings `bcconn exec` removes unless `--pass-bcconn-env` is
/// given: they can carry a password (a Redis or database URL) or a key.
pub const EXEC_REMOVES_SETTINGS: &[&str] = &[
    "BCCONN_POOL_URL",
    "BCCONN_STORE_URL",
    "BCCONN_SECRET_KEY",
    "BCCONN_SECRET_KEY_FILE",
];

/// Set by `bcconn exec` in CMD's environment: the settings it removed,
/// comma-separated.
pub const EXEC_MARKER: &str = "BCCONN_EXEC_REMOVED";

/// Why no browser can open, from what the environment says.
fn headless(browser_set: bool, ssh: bool, display: bool) -> Option<&'static str> {
    if browser_set {
        None
    } else if ssh {
        Some("this is an SSH session")
    } else if cfg!(target_os = "linux") && !display {
        Some("there is no display (DISPLAY and WAYLAND_DISPLAY are unset)")
    } else {
        None
    }
}

/// How long a shared-pool slot lives unless its holder renews it.
pub const DEFAULT_POOL_TTL: Duration = Duration::from_secs(30);
const MIN_POOL_TTL: Duration = Duration::from_secs(1);
const MAX_POOL_TTL: Duration = Duration::from_secs(3600);

pub use crate::secrets::url::SecretUrl;
/// `BCCONN_POOL_URL`.
pub type PoolUrl = SecretUrl;
/// `BCCONN_STORE_URL`.
pub type StoreUrl = SecretUrl;

/// A variable the person named on the command line (`store copy
/// --to-env VAR`): read here, where the environment is read.
#[allow(clippy::disallowed_methods)]
pub fn named(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// The working directory: read here, the one home of what the process
/// was started with (`.bcconn` lookup and paths shown relative to it).
#[allow(clippy::disallowed_methods)]
pub fn current_dir() -> std::io::Result<PathBuf> {
    std::env::current_dir()
}

impl Env {
    /// Reads the process environment.
    #[allow(clippy::disallowed_methods)]
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
            // Relative to where bcconn was started, made absolute once here.
            Some(dir) => (
                std::path::absolute(&dir).unwrap_or_else(|_| PathBuf::from(dir)),
                true,
            ),
            None => (default_home(&get), false),
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
            secret_key: text("BCCONN_SECRET_KEY").map(SecretString::from),
            secret_key_file: text("BCCONN_SECRET_KEY_FILE").map(PathBuf::from),
            passphrase: text("BCCONN_PASSPHRASE").map(SecretString::from),
            no_color: text("NO_COLOR").is_some(),
            headless: headless(
                text("BCCONN_BROWSER").or_else(|| text("BROWSER")).is_some(),
                text("SSH_CONNECTION").is_some(),
                text("DISPLAY").is_some() || text("WAYLAND_DISPLAY").is_some(),
            ),
            // 0 is no width (as a terminal reporting 0 columns is): left to
            // the default rather than fitting tables to nothing.
            columns: text("COLUMNS")
                .and_then(|c| c.trim().parse().ok())
                .filter(|&c: &usize| c > 0),
            connection: text("BCCONN_CONNECTION"),
            pool_url: text("BCCONN_POOL_URL").map(PoolUrl::new),
            store_url: text("BCCONN_STORE_URL").map(StoreUrl::new),
            pool_ttl: text("BCCONN_POOL_TTL"),
            jq_cpu_limit: text("BCCONN_JQ_CPU_LIMIT"),
            lock_wait: text("BCCONN_LOCK_WAIT"),
            display: text("DISPLAY").is_some() || text("WAYLAND_DISPLAY").is_some(),
            ssh: text("SSH_CONNECTION").is_some() || text("SSH_TTY").is_some(),
            path: get("PATH").filter(|v| !v.is_empty()),
            user_home: get(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
                .map(PathBuf::from)
                .filter(|h| h.is_absolute()),
            exec_settings_set: EXEC_REMOVES_SETTINGS
                .iter()
                .copied()
                .filter(|k| text(k).is_some())
                .collect(),
            exec_removed: text(EXEC_MARKER)
                .map(|v| {
                    EXEC_REMOVES_SETTINGS
                        .iter()
                        .copied()
                        .filter(|k| v.split(',').any(|m| m.trim() == *k))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Refuses to go on without `var` when an outer `bcconn exec` removed
    /// it: silently using this machine's own pools (or records) instead of
    /// the shared ones would break the limits everyone else keeps.
    pub fn check_not_removed(&self, var: &str) -> Result<(), SettingError> {
        if !self.exec_removed.contains(&var) {
            return Ok(());
        }
        Err(SettingError::RemovedByExec {
            var: var.to_string(),
        })
    }

    /// What `bcconn exec` marks CMD's environment with: what an outer exec
    /// removed, and what this one removes (`None`: nothing to mark).
    pub fn exec_marker(&self, removing: bool) -> Option<String> {
        let mut names: Vec<&str> = self.exec_removed.clone();
        if removing {
            names.extend(self.exec_settings_set.iter().copied());
        }
        let names: Vec<&str> = EXEC_REMOVES_SETTINGS
            .iter()
            .copied()
            .filter(|k| names.contains(k))
            .collect();
        (!names.is_empty()).then(|| names.join(","))
    }

    /// `BCCONN_POOL_TTL`: `30s`, `1m`, `1500ms` or plain seconds, 1 s to 1 h.
    pub fn pool_ttl(&self) -> Result<Duration, SettingError> {
        let Some(text) = &self.pool_ttl else {
            return Ok(DEFAULT_POOL_TTL);
        };
        let parsed = match text.trim().parse::<u64>() {
            Ok(secs) => Some(Duration::from_secs(secs)),
            Err(_) => humantime::parse_duration(text.trim()).ok(),
        };
        match parsed {
            Some(d) if (MIN_POOL_TTL..=MAX_POOL_TTL).contains(&d) => Ok(d),
            _ => Err(SettingError::PoolTtl { text: text.clone() }),
        }
    }

    /// `BCCONN_JQ_CPU_LIMIT`: the CPU time a `--jq` filter may use, 1 s to
    /// 1 h (default 20 s).
    pub fn jq_cpu_limit(&self) -> Result<Duration, SettingError> {
        let Some(text) = &self.jq_cpu_limit else {
            return Ok(DEFAULT_JQ_CPU_LIMIT);
        };
        match duration(text) {
            Some(d) if (Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&d) => Ok(d),
            _ => Err(SettingError::Duration {
                var: "BCCONN_JQ_CPU_LIMIT",
                text: text.clone(),
                range: "1s and 1h",
                default: "20 s",
            }),
        }
    }

    /// `BCCONN_LOCK_WAIT`: how long a change waits for another bcconn that
    /// is writing (the records, the secrets file, the trust list), 1 s to
    /// 10 min (default 10 s).
    pub fn lock_wait(&self) -> Result<Duration, SettingError> {
        let Some(text) = &self.lock_wait else {
            return Ok(DEFAULT_LOCK_WAIT);
        };
        match duration(text) {
            Some(d) if (Duration::from_secs(1)..=Duration::from_secs(600)).contains(&d) => Ok(d),
            _ => Err(SettingError::Duration {
                var: "BCCONN_LOCK_WAIT",
                text: text.clone(),
                range: "1s and 10m",
                default: "10 s",
            }),
        }
    }

    /// The secret store new secrets go to. With a shared record store
    /// (`BCCONN_STORE_URL`) secrets are sealed in it: every machine must
    /// read the token the others wrote, and no machine's keyring can hold
    /// the team's copy.
    pub fn secret_store_kind(&self) -> anyhow::Result<StoreKind> {
        let kind = match &self.secret_store {
            None if self.store_url.is_some() => return Ok(StoreKind::Sealed),
            None => return Ok(StoreKind::Os),
            Some(name) => name.parse::<StoreKind>()?,
        };
        if self.store_url.is_some() && kind != StoreKind::Sealed {
            return Err(SettingError::SharedNeedsSealed {
                chosen: kind.to_string(),
            }
            .into());
        }
        Ok(kind)
    }
}

/// Checks a base URL from the environment before it is used, so a typo
/// (`login.bigcommerce.com` without a scheme) is an error naming the
/// variable, not a failure somewhere deep in a request. Paths are appended
/// to it, so a query or a fragment would end up in the middle of every URL
/// built from it: refused.
pub fn check_base_url(name: &str, value: &str) -> Result<(), SettingError> {
    let bad = |why: &'static str| SettingError::BaseUrl {
        name: name.to_string(),
        shown: crate::text::outside(value, 100),
        why,
    };
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            if u.query().is_some() || u.fragment().is_some() || value.contains(['?', '#']) {
                return Err(bad("has a query or a fragment; it must be a base URL"));
            }
            if value
                .chars()
                .any(|c| c.is_whitespace() || crate::text::is_unsafe(c))
            {
                return Err(bad("holds a space or a control character"));
            }
            Ok(())
        }
        _ => Err(bad("is not an http(s) URL")),
    }
}

/// A setting from the environment that bcconn cannot use.
#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    /// An outer `bcconn exec` removed it from this environment.
    #[error("{var} was removed by `bcconn exec`; run it with --pass-bcconn-env to keep it")]
    RemovedByExec { var: String },
    /// A shared record store keeps its secrets sealed in it.
    #[error(
        "BCCONN_SECRET_STORE={chosen} cannot be used with BCCONN_STORE_URL: a shared store keeps \
         its secrets sealed in the database"
    )]
    SharedNeedsSealed { chosen: String },
    #[error("BCCONN_POOL_TTL={text:?} is not a time between 1s and 1h")]
    PoolTtl { text: String },
    #[error("{var}={text:?} is not a time between {range}")]
    Duration {
        var: &'static str,
        text: String,
        range: &'static str,
        default: &'static str,
    },
    #[error("{name}=\"{shown}\" {why}")]
    BaseUrl {
        name: String,
        shown: String,
        why: &'static str,
    },
}

/// How long a change waits for another writer by default: far longer than
/// any write takes, short enough that a stuck writer is named soon.
const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// The CPU time a `--jq` filter's child gets by default: far more than a
/// filter over the largest answer it takes needs, so a filter that never
/// ends is stopped within a minute even on a busy machine.
const DEFAULT_JQ_CPU_LIMIT: Duration = Duration::from_secs(20);

/// `30s`, `1m`, `1500ms` or plain seconds.
fn duration(text: &str) -> Option<Duration> {
    match text.trim().parse::<u64>() {
        Ok(secs) => Some(Duration::from_secs(secs)),
        Err(_) => humantime::parse_duration(text.trim()).ok(),
    }
}

fn trim_slash(mut url: String) -> String {
    while url.ends_with('/') {
        url.pop();
    }
    url
}

/// The platform config dir, only when it is an absolute path: a relative
/// `HOME`, or a user with no home, gets an empty path, which the record
/// store refuses with an error naming `BCCONN_HOME` (never `./.bcconn`).
/// Read through `get`, like every other variable: `~/.config/bcconn` (or
/// `$XDG_CONFIG_HOME/bcconn`) on Linux and the BSDs, `~/Library/Application
/// Support/bcconn` on macOS, `%APPDATA%\bcconn\config` on Windows.
fn default_home(get: &impl Fn(&str) -> Option<OsString>) -> PathBuf {
    let absolute = |v: Option<OsString>| {
        v.filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let home = get("HOME");
    if home
        .as_ref()
        .is_some_and(|h| !h.is_empty() && !std::path::Path::new(h).is_absolute())
    {
        return PathBuf::new();
    }
    let dir = if cfg!(windows) {
        absolute(get("APPDATA")).map(|d| d.join("bcconn").join("config"))
    } else if cfg!(target_os = "macos") {
        absolute(home).map(|h| h.join("Library/Application Support/bcconn"))
    } else {
        absolute(get("XDG_CONFIG_HOME"))
            .or_else(|| absolute(home).map(|h| h.join(".config")))
            .map(|d| d.join("bcconn"))
    };
    dir.unwrap_or_default()
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
    fn columns_of_0_is_no_width() {
        assert_eq!(env(&[("COLUMNS", "0")]).columns, None);
        assert_eq!(env(&[("COLUMNS", " 72 ")]).columns, Some(72));
        assert_eq!(env(&[("COLUMNS", "wide")]).columns, None);
    }

    #[test]
    fn every_variable_the_reader_asks_for_is_documented() {
        let asked = std::cell::RefCell::new(Vec::new());
        let _ = Env::from_lookup(|k| {
            asked.borrow_mut().push(k.to_string());
            None
        });
        // The platform's own: they say where home is and what the session
        // is, and are documented by the system, not by bcconn.
        let platform = [
            "HOME",
            "XDG_CONFIG_HOME",
            "APPDATA",
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "SSH_CONNECTION",
            "SSH_TTY",
            "PATH",
        ];
        for key in asked.borrow().iter() {
            assert!(
                platform.contains(&key.as_str()) || VARIABLES.iter().any(|v| v.name == key),
                "{key} is read but missing from env::VARIABLES"
            );
        }
        assert!(asked.borrow().iter().any(|k| k == "BCCONN_HOME"));
        for v in VARIABLES {
            assert!(
                !v.what.contains('\n') && !v.what.ends_with('.'),
                "{}",
                v.name
            );
        }
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
        assert!(e.to_string().contains("BCCONN_LOGIN_URL"));
        assert!(check_base_url("X", "ftp://x").is_err());
        // Paths are appended to a base URL: a query or fragment would break them.
        for bad in [
            "https://login.bigcommerce.com/?x=1",
            "https://login.bigcommerce.com#frag",
            "https://login.bigcommerce.com/?",
            "https://login.big commerce.com",
        ] {
            let e = check_base_url("BCCONN_LOGIN_URL", bad).unwrap_err();
            assert!(e.to_string().contains("BCCONN_LOGIN_URL"), "{e}");
        }
        assert!(check_base_url("X", "https://proxy.example/bc").is_ok());
    }

    #[test]
    fn a_relative_home_gives_no_home_at_all() {
        let e = env(&[("HOME", "relative/dir")]);
        assert!(!e.home.is_absolute(), "{:?}", e.home);
        assert_eq!(e.home, PathBuf::new());
        let e = env(&[("BCCONN_HOME", "rel")]);
        assert!(e.home.is_absolute() && e.home.ends_with("rel"));
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
        let (code, message, hint) = crate::error::report(&err).into_parts();
        assert_eq!(code, crate::error::ExitStatus::Usage);
        assert!(message.contains("vault"), "{message}");
        assert!(hint.unwrap().contains("keyutils"));
    }

    #[test]
    fn settings_in_a_pool_url_query_are_not_scrubbed_out_of_messages() {
        let url = PoolUrl::new("redis://127.0.0.1:6379/0?db=63&timeout=30&pw=zz91");
        let text = "cannot reach 127.0.0.1:6379 (timeout 30 s) with zz91";
        assert_eq!(
            url.scrub(text),
            "cannot reach 127.0.0.1:6379 (timeout 30 s) with ***"
        );
        let url = PoolUrl::new("redis://h:6379/0?password=6379");
        assert!(!url.scrub("h:6379").contains("6379"));
    }

    #[test]
    fn pool_urls_never_show_their_password() {
        let shown = |u: &str| PoolUrl::new(u).redacted();
        assert_eq!(
            shown("redis://:s3cret@10.0.0.5:6380/2"),
            "redis://:***@10.0.0.5:6380/2"
        );
        assert_eq!(
            shown("rediss://ops:p%40ss@redis.example.com/0"),
            "rediss://ops:***@redis.example.com/0"
        );
        assert_eq!(shown("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        // A user name alone may be a password in the wrong place.
        assert_eq!(shown("redis://ops@h/1"), "redis://***@h/1");
        // Query and fragment can carry credentials too: dropped.
        assert_eq!(shown("redis://h:1/0?password=x#y"), "redis://h:1/0?***");
        // Forms that do not parse with a host (issue 14): the query goes
        // too, and any part that may be a secret is scrubbed.
        assert_eq!(
            shown("redis+unix:///run/redis.sock?db=1&pass=unixPW99"),
            "redis+unix:///run/redis.sock?***"
        );
        assert_eq!(
            shown("redis://h:99999/0?password=portPW77"),
            "redis://h:99999/0?***"
        );
        assert_eq!(
            shown("redis://u:colonPW55@h:nope/0"),
            "redis://***@h:nope/0"
        );
        for (url, secret) in [
            ("redis://:pa?ss@h:1/0", "pa?ss"),
            ("redis://:pa#ss@h:1/0", "pa#ss"),
            ("redis://h:1/0?password=p%41ss", "pAss"),
            ("unix:///s.sock?password=zz9", "zz9"),
            ("redis://:p%40ss@h:1:2/0", "p@ss"),
        ] {
            let shown = shown(url);
            assert!(!shown.contains(secret), "{url}: {shown}");
            assert!(
                !PoolUrl::new(url)
                    .scrub(&format!("said {url} and {secret}"))
                    .contains(secret)
            );
        }
        // Not a URL: only what follows the last @.
        assert_eq!(shown("redis//u:pw@h:1"), "***@h:1");
        assert_eq!(shown("redis://u:p@w@"), "redis://***@");
        let url = PoolUrl::new("redis://:s3cret@h:1/0");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(
            PoolUrl::new("rediss://ops:p%40ss@h/0").password().unwrap(),
            "p@ss"
        );
        assert_eq!(PoolUrl::new("redis://h/0").password(), None);
        let e = env(&[("BCCONN_POOL_URL", "redis://:pw@h:1/0")]);
        assert!(!format!("{e:?}").contains("pw@"), "{e:?}");
    }

    #[test]
    fn exec_marks_only_known_settings_it_removed() {
        let e = env(&[
            ("BCCONN_POOL_URL", "redis://h/0"),
            ("BCCONN_SECRET_KEY", ""),
        ]);
        assert_eq!(e.exec_settings_set, ["BCCONN_POOL_URL"]);
        assert_eq!(e.exec_marker(true).as_deref(), Some("BCCONN_POOL_URL"));
        assert_eq!(e.exec_marker(false), None);
        assert!(e.check_not_removed("BCCONN_POOL_URL").is_ok());
        // An inner bcconn: the marker is read back, unknown names dropped.
        let inner = env(&[(EXEC_MARKER, "BCCONN_POOL_URL,\x1b[31mjunk,BCCONN_STORE_URL")]);
        assert_eq!(inner.exec_removed, ["BCCONN_POOL_URL", "BCCONN_STORE_URL"]);
        let err = inner.check_not_removed("BCCONN_POOL_URL").unwrap_err();
        let r = crate::error::report(&err.into());
        assert_eq!(r.status, crate::error::ExitStatus::Usage);
        assert!(r.message.contains("--pass-bcconn-env"), "{}", r.message);
        // A nested exec keeps the outer marker, with or without removing.
        assert_eq!(
            inner.exec_marker(false).as_deref(),
            Some("BCCONN_POOL_URL,BCCONN_STORE_URL")
        );
    }

    #[test]
    fn pool_ttl_defaults_to_30s_and_takes_seconds_or_durations() {
        assert_eq!(env(&[]).pool_ttl().unwrap(), DEFAULT_POOL_TTL);
        let ttl = |v: &str| env(&[("BCCONN_POOL_TTL", v)]).pool_ttl();
        assert_eq!(ttl("5").unwrap(), Duration::from_secs(5));
        assert_eq!(ttl("1500ms").unwrap(), Duration::from_millis(1500));
        assert_eq!(ttl("2m").unwrap(), Duration::from_secs(120));
        let e = ttl("0").unwrap_err();
        assert!(e.to_string().contains("BCCONN_POOL_TTL"), "{e}");
        assert!(ttl("soon").is_err());
        assert!(ttl("2h").is_err());
    }
}
