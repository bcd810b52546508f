//! `bcconn iclient show`: one iClient, its secret masked.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{IClientView, name, names, view};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::secrets::iclient_account;
use crate::ui;

#[derive(Debug, Args)]
pub struct IclientShowArgs {
    /// The iClient's name (see `bcconn iclient list`)
    pub name: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: IclientShowArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let ic = file.require_iclient(&args.name)?;
    // Reading the secret tells whether it is really there; only a mask is shown.
    let secret = match ctx
        .secrets(ic.secret_store)
        .and_then(|s| s.get(&iclient_account(&ic.id)))
    {
        Ok(Some(_)) => format!("******** (in {})", ic.secret_store.describe()),
        Ok(None) => format!(
            "missing from {}: set it with `bcconn iclient edit {} --secret`",
            ic.secret_store.describe(),
            ui::shell_word(&ic.name)
        ),
        Err(e) => format!("unreadable ({})", crate::error::message(&e)),
    };
    let v = view(&file, ic)?;
    if args.json {
        #[derive(Serialize)]
        struct WithSecret<'a> {
            #[serde(flatten)]
            view: IClientView<'a>,
            secret: String,
        }
        ui::out_json(&WithSecret { view: v, secret })?;
        return Ok(ExitStatus::Success);
    }
    let conns = names(&v.connections);
    let rows = vec![
        vec!["name".into(), name(v.name)],
        vec!["id".into(), crate::text::outside(v.id, 200)],
        vec!["client id".into(), crate::text::outside(v.client_id, 200)],
        vec!["client secret".into(), secret],
        vec![
            "callback url".into(),
            crate::text::outside(v.callback_url, 200),
        ],
        vec!["connections".into(), conns],
        vec!["created".into(), v.created_at.to_string()],
        vec!["updated".into(), v.updated_at.to_string()],
    ];
    let width = ctx.ui.table_width(ctx.env.columns, false);
    ui::out(&ui::kv_fit(&rows, width))?;
    Ok(ExitStatus::Success)
}
