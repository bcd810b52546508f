//! Settings from the environment that cannot be used, in a person's words.

use super::{Failure, usage};
use crate::env::{EXEC_MARKER, SettingError};

pub(super) fn explain(e: &SettingError) -> Failure {
    let msg = e.to_string();
    match e {
        SettingError::RemovedByExec { var } => usage(msg).hint(format!(
            "`bcconn exec --pass-bcconn-env NAME -- CMD` passes {var} on to CMD (never the secret inputs); or set {var} inside CMD, or unset {EXEC_MARKER} to use this machine's own"
        )),
        SettingError::SharedNeedsSealed { .. } => usage(msg).hint(
            "unset BCCONN_SECRET_STORE (or set it to sealed) and give this machine the team's key in BCCONN_SECRET_KEY or BCCONN_SECRET_KEY_FILE",
        ),
        SettingError::PoolTtl { .. } => {
            usage(msg).hint("set it to e.g. 30s, or unset it for the default of 30 s")
        }
        SettingError::Duration { default, .. } => usage(msg).hint(format!(
            "set it to e.g. 30s, or unset it for the default of {default}"
        )),
        SettingError::BaseUrl { name, .. } => usage(msg).hint(format!(
            "set it to e.g. https://… or unset {name} to use BigCommerce"
        )),
    }
}
