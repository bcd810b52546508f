//! `bcconn doctor`: checks of what bcconn depends on, each with a verdict
//! (ok, warn, fail), what was found, and what to do about it.
//!
//! Doctor never waits on a lock and never reads a file that is not a
//! regular file, so it answers where other commands would hang. Network
//! probes have a short timeout. With `fix`, it removes what interrupted
//! writes left behind (stale temp files, orphan secrets in the secrets
//! file) and tightens file modes; it changes nothing else.
//!
//! Not checked yet: the shared pool URL (`BCCONN_POOL_URL`), which does not
//! exist in this version.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use super::iclients::DEFAULT_CALLBACK_URL;
use crate::context::Context;
use crate::env::Env;
use crate::error::Failure;
use crate::loopback::server::{self, BindError};
use crate::secrets::{self, FileStore, StoreKind};
use crate::store::{self, Document, State};
use crate::text::{outside, shell_word};

/// How a check came out. Ordered: the worst verdict is the largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One check's result. Every finding has every field (`--json` is one
/// stable shape): `subject`, `fix`, `fixed` and `ms` are `null` when they
/// do not apply.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check's id: `home`, `records`, `permissions`, `temp_files`,
    /// `secret_store`, `orphan_secrets`, `callback_port`, `browser`,
    /// `siblings`, `last_verified`, `login_endpoint`, `api_endpoint`, `clock`.
    pub check: &'static str,
    /// What it is about when a check runs more than once (a secret store, an
    /// iClient, a store), or the URL probed.
    pub subject: Option<String>,
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// What to do about it.
    pub fix: Option<String>,
    /// What `--fix` did.
    pub fixed: Option<String>,
    /// How long it took, where that matters (secret stores, endpoints).
    pub ms: Option<u64>,
}

impl Finding {
    fn new(check: &'static str, verdict: Verdict, detail: impl Into<String>) -> Finding {
        Finding {
            check,
            subject: None,
            verdict,
            detail: detail.into(),
            fix: None,
            fixed: None,
            ms: None,
        }
    }

    fn ok(check: &'static str, detail: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Ok, detail)
    }

    fn warn(check: &'static str, detail: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Warn, detail)
    }

    fn fail(check: &'static str, detail: impl Into<String>) -> Finding {
        Finding::new(check, Verdict::Fail, detail)
    }

    fn subject(mut self, subject: impl Into<String>) -> Finding {
        self.subject = Some(subject.into());
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    fn fixed(mut self, fixed: impl Into<String>) -> Finding {
        self.fixed = Some(fixed.into());
        self
    }

    fn took(mut self, since: Instant) -> Finding {
        self.ms = Some(since.elapsed().as_millis().try_into().unwrap_or(u64::MAX));
        self
    }

    /// A check that needs the records, which could not be read.
    fn not_checked(check: &'static str) -> Finding {
        Finding::warn(
            check,
            "not checked: the record file cannot be read (see above)",
        )
    }
}

pub struct Options {
    /// Remove stale temp files and orphan secrets; tighten file modes.
    pub fix: bool,
    /// For each network probe (resolve, then answer).
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fix: false,
            timeout: Duration::from_secs(4),
        }
    }
}

/// A connection not checked against its store for this long is reported.
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);
/// A clock this far from BigCommerce's is reported.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// A temp file this old is stale even while a write holds a lock.
const TEMP_STALE: Duration = Duration::from_secs(10 * 60);
/// Orphan secrets are not removed while the secrets file is younger than
/// this: a write that saved a secret may not have saved its record yet.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(60);
/// A secret store slower than this is reported.
const SLOW_STORE: Duration = Duration::from_secs(1);

const SECRETS_LOCK: &str = "secrets.lock";

/// Runs every check, in the order they are shown.
pub fn run(ctx: &Context, opts: &Options) -> Vec<Finding> {
    let env = &ctx.env;
    let mut out = vec![home(env)];
    let (found, file) = records(ctx);
    out.push(found);
    if file.is_some() {
        out.push(writer(ctx));
    }
    out.push(permissions(&env.home, opts.fix));
    out.push(temp_files(&env.home, opts.fix));
    out.extend(secret_stores(ctx, file.as_ref()));
    out.push(orphan_secrets(ctx, file.as_ref(), opts.fix));
    if file.is_some() {
        out.push(killed_writes(ctx, opts.fix));
    }
    out.extend(callback_ports(file.as_ref()));
    out.push(browser(env));
    match &file {
        Some(file) => {
            out.extend(siblings(file));
            out.push(last_verified(file, SystemTime::now()));
        }
        None => {
            out.push(Finding::not_checked("siblings"));
            out.push(Finding::not_checked("last_verified"));
        }
    }
    out.extend(endpoints(env, opts.timeout));
    out.extend(pool_url(env));
    out
}

/// With `BCCONN_POOL_URL` set, the shared pools must answer: bcconn never
/// falls back to local pools, so a dead Redis stops every `api` call.
fn pool_url(env: &Env) -> Option<Finding> {
    let url = env.pool_url.as_ref()?;
    let since = Instant::now();
    let answer = super::runtime()
        .map_err(|e| crate::error::failure(e.to_string()).into())
        .and_then(|rt| rt.block_on(crate::pool::redis::ping(url)));
    Some(match answer {
        Ok(rtt) => Finding::ok(
            "pool_url",
            format!("the shared pools answer (round trip {} ms)", rtt.as_millis()),
        )
        .subject(url.redacted())
        .took(since),
        Err(e) => Finding::fail("pool_url", crate::error::report(&e).1)
            .subject(url.redacted())
            .fix("start Redis, or fix or unset BCCONN_POOL_URL (then pools are this machine's files)")
            .took(since),
    })
}

/// The worst verdict of all.
pub fn worst(findings: &[Finding]) -> Verdict {
    findings
        .iter()
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Ok)
}

// ---- files ----------------------------------------------------------------

