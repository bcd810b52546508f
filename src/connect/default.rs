//! The default connection: which connection a command uses when it is given
//! none. In order: `BCCONN_CONNECTION`; the nearest `.bcconn` file from the
//! current directory up (its first line is the name, as `.python-version`);
//! the global default in the records (`bcconn use --global NAME`).
//!
//! A `.bcconn` comes with the repository it sits in, so it is outside
//! input (issue 14): it is read bounded and never through a link; one the
//! user does not own, or that others can write, stops resolution (it never
//! falls through to the global default, which may be production); and its
//! choice is said on stderr. Whether the user trusts it is in [`super::trust`].

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::rules::shown;
use super::trust;
use crate::context::Context;
use crate::error::{Failure, failure, usage};
use crate::fsutil::{self, Links};
use crate::store::{Connection, Tx};

/// The file `bcconn use NAME` writes.
pub const DOTFILE: &str = ".bcconn";
/// The most of a `.bcconn` bcconn reads: a name and a few comment lines.
pub const MAX_DOTFILE: u64 = 4096;
/// The mode `bcconn use NAME` writes it with, whatever the umask.
pub const DOTFILE_MODE: u32 = 0o644;

/// A `.bcconn` that chose the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dotfile {
    /// Where it was found (absolute: found from the current directory).
    pub path: PathBuf,
    /// Its whole text, as read: what trust is given to.
    pub text: String,
    /// Its first line.
    pub name: String,
    /// In the trust list with this very text.
    pub trusted: bool,
}

impl Dotfile {
    /// `./.bcconn` for the current directory's, otherwise its full path;
    /// escaped and bounded either way (a repository names its directories).
    pub fn shown_path(&self) -> String {
        shown_path(&self.path)
    }
}

/// Where the connection's name came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Named on the command line.
    Given,
    /// `BCCONN_CONNECTION`.
    Env,
    /// A `.bcconn` file.
    File(Dotfile),
    /// The records' global default.
    Global,
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Given => "named on the command line".into(),
            Source::Env => "from BCCONN_CONNECTION".into(),
            Source::File(d) => format!("from {}", d.shown_path()),
            Source::Global => "the global default (bcconn use --global)".into(),
        }
    }
}

/// A path for a message: `./.bcconn` when it is in the current directory.
pub fn shown_path(path: &Path) -> String {
    let here = crate::env::current_dir().ok();
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(file)) if here.as_deref() == Some(dir) => {
            format!("./{}", crate::text::outside(&file.to_string_lossy(), 100))
        }
        _ => crate::text::outside(&path.display().to_string(), 300),
    }
}

/// The name a `.bcconn` holds: its first line, trimmed (a BOM too).
pub fn first_line(text: &str) -> Option<String> {
    let line = text.trim_start_matches('\u{feff}').lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_string())
}

/// Why a `.bcconn` with this owner and mode is not used, if it is not:
/// another user's file, or one others can change, chooses for nobody.
#[cfg_attr(not(unix), allow(dead_code))]
pub fn refusal(owner: u32, me: u32, mode: u32) -> Option<String> {
    if owner != me {
        Some(format!("is owned by another user (uid {owner})"))
    } else if mode & 0o022 != 0 {
        Some(format!(
            "is writable by group or others (mode {:04o})",
            mode & 0o7777
        ))
    } else {
        None
    }
}

/// A `.bcconn` that cannot be used: exit 2, and resolution stops here.
fn unusable(path: &Path, why: &str, hint: &str) -> Failure {
    usage(format!(
        "{} {why}; bcconn does not use it",
        shown_path(path)
    ))
    .hint(format!(
        "{hint}, or name the connection (-c NAME, or BCCONN_CONNECTION=NAME)"
    ))
}

