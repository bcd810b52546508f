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

/// The files bcconn keeps under its home, and how private each must be;
/// named by the code that writes them.
#[cfg(unix)]
fn files() -> [(String, Sensitivity); 9] {
    use crate::store::{DB_NAME, OLD_FILE};
    let writer_note = crate::store::sqlite::note_path(Path::new(DB_NAME));
    [
        (DB_NAME.to_string(), Sensitivity::Records),
        // SQLite's own files beside the database (write-ahead log, shared memory).
        (format!("{DB_NAME}-wal"), Sensitivity::Records),
        (format!("{DB_NAME}-shm"), Sensitivity::Records),
        (writer_note.display().to_string(), Sensitivity::Lock),
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
    ]
}

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
    for (name, sensitivity) in files() {
        let path = home.join(&name);
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
    let known = files();
    entries.flatten().all(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        known.iter().any(|(n, _)| *n == name) || is_temp_name(&name)
    })
}

#[cfg(unix)]
pub(super) fn permissions(home: &Path, fix: bool) -> Finding {
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
        let known = files();
        for entry in std::fs::read_dir(&home).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(known.iter().any(|(n, _)| *n == name), "{name}");
        }
        assert!(only_bcconn_files(&home));
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
