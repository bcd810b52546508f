//! Encrypted bundles: the export document together with the secrets its
//! records use (client secrets, current tokens), as an age file, so that
//! a working connection can move to another machine without a new
//! authorization (which would end the first machine's token).
//!
//! The plaintext is the export document with one more top-level field,
//! `secrets`: `{"iclients": {ID: SECRET}, "connections": {ID: TOKEN},
//! "storefront": {ID: {NAME: TOKEN}}}`, keyed by the document's record ids
//! (and a saved storefront token's name; the field is left out when no
//! connection has one). It exists only in memory: it is
//! encrypted before any byte is written, and opened into memory.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::Path;

use anyhow::Result;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::commit::{self, Grant, Slot, Target};
use super::intake::stopped;
use super::tokens::{self, Verified};
use crate::bigcommerce::api::{Check, StoreInfo};
use crate::context::Context;
use crate::error::{failure, usage};
use crate::secrets::{self, StoreKind};
use crate::store::{self, AuthType, Document, State, migrate};
use crate::text::outside;

/// The top-level field that holds the secrets in a bundle's plaintext.
pub const SECRETS_FIELD: &str = "secrets";

/// How an age file starts: binary, or ASCII-armored.
const BINARY_START: &[u8] = b"age-encryption.org/v1";
const ARMOR_START: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// The largest bundle plaintext opened (the document limit of `import`).
const PLAIN_MAX: u64 = 512 << 20;

/// Whether `bytes` are an age file (armored ones may follow whitespace).
pub fn is_age(bytes: &[u8]) -> bool {
    let text = bytes.trim_ascii_start();
    bytes.starts_with(BINARY_START) || text.starts_with(ARMOR_START)
}

/// Who can open a bundle.
pub enum Lock {
    Recipients(Vec<age::x25519::Recipient>),
    Passphrase(SecretString),
}

/// What opens a bundle.
pub enum Key {
    Identities(Vec<age::x25519::Identity>),
    Passphrase(SecretString),
}

/// An age X25519 public key (`age1...`); anything else is refused, named.
pub fn recipient(text: &str) -> Result<age::x25519::Recipient> {
    // A pasted identity is a secret: named by its kind, never echoed.
    if text
        .trim()
        .to_ascii_uppercase()
        .starts_with("AGE-SECRET-KEY-")
    {
        return Err(usage(
            "--recipient was given an age secret key (AGE-SECRET-KEY-1...), not a public key",
        )
        .hint("give its public key: `age-keygen -y KEYFILE` prints it (age1...)")
        .into());
    }
    text.trim().parse().map_err(|_| {
        usage(format!(
            "--recipient {:?} is not an age public key",
            outside(text, 100)
        ))
        .hint("give the age1... line `age-keygen` prints (or `age-keygen -y KEYFILE`)")
        .into()
    })
}

/// The identities of an age identity file: `AGE-SECRET-KEY-1...` lines,
/// blank lines and `#` comments. A line that is none of those is refused
/// by number only: it may be a secret.
pub fn identities(bytes: &[u8], shown: &str) -> Result<Vec<age::x25519::Identity>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| usage(format!("the identity file {shown} is not text")))?;
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let identity = line.parse::<age::x25519::Identity>().map_err(|_| {
            usage(format!(
                "line {} of the identity file {shown} is not an age identity",
                n + 1
            ))
            .hint("give a file made by `age-keygen` (AGE-SECRET-KEY-1... lines)")
        })?;
        found.push(identity);
    }
    if found.is_empty() {
        return Err(
            usage(format!("the identity file {shown} holds no age identity"))
                .hint("give a file made by `age-keygen` (AGE-SECRET-KEY-1... lines)")
                .into(),
        );
    }
    Ok(found)
}

/// The secrets a bundle carries, by the document's record ids.
#[derive(Default, Debug)]
pub struct Secrets {
    pub iclients: BTreeMap<String, SecretString>,
    pub tokens: BTreeMap<String, SecretString>,
    /// Saved storefront tokens, by connection id and name.
    pub storefront: BTreeMap<String, BTreeMap<String, SecretString>>,
}

/// What [`gather`] left out, by name.
#[derive(Default)]
pub struct Missing {
    pub iclients: Vec<String>,
    pub tokens: Vec<String>,
    /// Saved storefront tokens whose secret is gone ("whose").
    pub storefront: Vec<String>,
}

