//! iClients: checking what a person types for one, and saving a new one
//! (its secret first, then its record, as one transaction).

use anyhow::Result;
use secrecy::SecretString;

use super::commit::{Slot, secret_then_record};
use super::rules::{few_names, shown};
use crate::context::Context;
use crate::error::{Failure, usage};
use crate::secrets::iclient_account;
use crate::store::{self, IClient, State};
use crate::text::shell_word;

/// The callback URL bcconn listens on unless told otherwise.
pub const DEFAULT_CALLBACK_URL: &str = "http://localhost:8765/auth";

/// Checks a callback URL: absolute http(s) with a host, no fragment, a
/// port other than 0, and nothing that a terminal would act on (it is
/// printed, and compared byte for byte, as typed). Any path is fine: the
/// loopback server compares the request's path as data.
pub fn validate_callback_url(url: &str) -> Result<String, Failure> {
    let hint = format!("use the exact URL registered in the app, e.g. {DEFAULT_CALLBACK_URL}");
    let shown = crate::text::outside(url, 200);
    if url
        .chars()
        .any(|c| c.is_whitespace() || crate::text::is_unsafe(c))
    {
        return Err(usage(format!(
            "the callback URL \"{shown}\" holds a space or a control character"
        ))
        .hint(hint));
    }
    let parsed = url::Url::parse(url).map_err(|e| {
        usage(format!("\"{shown}\" is not a valid callback URL ({e})")).hint(hint.clone())
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(usage(format!(
            "the callback URL \"{shown}\" must be an http:// or https:// URL with a host"
        ))
        .hint(hint));
    }
    if parsed.fragment().is_some() {
        return Err(usage(format!(
            "the callback URL \"{shown}\" must not have a #fragment"
        ))
        .hint(hint));
    }
    if parsed.port() == Some(0) {
        return Err(usage(format!(
            "the callback URL \"{shown}\" has port 0, which no server can listen on"
        ))
        .hint(hint));
    }
    // Keep what the person typed: redirect_uri must match the registered
    // URL byte for byte, and Url would normalise it (e.g. add a '/').
    Ok(url.to_string())
}

pub fn validate_client_id(raw: &str) -> Result<String, Failure> {
    let id = raw.trim();
    if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(usage(format!("{raw:?} is not a client id"))
            .hint("copy it from the Developer Portal: My Apps › View Client ID"));
    }
    Ok(id.to_string())
}

/// Everything needed to save a new iClient; also built by the wizard.
pub struct NewIClient {
    pub name: String,
    pub client_id: String,
    pub callback_url: String,
    pub secret: SecretString,
}

/// Saves the secret, then the record (a record whose secret is missing would
/// be worse than a stray secret). Returns the new iClient.
pub fn save_new(ctx: &Context, new: NewIClient) -> Result<IClient> {
    ctx.records
        .load()?
        .check_iclient_name_free(&new.name, None)?;
    let secrets = ctx.default_secrets()?;
    let now = store::now();
    let iclient = IClient {
        id: store::new_id(),
        name: new.name,
        client_id: new.client_id,
        callback_url: new.callback_url,
        secret_store: secrets.kind(),
        created_at: now.clone(),
        updated_at: now,
        extra: Default::default(),
    };
    let account = iclient_account(&iclient.id);
    let (saved, twins) = secret_then_record(
        ctx,
        secrets.as_ref(),
        &account,
        Slot::Fresh,
        None,
        &new.secret,
        |file| {
            // Checked again under the lock: another run may have taken the name.
            file.check_iclient_name_free(&iclient.name, None)?;
            let twins = same_client_id(file, &iclient)?;
            file.iclients_mut()?.push(iclient.clone());
            Ok((iclient.clone(), twins))
        },
    )?;
    warn_twins(ctx, &saved, &twins);
    Ok(saved)
}

/// The other iClients with this one's client id: one app saved twice.
fn same_client_id(file: &crate::store::Tx, ic: &IClient) -> Result<Vec<String>> {
    Ok(file
        .iclients()?
        .iter()
        .filter(|o| o.id != ic.id && o.client_id == ic.client_id)
        .map(|o| o.name.clone())
        .collect())
}

