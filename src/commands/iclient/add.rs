//! `bcconn iclient add`: save a client id / secret pair.

use anyhow::Result;
use clap::Args;

use crate::connect::iclient_intake::{client_id, client_secret};
use crate::connect::iclients::{DEFAULT_CALLBACK_URL, NewIClient, save_new, validate_callback_url};
use crate::context::Context;
use crate::error::ExitStatus;

#[derive(Debug, Args)]
pub struct IclientAddArgs {
    /// A name for this app's client id and secret, e.g. my-app
    pub name: String,
    /// The app's client id (Developer Portal › My Apps › View Client ID)
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The callback URL registered in the app
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Read the client secret from stdin
    #[arg(long)]
    pub client_secret_stdin: bool,
}

pub fn run(ctx: &Context, args: IclientAddArgs) -> Result<ExitStatus> {
    ctx.records
        .load()?
        .check_iclient_name_free(&args.name, None)?;
    crate::connect::ready::secret_store(ctx)?;
    let client_id = client_id(ctx, args.client_id.as_deref())?;
    let callback_url =
        validate_callback_url(args.callback_url.as_deref().unwrap_or(DEFAULT_CALLBACK_URL))?;
    let secret = client_secret(ctx, args.client_secret_stdin)?;
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
