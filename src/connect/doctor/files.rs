//! Checks of bcconn's files: the home directory, the records database and
//! its writer, the modes and owners of the files (links followed and
//! named), and temp files left by interrupted writes.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{Finding, Verdict, plural, symlink_note};
use crate::context::Context;
use crate::env::Env;
use crate::store::Document;
use crate::text::{outside, shell_word};

/// A temp file this old is stale even while a write holds a lock.
const TEMP_STALE: Duration = Duration::from_secs(10 * 60);

pub(super) fn home(env: &Env) -> Finding {
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

pub(super) fn records(ctx: &Context) -> (Finding, Option<Document>) {
    let path = ctx.records.path();
    let subject = path.display().to_string();
    let fail = |e: anyhow::Error| {
        let (_, message, hint) = crate::error::report(&e).into_parts();
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

/// A write that holds the records' lock for more than a second: every
/// other change waits on it, and gives up after 10 s.
pub(super) fn writer(ctx: &Context) -> Finding {
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
        Err(e) => Finding::warn(
            "writer",
            format!("not checked: {}", crate::error::message(&e)),
        )
        .subject(subject),
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

/// The names bcconn gives what it keeps directly in its home, and how
/// private each must be; named by the code that writes them.
#[cfg(unix)]
fn files() -> Vec<(String, Sensitivity)> {
    use crate::store::{DB_NAME, OLD_FILE};
    let writer_note = crate::store::sqlite::note_path(Path::new(DB_NAME));
    vec![
        (DB_NAME.to_string(), Sensitivity::Records),
        // SQLite's own files beside the database (write-ahead log, shared memory).
        (format!("{DB_NAME}-wal"), Sensitivity::Records),
        (format!("{DB_NAME}-shm"), Sensitivity::Records),
        (writer_note.display().to_string(), Sensitivity::Lock),
        // `bcconn restore` stages the copy here before it swaps it in.
        (format!("{DB_NAME}.restoring"), Sensitivity::Records),
        // The record file of versions before the database: kept after the
        // move, and the stub in its place.
        (format!("{OLD_FILE}.imported"), Sensitivity::Records),
        (OLD_FILE.to_string(), Sensitivity::Records),
        // The records lock of versions before the database (no longer used).
        (
            crate::store::migrate::OLD_LOCK.to_string(),
            Sensitivity::Lock,
        ),
        (
            crate::secrets::file::FILE_NAME.to_string(),
            Sensitivity::Secrets,
        ),
        (
            crate::secrets::file::LOCK_NAME.to_string(),
            Sensitivity::Lock,
        ),
        // Others who could change the trust list could make a `.bcconn`
        // look trusted.
        (
            crate::connect::trust::FILE.to_string(),
            Sensitivity::Records,
        ),
        (crate::connect::trust::LOCK.to_string(), Sensitivity::Lock),
        // The pools' slot files (`pools/KEY/slot-N.lock`) and the stores'
        // rate books (`rate/HASH.json`).
        ("pools".to_string(), Sensitivity::Tree(TreeOf::Locks)),
        ("rate".to_string(), Sensitivity::Tree(TreeOf::Books)),
    ]
}

/// How private the entry `name` directly in the home must be, when it is
/// bcconn's.
#[cfg(unix)]
fn known(name: &str) -> Option<Sensitivity> {
    use crate::store::DB_NAME;
    if let Some((_, s)) = files().into_iter().find(|(n, _)| n == name) {
        return Some(s);
    }
    // What `bcconn restore` keeps of the database it replaced (and its
    // write-ahead log): the same records.
    name.starts_with(&format!("{DB_NAME}.before-restore-"))
        .then_some(Sensitivity::Records)
}

#[cfg(unix)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sensitivity {
    /// Names, stores, e-mails; others must not change it.
    Records,
    /// Plain-text secrets: nobody else may read it.
    Secrets,
    /// Others who can open it can hold it and stop every write.
    Lock,
    /// A folder bcconn makes (0700), and what it keeps in it.
    Tree(TreeOf),
}

#[cfg(unix)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TreeOf {
    /// `pools/`: a folder per pool, a lock file per slot.
    Locks,
    /// `rate/`: a rate book per store.
    Books,
}

/// How many entries of `pools/` and `rate/` are looked at: a pool has at
/// most 25 slots, so this is thousands of pools.
#[cfg(unix)]
const MAX_TREE: usize = 10_000;

/// One permission problem: what, how bad, and the modes that fix it.
#[cfg(unix)]
struct ModeProblem {
    verdict: Verdict,
    text: String,
    /// What the person runs to fix it (`chmod 600 FILE`); `None` when no
    /// mode fixes it (not a regular file, another user's).
    command: Option<String>,
    /// Each path and the mode `--fix` gives it (empty: `--fix` cannot).
    fixes: Vec<(PathBuf, u32)>,
    /// The home itself: `--fix` changes it only when it holds nothing but
    /// bcconn's files.
    home: bool,
    /// What is in this folder of the home (`pools`), fixed entry by entry:
    /// `--fix` says what it did, not the `chmod -R` a person would run.
    tree: Option<String>,
    /// The file is a symbolic link to this: `--fix` never changes a link's
    /// target (it may be anyone's file, anywhere); the person does.
    link: Option<PathBuf>,
}

/// What is wrong with `mode` for something of `sensitivity`, reachable by
/// others (`open`) or not.
#[cfg(unix)]
fn judge_mode(sensitivity: Sensitivity, mode: u32, open: bool) -> Option<(Verdict, &'static str)> {
    let (read, write) = (mode & 0o044 != 0, mode & 0o022 != 0);
    let worst = if open { Verdict::Fail } else { Verdict::Warn };
    match sensitivity {
        Sensitivity::Secrets if read || write => {
            Some((worst, "other users can read the plain-text secrets"))
        }
        Sensitivity::Records if write => Some((worst, "other users can change it")),
        Sensitivity::Records if read && open => Some((
            Verdict::Warn,
            "other users can read it (names, stores, e-mails)",
        )),
        Sensitivity::Lock if (read || write) && open => Some((
            Verdict::Warn,
            "other users can hold the lock, which stops every write",
        )),
        Sensitivity::Tree(_) if write => Some((worst, "other users can put files in it")),
        Sensitivity::Tree(_) if mode & 0o055 != 0 && open => {
            Some((Verdict::Warn, "other users can look into it"))
        }
        _ => None,
    }
}

#[cfg(unix)]
fn mode_problems(home: &Path, cap: usize) -> Vec<ModeProblem> {
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
    let home_problem = |verdict, text: String| ModeProblem {
        verdict,
        text,
        command: Some(format!(
            "chmod 700 {}",
            shell_word(&home.display().to_string())
        )),
        fixes: vec![(home.to_path_buf(), 0o700)],
        home: true,
        tree: None,
        link: None,
    };
    if dir_mode & 0o022 != 0 {
        out.push(home_problem(
            Verdict::Fail,
            format!(
                "{} is {dir_mode:04o}: other users can replace the files in it",
                home.display()
            ),
        ));
    } else if dir_mode & 0o055 != 0 {
        out.push(home_problem(
            Verdict::Warn,
            format!(
                "{} is {dir_mode:04o}: other users can enter it (0700 keeps them out)",
                home.display()
            ),
        ));
    }
    let mut names: Vec<String> = match std::fs::read_dir(home) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    for name in names {
        let Some(sensitivity) = known(&name) else {
            continue;
        };
        let path = home.join(&name);
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        // A link the person made (a dotfile manager's) is followed to judge
        // the file, and named in what is said.
        let link = std::fs::symlink_metadata(&path)
            .is_ok_and(|m| m.file_type().is_symlink())
            .then(|| std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()));
        let shown = match &link {
            Some(target) => format!("{name} is a symbolic link to {}, which", target.display()),
            None => name.clone(),
        };
        let is_tree = matches!(sensitivity, Sensitivity::Tree(_));
        if meta.is_dir() != is_tree || !(meta.is_dir() || meta.is_file()) {
            let what = if is_tree {
                "is not a directory"
            } else {
                "is not a regular file (a FIFO, device or directory)"
            };
            out.push(ModeProblem {
                verdict: Verdict::Fail,
                text: format!("{shown} {what}"),
                command: None,
                fixes: Vec::new(),
                home: false,
                tree: None,
                link,
            });
            continue;
        }
        if meta.uid() != dir.uid() {
            out.push(ModeProblem {
                verdict: Verdict::Warn,
                text: format!(
                    "{shown} belongs to user id {}, the directory to user id {}",
                    meta.uid(),
                    dir.uid()
                ),
                command: None,
                fixes: Vec::new(),
                home: false,
                tree: None,
                link: link.clone(),
            });
        }
        let mode = meta.mode() & 0o777;
        let want = if is_tree { 0o700 } else { 0o600 };
        if let Some((verdict, why)) = judge_mode(sensitivity, mode, open) {
            let target = link.clone().unwrap_or_else(|| path.clone());
            out.push(ModeProblem {
                verdict,
                text: format!("{shown} is {mode:04o}: {why}"),
                command: Some(format!(
                    "chmod {want:o} {}",
                    shell_word(&target.display().to_string())
                )),
                fixes: if link.is_none() {
                    vec![(path.clone(), want)]
                } else {
                    Vec::new()
                },
                home: false,
                tree: None,
                link: link.clone(),
            });
        }
        if let (Sensitivity::Tree(of), None) = (sensitivity, &link) {
            out.extend(tree_problem(
                &name,
                &path,
                of,
                open && mode & 0o011 != 0,
                cap,
            ));
        }
    }
    out
}

/// What in `pools/` or `rate/` others could open or change, as one
/// problem: there may be thousands of slot files. Past `cap` entries the
/// walk stops, and that is a problem too: what was not looked at cannot be
/// called private.
#[cfg(unix)]
fn tree_problem(
    name: &str,
    root: &Path,
    of: TreeOf,
    open: bool,
    cap: usize,
) -> Option<ModeProblem> {
    use std::os::unix::fs::MetadataExt;
    let inner = match of {
        TreeOf::Locks => Sensitivity::Lock,
        TreeOf::Books => Sensitivity::Records,
    };
    let mut fixes = Vec::new();
    let mut worst: Option<(Verdict, &'static str)> = None;
    let mut seen = 0;
    let mut stopped = false;
    // (directory, whether others can reach into it)
    let mut dirs = vec![(root.to_path_buf(), open)];
    'walk: while let Some((dir, open)) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > cap {
                stopped = true;
                break 'walk;
            }
            // Never followed: a link in here is not bcconn's to judge.
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            let mode = meta.mode() & 0o777;
            let (sensitivity, want) = if meta.is_dir() {
                (Sensitivity::Tree(of), 0o700)
            } else if meta.is_file() {
                (inner, 0o600)
            } else {
                continue;
            };
            if meta.is_dir() {
                dirs.push((entry.path(), open && mode & 0o011 != 0));
            }
            if let Some(found) = judge_mode(sensitivity, mode, open) {
                fixes.push((entry.path(), want));
                if worst.is_none_or(|(v, _)| found.0 > v) {
                    worst = Some(found);
                }
            }
        }
    }
    let rest = format!("doctor stopped after its first {cap} entries and did not check the rest");
    let (verdict, text) = match (worst, stopped) {
        (None, false) => return None,
        (None, true) => (
            Verdict::Warn,
            format!("{name}/ has more than {cap} entries: {rest}"),
        ),
        (Some((verdict, why)), stopped) => {
            let n = fixes.len();
            let text = format!(
                "{n} entr{} in {name}/ open to other users: {why}",
                if n == 1 { "y" } else { "ies" }
            );
            (
                verdict,
                if stopped {
                    format!("{text} ({rest})")
                } else {
                    text
                },
            )
        }
    };
    Some(ModeProblem {
        verdict,
        text,
        command: Some(format!(
            "chmod -R go-rwx {}",
            shell_word(&root.display().to_string())
        )),
        fixes,
        home: false,
        tree: Some(name.to_string()),
        link: None,
    })
}

