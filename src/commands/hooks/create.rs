//! `bcconn hooks create --scope EVENT --destination URL`: a webhook owned
//! by the connection's token. The destination is checked before anything
//! is sent (https, port 443: BigCommerce's rule); header values stay off
//! the command line when they come from `--header-file` or a prompt.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::HookConnection;
use crate::bigcommerce::hooks;
use crate::connect::hooks::{Hooks, NewHook, headers};
use crate::context::Context;
use crate::error::{ExitStatus, usage};
use crate::ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn hooks create -c shop --scope store/order/created --destination https://example.com/hooks\n  \
    bcconn hooks create -c shop --scope 'store/product/*' --destination https://example.com/p --header-file headers.txt\n\n\
    The new webhook's id is printed on stdout. BigCommerce shows a webhook only to the token \
    that created it: list, change and delete it with the same connection. Header values are \
    often secrets (a password the destination checks): a value on the command line \
    (--header 'Name: value') can be read by other users of this machine, so put `Name: value` \
    lines in a file (--header-file FILE, or - for stdin), or give --header Name alone to be \
    asked for its value on a terminal. Exit codes: 0 created; 1 BigCommerce refused it (422: \
    a duplicate, more than 10 for one event); 2 bad input, nothing sent.")]
pub struct HooksCreateArgs {
    #[command(flatten)]
    pub conn: HookConnection,
    /// The event, BigCommerce's `scope` of the hook: store/order/created, store/product/*
    #[arg(long = "scope", value_name = "EVENT")]
    pub event: String,
    /// Where BigCommerce POSTs the events: an https:// URL on port 443
    #[arg(long, value_name = "URL")]
    pub destination: String,
    /// A header BigCommerce sends with each event: 'Name: value', or Name alone to be asked for its value (values on the command line are visible to other users)
    #[arg(long = "header", value_name = "HEADER[: VALUE]")]
    pub headers: Vec<String>,
    /// Headers from a file of `Name: value` lines (- for stdin): keeps their values off the command line
    #[arg(long, value_name = "FILE")]
    pub header_file: Option<PathBuf>,
    /// Create it turned off (`bcconn hooks enable ID` turns it on)
    #[arg(long)]
    pub inactive: bool,
}

pub fn run(ctx: &Context, args: HooksCreateArgs) -> Result<ExitStatus> {
    // Refused before any request: nothing is sent for a bad hook.
    let event = args.event.trim().to_string();
    hooks::check_scope(&event).map_err(usage)?;
    let destination = hooks::check_destination(&args.destination).map_err(|why| {
        usage(why).hint("give https://host/path (port 443); a tunnel such as ngrok gives one for a local server")
    })?;
    let mut hooks = Hooks::open(ctx, args.conn.connection.as_deref())?;
    let headers = headers(ctx, &args.headers, args.header_file.as_deref())?;
    let hook = hooks.create(
        ctx,
        &NewHook {
            scope: event,
            destination,
            headers,
            active: !args.inactive,
        },
    )?;
    ctx.ui.step(&format!(
        "Created webhook {} for {:?} ({})",
        hook.short(),
        hooks.connection().name,
        hooks::state(hook.is_active)
    ));
    ui::out(&format!("{}\n", hook.id))?;
    Ok(ExitStatus::Success)
}
