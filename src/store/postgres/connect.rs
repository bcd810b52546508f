//! One connection to the shared store: the URL read (TLS as `sslmode`
//! asks, through rustls and the system's CA store), every round trip run
//! on a private runtime within the timeout, and PostgreSQL's errors said
//! without a secret.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row};

use crate::secrets::url::SecretUrl as StoreUrl;
use crate::store::error::StoreError;

/// How long connecting and each round trip may take, unless the URL's
/// `connect_timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// `sslmode` as bcconn reads it. A certificate the server shows is always
/// verified (libpq's `prefer` and `require` do not): a shared store holds
/// the team's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls {
    /// `disable`: never.
    Off,
    /// `prefer` (the default) and `allow`: when the server offers it.
    Prefer,
    /// `require`, `verify-ca`, `verify-full`: always.
    Require,
}

pub struct Conn {
    rt: tokio::runtime::Runtime,
    client: Client,
    timeout: Duration,
    url: StoreUrl,
    /// A transaction is open on it (a write, or a read snapshot): another
    /// transaction of this process takes a connection of its own.
    pub in_tx: std::sync::atomic::AtomicBool,
    /// A round trip timed out: the server is not answering, and every
    /// later call fails at once rather than wait another timeout (the
    /// server rolls back an open transaction when the connection goes).
    broken: std::sync::atomic::AtomicBool,
}

/// The URL's parts bcconn reads itself, and the rest for the driver.
struct Parsed {
    config: Config,
    tls: Tls,
    root_cert: Option<String>,
    timeout: Duration,
}

fn parse(url: &StoreUrl) -> Result<Parsed, StoreError> {
    let bad = |detail: String| StoreError::SharedUrl {
        url: url.redacted(),
        detail,
    };
    let mut u = url::Url::parse(url.expose()).map_err(|e| bad(format!("it is not a URL ({e})")))?;
    if !matches!(u.scheme(), "postgres" | "postgresql") {
        return Err(bad("it must start with postgres:// or postgresql://".into()));
    }
    let (mut tls, mut root_cert, mut timeout) = (None, None, DEFAULT_TIMEOUT);
    let mut rest = Vec::new();
    for (k, v) in u.query_pairs() {
        match &*k {
            "sslmode" => {
                tls = Some(match &*v {
                    "disable" => Tls::Off,
                    "allow" | "prefer" => Tls::Prefer,
                    "require" | "verify-ca" | "verify-full" => Tls::Require,
                    other => {
                        return Err(bad(format!(
                            "sslmode={} is not one of disable, prefer, require, verify-ca, verify-full",
                            crate::text::outside(other, 40)
                        )));
                    }
                })
            }
            "sslrootcert" => root_cert = Some(v.into_owned()),
            "connect_timeout" => {
                timeout = v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=600).contains(s))
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        bad(format!(
                            "connect_timeout={} is not a number of seconds from 1 to 600",
                            crate::text::outside(&v, 40)
                        ))
                    })?
            }
            _ => rest.push((k.into_owned(), v.into_owned())),
        }
    }
    if rest.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(rest);
    }
    let mut config: Config = u.as_str().parse().map_err(|e: tokio_postgres::Error| {
        bad(format!(
            "the driver refused it: {}",
            url.scrub(&e.to_string())
        ))
    })?;
    // Unset: TLS is required off this machine (a server that cannot do it
    // is an error, never a password sent in clear text), and used when
    // offered on loopback.
    let tls = tls.unwrap_or_else(|| {
        let local = config.get_hosts().iter().all(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(_) => true,
        });
        if local { Tls::Prefer } else { Tls::Require }
    });
    if config.get_application_name().is_none() {
        config.application_name("bcconn");
    }
    config
        .connect_timeout(timeout)
        .keepalives(true)
        .ssl_mode(match tls {
            Tls::Off => tokio_postgres::config::SslMode::Disable,
            Tls::Prefer => tokio_postgres::config::SslMode::Prefer,
            Tls::Require => tokio_postgres::config::SslMode::Require,
        });
    Ok(Parsed {
        config,
        tls,
        root_cert,
        timeout,
    })
}

