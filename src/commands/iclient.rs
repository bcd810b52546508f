//! `bcconn iclient add|edit|list|show|remove`: saved client id / secret pairs.

use anyhow::Result;
use serde::Serialize;

use crate::cli::{
    IclientAddArgs, IclientCommand, IclientEditArgs, IclientRemoveArgs, ListArgs, ShowArgs,
};
use crate::commands::{SecretSource, confirm, read_secret};
use crate::context::Context;
use crate::error::usage;
use crate::secrets::iclient_account;
use crate::store::{self, IClient, RecordFile};
use crate::ui;

/// The callback URL bcconn listens on unless told otherwise.
pub const DEFAULT_CALLBACK_URL: &str = "http://localhost:8765/auth";

pub fn run(ctx: &Context, cmd: IclientCommand) -> Result<u8> {
    match cmd {
        IclientCommand::Add(args) => add(ctx, args),
        IclientCommand::Edit(args) => edit(ctx, args),
        IclientCommand::List(args) => list(ctx, args),
        IclientCommand::Show(args) => show(ctx, args),
        IclientCommand::Remove(args) => remove(ctx, args),
    }
}

/// Checks a callback URL: absolute http(s) with a host, no fragment.
pub fn validate_callback_url(url: &str) -> Result<String, crate::error::Failure> {
    let hint = format!("use the exact URL registered in the app, e.g. {DEFAULT_CALLBACK_URL}");
    let parsed = url::Url::parse(url).map_err(|e| {
        usage(format!("{url:?} is not a valid callback URL ({e})")).hint(hint.clone())
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(usage(format!(
            "the callback URL {url:?} must be an http:// or https:// URL with a host"
        ))
        .hint(hint));
    }
    if parsed.fragment().is_some() {
        return Err(usage(format!(
            "the callback URL {url:?} must not have a #fragment"
        ))
        .hint(hint));
    }
    // Keep what the person typed: redirect_uri must match the registered
    // URL byte for byte, and Url would normalise it (e.g. add a '/').
    Ok(url.to_string())
}

pub fn validate_client_id(raw: &str) -> Result<String, crate::error::Failure> {
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
    pub secret: secrecy::SecretString,
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
    };
    secrets.set(&iclient_account(&iclient.id), &new.secret)?;
    let saved = iclient.clone();
    let result = ctx.records.update(move |file| {
        file.check_iclient_name_free(&iclient.name, None)?;
        file.iclients.push(iclient);
        Ok(())
    });
    if let Err(e) = result {
        // Lost a race for the name, or the file is unreadable: take the secret back.
        let _ = secrets.delete(&iclient_account(&saved.id));
        return Err(e);
    }
    Ok(saved)
}

fn add(ctx: &Context, args: IclientAddArgs) -> Result<u8> {
    ctx.records
        .load()?
        .check_iclient_name_free(&args.name, None)?;
    let client_id = match &args.client_id {
        Some(id) => validate_client_id(id)?,
        None if ctx.interactive => {
            let id = inquire::Text::new("Client id:")
                .with_help_message("Developer Portal › My Apps › View Client ID")
                .prompt()
                .map_err(super::prompt_error)?;
            validate_client_id(&id)?
        }
        None => {
            return Err(usage("no client id given")
                .hint("pass --client-id ID (Developer Portal › My Apps › View Client ID)")
                .into());
        }
    };
    let callback_url =
        validate_callback_url(args.callback_url.as_deref().unwrap_or(DEFAULT_CALLBACK_URL))?;
    let secret = read_secret(
        ctx,
        SecretSource {
            what: "client secret",
            stdin: args.client_secret_stdin,
            stdin_flag: "--client-secret-stdin",
            env_value: ctx.env.client_secret.as_ref(),
            env_name: "BCCONN_CLIENT_SECRET",
        },
    )?;
    let saved = save_new(
        ctx,
        NewIClient {
            name: args.name,
            client_id,
            callback_url,
            secret,
        },
    )?;
    ctx.ui.step(&format!(
        "Saved iClient {:?} (client id {}); its secret is in {}",
        saved.name,
        saved.client_id,
        saved.secret_store.describe()
    ));
    ctx.ui.say(&format!(
        "Register {} as the Auth, Load and Uninstall callback URL of the app.",
        ctx.ui.bold(&saved.callback_url)
    ));
    Ok(0)
}

