//! Reading bcconn's own data files (the record file, the plain-text secrets
//! file) bounded by the length the file states.
//!
//! The record file may be a symlink the user made (a dotfile manager's), so
//! it is followed. What it points at need not be honest: a `/proc` file
//! states a length of 0 and then reads without end (`/proc/self/pagemap`
//! reads hundreds of gigabytes). `fsutil::open_regular` refuses FIFOs,
//! devices and files stating more than `fsutil::MAX_READ`; this reads at
//! most the stated length plus [`SLACK`] (room for a file rewritten in place
//! while it is read), and says so when a file holds more than it states.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::failure;
use crate::fsutil;

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
        let Some((file, stated)) = fsutil::open_regular(path)? else {
            return Ok(None);
        };
        Ok(Some(Bounded {
            file,
            left: stated.saturating_add(SLACK).min(fsutil::MAX_READ),
            stated,
            path: path.to_path_buf(),
        }))
    }

    /// The error for a read that failed: a clear one when the file held
    /// more than it states.
    pub fn error(&self, e: std::io::Error) -> anyhow::Error {
        if e.get_ref().is_some_and(|inner| inner.is::<OverRead>()) {
            failure(format!(
                "{} holds more than the {} it states (a /proc or device file?); bcconn stopped reading it",
                self.path.display(),
                fsutil::human_bytes(self.stated)
            ))
            .hint("point it at a regular file, or move it away (bcconn then starts a new one)")
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

/// A data file's bytes, bounded (see the module's doc): `None` when it does
/// not exist.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match Bounded::open(path)? {
        Some(b) => b.read_all().map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let big = vec![b'x'; 3 * CHUNK + 5];
        std::fs::write(&p, &big).unwrap();
        assert_eq!(read(&p).unwrap().unwrap(), big);
        assert!(read(&dir.path().join("none")).unwrap().is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_proc_file_stating_zero_bytes_is_not_read_without_end() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::os::unix::fs::symlink("/proc/self/pagemap", &p).unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("holds more than the 0 bytes it states"), "{e}");
    }
}
