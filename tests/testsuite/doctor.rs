//! `bcconn doctor` through the real binary: a healthy home against the fake
//! BigCommerce, then homes broken the ways issue 10 found them broken (open
//! permissions, temp files, an orphan secret, siblings, a busy callback
//! port, a FIFO, a held lock), asserting each check's verdict and what
//! `--fix` does.

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::common::fake_bc::FakeBc;
use crate::common::oauth::OAuthFixture;
use crate::common::{Env, all_output};

const CLIENT_ID: &str = "doctorclientid1";
const SECRET: &str = "client-secret-Dr7kQ2vX9mW4";
const HASH: &str = "abc123";

/// The keys every finding has, in `--json`.
const KEYS: [&str; 7] = [
    "check", "subject", "verdict", "detail", "fix", "fixed", "ms",
];

/// Doctor probes `GET /` on the login and API URLs, which the strict fake
/// calls unexpected: allow exactly those.
fn allow_probes(fake: &FakeBc) {
    fake.expect_unexpected();
    for line in fake.unexpected() {
        assert!(line.contains(" GET /: no such route"), "{line}");
    }
}

/// `doctor --json ARGS`: the exit code and the findings.
fn doctor(env: &Env, extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["doctor", "--json"];
    args.extend_from_slice(extra);
    let out = env.cmd(&args).output().unwrap();
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json printed no JSON ({e}):\n{}", all_output(&out)));
    for f in &findings {
        let obj = f.as_object().unwrap();
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        let mut want = KEYS.to_vec();
        want.sort();
        let mut got = keys.clone();
        got.sort();
        assert_eq!(got, want, "every finding has the same keys: {f}");
        assert!(["ok", "warn", "fail"].contains(&f["verdict"].as_str().unwrap()));
        assert!(!f["detail"].as_str().unwrap().is_empty());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(" checks: "), "{stderr}");
    assert!(
        !all_output(&out).contains(SECRET),
        "a secret in doctor's output"
    );
    (out.status.code().unwrap(), findings)
}

/// The findings of one check (several for per-iClient and per-store checks).
fn of<'a>(findings: &'a [Value], check: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["check"] == check).collect()
}

/// The one finding of `check`, with the verdict `verdict`.
fn verdict<'a>(findings: &'a [Value], check: &str, verdict: &str) -> &'a Value {
    let found = of(findings, check);
    assert_eq!(found.len(), 1, "one {check} finding: {found:#?}");
    assert_eq!(found[0]["verdict"], verdict, "{check}: {:#}", found[0]);
    found[0]
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_healthy_home_passes_every_check() {
    let OAuthFixture {
        fake,
        mut env,
        callback: _,
    } = fixture();
    // Healthy means no plain-text secret: the sealed store, the iClient's
    // secret moved in.
    let key = env.cmd(&["secrets", "new-key"]).output().unwrap().stdout;
    env.set("BCCONN_SECRET_KEY", String::from_utf8(key).unwrap().trim());
    env.set("BCCONN_SECRET_STORE", "sealed");
    env.cmd(&["secrets", "move", "--to", "sealed"])
        .assert()
        .success();
    let out = env
        .cmd(&[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));

    let (code, findings) = doctor(&env, &[]);
    allow_probes(&fake);
    let not_ok: Vec<&Value> = findings.iter().filter(|f| f["verdict"] != "ok").collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
    assert_eq!(code, 0);
    let checks: Vec<&str> = findings
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "home",
            "records",
            "writer",
            "permissions",
            "temp_files",
            "secret_store",
            "orphan_secrets",
            "killed_writes",
            "callback_port",
            "browser",
            "siblings",
            "last_verified",
            "login_endpoint",
            "api_endpoint",
            "clock"
        ]
    );
    let store = verdict(&findings, "secret_store", "ok");
    assert_eq!(store["subject"], "sealed");
    assert!(text(store, "detail").contains("holds 2 secrets"), "{store}");
    assert!(store["ms"].is_u64());
    let port = verdict(&findings, "callback_port", "ok");
    assert_eq!(port["subject"], "app");
    let login = verdict(&findings, "login_endpoint", "ok");
    assert!(
        text(login, "detail").contains("answered HTTP 404"),
        "{login}"
    );
    assert!(login["ms"].as_u64().unwrap() < 4000);
    assert!(text(verdict(&findings, "clock", "ok"), "detail").starts_with("within "));
    assert!(
        text(verdict(&findings, "last_verified", "ok"), "detail")
            .contains("1 authorized connection")
    );

    // The text form says the same, one line per check.
    let out = env.cmd(&["doctor"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        15,
        "{stdout}"
    );
    assert!(stdout.contains("ok    secret store (sealed): "), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("15 checks: 15 ok, 0 warnings, 0 failures")
    );
}

