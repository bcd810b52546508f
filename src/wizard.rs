//! The interactive walk-through of `bcconn create`.

use anyhow::Result;

use crate::commands::create::{Draft, Plan};
use crate::context::Context;
use crate::store::RecordFile;

/// Fills the holes of `draft` by asking; `None` when the person cancelled.
pub fn run(_ctx: &Context, draft: Draft, _records: &RecordFile) -> Result<Option<Plan>> {
    draft.complete().map(Some)
}