fn home(env: &Env) -> Finding {
    let shown = env.home.display().to_string();
    if !env.home.is_absolute() {
        let (why, fix) = if env.home_from_env {
            (
                "BCCONN_HOME is a relative path",
                "set BCCONN_HOME to an absolute path",
            )
        } else {
            (
                "no home directory was found (HOME is unset or relative)",
                "set HOME, or BCCONN_HOME, to an absolute path",
            )
        };
        return Finding::fail(
            "home",
            format!("{why} ({shown}): records and secrets would go wherever bcconn runs"),
        )
        .subject(shown)
        .fix(fix);
    }
    let from = if env.home_from_env {
        " (BCCONN_HOME)"
    } else {
        ""
    };
    match std::fs::metadata(&env.home) {
        Ok(m) if m.is_dir() => Finding::ok("home", format!("{shown}{from}")),
        Ok(_) => Finding::fail("home", format!("{shown}{from} is not a directory"))
            .fix("move it away, or point BCCONN_HOME at a directory"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Finding::ok(
            "home",
            format!("{shown}{from} does not exist yet (nothing saved)"),
        ),
        Err(e) => Finding::fail("home", format!("cannot read {shown}: {e}")),
    }
    .subject(env.home.display().to_string())
}

/// A data file's bytes, only if it is a regular file (a FIFO would hang the
/// read, a device would never end). `Ok(None)` when it does not exist.
fn read_regular(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        Ok(m) if !m.is_file() => Err(format!(
            "{} is not a regular file (a FIFO, device or directory), so bcconn cannot use it",
            path.display()
        )),
        // Bounded by the length it states: a link to a `/proc` file
        // would read until memory runs out.
        Ok(_) => crate::fsutil::read_regular(path).map_err(|e| match e.downcast_ref::<Failure>() {
            Some(f) => f.message.clone(),
            None => format!("cannot read {}: {e:#}", path.display()),
        }),
    }
}

/// Where a symlink points, said after a path.
fn symlink_note(path: &Path) -> String {
    match std::fs::read_link(path) {
        Ok(target) => format!(" (a symlink to {})", target.display()),
        Err(_) => String::new(),
    }
}

fn records(ctx: &Context) -> (Finding, Option<Document>) {
    let path = ctx.records.path();
    let subject = path.display().to_string();
    let fail = |e: anyhow::Error| {
        let e = crate::connect::explain(e);
        let (_, message, hint) = crate::error::report(&e);
        let mut finding = Finding::fail("records", message).subject(subject.clone());
        finding.fix = Some(hint.unwrap_or_else(|| {
            "move it away (bcconn then starts a new database), or restore a backup with `bcconn restore FILE`".into()
        }));
        (finding, None)
    };
    let (problems, schema) = match ctx.records.check() {
        Ok(Some(found)) => found,
        Ok(None) => {
            return (
                Finding::ok("records", "no database yet (nothing saved)").subject(subject.clone()),
                Some(Document::default()),
            );
        }
        Err(e) => return fail(e),
    };
    if let Some(first) = problems.first() {
        let mut finding = Finding::fail(
            "records",
            format!(
                "the integrity check found {} problem{}: {}",
                problems.len(),
                plural(problems.len()),
                crate::text::outside(first, 200)
            ),
        )
        .subject(subject.clone());
        finding.fix = Some(
            "restore a backup with `bcconn restore FILE`, or copy the records out with `bcconn export` and import them into a new home".into(),
        );
        return (finding, None);
    }
    match ctx.records.document() {
        Ok(file) => {
            let detail = format!(
                "{} connection{}, {} iClient{} (schema version {schema}, integrity ok){}",
                file.connections.len(),
                plural(file.connections.len()),
                file.iclients.len(),
                plural(file.iclients.len()),
                symlink_note(&path)
            );
            (
                Finding::ok("records", detail).subject(subject.clone()),
                Some(file),
            )
        }
        Err(e) => fail(e),
    }
}

/// Secrets the ledger lists for a run that was killed before its record
/// went live (or before it deleted a secret it stopped using): in any
/// secret store, the OS keyring included. The next change removes them too.
fn killed_writes(ctx: &Context, fix: bool) -> Finding {
    const CHECK: &str = "killed_writes";
    let subject = ctx.records.path().display().to_string();
    let left = match ctx.records.abandoned_secrets() {
        Ok(l) => l,
        Err(e) => {
            let e = crate::connect::explain(e);
            return Finding::warn(
                CHECK,
                format!("not checked: {}", crate::error::report(&e).1),
            )
            .subject(subject);
        }
    };
    if left.is_empty() {
        return Finding::ok(CHECK, "no secret of a killed run is left in a secret store")
            .subject(subject);
    }
    let mut stores: Vec<&str> = left.iter().map(|e| e.store.as_str()).collect();
    stores.sort_unstable();
    stores.dedup();
    let detail = format!(
        "{} secret{} that killed runs wrote or were removing {} still listed (stores: {})",
        left.len(),
        plural(left.len()),
        if left.len() == 1 { "is" } else { "are" },
        stores.join(", ")
    );
    if !fix {
        return Finding::warn(CHECK, detail)
            .subject(subject)
            .fix("`bcconn doctor --fix` removes them (so does the next change)");
    }
    let removed = super::commit::tidy_secrets(ctx);
    let mut f = if removed == left.len() {
        Finding::ok(CHECK, "no secret of a killed run is left in a secret store")
    } else {
        Finding::warn(CHECK, detail).fix("check that the secret store answers (see secret_store above), then run `bcconn doctor --fix` again")
    }
    .subject(subject);
    f.fixed = Some(format!("removed {removed} secret{}", plural(removed)));
    f
}

/// A write that holds the records' lock for more than a second: every
/// other change waits on it, and gives up after 10 s.
fn writer(ctx: &Context) -> Finding {
    let subject = ctx.records.path().display().to_string();
    match ctx.records.writer(Duration::from_secs(1)) {
        Ok(None) => Finding::ok("writer", "no write is holding the records").subject(subject),
        Ok(Some(holder)) => {
            let who = match holder {
                Some(pid) => format!("process {pid}{}", command_of(pid)),
                None => "another process".to_string(),
            };
            Finding::warn(
                "writer",
                format!("{who} has held the records' write lock for over a second; other changes wait on it"),
            )
            .subject(subject)
            .fix(match holder {
                Some(pid) => format!(
                    "if it is stuck, end it (`kill {pid}`): each change is one transaction, so nothing half-written is left"
                ),
                None => "if a bcconn is stuck, end it: each change is one transaction, so nothing half-written is left".to_string(),
            })
        }
        Err(e) => {
            let e = crate::connect::explain(e);
            Finding::warn(
                "writer",
                format!("not checked: {}", crate::error::report(&e).1),
            )
            .subject(subject)
        }
    }
}

