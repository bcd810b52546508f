//! A PostgreSQL for the shared-store tests (`BCCONN_STORE_URL`, issue 19):
//! the server in `BCCONN_TEST_POSTGRES_URL` (a superuser's URL; `.ci/run`
//! starts a private cluster with `.ci/postgres.sh start` and sets it), a
//! fresh database for each test ([`TestDb`]), and a loopback proxy in
//! front of it ([`PgProxy`]) that a test can kill or silence, to see
//! bcconn meet a server that stops or stops answering without stopping the
//! cluster the other tests share.
//!
//! The tests that use it are `#[ignore = "needs PostgreSQL: ..."]`, so a
//! bare `cargo test` skips them and says why; run with `--include-ignored`
//! and without the variable, they fail and say to set it (never pass
//! silently).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub const URL_VAR: &str = "BCCONN_TEST_POSTGRES_URL";

/// The admin URL, or a failure that says how to get one.
pub fn admin_url() -> String {
    match std::env::var(URL_VAR).ok().filter(|u| !u.trim().is_empty()) {
        Some(url) => url,
        None => panic!(
            "this test needs PostgreSQL: set {URL_VAR}=postgres://USER:PASSWORD@HOST:PORT/postgres \
             (a role that may CREATE DATABASE and CREATE ROLE); `eval \"$(bash .ci/postgres.sh start)\"` \
             starts a private cluster and prints it, and `bash .ci/run` does that for the whole run"
        ),
    }
}

/// Runs `sql` (one or more statements) on the database at `url`, on a
/// runtime of its own; panics with PostgreSQL's message on failure.
pub fn execute(url: &str, sql: &str) {
    if let Err(e) = try_execute(url, sql) {
        panic!("{sql}: {e}");
    }
}

/// [`execute`], returning the error instead.
pub fn try_execute(url: &str, sql: &str) -> Result<(), String> {
    let sql = sql.to_string();
    block_on(url, move |client| async move {
        client.batch_execute(&sql).await.map_err(describe)
    })
}