/// Only bcconn's own files: then tightening the directory harms nothing else.
#[cfg(unix)]
fn only_bcconn_files(home: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(home) else {
        return false;
    };
    entries.flatten().all(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        known(&name).is_some() || is_temp_name(&name)
    })
}

/// Problems to show on one line: the first few, then how many more.
#[cfg(unix)]
const SHOWN_PROBLEMS: usize = 6;

#[cfg(unix)]
pub(super) fn permissions(home: &Path, fix: bool) -> Finding {
    permissions_up_to(home, fix, MAX_TREE)
}

/// [`permissions`], looking at up to `cap` entries of each of `pools/` and
/// `rate/`.
#[cfg(unix)]
fn permissions_up_to(home: &Path, fix: bool, cap: usize) -> Finding {
    use std::os::unix::fs::PermissionsExt;
    if !home.exists() {
        return Finding::ok("permissions", "nothing saved yet").subject(home.display().to_string());
    }
    let problems = mode_problems(home, cap);
    if problems.is_empty() {
        return Finding::ok("permissions", "the directory and files are private to you")
            .subject(home.display().to_string());
    }
    // The home is tightened only when nothing else lives in it: what
    // `--fix` would do is decided once, and said as it is.
    let home_ours = only_bcconn_files(home);
    let mut fixed = Vec::new();
    let mut failed = Vec::new();
    if fix {
        for p in problems.iter().filter(|p| !p.home || home_ours) {
            let mut changed = 0;
            for (path, want) in &p.fixes {
                let done = if p.home {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(*want))
                } else {
                    chmod_not_through_link(path, *want)
                };
                match done {
                    Ok(()) => changed += 1,
                    Err(e) => failed.push(format!("{}: {e}", path.display())),
                }
            }
            if changed > 0 {
                fixed.push(match (&p.tree, &p.command) {
                    (Some(dir), _) => format!(
                        "made {changed} entr{} in {dir}/ private (files 0600, folders 0700)",
                        if changed == 1 { "y" } else { "ies" }
                    ),
                    (None, Some(c)) => c.clone(),
                    (None, None) => format!("changed {changed}"),
                });
            }
        }
    }
    let left = if fix {
        mode_problems(home, cap)
    } else {
        problems
    };
    let verdict = left.iter().map(|p| p.verdict).max().unwrap_or(Verdict::Ok);
    let detail = if left.is_empty() {
        "the directory and files are private to you".to_string()
    } else {
        let mut texts: Vec<&str> = left
            .iter()
            .take(SHOWN_PROBLEMS)
            .map(|p| p.text.as_str())
            .collect();
        let more = left.len().saturating_sub(SHOWN_PROBLEMS);
        let more = format!("and {more} more");
        if left.len() > SHOWN_PROBLEMS {
            texts.push(&more);
        }
        texts.join("; ")
    };
    let mut finding =
        Finding::new("permissions", verdict, detail).subject(home.display().to_string());
    if !left.is_empty() {
        finding = finding.fix(fix_text(&left, fix, home_ours, &failed));
    }
    if !fixed.is_empty() {
        finding = finding.fixed(fixed.join("; "));
    }
    finding
}