/// Why the `.bcconn` opened as `opened` (looked at as `before`) is not
/// used: another file than the one looked at, another user's, or one that
/// others can write.
#[cfg(unix)]
fn judge(path: &Path, before: &std::fs::Metadata, opened: &std::fs::Metadata) -> Option<Failure> {
    use std::os::unix::fs::MetadataExt;
    if (opened.dev(), opened.ino()) != (before.dev(), before.ino()) {
        return Some(unusable(path, "changed while bcconn read it", "try again"));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let why = refusal(opened.uid(), me, opened.mode())?;
    let hint = if opened.uid() == me {
        format!(
            "check what it names, then `chmod go-w {}`",
            crate::text::shell_word(&shown_path(path))
        )
    } else {
        "check what it names; to use it, remove it and run `bcconn use NAME` there".to_string()
    };
    Some(unusable(path, &why, &hint))
}

#[cfg(not(unix))]
fn judge(_: &Path, _: &std::fs::Metadata, _: &std::fs::Metadata) -> Option<Failure> {
    None
}

/// Reads the `.bcconn` at `path` when it may be used: a regular file (not
/// a link, a FIFO, a device), at most [`MAX_DOTFILE`] bytes, owned by this
/// user and writable by nobody else. `None` when there is none.
pub fn read_dotfile(path: &Path) -> Result<Option<String>> {
    let before = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(
                unusable(path, &format!("cannot be read ({e})"), "make it readable").into(),
            );
        }
    };
    if before.file_type().is_symlink() {
        return Err(unusable(
            path,
            "is a symbolic link (a link in a repository can point anywhere)",
            "replace it with a file: `bcconn use NAME` there writes one",
        )
        .into());
    }
    // Owner and mode are judged on the file as opened (fstat), and it must
    // be the file looked at above: a swap in between is not read.
    let mut refused: Option<Failure> = None;
    let judged = |opened: &std::fs::Metadata| -> Result<()> {
        refused = judge(path, &before, opened);
        match refused {
            Some(_) => Err(anyhow::anyhow!("refused")),
            None => Ok(()),
        }
    };
    let read = fsutil::read_outside_checked(path, MAX_DOTFILE, Links::Refuse, judged);
    if let Some(f) = refused {
        return Err(f.into());
    }
    let bytes = match read {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(e) => {
            let (_, message, _) = crate::error::report(&e).into_parts();
            let message = message.replace(&path.display().to_string(), &shown_path(path));
            return Err(usage(crate::text::outside(&message, 400))
                .hint(format!(
                    "a .bcconn is a small regular file whose first line names a connection (`bcconn use NAME` writes one); remove {}, or name the connection (-c NAME)",
                    shown_path(path)
                ))
                .into());
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(_) => Err(unusable(
            path,
            "is not UTF-8 text",
            "put a connection's name on its first line",
        )
        .into()),
    }
}

/// The nearest `.bcconn` from `dir` up (a directory of that name is passed
/// over) and its text. An error, never a look further up, when the nearest
/// one cannot be used.
pub fn find_dotfile(dir: &Path) -> Result<Option<(PathBuf, String)>> {
    for d in dir.ancestors() {
        let path = d.join(DOTFILE);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            #[cfg(unix)]
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => continue,
            // One that may be there but cannot be looked at (no permission
            // on its directory) stops the search: going on up could reach
            // the global default, which may be production.
            Err(e) => {
                return Err(unusable(
                    &path,
                    &format!("cannot be looked at ({e})"),
                    "make its directory readable",
                )
                .into());
            }
        }
        if let Some(text) = read_dotfile(&path)? {
            return Ok(Some((path, text)));
        }
    }
    Ok(None)
}

/// The `.bcconn` that applies in `dir`, with its name and whether it is
/// trusted; `None` when there is none.
pub fn dotfile(ctx: &Context, dir: &Path) -> Result<Option<Dotfile>> {
    let Some((path, text)) = find_dotfile(dir)? else {
        return Ok(None);
    };
    let Some(name) = first_line(&text) else {
        return Err(usage(format!(
            "{}: its first line names no connection",
            shown_path(&path)
        ))
        .hint("put a connection's name on its first line (`bcconn use NAME` writes it)")
        .into());
    };
    let trusted = trust::is_trusted(ctx, &path, &text);
    Ok(Some(Dotfile {
        path,
        text,
        name,
        trusted,
    }))
}

/// The connection's name and where it came from, without checking that it
/// is saved; `None` when no way names one.
pub fn choose(ctx: &Context, given: Option<&str>, file: &Tx) -> Result<Option<(String, Source)>> {
    if let Some(name) = given {
        return Ok(Some((name.to_string(), Source::Given)));
    }
    if let Some(name) = &ctx.env.connection {
        return Ok(Some((name.clone(), Source::Env)));
    }
    if let Ok(cwd) = crate::env::current_dir()
        && let Some(d) = dotfile(ctx, &cwd)?
    {
        return Ok(Some((d.name.clone(), Source::File(d))));
    }
    let global = match file.default_connection()? {
        Some(id) => file.connection_by_id(&id)?,
        None => None,
    };
    Ok(global.map(|c| (c.name.clone(), Source::Global)))
}