/// ` (bcconn create x ...)`: a process's command line, shown escaped and
/// bounded; empty where it cannot be read.
fn command_of(pid: u32) -> String {
    let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return String::new();
    };
    let text: String = String::from_utf8_lossy(&raw[..raw.len().min(400)])
        .split('\0')
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        String::new()
    } else {
        format!(" ({})", outside(&text, 120))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The files bcconn keeps under its home, and how private each must be.
#[cfg(unix)]
const FILES: &[(&str, Sensitivity)] = &[
    ("bcconn.db", Sensitivity::Records),
    ("bcconn.db-wal", Sensitivity::Records),
    ("bcconn.db-shm", Sensitivity::Records),
    ("bcconn.db.writer", Sensitivity::Lock),
    // The record file of versions before the database: kept after the
    // move, and the stub in its place.
    ("bcconn.json.imported", Sensitivity::Records),
    ("bcconn.json", Sensitivity::Records),
    // The records lock of versions before the database (no longer used).
    ("bcconn.lock", Sensitivity::Lock),
    ("secrets.json", Sensitivity::Secrets),
    (SECRETS_LOCK, Sensitivity::Lock),
];

#[cfg(unix)]
#[derive(Clone, Copy)]
enum Sensitivity {
    /// Names, stores, e-mails; others must not change it.
    Records,
    /// Plain-text secrets: nobody else may read it.
    Secrets,
    /// Others who can open it can hold it and stop every write.
    Lock,
}

/// One permission problem: what, how bad, and the mode that fixes it.
#[cfg(unix)]
struct ModeProblem {
    verdict: Verdict,
    text: String,
    path: PathBuf,
    want: u32,
    /// The file is a symbolic link to this: `--fix` never changes a link's
    /// target (it may be anyone's file, anywhere); the person does.
    link: Option<PathBuf>,
}

#[cfg(unix)]
fn mode_problems(home: &Path) -> Vec<ModeProblem> {
    use std::os::unix::fs::MetadataExt;
    let Ok(dir) = std::fs::metadata(home) else {
        return Vec::new();
    };
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let dir_mode = dir.mode() & 0o777;
    // Others can reach the files only through a directory they may enter.
    let open = dir_mode & 0o011 != 0;
    if dir_mode & 0o022 != 0 {
        out.push(ModeProblem {
            verdict: Verdict::Fail,
            text: format!(
                "{} is {dir_mode:04o}: other users can replace the files in it",
                home.display()
            ),
            path: home.to_path_buf(),
            want: 0o700,
            link: None,
        });
    } else if dir_mode & 0o055 != 0 {
        out.push(ModeProblem {
            verdict: Verdict::Warn,
            text: format!(
                "{} is {dir_mode:04o}: other users can enter it (0700 keeps them out)",
                home.display()
            ),
            path: home.to_path_buf(),
            want: 0o700,
            link: None,
        });
    }
    for (name, sensitivity) in FILES {
        let path = home.join(name);
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        // A link the person made (a dotfile manager's) is followed to judge
        // the file, and named in what is said.
        let link = std::fs::symlink_metadata(&path)
            .is_ok_and(|m| m.file_type().is_symlink())
            .then(|| std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()));
        let name = match &link {
            Some(target) => format!("{name} is a symbolic link to {}, which", target.display()),
            None => name.to_string(),
        };
        if !meta.is_file() {
            out.push(ModeProblem {
                verdict: Verdict::Fail,
                text: format!("{name} is not a regular file (a FIFO, device or directory)"),
                path,
                want: 0,
                link,
            });
            continue;
        }
        if meta.uid() != dir.uid() {
            out.push(ModeProblem {
                verdict: Verdict::Warn,
                text: format!(
                    "{name} belongs to user id {}, the directory to user id {}",
                    meta.uid(),
                    dir.uid()
                ),
                path: path.clone(),
                want: 0,
                link: link.clone(),
            });
        }
        let mode = meta.mode() & 0o777;
        let (read, write) = (mode & 0o044 != 0, mode & 0o022 != 0);
        let problem = match sensitivity {
            Sensitivity::Secrets if read || write => Some((
                if open { Verdict::Fail } else { Verdict::Warn },
                "other users can read the plain-text secrets",
            )),
            Sensitivity::Records if write => Some((
                if open { Verdict::Fail } else { Verdict::Warn },
                "other users can change it",
            )),
            Sensitivity::Records if read && open => Some((
                Verdict::Warn,
                "other users can read it (names, stores, e-mails)",
            )),
            Sensitivity::Lock if (read || write) && open => Some((
                Verdict::Warn,
                "other users can hold the lock, which stops every write",
            )),
            _ => None,
        };
        if let Some((verdict, why)) = problem {
            out.push(ModeProblem {
                verdict,
                text: format!("{name} is {mode:04o}: {why}"),
                path,
                want: 0o600,
                link,
            });
        }
    }
    out
}

/// Only bcconn's own files: then tightening the directory harms nothing else.
#[cfg(unix)]
fn only_bcconn_files(home: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(home) else {
        return false;
    };
    entries.flatten().all(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        FILES.iter().any(|(n, _)| *n == name) || is_temp_name(&name)
    })
}