/// Two iClients of one app are allowed (another callback URL, say), but
/// their connections on one store share a token: never silently.
fn warn_twins(ctx: &Context, ic: &IClient, twins: &[String]) {
    if twins.is_empty() {
        return;
    }
    let (who, has) = if twins.len() == 1 {
        (format!("iClient {}", shown(&twins[0])), "has")
    } else {
        (format!("iClients {}", few_names(twins)), "have")
    };
    ctx.progress.warn(&format!(
        "{who} {has} the same client id as {}: it is one app, so connections through either on the same store are siblings (BigCommerce keeps one token per app and store)",
        shown(&ic.name)
    ));
}

/// Takes back an iClient this run saved (record, then secret), when what it
/// was saved for failed. Best effort: it runs on an error path.
pub fn take_back(ctx: &Context, ic: &IClient) {
    let account = iclient_account(&ic.id);
    let removed = ctx.records.update(|file| {
        file.iclients_mut()?.retain(|c| c.id != ic.id);
        // Listed until its secret is gone, so a kill in between is found.
        file.secret_retire(ic.secret_store.as_str(), &account)?;
        Ok(())
    });
    if removed.is_ok()
        && ctx
            .secrets(ic.secret_store)
            .and_then(|s| s.delete(&account))
            .is_ok()
    {
        let _ = ctx
            .records
            .ledger_forget(ic.secret_store.as_str(), &account);
    }
}

/// Changes to a saved iClient; `None` keeps what is there.
#[derive(Default)]
pub struct IClientEdit {
    pub client_id: Option<String>,
    pub callback_url: Option<String>,
    pub rename: Option<String>,
    pub secret: Option<SecretString>,
}

impl IClientEdit {
    pub fn is_empty(&self) -> bool {
        self.client_id.is_none()
            && self.callback_url.is_none()
            && self.rename.is_none()
            && self.secret.is_none()
    }
}

/// Saves changes to an iClient: a new secret and the record that points at
/// it as one transaction. Connections using it keep their tokens until they
/// are authorized again.
pub fn edit(ctx: &Context, current: &IClient, change: IClientEdit) -> Result<IClient> {
    let id = current.id.clone();
    let change_record = |file: &mut crate::store::Tx,
                         secret_store: Option<crate::secrets::StoreKind>|
     -> Result<(IClient, Vec<String>, Vec<String>)> {
        let moved = match &change.client_id {
            Some(v) if *v != current.client_id => to_pending(file, &id)?,
            _ => Vec::new(),
        };
        if let Some(new) = &change.rename {
            file.check_iclient_name_free(new, Some(&id))?;
        }
        let ic = file
            .iclients_mut()?
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| usage(format!("iClient {:?} was removed meanwhile", current.name)))?;
        if let Some(v) = &change.client_id {
            ic.client_id = v.clone();
        }
        if let Some(v) = &change.callback_url {
            ic.callback_url = v.clone();
        }
        if let Some(v) = &change.rename {
            ic.name = v.clone();
        }
        if let Some(kind) = secret_store {
            ic.secret_store = kind;
        }
        ic.updated_at = store::now();
        let ic = ic.clone();
        if secret_store.is_some() {
            // Replaced under the same account: the record alone would not
            // show it, and "who changed the secret" is asked.
            file.note_changed(&id, "client_secret");
        }
        let twins = match &change.client_id {
            Some(_) => same_client_id(file, &ic)?,
            None => Vec::new(),
        };
        Ok((ic, moved, twins))
    };
    let (updated, moved, twins) = match &change.secret {
        Some(secret) => {
            let secrets = ctx.default_secrets()?;
            secret_then_record(
                ctx,
                secrets.as_ref(),
                &iclient_account(&current.id),
                Slot::InPlace,
                Some(current.secret_store),
                secret,
                |file| change_record(file, Some(secrets.kind())),
            )?
        }
        None => ctx.records.update(|file| change_record(file, None))?,
    };
    match moved.len() {
        0 => {}
        1 => ctx.progress.warn(&format!(
            "{} got its token through the old client id, another app: it is pending until you run `bcconn authorize {}`",
            shown(&moved[0]),
            shell_word(&moved[0])
        )),
        n => ctx.progress.warn(&format!(
            "{n} connections ({}) got their tokens through the old client id, another app: they are pending until each is authorized again (`bcconn authorize NAME`)",
            few_names(&moved)
        )),
    }
    warn_twins(ctx, &updated, &twins);
    Ok(updated)
}

