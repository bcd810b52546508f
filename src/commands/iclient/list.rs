//! `bcconn iclient list`: iClients and the connections using each.

use anyhow::Result;
use clap::Args;

use super::{IClientView, name, names, view};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;

#[derive(Debug, Args)]
pub struct IclientListArgs {
    /// Print JSON (an array of iClients; `[]` when there are none)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: IclientListArgs) -> Result<ExitStatus> {
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
    // Narrowed, the client id is cut first, then the callback URL; the
    // connections wrap; the name is kept.
    const COLUMNS: [ui::Column<'static>; 4] = [
        ui::Column::new("NAME", 9),
        ui::Column::new("CLIENT ID", 1),
        ui::Column::new("CALLBACK URL", 2),
        ui::Column::new("CONNECTIONS", 0).wrap(),
    ];
    let width = ctx.ui.table_width(ctx.env.columns, false);
    ui::out(&ui::Table::new(&COLUMNS, &rows).fit(width).render())?;
    Ok(ExitStatus::Success)
}