#[cfg(unix)]
fn permissions(home: &Path, fix: bool) -> Finding {
    use std::os::unix::fs::PermissionsExt;
    if !home.exists() {
        return Finding::ok("permissions", "nothing saved yet").subject(home.display().to_string());
    }
    let problems = mode_problems(home);
    if problems.is_empty() {
        return Finding::ok("permissions", "the directory and files are private to you")
            .subject(home.display().to_string());
    }
    let mut fixed = Vec::new();
    let mut dir_left_alone = false;
    if fix {
        for p in problems.iter().filter(|p| p.want != 0 && p.link.is_none()) {
            let allowed = p.path != home || only_bcconn_files(home);
            dir_left_alone |= !allowed;
            if !allowed {
                continue;
            }
            let changed = if p.path == home {
                std::fs::set_permissions(&p.path, std::fs::Permissions::from_mode(p.want))
            } else {
                chmod_not_through_link(&p.path, p.want)
            };
            if allowed && changed.is_ok() {
                fixed.push(format!("chmod {:o} {}", p.want, p.path.display()));
            }
        }
    }
    let left = if fix { mode_problems(home) } else { problems };
    let verdict = left.iter().map(|p| p.verdict).max().unwrap_or(Verdict::Ok);
    let detail = if left.is_empty() {
        "the directory and files are private to you".to_string()
    } else {
        left.iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut finding =
        Finding::new("permissions", verdict, detail).subject(home.display().to_string());
    if !left.is_empty() {
        let commands: Vec<String> = left
            .iter()
            .filter(|p| p.want != 0)
            .map(|p| {
                format!(
                    "chmod {:o} {}",
                    p.want,
                    shell_word(&p.link.as_ref().unwrap_or(&p.path).display().to_string())
                )
            })
            .collect();
        let links = left.iter().any(|p| p.want != 0 && p.link.is_some());
        let others = left.iter().any(|p| p.want == 0);
        let mut fix_text = commands.join("; ");
        if others {
            if !fix_text.is_empty() {
                fix_text.push_str("; ");
            }
            fix_text.push_str("move what is not a regular file (or not yours) away");
        }
        if links {
            fix_text.push_str(" (--fix does not change the target of a symbolic link: do it yourself, if that file is yours)");
        } else if !fix && !commands.is_empty() {
            fix_text.push_str(" (or run `bcconn doctor --fix`)");
        } else if dir_left_alone {
            fix_text.push_str(
                " (--fix leaves the directory alone: it holds files that are not bcconn's)",
            );
        }
        finding = finding.fix(fix_text);
    }
    if !fixed.is_empty() {
        finding = finding.fixed(fixed.join("; "));
    }
    finding
}

/// chmod on the file itself: opened without following a link (one put
/// there after the check is refused, not followed) and changed through the
/// open descriptor. A FIFO opens at once (O_NONBLOCK) and is left alone.
#[cfg(unix)]
fn chmod_not_through_link(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn permissions(home: &Path, _fix: bool) -> Finding {
    Finding::ok(
        "permissions",
        "not checked on this platform (the directory is in your user profile)",
    )
    .subject(home.display().to_string())
}

/// `.bcconn-XXXX.tmp`: what an atomic write leaves when it is killed.
fn is_temp_name(name: &str) -> bool {
    name.starts_with(".bcconn-") && name.ends_with(".tmp")
}

/// Tries to take a lock without waiting. `Ok(None)`: no lock file (nobody
/// holds it); `Err(())`: someone holds it.
fn try_lock(path: &Path) -> Result<Option<File>, ()> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(_) => return Ok(None),
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(()),
        // A file system without locks: nobody can hold one either.
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

fn temp_files(home: &Path, fix: bool) -> Finding {
    let subject = home.display().to_string();
    let Ok(entries) = std::fs::read_dir(home) else {
        return Finding::ok("temp_files", "no temp files").subject(subject);
    };
    let temps: Vec<(PathBuf, u64, SystemTime)> = entries
        .flatten()
        .filter(|e| is_temp_name(&e.file_name().to_string_lossy()))
        .filter_map(|e| {
            let meta = e.path().symlink_metadata().ok()?;
            meta.is_file().then(|| {
                (
                    e.path(),
                    meta.len(),
                    meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                )
            })
        })
        .collect();
    if temps.is_empty() {
        return Finding::ok("temp_files", "no temp files left by interrupted writes")
            .subject(subject);
    }
    // While both locks are free no write runs, so every temp file is stale;
    // holding them keeps it so while they are removed.
    let secrets = try_lock(&home.join(SECRETS_LOCK));
    let idle = secrets.is_ok();
    let now = SystemTime::now();
    let stale: Vec<&(PathBuf, u64, SystemTime)> = temps
        .iter()
        .filter(|(_, _, modified)| {
            idle || now.duration_since(*modified).unwrap_or_default() > TEMP_STALE
        })
        .collect();
    if stale.is_empty() {
        return Finding::ok(
            "temp_files",
            format!(
                "{} temp file{} of a write in progress",
                temps.len(),
                plural(temps.len())
            ),
        )
        .subject(subject);
    }
    let bytes: u64 = stale.iter().map(|(_, len, _)| len).sum();
    let detail = format!(
        "{} temp file{} ({}) left by interrupted writes; they may hold copies of secrets",
        stale.len(),
        plural(stale.len()),
        size(bytes)
    );
    if !fix {
        return Finding::warn("temp_files", detail)
            .subject(subject)
            .fix("`bcconn doctor --fix` removes them");
    }
    let mut removed = 0;
    let mut failed = Vec::new();
    for (path, ..) in &stale {
        match std::fs::remove_file(path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => removed += 1,
            Err(e) => failed.push(format!("{}: {e}", path.display())),
        }
    }
    drop((records, secrets));
    let finding = if failed.is_empty() {
        Finding::ok("temp_files", detail)
    } else {
        Finding::warn("temp_files", detail).fix(format!("remove by hand: {}", failed.join("; ")))
    };
    finding
        .subject(subject)
        .fixed(format!("removed {removed} temp file{}", plural(removed)))
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 10 * 1024 => format!("{b} bytes"),
        b if b < 10 * 1024 * 1024 => format!("{} KiB", b / 1024),
        b => format!("{} MiB", b / (1024 * 1024)),
    }
}

// ---- secrets --------------------------------------------------------------

/// A secret a record says lives in a store, and whose it is.
struct Named {
    account: String,
    /// "the client secret of iClient X", "the token of Y".
    whose: String,
}

/// The secrets the records say live in `kind`, iClients first.
fn named_in(file: &Document, kind: StoreKind) -> Vec<Named> {
    let iclients = file
        .iclients
        .iter()
        .filter(|ic| ic.secret_store == kind)
        .map(|ic| Named {
            account: secrets::iclient_account(&ic.id),
            whose: format!("the client secret of iClient {:?}", outside(&ic.name, 64)),
        });
    let connections = file
        .connections
        .iter()
        .filter(|c| c.token_store == Some(kind))
        .map(|c| Named {
            account: c.token_account(),
            whose: format!("the token of {:?}", outside(&c.name, 64)),
        });
    iclients.chain(connections).collect()
}

fn secret_stores(ctx: &Context, file: Option<&Document>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut kinds: Vec<StoreKind> = Vec::new();
    let default = match ctx.env.secret_store_kind() {
        Ok(kind) => {
            kinds.push(kind);
            Some(kind)
        }
        Err(e) => {
            let (_, message, hint) = crate::error::report(&e);
            let mut f = Finding::fail("secret_store", message)
                .subject(ctx.env.secret_store.clone().unwrap_or_default());
            f.fix = hint;
            out.push(f);
            None
        }
    };
    if let Some(file) = file {
        let used = file
            .iclients
            .iter()
            .map(|ic| ic.secret_store)
            .chain(file.connections.iter().filter_map(|c| c.token_store));
        for kind in used {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    for kind in [StoreKind::Os, StoreKind::Keyutils, StoreKind::File] {
        if kinds.contains(&kind) {
            let named = file.map(|f| named_in(f, kind)).unwrap_or_default();
            let role = if default == Some(kind) {
                "where new secrets go"
            } else {
                "named by records"
            };
            out.push(match kind {
                StoreKind::File => file_store(ctx, &named, role),
                _ => keyring_store(ctx, kind, &named, role),
            });
        }
    }
    out
}

fn keyring_store(ctx: &Context, kind: StoreKind, named: &[Named], role: &str) -> Finding {
    let start = Instant::now();
    let describe = kind.describe();
    let other_stores = "choose another store: BCCONN_SECRET_STORE=keyutils (Linux kernel keyring) or BCCONN_SECRET_STORE=file (plain-text file)";
    let store = match ctx.secrets(kind) {
        Ok(store) => store,
        Err(e) => {
            let (_, message, hint) = crate::error::report(&e);
            return Finding::fail("secret_store", message)
                .subject(kind.as_str())
                .fix(hint.unwrap_or_else(|| other_stores.to_string()))
                .took(start);
        }
    };
    // Reading a secret a record names proves the store is unlocked; with
    // none, looking one up proves it answers.
    let probe = named.first();
    let account = probe.map_or("doctor/probe", |n| n.account.as_str());
    let finding = match store.get(account) {
        Ok(Some(_)) => Finding::ok(
            "secret_store",
            format!(
                "{describe} ({role}) answered and is unlocked: read {}",
                probe.map_or("a secret", |n| n.whose.as_str())
            ),
        ),
        Ok(None) => match probe {
            Some(n) => Finding::warn(
                "secret_store",
                format!("{describe} ({role}) answered, but {} is missing from it", n.whose),
            )
            .fix("authorize the connection again (`bcconn authorize NAME`), or give the iClient its secret again (`bcconn iclient edit NAME --secret`)"),
            None => Finding::ok(
                "secret_store",
                format!("{describe} ({role}) answered; it holds no secret of bcconn's yet"),
            ),
        },
        Err(e) => {
            let (_, message, hint) = crate::error::report(&e);
            Finding::fail("secret_store", message).fix(hint.unwrap_or_else(|| {
                format!("unlock {describe} (log in to the desktop session), or {other_stores}")
            }))
        }
    };
    let mut finding = finding.subject(kind.as_str()).took(start);
    if finding.verdict == Verdict::Ok && start.elapsed() > SLOW_STORE {
        finding.verdict = Verdict::Warn;
        finding.detail.push_str(", but slowly");
        finding.fix = Some("a slow keyring slows every command that reads a secret; check the keyring daemon, or choose another store".into());
    }
    finding
}

fn file_store(ctx: &Context, named: &[Named], role: &str) -> Finding {
    let start = Instant::now();
    let path = FileStore::new(&ctx.env.home).path();
    let finding = match read_regular(&path) {
        Err(why) => Finding::fail("secret_store", why)
            .fix("move it away; secrets in it are lost, so authorize again afterwards"),
        Ok(None) if named.is_empty() => Finding::ok(
            "secret_store",
            format!(
                "the plain-text secrets file ({role}) does not exist yet; bcconn creates it (0600) with the first secret"
            ),
        ),
        Ok(None) => Finding::fail(
            "secret_store",
            format!(
                "{} is missing, yet the records name {} secret{} in it",
                path.display(),
                named.len(),
                plural(named.len())
            ),
        )
        .fix("authorize the connections again (`bcconn authorize NAME`) and give iClients their secrets again (`bcconn iclient edit NAME --secret`)"),
        Ok(Some(bytes)) => match FileStore::parse(&bytes) {
            Err(e) => Finding::fail(
                "secret_store",
                format!("cannot read the secrets file {}: {e}", path.display()),
            )
            .fix("fix or move the file away; bcconn will not overwrite it"),
            Ok(secrets) => {
                let held: HashSet<&str> = secrets.accounts().collect();
                let missing: Vec<&str> = named
                    .iter()
                    .filter(|n| !held.contains(n.account.as_str()))
                    .map(|n| n.whose.as_str())
                    .collect();
                let detail = format!(
                    "{} ({role}) holds {} secret{}{}",
                    path.display(),
                    held.len(),
                    plural(held.len()),
                    symlink_note(&path)
                );
                if missing.is_empty() {
                    Finding::ok("secret_store", detail)
                } else {
                    Finding::warn(
                        "secret_store",
                        format!("{detail}; missing: {}", list(&missing, 5)),
                    )
                    .fix("authorize those connections again (`bcconn authorize NAME`); for an iClient, `bcconn iclient edit NAME --secret`")
                }
            }
        },
    };
    finding.subject("file").took(start)
}

/// The first `max` items, then how many more.
fn list(items: &[&str], max: usize) -> String {
    let mut text = items
        .iter()
        .take(max)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        text.push_str(&format!(" and {} more", items.len() - max));
    }
    text
}

/// File-store accounts the ledger lists as being written (not live yet).
fn pending_secrets(ctx: &Context) -> HashSet<String> {
    ctx.records
        .ledger()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.store == StoreKind::File.as_str())
        .map(|e| e.account)
        .collect()
}

/// Accounts in the secrets file that no record names as kept there.
pub fn orphans<'a>(file: &Document, accounts: impl Iterator<Item = &'a str>) -> Vec<String> {
    orphans_except(file, accounts, &HashSet::new())
}

