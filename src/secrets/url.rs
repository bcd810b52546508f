//! A URL that may carry a password (`BCCONN_POOL_URL`, `BCCONN_STORE_URL`):
//! kept as a secret, shown only redacted, and scrubbed out of any text a
//! driver echoes. Here, beside the other secret types, so that the record
//! store and the pools can hold one without naming the environment.

use secrecy::{ExposeSecret, SecretString};

/// A URL that may carry a password: `BCCONN_POOL_URL`
/// (`redis://[user][:password@]host[:port][/db]`, `rediss://…`) and
/// `BCCONN_STORE_URL` (`postgres://user:password@host/db?sslmode=…`). Its
/// text is a secret; `Debug` and [`redacted`] never show the password.
///
/// [`redacted`]: SecretUrl::redacted
#[derive(Clone)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    pub fn new(text: impl Into<String>) -> SecretUrl {
        SecretUrl(SecretString::from(text.into()))
    }

    /// The URL with its password, for the Redis client only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The password, when the URL has one (to scrub it out of any error
    /// text a driver might echo).
    pub fn password(&self) -> Option<String> {
        url::Url::parse(self.expose())
            .ok()
            .and_then(|u| u.password().map(percent_decoded))
            .filter(|p| !p.is_empty())
    }

    /// Every part of the text that may be a secret, as written and
    /// percent-decoded: the user info (before the last `@`, whether or not
    /// the URL parses) and every query and fragment value (`?password=`,
    /// `?pass=` of `redis+unix://`). To scrub out of any text a driver
    /// might echo.
    pub fn secrets(&self) -> Vec<String> {
        let text = self.expose();
        let rest = text.split_once("://").map_or(text, |(_, r)| r);
        let mut out = Vec::new();
        let (before_query, query) = match rest.find(['?', '#']) {
            // An `@` after the `?` still ends the user info (a password
            // may hold a `?`): take the user info first.
            Some(q) if !rest[q..].contains('@') => (&rest[..q], &rest[q + 1..]),
            _ => (rest, ""),
        };
        if let Some(at) = before_query.rfind('@') {
            let info = &before_query[..at];
            out.push(info.to_string());
            // With a password, the user name is an ACL user's: not secret.
            if let Some((_, pass)) = info.split_once(':') {
                out.push(pass.to_string());
            }
        }
        for pair in query.split(['&', '#', ';', '?']) {
            // A value under a key that names a credential, or with no key
            // at all (a fragment), may be secret; `db=63` is not, and
            // scrubbing it would turn port 6379 into `***79` in messages.
            match pair.split_once('=') {
                Some((key, value)) if credential_key(key) => out.push(value.to_string()),
                Some(_) => {}
                None => out.push(pair.to_string()),
            }
        }
        let mut all: Vec<String> = out
            .iter()
            .flat_map(|s| [s.clone(), percent_decoded(s)])
            .filter(|s| s.chars().count() >= 2)
            .collect();
        // The longest first, so that a part inside another is not left half.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.dedup();
        all
    }

    /// `text` with every part of the URL that may be a secret replaced.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.secrets() {
            out = out.replace(&s, "***");
        }
        out
    }

    /// The URL fit to print: `redis://:***@host:port/db`. A user name
    /// stays when a password follows it (it names an ACL user, not a
    /// secret); user info without a password may be a password written in
    /// the wrong place, and goes. Query and fragment go (`?***`), since
    /// drivers accept credentials there too. Text that does not parse as a
    /// URL with a host (`redis+unix://`, a bad port) keeps its scheme and
    /// what follows its last `@`, up to a `?` or `#`.
    pub fn redacted(&self) -> String {
        let text = self.expose();
        let shown = match url::Url::parse(text) {
            Ok(u) if u.host_str().is_some() => {
                let mut out = format!("{}://", u.scheme());
                let has_password = u.password().is_some_and(|p| !p.is_empty());
                if has_password {
                    out.push_str(u.username());
                    out.push_str(":***@");
                } else if !u.username().is_empty() {
                    out.push_str("***@");
                }
                out.push_str(u.host_str().unwrap_or_default());
                if let Some(port) = u.port() {
                    out.push_str(&format!(":{port}"));
                }
                if u.path() != "/" {
                    out.push_str(u.path());
                }
                if u.query().is_some() || u.fragment().is_some() {
                    out.push_str("?***");
                }
                out
            }
            _ => {
                let (scheme, rest) = match text.split_once("://") {
                    Some((s, r)) => (format!("{s}://"), r),
                    None => (String::new(), text),
                };
                let (rest, user) = match rest.rfind('@') {
                    Some(at) => (&rest[at + 1..], "***@"),
                    None => (rest, ""),
                };
                let (rest, query) = match rest.find(['?', '#']) {
                    Some(q) => (&rest[..q], "?***"),
                    None => (rest, ""),
                };
                format!("{scheme}{user}{rest}{query}")
            }
        };
        // Last: nothing secret may be left in it, whatever the form.
        crate::text::outside(&self.scrub(&shown), 200)
    }
}

/// Whether a URL query key may carry a credential: drivers take a password
/// as `password`, `pass`, `auth`, and a user or token under many spellings;
/// an unknown key is taken as one (only well-known settings are not).
fn credential_key(key: &str) -> bool {
    let key = percent_decoded(key).to_ascii_lowercase();
    !matches!(
        key.as_str(),
        "db" | "database"
            | "protocol"
            | "timeout"
            | "connect_timeout"
            | "response_timeout"
            | "insecure"
            | "tls"
            | "ssl"
            | "sslmode"
            | "readonly"
            | "client_name"
            | "clientname"
            | "sslrootcert"
            | "application_name"
            | "target_session_attrs"
            | "dbname"
            | "port"
            | "host"
            | "hostaddr"
            | "keepalives"
            | "keepalives_idle"
    )
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

fn percent_decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
