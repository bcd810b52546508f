//! `bcconn scopes`: the scope catalog.

use anyhow::Result;
use clap::Args;

use crate::bigcommerce::scopes::{CATALOG, IMPLICIT};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;

#[derive(Debug, Args)]
pub struct ScopesArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: ScopesArgs) -> Result<ExitStatus> {
    if args.json {
        ui::out_json(&CATALOG)?;
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = CATALOG
        .iter()
        .map(|s| vec![s.name.to_string(), s.display(), s.description.to_string()])
        .collect();
    let header = ["SCOPE", "ACCESS", "DESCRIPTION"];
    let width = ctx.ui.table_width(ctx.env.columns, false);
    ui::out(&ui::Table::new(&header, &rows).fit(width).render())?;
    ctx.ui.say(&format!(
        "A modify scope includes its read-only twin. BigCommerce adds {} to every grant.",
        IMPLICIT.join(" and ")
    ));
    Ok(ExitStatus::Success)
}