/// The connection to use: the one named, or the default. Exit 2 when none
/// applies, naming the three ways to set one. A `.bcconn`'s choice is said
/// on stderr (stdout may be `eval`ed or piped).
pub fn resolve<'f>(
    ctx: &Context,
    given: Option<&str>,
    file: &'f Tx,
) -> Result<(&'f Connection, Source)> {
    let Some((name, source)) = choose(ctx, given, file)? else {
        return Err(usage("no connection named, and no default connection is set")
            .hint(
                "name one, or set a default: BCCONN_CONNECTION=NAME, `bcconn use NAME` (writes .bcconn here), or `bcconn use --global NAME`",
            )
            .into());
    };
    match file.require_connection(&name) {
        Ok(c) => {
            if let Source::File(d) = &source {
                ctx.progress.say(&format!(
                    "using {} from {}{}",
                    shown(&c.name),
                    d.shown_path(),
                    if d.trusted { "" } else { " (not trusted yet)" }
                ));
            }
            Ok((c, source))
        }
        Err(e) if source == Source::Given => Err(e),
        Err(e) => Err(usage(format!(
            "the default connection {} ({}) is not saved",
            shown(&name),
            source.describe()
        ))
        .hint(
            crate::error::report(&e)
                .into_parts()
                .2
                .unwrap_or_else(|| "see `bcconn list`".into()),
        )
        .into()),
    }
}

/// How many directories up [`naming`] looks: past this, a path is not a
/// project's (and a crafted one cannot make a rename walk for long).
const MAX_UP: usize = 64;

/// The `.bcconn` files from `dir` up whose first line names `name`: after
/// a rename they name nothing, and each says so only when next used. Files
/// that cannot be read are passed over (the resolver says why when it
/// meets one); the walk goes past the nearest, since one further up
/// applies wherever the nearest is removed.
pub fn naming(dir: &Path, name: &str) -> Vec<PathBuf> {
    dir.ancestors()
        .take(MAX_UP)
        .map(|d| d.join(DOTFILE))
        .filter(|p| {
            matches!(read_dotfile(p), Ok(Some(text))
                if first_line(&text).is_some_and(|n| crate::store::same_name(&n, name)))
        })
        .collect()
}

/// `bcconn use NAME`: replaces `.bcconn` in `dir` (never writing through a
/// link there) at 0644, and trusts what it wrote.
pub fn set_here(ctx: &Context, name: &str, dir: &Path) -> Result<(String, PathBuf)> {
    let file = ctx.records.load()?;
    let c = file.require_connection(name)?;
    let path = dir.join(DOTFILE);
    let text = format!("{}\n", c.name);
    fsutil::replace_file(&path, text.as_bytes(), DOTFILE_MODE)
        .map_err(|e| failure(format!("cannot write {}: {e:#}", shown_path(&path))))?;
    if let Err(e) = trust::trust(ctx, &path, &text) {
        ctx.progress.warn(&format!(
            "wrote {}, but could not trust it ({}); writes and exec will ask",
            shown_path(&path),
            crate::error::message(&e)
        ));
    }
    Ok((c.name.clone(), path))
}

/// `bcconn use --global NAME`: the default kept in the records (by id, so a
/// rename keeps it).
pub fn set_global(ctx: &Context, name: &str) -> Result<String> {
    ctx.records.update(|file| {
        let c = file.require_connection(name)?;
        let (id, name) = (c.id.clone(), c.name.clone());
        file.set_default_connection(Some(id))?;
        Ok(name)
    })
}

/// `bcconn use --unset --global`: forgets the global default; the name it
/// had, `None` when there was none.
pub fn unset_global(ctx: &Context) -> Result<Option<String>> {
    ctx.records.update(|file| {
        let name = match file.default_connection()? {
            Some(id) => Some(match file.connection_by_id(&id)? {
                Some(c) => c.name.clone(),
                None => id,
            }),
            None => None,
        };
        file.set_default_connection(None)?;
        Ok(name)
    })
}

/// What `bcconn use --unset` did in a directory.
#[derive(Debug, PartialEq, Eq)]
pub enum Unset {
    /// The `.bcconn` removed.
    Removed(PathBuf),
    /// There was none to remove: done already (as `rm -f` would say), and
    /// the one further up that applies here instead, if any.
    NoneHere { applies: Option<PathBuf> },
}

