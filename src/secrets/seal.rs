//! Sealing: the cryptography of the sealed secret store, nothing else.
//!
//! Each secret is encrypted with XChaCha20-Poly1305 under a 32-byte key
//! the user holds (`BCCONN_SECRET_KEY` or its file), with a fresh random
//! 24-byte nonce; a nonce that size can be drawn at random for as many
//! secrets as anyone will ever seal. The associated data is the secret's
//! account (`connection/<id>/g<N>`, `iclient/<id>`): it names the record
//! and the kind of secret, so a ciphertext copied into another row does
//! not open there. The key id travels beside each ciphertext, so a list
//! of keys can open what any of them sealed while the first seals.
//!
//! The rows live in the record database (`crate::store::sealed`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::SecretError;

/// Bytes in a key.
pub const KEY_LEN: usize = 32;
/// Bytes in a nonce.
pub const NONCE_LEN: usize = 24;
/// The longest key id, in characters.
const MAX_ID: usize = 32;
/// The most keys a list may hold (a rotation needs two or three).
const MAX_KEYS: usize = 16;
/// Tells this scheme's ciphertexts from any later one's.
const AD_PREFIX: &[u8] = b"bcconn sealed v1\0";

/// One sealed secret as stored: which key sealed it, the nonce, and the
/// ciphertext with its tag. Holds nothing secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedRow {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

struct SealKey {
    id: String,
    key: Zeroizing<[u8; KEY_LEN]>,
}

/// The keys this machine holds: the first seals, any opens what it sealed.
pub struct SealKeys {
    keys: Vec<SealKey>,
    /// Where they came from (`BCCONN_SECRET_KEY`, or the file's path), for
    /// messages.
    source: String,
}

impl std::fmt::Debug for SealKeys {
    // Never the key bytes, even in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKeys")
            .field("ids", &self.ids().collect::<Vec<_>>())
            .field("source", &self.source)
            .finish()
    }
}

