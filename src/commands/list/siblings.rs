//! The siblings that superseded connections, named under the table.

use anyhow::Result;

use super::cells::{NAME_CELL, safe};
use crate::context::Context;
use crate::store;
use crate::ui;

/// At most this many notes; past it, one line says how many more.
const MAX_NOTES: usize = 5;

/// The superseded rows of a list: the first few (id, name as shown), and
/// how many in all.
#[derive(Default)]
pub(super) struct Superseded {
    first: Vec<(String, String)>,
    count: usize,
}

impl Superseded {
    pub(super) fn add(&mut self, id: &str, shown: &str) {
        if self.first.len() < MAX_NOTES {
            self.first.push((id.to_string(), shown.to_string()));
        }
        self.count += 1;
    }

    /// Names, on stderr, the sibling whose token ended each one's. On
    /// stderr: the table on stdout stays what scripts read.
    pub(super) fn name(
        &self,
        ctx: &Context,
        reader: &store::Reader,
        width: Option<usize>,
    ) -> Result<()> {
        for (id, name) in &self.first {
            let by = reader
                .superseded_by(id)?
                .unwrap_or_else(|| "(unknown)".into());
            let by = safe(&by, NAME_CELL);
            ctx.ui.say(&ui::wrap_text(
                &format!("{name} is superseded by {by} (authorizing {by} ended its token)"),
                width,
            ));
        }
        if self.count > self.first.len() {
            ctx.ui.say(&format!(
                "and {} more superseded (`bcconn status` names each sibling)",
                self.count - self.first.len()
            ));
        }
        Ok(())
    }
}