/// The database's name as SQL (`bcconn store grants`).
pub fn database(url: &StoreUrl) -> String {
    // As PostgreSQL does: no database named means the user's own.
    let name = parse(url)
        .ok()
        .and_then(|p| {
            p.config
                .get_dbname()
                .or_else(|| p.config.get_user())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "postgres".into());
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// rustls trusting the system's CA store and `sslrootcert`. The store is
/// read when a server first shows a certificate: with `prefer` against a
/// server without TLS (a loopback cluster), nothing is loaded.
fn tls_config(url: &StoreUrl, root_cert: Option<&str>) -> Result<rustls::ClientConfig, StoreError> {
    let bad = |detail: String| StoreError::SharedUrl {
        url: url.redacted(),
        detail,
    };
    // `sslrootcert` is read now: a bad file is a setup error whatever the
    // server does.
    let mut extra = Vec::new();
    if let Some(path) = root_cert {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let shown = crate::text::outside(path, 200);
        extra = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(format!("sslrootcert {shown} cannot be read: {e}")))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("sslrootcert {shown} is not PEM certificates: {e}")))?;
        if extra.is_empty() {
            return Err(bad(format!("sslrootcert {shown} holds no certificate")));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(LazyRoots {
        extra,
        provider: provider.clone(),
        inner: std::sync::OnceLock::new(),
    });
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// rustls's own WebPKI verifier (chain, name, signatures), built on first
/// use from the system's CA store and `sslrootcert`.
#[derive(Debug)]
struct LazyRoots {
    extra: Vec<rustls::pki_types::CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    inner: std::sync::OnceLock<Result<Arc<rustls::client::WebPkiServerVerifier>, String>>,
}

impl LazyRoots {
    fn get(&self) -> Result<&Arc<rustls::client::WebPkiServerVerifier>, rustls::Error> {
        self.inner
            .get_or_init(|| {
                let mut roots = rustls::RootCertStore::empty();
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
                for cert in &self.extra {
                    roots
                        .add(cert.clone())
                        .map_err(|e| format!("sslrootcert: {e}"))?;
                }
                rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    self.provider.clone(),
                )
                .build()
                .map_err(|e| format!("no certificate to trust ({e}): set sslrootcert"))
            })
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl rustls::client::danger::ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.get()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl Conn {
    pub fn open(url: &StoreUrl) -> Result<Conn, StoreError> {
        let parsed = parse(url)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Shared {
                url: url.redacted(),
                detail: format!("cannot start its runtime: {e}"),
            })?;
        let timeout = parsed.timeout;
        let config = parsed.config;
        let client = match parsed.tls {
            Tls::Off => connect(&rt, timeout, url, config, NoTls)?,
            Tls::Prefer | Tls::Require => {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(
                    url,
                    parsed.root_cert.as_deref(),
                )?);
                connect(&rt, timeout, url, config, tls)?
            }
        };
        tracing::debug!("connected to the shared store {}", url.redacted());
        Ok(Conn {
            rt,
            client,
            timeout,
            url: url.clone(),
            in_tx: std::sync::atomic::AtomicBool::new(false),
            broken: std::sync::atomic::AtomicBool::new(false),
        })
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    fn run<T: Send>(
        &self,
        work: impl Future<Output = Result<T, tokio_postgres::Error>> + Send,
    ) -> Result<T, StoreError> {
        use std::sync::atomic::Ordering;
        let timed_out = || Failed::Timeout {
            connecting: false,
            after: self.timeout,
        };
        if self.broken.load(Ordering::SeqCst) {
            return Err(fail(&self.url, timed_out()));
        }
        block(&self.rt, timed(self.timeout, false, work)).map_err(|e| {
            if matches!(e, Failed::Timeout { .. }) {
                self.broken.store(true, Ordering::SeqCst);
            }
            fail(&self.url, e)
        })
    }

    /// Open, answering, and never timed out: what a session lock needs.
    pub fn alive(&self) -> bool {
        !self.is_closed() && !self.is_broken() && self.simple_bool("SELECT true").unwrap_or(false)
    }

    /// A round trip timed out on it (see `broken`).
    pub fn is_broken(&self) -> bool {
        self.broken.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Statements without parameters, in one round trip.
    pub fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.run(self.client.batch_execute(sql))
    }

    pub fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        self.run(self.client.execute(sql, params))
    }

    pub fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        self.run(self.client.query(sql, params))
    }

    pub fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        self.run(self.client.query_opt(sql, params))
    }

    /// The first column of the first row of `sql`, by the simple query
    /// protocol: one round trip (a prepared statement costs two). For SQL
    /// without parameters only.
    pub fn simple_value(&self, sql: &str) -> Result<Option<String>, StoreError> {
        let messages = self.run(self.client.simple_query(sql))?;
        Ok(messages
            .into_iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
                _ => None,
            })
            .flatten())
    }

    /// Whether `sql` (a `SELECT` of one boolean, without parameters) is true.
    pub fn simple_bool(&self, sql: &str) -> Result<bool, StoreError> {
        Ok(self.simple_value(sql)?.as_deref() == Some("t"))
    }

    /// The schema's version and the oldest bcconn that may use it; `None`
    /// in a database without bcconn's schema. One round trip, and never an
    /// error inside a transaction (which would abort it): the catalog is
    /// asked whether the table is there in the same statement.
    pub fn schema_state(&self) -> Result<Option<(i64, String)>, StoreError> {
        let text = self.simple_value(
            "SELECT CASE WHEN to_regclass('bcconn.meta') IS NULL THEN NULL ELSE \
             (xpath('/row/v/text()', query_to_xml('SELECT string_agg(key || ''='' || value, '';'') AS v \
             FROM bcconn.meta', false, true, '')))[1]::text END",
        )?;
        let Some(text) = text else {
            return Ok(None);
        };
        let mut version = None;
        let mut min = "0.0.0".to_string();
        for pair in text.split(';') {
            match pair.split_once('=') {
                Some(("schema", v)) => version = v.parse::<i64>().ok(),
                Some(("min_version", v)) => min = v.to_string(),
                _ => {}
            }
        }
        Ok(version.map(|v| (v, min)))
    }
}

