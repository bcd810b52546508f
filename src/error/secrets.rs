//! Secret store errors in a person's words.

use super::{Failure, failure, usage};
use crate::secrets::SecretError;

const OTHER_STORES: &str = "choose another secret store: BCCONN_SECRET_STORE=keyutils (Linux kernel keyring, cleared at reboot) or BCCONN_SECRET_STORE=file (plain-text file, 0600)";

pub(super) fn explain(e: &SecretError) -> Failure {
    let msg = e.to_string();
    let unlock = || format!("unlock it and try again, or {OTHER_STORES}");
    match e {
        SecretError::UnknownStore(_) => {
            usage(msg).hint("use one of: os (the default), keyutils, file")
        }
        SecretError::KeyutilsNotHere => {
            usage(msg).hint("unset BCCONN_SECRET_STORE to use the OS keyring")
        }
        SecretError::TimedOut { .. } | SecretError::Locked { .. } => failure(msg).hint(unlock()),
        SecretError::Unreachable { .. } => failure(msg).hint(format!(
            "start a keyring service (e.g. gnome-keyring or KeePassXC with Secret Service), or {OTHER_STORES}"
        )),
        SecretError::NotAvailable { .. } | SecretError::Other { .. } => {
            failure(msg).hint(OTHER_STORES)
        }
        SecretError::FileUnreadable { .. } => {
            failure(msg).hint("fix or move the file away; bcconn will not overwrite it")
        }
        SecretError::FileNewer { .. } => {
            failure(msg).hint("upgrade bcconn; the file was left as it is")
        }
    }
}
