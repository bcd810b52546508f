//! `bcconn use [NAME] [--global]`: set the default connection (a `.bcconn`
//! here, or the global one), or say which applies here and why.

use anyhow::Result;

use crate::cli::UseArgs;
use crate::connect::default::{self, Source};
use crate::context::Context;
use crate::error::usage;
use crate::ui;

pub fn run(ctx: &Context, args: UseArgs) -> Result<u8> {
    match (args.name, args.global) {
        (Some(name), false) => {
            let dir = std::env::current_dir()?;
            let (name, path) = default::set_here(ctx, &name, &dir)?;
            ctx.ui.step(&format!(
                "{name:?} is the connection under {} (wrote {})",
                dir.display(),
                path.display()
            ));
        }
        (Some(name), true) => {
            let name = default::set_global(ctx, &name)?;
            ctx.ui
                .step(&format!("{name:?} is the global default connection"));
        }
        (None, global) => {
            let file = ctx.records.load()?;
            let chosen = if global {
                file.default_connection
                    .as_deref()
                    .and_then(|id| file.connection_by_id(id))
                    .map(|c| (c.name.clone(), Source::Global))
            } else {
                default::choose(ctx, None, &file)?
            };
            let Some((name, source)) = chosen else {
                return Err(usage(if global {
                    "no global default connection is set"
                } else {
                    "no default connection applies here"
                })
                .hint("set one: BCCONN_CONNECTION=NAME, `bcconn use NAME` (writes .bcconn here), or `bcconn use --global NAME`")
                .into());
            };
            let saved = if file.connection(&name).is_some() {
                String::new()
            } else {
                " — not a saved connection (see `bcconn list`)".into()
            };
            ui::out(&format!("{name}\n"))?;
            ctx.ui.say(&format!("{name}: {}{saved}", source.describe()));
            if !saved.is_empty() {
                return Ok(crate::error::exit::USAGE);
            }
        }
    }
    Ok(0)
}