/// [`orphans`], leaving out `listed`: secrets the ledger says a write is
/// saving (not live yet); the ledger's own cleanup removes those of killed
/// runs.
fn orphans_except<'a>(
    file: &Document,
    accounts: impl Iterator<Item = &'a str>,
    listed: &HashSet<String>,
) -> Vec<String> {
    let named: HashSet<String> = named_in(file, StoreKind::File)
        .into_iter()
        .map(|n| n.account)
        .chain(listed.iter().cloned())
        .collect();
    accounts
        .filter(|a| !named.contains(*a))
        .map(str::to_string)
        .collect()
}

fn orphan_secrets(ctx: &Context, file: Option<&Document>, fix: bool) -> Finding {
    const CHECK: &str = "orphan_secrets";
    let path = FileStore::new(&ctx.env.home).path();
    let subject = path.display().to_string();
    let elsewhere =
        "the OS and kernel keyrings cannot be listed, so only the secrets file is checked";
    let bytes = match read_regular(&path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Finding::ok(CHECK, format!("no secrets file ({elsewhere})")).subject(subject);
        }
        Err(_) => {
            return Finding::warn(
                CHECK,
                "not checked: the secrets file cannot be read (see above)",
            )
            .subject(subject);
        }
    };
    let Some(file) = file else {
        return Finding::not_checked(CHECK).subject(subject);
    };
    let Ok(secrets) = FileStore::parse(&bytes) else {
        return Finding::warn(
            CHECK,
            "not checked: the secrets file cannot be read (see above)",
        )
        .subject(subject);
    };
    let found = orphans_except(file, secrets.accounts(), &pending_secrets(ctx));
    if found.is_empty() {
        return Finding::ok(
            CHECK,
            format!("every secret in the secrets file belongs to a record ({elsewhere})"),
        )
        .subject(subject);
    }
    let shown: Vec<&str> = found.iter().map(String::as_str).collect();
    let detail = format!(
        "{} secret{} in the secrets file belong{} to no record (left by an interrupted write or delete): {}",
        found.len(),
        plural(found.len()),
        if found.len() == 1 { "s" } else { "" },
        list(&shown, 5)
    );
    if !fix {
        return Finding::warn(CHECK, detail)
            .subject(subject)
            .fix("`bcconn doctor --fix` removes them");
    }
    let finding = Finding::warn(CHECK, detail).subject(subject);
    // A write saves a secret, then its record: a secret may look orphaned
    // for a moment. Such a secret is listed in the ledger by a live process
    // (left out below), and the secrets file must have been quiet a while.
    let age = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or_default();
    if age < ORPHAN_GRACE {
        return finding.fix(format!(
            "the secrets file changed less than {} s ago (a write may still be saving its record); run `bcconn doctor --fix` again in a minute",
            ORPHAN_GRACE.as_secs()
        ));
    }
    // Again, from the records as they are now, under the lock.
    let current = match ctx.records.document() {
        Ok(f) => f,
        Err(e) => return finding.fix(crate::error::report(&e).1),
    };
    let found = orphans_except(&current, secrets.accounts(), &pending_secrets(ctx));
    let store = match ctx.secrets(StoreKind::File) {
        Ok(s) => s,
        Err(e) => return finding.fix(crate::error::report(&e).1),
    };
    let mut removed = 0;
    let mut failed = Vec::new();
    for account in &found {
        match store.delete(account) {
            Ok(()) => removed += 1,
            Err(e) => failed.push(format!("{account}: {}", crate::error::report(&e).1)),
        }
    }
    let mut finding = finding.fixed(format!(
        "removed {removed} orphan secret{}",
        plural(removed)
    ));
    if failed.is_empty() {
        finding.verdict = Verdict::Ok;
    } else {
        finding = finding.fix(format!("could not remove: {}", failed.join("; ")));
    }
    finding
}