/// Reads the secrets of `doc`'s records from whichever store each record
/// names: every iClient's client secret, and the token of every connection
/// that is authorized (a superseded or invalid one's token no longer works).
pub fn gather(ctx: &Context, doc: &Document) -> Result<(Secrets, Missing)> {
    let mut secrets = Secrets::default();
    let mut missing = Missing::default();
    for ic in &doc.iclients {
        let account = secrets::iclient_account(&ic.id);
        match ctx.secrets(ic.secret_store)?.get(&account)? {
            Some(s) => {
                secrets.iclients.insert(ic.id.clone(), s);
            }
            None => missing.iclients.push(ic.name.clone()),
        }
    }
    for c in &doc.connections {
        let Some(kind) = c.token_store.filter(|_| c.state == State::Authorized) else {
            continue;
        };
        match ctx.secrets(kind)?.get(&c.token_account())? {
            Some(t) => {
                secrets.tokens.insert(c.id.clone(), t);
            }
            None => missing.tokens.push(c.name.clone()),
        }
    }
    // Saved storefront tokens, whatever the access token's state: each is
    // a credential of its own.
    for c in &doc.connections {
        for t in &c.storefront_tokens {
            match ctx.secrets(t.secret_store)?.get(&t.account(&c.id))? {
                Some(s) => {
                    secrets
                        .storefront
                        .entry(c.id.clone())
                        .or_default()
                        .insert(t.name.clone(), s);
                }
                None => missing.storefront.push(format!(
                    "{:?} of {:?}",
                    outside(&t.name, 64),
                    outside(&c.name, 64)
                )),
            }
        }
    }
    Ok((secrets, missing))
}

/// The bundle of `doc` and `secrets`, encrypted (armored when asked). The
/// plaintext is wiped from memory once encrypted.
pub fn seal<'a>(
    doc: &'a Document,
    secrets: &'a Secrets,
    lock: Lock,
    armor: bool,
) -> Result<Vec<u8>> {
    // Borrowed, so that the only copy of the secrets made is the plaintext
    // itself, wiped once encrypted; the document keeps its field order.
    #[derive(serde::Serialize)]
    struct Plain<'a> {
        #[serde(flatten)]
        doc: &'a Document,
        secrets: Carried<'a>,
    }
    #[derive(serde::Serialize)]
    struct Carried<'a> {
        iclients: BTreeMap<&'a str, &'a str>,
        connections: BTreeMap<&'a str, &'a str>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        storefront: BTreeMap<&'a str, BTreeMap<&'a str, &'a str>>,
    }
    let exposed = |m: &'a BTreeMap<String, SecretString>| {
        m.iter()
            .map(|(id, s)| (id.as_str(), s.expose_secret()))
            .collect()
    };
    let plain = Plain {
        doc,
        secrets: Carried {
            iclients: exposed(&secrets.iclients),
            connections: exposed(&secrets.tokens),
            storefront: secrets
                .storefront
                .iter()
                .map(|(id, m)| (id.as_str(), exposed(m)))
                .collect(),
        },
    };
    let mut text = Zeroizing::new(serde_json::to_vec_pretty(&plain)?);
    text.push(b'\n');
    let encryptor = match lock {
        Lock::Passphrase(p) => age::Encryptor::with_user_passphrase(p),
        Lock::Recipients(rs) => {
            age::Encryptor::with_recipients(rs.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| failure(format!("could not encrypt the bundle: {e}")))?
        }
    };
    let format = if armor {
        age::armor::Format::AsciiArmor
    } else {
        age::armor::Format::Binary
    };
    let out = age::armor::ArmoredWriter::wrap_output(Vec::new(), format)?;
    let mut writer = encryptor.wrap_output(out)?;
    writer.write_all(&text)?;
    Ok(writer.finish()?.finish()?)
}

/// Strings of a JSON value that held secrets, overwritten before freeing.
fn wipe(value: Value) {
    match value {
        Value::String(s) => drop(Zeroizing::new(s)),
        Value::Array(a) => a.into_iter().for_each(wipe),
        Value::Object(o) => o.into_iter().for_each(|(_, v)| wipe(v)),
        _ => {}
    }
}

/// Whether the age file `bytes` is encrypted to a passphrase (else to
/// recipients). A file that is not a readable age file is refused here.
pub fn wants_passphrase(bytes: &[u8], shown: &str) -> Result<bool> {
    let reader = age::armor::ArmoredReader::new(bytes);
    let d = age::Decryptor::new_buffered(reader).map_err(|e| not_age(shown, &e))?;
    Ok(d.is_scrypt())
}

