//! The default connection: which connection a command uses when it is given
//! none. In order: `BCCONN_CONNECTION`; the nearest `.bcconn` file from the
//! current directory up (its first line is the name, as `.python-version`);
//! the global default in the records (`bcconn use --global NAME`).

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::context::Context;
use crate::error::{failure, usage};
use crate::store::{Connection, RecordFile};

/// The file `bcconn use NAME` writes.
pub const DOTFILE: &str = ".bcconn";

/// Where the connection's name came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Named on the command line.
    Given,
    /// `BCCONN_CONNECTION`.
    Env,
    /// A `.bcconn` file.
    File(PathBuf),
    /// The records' global default.
    Global,
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Given => "named on the command line".into(),
            Source::Env => "from BCCONN_CONNECTION".into(),
            Source::File(p) => format!("from {}", p.display()),
            Source::Global => "the global default (bcconn use --global)".into(),
        }
    }
}

/// The name a `.bcconn` holds: its first line, trimmed (a BOM too).
pub fn first_line(text: &str) -> Option<String> {
    let line = text.trim_start_matches('\u{feff}').lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_string())
}

/// The nearest `.bcconn` from `dir` up, and what its first line names.
pub fn find_dotfile(dir: &Path) -> Option<(PathBuf, Result<String, String>)> {
    for d in dir.ancestors() {
        let path = d.join(DOTFILE);
        if !path.is_file() {
            continue;
        }
        let name = match std::fs::read(&path) {
            Err(e) => Err(format!("cannot read it: {e}")),
            Ok(bytes) => match std::str::from_utf8(&bytes).ok().and_then(first_line) {
                Some(n) => Ok(n),
                None => Err("its first line names no connection".into()),
            },
        };
        return Some((path, name));
    }
    None
}

/// The connection's name and where it came from, without checking that it
/// is saved; `None` when no way names one.
pub fn choose(
    ctx: &Context,
    given: Option<&str>,
    file: &RecordFile,
) -> Result<Option<(String, Source)>> {
    if let Some(name) = given {
        return Ok(Some((name.to_string(), Source::Given)));
    }
    if let Some(name) = &ctx.env.connection {
        return Ok(Some((name.clone(), Source::Env)));
    }
    if let Ok(cwd) = std::env::current_dir()
        && let Some((path, name)) = find_dotfile(&cwd)
    {
        return match name {
            Ok(name) => Ok(Some((name, Source::File(path)))),
            Err(why) => Err(usage(format!("{}: {why}", path.display()))
                .hint("put a connection's name on its first line (`bcconn use NAME` writes it)")
                .into()),
        };
    }
    let global = file
        .default_connection
        .as_deref()
        .and_then(|id| file.connection_by_id(id));
    Ok(global.map(|c| (c.name.clone(), Source::Global)))
}

/// The connection to use: the one named, or the default. Exit 2 when none
/// applies, naming the three ways to set one.
pub fn resolve<'f>(
    ctx: &Context,
    given: Option<&str>,
    file: &'f RecordFile,
) -> Result<(&'f Connection, Source)> {
    let Some((name, source)) = choose(ctx, given, file)? else {
        return Err(usage("no connection named, and no default connection is set")
            .hint(
                "name one, or set a default: BCCONN_CONNECTION=NAME, `bcconn use NAME` (writes .bcconn here), or `bcconn use --global NAME`",
            )
            .into());
    };
    match file.require_connection(&name) {
        Ok(c) => Ok((c, source)),
        Err(e) if source == Source::Given => Err(e.into()),
        Err(e) => Err(usage(format!(
            "the default connection {name:?} ({}) is not saved",
            source.describe()
        ))
        .hint(e.hint.unwrap_or_else(|| "see `bcconn list`".into()))
        .into()),
    }
}

/// `bcconn use NAME`: writes `.bcconn` in `dir`.
pub fn set_here(ctx: &Context, name: &str, dir: &Path) -> Result<(String, PathBuf)> {
    let file = ctx.records.load()?;
    let c = file.require_connection(name)?;
    let path = dir.join(DOTFILE);
    std::fs::write(&path, format!("{}\n", c.name))
        .map_err(|e| failure(format!("cannot write {}: {e}", path.display())))?;
    Ok((c.name.clone(), path))
}

/// `bcconn use --global NAME`: the default kept in the records (by id, so a
/// rename keeps it).
pub fn set_global(ctx: &Context, name: &str) -> Result<String> {
    ctx.records.update(|file| {
        let c = file.require_connection(name)?;
        let (id, name) = (c.id.clone(), c.name.clone());
        file.default_connection = Some(id);
        Ok(name)
    })
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
        std::fs::write(dir.path().join(DOTFILE), "top\n").unwrap();
        let (path, name) = find_dotfile(&deep).unwrap();
        assert_eq!(
            (path, name.unwrap()),
            (dir.path().join(DOTFILE), "top".to_string())
        );
        std::fs::write(dir.path().join("a/b").join(DOTFILE), "near\n").unwrap();
        assert_eq!(find_dotfile(&deep).unwrap().1.unwrap(), "near");
        std::fs::write(dir.path().join("a/b").join(DOTFILE), "\n").unwrap();
        assert!(find_dotfile(&deep).unwrap().1.is_err());
        // A directory named .bcconn is not a file.
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir(other.path().join(DOTFILE)).unwrap();
        assert!(find_dotfile(other.path()).is_none_or(|(p, _)| p != other.path().join(DOTFILE)));
    }
}