// ---- the machine ------------------------------------------------------------

fn callback_ports(file: Option<&Document>) -> Vec<Finding> {
    let Some(file) = file else {
        return vec![Finding::not_checked("callback_port")];
    };
    if file.iclients.is_empty() {
        return vec![callback_port(None, DEFAULT_CALLBACK_URL)];
    }
    file.iclients
        .iter()
        .map(|ic| callback_port(Some(&ic.name), &ic.callback_url))
        .collect()
}

fn callback_port(iclient: Option<&str>, url: &str) -> Finding {
    const CHECK: &str = "callback_port";
    let shown = outside(url, 200);
    let subject = iclient.map_or_else(|| "default callback URL".to_string(), |n| outside(n, 64));
    let edit = match iclient {
        Some(name) => format!(
            "`bcconn iclient edit {} --callback-url URL` (and register that URL in the app)",
            shell_word(name)
        ),
        None => "give the iClient another callback URL when you add it".to_string(),
    };
    let finding = match server::bind(url, None) {
        Ok(bound) => {
            let addrs: Vec<String> = bound.addrs.iter().map(|a| a.to_string()).collect();
            Finding::ok(CHECK, format!("can listen on {} for {shown}", addrs.join(" and ")))
        }
        Err(BindError::NotLocal { .. }) => Finding::ok(
            CHECK,
            format!(
                "{shown} is not on this machine (a tunnel?): authorize with --listen 127.0.0.1:PORT, or --flow manual"
            ),
        ),
        Err(e @ BindError::InUse { port, .. }) => Finding::fail(CHECK, outside(&e.to_string(), 300))
            .fix(format!(
                "stop what listens on port {port} (`ss -ltnp 'sport = :{port}'` shows it; another `bcconn authorize` may be waiting), or {edit}"
            )),
        Err(e) => Finding::fail(CHECK, outside(&e.to_string(), 300)).fix(edit),
    };
    finding.subject(subject)
}

fn browser(env: &Env) -> Finding {
    const CHECK: &str = "browser";
    let manual = "authorize with `--flow manual` (open the URL anywhere, paste back the address) or `--no-browser`";
    if let Some(command) = &env.browser {
        let program = command.split_whitespace().next().unwrap_or_default();
        return match find_program(program, env.path.as_deref()) {
            Some(path) => Finding::ok(
                CHECK,
                format!("BCCONN_BROWSER (or BROWSER) runs {}", path.display()),
            ),
            None => Finding::fail(
                CHECK,
                format!(
                    "the browser command {:?} (BCCONN_BROWSER or BROWSER) is not found",
                    outside(program, 200)
                ),
            )
            .fix("set BCCONN_BROWSER to a program on PATH, or unset it to use the system's opener"),
        };
    }
    if env.ssh && (!env.display || !cfg!(any(target_os = "linux", target_os = "freebsd"))) {
        return Finding::warn(
            CHECK,
            "headless: an SSH session without a display, so no browser will open here",
        )
        .fix(manual);
    }
    if cfg!(any(target_os = "macos", windows)) {
        return Finding::ok(CHECK, "the system opens URLs in the default browser");
    }
    if !env.display {
        return Finding::warn(
            CHECK,
            "headless: neither DISPLAY nor WAYLAND_DISPLAY is set, so no browser will open here",
        )
        .fix(format!(
            "{manual}, or set BCCONN_BROWSER to a command that opens a URL"
        ));
    }
    // What the `open` crate tries on Linux and the BSDs.
    let openers = [
        "xdg-open",
        "gio",
        "gnome-open",
        "kde-open6",
        "kde-open5",
        "kde-open",
    ];
    match openers
        .iter()
        .find_map(|o| find_program(o, env.path.as_deref()))
    {
        Some(path) => Finding::ok(
            CHECK,
            format!("a graphical session; URLs open with {}", path.display()),
        ),
        None => Finding::warn(
            CHECK,
            "a graphical session, but no xdg-open (or gio, kde-open) on PATH to open a browser",
        )
        .fix(format!(
            "install xdg-utils, or set BCCONN_BROWSER to a browser command; or {manual}"
        )),
    }
}