fn edit(ctx: &Context, args: IclientEditArgs) -> Result<u8> {
    let current = ctx.records.load()?.require_iclient(&args.name)?.clone();
    if args.client_id.is_none()
        && args.callback_url.is_none()
        && args.rename.is_none()
        && !args.client_secret_stdin
        && !args.secret
    {
        return Err(usage("nothing to change")
            .hint("pass --client-id, --callback-url, --rename, --secret or --client-secret-stdin")
            .into());
    }
    let client_id = args
        .client_id
        .as_deref()
        .map(validate_client_id)
        .transpose()?;
    let callback_url = args
        .callback_url
        .as_deref()
        .map(validate_callback_url)
        .transpose()?;
    if let Some(new) = &args.rename {
        ctx.records
            .load()?
            .check_iclient_name_free(new, Some(&current.id))?;
    }
    let mut new_store = None;
    if args.client_secret_stdin || args.secret {
        let secret = read_secret(
            ctx,
            SecretSource {
                what: "client secret",
                stdin: args.client_secret_stdin,
                stdin_flag: "--client-secret-stdin",
                env_value: ctx.env.client_secret.as_ref(),
                env_name: "BCCONN_CLIENT_SECRET",
            },
        )?;
        let secrets = ctx.default_secrets()?;
        let account = iclient_account(&current.id);
        // Keep the old secret until the record says where the new one is.
        let old = crate::secrets::snapshot(secrets.as_ref(), &account, Some(current.secret_store))?;
        secrets.set(&account, &secret)?;
        new_store = Some((secrets, old));
    }
    let id = current.id.clone();
    let updated = ctx.records.update(|file| {
        if let Some(new) = &args.rename {
            file.check_iclient_name_free(new, Some(&id))?;
        }
        let ic = file
            .iclients
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| usage(format!("iClient {:?} was removed meanwhile", args.name)))?;
        if let Some(v) = client_id {
            ic.client_id = v;
        }
        if let Some(v) = callback_url {
            ic.callback_url = v;
        }
        if let Some(v) = &args.rename {
            ic.name = v.clone();
        }
        if let Some((secrets, _)) = &new_store {
            ic.secret_store = secrets.kind();
        }
        ic.updated_at = store::now();
        Ok(ic.clone())
    });
    let account = iclient_account(&current.id);
    let updated = match (updated, new_store) {
        (Ok(updated), Some((secrets, _))) => {
            if secrets.kind() != current.secret_store {
                // Moved to another store: do not leave the old copy behind.
                let _ = ctx
                    .secrets(current.secret_store)
                    .and_then(|s| s.delete(&account));
            }
            updated
        }
        (Ok(updated), None) => updated,
        (Err(e), Some((secrets, old))) => {
            // Put the secret store back as the record still describes it.
            crate::secrets::restore(secrets.as_ref(), &account, old.as_ref());
            return Err(e);
        }
        (Err(e), None) => return Err(e),
    };
    ctx.ui.step(&format!("Updated iClient {:?}", updated.name));
    if args.callback_url.is_some() {
        ctx.ui.say(&format!(
            "Register {} as the app's Auth, Load and Uninstall callback URL too.",
            ctx.ui.bold(&updated.callback_url)
        ));
    }
    Ok(0)
}

#[derive(Serialize)]
struct IClientView<'a> {
    name: &'a str,
    id: &'a str,
    client_id: &'a str,
    callback_url: &'a str,
    secret_store: &'a str,
    connections: Vec<&'a str>,
    created_at: &'a str,
    updated_at: &'a str,
}

fn view<'a>(file: &'a RecordFile, ic: &'a IClient) -> IClientView<'a> {
    IClientView {
        name: &ic.name,
        id: &ic.id,
        client_id: &ic.client_id,
        callback_url: &ic.callback_url,
        secret_store: ic.secret_store.as_str(),
        connections: file
            .users_of_iclient(&ic.id)
            .iter()
            .map(|c| c.name.as_str())
            .collect(),
        created_at: &ic.created_at,
        updated_at: &ic.updated_at,
    }
}

fn list(ctx: &Context, args: ListArgs) -> Result<u8> {
    let file = ctx.records.load()?;
    let views: Vec<IClientView> = file.iclients.iter().map(|ic| view(&file, ic)).collect();
    if args.json {
        ui::out_json(&views)?;
        return Ok(0);
    }
    if views.is_empty() {
        ctx.ui
            .say("No iClients yet. Add one with `bcconn iclient add NAME --client-id ID`.");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.name.to_string(),
                v.client_id.to_string(),
                v.callback_url.to_string(),
                if v.connections.is_empty() {
                    "-".into()
                } else {
                    v.connections.join(", ")
                },
            ]
        })
        .collect();
    ui::out(&ui::table(
        &["NAME", "CLIENT ID", "CALLBACK URL", "CONNECTIONS"],
        &rows,
    ))?;
    Ok(0)
}