fn not_age(shown: &str, e: &age::DecryptError) -> anyhow::Error {
    failure(format!(
        "{shown} looks like an age file but cannot be read: {e}"
    ))
    .hint("give the file `bcconn export --with-secrets` wrote, whole")
    .into()
}

/// The plaintext of the age file `bytes`. A key that does not open it is
/// one line, exit 1.
pub fn open(bytes: &[u8], key: &Key, shown: &str) -> Result<Zeroizing<Vec<u8>>> {
    let reader = age::armor::ArmoredReader::new(bytes);
    let d = age::Decryptor::new_buffered(reader).map_err(|e| not_age(shown, &e))?;
    let scrypt;
    let identities: Vec<&dyn age::Identity> = match key {
        Key::Identities(ids) => ids.iter().map(|i| i as &dyn age::Identity).collect(),
        Key::Passphrase(p) => {
            scrypt = age::scrypt::Identity::new(p.clone());
            vec![&scrypt as &dyn age::Identity]
        }
    };
    let wrong = || match key {
        Key::Identities(_) => failure(format!(
            "{shown} was not encrypted to the identity given; nothing was imported"
        ))
        .hint("give the --identity file whose public key the bundle was exported to"),
        Key::Passphrase(_) => failure(format!(
            "the passphrase does not open {shown}; nothing was imported"
        ))
        .hint("give the passphrase it was exported with"),
    };
    let mut reader = d.decrypt(identities.into_iter()).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys
        | age::DecryptError::DecryptionFailed
        | age::DecryptError::KeyDecryptionFailed => wrong().into(),
        e => not_age(shown, &e),
    })?;
    let mut plain = Zeroizing::new(Vec::new());
    (&mut reader)
        .take(PLAIN_MAX + 1)
        .read_to_end(&mut plain)
        .map_err(|e| {
            failure(format!(
                "{shown} is damaged (its encrypted content does not check out: {e}); nothing was imported"
            ))
        })?;
    if plain.len() as u64 > PLAIN_MAX {
        return Err(usage(format!(
            "{shown} holds more than 512 MiB; that is not a bcconn bundle"
        ))
        .into());
    }
    Ok(plain)
}

/// The document and secrets of a bundle's plaintext. Every secret must
/// belong to a record of the document.
pub fn unpack(plain: &[u8], shown: &Path) -> Result<(Document, Secrets)> {
    let refuse = |detail: &str| {
        anyhow::Error::from(store::StoreError::Import {
            path: shown.to_path_buf(),
            detail: detail.to_string(),
        })
    };
    let mut value: Value =
        serde_json::from_slice(plain).map_err(|_| refuse("its content is not valid JSON"))?;
    let carried = value
        .as_object_mut()
        .and_then(|o| o.remove(SECRETS_FIELD))
        .unwrap_or(Value::Null);
    let rest = serde_json::to_vec(&value)?;
    let doc = store::parse(&rest, shown)?;
    let mut secrets = Secrets::default();
    let take = |field: &str, into: &mut BTreeMap<String, SecretString>| -> Result<()> {
        match carried.get(field) {
            None | Some(Value::Null) => Ok(()),
            Some(Value::Object(map)) => {
                for (id, v) in map {
                    let Value::String(s) = v else {
                        return Err(refuse(&format!(
                            "secrets.{field} holds a value that is not a string"
                        )));
                    };
                    into.insert(id.clone(), SecretString::from(s.clone()));
                }
                Ok(())
            }
            Some(_) => Err(refuse(&format!("secrets.{field} is not an object"))),
        }
    };
    if !matches!(carried, Value::Object(_) | Value::Null) {
        return Err(refuse("its secrets field is not an object"));
    }
    take("iclients", &mut secrets.iclients)?;
    take("connections", &mut secrets.tokens)?;
    match carried.get("storefront") {
        None | Some(Value::Null) => {}
        Some(Value::Object(by_connection)) => {
            for (id, names) in by_connection {
                let Value::Object(names) = names else {
                    return Err(refuse(
                        "secrets.storefront holds a value that is not an object",
                    ));
                };
                let mut tokens = BTreeMap::new();
                for (name, v) in names {
                    let Value::String(t) = v else {
                        return Err(refuse(
                            "secrets.storefront holds a token that is not a string",
                        ));
                    };
                    tokens.insert(name.clone(), SecretString::from(t.clone()));
                }
                secrets.storefront.insert(id.clone(), tokens);
            }
        }
        Some(_) => return Err(refuse("secrets.storefront is not an object")),
    }
    wipe(carried);
    for id in secrets.iclients.keys() {
        if doc.iclient_by_id(id).is_none() {
            return Err(refuse(&format!(
                "it holds a client secret for an iClient it does not have (id {:?})",
                outside(id, 40)
            )));
        }
    }
    for id in secrets.tokens.keys() {
        if doc.connection_by_id(id).is_none() {
            return Err(refuse(&format!(
                "it holds a token for a connection it does not have (id {:?})",
                outside(id, 40)
            )));
        }
    }
    for (id, names) in &secrets.storefront {
        let Some(c) = doc.connection_by_id(id) else {
            return Err(refuse(&format!(
                "it holds a storefront token for a connection it does not have (id {:?})",
                outside(id, 40)
            )));
        };
        if let Some(name) = names.keys().find(|n| {
            store::storefront::check_name(n).is_err()
                || !c.storefront_tokens.iter().any(|t| &t.name == *n)
        }) {
            return Err(refuse(&format!(
                "it holds a storefront token {:?} that connection {:?} does not record",
                outside(name, 40),
                outside(&c.name, 64)
            )));
        }
    }
    Ok((doc, secrets))
}

