//! `bcconn iclient edit`: change an iClient's client id, secret, callback
//! URL or name.

use anyhow::Result;
use clap::Args;

use crate::connect::iclient_intake::client_secret;
use crate::connect::iclients::{
    IClientEdit, edit as edit_iclient, validate_callback_url, validate_client_id,
};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;

#[derive(Debug, Args)]
pub struct IclientEditArgs {
    /// The iClient to change (see `bcconn iclient list`)
    pub name: String,
    /// New client id
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// New callback URL
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Read a new client secret from stdin
    #[arg(long, conflicts_with = "secret")]
    pub client_secret_stdin: bool,
    /// Ask for a new client secret (hidden prompt), or take BCCONN_CLIENT_SECRET
    #[arg(long)]
    pub secret: bool,
    /// Rename the iClient
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
}

pub fn run(ctx: &Context, args: IclientEditArgs) -> Result<ExitStatus> {
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
        Some(client_secret(ctx, args.client_secret_stdin)?)
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
