//! Helpers shared by the black-box tests: a hermetic environment for the real
//! `bcconn` binary, the fake BigCommerce, and the fake browser.

pub mod fake_bc;
pub mod fake_browser;
pub mod oauth;
pub mod postgres;
pub mod redis_server;

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_bcconn");

/// A temp `BCCONN_HOME` and a cleared environment for running bcconn.
pub struct Env {
    pub dir: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    /// The file secret store (works on any machine), no colour, no backtraces.
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let mut env = Env {
            dir,
            vars: Vec::new(),
        };
        env.set("BCCONN_HOME", home.to_str().unwrap());
        env.set("BCCONN_SECRET_STORE", "file");
        env.set("RUST_BACKTRACE", "0");
        env.set("NO_COLOR", "1");
        // Nothing the tests run may reach the real BigCommerce.
        env.set("BCCONN_LOGIN_URL", "http://127.0.0.1:9");
        env.set("BCCONN_API_URL", "http://127.0.0.1:9");
        if let Some(path) = std::env::var_os("PATH") {
            env.set("PATH", path.to_str().unwrap());
        }
        env
    }

    /// Points bcconn at a fake BigCommerce and the fake browser.
    pub fn with_fake(fake: &fake_bc::FakeBc) -> Env {
        let mut env = Env::new();
        env.set("BCCONN_LOGIN_URL", &fake.url());
        env.set("BCCONN_API_URL", &fake.url());
        env.set("BCCONN_BROWSER", &fake_browser::command());
        env
    }

    pub fn set(&mut self, key: &str, value: &str) -> &mut Env {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
        self
    }

    /// Removes a variable `new` set (e.g. `BCCONN_SECRET_STORE`, for its
    /// default).
    pub fn unset(&mut self, key: &str) -> &mut Env {
        self.vars.retain(|(k, _)| k != key);
        self
    }

    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// `bcconn ARGS` with only this environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear();
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd.args(args);
        cmd.timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// Same, as a std Command (for tests that stream stdout/stderr).
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(BIN);
        cmd.env_clear();
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd.args(args);
        cmd
    }

    /// The record database.
    pub fn record_path(&self) -> PathBuf {
        self.home().join("bcconn.db")
    }

    /// The record file of versions before the database: a test that writes
    /// one gets it imported by the next command.
    pub fn old_record_path(&self) -> PathBuf {
        self.home().join("bcconn.json")
    }

    /// The records as a canonical dump (every row of every table, in
    /// order), read without changing the database: equal dumps mean equal
    /// records. Empty when there is no database.
    pub fn record_bytes(&self) -> Vec<u8> {
        let path = self.record_path();
        if !path.is_file() {
            return Vec::new();
        }
        let db = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut out = Vec::new();
        for (table, order) in [
            ("iclients", "seq"),
            ("connections", "seq"),
            ("connection_records", "seq"),
            ("local", "key"),
            ("document", "key"),
        ] {
            let Ok(mut stmt) = db.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            else {
                continue;
            };
            let cols = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                out.extend_from_slice(table.as_bytes());
                for i in 0..cols {
                    let v: rusqlite::types::Value = r.get(i).unwrap();
                    out.extend_from_slice(format!("\t{v:?}").as_bytes());
                }
                out.push(b'\n');
            }
        }
        out
    }

    /// Holds the record database's write lock from this test process, as
    /// another bcconn in the middle of a write would: the lock, and this
    /// process's pid in the note beside the database. Dropping the
    /// connection (or `ROLLBACK`) lets it go.
    pub fn hold_write_lock(&self) -> rusqlite::Connection {
        let db = rusqlite::Connection::open(self.record_path()).unwrap();
        db.execute_batch("BEGIN IMMEDIATE").unwrap();
        std::fs::write(
            self.home().join("bcconn.db.writer"),
            format!("{}\n", std::process::id()),
        )
        .unwrap();
        db
    }

    /// Puts `doc` (the old record file's shape, as `records()` returns)
    /// in place of the records: the database goes, and the next command
    /// imports the document as it is, so a test can hand-edit records.
    pub fn replace_records(&self, doc: &Value) {
        for name in [
            "bcconn.db",
            "bcconn.db-wal",
            "bcconn.db-shm",
            "bcconn.json",
            "bcconn.json.imported",
        ] {
            let _ = std::fs::remove_file(self.home().join(name));
        }
        std::fs::create_dir_all(self.home()).unwrap();
        std::fs::write(
            self.old_record_path(),
            serde_json::to_vec_pretty(doc).unwrap(),
        )
        .unwrap();
    }

    /// The records as `bcconn export` prints them, parsed.
    pub fn records(&self) -> Value {
        let out = self.cmd(&["export"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn secrets_text(&self) -> String {
        std::fs::read_to_string(self.home().join("secrets.json")).unwrap_or_default()
    }

    /// `bcconn list --json`, parsed.
    pub fn list(&self) -> Vec<Value> {
        let out = self.cmd(&["list", "--json"]).output().unwrap();
        assert!(
            out.status.success(),
            "list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    }

    /// Adds an iClient with the secret on stdin.
    pub fn add_iclient(&self, name: &str, client_id: &str, secret: &str, callback: &str) {
        self.cmd(&[
            "iclient",
            "add",
            name,
            "--client-id",
            client_id,
            "--callback-url",
            callback,
            "--client-secret-stdin",
        ])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .success();
    }
}

/// The pid of a process that has exited: no process has it now.
#[cfg(unix)]
pub fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// A loopback port that nothing listened on a moment ago, for a server that
/// binds the port itself and cannot be handed a listener: bcconn's callback
/// server (in the binary, or driven through the library in `inprocess`)
/// binds the port of the callback URL, which is registered with the fake
/// before bcconn starts; redis-server and chromedriver are child processes.
/// Also for a port where nothing may answer. Another process may take the
/// port before that bind (the test then fails, it never passes wrongly), so
/// the servers of this process never use it: they bind port 0 and keep
/// their listener (see `fake_bc::FakeBc::start`).
pub fn child_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The iClient [`add_app`] saves (not registered on any fake).
pub const APP_CLIENT_ID: &str = "clientid-harden";
pub const APP_SECRET: &str = "cs-harden-Vb7Qm2Lx";

/// Saves iClient `app` with a callback nothing serves: enough for
/// connections that are never authorized.
pub fn add_app(env: &Env) {
    env.add_iclient(
        "app",
        APP_CLIENT_ID,
        APP_SECRET,
        "http://localhost:8765/auth",
    );
}

/// `bcconn create NAME --no-authorize` on iClient `app`, store abc123.
pub fn create_pending(env: &Env, name: &str) -> std::process::Output {
    run(
        env,
        &[
            "create",
            name,
            "--no-authorize",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
        ],
    )
}

/// `bcconn ARGS`, its output.
pub fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.cmd(args).output().unwrap()
}

/// `bcconn ARGS` with `input` on stdin.
pub fn run_with_stdin(env: &Env, args: &[&str], input: &str) -> std::process::Output {
    env.cmd(args)
        .write_stdin(input.to_string())
        .output()
        .unwrap()
}

/// The exit code (none when a signal ended the process).
pub fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

/// A file's permission bits.
#[cfg(unix)]
pub fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
pub fn set_mode(path: &std::path::Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
}

/// stdout, as text.
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr, as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A process that ended by itself with `code` (a signal, as an abort or a
/// stack overflow gives, has no code).
pub fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", all_output(out));
}

/// A JSON answer for the fake's hostile routes.
pub fn json_answer(v: Value) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::Json(v))
}

/// Both output streams as one string, for "no secret anywhere" checks.
pub fn all_output(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Starts a copy of the binary the test just wrote. Another test thread that
/// forks while the copy is still open for writing keeps a writable handle in
/// its child for a moment: "text file busy" (ETXTBSY) until that child execs.
/// Not what any test tests: try again.
#[cfg(unix)]
pub fn spawn_copy(cmd: &mut std::process::Command) -> std::process::Child {
    (0..50)
        .find_map(|_| match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            }
            other => Some(other.unwrap()),
        })
        .expect("the copy stayed busy")
}