/// Who the bundle is for; a passphrase is asked once the flags are known good.
pub enum Choice {
    Recipients(Vec<age::x25519::Recipient>),
    Passphrase,
}

pub fn lock_from(recipients: &[String], passphrase: bool) -> Result<Choice> {
    if passphrase {
        return Ok(Choice::Passphrase);
    }
    if recipients.is_empty() {
        return Err(usage("--with-secrets needs --recipient AGE_PUBLIC_KEY or --passphrase")
            .hint("secrets are exported only encrypted: to an age public key (`age-keygen` makes one) or with a passphrase")
            .into());
    }
    let parsed = recipients.iter().map(|r| recipient(r));
    Ok(Choice::Recipients(parsed.collect::<Result<_>>()?))
}

/// `BCCONN_PASSPHRASE`, else asked on the terminal (`twice` when it is new).
pub fn passphrase(ctx: &Context, twice: bool) -> Result<SecretString> {
    if let Some(p) = &ctx.env.passphrase {
        return Ok(p.clone());
    }
    if !ctx.interactive {
        return Err(
            usage("no passphrase given, and there is no terminal to ask for one")
                .hint("set BCCONN_PASSPHRASE (a passphrase is never taken as a flag value)")
                .into(),
        );
    }
    let ask = |message: &str| {
        ctx.ask(|p| p.secret(message, "input is hidden", "the passphrase is empty"))
            .map_err(stopped)
    };
    let first = ask("Passphrase:")?;
    if twice && ask("Passphrase again:")?.expose_secret() != first.expose_secret() {
        return Err(usage("the two passphrases differ; nothing was written").into());
    }
    Ok(first)
}

/// The document and secrets of the age file `bytes`, opened with the
/// identity file or the passphrase.
pub fn open_file(
    ctx: &Context,
    bytes: &[u8],
    shown: &Path,
    identity: Option<&Path>,
) -> Result<(Document, Secrets)> {
    let name = crate::text::outside(&shown.display().to_string(), 300);
    let key = match (wants_passphrase(bytes, &name)?, identity) {
        (true, Some(_)) => {
            return Err(usage(format!(
                "{name} is encrypted with a passphrase, not to an identity"
            ))
            .hint("leave out --identity; the passphrase is asked (or read from BCCONN_PASSPHRASE)")
            .into());
        }
        (true, None) => Key::Passphrase(passphrase(ctx, false)?),
        (false, None) => {
            return Err(usage(format!("{name} is encrypted to an age public key"))
                .hint(
                    "give --identity FILE, the age identity file (AGE-SECRET-KEY-1...) of that key",
                )
                .into());
        }
        (false, Some(file)) => {
            let key_name = crate::text::outside(&file.display().to_string(), 300);
            let text = crate::fsutil::read_regular(file)?
                .ok_or_else(|| usage(format!("the identity file {key_name} does not exist")))?;
            Key::Identities(identities(&text, &key_name)?)
        }
    };
    let plain = open(bytes, &key, &name)?;
    unpack(&plain, shown)
}

