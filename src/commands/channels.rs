//! `bcconn channels [-c NAME] [--json]`: the store's storefront channels
//! (id, name, platform, status, site URL), so a channel id never has to be
//! guessed for a storefront token.

use anyhow::Result;
use clap::Args;

use crate::connect::storefront::{self, channels};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn channels\n  \
    bcconn channels -c shop --json | jq '.[].id'\n\n\
    Lists the channels BigCommerce says are storefronts available for use (GET \
    /v3/channels?available=true&type=storefront, every page), with the primary URL of \
    each one's site (GET /v3/sites, one request per 100 channels). Needs scope \
    store_channel_settings_read_only; without store_sites_read_only the URLs are left out, \
    with a note. Exit codes: 0 listed; 1 the store refused or did not answer; 2 bad input.")]
pub struct ChannelsArgs {
    /// The connection to use (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    #[arg(short = 'c', long = "connection", value_name = "NAME")]
    pub connection: Option<String>,
    /// Print JSON (an array of channels; `[]` when there are none)
    #[arg(long)]
    pub json: bool,
}

/// Narrowed, the URL gives way first, the id and name last.
const COLUMNS: [ui::Column<'static>; 5] = [
    ui::Column::new("ID", 9),
    ui::Column::new("NAME", 8),
    ui::Column::new("PLATFORM", 3),
    ui::Column::new("STATUS", 5),
    ui::Column::new("SITE URL", 0),
];

pub fn run(ctx: &Context, args: ChannelsArgs) -> Result<ExitStatus> {
    let mut target = storefront::target(ctx, args.connection.as_deref())?;
    let got = channels::list(ctx, &mut target)?;
    if args.json {
        ui::out_json(&got.list)?;
    } else if got.list.is_empty() {
        ctx.ui.say(&format!(
            "Store {} has no storefront channel available.",
            target.conn.store_hash
        ));
    } else {
        let rows: Vec<Vec<String>> = got
            .list
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    c.name.clone(),
                    c.platform.clone(),
                    c.status.clone(),
                    c.site_url.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        let width = ctx.ui.table_width(ctx.env.columns, false);
        ui::out(&ui::Table::new(&COLUMNS, &rows).fit(width).render())?;
    }
    if let Some(lines) = got.no_sites {
        let mut lines = lines.into_iter();
        if let Some(first) = lines.next() {
            ctx.ui.warn(&first);
        }
        for line in lines {
            ctx.ui.say(&format!("  {line}"));
        }
    }
    Ok(ExitStatus::Success)
}