impl SealKeys {
    /// Reads a key list: `ID:BASE64` or a bare `BASE64` (its id is then its
    /// fingerprint), separated by commas or lines; blank lines and lines
    /// starting with `#` are skipped. `source` names where the text came
    /// from. An error never holds any of the text.
    pub fn parse(text: &SecretString, source: &str) -> Result<SealKeys, SecretError> {
        let bad = |n: usize, why: &'static str| SecretError::KeyMalformed {
            from: source.to_string(),
            item: n,
            why,
        };
        let mut keys: Vec<SealKey> = Vec::new();
        let items = text
            .expose_secret()
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty());
        for (i, item) in items.enumerate() {
            let n = i + 1;
            if n > MAX_KEYS {
                return Err(bad(n, "is one too many: a list holds at most 16 keys"));
            }
            let (id, b64) = match item.split_once(':') {
                Some((id, b64)) => (Some(id.trim()), b64.trim()),
                None => (None, item),
            };
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(b64)
                    .or_else(|_| STANDARD_NO_PAD.decode(b64))
                    .map_err(|_| bad(n, "is not base64"))?,
            );
            let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
                bad(
                    n,
                    "is not 32 bytes (base64 of 32 random bytes is 44 characters)",
                )
            })?;
            let key = Zeroizing::new(key);
            let id = match id {
                Some(id) => {
                    if id.is_empty()
                        || id.chars().count() > MAX_ID
                        || !id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                    {
                        return Err(bad(
                            n,
                            "has an id (before the colon) that is not 1 to 32 letters, digits, '.', '_' or '-'",
                        ));
                    }
                    id.to_string()
                }
                None => fingerprint(&key),
            };
            if keys.iter().any(|k| k.id == id) {
                return Err(bad(n, "has the id of an earlier key"));
            }
            keys.push(SealKey { id, key });
        }
        if keys.is_empty() {
            return Err(bad(0, "it holds no key"));
        }
        Ok(SealKeys {
            keys,
            source: source.to_string(),
        })
    }

    /// The id of the key that seals.
    pub fn sealing_id(&self) -> &str {
        &self.keys[0].id
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    pub fn holds(&self, id: &str) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    /// Where the keys came from, for messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Seals `secret` as the secret of `account`, with the first key.
    pub fn seal(&self, account: &str, secret: &SecretString) -> Result<SealedRow, SecretError> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SecretError::Other {
            kind: super::StoreKind::Sealed,
            detail: format!("the OS random number generator failed: {e}"),
        })?;
        let aad = associated_data(account);
        let ciphertext = cipher(key)
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: &aad,
                },
            )
            // Encryption fails only for a message over 256 GiB.
            .map_err(|_| SecretError::Other {
                kind: super::StoreKind::Sealed,
                detail: "the secret could not be sealed".into(),
            })?;
        Ok(SealedRow {
            key_id: key.id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Opens the secret of `account` from its row.
    pub fn open(&self, account: &str, row: &SealedRow) -> Result<SecretString, SecretError> {
        let Some(key) = self.keys.iter().find(|k| k.id == row.key_id) else {
            return Err(SecretError::KeyNotHeld {
                key_id: crate::text::outside(&row.key_id, 40),
                count: 1,
                from: self.source.clone(),
            });
        };
        if row.nonce.len() != NONCE_LEN {
            return Err(SecretError::SealedDamaged {
                account: crate::text::outside(account, 100),
            });
        }
        let plain = Zeroizing::new(
            cipher(key)
                .decrypt(
                    XNonce::from_slice(&row.nonce),
                    Payload {
                        msg: &row.ciphertext,
                        aad: &associated_data(account),
                    },
                )
                .map_err(|_| SecretError::WrongKey {
                    key_id: key.id.clone(),
                    account: crate::text::outside(account, 100),
                    from: self.source.clone(),
                })?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| SecretError::SealedDamaged {
            account: crate::text::outside(account, 100),
        })?;
        Ok(SecretString::from(text.to_string()))
    }
}

/// The keys from `BCCONN_SECRET_KEY` (`text`), else from the file
/// `BCCONN_SECRET_KEY_FILE` names, which must be a private regular file.
pub fn load(
    text: Option<&SecretString>,
    file: Option<&std::path::Path>,
) -> Result<SealKeys, SecretError> {
    if let Some(text) = text {
        return SealKeys::parse(text, "BCCONN_SECRET_KEY");
    }
    let Some(path) = file else {
        return Err(SecretError::KeyMissing);
    };
    let source = format!(
        "the key file {}",
        crate::text::outside(&path.display().to_string(), 200)
    );
    SealKeys::parse(&read_key_file(path)?, &source)
}

/// The most a key file holds: 16 keys with ids and comments fit in 4 KiB.
const KEY_FILE_MAX: u64 = 4096;

/// Reads a key file: a regular file (a link to one is fine: mounted
/// secrets are links), readable by its owner only, at most 4 KiB. The
/// checks are made on the opened file, so it cannot be swapped between
/// the check and the read.
pub fn read_key_file(path: &std::path::Path) -> Result<SecretString, SecretError> {
    use std::io::Read as _;
    let unreadable = |why: String| SecretError::KeyFileUnreadable {
        path: path.to_path_buf(),
        why,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // A FIFO would block the open until a writer came: opened without
    // blocking, it is refused below like any other non-regular file.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let mut file = options.open(path).map_err(|e| unreadable(e.to_string()))?;
    let meta = file.metadata().map_err(|e| unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(unreadable("it is not a regular file".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SecretError::KeyFileOpen {
                path: path.to_path_buf(),
                mode,
            });
        }
        // Someone else's file, private to them, is theirs to change: a key
        // read from it could be swapped under us (this matters for root).
        // SAFETY: geteuid has no preconditions and cannot fail.
        if meta.uid() != unsafe { libc::geteuid() } {
            return Err(unreadable(
                "it belongs to another user; a key file must be your own".into(),
            ));
        }
    }
    if meta.len() > KEY_FILE_MAX {
        return Err(unreadable("it is larger than a key list (4 KiB)".into()));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    (&mut file)
        .take(KEY_FILE_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > KEY_FILE_MAX {
        return Err(unreadable("it is larger than a key list (4 KiB)".into()));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| unreadable("it is not text".into()))?;
    // Some editors start a file with a byte-order mark; it is not part of a key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(SecretString::from(text.to_string()))
}

fn cipher(key: &SealKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.key.as_slice()))
}

fn associated_data(account: &str) -> Vec<u8> {
    let mut aad = AD_PREFIX.to_vec();
    aad.extend_from_slice(account.as_bytes());
    aad
}

/// A key's id when none is given: `k` and ten hex digits of a hash of it,
/// so every machine holding the same bare key names it alike, and the id
/// says nothing about the key.
pub fn fingerprint(key: &[u8; KEY_LEN]) -> String {
    let mut h = Sha256::new();
    h.update(b"bcconn key id\0");
    h.update(key);
    let digest = h.finalize();
    let hex: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
    format!("k{hex}")
}

/// A fresh key from the OS's random number generator, as `ID:BASE64`.
pub fn new_key() -> Result<SecretString, SecretError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(key.as_mut_slice()).map_err(|e| SecretError::Other {
        kind: super::StoreKind::Sealed,
        detail: format!("the OS random number generator failed: {e}"),
    })?;
    let b64 = Zeroizing::new(STANDARD.encode(key.as_slice()));
    Ok(SecretString::from(format!(
        "{}:{}",
        fingerprint(&key),
        b64.as_str()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> SealKeys {
        SealKeys::parse(&SecretString::from(text.to_string()), "BCCONN_SECRET_KEY").unwrap()
    }

    fn error(text: &str) -> String {
        SealKeys::parse(&SecretString::from(text.to_string()), "BCCONN_SECRET_KEY")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_secret_opens_with_its_key_and_account_only() {
        let k = keys(new_key().unwrap().expose_secret());
        let row = k
            .seal("connection/ab/g1", &SecretString::from("tok-1"))
            .unwrap();
        assert_eq!(row.key_id, k.sealing_id());
        assert_eq!(row.nonce.len(), NONCE_LEN);
        assert!(!row.ciphertext.windows(5).any(|w| w == b"tok-1"));
        assert_eq!(
            k.open("connection/ab/g1", &row).unwrap().expose_secret(),
            "tok-1"
        );
        // Another row's account: the associated data differs.
        let moved = k.open("connection/cd/g1", &row).unwrap_err();
        assert!(matches!(moved, SecretError::WrongKey { .. }), "{moved}");
        let kind = k.open("iclient/ab", &row).unwrap_err();
        assert!(matches!(kind, SecretError::WrongKey { .. }), "{kind}");
        // A flipped bit.
        let mut bent = row.clone();
        bent.ciphertext[0] ^= 1;
        assert!(k.open("connection/ab/g1", &bent).is_err());
        // The same id, other bytes: a wrong key.
        let other = keys(&format!(
            "{}:{}",
            k.sealing_id(),
            new_key()
                .unwrap()
                .expose_secret()
                .split_once(':')
                .unwrap()
                .1
        ));
        assert!(matches!(
            other.open("connection/ab/g1", &row).unwrap_err(),
            SecretError::WrongKey { .. }
        ));
        // Two sealings of one secret differ (fresh nonces).
        let again = k
            .seal("connection/ab/g1", &SecretString::from("tok-1"))
            .unwrap();
        assert_ne!(again.nonce, row.nonce);
        assert_ne!(again.ciphertext, row.ciphertext);
    }

    #[test]
    fn the_first_key_seals_and_any_opens() {
        let (a, b) = (new_key().unwrap(), new_key().unwrap());
        let old = keys(a.expose_secret());
        let row = old.seal("iclient/x", &SecretString::from("cs")).unwrap();
        let both = keys(&format!("{},{}", b.expose_secret(), a.expose_secret()));
        assert_eq!(both.open("iclient/x", &row).unwrap().expose_secret(), "cs");
        assert_ne!(
            both.seal("iclient/x", &SecretString::from("cs"))
                .unwrap()
                .key_id,
            row.key_id
        );
        let new_only = keys(b.expose_secret());
        let e = new_only.open("iclient/x", &row).unwrap_err();
        assert!(matches!(e, SecretError::KeyNotHeld { .. }), "{e}");
    }

    #[test]
    fn a_bare_key_is_named_by_its_fingerprint() {
        let k = new_key().unwrap();
        let (id, b64) = k.expose_secret().split_once(':').unwrap();
        assert_eq!(keys(b64).sealing_id(), id);
        assert_eq!(id.len(), 11);
        // Lines, comments and spaces around the commas are fine.
        let list = keys(&format!(
            "# rotation\n  {} ,\nold:{b64}\n",
            new_key().unwrap().expose_secret()
        ));
        assert_eq!(list.ids().count(), 2);
        assert!(list.holds("old"));
    }

    #[test]
    fn malformed_keys_are_refused_without_being_echoed() {
        let secretish = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";
        for (text, why) in [
            ("", "holds no key"),
            ("# only a comment", "holds no key"),
            ("not base64!", "not base64"),
            (secretish, "not 32 bytes"),
            (
                "bad id:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "has an id",
            ),
            (
                "a:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,a:AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "an earlier key",
            ),
        ] {
            let e = error(text);
            assert!(e.contains(why), "{text:?}: {e}");
            assert!(!e.contains(secretish), "{e}");
            assert!(e.contains("BCCONN_SECRET_KEY"), "{e}");
        }
        let many: Vec<String> = (0..17)
            .map(|i| format!("k{i}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
            .collect();
        let many = many.join(",");
        assert!(error(&many).contains("at most 16"));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_is_private_regular_and_never_waited_on() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let key = new_key().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, format!("\u{feff}{}\r\n", key.expose_secret())).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let read = read_key_file(&file).unwrap();
        let keys = SealKeys::parse(&read, "f").unwrap();
        assert_eq!(
            keys.sealing_id(),
            key.expose_secret().split(':').next().unwrap()
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            read_key_file(&file),
            Err(SecretError::KeyFileOpen { mode: 0o640, .. })
        ));
        // A FIFO is refused at once, not waited on.
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string and mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_key_file(&fifo).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let e = read_key_file(std::path::Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }

    #[test]
    fn debug_shows_no_key() {
        let k = new_key().unwrap();
        let b64 = k.expose_secret().split_once(':').unwrap().1.to_string();
        let shown = format!("{:?}", keys(k.expose_secret()));
        assert!(!shown.contains(&b64), "{shown}");
    }
}
