//! `bcconn rename OLD NEW`. Secrets are keyed by id, and so is the global
//! default, so nothing else moves; a `.bcconn` holds a name, so the ones
//! that name OLD are pointed out.

use anyhow::Result;
use clap::Args;

use crate::connect::default;
use crate::connect::rules::shown;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::store;
use crate::text::shell_word;

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The connection's current name
    pub old: String,
    /// Its new name (unique, ignoring case)
    pub new: String,
}

pub fn run(ctx: &Context, args: RenameArgs) -> Result<ExitStatus> {
    let (old, new, is_default) = ctx.records.update(|file| {
        let id = file.require_connection(&args.old)?.id.clone();
        file.check_connection_name_free(&args.new, Some(&id))?;
        let is_default = file.default_connection()?.as_deref() == Some(id.as_str());
        let c = file.connection_mut(&args.old)?.expect("found above");
        let old = std::mem::replace(&mut c.name, args.new.clone());
        c.updated_at = store::now();
        Ok((old, args.new.clone(), is_default))
    })?;
    ctx.ui.step(&format!(
        "Renamed {old:?} to {new:?}{}",
        if is_default {
            " (still the global default)"
        } else {
            ""
        }
    ));
    // A name changed only in case still finds the connection.
    if store::same_name(&old, &new) {
        return Ok(ExitStatus::Success);
    }
    if let Ok(here) = crate::env::current_dir() {
        for path in default::naming(&here, &old) {
            ctx.ui.warn(&format!(
                "{} names {}, which is now {}: run `bcconn use {}` in its directory to update it",
                default::shown_path(&path),
                shown(&old),
                shown(&new),
                shell_word(&new)
            ));
        }
    }
    if ctx
        .env
        .connection
        .as_deref()
        .is_some_and(|c| store::same_name(c, &old))
    {
        ctx.ui.warn(&format!(
            "BCCONN_CONNECTION names {}, which is now {}: update it",
            shown(&old),
            shown(&new)
        ));
    }
    Ok(ExitStatus::Success)
}
