//! `bcconn use --trust`.

use anyhow::Result;

use crate::connect::default;
use crate::connect::rules::shown;
use crate::connect::trust;
use crate::context::Context;
use crate::error::ExitStatus;
use crate::error::usage;

/// `bcconn use --trust`: trusts the `.bcconn` that applies here, as it is.
pub(super) fn trust_here(ctx: &Context) -> Result<ExitStatus> {
    let Some(d) = default::dotfile(ctx, &crate::env::current_dir()?)? else {
        return Err(usage("no .bcconn applies here: there is nothing to trust")
            .hint("`bcconn use NAME` writes one (and trusts it)")
            .into());
    };
    trust::trust(ctx, &d.path, &d.text)?;
    ctx.ui.step(&format!(
        "{} is trusted as it is now (it names {})",
        d.shown_path(),
        shown(&d.name)
    ));
    if ctx.records.load()?.connection(&d.name)?.is_none() {
        ctx.ui.warn(&format!(
            "{} is not a saved connection (see `bcconn list`)",
            shown(&d.name)
        ));
    }
    Ok(ExitStatus::Success)
}