/// What an imported bundle brought, by name.
#[derive(Default, Debug)]
pub struct Imported {
    pub report: migrate::Report,
    pub tokens: Vec<String>,
    pub client_secrets: Vec<String>,
    /// Tokens saved unchecked because the caller said so (`--no-verify`).
    pub unverified: Vec<String>,
    /// Connections and iClients of the bundle that came without a secret.
    pub without_token: Vec<String>,
    pub without_secret: Vec<String>,
    /// Saved storefront tokens imported ("NAME of CONNECTION").
    pub storefront: Vec<String>,
    pub store: Option<StoreKind>,
}

/// Imports a bundle: every token is checked against its store first
/// (unless `verify` is false), so a bundle with a dead token is refused
/// whole, before anything is written. Then the records, as a plain import
/// does (connections pending, no secret), then each secret through the
/// ledger-safe seam into the current secret store: a client secret, then
/// the record that names its store; a token as the connection's next
/// generation (above any generation this home used for it), with the
/// record that makes it authorized.
pub fn import(
    ctx: &Context,
    doc: Document,
    secrets: Secrets,
    replace: bool,
    verify: bool,
    source: &Path,
) -> Result<Imported> {
    // A taken name is refused before anything is checked or written.
    if !replace {
        let tx = ctx.records.load()?;
        let iclients = doc.iclients.iter().map(|i| tx.iclient(&i.name));
        let taken = doc.connections.iter().map(|c| tx.connection(&c.name));
        let taken = iclients
            .map(|r| r.map(|o| o.map(|i| i.name.clone())))
            .chain(taken.map(|r| r.map(|o| o.map(|c| c.name.clone()))));
        for name in taken {
            if let Some(name) = name? {
                return Err(store::StoreError::NameTaken { name }.into());
            }
        }
    }
    // The store must answer before anything is written or checked.
    if !secrets.iclients.is_empty() || !secrets.tokens.is_empty() || !secrets.storefront.is_empty()
    {
        super::ready::secret_store(ctx)?;
    }
    let store = ctx.default_secrets()?;
    let kind = store.kind();
    let mut checked: HashMap<String, Option<Option<StoreInfo>>> = HashMap::new();
    if verify && !secrets.tokens.is_empty() {
        crate::env::check_base_url("BCCONN_API_URL", &ctx.env.api_url)?;
        let rt = super::runtime()?;
        for (id, token) in &secrets.tokens {
            let c = doc.connection_by_id(id).expect("checked by unpack");
            let found = match rt.block_on(tokens::verify_new(ctx, &c.store_hash, token)) {
                Verified::Yes(info) => Some(info),
                Verified::NotYet(why) => {
                    tokens::say_not_verified(ctx, &format!("the token of {:?}", c.name), &why);
                    None
                }
                Verified::Refused(check) => return Err(refused(check, c)),
            };
            checked.insert(id.clone(), found);
        }
    }
    let mut done = Imported {
        store: Some(kind),
        ..Imported::default()
    };
    let mut doc = doc;
    let (added, replaced) = iclients_first(ctx, store.as_ref(), &mut doc, &secrets)?;
    done.client_secrets = added.iter().chain(&replaced).cloned().collect();
    let mut report = ctx
        .records
        .import(doc.clone(), migrate::Mode::Fresh { replace }, source)?;
    retire(ctx, &report.retired);
    report.iclients_added.splice(0..0, added);
    report.iclients_replaced.splice(0..0, replaced);
    for c in &doc.connections {
        let Some(token) = secrets.tokens.get(&c.id) else {
            continue;
        };
        let tx = ctx.records.load()?;
        let local = tx.connection(&c.name)?.cloned().ok_or_else(|| {
            failure(format!(
                "the connection {:?} was removed while it was being imported",
                c.name
            ))
        })?;
        let client_id = tx.client_id_of(&local)?.map(str::to_string);
        drop(tx);
        // Verified: the store's information (when the token may read it).
        let found = checked.remove(&c.id).flatten();
        let verified = found.is_some();
        let oauth = c.auth_type == AuthType::Oauth2 && c.granted_scopes.is_some();
        let grant = Grant {
            token: token.clone(),
            granted: c.granted_scopes.clone().filter(|_| oauth),
            user: c.user.clone().filter(|_| oauth),
            owner: c.owner.clone().filter(|_| oauth),
            account_uuid: c.account_uuid.clone().filter(|_| oauth),
            store: found.flatten(),
            verified,
        };
        let target = Target::Saved {
            conn: local,
            changes: commit::Changes::default(),
            client_id,
        };
        commit::save_token(ctx, target, grant).map_err(unfinished)?;
        done.tokens.push(c.name.clone());
        if !verify {
            done.unverified.push(c.name.clone());
        }
    }
    // Saved storefront tokens, each with its record (the import took the
    // connections in without them: no secret came with a plain import).
    for c in &doc.connections {
        let Some(tokens) = secrets.storefront.get(&c.id) else {
            continue;
        };
        let local = ctx
            .records
            .load()?
            .connection(&c.name)?
            .map(|l| l.id.clone())
            .ok_or_else(|| {
                failure(format!(
                    "the connection {:?} was removed while it was being imported",
                    c.name
                ))
            })?;
        for t in &c.storefront_tokens {
            let Some(token) = tokens.get(&t.name) else {
                continue;
            };
            let record = store::StorefrontToken {
                serial: store::new_id(),
                ..t.clone()
            };
            super::storefront::saved::keep(ctx, &local, record, token, true).map_err(unfinished)?;
            done.storefront.push(format!(
                "{:?} of {:?}",
                outside(&t.name, 64),
                outside(&c.name, 64)
            ));
        }
    }
    done.without_token = doc
        .connections
        .iter()
        .filter(|c| !secrets.tokens.contains_key(&c.id))
        .map(|c| c.name.clone())
        .collect();
    done.without_secret = doc
        .iclients
        .iter()
        .filter(|i| !secrets.iclients.contains_key(&i.id))
        .map(|i| i.name.clone())
        .collect();
    done.report = report;
    Ok(done)
}