/// `program` as a path, or found on `path`; it must be an executable file.
fn find_program(program: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    let candidates: Vec<PathBuf> =
        if program.contains(std::path::MAIN_SEPARATOR) || program.contains('/') {
            vec![PathBuf::from(program)]
        } else {
            std::env::split_paths(path?)
                .map(|dir| dir.join(program))
                .collect()
        };
    candidates.into_iter().find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

// ---- the records --------------------------------------------------------------

/// Groups of connections on the same app (client id) and store: the
/// siblings of [`Document::siblings_of`], found in one pass.
pub fn sibling_groups(file: &Document) -> Vec<Vec<&store::Connection>> {
    let mut groups: HashMap<(&str, &str), Vec<&store::Connection>> = HashMap::new();
    let mut order = Vec::new();
    let client_ids: HashMap<&str, &str> = file
        .iclients
        .iter()
        .map(|ic| (ic.id.as_str(), ic.client_id.as_str()))
        .collect();
    for c in &file.connections {
        if c.auth_type != store::AuthType::Oauth2 {
            continue;
        }
        let Some(client_id) = c.iclient_id.as_deref().and_then(|id| client_ids.get(id)) else {
            continue;
        };
        let key = (*client_id, c.store_hash.as_str());
        let group = groups.entry(key).or_default();
        if group.is_empty() {
            order.push(key);
        }
        group.push(c);
    }
    order
        .into_iter()
        .filter_map(|key| groups.remove(&key))
        .filter(|g| g.len() > 1)
        .collect()
}

fn siblings(file: &Document) -> Vec<Finding> {
    const CHECK: &str = "siblings";
    let groups = sibling_groups(file);
    if groups.is_empty() {
        return vec![Finding::ok(
            CHECK,
            "no two connections authorize the same app on the same store",
        )];
    }
    groups
        .iter()
        .map(|group| {
            let first = group[0];
            // A few names and a count: a thousand siblings are one line.
            let names: Vec<String> = group
                .iter()
                .take(3)
                .map(|c| format!("{} ({})", super::rules::shown(&c.name), c.state.as_str()))
                .collect();
            let names = match group.len() {
                n if n > names.len() => {
                    format!("{n} connections ({} and {} more)", names.join(", "), n - names.len())
                }
                _ => names.join(", "),
            };
            let client_id = first
                .iclient_id
                .as_deref()
                .and_then(|id| file.iclients.iter().find(|i| i.id == id))
                .map(|i| i.client_id.as_str())
                .unwrap_or_default();
            Finding::warn(
                CHECK,
                format!(
                    "{} authorize the same app (client id {}) on store {}: BigCommerce keeps one token per app and store, so authorizing one ends the others' tokens",
                    names,
                    outside(client_id, 64),
                    first.store_hash
                ),
            )
            .subject(format!("store {}", first.store_hash))
            .fix("keep one (`bcconn delete NAME`), or authorize the others through another app (an iClient with its own client id)")
        })
        .collect()
}

fn last_verified(file: &Document, now: SystemTime) -> Finding {
    const CHECK: &str = "last_verified";
    let authorized: Vec<&store::Connection> = file
        .connections
        .iter()
        .filter(|c| c.state == State::Authorized)
        .collect();
    if authorized.is_empty() {
        return Finding::ok(CHECK, "no authorized connections");
    }
    let days = |c: &store::Connection| -> Option<u64> {
        let at = humantime::parse_rfc3339_weak(c.last_verified_at.as_deref()?).ok()?;
        Some(now.duration_since(at).unwrap_or_default().as_secs() / 86_400)
    };
    let stale: Vec<String> = authorized
        .iter()
        .filter_map(|c| match days(c) {
            Some(d) if d < STALE_AFTER.as_secs() / 86_400 => None,
            Some(d) => Some(format!("{:?} ({d} days ago)", outside(&c.name, 64))),
            None => Some(format!("{:?} (never)", outside(&c.name, 64))),
        })
        .collect();
    if stale.is_empty() {
        return Finding::ok(
            CHECK,
            format!(
                "{} authorized connection{} verified in the last 30 days",
                authorized.len(),
                plural(authorized.len())
            ),
        );
    }
    let shown: Vec<&str> = stale.iter().map(String::as_str).collect();
    Finding::warn(
        CHECK,
        format!(
            "{} of {} authorized connection{} not verified for 30 days or more: {}",
            stale.len(),
            authorized.len(),
            plural(authorized.len()),
            list(&shown, 10)
        ),
    )
    .fix("`bcconn status` checks them against their stores (and notes the time)")
}

// ---- the network --------------------------------------------------------------

/// What probing one endpoint found; `date` is its HTTP Date and when it came.
struct Probe {
    finding: Finding,
    date: Option<(SystemTime, SystemTime)>,
}

fn endpoints(env: &Env, timeout: Duration) -> Vec<Finding> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("bcconn/", env!("CARGO_PKG_VERSION"), " (doctor)"))
        .build();
    let (login, api) = match (http, super::runtime()) {
        (Ok(http), Ok(rt)) => rt.block_on(async {
            tokio::join!(
                probe(
                    &http,
                    "login_endpoint",
                    "BCCONN_LOGIN_URL",
                    &env.login_url,
                    timeout
                ),
                probe(
                    &http,
                    "api_endpoint",
                    "BCCONN_API_URL",
                    &env.api_url,
                    timeout
                ),
            )
        }),
        (Err(e), _) => {
            let f = |check| Probe {
                finding: Finding::fail(check, format!("cannot build an HTTP client: {e}")),
                date: None,
            };
            (f("login_endpoint"), f("api_endpoint"))
        }
        (_, Err(e)) => {
            let f = |check| Probe {
                finding: Finding::fail(check, format!("cannot start the async runtime: {e}")),
                date: None,
            };
            (f("login_endpoint"), f("api_endpoint"))
        }
    };
    let clock = match (login.date, api.date) {
        (Some((server, local)), _) => clock(server, local, &env.login_url),
        (None, Some((server, local))) => clock(server, local, &env.api_url),
        (None, None) => Finding::warn(
            "clock",
            "not checked: no endpoint answered with a Date header",
        ),
    };
    vec![login.finding, api.finding, clock]
}

async fn probe(
    http: &reqwest::Client,
    check: &'static str,
    var: &str,
    base: &str,
    timeout: Duration,
) -> Probe {
    let failed = |finding: Finding| Probe {
        finding: finding.subject(base),
        date: None,
    };
    let start = Instant::now();
    if let Err(f) = crate::env::check_base_url(var, base) {
        let mut finding = Finding::fail(check, f.message);
        finding.fix = f.hint;
        return failed(finding);
    }
    let url = url::Url::parse(base).expect("checked above");
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let where_ = format!("check the network (DNS, proxy, firewall), or {var} if you set it");
    // Resolve first, so "cannot resolve" and "no answer" are told apart.
    let host_for_dns = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let ip =
        match tokio::time::timeout(timeout, tokio::net::lookup_host((host_for_dns, port))).await {
            Err(_) => {
                return failed(
                    Finding::fail(
                        check,
                        format!("resolving {host} took longer than {} s", timeout.as_secs()),
                    )
                    .fix(where_)
                    .took(start),
                );
            }
            Ok(Err(e)) => {
                return failed(
                    Finding::fail(check, format!("cannot resolve {host}: {e}"))
                        .fix(where_)
                        .took(start),
                );
            }
            Ok(Ok(mut addrs)) => addrs.next().map(|a| a.ip().to_string()).unwrap_or_default(),
        };
    match http.get(format!("{base}/")).send().await {
        Ok(response) => {
            let local = SystemTime::now();
            let date = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date)
                .map(|server| (server, local));
            Probe {
                finding: Finding::ok(
                    check,
                    format!("{host} ({ip}) answered HTTP {}", response.status().as_u16()),
                )
                .subject(base)
                .took(start),
                date,
            }
        }
        Err(e) => failed(
            Finding::fail(
                check,
                format!(
                    "{host} resolved to {ip} but gave no answer: {}",
                    crate::bigcommerce::api::describe_reqwest(&e)
                ),
            )
            .fix(where_)
            .took(start),
        ),
    }
}