/// Connects within `timeout` and leaves the connection's task on `rt`
/// (it runs whenever a query is awaited there).
fn connect<T>(
    rt: &tokio::runtime::Runtime,
    timeout: Duration,
    url: &StoreUrl,
    config: Config,
    tls: T,
) -> Result<Client, StoreError>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + Send + 'static,
    T::TlsConnect: Send,
    T::Stream: Send + 'static,
    <T::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    let (client, connection) = block(
        rt,
        timed(timeout, true, async move { config.connect(tls).await }),
    )
    .map_err(|e| fail(url, e))?;
    rt.spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Why a round trip failed.
enum Failed {
    Db(tokio_postgres::Error),
    Timeout { connecting: bool, after: Duration },
}

impl From<tokio_postgres::Error> for Failed {
    fn from(e: tokio_postgres::Error) -> Failed {
        Failed::Db(e)
    }
}

async fn timed<T>(
    limit: Duration,
    connecting: bool,
    work: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, Failed> {
    match tokio::time::timeout(limit, work).await {
        Ok(r) => r.map_err(Failed::Db),
        Err(_) => Err(Failed::Timeout {
            connecting,
            after: limit,
        }),
    }
}

/// Runs `work` on `rt`. Inside another runtime (a store call made from
/// async code) that cannot block this thread's runtime: it runs on a
/// scoped thread of its own.
fn block<T: Send>(rt: &tokio::runtime::Runtime, work: impl Future<Output = T> + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return rt.block_on(work);
    }
    std::thread::scope(|s| match s.spawn(|| rt.block_on(work)).join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

fn fail(url: &StoreUrl, e: Failed) -> StoreError {
    let shown = url.redacted();
    match e {
        Failed::Timeout { connecting, after } => StoreError::SharedTimeout {
            url: shown,
            secs: after.as_secs(),
            connecting,
        },
        Failed::Db(e) => {
            let detail = match e.as_db_error() {
                Some(db) => db.message().to_string(),
                None if e.is_closed() => "the connection was closed".into(),
                None => {
                    // The driver's own words, with its causes ("error
                    // connecting to server: Connection refused").
                    let mut text = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        text = format!("{text}: {s}");
                        source = s.source();
                    }
                    text
                }
            };
            let detail = crate::text::outside(&url.scrub(&detail), 300);
            let denied = e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
                || e.code() == Some(&tokio_postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION);
            if denied {
                StoreError::SharedDenied { url: shown, detail }
            } else {
                StoreError::Shared { url: shown, detail }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> StoreUrl {
        StoreUrl::new(s)
    }

    #[test]
    fn sslmode_and_timeout_are_read_by_bcconn_and_the_rest_by_the_driver() {
        let p = parse(&url(
            "postgres://app:pw@db.example:6543/bc?sslmode=verify-full&sslrootcert=/x.pem&connect_timeout=9",
        ))
        .unwrap();
        assert_eq!(p.tls, Tls::Require);
        assert_eq!(p.root_cert.as_deref(), Some("/x.pem"));
        assert_eq!(p.timeout, Duration::from_secs(9));
        assert_eq!(p.config.get_dbname(), Some("bc"));
        assert_eq!(p.config.get_user(), Some("app"));
        assert_eq!(p.config.get_ports(), &[6543]);
        assert_eq!(p.config.get_application_name(), Some("bcconn"));
        // Unset: required off this machine, used when offered on loopback.
        let p = parse(&url("postgresql://h/db")).unwrap();
        assert_eq!((p.tls, p.timeout), (Tls::Require, DEFAULT_TIMEOUT));
        for local in [
            "postgres://127.0.0.1/db",
            "postgres://localhost:5/db",
            "postgres://[::1]/db",
        ] {
            assert_eq!(parse(&url(local)).unwrap().tls, Tls::Prefer, "{local}");
        }
        assert_eq!(
            parse(&url("postgres://h/db?sslmode=prefer")).unwrap().tls,
            Tls::Prefer
        );
        assert_eq!(
            parse(&url("postgres://h/db?sslmode=disable")).unwrap().tls,
            Tls::Off
        );
    }

    #[test]
    fn a_bad_url_is_refused_without_its_password() {
        for (text, says) in [
            ("mysql://u:hunter22@h/db", "postgres://"),
            ("postgres://u:hunter22@h/db?sslmode=maybe", "sslmode=maybe"),
            (
                "postgres://u:hunter22@h/db?connect_timeout=0",
                "connect_timeout=0",
            ),
            (
                "postgres://u:hunter22@h/db?nonsense=1",
                "the driver refused it",
            ),
        ] {
            let e = parse(&url(text)).err().expect(text).to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains("hunter22"), "{e}");
        }
    }

    #[test]
    fn grants_quote_the_database_name() {
        assert_eq!(database(&url("postgres://u@h/te\"am")), "\"te\"\"am\"");
        assert_eq!(database(&url("postgres://u@h")), "\"u\"");
    }
}
