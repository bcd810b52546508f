//! `bcconn iclient add|edit|list|show|remove`: saved client id / secret pairs.

mod add;
mod edit;
mod list;
mod remove;
mod show;

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

use crate::context::Context;
use crate::error::ExitStatus;
use crate::store::{IClient, Tx};
use add::IclientAddArgs;
use edit::IclientEditArgs;
use list::IclientListArgs;
use remove::IclientRemoveArgs;
use show::IclientShowArgs;

#[derive(Debug, Subcommand)]
pub enum IclientCommand {
    /// Save a client id / secret pair (the secret is read from a prompt, stdin or BCCONN_CLIENT_SECRET)
    #[command(
        after_help = "Examples:\n  bcconn iclient add my-app --client-id abc123def   # asks for the secret\n  pass show my-app | bcconn iclient add my-app --client-id abc123def --client-secret-stdin"
    )]
    Add(IclientAddArgs),
    /// Change an iClient's client id, secret or callback URL
    #[command(
        after_help = "Examples:\n  bcconn iclient edit my-app --secret\n  bcconn iclient edit my-app --callback-url http://localhost:9000/auth"
    )]
    Edit(IclientEditArgs),
    /// List iClients and the connections using each
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  bcconn iclient list\n  bcconn iclient list --json | jq -r '.[].name'"
    )]
    List(IclientListArgs),
    /// Show one iClient (secret masked)
    #[command(after_help = "Example:\n  bcconn iclient show my-app")]
    Show(IclientShowArgs),
    /// Remove an iClient and its secret (refused while a connection uses it)
    #[command(
        visible_alias = "rm",
        after_help = "Example:\n  bcconn iclient remove my-app --yes"
    )]
    Remove(IclientRemoveArgs),
}

pub fn run(ctx: &Context, cmd: IclientCommand) -> Result<ExitStatus> {
    match cmd {
        IclientCommand::Add(args) => add::run(ctx, args),
        IclientCommand::Edit(args) => edit::run(ctx, args),
        IclientCommand::List(args) => list::run(ctx, args),
        IclientCommand::Show(args) => show::run(ctx, args),
        IclientCommand::Remove(args) => remove::run(ctx, args),
    }
}

#[derive(Serialize)]
pub(super) struct IClientView<'a> {
    pub(super) name: &'a str,
    pub(super) id: &'a str,
    pub(super) client_id: &'a str,
    pub(super) callback_url: &'a str,
    pub(super) secret_store: &'a str,
    pub(super) connections: Vec<String>,
    pub(super) created_at: &'a str,
    pub(super) updated_at: &'a str,
}

pub(super) fn view<'a>(file: &Tx, ic: &'a IClient) -> Result<IClientView<'a>> {
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

/// A name as a table shows it: a hand-edited record may hold ESC (which
/// repaints or retitles the terminal) or a 10,000-character name.
pub(super) fn name(n: &str) -> String {
    crate::text::outside(n, crate::store::MAX_NAME + 16)
}

/// The connections using an iClient, each as [`name`] shows it.
pub(super) fn names<S: AsRef<str>>(list: &[S]) -> String {
    if list.is_empty() {
        return "-".into();
    }
    list.iter()
        .map(|n| name(n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