/// Saves the iClients that come with a client secret, each with its secret
/// in one step (`secret_then_record`: a crash leaves neither an iClient
/// without its secret nor a secret without its iClient), and takes them
/// out of `doc`, whose connections then name their local ids. Returns the
/// names added and replaced.
fn iclients_first(
    ctx: &Context,
    store: &dyn secrets::SecretStore,
    doc: &mut Document,
    secrets: &Secrets,
) -> Result<(Vec<String>, Vec<String>)> {
    let kind = store.kind();
    let (mut added, mut replaced) = (Vec::new(), Vec::new());
    let mut ids: HashMap<String, String> = HashMap::new();
    for ic in std::mem::take(&mut doc.iclients) {
        let Some(secret) = secrets.iclients.get(&ic.id) else {
            doc.iclients.push(ic);
            continue;
        };
        let tx = ctx.records.load()?;
        let local = tx
            .iclient(&ic.name)?
            .map(|l| (l.id.clone(), l.secret_store));
        let id = match &local {
            Some((id, _)) => id.clone(),
            None if tx.iclient_by_id(&ic.id)?.is_some() => store::new_id(),
            None => ic.id.clone(),
        };
        drop(tx);
        let slot = if local.is_some() {
            Slot::InPlace
        } else {
            Slot::Fresh
        };
        let record = store::IClient {
            id: id.clone(),
            secret_store: kind,
            ..ic.clone()
        };
        commit::secret_then_record(
            ctx,
            store,
            &secrets::iclient_account(&id),
            slot,
            local.as_ref().map(|(_, k)| *k),
            secret,
            |file| {
                let list = file.iclients_mut()?;
                match list
                    .iter_mut()
                    .find(|i| store::same_name(&i.name, &record.name))
                {
                    // Changed meanwhile by another run: refused, not merged.
                    Some(i) if i.id != record.id => {
                        Err(anyhow::Error::from(store::StoreError::NameTaken {
                            name: i.name.clone(),
                        }))
                    }
                    Some(i) => {
                        *i = record.clone();
                        Ok(())
                    }
                    None => {
                        list.push(record.clone());
                        Ok(())
                    }
                }
            },
        )?;
        match local {
            Some(_) => replaced.push(ic.name.clone()),
            None => added.push(ic.name.clone()),
        }
        ids.insert(ic.id, id);
    }
    for c in &mut doc.connections {
        if let Some(local) = c.iclient_id.as_ref().and_then(|i| ids.get(i)) {
            c.iclient_id = Some(local.clone());
        }
    }
    Ok((added, replaced))
}