fn show(ctx: &Context, args: ShowArgs) -> Result<u8> {
    let file = ctx.records.load()?;
    let ic = file.require_iclient(&args.name)?;
    // Reading the secret tells whether it is really there; only a mask is shown.
    let secret = match ctx
        .secrets(ic.secret_store)
        .and_then(|s| s.get(&iclient_account(&ic.id)))
    {
        Ok(Some(_)) => format!("******** (in {})", ic.secret_store.describe()),
        Ok(None) => format!(
            "missing from {}: set it with `bcconn iclient edit {} --secret`",
            ic.secret_store.describe(),
            ui::shell_word(&ic.name)
        ),
        Err(e) => format!("unreadable ({})", crate::error::report(&e).1),
    };
    let v = view(&file, ic);
    if args.json {
        #[derive(Serialize)]
        struct WithSecret<'a> {
            #[serde(flatten)]
            view: IClientView<'a>,
            secret: String,
        }
        ui::out_json(&WithSecret { view: v, secret })?;
        return Ok(0);
    }
    let conns = if v.connections.is_empty() {
        "-".to_string()
    } else {
        v.connections.join(", ")
    };
    let rows = vec![
        vec!["name".into(), v.name.to_string()],
        vec!["id".into(), v.id.to_string()],
        vec!["client id".into(), v.client_id.to_string()],
        vec!["client secret".into(), secret],
        vec!["callback url".into(), v.callback_url.to_string()],
        vec!["connections".into(), conns],
        vec!["created".into(), v.created_at.to_string()],
        vec!["updated".into(), v.updated_at.to_string()],
    ];
    ui::out(&kv(&rows))?;
    Ok(0)
}

/// "key   value" lines.
pub fn kv(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
    rows.iter()
        .map(|r| format!("{:width$}  {}\n", r[0], r[1]))
        .collect()
}

fn remove(ctx: &Context, args: IclientRemoveArgs) -> Result<u8> {
    let file = ctx.records.load()?;
    let ic = file.require_iclient(&args.name)?.clone();
    refuse_if_used(&file, &ic)?;
    if !args.yes
        && !confirm(
            ctx,
            &format!("Remove iClient {:?} and its secret?", ic.name),
        )?
    {
        ctx.ui.say("Nothing removed.");
        return Ok(0);
    }
    ctx.records.update(|file| {
        let ic = file.require_iclient(&args.name)?.clone();
        refuse_if_used(file, &ic)?;
        file.iclients.retain(|c| c.id != ic.id);
        Ok(())
    })?;
    // The record is gone; a secret that cannot be removed now is reported
    // (a retry could no longer find it by name).
    if let Err(e) = ctx
        .secrets(ic.secret_store)
        .and_then(|s| s.delete(&iclient_account(&ic.id)))
    {
        ctx.ui.warn(&format!(
            "the iClient is removed but its secret (account {} under service bcconn) could not be deleted from {}: {}",
            iclient_account(&ic.id),
            ic.secret_store.describe(),
            crate::error::report(&e).1
        ));
    }
    ctx.ui
        .step(&format!("Removed iClient {:?} and its secret", ic.name));
    Ok(0)
}

fn refuse_if_used(file: &RecordFile, ic: &IClient) -> Result<(), crate::error::Failure> {
    let users: Vec<&str> = file
        .users_of_iclient(&ic.id)
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    if users.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "iClient {:?} is used by {}: {}",
        ic.name,
        if users.len() == 1 { "a connection" } else { "connections" },
        users.join(", ")
    ))
    .hint("delete those connections or move them to another iClient with `bcconn edit NAME --iclient OTHER` first"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;
    use crate::secrets::{MemoryStore, SecretStore, StoreKind};
    use secrecy::{ExposeSecret, SecretString};
    use std::rc::Rc;

    fn ctx(home: &std::path::Path) -> (Context, Rc<MemoryStore>) {
        let dir = home.to_path_buf();
        let env = Env::from_lookup(|k| (k == "BCCONN_HOME").then(|| dir.clone().into_os_string()));
        let ctx = Context::new(env);
        let store = Rc::new(MemoryStore::new(StoreKind::Os));
        ctx.set_store(store.clone());
        (ctx, store)
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
        let text = std::fs::read_to_string(ctx.records.path()).unwrap();
        assert!(text.contains(&saved.id) && !text.contains("s3cret"));
    }

    #[test]
    fn a_taken_name_stores_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, store) = ctx(dir.path());
        save_new(&ctx, new("app")).unwrap();
        let err = save_new(&ctx, new("APP")).unwrap_err();
        assert!(err.to_string().contains("already exists"));
        let file = ctx.records.load().unwrap();
        assert_eq!(file.iclients.len(), 1);
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
    }
}
