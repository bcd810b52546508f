//! Small file-system primitives: a private directory, a lock that says who
//! holds it, reads bounded by what a file states (bcconn's own data files)
//! or by a limit (files from outside), an atomic write that follows
//! symlinks and leaves nothing behind, and a replace that never does.
//!
//! The rules they keep (issue 10): data and lock files are 0600 whatever the
//! directory's mode; data files are regular files (a symlink is followed and
//! written through; a FIFO or a device is refused without hanging); a
//! read-only file is refused, never replaced; a crash leaves at worst a temp
//! file, which the next write under the same lock removes.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};

/// How long a write waits for the lock before giving up.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);
/// After this long waiting for the lock, say who holds it.
const LOCK_SAY_AFTER: Duration = Duration::from_millis(300);
/// The largest data file bcconn reads (a record file with 100,000
/// connections is about 90 MB).
pub const MAX_READ: u64 = 512 * 1024 * 1024;
/// Temp files are named `.bcconn-<target file name>-<random>.tmp`.
pub const TMP_PREFIX: &str = ".bcconn-";
pub const TMP_SUFFIX: &str = ".tmp";

/// What went wrong with a file, in words; what to do about it is said
/// where errors are reported (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// A home directory that is not an absolute path: bcconn never falls
    /// back to the current directory.
    #[error(
        "bcconn has no home directory for its records: HOME is not an absolute path, or this user has none"
    )]
    NoHome,
    #[error("gave up after {} s waiting for {holder} to release {}", .waited.as_secs(), .path.display())]
    LockTimeout {
        path: PathBuf,
        waited: Duration,
        holder: String,
    },
    /// A FIFO, device, directory or socket where a data file should be.
    #[error("{} is {kind}, not a regular file; bcconn will not {}", .path.display(), if *.replace { "read or replace it" } else { "read it" })]
    NotRegular {
        path: PathBuf,
        kind: &'static str,
        /// bcconn's own data file (read and replaced), not an outside one.
        replace: bool,
    },
    #[error("{} holds more than the {} it states (a /proc or device file?); bcconn stopped reading it", .path.display(), human_bytes(*.stated))]
    OverRead { path: PathBuf, stated: u64 },
    #[error("{} is larger than {} MiB, more than bcconn reads", .path.display(), MAX_READ / (1024 * 1024))]
    TooLarge { path: PathBuf },
    #[error("{} is larger than {}, more than bcconn reads from it", .path.display(), human_bytes(*.max))]
    OverLimit { path: PathBuf, max: u64 },
    #[error("{} is a chain of too many symlinks (or a loop)", .path.display())]
    LinkLoop { path: PathBuf },
    #[error("{} is read-only; bcconn will not overwrite it", .path.display())]
    ReadOnly { path: PathBuf },
    #[error("{} is a symbolic link; bcconn reads it only as a regular file", .path.display())]
    Symlink { path: PathBuf },
}

/// Creates `dir` (and parents) with mode 0700 on Unix. An existing directory
/// is left as the person set it up (the files in it are 0600 anyway).
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Makes an open file 0600 if it is more open than that (a file an older
/// bcconn created 0644 in a 0755 directory). Best effort: a file owned by
/// someone else cannot be changed, and then the open already said enough.
fn make_private(file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = file.metadata()
            && meta.permissions().mode() & 0o077 != 0
        {
            let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// How a lock is waited for: on which clock, how long at most, and who is
/// told (after a moment) what it waits for.
pub struct Waiting<'a> {
    pub clock: &'a dyn crate::clock::Clock,
    pub limit: Duration,
    pub say: &'a dyn Fn(&str),
}

/// Takes an exclusive lock on `path` (created 0600), waiting as `waiting`
/// says; the lock file then names this process for the next one who waits.
pub fn lock(path: &Path, waiting: &Waiting<'_>) -> Result<File> {
    let Waiting { clock, limit, say } = waiting;
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("opening lock file {}", path.display()))?;
    make_private(&file);
    let start = clock.instant();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()));
            }
        }
        let waited = clock.instant().saturating_duration_since(start);
        if waited >= *limit {
            return Err(FsError::LockTimeout {
                path: path.to_path_buf(),
                waited: *limit,
                holder: holder(&file),
            }
            .into());
        }
        if !said && waited >= LOCK_SAY_AFTER {
            said = true;
            say(&format!(
                "waiting for {} to release {} (giving up after {} s)",
                holder(&file),
                path.display(),
                limit.as_secs()
            ));
        }
        clock.sleep(Duration::from_millis(25));
    }
    // Say who holds it, for the next one who waits (where the system cannot
    // tell). Best effort: the lock is what matters.
    if file.set_len(0).is_ok() {
        let _ = writeln!(file, "{}", std::process::id());
    }
    Ok(file)
}

