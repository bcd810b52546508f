//! The sealed secret store: secrets encrypted under the user's key
//! (`crate::secrets::seal`), in the record database's `sealed_secrets`
//! table. A copy of the database, a backup or a bundle holds only
//! ciphertext; whoever holds the key (a process running as the user) can
//! open every secret.
//!
//! A secret sealed together with its record goes in the record's own
//! transaction ([`Tx::sealed_put`], used by the one commit in
//! `crate::connect::commit`); the [`SecretStore`] methods here are for
//! everything else (reading, a delete after the record let go, moves).

use anyhow::Result;
use secrecy::SecretString;

use super::{Records, Tx};
use crate::secrets::seal::{SealKeys, SealedRow};
use crate::secrets::{PROBE_ACCOUNT, SecretError, SecretStore, StoreKind};

/// How many secrets of a key are tried to tell a wrong key from a damaged row.
const SAMPLE: u32 = 3;

pub struct SealedStore {
    records: Records,
    /// `Err` when no usable key is set: reading and sealing need one,
    /// deleting does not (a record can always let go of its secret).
    keys: std::result::Result<SealKeys, SecretError>,
}

/// What a rotation did: how many secrets each old key had sealed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotated {
    pub by_key: Vec<(String, u64)>,
    pub total: u64,
}

impl Records {
    /// The sealed store on these records' database, with `keys`.
    pub fn sealed_store(&self, keys: std::result::Result<SealKeys, SecretError>) -> SealedStore {
        SealedStore {
            records: self.again(),
            keys,
        }
    }
}

impl SealedStore {
    fn keys(&self) -> Result<&SealKeys> {
        self.keys.as_ref().map_err(|e| e.clone().into())
    }

