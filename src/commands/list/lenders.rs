//! The iClient names and borrowed levels a table of connections needs.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::Result;

use super::cells::{NAME_CELL, safe};
use crate::store::{self, ListRow};
use crate::ui;

/// What the table needs beyond each row: iClient names, and for the few
/// connections that borrow, their effective level and lender's name (read
/// once, chains followed). Every other row runs at its own level.
pub(super) struct Lenders {
    pub(super) iclients: HashMap<String, String>,
    /// Borrowers and lenders by id: (name, effective level, lender id).
    pub(super) borrowing: HashMap<String, (String, u8, Option<String>)>,
}

impl Lenders {
    pub(super) fn read(reader: &store::Reader) -> Result<Lenders> {
        let iclients = reader
            .iclients()?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect();
        let rows = reader.borrowing()?;
        let index: HashMap<&str, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.0.as_str(), i))
            .collect();
        let levels = store::effective_levels(
            rows.len(),
            |i| rows[i].2,
            |i| rows[i].3.as_deref().and_then(|l| index.get(l).copied()),
        );
        let borrowing = rows
            .iter()
            .zip(levels)
            .map(|(r, level)| (r.0.clone(), (r.1.clone(), level, r.3.clone())))
            .collect();
        Ok(Lenders {
            iclients,
            borrowing,
        })
    }

    /// The widths of `q` (every row plain ASCII), with the iClient and
    /// concurrency cells as [`cells`] shows them.
    pub(super) fn widths_of(&self, q: &store::ListWidths, widths: &mut [usize; 7]) {
        let iclient = q.iclient_ids.iter().map(|id| match id {
            Some(id) => match self.iclients.get(id) {
                Some(name) => ui::display_width(&safe(name, NAME_CELL)),
                None => ui::display_width("(removed)"),
            },
            None => 1,
        });
        let borrowed = self.borrowing.values().filter_map(|(_, level, lender)| {
            let name = self
                .borrowing
                .get(lender.as_deref()?)
                .map(|b| b.0.as_str())
                .unwrap_or("(removed)");
            Some(ui::display_width(&format!(
                "{level} (from {})",
                safe(name, NAME_CELL)
            )))
        });
        let columns = [
            q.name,
            q.store_hash,
            q.auth_type,
            q.state,
            iclient.max().unwrap_or(0),
            q.scopes,
            borrowed.max().unwrap_or(0).max(q.own_level),
        ];
        for (w, c) in widths.iter_mut().zip(columns) {
            *w = (*w).max(c);
        }
    }

    /// The level a row really runs with.
    pub(super) fn level(&self, r: &ListRow<'_>) -> u8 {
        self.borrowing
            .get(r.id)
            .map(|b| b.1)
            .unwrap_or(r.concurrency)
    }

    /// The lender's name, for a row that borrows.
    pub(super) fn lender(&self, r: &ListRow<'_>) -> Option<&str> {
        let id = r.borrow_from?;
        Some(
            self.borrowing
                .get(id)
                .map(|b| b.0.as_str())
                .unwrap_or("(removed)"),
        )
    }

    /// `3`, or `7 (from lender)` for a connection that borrows.
    pub(super) fn concurrency<'r>(&self, r: &ListRow<'r>) -> Cow<'r, str> {
        match self.lender(r) {
            Some(name) => Cow::Owned(format!(
                "{} (from {})",
                self.level(r),
                safe(name, NAME_CELL)
            )),
            None => level_text(r.concurrency),
        }
    }
}

/// A level as text, without an allocation for the levels bcconn allows.
fn level_text<'r>(level: u8) -> Cow<'r, str> {
    const LEVELS: [&str; 26] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
        "17", "18", "19", "20", "21", "22", "23", "24", "25",
    ];
    match LEVELS.get(usize::from(level)) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(level.to_string()),
    }
}