/// Who holds the lock on `file`: from the system's lock table where there
/// is one (Linux), else from the pid the holder wrote into the file.
fn holder(file: &File) -> String {
    if let Some(pid) = lock_owner(file) {
        return describe_pid(pid);
    }
    let mut buf = [0u8; 32];
    #[cfg(unix)]
    let n = std::os::unix::fs::FileExt::read_at(file, &mut buf, 0).unwrap_or(0);
    #[cfg(not(unix))]
    let n = {
        use std::io::{Seek, SeekFrom};
        let mut f = file;
        let _ = f.seek(SeekFrom::Start(0));
        f.read(&mut buf).unwrap_or(0)
    };
    let text = String::from_utf8_lossy(&buf[..n]);
    match text.trim().parse::<u32>() {
        Ok(pid) => format!("another bcconn process (pid {pid}, as its lock file says)"),
        Err(_) => "another bcconn process".to_string(),
    }
}

/// "another bcconn process (pid N)" or "process N (name)".
fn describe_pid(pid: u32) -> String {
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    match name.as_str() {
        "bcconn" => format!("another bcconn process (pid {pid})"),
        "" => format!("process {pid}"),
        other => format!("process {pid} ({})", crate::text::outside(other, 32)),
    }
}

/// The pid holding a lock on `file`, from `/proc/locks`.
#[cfg(target_os = "linux")]
fn lock_owner(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    let dev = meta.dev();
    // The kernel's encoding of dev_t: major is bits 8..19 and 32..63, minor
    // bits 0..7 and 20..31.
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let want = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    table.lines().find_map(|line| {
        // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters have "->".
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) == Some(&"->") || fields.len() < 6 {
            return None;
        }
        (fields[5] == want)
            .then(|| fields[4].parse().ok())
            .flatten()
    })
}

#[cfg(not(target_os = "linux"))]
fn lock_owner(_file: &File) -> Option<u32> {
    None
}

/// What kind of file this is, for an error message.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> anyhow::Error {
    FsError::NotRegular {
        path: path.to_path_buf(),
        kind: kind_of(meta),
        replace: true,
    }
    .into()
}

/// Opens a data file for reading: `None` when it does not exist. Follows
/// symlinks; refuses (without blocking) anything but a regular file, and
/// files larger than [`MAX_READ`]. Returns the file and its length.
pub fn open_regular(path: &Path) -> Result<Option<(File, u64)>> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Opening a FIFO for reading blocks until a writer comes; with
        // O_NONBLOCK it returns at once and the check below refuses it.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let meta = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    if meta.len() > MAX_READ {
        return Err(too_large(path));
    }
    Ok(Some((file, meta.len())))
}

/// How much more than its stated length a file may hold before bcconn stops
/// reading it: an editor rewriting the file in place may have grown it
/// since the length was read; a `/proc` file claiming 0 bytes has not.
pub const SLACK: u64 = 1 << 20;

/// Chunks are read whole, a multiple of 8 bytes: `/proc/self/pagemap`
/// refuses (EINVAL) reads of other sizes, and the error it should get is
/// "holds more than it states", not "invalid argument".
const CHUNK: usize = 64 * 1024;

/// A data file opened for reading; a read past its bound fails with an
/// error that [`over`] recognises.
pub struct Bounded {
    file: std::fs::File,
    left: u64,
    stated: u64,
    path: PathBuf,
}

#[derive(Debug)]
struct OverRead;

impl std::fmt::Display for OverRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the file holds more than it states")
    }
}

