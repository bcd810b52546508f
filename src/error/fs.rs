//! File errors in a person's words.

use super::{Failure, failure, usage};
use crate::fsutil::FsError;

pub(super) fn no_home() -> Failure {
    explain(&FsError::NoHome)
}

pub(super) fn explain(e: &FsError) -> Failure {
    let msg = e.to_string();
    let elsewhere = "move it away, or point BCCONN_HOME at another directory";
    match e {
        FsError::NoHome => usage(msg)
            .hint("set BCCONN_HOME to an absolute directory, e.g. BCCONN_HOME=/srv/me/bcconn"),
        FsError::LockTimeout { path, .. } => failure(msg).hint(format!(
            "try again once it has finished; if no bcconn is running, see what holds the lock with `fuser -v {}`",
            path.display()
        )),
        FsError::NotRegular { replace: true, .. } | FsError::TooLarge { .. } => {
            failure(msg).hint(elsewhere)
        }
        FsError::OverRead { .. } => failure(msg)
            .hint("point it at a regular file, or move it away (bcconn then starts a new one)"),
        FsError::LinkLoop { .. } => failure(msg)
            .hint("point it at a regular file, or point BCCONN_HOME at another directory"),
        FsError::ReadOnly { path } => failure(msg).hint(format!(
            "to let bcconn change it, make it writable (chmod u+w {})",
            path.display()
        )),
        FsError::NotRegular { replace: false, .. }
        | FsError::OverLimit { .. }
        | FsError::Symlink { .. } => failure(msg),
    }
}
