//! `bcconn iclient add|edit|list|show|remove`: saved client id / secret pairs.

use anyhow::Result;
use serde::Serialize;

use crate::cli::{
    IclientAddArgs, IclientCommand, IclientEditArgs, IclientListArgs, IclientRemoveArgs,
    IclientShowArgs,
};
use crate::connect::iclients::{
    DEFAULT_CALLBACK_URL, IClientEdit, NewIClient, edit as edit_iclient, save_new,
    validate_callback_url, validate_client_id,
};
use crate::connect::intake::{SecretSource, confirm, read_secret, stopped};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::seams::Ask;
use crate::secrets::iclient_account;
use crate::store::{IClient, Tx};
use crate::ui;

pub fn run(ctx: &Context, cmd: IclientCommand) -> Result<ExitStatus> {
    match cmd {
        IclientCommand::Add(args) => add(ctx, args),
        IclientCommand::Edit(args) => edit(ctx, args),
        IclientCommand::List(args) => list(ctx, args),
        IclientCommand::Show(args) => show(ctx, args),
        IclientCommand::Remove(args) => remove(ctx, args),
    }
}

fn add(ctx: &Context, args: IclientAddArgs) -> Result<ExitStatus> {
    ctx.records
        .load()?
        .check_iclient_name_free(&args.name, None)?;
    let client_id = match &args.client_id {
        Some(id) => validate_client_id(id)?,
        None if ctx.interactive => {
            let check = |input: &str| validate_client_id(input).map(|_| ()).map_err(|e| e.message);
            let id = ctx
                .ask(|p| {
                    p.text(&Ask {
                        message: "Client id:",
                        help: Some("Developer Portal › My Apps › View Client ID"),
                        default: None,
                        check: &check,
                    })
                })
                .map_err(stopped)?;
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
    Ok(ExitStatus::Success)
}

fn edit(ctx: &Context, args: IclientEditArgs) -> Result<ExitStatus> {
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
    let secret = if args.client_secret_stdin || args.secret {
        Some(read_secret(
            ctx,
            SecretSource {
                what: "client secret",
                stdin: args.client_secret_stdin,
                stdin_flag: "--client-secret-stdin",
                env_value: ctx.env.client_secret.as_ref(),
                env_name: "BCCONN_CLIENT_SECRET",
            },
        )?)
    } else {
        None
    };
    let updated = edit_iclient(
        ctx,
        &current,
        IClientEdit {
            client_id,
            callback_url,
            rename: args.rename.clone(),
            secret,
        },
    )?;
    ctx.ui.step(&format!("Updated iClient {:?}", updated.name));
    if args.callback_url.is_some() {
        ctx.ui.say(&format!(
            "Register {} as the app's Auth, Load and Uninstall callback URL too.",
            ctx.ui.bold(&updated.callback_url)
        ));
    }
    Ok(ExitStatus::Success)
}

#[derive(Serialize)]
struct IClientView<'a> {
    name: &'a str,
    id: &'a str,
    client_id: &'a str,
    callback_url: &'a str,
    secret_store: &'a str,
    connections: Vec<String>,
    created_at: &'a str,
    updated_at: &'a str,
}

fn view<'a>(file: &Tx, ic: &'a IClient) -> Result<IClientView<'a>> {
    Ok(IClientView {
        name: &ic.name,
        id: &ic.id,
        client_id: &ic.client_id,
        callback_url: &ic.callback_url,
        secret_store: ic.secret_store.as_str(),
        connections: file
            .users_of_iclient(&ic.id)?
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        created_at: &ic.created_at,
        updated_at: &ic.updated_at,
    })
}