/// Sets the modification time of `path` back by `by`.
fn age(path: &std::path::Path, by: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - by).unwrap();
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn a_broken_home_is_found_and_fixed() {
    let OAuthFixture {
        fake,
        env,
        callback,
    } = fixture();
    let home = env.home();
    // Two connections on the same app and store: siblings.
    for name in ["shop", "shop-copy"] {
        env.cmd(&[
            "create",
            name,
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--no-authorize",
        ])
        .assert()
        .success();
    }
    // "shop" authorized long ago and never checked since: its token is in
    // the secrets file, and so is a token no record names (an orphan).
    let mut records: Value = env.records();
    let shop = &mut records["connections"][0];
    shop["state"] = "authorized".into();
    shop["token_store"] = "file".into();
    shop["authorized_at"] = "2020-01-01T00:00:00Z".into();
    shop["last_verified_at"] = "2020-01-01T00:00:00Z".into();
    let shop_account = format!("connection/{}", shop["id"].as_str().unwrap());
    env.replace_records(&records);
    env.cmd(&["list"]).assert().success();
    let secrets_path = home.join("secrets.json");
    let mut secrets: Value = serde_json::from_str(&env.secrets_text()).unwrap();
    secrets["secrets"][&shop_account] = "token-of-shop-1234567890".into();
    secrets["secrets"]["connection/0123456789abcdef"] = "orphan-token-1234567890".into();
    std::fs::write(&secrets_path, serde_json::to_vec_pretty(&secrets).unwrap()).unwrap();
    // A write killed before its rename.
    let temp = home.join(".bcconn-Xy12Ab.tmp");
    std::fs::write(&temp, "{\"version\":1,\"secrets\":{}}").unwrap();
    // Open permissions.
    chmod(&home, 0o755);
    chmod(&env.record_path(), 0o644);
    chmod(&secrets_path, 0o644);
    // Something else on the callback port.
    let port: u16 = url::Url::parse(&callback).unwrap().port().unwrap();
    let busy = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();

    let (code, findings) = doctor(&env, &[]);
    assert_eq!(code, 3, "a failed check exits 3: {findings:#?}");
    let perms = verdict(&findings, "permissions", "fail");
    let detail = text(perms, "detail");
    assert!(
        detail.contains("is 0755: other users can enter it"),
        "{detail}"
    );
    assert!(
        detail.contains("secrets.json is 0644: other users can read the plain-text secrets"),
        "{detail}"
    );
    assert!(detail.contains("bcconn.db is 0644"), "{detail}");
    assert!(text(perms, "fix").contains("chmod 600"), "{perms}");
    let temps = verdict(&findings, "temp_files", "warn");
    assert!(text(temps, "detail").starts_with("1 temp file "), "{temps}");
    let orphans = verdict(&findings, "orphan_secrets", "warn");
    assert!(
        text(orphans, "detail").contains("connection/0123456789abcdef"),
        "{orphans}"
    );
    assert!(
        !text(orphans, "detail").contains(&shop_account),
        "{orphans}"
    );
    let siblings = verdict(&findings, "siblings", "warn");
    assert!(
        text(siblings, "detail").contains("\"shop\" (authorized), \"shop-copy\" (pending)"),
        "{siblings}"
    );
    assert_eq!(siblings["subject"], "store abc123");
    let stale = verdict(&findings, "last_verified", "warn");
    assert!(text(stale, "detail").contains("\"shop\" ("), "{stale}");
    let port_check = verdict(&findings, "callback_port", "fail");
    assert!(
        text(port_check, "detail").contains(&format!("port {port} is already in use")),
        "{port_check}"
    );
    assert!(
        text(port_check, "fix").contains("bcconn iclient edit app --callback-url"),
        "{port_check}"
    );
    // Plain text works, but doctor names the way out of it.
    let store = verdict(&findings, "secret_store", "warn");
    assert_eq!(store["subject"], "file");
    assert!(
        text(store, "fix").contains("bcconn secrets move --to sealed"),
        "{store}"
    );

    // --fix: the secrets file changed a moment ago, so the orphan stays (a
    // write may be about to save its record); the rest is fixed.
    let (code, findings) = doctor(&env, &["--fix"]);
    assert_eq!(code, 3, "the port is still busy");
    let perms = verdict(&findings, "permissions", "ok");
    assert!(text(perms, "fixed").contains("chmod 700"), "{perms}");
    assert_eq!(
        (mode(&home), mode(&env.record_path()), mode(&secrets_path)),
        (0o700, 0o600, 0o600)
    );
    let temps = verdict(&findings, "temp_files", "ok");
    assert_eq!(temps["fixed"], "removed 1 temp file");
    assert!(!temp.exists());
    let orphans = verdict(&findings, "orphan_secrets", "warn");
    assert!(
        text(orphans, "fix").contains("again in a minute"),
        "{orphans}"
    );
    assert!(env.secrets_text().contains("orphan-token-1234567890"));

    // A minute later it goes, through the secret store; nothing else does.
    age(&secrets_path, Duration::from_secs(120));
    let (_, findings) = doctor(&env, &["--fix"]);
    let orphans = verdict(&findings, "orphan_secrets", "ok");
    assert_eq!(orphans["fixed"], "removed 1 orphan secret");
    let left = env.secrets_text();
    assert!(!left.contains("orphan-token"), "{left}");
    assert!(left.contains("token-of-shop-1234567890") && left.contains(SECRET));
    env.cmd(&["token", "shop"])
        .assert()
        .success()
        .stdout("token-of-shop-1234567890\n");

    // With the port free, only warnings are left (plain text among them): exit 0.
    drop(busy);
    let (code, findings) = doctor(&env, &[]);
    assert_eq!(code, 0, "{findings:#?}");
    let warned: Vec<&str> = findings
        .iter()
        .filter(|f| f["verdict"] != "ok")
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert_eq!(warned, ["secret_store", "siblings", "last_verified"]);
    allow_probes(&fake);
}

