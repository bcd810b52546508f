//! The siblings that superseded connections, named under the table.

use anyhow::Result;

use super::cells::{NAME_CELL, safe};
use crate::context::Context;
use crate::store;
use crate::ui;

/// At most this many notes; past it, one line says how many more.
const MAX_NOTES: usize = 5;

/// Names, on stderr, the sibling whose token ended each `superseded`
/// (id, name shown) connection's. On stderr: the table on stdout stays
/// what scripts read.
pub(super) fn name(
    ctx: &Context,
    reader: &store::Reader,
    superseded: &[(String, String)],
    width: Option<usize>,
) -> Result<()> {
    for (id, name) in superseded.iter().take(MAX_NOTES) {
        let by = reader
            .superseded_by(id)?
            .unwrap_or_else(|| "(unknown)".into());
        let by = safe(&by, NAME_CELL);
        ctx.ui.say(&ui::wrap_text(
            &format!("{name} is superseded by {by} (authorizing {by} ended its token)"),
            width,
        ));
    }
    if superseded.len() > MAX_NOTES {
        ctx.ui.say(&format!(
            "and {} more superseded (`bcconn status` names each sibling)",
            superseded.len() - MAX_NOTES
        ));
    }
    Ok(())
}