/// `bcconn use --unset`: removes the `.bcconn` in `dir` (a link there is
/// removed, not its target) and forgets its trust. None there is no error:
/// what was asked for is already so. A folder by that name is not bcconn's
/// to remove (exit 2).
pub fn unset_here(ctx: &Context, dir: &Path) -> Result<Unset> {
    let path = dir.join(DOTFILE);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => {
            return Err(usage(format!(
                "{} is a folder, not a file bcconn wrote",
                shown_path(&path)
            ))
            .hint("remove or rename it yourself if it is not needed")
            .into());
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let applies = find_dotfile(dir).ok().flatten().map(|(p, _)| p);
            return Ok(Unset::NoneHere { applies });
        }
        Err(e) => {
            return Err(failure(format!("cannot read {}: {e}", shown_path(&path))).into());
        }
    }
    std::fs::remove_file(&path)
        .map_err(|e| failure(format!("cannot remove {}: {e}", shown_path(&path))))?;
    if let Err(e) = trust::forget(ctx, &path) {
        ctx.progress.warn(&format!(
            "removed {}, but could not update the trust list: {}",
            shown_path(&path),
            crate::error::message(&e)
        ));
    }
    Ok(Unset::Removed(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_names_the_connection() {
        assert_eq!(first_line("shop\n# comment\n"), Some("shop".into()));
        assert_eq!(first_line("\u{feff}  my shop \r\n"), Some("my shop".into()));
        assert_eq!(first_line("\n\nshop"), None);
        assert_eq!(first_line(""), None);
    }

    #[test]
    fn the_nearest_dotfile_wins() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        let write = |p: PathBuf, text: &str| {
            std::fs::write(&p, text).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        };
        write(dir.path().join(DOTFILE), "top\n");
        let (path, text) = find_dotfile(&deep).unwrap().unwrap();
        assert_eq!((path, text.as_str()), (dir.path().join(DOTFILE), "top\n"));
        write(dir.path().join("a/b").join(DOTFILE), "near\n");
        assert_eq!(find_dotfile(&deep).unwrap().unwrap().1, "near\n");
        // A directory named .bcconn is not a file.
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir(other.path().join(DOTFILE)).unwrap();
        assert!(
            find_dotfile(other.path())
                .unwrap()
                .is_none_or(|(p, _)| p != other.path().join(DOTFILE))
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_nearest_dotfile_stops_the_search_when_it_cannot_be_used() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(dir.path().join(DOTFILE), "top\n").unwrap();
        let near = deep.join(DOTFILE);
        std::fs::write(&near, "near\n").unwrap();
        std::fs::set_permissions(&near, std::fs::Permissions::from_mode(0o666)).unwrap();
        let e = find_dotfile(&deep).unwrap_err();
        let (code, message, hint) = crate::error::report(&e).into_parts();
        assert_eq!(code, crate::error::ExitStatus::Usage);
        assert!(message.contains("writable by group or others"), "{message}");
        assert!(hint.unwrap().contains("chmod go-w"));
        std::fs::remove_file(&near).unwrap();
        std::os::unix::fs::symlink(dir.path().join(DOTFILE), &near).unwrap();
        let e = find_dotfile(&deep).unwrap_err();
        assert!(crate::error::message(&e).contains("symbolic link"));
    }

    #[cfg(unix)]
    #[test]
    fn a_dotfile_that_cannot_be_looked_at_stops_the_search() {
        // (EACCES cannot be made as root; a name too long fails the same way.)
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DOTFILE), "top\n").unwrap();
        let odd = dir.path().join("x".repeat(300));
        let e = find_dotfile(&odd).unwrap_err();
        let (code, message, _) = crate::error::report(&e).into_parts();
        assert_eq!(code, crate::error::ExitStatus::Usage);
        assert!(message.contains("cannot be looked at"), "{message}");
    }

    #[test]
    fn only_the_users_own_private_file_is_used() {
        assert_eq!(refusal(1000, 1000, 0o100644), None);
        assert_eq!(refusal(1000, 1000, 0o100600), None);
        assert!(refusal(0, 1000, 0o100644).unwrap().contains("another user"));
        assert!(refusal(1000, 1000, 0o100664).unwrap().contains("0664"));
        assert!(
            refusal(1000, 1000, 0o100646)
                .unwrap()
                .contains("group or others")
        );
    }
}