/// Connections on iClient `id` that hold a token from its app: through
/// another client id (another app) that token no longer counts, so they
/// wait for an authorization, as `edit --iclient` to another app does.
/// Returns their names.
fn to_pending(file: &mut crate::store::Tx, id: &str) -> Result<Vec<String>> {
    let users: Vec<String> = file
        .users_of_iclient(id)?
        .iter()
        .filter(|c| !matches!(c.state, State::Pending | State::Failed))
        .map(|c| c.id.clone())
        .collect();
    let mut names = Vec::new();
    let now = store::now();
    for cid in users {
        if let Some(c) = file.connection_by_id_mut(&cid)? {
            c.state = State::Pending;
            c.superseded_by = None;
            c.last_error = None;
            c.last_error_at = None;
            c.updated_at = now.clone();
            names.push(c.name.clone());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::testing;
    use crate::secrets::{SecretStore, StoreKind};
    use secrecy::ExposeSecret;

    fn ctx(home: &std::path::Path) -> (Context, std::rc::Rc<crate::secrets::MemoryStore>) {
        let t = testing::ctx(home, &[]);
        (t.ctx, t.store)
    }

    fn new(name: &str) -> NewIClient {
        NewIClient {
            name: name.into(),
            client_id: "cid".into(),
            callback_url: DEFAULT_CALLBACK_URL.into(),
            secret: SecretString::from("s3cret".to_string()),
        }
    }

    #[test]
    fn save_new_keys_the_secret_by_id_and_keeps_it_out_of_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, store) = ctx(dir.path());
        let saved = save_new(&ctx, new("app")).unwrap();
        let secret = store.get(&iclient_account(&saved.id)).unwrap().unwrap();
        assert_eq!(secret.expose_secret(), "s3cret");
        assert_eq!(saved.secret_store, StoreKind::Os);
        // Nowhere in the database file (nor in its write-ahead log).
        let mut bytes = std::fs::read(ctx.records.path()).unwrap();
        bytes
            .extend(std::fs::read(ctx.records.path().with_extension("db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(&saved.id), "the record is saved");
        assert!(!text.contains("s3cret"));
    }

    #[test]
    fn a_taken_name_stores_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, store) = ctx(dir.path());
        save_new(&ctx, new("app")).unwrap();
        let err = save_new(&ctx, new("APP")).unwrap_err();
        assert!(err.to_string().contains("already exists"));
        let file = ctx.records.load().unwrap();
        assert_eq!(file.iclients().unwrap().len(), 1);
        // Only the first iClient's secret is in the store.
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn callback_urls_are_kept_byte_for_byte() {
        assert_eq!(
            validate_callback_url("http://localhost:8765").unwrap(),
            "http://localhost:8765"
        );
        assert!(validate_callback_url("localhost:8765/auth").is_err());
        assert!(validate_callback_url("ftp://x/auth").is_err());
        assert!(validate_callback_url("http://x/auth#frag").is_err());
        assert!(validate_callback_url("http://localhost:0/auth").is_err());
        for bad in [
            "http://localhost:8765/auth\u{1b}[2J",
            "http://localhost:8765/a\nb",
            "http://localhost:8765/a\tb",
            "http://localhost:8765/a\u{202E}b",
        ] {
            let e = validate_callback_url(bad).unwrap_err();
            assert!(
                !e.message.chars().any(crate::text::is_unsafe),
                "{}",
                e.message
            );
        }
        // Paths axum's router would read as patterns are plain data here.
        assert!(validate_callback_url("http://127.0.0.1:8765/:id").is_ok());
        assert!(validate_callback_url("http://127.0.0.1:8765/*rest").is_ok());
    }
}