/// Renames the saved connection or iClient `from` to `to` by editing the records
/// (a name bcconn would no longer accept, made by hand or by an older
/// version).
pub fn hand_rename(env: &Env, from: &str, to: &str) {
    let mut doc = env.records();
    let kind = ["connections", "iclients"]
        .into_iter()
        .find(|k| {
            doc[*k]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == from)
        })
        .expect("the record to rename");
    let record = doc[kind]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["name"] == from)
        .unwrap();
    record["name"] = Value::from(to);
    env.replace_records(&doc);
}

/// Runs `args`, counts what reaches stdout, and returns (exit code, bytes,
/// peak RSS in KiB) of the bcconn process itself. The peak is its VmHWM,
/// read while it writes (it cannot exit before its output is read). Not
/// wait4's ru_maxrss: Linux keeps in it the peak of the process that
/// spawned it (this test binary, with every other test's buffers), which
/// made a 115 MiB bcconn read as 470 MiB.
#[cfg(target_os = "linux")]
// The child is reaped by wait4 (for its own rusage), not by Child::wait.
#[allow(clippy::zombie_processes)]
pub fn run_counting(env: &Env, args: &[&str]) -> (Option<i32>, usize, i64, String) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut child = env
        .std_cmd(args)
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let errs = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let pid = child.id() as libc::pid_t;
    let hwm = || -> Option<i64> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let mut peak = 0;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) => panic!("{e}"),
        }
        peak = peak.max(hwm().unwrap_or(0));
    }
    let mut status = 0;
    // SAFETY: a plain call on our own child; rusage is written by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid);
    let code = std::process::ExitStatus::from_raw(status).code();
    assert!(peak > 0 || total == 0, "no VmHWM read for pid {pid}");
    (code, total, peak, errs.join().unwrap())
}