impl std::error::Error for OverRead {}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if n as u64 > self.left {
            self.left = 0;
            return Err(std::io::Error::other(OverRead));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

impl Bounded {
    /// Opens `path` (following links): `None` when it does not exist; an
    /// error, without blocking, for anything but a regular file.
    pub fn open(path: &Path) -> Result<Option<Bounded>> {
        let Some((file, stated)) = open_regular(path)? else {
            return Ok(None);
        };
        Ok(Some(Bounded {
            file,
            left: stated.saturating_add(SLACK).min(MAX_READ),
            stated,
            path: path.to_path_buf(),
        }))
    }

    /// The error for a read that failed: a clear one when the file held
    /// more than it states.
    pub fn error(&self, e: std::io::Error) -> anyhow::Error {
        if e.get_ref().is_some_and(|inner| inner.is::<OverRead>()) {
            FsError::OverRead {
                path: self.path.clone(),
                stated: self.stated,
            }
            .into()
        } else {
            anyhow::Error::new(e).context(format!("reading {}", self.path.display()))
        }
    }

    /// Reads the rest of the file.
    pub fn read_all(mut self) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.left.min(self.stated + 1) as usize);
        let mut chunk = vec![0u8; CHUNK];
        loop {
            match self.read(&mut chunk) {
                Ok(0) => return Ok(bytes),
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e)),
            }
        }
    }
}

/// Reads a data file whole (see [`open_regular`]); `None` when it does not
/// exist. The record file may be a link the user made (a dotfile manager's),
/// so links are followed; what one points at need not be honest: a `/proc`
/// file states a length of 0 and then reads without end
/// (`/proc/self/pagemap`). At most the stated length plus [`SLACK`] is read
/// (never more than [`MAX_READ`]), in chunks such files accept.
pub fn read_regular(path: &Path) -> Result<Option<Vec<u8>>> {
    match Bounded::open(path)? {
        Some(b) => b.read_all().map(Some),
        None => Ok(None),
    }
}

fn too_large(path: &Path) -> anyhow::Error {
    FsError::TooLarge {
        path: path.to_path_buf(),
    }
    .into()
}

/// Where a write to `path` really goes: symlinks are followed (a dotfile
/// manager's link to a file elsewhere stays a link, and the file it points
/// at is replaced). A dangling link's target is created.
pub fn write_target(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)
                    .with_context(|| format!("reading the symlink {}", p.display()))?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(FsError::LinkLoop {
        path: path.to_path_buf(),
    }
    .into())
}

/// Refuses to replace what is not a writable regular file: a read-only
/// file is the person's way of saying "do not change this".
pub fn check_writable(path: &Path) -> Result<()> {
    let target = write_target(path)?;
    let meta = match std::fs::metadata(&target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", target.display())),
    };
    if !meta.is_file() {
        return Err(not_regular(&target, &meta));
    }
    if meta.permissions().readonly() {
        return Err(FsError::ReadOnly { path: target }.into());
    }
    Ok(())
}

/// The temp files a write to `target` uses: `.bcconn-<name>-<random>.tmp`.
fn tmp_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{TMP_PREFIX}{name}-")
}