/// Compares this machine's clock with a server's `Date`.
fn clock(server: SystemTime, local: SystemTime, from: &str) -> Finding {
    let (ahead, skew) = match local.duration_since(server) {
        Ok(d) => (true, d),
        Err(e) => (false, e.duration()),
    };
    // `Date` has whole seconds.
    let secs = skew.as_secs();
    if skew <= CLOCK_SKEW {
        return Finding::ok("clock", format!("within {secs} s of the clock of {from}"))
            .subject(from);
    }
    let amount = if secs >= 3600 {
        format!("{} h {} min", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    };
    Finding::warn(
        "clock",
        format!(
            "this machine's clock is {amount} {} the clock of {from}",
            if ahead { "ahead of" } else { "behind" }
        ),
    )
    .subject(from)
    .fix("set the clock right (e.g. `timedatectl set-ntp true`); times bcconn records would be wrong")
}

/// An HTTP `Date` (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(text: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| m == month)? + 1;
    let day: u32 = day.parse().ok()?;
    let year: u32 = year.parse().ok()?;
    humantime::parse_rfc3339(&format!("{year:04}-{month:02}-{day:02}T{time}Z")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AuthType, Connection, IClient};

    fn iclient(id: &str, client_id: &str, kind: StoreKind) -> IClient {
        IClient {
            id: id.into(),
            name: format!("ic-{id}"),
            client_id: client_id.into(),
            callback_url: DEFAULT_CALLBACK_URL.into(),
            secret_store: kind,
            created_at: String::new(),
            updated_at: String::new(),
            extra: Default::default(),
        }
    }

    fn conn(name: &str, iclient: Option<&str>, hash: &str) -> Connection {
        Connection {
            id: format!("id-{name}"),
            iclient_id: iclient.map(str::to_string),
            ..Connection::pending(
                name,
                if iclient.is_some() {
                    AuthType::Oauth2
                } else {
                    AuthType::Token
                },
                hash.parse().unwrap(),
            )
        }
    }

    #[test]
    fn sibling_groups_agree_with_siblings_of() {
        let file = Document {
            iclients: vec![
                iclient("i1", "cid", StoreKind::File),
                iclient("i2", "cid", StoreKind::File),
                iclient("i3", "other", StoreKind::File),
            ],
            connections: vec![
                conn("a", Some("i1"), "abc123"),
                conn("b", Some("i2"), "abc123"),
                conn("c", Some("i3"), "abc123"),
                conn("d", Some("i1"), "zzz999"),
                conn("e", Some("i1"), "abc123"),
                conn("t", None, "abc123"),
            ],
            ..Default::default()
        };
        let groups = sibling_groups(&file);
        assert_eq!(groups.len(), 1);
        let names: Vec<&str> = groups[0].iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "e"]);
        for c in &file.connections {
            let mut want: Vec<&str> = file
                .siblings_of(c)
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            let mut got: Vec<&str> = groups
                .iter()
                .find(|g| g.iter().any(|m| m.id == c.id))
                .map(|g| {
                    g.iter()
                        .filter(|m| m.id != c.id)
                        .map(|m| m.name.as_str())
                        .collect()
                })
                .unwrap_or_default();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{}", c.name);
        }
    }

    #[test]
    fn orphans_are_secrets_no_record_keeps_in_the_file() {
        let mut authorized = conn("a", Some("i1"), "abc123");
        authorized.token_store = Some(StoreKind::File);
        let mut elsewhere = conn("b", Some("i1"), "abc123");
        elsewhere.token_store = Some(StoreKind::Os);
        let file = Document {
            iclients: vec![
                iclient("i1", "cid", StoreKind::File),
                iclient("i2", "cid", StoreKind::Os),
            ],
            connections: vec![authorized, elsewhere, conn("p", Some("i1"), "abc123")],
            ..Default::default()
        };
        let accounts = [
            "iclient/i1",
            "iclient/i2",
            "iclient/gone",
            "connection/id-a",
            "connection/id-b",
            "connection/id-p",
        ];
        assert_eq!(
            orphans(&file, accounts.into_iter()),
            [
                "iclient/i2",
                "iclient/gone",
                "connection/id-b",
                "connection/id-p"
            ]
        );
    }

    #[test]
    fn last_verified_flags_old_and_never() {
        let now = humantime::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
        let mut fresh = conn("fresh", Some("i1"), "abc123");
        fresh.state = State::Authorized;
        fresh.last_verified_at = Some("2026-05-20T00:00:00Z".into());
        let mut old = conn("old", Some("i1"), "abc123");
        old.state = State::Authorized;
        old.last_verified_at = Some("2026-04-01T00:00:00Z".into());
        let mut never = conn("never", Some("i1"), "abc123");
        never.state = State::Authorized;
        let pending = conn("pending", Some("i1"), "abc123");
        let file = Document {
            connections: vec![fresh.clone(), old, never, pending],
            ..Default::default()
        };
        let f = last_verified(&file, now);
        assert_eq!(f.verdict, Verdict::Warn);
        assert!(f.detail.contains("\"old\" (61 days ago)"), "{}", f.detail);
        assert!(f.detail.contains("\"never\" (never)"), "{}", f.detail);
        assert!(!f.detail.contains("fresh") && !f.detail.contains("pending"));
        let file = Document {
            connections: vec![fresh],
            ..Default::default()
        };
        assert_eq!(last_verified(&file, now).verdict, Verdict::Ok);
    }

    #[test]
    fn clock_skew_beyond_five_minutes_warns() {
        let server = humantime::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
        let ok = clock(server, server + Duration::from_secs(90), "x");
        assert_eq!(ok.verdict, Verdict::Ok);
        let ahead = clock(server, server + Duration::from_secs(3 * 3600 + 120), "x");
        assert_eq!(ahead.verdict, Verdict::Warn);
        assert!(ahead.detail.contains("3 h 2 min ahead"), "{}", ahead.detail);
        let behind = clock(server, server - Duration::from_secs(400), "x");
        assert!(
            behind.detail.contains("6 min 40 s behind"),
            "{}",
            behind.detail
        );
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            humantime::parse_rfc3339("1994-11-06T08:49:37Z").ok()
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn worst_verdict_wins() {
        let f = |v| Finding::new("x", v, "");
        assert_eq!(worst(&[]), Verdict::Ok);
        assert_eq!(
            worst(&[f(Verdict::Ok), f(Verdict::Fail), f(Verdict::Warn)]),
            Verdict::Fail
        );
    }

    #[test]
    fn a_program_is_found_on_path_only_when_executable() {
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        assert!(find_program("nope-browser", Some(&path)).is_none());
        let prog = dir.path().join("fake-browser");
        std::fs::write(&prog, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert!(find_program("fake-browser", Some(&path)).is_none());
            std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(
            find_program("fake-browser", Some(&path)),
            Some(prog.clone())
        );
        assert_eq!(find_program(prog.to_str().unwrap(), None), Some(prog));
        assert!(find_program("", Some(&path)).is_none());
    }
}