#[cfg(unix)]
#[test]
fn a_fifo_record_file_fails_without_hanging() {
    let env = Env::new();
    std::fs::create_dir_all(env.home()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(env.record_path())
        .status()
        .unwrap();
    assert!(made.success());
    let start = Instant::now();
    let (code, findings) = doctor(&env, &[]);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 3);
    let records = verdict(&findings, "records", "fail");
    assert!(
        text(records, "detail").contains("is not a regular file"),
        "{records}"
    );
    for check in ["callback_port", "siblings", "last_verified"] {
        let f = of(&findings, check);
        assert!(
            !f.is_empty()
                && f.iter()
                .all(|f| f["verdict"] == "warn" && text(f, "detail").starts_with("not checked")),
            "{check}: {f:#?}"
        );
    }
    // Nothing listens on 127.0.0.1:9: both endpoints fail, quickly.
    verdict(&findings, "login_endpoint", "fail");
    verdict(&findings, "api_endpoint", "fail");
    assert!(text(verdict(&findings, "clock", "warn"), "detail").starts_with("not checked"));
}

#[cfg(unix)]
#[test]
fn a_held_lock_does_not_hang_doctor_and_keeps_a_live_temp_file() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    let lock = std::fs::File::open(env.home().join("secrets.lock")).unwrap();
    lock.lock().unwrap();
    let temp = env.home().join(".bcconn-live01.tmp");
    std::fs::write(&temp, "{}").unwrap();
    let start = Instant::now();
    let (_, findings) = doctor(&env, &["--fix"]);
    assert!(start.elapsed() < Duration::from_secs(30));
    let temps = verdict(&findings, "temp_files", "ok");
    assert!(
        text(temps, "detail").contains("of a write in progress"),
        "{temps}"
    );
    assert!(temp.exists(), "a temp file of a running write stays");
    // Older than ten minutes, it is stale even while the lock is held.
    age(&temp, Duration::from_secs(11 * 60));
    let (_, findings) = doctor(&env, &["--fix"]);
    assert_eq!(
        verdict(&findings, "temp_files", "ok")["fixed"],
        "removed 1 temp file"
    );
    assert!(!temp.exists());
    drop(lock);
    allow_probes(&fake);
}