    /// Refuses to seal with keys that do not fit the secrets already
    /// there: every key id in use must be one of ours, and each of ours in
    /// use must open a secret it sealed. Otherwise another machine (or this
    /// one, with the other key) could no longer open what is written.
    pub fn check_keys(&self) -> Result<()> {
        let keys = self.keys()?;
        let Some(tx) = self.records.begin(false)? else {
            return Ok(());
        };
        for (key_id, count) in tx.sealed_keys()? {
            if !keys.holds(&key_id) {
                return Err(SecretError::KeyNotHeld {
                    key_id: crate::text::outside(&key_id, 40),
                    count,
                    from: keys.source().to_string(),
                }
                .into());
            }
            // A key is wrong when none of a few secrets it names opens. A
            // damaged or moved row proves nothing either way, and must not
            // block every write (its own fix included).
            let mut refused = None;
            for (account, row) in tx.sealed_sample(&key_id, SAMPLE)? {
                match keys.open(&account, &row) {
                    Ok(_) => {
                        refused = None;
                        break;
                    }
                    Err(e @ SecretError::WrongKey { .. }) => refused = refused.or(Some(e)),
                    Err(_) => {}
                }
            }
            if let Some(e) = refused {
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// What a secret that does not open is: with a key that opens other
    /// secrets it sealed, the row was damaged or copied from another row,
    /// and the key is not to blame.
    fn explain(&self, keys: &SealKeys, e: SecretError) -> SecretError {
        let SecretError::WrongKey {
            key_id, account, ..
        } = &e
        else {
            return e;
        };
        let opens_others = self.records.begin(false).ok().flatten().is_some_and(|tx| {
            tx.sealed_sample(key_id, SAMPLE).is_ok_and(|rows| {
                rows.iter()
                    .any(|(a, row)| a != account && keys.open(a, row).is_ok())
            })
        });
        if opens_others {
            SecretError::SealedDamaged {
                account: account.clone(),
            }
        } else {
            e
        }
    }

    /// The key ids in use, with how many secrets each seals, and whether
    /// each is this machine's sealing key (`doctor`).
    pub fn usage(&self) -> Result<Vec<(String, u64)>> {
        Ok(match self.records.begin(false)? {
            Some(tx) => tx.sealed_keys()?,
            None => Vec::new(),
        })
    }

    /// Every sealed secret's account and key id.
    pub fn accounts(&self) -> Result<Vec<(String, String)>> {
        Ok(match self.records.begin(false)? {
            Some(tx) => tx
                .sealed_all()?
                .into_iter()
                .map(|(account, row)| (account, row.key_id))
                .collect(),
            None => Vec::new(),
        })
    }

    /// The sealing key's id (`None`: no key set).
    pub fn sealing_id(&self) -> Option<&str> {
        self.keys.as_ref().ok().map(SealKeys::sealing_id)
    }

    /// Re-seals every secret under the first of `new` in one transaction:
    /// each is opened with the current keys first, so one that does not
    /// open stops the rotation before anything is written.
    pub fn rotate(&self, new: &SealKeys) -> Result<Rotated> {
        let keys = self.keys()?;
        self.records.update(|tx| {
            let Some(b) = tx.backend() else {
                return Ok(Rotated::default());
            };
            let mut by_key: Vec<(String, u64)> = Vec::new();
            let all = b.sealed_all()?;
            for (account, row) in &all {
                let secret = keys.open(account, row).or_else(|e| match e {
                    // Already under the new key (a rotation run again).
                    SecretError::KeyNotHeld { .. } if new.holds(&row.key_id) => {
                        new.open(account, row)
                    }
                    e => Err(e),
                })?;
                if row.key_id == new.sealing_id() {
                    continue;
                }
                b.sealed_put(account, &new.seal(account, &secret)?)?;
                match by_key.iter_mut().find(|(k, _)| *k == row.key_id) {
                    Some((_, n)) => *n += 1,
                    None => by_key.push((row.key_id.clone(), 1)),
                }
            }
            let total: u64 = by_key.iter().map(|(_, n)| n).sum();
            if total > 0 {
                // A change to the team's secrets: in the trail, as a count.
                b.audit_put(&super::AuditEntry::now(
                    "secrets rotate-key",
                    super::audit::STORE,
                    ("", "secrets"),
                    "changed",
                    vec![format!("{total} re-sealed under key {}", new.sealing_id())],
                ))?;
            }
            Ok(Rotated { by_key, total })
        })
    }
}

impl SecretStore for SealedStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Sealed
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>> {
        if account == PROBE_ACCOUNT {
            self.check_keys()?;
            return Ok(None);
        }
        let keys = self.keys()?;
        let Some(tx) = self.records.begin(false)? else {
            return Ok(None);
        };
        match tx.sealed_get(account)? {
            Some(row) => match keys.open(account, &row) {
                Ok(secret) => Ok(Some(secret)),
                Err(e) => Err(self.explain(keys, e).into()),
            },
            None => Ok(None),
        }
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<()> {
        let row = self
            .seal(account, secret)
            .expect("the sealed store seals")?;
        self.records.update(|tx| tx.sealed_put(account, &row))
    }

    fn delete(&self, account: &str) -> Result<()> {
        // Locally, no database is no secret; a shared store is asked (an
        // unreachable one is an error, never "nothing to delete").
        if self.records.shared().is_none() && !self.records.exists() {
            return Ok(());
        }
        self.records.update(|tx| {
            if let Some(b) = tx.backend() {
                b.sealed_delete(account)?;
            }
            Ok(())
        })
    }

    fn seal(&self, account: &str, secret: &SecretString) -> Option<Result<SealedRow>> {
        Some(
            self.check_keys()
                .and_then(|()| Ok(self.keys()?.seal(account, secret)?)),
        )
    }
}

impl Tx {
    /// Writes a sealed secret in this transaction (with the record that
    /// names it, so the two commit together).
    pub fn sealed_put(&mut self, account: &str, row: &SealedRow) -> Result<()> {
        self.writable()?;
        if let Some(b) = self.backend() {
            b.sealed_put(account, row)?;
        }
        Ok(())
    }
}
