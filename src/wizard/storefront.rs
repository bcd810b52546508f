//! The walk-through of `bcconn storefront-token create` on a terminal,
//! when flags are missing: the channel (picked from the store's storefront
//! channels), who the token is for (and a server token's scopes, a browser
//! token's origins), the expiry (30 days unless changed), and whether to
//! print the token or save it under a name. A flag given is never asked
//! again; every answer is checked where it is typed.

use anyhow::Result;

use crate::connect::intake::stopped;
use crate::connect::storefront::mint::{self, Draft, For};
use crate::connect::storefront::{Target, channels, saved};
use crate::context::Context;
use crate::error::usage;
use crate::seams::Ask;

/// The expiry offered.
pub const DEFAULT_EXPIRY: &str = "30d";

/// Fills `draft`'s holes by asking; with `save` not given, asks whether to
/// save the token and under which name. Returns the name to save it under
/// (`None`: print it).
pub fn walk(
    ctx: &Context,
    t: &mut Target,
    draft: &mut Draft,
    save: Option<String>,
    replace: bool,
) -> Result<Option<String>> {
    if draft.channels.is_empty() {
        draft.channels = vec![pick_channel(ctx, t)?];
    }
    if draft.for_.is_none() {
        let options = [
            "Server: a private token for server-side code (Catalyst, Next.js)".to_string(),
            "Browser: a token for code in the browser, for up to 2 CORS origins".to_string(),
            "Customer impersonation: acts as any customer (X-Bc-Customer-Id); keep it secret"
                .to_string(),
        ];
        let i = ctx
            .ask(|p| {
                p.select(
                    "Who is the token for?",
                    &options,
                    0,
                    Some("storefront tokens made after 2026-06-30 work only in browsers; servers use private tokens"),
                )
            })
            .map_err(stopped)?;
        draft.for_ = Some([For::Server, For::Browser, For::Impersonation][i]);
        if draft.for_ == Some(For::Browser) && draft.origins.is_empty() {
            draft.origins = ask_origins(ctx)?;
        }
    }
    if draft.for_ == Some(For::Server) && draft.scopes.is_none() {
        let options: Vec<String> = mint::SERVER_SCOPES.iter().map(|s| s.to_string()).collect();
        let picked = ctx
            .ask(|p| {
                p.multi_select(
                    "Scopes of the private token:",
                    &options,
                    &[0],
                    "Unauthenticated: catalog, carts, checkout; Customer: signed-in customers; B2B: B2B Edition",
                    "pick at least one scope",
                )
            })
            .map_err(stopped)?;
        draft.scopes = Some(picked.iter().map(|&i| options[i].clone()).collect());
    }
    if draft.expires_at.is_none() {
        let now = ctx.clock.now();
        let check = |text: &str| mint::expiry(text, now).map(|_| ());
        let text = ctx
            .ask(|p| {
                p.text(&Ask {
                    message: "Expires in (or on):",
                    help: Some("a duration (30d, 12h, 1y) or a date (2026-12-31)"),
                    default: Some(DEFAULT_EXPIRY),
                    initial: None,
                    check: &check,
                })
            })
            .map_err(stopped)?;
        draft.expires_at = Some(mint::expiry(&text, ctx.clock.now()).map_err(usage)?);
    }
    if save.is_some() {
        return Ok(save);
    }
    let options = [
        "Print it on stdout (nothing is kept)".to_string(),
        "Save it with the connection, under a name (env and exec export it)".to_string(),
    ];
    let i = ctx
        .ask(|p| p.select("Print the token or save it?", &options, 0, None))
        .map_err(stopped)?;
    if i == 0 {
        return Ok(None);
    }
    let conn = t.conn.clone();
    let check =
        |name: &str| saved::check_new(&conn, name, replace).map_err(|e| crate::error::message(&e));
    let name = ctx
        .ask(|p| {
            p.text(&Ask {
                message: "Save it as:",
                help: Some("a-z, 0-9, '-', '_', '.'; e.g. web, catalyst-server"),
                default: None,
                initial: None,
                check: &check,
            })
        })
        .map_err(stopped)?;
    Ok(Some(name))
}

/// One of the store's storefront channels.
fn pick_channel(ctx: &Context, t: &mut Target) -> Result<u64> {
    ctx.progress.say("Reading the store's storefront channels…");
    let got = channels::list(ctx, t)?;
    if got.list.is_empty() {
        return Err(usage(format!(
            "store {} has no storefront channel available to pick from",
            t.conn.store_hash
        ))
        .hint("give one with --channel ID (`bcconn channels` lists them)")
        .into());
    }
    let options: Vec<String> = got
        .list
        .iter()
        .map(|c| {
            format!(
                "{}  {} ({}, {}){}",
                c.id,
                c.name,
                c.platform,
                c.status,
                c.site_url
                    .as_deref()
                    .map(|u| format!("  {u}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let i = ctx
        .ask(|p| p.select("Channel:", &options, 0, None))
        .map_err(stopped)?;
    Ok(got.list[i].id)
}

/// A browser token's CORS origins: up to two, comma-separated, or none.
fn ask_origins(ctx: &Context) -> Result<Vec<String>> {
    let split = |text: &str| -> Vec<String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let check = |text: &str| mint::origins(&split(text)).map(|_| ());
    let text = ctx
        .ask(|p| {
            p.text(&Ask {
                message: "CORS origins (up to 2, comma-separated; empty for none):",
                help: Some("e.g. https://shop.example.com, http://localhost:3000"),
                default: Some(""),
                initial: None,
                check: &check,
            })
        })
        .map_err(stopped)?;
    mint::origins(&split(&text)).map_err(|e| usage(e).into())
}