#[test]
fn a_browser_that_cannot_start_and_a_headless_machine_are_said() {
    let mut env = Env::new();
    env.set("BCCONN_BROWSER", "/nonexistent/browser --new-window");
    let (_, findings) = doctor(&env, &[]);
    let b = verdict(&findings, "browser", "fail");
    assert!(
        text(b, "detail").contains("\"/nonexistent/browser\""),
        "{b}"
    );
    assert!(text(b, "fix").contains("BCCONN_BROWSER"), "{b}");

    // No browser command, an SSH session, no display: headless.
    let mut env = Env::new();
    env.set("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22");
    let (_, findings) = doctor(&env, &[]);
    let b = verdict(&findings, "browser", "warn");
    assert!(text(b, "detail").starts_with("headless"), "{b}");
    assert!(text(b, "fix").contains("--flow manual"), "{b}");
}

#[test]
fn an_unknown_secret_store_fails_with_the_choices() {
    let mut env = Env::new();
    env.set("BCCONN_SECRET_STORE", "vault");
    let (code, findings) = doctor(&env, &[]);
    assert_eq!(code, 3);
    let store = verdict(&findings, "secret_store", "fail");
    assert_eq!(store["subject"], "vault");
    assert!(text(store, "fix").contains("keyutils"), "{store}");
}

#[cfg(target_os = "linux")]
#[test]
fn an_unreachable_os_keyring_fails_the_secret_store_check() {
    let mut env = Env::new();
    env.set("BCCONN_SECRET_STORE", "os");
    env.set(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/bcconn-doctor-bus",
    );
    let (code, findings) = doctor(&env, &[]);
    assert_eq!(code, 3);
    let store = verdict(&findings, "secret_store", "fail");
    assert_eq!(store["subject"], "os");
    assert!(
        text(store, "detail").contains("the OS keyring is not reachable"),
        "{store}"
    );
    assert!(
        text(store, "fix").contains("BCCONN_SECRET_STORE=file"),
        "{store}"
    );
    assert!(store["ms"].is_u64());
}

/// A real keyring: doctor reads the secret a record names and times it.
fn real_keyring(store: &str, describe: &str) {
    let mut env = Env::new();
    env.set("BCCONN_SECRET_STORE", store);
    for key in [
        "DBUS_SESSION_BUS_ADDRESS",
        "XDG_RUNTIME_DIR",
        "XDG_DATA_HOME",
        "HOME",
    ] {
        if let Ok(v) = std::env::var(key) {
            env.set(key, &v);
        }
    }
    let name = format!("doctor-{}", std::process::id());
    env.add_iclient(&name, "cid", SECRET, "http://localhost:8765/auth");
    let (_, findings) = doctor(&env, &[]);
    let found = verdict(&findings, "secret_store", "ok");
    assert_eq!(found["subject"], store);
    assert!(
        text(found, "detail").starts_with(&format!("{describe} (where new secrets go) answered and is unlocked: read the client secret of iClient")),
        "{found}"
    );
    assert!(found["ms"].as_u64().unwrap() < 3000);
    env.cmd(&["iclient", "remove", &name, "--yes"])
        .assert()
        .success();
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring in a D-Bus session); .ci/run starts one"]
fn doctor_reads_a_secret_from_the_secret_service() {
    real_keyring("os", "the OS keyring");
}