/// Whether `name` is a temp file of a write to a file called `target_name`,
/// or one of the older `.bcconn-XXXXXX.tmp` (six random characters) that
/// earlier versions left after a crash.
fn is_stale_tmp(name: &str, prefix: &str) -> bool {
    if !name.ends_with(TMP_SUFFIX) {
        return false;
    }
    if name.starts_with(prefix) {
        return true;
    }
    name.strip_prefix(TMP_PREFIX)
        .and_then(|r| r.strip_suffix(TMP_SUFFIX))
        .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Removes temp files a crashed write to `target` left behind. Call it only
/// under the lock that guards writes to `target`: then no write is running.
pub fn remove_stale_tmp(target: &Path) -> usize {
    let dir = target.parent().unwrap_or(Path::new("."));
    let prefix = tmp_prefix(target);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_stale_tmp(name, &prefix)
            && entry.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Replaces `path` with `bytes` so that a reader sees the old or the new
/// content, never a mix: temp file in the same directory (0600), fsync,
/// rename, fsync the directory. A symlink is followed: the file it points at
/// is replaced, in its own directory. Call it under the lock that guards
/// `path`: it first removes what crashed writes left there.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    check_writable(path)?;
    let target = write_target(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    remove_stale_tmp(&target);
    let mut tmp = tempfile::Builder::new()
        .prefix(&tmp_prefix(&target))
        .suffix(TMP_SUFFIX)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    // tempfile already creates 0600 files on Unix; say so explicitly anyway,
    // because the whole point of this file is that nobody else reads it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("replacing {}", target.display()))?;
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether a read of a file from outside follows a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Follow it (a file the person named: `--input FILE`, `-F k=@FILE`).
    Follow,
    /// Refuse it (a file found, not named: a repository's `.bcconn`).
    Refuse,
}

/// Reads a file bcconn did not write (a `.bcconn`, `--input FILE`,
/// `-F k=@FILE`), bounded: `None` when it does not exist; an error, without
/// blocking, for anything but a regular file (a FIFO, a device, a
/// directory), for a link when `links` is [`Links::Refuse`], and for more
/// than `max` bytes. `/proc` files claim a length of 0, so the bound is
/// what is read, not what the file says.
pub fn read_outside(path: &Path, max: u64, links: Links) -> Result<Option<Vec<u8>>> {
    read_outside_checked(path, max, links, |_| Ok(()))
}

/// As [`read_outside`], with `check` run on the metadata of the file as
/// opened (not of the path, which another process could swap between a
/// check and the read) before anything is read from it.
pub fn read_outside_checked(
    path: &Path,
    max: u64,
    links: Links,
    check: impl FnOnce(&std::fs::Metadata) -> Result<()>,
) -> Result<Option<Vec<u8>>> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK;
        if links == Links::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    #[cfg(not(unix))]
    if links == Links::Refuse
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(FsError::Symlink {
            path: path.to_path_buf(),
        }
        .into());
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        #[cfg(unix)]
        Err(e) if links == Links::Refuse && e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(FsError::Symlink {
                path: path.to_path_buf(),
            }
            .into());
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let meta = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        return Err(FsError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&meta),
            replace: false,
        }
        .into());
    }
    check(&meta)?;
    let mut bytes = Vec::with_capacity(meta.len().min(max) as usize + 1);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(FsError::OverLimit {
            path: path.to_path_buf(),
            max,
        }
        .into());
    }
    Ok(Some(bytes))
}

/// `64 KiB`, `512 MiB`.
/// Writes `bytes` to a new file at `path`, mode 0600 from its creation
/// (never a moment readable by others); an existing file or link there is
/// an error, never overwritten. A failed write removes the file.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    Ok(())
}

pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Replaces `path` itself with `bytes` at `mode` (whatever the umask), by a
/// temp file and a rename in its directory: a symlink at `path` is replaced
/// by the file, never written through (a repository's `.bcconn`, a man page
/// in a shared directory). A reader sees the old or the new file.
pub fn replace_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&tmp_prefix(path))
        .suffix(TMP_SUFFIX)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A held lock is waited for on the clock given: on a fake one the
    /// ten seconds pass at once, the wait is said once, then given up.
    #[test]
    fn a_held_lock_is_waited_on_the_given_clock_then_given_up() {
        use crate::clock::{Clock, FakeClock, SystemClock};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let quiet = |_: &str| {};
        let _held = lock(
            &path,
            &Waiting {
                clock: &SystemClock,
                limit: LOCK_WAIT,
                say: &quiet,
            },
        )
        .unwrap();
        let clock = FakeClock::default();
        let said = std::cell::RefCell::new(Vec::new());
        let say = |t: &str| said.borrow_mut().push(t.to_string());
        let real = SystemClock.instant();
        let err = lock(
            &path,
            &Waiting {
                clock: &clock,
                limit: LOCK_WAIT,
                say: &say,
            },
        )
        .unwrap_err();
        assert!(
            matches!(
                err.downcast_ref::<FsError>(),
                Some(FsError::LockTimeout { .. })
            ),
            "{err:#}"
        );
        assert!(clock.passed() >= LOCK_WAIT, "{:?}", clock.passed());
        assert!(
            SystemClock.instant() - real < Duration::from_secs(5),
            "it really waited"
        );
        assert_eq!(said.borrow().len(), 1, "{:?}", said.borrow());
        assert!(
            said.borrow()[0].starts_with("waiting for "),
            "{:?}",
            said.borrow()
        );
        let _ = clock.now();
    }

    #[cfg(unix)]
    #[test]
    fn outside_files_are_read_bounded_and_only_when_regular() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        std::fs::write(&small, b"shop\n").unwrap();
        assert_eq!(
            read_outside(&small, 100, Links::Refuse).unwrap().unwrap(),
            b"shop\n"
        );
        assert!(
            read_outside(&dir.path().join("none"), 100, Links::Refuse)
                .unwrap()
                .is_none()
        );
        let e = read_outside(&small, 3, Links::Follow).unwrap_err();
        assert!(e.to_string().contains("larger than 3 bytes"), "{e}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&small, &link).unwrap();
        assert!(read_outside(&link, 100, Links::Follow).unwrap().is_some());
        let e = read_outside(&link, 100, Links::Refuse).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        // /proc claims a length of 0 and never ends: the bound holds.
        let e = read_outside(Path::new("/proc/self/pagemap"), 1 << 16, Links::Follow);
        assert!(e.is_err());
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_outside(&fifo, 100, Links::Follow).unwrap_err();
        assert!(e.to_string().contains("a FIFO"), "{e}");
        let dev = read_outside(Path::new("/dev/zero"), 100, Links::Follow).unwrap_err();
        assert!(dev.to_string().contains("a device"), "{dev}");
    }

    #[test]
    fn reads_a_regular_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let big = vec![b'x'; 3 * CHUNK + 5];
        std::fs::write(&p, &big).unwrap();
        assert_eq!(read_regular(&p).unwrap().unwrap(), big);
        assert!(read_regular(&dir.path().join("none")).unwrap().is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_data_file_is_read_no_further_than_it_states() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("secrets.json");
        std::os::unix::fs::symlink("/proc/self/pagemap", &link).unwrap();
        let e = read_regular(&link).unwrap_err();
        assert!(e.to_string().contains("holds more than the 0 bytes"), "{e}");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"{}").unwrap();
        assert_eq!(read_regular(&plain).unwrap().unwrap(), b"{}");
    }

    #[cfg(unix)]
    #[test]
    fn replace_file_replaces_a_link_never_its_target() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, b"precious").unwrap();
        let link = dir.path().join(".bcconn");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        replace_file(&link, b"shop\n", 0o644).unwrap();
        assert_eq!(std::fs::read(&outside).unwrap(), b"precious");
        let meta = std::fs::symlink_metadata(&link).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o644);
        assert_eq!(std::fs::read(&link).unwrap(), b"shop\n");
    }

    #[test]
    fn stale_tmp_names() {
        let p = ".bcconn-bcconn.json-";
        assert!(is_stale_tmp(".bcconn-bcconn.json-a1B2c3.tmp", p));
        assert!(is_stale_tmp(".bcconn-Ab12Cd.tmp", p));
        assert!(!is_stale_tmp(".bcconn-secrets.json-a1B2c3.tmp", p));
        assert!(!is_stale_tmp("bcconn.json", p));
        assert!(!is_stale_tmp(".bcconn-bcconn.json-a1B2c3", p));
    }

    #[cfg(unix)]
    #[test]
    fn a_write_through_a_symlink_replaces_its_target_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real_dir = dir.path().join("dotfiles");
        std::fs::create_dir(&real_dir).unwrap();
        std::fs::write(real_dir.join("bcconn.json"), b"old").unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let link = home.join("bcconn.json");
        std::os::unix::fs::symlink("../dotfiles/bcconn.json", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(real_dir.join("bcconn.json")).unwrap(), b"new");
        assert_eq!(read_regular(&link).unwrap().unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn stale_temp_files_go_with_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("bcconn.json");
        let stale = dir.path().join(".bcconn-bcconn.json-XyZ123.tmp");
        let legacy = dir.path().join(".bcconn-AbC123.tmp");
        let other = dir.path().join(".bcconn-secrets.json-XyZ123.tmp");
        for f in [&stale, &legacy, &other] {
            std::fs::write(f, b"{}").unwrap();
        }
        write_atomic(&target, b"x").unwrap();
        assert!(!stale.exists() && !legacy.exists());
        // Another file's temp is another lock's business.
        assert!(other.exists());
    }
}