/// A token that could not be saved once the records were in: they stay
/// (each connection pending until its token is saved), and the same import
/// with --replace finishes the job.
fn unfinished(e: anyhow::Error) -> anyhow::Error {
    let (status, message, _) = crate::error::report(&e).into_parts();
    crate::error::Failure::new(
        status,
        format!(
            "{message}; the records were imported, the connections without a token are pending"
        ),
    )
    .hint("run the same import again with --replace to finish")
    .into()
}

/// A token its store definitely refused: the whole bundle is refused.
fn refused(check: Check, c: &store::Connection) -> anyhow::Error {
    let hash = &c.store_hash;
    let what = format!("the token of {:?}", c.name);
    let message = match check {
        Check::Ok { store } => format!(
            "the store API says {what} belongs to store {:?}, not {hash}",
            outside(&store.and_then(|s| s.id).unwrap_or_default(), 40)
        ),
        check => match tokens::check_failure(check, hash, &what) {
            Err(f) => f.message.replace("; it was not saved", ""),
            Ok(_) => format!("the store API did not take {what}"),
        },
    };
    failure(format!("{message}; nothing was imported"))
        .hint(format!(
            "the bundle is stale (re-authorized or revoked since it was made): export a fresh one where {:?} works, or import with --no-verify and run `bcconn authorize {}`",
            c.name,
            crate::text::shell_word(&c.name)
        ))
        .into()
}

