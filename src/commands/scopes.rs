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
    // Narrowed, the description wraps (or goes under its scope) and the
    // access, which the name says again, is cut; the name is kept.
    const COLUMNS: [ui::Column<'static>; 3] = [
        ui::Column::new("SCOPE", 9),
        ui::Column::new("ACCESS", 1),
        ui::Column::new("DESCRIPTION", 0).wrap(),
    ];
    let width = ctx.ui.table_width(ctx.env.columns, false);
    ui::out(&ui::Table::new(&COLUMNS, &rows).fit(width).render())?;
    ctx.ui.say(&ui::wrap_text(
        &format!(
            "A modify scope includes its read-only twin. BigCommerce adds {} to every grant.",
            IMPLICIT.join(" and ")
        ),
        width,
    ));
    Ok(ExitStatus::Success)
}
