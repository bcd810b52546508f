//! A row's cells as the table shows them.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::store::{self, ListRow};

pub(super) const NAME_CELL: usize = store::MAX_NAME + 16;
pub(super) const OTHER_CELL: usize = 200;

/// A row's cells, as shown: every column as stored is outside text (a
/// hand-edited database), so each is escaped and bounded.
pub(super) fn cells<'r>(
    iclients: &'r HashMap<String, String>,
    r: &ListRow<'r>,
    concurrency: Cow<'r, str>,
) -> [Cow<'r, str>; 7] {
    let iclient = match r.iclient_id {
        Some(id) => match iclients.get(id) {
            Some(name) => safe(name, NAME_CELL),
            None => Cow::Borrowed("(removed)"),
        },
        None => Cow::Borrowed("-"),
    };
    let scopes = match (r.first_scope, r.scope_count) {
        (None, _) => Cow::Borrowed("-"),
        (Some(s), 0 | 1) => safe(s, OTHER_CELL),
        (Some(s), n) => Cow::Owned(format!("{} +{}", safe(s, OTHER_CELL), n - 1)),
    };
    [
        safe(r.name, NAME_CELL),
        safe(r.store_hash, OTHER_CELL),
        safe(r.auth_type, OTHER_CELL),
        safe(r.state, OTHER_CELL),
        iclient,
        scopes,
        concurrency,
    ]
}

/// A cell as shown: escaped and cut when it holds what a terminal would
/// act on, or is very long (a hand-edited record).
pub(super) fn safe(s: &str, max: usize) -> Cow<'_, str> {
    // Printable ASCII within bounds is shown as it is, checked bytewise.
    if s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(s);
    }
    if s.chars().any(crate::text::is_unsafe) || s.len() > max {
        Cow::Owned(crate::text::outside(s, max))
    } else {
        Cow::Borrowed(s)
    }
}
