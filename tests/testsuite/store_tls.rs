//! The shared store over TLS: a private PostgreSQL cluster with `ssl=on`
//! and a certificate from a test CA (made with the `openssl` command), and
//! bcconn reaching it through rustls as `sslmode` says. Ignored unless
//! `--include-ignored` (as `.ci/run` does): it needs Debian's postgresql
//! binaries (PG_TEST_BIN, or /usr/lib/postgresql/*/bin) and openssl.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Env, all_output, code};

const PASSWORD: &str = "tls-Pw-7c1e5d";

/// A cluster that speaks TLS, stopped on drop.
struct TlsCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

fn bin_dir() -> PathBuf {
    if let Some(b) = std::env::var_os("PG_TEST_BIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(b);
    }
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .find(|b| b.join("initdb").exists())
        })
        .expect("these tests need PostgreSQL's binaries: apt-get install postgresql, or set PG_TEST_BIN")
}

/// Runs a server program as the `postgres` user when this is root
/// (initdb refuses root).
fn as_owner(program: &Path) -> Command {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("these tests need the openssl command");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        all_output(&out)
    );
}

impl TlsCluster {
    fn start() -> TlsCluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("bcconn-pgtls")
            .tempdir_in("/tmp")
            .unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=bcconn test CA",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        );
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
        std::fs::write(d.join("pwfile"), format!("{PASSWORD}\n")).unwrap();
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(d)
                .status()
                .unwrap();
            assert!(ok.success());
        }
        crate::common::set_mode(&d.join("server.key"), 0o600);
        let out = as_owner(&bin.join("initdb"))
            .arg("-D")
            .arg(d.join("data"))
            .args(["-U", "postgres", "--auth-host=scram-sha-256", "-E", "UTF8"])
            .arg(format!("--pwfile={}", d.join("pwfile").display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", all_output(&out));
        for _ in 0..10 {
            let port = crate::common::child_port();
            let opts = format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k {dir} -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key -c fsync=off",
                dir = d.display()
            );
            let ok = as_owner(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(d.join("data"))
                .arg("-l")
                .arg(d.join("log"))
                .args(["-w", "-t", "30", "-o", &opts, "start"])
                .output()
                .unwrap();
            if ok.status.success() {
                return TlsCluster { dir, bin, port };
            }
        }
        panic!(
            "the TLS cluster did not start: {}",
            std::fs::read_to_string(d.join("log")).unwrap_or_default()
        );
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/postgres?{query}",
            self.port
        )
    }

    fn ca(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        let _ = as_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn machine(url: &str) -> Env {
    let mut env = Env::new();
    env.set("BCCONN_STORE_URL", url);
    env.set("BCCONN_SECRET_STORE", "sealed");
    env.set(
        "BCCONN_SECRET_KEY",
        "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    );
    env
}

#[test]
#[ignore = "needs PostgreSQL's binaries and openssl (.ci/run installs them)"]
fn tls_is_verified_against_sslrootcert_and_the_name_and_never_shows_the_password() {
    let pg = TlsCluster::start();

    // verify-full with the CA: works, and an iClient written over TLS is read back.
    let url = pg.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", pg.ca()),
    );
    let env = machine(&url);
    env.add_iclient("app", "cid-tls", "s3cret-tls", "http://localhost:8765/auth");
    let out = env.cmd(&["iclient", "list"]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cid-tls"));

    // The certificate names 127.0.0.1 too (subjectAltName): that works.
    let by_ip = machine(&pg.url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", pg.ca()),
    ));
    let out = by_ip.cmd(&["iclient", "list"]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));

    // Without the CA: refused, for require and for the default (prefer),
    // with a hint naming sslrootcert; nothing falls back to plain text.
    for query in ["sslmode=require", "", "sslmode=prefer"] {
        let env = machine(&pg.url("localhost", query));
        let out = env.cmd(&["iclient", "list"]).output().unwrap();
        let text = all_output(&out);
        assert_eq!(code(&out), Some(1), "{query}: {text}");
        assert!(text.contains("certificate"), "{query}: {text}");
        assert!(text.contains("sslrootcert"), "{query}: {text}");
        assert!(!text.contains(PASSWORD), "{text}");
        // Never a fallback to the local database.
        assert!(!env.home().join("bcconn.db").exists(), "{query}");
    }

    // An unreadable sslrootcert and an unknown sslmode are setup errors.
    for query in [
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        "sslmode=sometimes",
    ] {
        let env = machine(&pg.url("localhost", query));
        let out = env.cmd(&["iclient", "list"]).output().unwrap();
        let text = all_output(&out);
        assert_eq!(code(&out), Some(2), "{query}: {text}");
        assert!(text.contains("BCCONN_STORE_URL"), "{text}");
        assert!(!text.contains(PASSWORD), "{text}");
    }

    // sslmode=disable against a server that takes both: plain text works.
    let plain = machine(&pg.url("localhost", "sslmode=disable"));
    let out = plain.cmd(&["iclient", "list", "-vv"]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(!all_output(&out).contains(PASSWORD));
}
