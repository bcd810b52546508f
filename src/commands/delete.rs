//! `bcconn delete NAME`: forget a connection and its stored token.
//!
//! BigCommerce has no endpoint to revoke an app's token, so bcconn can only
//! forget it locally; it says where the person can revoke it for real.

use anyhow::Result;
use clap::Args;

use crate::connect::default;
use crate::connect::intake::confirm;
use crate::connect::remove;
use crate::connect::rules::shown;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::store::{AuthType, State};
use crate::text::shell_word;

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The connection to forget (see `bcconn list`)
    pub name: String,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(ctx: &Context, args: DeleteArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let conn = remove::deletable(&file, &args.name)?;
    // On a shared store the record goes for every machine of the team.
    let everyone = ctx
        .records
        .shared()
        .map(|pg| format!(" for everyone using the shared store {}", pg.shown()))
        .unwrap_or_default();
    // Said before asking: the token's webhooks outlive what bcconn can do.
    if let Some(note) = crate::connect::hooks::before_forgetting(ctx, &file, &conn) {
        ctx.ui.warn(&note);
    }
    // Also said before asking (and with --yes): a saved storefront token
    // keeps working at BigCommerce once forgotten, so revoking comes first.
    if !conn.storefront_tokens.is_empty() {
        let first = &conn.storefront_tokens[0];
        ctx.ui.warn(&format!(
            "{:?} has saved storefront tokens ({}); deleting forgets them but BigCommerce honours them until they expire; to end one first: `bcconn storefront-token revoke -c {} --saved {}`",
            conn.name,
            crate::connect::storefront::saved::names(&conn),
            shell_word(&conn.name),
            shell_word(&first.name)
        ));
    }
    let storefront = match conn.storefront_tokens.len() {
        0 => String::new(),
        1 => " and its saved storefront token".into(),
        n => format!(" and its {n} saved storefront tokens"),
    };
    if !args.yes
        && !confirm(
            ctx,
            &if conn.token_store.is_some() {
                format!(
                    "Delete connection {:?} and its stored token{storefront}{everyone}?",
                    conn.name
                )
            } else {
                format!("Delete connection {:?}{storefront}{everyone}?", conn.name)
            },
        )?
    {
        ctx.ui.say("Nothing deleted.");
        return Ok(ExitStatus::Success);
    }
    let remove::Removed {
        conn: removed,
        was_default,
    } = remove::connection(ctx, &args.name)?;
    ctx.ui
        .step(&format!("Deleted connection {:?}{everyone}", removed.name));
    if was_default {
        ctx.ui.say("It was the global default: no global default is set now (`bcconn use --global NAME` sets one).");
    }
    stale_dotfiles(ctx, &removed.name);
    if !removed.storefront_tokens.is_empty() {
        ctx.ui.say(&format!(
            "Its saved storefront tokens ({}) were forgotten too; BigCommerce honours them until they expire.",
            crate::connect::storefront::saved::names(&removed)
        ));
    }
    // Nothing to revoke for a connection that never had a token, or whose
    // token BigCommerce already ended.
    if removed.state != State::Authorized {
        return Ok(ExitStatus::Success);
    }
    let revoke = match removed.auth_type {
        AuthType::Oauth2 => format!(
            "The token still works in BigCommerce: to revoke it, uninstall the app from store {} (control panel › Apps › My Apps).",
            removed.store_hash
        ),
        AuthType::Token => format!(
            "The token still works in BigCommerce: to revoke it, delete the API account in store {} (Settings › API › Store-level API accounts).",
            removed.store_hash
        ),
    };
    ctx.ui.say(&revoke);
    Ok(ExitStatus::Success)
}

/// A `.bcconn` here or above that names the deleted connection now names
/// nothing: said now, not at the next command that relies on it.
fn stale_dotfiles(ctx: &Context, name: &str) {
    let Ok(here) = crate::env::current_dir() else {
        return;
    };
    for path in default::naming(&here, name) {
        ctx.ui.warn(&format!(
            "{} still names {}: remove it (`bcconn use --unset` in its directory) or point it at another connection",
            default::shown_path(&path),
            shown(name)
        ));
    }
}
