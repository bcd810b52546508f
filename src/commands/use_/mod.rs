//! `bcconn use [NAME] [--global] [--unset] [--trust]`: set the default
//! connection (a `.bcconn` here, or the global one), remove it, trust the
//! `.bcconn` that applies here, or say which applies here and why.
//!
//! Names shown here may come from a `.bcconn` a repository shipped: they
//! are escaped and bounded always, on stdout too.

mod trust;

use anyhow::Result;
use clap::Args;

use crate::connect::default::{self, Source};
use crate::connect::rules::shown;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;
use crate::store::MAX_NAME;
use crate::text::outside;
use crate::ui;
use trust::trust_here;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn use shop            # writes .bcconn here: commands under this directory use shop\n  \
    bcconn use --global shop   # the default everywhere else\n  \
    bcconn use                 # which connection applies here, and why\n  \
    bcconn use --trust         # after checking it: trust the .bcconn that applies here\n  \
    bcconn use --unset         # remove .bcconn here (with --global: the global default)\n\n\
    Order: -c/NAME on the command line, BCCONN_CONNECTION, the nearest .bcconn from the \
    current directory up (its first line), the global default. A .bcconn is used only when \
    it is a regular file you own that nobody else can write; one bcconn did not write and \
    you did not trust (or that changed since) makes writes through `bcconn api` and \
    `bcconn exec` ask first, and exit 2 where there is no terminal to ask.")]
pub struct UseArgs {
    /// The connection to make the default
    pub name: Option<String>,
    /// Set (or, without NAME, show) the global default instead of writing .bcconn here
    #[arg(long)]
    pub global: bool,
    /// Remove .bcconn here (with --global: the global default)
    #[arg(long, conflicts_with = "name")]
    pub unset: bool,
    /// Trust the .bcconn that applies here, as it is now (check what it names first)
    #[arg(long, conflicts_with_all = ["name", "global", "unset"])]
    pub trust: bool,
}

pub fn run(ctx: &Context, args: UseArgs) -> Result<ExitStatus> {
    if args.trust {
        return trust_here(ctx);
    }
    if args.unset {
        if args.global {
            return match default::unset_global(ctx)? {
                Some(name) => {
                    ctx.ui.step(&format!(
                        "{} is no longer the global default connection",
                        shown(&name)
                    ));
                    Ok(ExitStatus::Success)
                }
                // Already as asked: like `rm -f`, not an error.
                None => {
                    ctx.ui
                        .say("no global default connection was set; nothing to unset");
                    Ok(ExitStatus::Success)
                }
            };
        }
        let dir = crate::env::current_dir()?;
        match default::unset_here(ctx, &dir)? {
            default::Unset::Removed(path) => ctx
                .ui
                .step(&format!("removed {}", default::shown_path(&path))),
            default::Unset::NoneHere { applies: None } => ctx.ui.say(&format!(
                "there is no {} in {}; nothing to remove",
                default::DOTFILE,
                default::shown_path(&dir)
            )),
            // Nothing here, but the default still comes from a file further
            // up: said, or the person would think there is none now.
            default::Unset::NoneHere {
                applies: Some(applies),
            } => ctx.ui.warn(&format!(
                "there is no {} in {}; the one that applies here is {}: run `bcconn use --unset` in its directory",
                default::DOTFILE,
                default::shown_path(&dir),
                default::shown_path(&applies)
            )),
        }
        return Ok(ExitStatus::Success);
    }
    match (args.name, args.global) {
        (Some(name), false) => {
            let dir = crate::env::current_dir()?;
            let (name, path) = default::set_here(ctx, &name, &dir)?;
            ctx.ui.step(&format!(
                "{} is the connection under {} (wrote {})",
                shown(&name),
                outside(&dir.display().to_string(), 300),
                outside(&path.display().to_string(), 300)
            ));
        }
        (Some(name), true) => {
            let name = default::set_global(ctx, &name)?;
            ctx.ui.step(&format!(
                "{} is the global default connection",
                shown(&name)
            ));
        }
        (None, global) => {
            let file = ctx.records.load()?;
            let chosen = if global {
                match file.default_connection()? {
                    Some(id) => file.connection_by_id(&id)?,
                    None => None,
                }
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
            let saved = if file.connection(&name)?.is_some() {
                String::new()
            } else {
                " — not a saved connection (see `bcconn list`)".into()
            };
            let trusted = match &source {
                Source::File(d) if d.trusted => ", trusted",
                Source::File(_) => ", not trusted yet (`bcconn use --trust` after checking it)",
                _ => "",
            };
            ui::out(&format!("{}\n", outside(&name, MAX_NAME + 16)))?;
            ctx.ui.say(&format!(
                "{}: {}{trusted}{saved}",
                shown(&name),
                source.describe()
            ));
            if !saved.is_empty() {
                return Ok(ExitStatus::Usage);
            }
        }
    }
    Ok(ExitStatus::Success)
}
