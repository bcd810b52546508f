//! A Redis server for the shared-pool tests: the one `.ci/run` started
//! (its URL in `BCCONN_TEST_REDIS_URL`), or, when that is unset, a private
//! `redis-server` spawned on a free loopback port and stopped on drop.
//!
//! Used by the black-box suite and, through `#[path]`, by the unit tests of
//! `src/pool/redis.rs`; so it uses nothing but std, tempfile and redis.
//! Tests that share a server keep apart by using a store hash of their
//! own, and [`RedisServer::forget_store`] clears what an earlier run left.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const URL_VAR: &str = "BCCONN_TEST_REDIS_URL";

pub struct RedisServer {
    /// `redis://127.0.0.1:PORT/0` (with the password when there is one).
    pub url: String,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl RedisServer {
    /// The CI's server, or a private one.
    pub fn start() -> RedisServer {
        match std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) {
            Some(url) => RedisServer {
                url,
                child: None,
                _dir: None,
            },
            None => RedisServer::spawn(None),
        }
    }

    /// A private server (one a test may stop, or give a password).
    pub fn spawn(password: Option<&str>) -> RedisServer {
        let dir = tempfile::tempdir().expect("a temp dir for redis-server");
        // redis-server binds its port itself (its `--port 0` means no TCP
        // at all), so the port is found free here and released for it;
        // another process may take it first, and the wait below then fails.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(p) = password {
            cmd.args(["--requirepass", p]);
        }
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "these tests need a Redis: set {URL_VAR}=redis://HOST:PORT/DB, \
                 or install redis-server (apt-get install redis-server): {e}"
            )
        });
        let auth = password.map(|p| format!(":{p}@")).unwrap_or_default();
        let server = RedisServer {
            url: format!("redis://{auth}127.0.0.1:{port}/0"),
            child: Some(child),
            _dir: Some(dir),
        };
        let start = Instant::now();
        loop {
            if server.try_connection().is_some() {
                return server;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server on port {port} did not answer within 10 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn try_connection(&self) -> Option<redis::Connection> {
        let client = redis::Client::open(self.url.as_str()).ok()?;
        let mut con = client
            .get_connection_with_timeout(Duration::from_secs(1))
            .ok()?;
        redis::cmd("PING").query::<String>(&mut con).ok()?;
        Some(con)
    }

    pub fn connection(&self) -> redis::Connection {
        self.try_connection()
            .unwrap_or_else(|| panic!("the test Redis does not answer"))
    }

    /// Deletes the pool and rate-book keys of `store` (an earlier run's).
    pub fn forget_store(&self, store: &str) {
        let mut con = self.connection();
        for pattern in [
            format!("bcconn:pool:{{{store}:*"),
            format!("bcconn:rate:{{{store}}}*"),
        ] {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(&pattern)
                .query(&mut con)
                .expect("KEYS");
            if !keys.is_empty() {
                let _: i64 = redis::cmd("DEL").arg(&keys).query(&mut con).expect("DEL");
            }
        }
    }

    /// Stops a private server now (no-op for the CI's).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