fn list(ctx: &Context, args: IclientListArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let views: Vec<IClientView> = file
        .iclients()?
        .iter()
        .map(|ic| view(&file, ic))
        .collect::<Result<_>>()?;
    if args.json {
        ui::out_json(&views)?;
        return Ok(ExitStatus::Success);
    }
    if views.is_empty() {
        ctx.ui
            .say("No iClients yet. Add one with `bcconn iclient add NAME --client-id ID`.");
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                name(v.name),
                crate::text::outside(v.client_id, 200),
                crate::text::outside(v.callback_url, 200),
                names(&v.connections),
            ]
        })
        .collect();
    ui::out(&ui::table(
        &["NAME", "CLIENT ID", "CALLBACK URL", "CONNECTIONS"],
        &rows,
    ))?;
    Ok(ExitStatus::Success)
}

fn show(ctx: &Context, args: IclientShowArgs) -> Result<ExitStatus> {
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
        Err(e) => format!("unreadable ({})", crate::error::message(&e)),
    };
    let v = view(&file, ic)?;
    if args.json {
        #[derive(Serialize)]
        struct WithSecret<'a> {
            #[serde(flatten)]
            view: IClientView<'a>,
            secret: String,
        }
        ui::out_json(&WithSecret { view: v, secret })?;
        return Ok(ExitStatus::Success);
    }
    let conns = names(&v.connections);
    let rows = vec![
        vec!["name".into(), name(v.name)],
        vec!["id".into(), crate::text::outside(v.id, 200)],
        vec!["client id".into(), crate::text::outside(v.client_id, 200)],
        vec!["client secret".into(), secret],
        vec![
            "callback url".into(),
            crate::text::outside(v.callback_url, 200),
        ],
        vec!["connections".into(), conns],
        vec!["created".into(), v.created_at.to_string()],
        vec!["updated".into(), v.updated_at.to_string()],
    ];
    ui::out(&ui::kv(&rows))?;
    Ok(ExitStatus::Success)
}

fn remove(ctx: &Context, args: IclientRemoveArgs) -> Result<ExitStatus> {
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
        return Ok(ExitStatus::Success);
    }
    ctx.records.update(|file| {
        let ic = file.require_iclient(&args.name)?.clone();
        refuse_if_used(file, &ic)?;
        file.iclients_mut()?.retain(|c| c.id != ic.id);
        file.secret_retire(ic.secret_store.as_str(), &iclient_account(&ic.id))?;
        Ok(())
    })?;
    // The record is gone; a secret that cannot be removed now is reported
    // (a retry could no longer find it by name).
    if let Err(e) = ctx
        .secrets(ic.secret_store)
        .and_then(|s| s.delete(&iclient_account(&ic.id)))
        .and_then(|()| {
            ctx.records
                .ledger_forget(ic.secret_store.as_str(), &iclient_account(&ic.id))
        })
    {
        ctx.ui.warn(&format!(
            "the iClient is removed but its secret (account {} under service bcconn) could not be deleted from {}: {}",
            iclient_account(&ic.id),
            ic.secret_store.describe(),
            crate::error::message(&e)
        ));
    }
    ctx.ui
        .step(&format!("Removed iClient {:?} and its secret", ic.name));
    Ok(ExitStatus::Success)
}

fn refuse_if_used(file: &Tx, ic: &IClient) -> Result<()> {
    let users: Vec<String> = file
        .users_of_iclient(&ic.id)?
        .iter()
        .map(|c| c.name.clone())
        .collect();
    if users.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "iClient {:?} is used by {}: {}",
        ic.name,
        if users.len() == 1 { "a connection" } else { "connections" },
        crate::connect::rules::few_names(&users)
    ))
    .hint("delete those connections or move them to another iClient with `bcconn edit NAME --iclient OTHER` first")
    .into())
}

/// A name as a table shows it: a hand-edited record may hold ESC (which
/// repaints or retitles the terminal) or a 10,000-character name.
fn name(n: &str) -> String {
    crate::text::outside(n, crate::store::MAX_NAME + 16)
}

/// The connections using an iClient, each as [`name`] shows it.
fn names<S: AsRef<str>>(list: &[S]) -> String {
    if list.is_empty() {
        return "-".into();
    }
    list.iter()
        .map(|n| name(n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