/// What the person does about what is left, and what `--fix` would do
/// about it: only what it really would.
#[cfg(unix)]
fn fix_text(left: &[ModeProblem], fixing: bool, home_ours: bool, failed: &[String]) -> String {
    let commands: Vec<&str> = left.iter().filter_map(|p| p.command.as_deref()).collect();
    let mut text = commands.join("; ");
    let mut add = |part: &str| {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(part);
    };
    if left.iter().any(|p| p.command.is_none()) {
        add("move what is not a regular file (or not yours) away");
    }
    if left.iter().any(|p| p.link.is_some() && p.command.is_some()) {
        add(
            "--fix does not change the target of a symbolic link: do it yourself, if that file is yours",
        );
    }
    let home_kept = left.iter().any(|p| p.home) && !home_ours;
    if home_kept {
        add("--fix leaves the directory alone: it holds files that are not bcconn's");
    }
    if fixing && !failed.is_empty() {
        add(&format!(
            "--fix could not change {}",
            outside(&failed.join(", "), 400)
        ));
    }
    let fixable = left
        .iter()
        .any(|p| !p.fixes.is_empty() && (!p.home || home_ours));
    if !fixing && fixable {
        add("`bcconn doctor --fix` does what it can of this");
    }
    text
}

/// chmod on the file (or folder) itself: opened without following a link
/// (one put there after the check is refused, not followed) and changed
/// through the open descriptor. A FIFO opens at once (O_NONBLOCK) and is
/// left alone.
#[cfg(unix)]
fn chmod_not_through_link(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() && !meta.is_dir() {
        return Err(std::io::Error::other("not a regular file"));
    }
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(super) fn permissions(home: &Path, _fix: bool) -> Finding {
    Finding::ok(
        "permissions",
        "not checked on this platform (the directory is in your user profile)",
    )
    .subject(home.display().to_string())
}

/// A temp file of an atomic write ([`crate::fsutil::write_atomic`]) to any
/// file in the home: what such a write leaves when it is killed.
fn is_temp_name(name: &str) -> bool {
    name.starts_with(crate::fsutil::TMP_PREFIX) && name.ends_with(crate::fsutil::TMP_SUFFIX)
}

/// Tries to take a lock without waiting. `Ok(None)`: no lock file (nobody
/// holds it); `Err(())`: someone holds it. Opened as the store opens its
/// files, so a FIFO put there is refused at once, never waited on.
fn try_lock(path: &Path) -> Result<Option<File>, ()> {
    let file = match crate::fsutil::open_regular(path) {
        Ok(Some((f, _))) => f,
        Ok(None) | Err(_) => return Ok(None),
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(()),
        // A file system without locks: nobody can hold one either.
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

pub(super) fn temp_files(home: &Path, fix: bool, now: SystemTime) -> Finding {
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
    // While the secrets file's lock is free no write of it runs, so its
    // temp files are stale; holding the lock keeps it so while they are
    // removed. (A write of the trust list, under its own lock, is not
    // looked for: it lasts a moment.)
    let secrets = try_lock(&home.join(crate::secrets::file::LOCK_NAME));
    let idle = secrets.is_ok();
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
    drop(secrets);
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::secrets::{FileStore, SecretStore};
    use crate::store::{AuthType, Connection, Records};

    #[test]
    fn every_file_the_store_leaves_in_the_home_is_known() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let records = Records::new(&home);
        records
            .update(|tx| {
                tx.push_connection(Connection::pending(
                    "shop",
                    AuthType::Token,
                    "abc123".parse().unwrap(),
                ))?;
                Ok(())
            })
            .unwrap();
        FileStore::new(&home)
            .set("connection/x", &"s3cret".to_string().into())
            .unwrap();
        for entry in std::fs::read_dir(&home).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(known(&name).is_some(), "{name}");
        }
        assert!(only_bcconn_files(&home));
    }

    /// Past the cap, `--fix` fixes what it looked at but never calls the
    /// whole directory private: the rest was not checked.
    #[test]
    fn a_tree_past_the_cap_is_never_called_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let pool = home.join("pools").join("p");
        std::fs::create_dir_all(&pool).unwrap();
        for d in [&home, &home.join("pools"), &pool] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        for i in 0..5 {
            let slot = pool.join(format!("slot-{i}.lock"));
            std::fs::write(&slot, "").unwrap();
            std::fs::set_permissions(&slot, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        // All private, but only 3 of the 6 entries are looked at.
        let f = permissions_up_to(&home, true, 3);
        assert_eq!(f.verdict, Verdict::Warn, "{f:?}");
        assert!(!f.detail.contains("private to you"), "{f:?}");
        assert!(f.detail.contains("stopped after its first 3"), "{f:?}");
        // Under the cap, the same tree is private.
        let f = permissions_up_to(&home, true, 100);
        assert_eq!(f.verdict, Verdict::Ok, "{f:?}");
        assert!(f.detail.contains("private to you"), "{f:?}");
    }

    #[test]
    fn what_restore_and_the_pools_leave_is_known() {
        for name in [
            "bcconn.db.before-restore-2026-01-01T000000Z",
            "bcconn.db.before-restore-2026-01-01T000000Z-2-wal",
            "bcconn.db.restoring",
            "trusted-dotfiles.json",
            "trusted-dotfiles.lock",
        ] {
            assert!(known(name).is_some(), "{name}");
        }
        assert_eq!(known("pools"), Some(Sensitivity::Tree(TreeOf::Locks)));
        assert_eq!(known("rate"), Some(Sensitivity::Tree(TreeOf::Books)));
        assert_eq!(known("notes.txt"), None);
    }

    #[test]
    fn a_fifo_as_a_lock_file_is_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("secrets.lock");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(try_lock(&fifo), Ok(None)));
    }
}