#[test]
#[ignore = "needs a session keyring this process owns (`keyctl session -`); .ci/run provides one"]
fn doctor_reads_a_secret_from_the_kernel_keyring() {
    real_keyring("keyutils", "the Linux kernel keyring");
}

/// A write that holds the records' lock is named, with how to end it, and
/// doctor itself does not wait on it for long.
#[cfg(unix)]
#[test]
fn a_stuck_writer_is_named_and_doctor_does_not_wait_on_it() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    let lock = env.hold_write_lock();
    let start = Instant::now();
    let (_, findings) = doctor(&env, &[]);
    assert!(start.elapsed() < Duration::from_secs(30));
    let w = verdict(&findings, "writer", "warn");
    assert!(
        text(w, "detail").contains(&format!("process {}", std::process::id())),
        "{w}"
    );
    assert!(text(w, "fix").contains("kill"), "{w}");
    lock.execute_batch("ROLLBACK").unwrap();
    let (_, findings) = doctor(&env, &[]);
    verdict(&findings, "writer", "ok");
    allow_probes(&fake);
}

/// A secret a killed run wrote (listed in the ledger by a process that is
/// gone) is reported, and `--fix` removes it from its secret store.
#[cfg(unix)]
#[test]
fn secrets_of_a_killed_run_are_found_and_removed_by_fix() {
    let OAuthFixture {
        fake,
        env,
        callback: _,
    } = fixture();
    let dead = crate::common::dead_pid();
    let account = "connection/00000000deadbeef/g1";
    let secrets_path = env.home().join("secrets.json");
    let mut secrets: Value = serde_json::from_str(&env.secrets_text()).unwrap();
    secrets["secrets"][account] = "left-by-a-killed-run".into();
    std::fs::write(&secrets_path, serde_json::to_vec(&secrets).unwrap()).unwrap();
    let db = rusqlite::Connection::open(env.record_path()).unwrap();
    db.execute(
        "INSERT INTO secret_ledger(store, account, host, pid, started, created_at) VALUES ('file', ?1, ?3, ?2, '', 'then')",
        rusqlite::params![account, dead, bcconn::store::ledger::host()],
    )
    .unwrap();
    drop(db);
    let (_, findings) = doctor(&env, &[]);
    let k = verdict(&findings, "killed_writes", "warn");
    assert!(text(k, "detail").starts_with("1 secret "), "{k}");
    assert!(
        env.secrets_text().contains("left-by-a-killed-run"),
        "reporting removes nothing"
    );
    let (_, findings) = doctor(&env, &["--fix"]);
    let k = verdict(&findings, "killed_writes", "ok");
    assert_eq!(k["fixed"], "removed 1 secret", "{k}");
    assert!(!env.secrets_text().contains("left-by-a-killed-run"));
    allow_probes(&fake);
}

/// The fake with this suite's app, saved as iClient `app`.
fn fixture() -> OAuthFixture {
    OAuthFixture::with_app(CLIENT_ID, SECRET, &["store_v2_orders"])
}

/// Every entry under `dir` (not following links), `dir` itself first.
#[cfg(unix)]
fn tree(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let p = out[i].clone();
        if p.symlink_metadata().unwrap().is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                out.push(e.unwrap().path());
            }
        }
        i += 1;
    }
    out
}