/// The first column of every row `sql` returns, as text (`::text` in the
/// query for other types).
pub fn query_strings(url: &str, sql: &str) -> Vec<String> {
    let owned = sql.to_string();
    block_on(url, move |client| async move {
        let rows = client.query(&owned, &[]).await.map_err(describe)?;
        Ok(rows
            .iter()
            .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
            .collect())
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn describe(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

fn block_on<T, F, Fut>(url: &str, work: F) -> Result<T, String>
where
    F: FnOnce(tokio_postgres::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = url.to_string();
    rt.block_on(async move {
        let connect = tokio_postgres::connect(&url, tokio_postgres::NoTls);
        let (client, connection) = tokio::time::timeout(Duration::from_secs(20), connect)
            .await
            .map_err(|_| "the test PostgreSQL did not answer within 20 s".to_string())?
            .map_err(describe)?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let out = work(client).await;
        // The client was moved into `work` and dropped there: the
        // connection ends.
        let _ = driver.await;
        out
    })
}

/// A database of its own for one test, on the server in
/// [`URL_VAR`], dropped (best effort) when the test ends.
pub struct TestDb {
    /// The superuser's URL on the new database.
    pub url: String,
    pub name: String,
    admin: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        let admin = admin_url();
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).unwrap();
        let name = format!(
            "bcconn_t{}_{}",
            std::process::id(),
            random
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        execute(&admin, &format!("CREATE DATABASE {name}"));
        let url = with_database(&admin, &name);
        TestDb { url, name, admin }
    }

    /// The admin's URL (the `postgres` database), for roles.
    pub fn admin(&self) -> &str {
        &self.admin
    }

    /// `sql` on this database, as the superuser.
    pub fn execute(&self, sql: &str) {
        execute(&self.url, sql)
    }

    pub fn query_strings(&self, sql: &str) -> Vec<String> {
        query_strings(&self.url, sql)
    }

    /// The server's address (for a proxy in front of it).
    pub fn addr(&self) -> SocketAddr {
        let u = url::Url::parse(&self.url).unwrap();
        let host = u.host_str().unwrap_or("127.0.0.1").to_string();
        let port = u.port().unwrap_or(5432);
        (host.as_str(), port)
            .to_socket_addrs()
            .unwrap()
            .next()
            .unwrap()
    }

    /// This database's URL with the same login, through `addr` instead.
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let mut u = url::Url::parse(&self.url).unwrap();
        u.set_host(Some(&addr.ip().to_string())).unwrap();
        u.set_port(Some(addr.port())).unwrap();
        u.to_string()
    }

    /// This database's URL logging in as `user` with `password`.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let mut u = url::Url::parse(&self.url).unwrap();
        u.set_username(user).unwrap();
        u.set_password(Some(password)).unwrap();
        u.to_string()
    }

    /// The password in the URL (what no output may show).
    pub fn password(&self) -> String {
        url::Url::parse(&self.url)
            .unwrap()
            .password()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `sql` through `psql` as the superuser (stops at the first
    /// error); what `store grants` tells an administrator to do.
    pub fn psql(&self, sql: &str) -> std::process::Output {
        let mut cmd = std::process::Command::new(psql_path());
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("psql: {e}"));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Best effort: a bcconn still connected is thrown out (FORCE).
        let _ = try_execute(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// `url` with its database (path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// `psql`: beside the server's binaries (`PG_TEST_BIN`, as
/// `.ci/postgres.sh` prints it), Debian's, or on PATH.
fn psql_path() -> std::path::PathBuf {
    let mut candidates = Vec::new();
    if let Some(bin) = std::env::var_os("PG_TEST_BIN") {
        candidates.push(std::path::PathBuf::from(bin).join("psql"));
    }
    if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
        for d in dirs.flatten() {
            candidates.push(d.path().join("bin/psql"));
        }
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .or_else(|| which::which("psql").ok())
        .expect("psql (apt-get install postgresql-client; .ci/run installs it)")
}

// ---------------------------------------------------------------- the proxy

const OPEN: u8 = 0;
const SILENT: u8 = 1;
const KILLED: u8 = 2;

/// A loopback TCP proxy in front of PostgreSQL, in this test process.
/// [`PgProxy::kill`] drops every connection and stops accepting (the
/// server "stopped"); [`PgProxy::silence`] keeps accepting and keeps the
/// connections open but passes nothing on in either direction (a server
/// that no longer answers).
pub struct PgProxy {
    pub addr: SocketAddr,
    mode: Arc<AtomicU8>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    accepted: Arc<AtomicU64>,
    acceptor: Option<JoinHandle<()>>,
}

impl PgProxy {
    pub fn start(target: SocketAddr) -> PgProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(OPEN));
        let streams: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let accepted = Arc::new(AtomicU64::new(0));
        let acceptor = {
            let (mode, streams, accepted) = (mode.clone(), streams.clone(), accepted.clone());
            std::thread::spawn(move || {
                loop {
                    if mode.load(Ordering::SeqCst) == KILLED {
                        // The listener is dropped: connecting is refused.
                        return;
                    }
                    let client = match listener.accept() {
                        Ok((s, _)) => s,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                            continue;
                        }
                        Err(_) => continue,
                    };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let _ = client.set_nonblocking(false);
                    let _ = client.set_nodelay(true);
                    streams.lock().unwrap().push(client.try_clone().unwrap());
                    if mode.load(Ordering::SeqCst) != OPEN {
                        // Silent: accepted, held open, never answered.
                        continue;
                    }
                    let Ok(server) = TcpStream::connect(target) else {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    };
                    let _ = server.set_nodelay(true);
                    streams.lock().unwrap().push(server.try_clone().unwrap());
                    for (from, to) in [
                        (client.try_clone().unwrap(), server.try_clone().unwrap()),
                        (server, client),
                    ] {
                        let mode = mode.clone();
                        std::thread::spawn(move || pipe(from, to, &mode));
                    }
                }
            })
        };
        PgProxy {
            addr,
            mode,
            streams,
            accepted,
            acceptor: Some(acceptor),
        }
    }

    /// PostgreSQL "stopped": every connection through the proxy is cut,
    /// and from now on connecting is refused.
    pub fn kill(&mut self) {
        self.mode.store(KILLED, Ordering::SeqCst);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
        for s in self.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// PostgreSQL "hung": connections are accepted and kept, but nothing
    /// more is passed on, either way.
    pub fn silence(&self) {
        self.mode.store(SILENT, Ordering::SeqCst);
    }

    /// How many connections the proxy has accepted.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Copies `from` to `to` until either end closes or the proxy is killed;
/// while it is silent, what arrives is held back.
fn pipe(mut from: TcpStream, mut to: TcpStream, mode: &AtomicU8) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        loop {
            match mode.load(Ordering::SeqCst) {
                OPEN => break,
                KILLED => return,
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Login roles a test makes (they belong to the cluster, not to a test's
/// database): dropped, best effort, before the test uses the names and
/// when it ends. Declare it before the [`TestDb`] whose objects the roles
/// get rights on, so that the database is dropped first.
pub struct Roles {
    names: Vec<String>,
    admin: String,
}

impl Roles {
    pub fn new(names: &[&str]) -> Roles {
        let roles = Roles {
            names: names.iter().map(|n| n.to_string()).collect(),
            admin: admin_url(),
        };
        roles.drop_all();
        roles
    }

    fn drop_all(&self) {
        for name in &self.names {
            let _ = try_execute(&self.admin, &format!("DROP ROLE IF EXISTS {name}"));
        }
    }
}

impl Drop for Roles {
    fn drop(&mut self) {
        self.drop_all();
    }
}

/// A name no other test or run uses: `prefix` and random hex.
pub fn unique_name(prefix: &str) -> String {
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).unwrap();
    format!(
        "{prefix}{}",
        random
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}
