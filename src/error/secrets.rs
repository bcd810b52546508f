//! Secret store errors in a person's words.

use super::{Failure, failure, usage};
use crate::secrets::SecretError;

const OTHER_STORES: &str = "choose another secret store: BCCONN_SECRET_STORE=sealed (encrypted in the records under BCCONN_SECRET_KEY; `bcconn secrets new-key` makes a key), BCCONN_SECRET_STORE=keyutils (Linux kernel keyring, cleared at reboot) or BCCONN_SECRET_STORE=file (plain-text file, 0600)";

pub(super) fn explain(e: &SecretError) -> Failure {
    let msg = e.to_string();
    let unlock = || format!("unlock it and try again, or {OTHER_STORES}");
    match e {
        SecretError::UnknownStore(_) => {
            usage(msg).hint("use one of: os (the default), keyutils, sealed, file")
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
        // Setup errors (exit 2): nothing was read or written.
        SecretError::KeyMissing => usage(msg).hint(
            "set BCCONN_SECRET_KEY, or BCCONN_SECRET_KEY_FILE to a 0600 file holding it; `bcconn secrets new-key` makes one",
        ),
        SecretError::KeyMalformed { .. } => usage(msg).hint(
            "give one or more keys, comma-separated, each ID:BASE64 or BASE64 of 32 bytes, as `bcconn secrets new-key` prints",
        ),
        SecretError::KeyFileUnreadable { .. } => {
            usage(msg).hint("name a regular file of your own, mode 0600, holding the key")
        }
        SecretError::KeyFileOpen { path, .. } => usage(msg).hint(format!(
            "run `chmod 600 {}`, and make a new key if others may have read it",
            crate::text::shell_word(&path.display().to_string())
        )),
        // The key is there but is not the right one (exit 1): nothing was
        // written.
        SecretError::WrongKey { .. } => failure(msg).hint(
            "use the key this store was sealed with (check BCCONN_SECRET_KEY or its file); nothing was written",
        ),
        SecretError::KeyNotHeld { key_id, .. } => failure(msg).hint(format!(
            "add the key {key_id} to your key list (after your sealing key); nothing was written"
        )),
        SecretError::SealedDamaged { .. } => failure(msg).hint(
            "replace it: authorize the connection again (`bcconn authorize NAME`), or give the iClient its secret again (`bcconn iclient edit NAME --secret`)",
        ),
    }
}