/// A home holding everything bcconn makes: the database, the secrets file
/// and its lock, the trust list and its lock, a pool's slot files, a
/// store's rate book, and what `restore` keeps of the database it
/// replaced. Each made by the command that makes it.
#[cfg(unix)]
fn a_full_home() -> (FakeBc, Env) {
    let (fake, env) = crate::api::setup("2");
    let out = crate::api::run(&env, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let proj = env.dir.path().join("proj");
    std::fs::create_dir(&proj).unwrap();
    let out = env
        .cmd(&["use", "shop"])
        .current_dir(&proj)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let backup = env.dir.path().join("backup.db");
    for args in [
        vec!["backup", backup.to_str().unwrap()],
        vec!["restore", backup.to_str().unwrap()],
    ] {
        let out = env.cmd(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    }
    let home = env.home();
    let names: Vec<String> = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for want in [
        "bcconn.db",
        "secrets.json",
        "secrets.lock",
        "trusted-dotfiles.json",
        "pools",
        "rate",
    ] {
        assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("bcconn.db.before-restore-")),
        "{names:?}"
    );
    (fake, env)
}

/// Opens everything under the home to others, as a careless umask or a
/// copy would.
#[cfg(unix)]
fn open_up(home: &std::path::Path) {
    for p in tree(home) {
        let m = p.symlink_metadata().unwrap();
        chmod(&p, if m.is_dir() { 0o755 } else { 0o644 });
    }
}

#[cfg(unix)]
#[test]
fn fix_knows_every_file_and_folder_bcconn_makes_and_tightens_them_all() {
    let (fake, env) = a_full_home();
    allow_probes(&fake);
    let home = env.home();
    open_up(&home);
    let (_, findings) = doctor(&env, &[]);
    // Others can enter the home and read the plain-text secrets.
    let perms = verdict(&findings, "permissions", "fail");
    let detail = text(perms, "detail");
    assert!(detail.contains("in pools/ open to other users"), "{perms}");
    // A long list is cut short, and says so.
    assert!(detail.contains(" more"), "{perms}");
    let fix = text(perms, "fix");
    for dir in ["pools", "rate"] {
        let command = format!("chmod -R go-rwx {}", home.join(dir).display());
        assert!(fix.contains(&command), "{perms}");
    }
    assert!(
        fix.contains(&format!("chmod 700 {}", home.display())),
        "{perms}"
    );
    assert!(fix.contains("`bcconn doctor --fix`"), "{perms}");
    // Nothing here is foreign: the home itself is bcconn's to tighten.
    assert!(!fix.contains("not bcconn's"), "{perms}");

    let (_, findings) = doctor(&env, &["--fix"]);
    let perms = verdict(&findings, "permissions", "ok");
    let fixed = text(perms, "fixed");
    assert!(
        fixed.contains(&format!("chmod 700 {}", home.display())),
        "{perms}"
    );
    assert!(
        fixed.contains("entries in pools/ private (files 0600, folders 0700)"),
        "{perms}"
    );
    for p in tree(&home) {
        let m = p.symlink_metadata().unwrap();
        let want = if m.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&p), want, "{} after --fix: {perms}", p.display());
    }
    // And bcconn still works in the tightened home.
    let out = crate::api::run(&env, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

#[cfg(unix)]
#[test]
fn a_foreign_file_keeps_the_home_as_it_is_and_fix_says_only_what_it_does() {
    let (fake, env) = a_full_home();
    allow_probes(&fake);
    let home = env.home();
    std::fs::write(home.join("notes.txt"), "mine\n").unwrap();
    open_up(&home);
    let (_, findings) = doctor(&env, &[]);
    let perms = verdict(&findings, "permissions", "fail");
    let fix = text(perms, "fix");
    assert!(fix.contains("--fix leaves the directory alone"), "{perms}");
    assert!(
        fix.contains("`bcconn doctor --fix` does what it can"),
        "{perms}"
    );
    let (_, findings) = doctor(&env, &["--fix"]);
    let perms = verdict(&findings, "permissions", "warn");
    let fixed = text(perms, "fixed");
    // bcconn's own files were tightened, the home and the foreign file not.
    let home_chmod = format!("chmod 700 {}", home.display());
    assert!(fixed.split("; ").all(|f| f != home_chmod), "{perms}");
    assert!(fixed.contains("chmod 600"), "{perms}");
    assert_eq!(mode(&home), 0o755);
    assert_eq!(mode(&home.join("notes.txt")), 0o644);
    assert_eq!(mode(&home.join("secrets.json")), 0o600);
    assert_eq!(mode(&home.join("pools")), 0o700);
    let detail = text(perms, "detail");
    assert!(detail.contains("other users can enter it"), "{perms}");
    assert!(
        !text(perms, "fix").contains("`bcconn doctor --fix`"),
        "{perms}"
    );
}