/// Deletes the secrets of records an import replaced (listed in the
/// ledger by the import, so a kill before this is tidied later).
pub fn retire(ctx: &Context, retired: &[(StoreKind, String)]) {
    for (kind, account) in retired {
        if ctx.secrets(*kind).and_then(|s| s.delete(account)).is_ok() {
            let _ = ctx.records.ledger_forget(kind.as_str(), account);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::IClient;

    fn doc() -> Document {
        Document {
            iclients: vec![IClient {
                id: "ic1".into(),
                name: "app".into(),
                client_id: "cid".into(),
                callback_url: "http://localhost:8765/auth".into(),
                secret_store: StoreKind::File,
                created_at: "t".into(),
                updated_at: "t".into(),
                extra: Default::default(),
            }],
            ..Document::default()
        }
    }

    fn secrets() -> Secrets {
        let mut s = Secrets::default();
        s.iclients
            .insert("ic1".into(), SecretString::from("cs-Secret-1".to_string()));
        s
    }

    fn opened(bytes: &[u8], key: &Key) -> Result<(Document, Secrets)> {
        let plain = open(bytes, key, "b.age")?;
        unpack(&plain, Path::new("b.age"))
    }

    #[test]
    fn a_sealed_bundle_opens_with_its_identity_only() {
        let id = age::x25519::Identity::generate();
        for armor in [false, true] {
            let lock = Lock::Recipients(vec![id.to_public()]);
            let bytes = seal(&doc(), &secrets(), lock, armor).unwrap();
            assert!(is_age(&bytes));
            assert_eq!(bytes.starts_with(ARMOR_START), armor);
            assert!(!String::from_utf8_lossy(&bytes).contains("cs-Secret-1"));
            assert!(!wants_passphrase(&bytes, "b.age").unwrap());
            let (d, s) = opened(&bytes, &Key::Identities(vec![id.clone()])).unwrap();
            assert_eq!(d.iclients[0].name, "app");
            assert!(d.extra.is_empty(), "{:?}", d.extra);
            assert_eq!(s.iclients["ic1"].expose_secret(), "cs-Secret-1");
            let other = Key::Identities(vec![age::x25519::Identity::generate()]);
            let err = opened(&bytes, &other).unwrap_err();
            assert!(
                err.to_string().contains("not encrypted to the identity"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_passphrase_bundle_opens_with_that_passphrase_only() {
        let p = |s: &str| SecretString::from(s.to_string());
        let bytes = seal(&doc(), &secrets(), Lock::Passphrase(p("right")), false).unwrap();
        assert!(wants_passphrase(&bytes, "b.age").unwrap());
        let err = opened(&bytes, &Key::Passphrase(p("wrong"))).unwrap_err();
        assert!(
            err.to_string().contains("passphrase does not open"),
            "{err}"
        );
        let (_, s) = opened(&bytes, &Key::Passphrase(p("right"))).unwrap();
        assert_eq!(s.iclients.len(), 1);
    }

    #[test]
    fn a_secret_for_a_record_the_bundle_lacks_is_refused() {
        let mut v = serde_json::to_value(doc()).unwrap();
        v["secrets"] = serde_json::json!({"connections": {"nobody": "t"}});
        let err = unpack(&serde_json::to_vec(&v).unwrap(), Path::new("b")).unwrap_err();
        assert!(err.to_string().contains("\"nobody\""), "{err}");
        v["secrets"] = serde_json::json!({"iclients": {"ic1": 5}});
        let err = unpack(&serde_json::to_vec(&v).unwrap(), Path::new("b")).unwrap_err();
        assert!(err.to_string().contains("not a string"), "{err}");
    }

    #[test]
    fn an_identity_file_line_that_is_not_a_key_is_named_by_number_only() {
        let id = age::x25519::Identity::generate();
        let key = id.to_string().expose_secret().to_string();
        let good = format!("# created: now\n\n{key}\n");
        assert_eq!(identities(good.as_bytes(), "k").unwrap().len(), 1);
        let bad = format!("# c\n{}\n", &key[..key.len() - 3]);
        let err = identities(bad.as_bytes(), "k").err().unwrap().to_string();
        assert!(err.contains("line 2") && !err.contains(&key[..20]), "{err}");
        assert!(identities(b"# only comments\n", "k").is_err());
    }

    #[test]
    fn a_store_or_records_that_fail_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let t = crate::connect::testing::ctx(dir.path(), &[]);
        let document = |t: &crate::connect::testing::TestCtx| {
            serde_json::to_string(&t.ctx.records.document().unwrap()).unwrap()
        };
        let before = document(&t);
        t.store.fail_set(true);
        let err = import(&t.ctx, doc(), secrets(), false, false, Path::new("b")).unwrap_err();
        assert!(format!("{err:#}").contains("fail at set"), "{err:#}");
        t.store.fail_set(false);
        t.ctx.records.fail_writes(true);
        let err = import(&t.ctx, doc(), secrets(), false, false, Path::new("b")).unwrap_err();
        assert!(format!("{err:#}").contains("told to fail"), "{err:#}");
        t.ctx.records.fail_writes(false);
        assert_eq!(document(&t), before);
        assert!(t.store.is_empty(), "{:?}", t.store.accounts());
        assert!(t.ctx.records.ledger().unwrap().is_empty());
        // And with nothing failing, the iClient comes with its secret.
        let done = import(&t.ctx, doc(), secrets(), false, false, Path::new("b")).unwrap();
        assert_eq!(done.client_secrets, ["app"]);
        assert_eq!(t.store.accounts(), ["iclient/ic1"]);
        assert_eq!(
            t.ctx.records.load().unwrap().iclients().unwrap()[0].secret_store,
            StoreKind::Os
        );
    }

    #[test]
    fn a_token_that_cannot_be_saved_leaves_its_connection_pending_and_says_how_to_finish() {
        let dir = tempfile::tempdir().unwrap();
        let t = crate::connect::testing::ctx(dir.path(), &[]);
        let c = store::Connection::pending("shop", AuthType::Token, "abc123".parse().unwrap());
        let mut s = Secrets::default();
        s.tokens
            .insert(c.id.clone(), SecretString::from("tok".to_string()));
        let d = Document {
            connections: vec![c],
            ..Document::default()
        };
        t.store.fail_set(true);
        let err = import(&t.ctx, d.clone(), s, false, false, Path::new("b")).unwrap_err();
        let (_, message, hint) = crate::error::report(&err).into_parts();
        assert!(message.contains("pending"), "{message}");
        assert!(hint.unwrap_or_default().contains("--replace"));
        let tx = t.ctx.records.load().unwrap();
        assert_eq!(
            tx.connection("shop").unwrap().unwrap().state,
            State::Pending
        );
        assert!(t.store.is_empty());
    }

    #[test]
    fn age_files_are_told_from_documents() {
        assert!(is_age(b"age-encryption.org/v1\n-> X25519"));
        assert!(is_age(b"\n  -----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(!is_age(b"{\"version\": 2}"));
        assert!(!is_age(b" age-encryption.org/v1"));
    }

    #[test]
    fn a_secret_key_given_as_recipient_is_not_echoed() {
        let id = age::x25519::Identity::generate();
        let key = id.to_string().expose_secret().to_string();
        let err = recipient(&key).unwrap_err().to_string();
        assert!(
            err.contains("secret key") && !err.contains(&key[16..]),
            "{err}"
        );
        assert!(recipient(&id.to_public().to_string()).is_ok());
        let err = recipient("age1\u{7}x").unwrap_err().to_string();
        assert!(!err.contains('\u{7}'), "{err}");
    }
}
