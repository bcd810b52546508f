//! Tables that fit the terminal and keep what matters.
//!
//! Each column says how much it is worth keeping ([`Column::keep`]) and
//! whether it is free text ([`Column::wrap`]). Narrowing loses the least
//! first: free text wraps at spaces (nothing is lost), and when it cannot
//! keep a readable width it moves onto indented lines under its row; then
//! the least useful columns are cut, each with an ellipsis, down to their
//! header, then further; the most useful (a NAME, a STATE, a scope's name)
//! are cut last. A command in backticks is never split: when it does not
//! fit its column it goes on a line of its own. Without a width (a pipe)
//! every cell is whole, on one line, as scripts expect.

use std::borrow::Cow;

use super::RESET;

/// How a column gives way when its table is narrowed.
#[derive(Clone, Copy, Debug)]
pub struct Column<'a> {
    pub header: &'a str,
    /// Higher is kept whole longer: the columns of the highest value in a
    /// table are cut only when every other column is as narrow as it gets.
    pub keep: u8,
    /// Free text, wrapped at spaces rather than cut.
    pub wrap: bool,
}

impl<'a> Column<'a> {
    pub const fn new(header: &'a str, keep: u8) -> Self {
        Column {
            header,
            keep,
            wrap: false,
        }
    }

    pub const fn wrap(mut self) -> Self {
        self.wrap = true;
        self
    }
}

/// Columns that all give way alike (the widest is cut first).
pub fn plain_columns<'a>(header: &[&'a str]) -> Vec<Column<'a>> {
    header.iter().map(|h| Column::new(h, 0)).collect()
}

/// Free text kept beside its row no narrower than this; narrower, it goes
/// under the row.
const WRAP_MIN: usize = 20;
/// A column cut to its header keeps at least this much of its cells.
const CUT_MIN: usize = 6;
/// How narrow a column that is not among the most useful may be cut once
/// every column is at its header's width: a few characters and `…`.
const CUT_HARD: usize = 4;
/// The indent of the lines under a row (free text moved there, a command
/// too long for its column).
pub const INDENT: usize = 4;

/// Gives a cell's ANSI style from its column and (whole) text, or none.
pub type Paint<'a> = &'a dyn Fn(usize, &str) -> Option<&'static str>;

/// How a table is laid out: each column's width, and which free-text
/// columns go under their row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub widths: Vec<usize>,
    pub below: Vec<bool>,
    /// Free-text columns (wrapped when a width is fitted).
    pub wrap: Vec<bool>,
    /// The width fitted (None: no limit).
    pub limit: Option<usize>,
}

/// Lays out columns of these `natural` widths (each column's widest cell,
/// header included) within `limit`: see the module's comment for the order
/// in which columns give way. `words`: the widest word of each free-text
/// column, which it keeps beside its row only if it can hold it.
pub fn layout(
    columns: &[Column<'_>],
    natural: &[usize],
    words: &[usize],
    limit: Option<usize>,
) -> Layout {
    let n = columns.len();
    let mut widths = natural.to_vec();
    let mut below = vec![false; n];
    let wraps: Vec<bool> = columns.iter().map(|c| c.wrap).collect();
    let Some(limit) = limit else {
        return Layout {
            widths,
            below,
            wrap: wraps,
            limit,
        };
    };
    let header = |i: usize| display_width(columns[i].header);
    let wrap = |i: usize| columns[i].wrap;
    // Free text first: wrapped, it loses nothing.
    let wrap_floor = |i: usize| natural[i].min(header(i).max(WRAP_MIN).max(words[i]));
    shrink(&mut widths, &below, limit, wrap, wrap_floor);
    if total(&widths, &below) > limit {
        for i in (0..n).filter(|&i| wrap(i)) {
            below[i] = true;
        }
    }
    // Then the cut columns, least useful first, the most useful last.
    let inline: Vec<usize> = (0..n).filter(|&i| !below[i]).collect();
    let top = inline.iter().map(|&i| columns[i].keep).max().unwrap_or(0);
    let mut keeps: Vec<u8> = inline.iter().map(|&i| columns[i].keep).collect();
    keeps.sort_unstable();
    keeps.dedup();
    let soft = |i: usize| natural[i].min(header(i).max(CUT_MIN));
    // A short column (a store hash, `oauth2`) cut to `ab…` would tell no
    // row apart and free two columns: it keeps its width until NAME and
    // STATE have given way too.
    let hard = |i: usize| {
        if natural[i] <= CUT_MIN {
            natural[i]
        } else {
            CUT_HARD
        }
    };
    let rest = keeps.iter().copied().filter(|&k| k < top);
    for floor in [&soft as &dyn Fn(usize) -> usize, &hard] {
        for k in rest.clone() {
            let group = |i: usize| !below[i] && columns[i].keep == k;
            shrink(&mut widths, &below, limit, group, floor);
        }
    }
    let last = |i: usize| !below[i] && columns[i].keep == top;
    shrink(&mut widths, &below, limit, last, soft);
    shrink(&mut widths, &below, limit, last, |i| {
        natural[i].min(CUT_MIN)
    });
    // Narrower than any table can be read: everything down to `…`.
    for k in keeps {
        let group = |i: usize| !below[i] && columns[i].keep == k;
        shrink(&mut widths, &below, limit, group, |_| 1);
    }
    Layout {
        widths,
        below,
        wrap: wraps,
        limit: Some(limit),
    }
}

/// The width of a table's first line: the columns beside each other, two
/// spaces apart.
fn total(widths: &[usize], below: &[bool]) -> usize {
    let shown = widths.iter().zip(below).filter(|(_, b)| !**b);
    let (count, sum) = shown.fold((0, 0), |(c, s), (w, _)| (c + 1, s + w));
    sum + 2 * usize::saturating_sub(count, 1)
}

/// Narrows the `members`, the widest first, one column at a time, until the
/// table fits `limit` or each is at its `floor`.
fn shrink(
    widths: &mut [usize],
    below: &[bool],
    limit: usize,
    members: impl Fn(usize) -> bool,
    floor: impl Fn(usize) -> usize,
) {
    while total(widths, below) > limit {
        let widest = (0..widths.len())
            .filter(|&i| members(i) && widths[i] > floor(i))
            .max_by_key(|&i| (widths[i], i));
        match widest {
            Some(i) => widths[i] -= 1,
            None => return,
        }
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = plain_columns(header);
    Table::new(&columns, rows).render()
}

/// A table that can fit a width and colour some cells.
pub struct Table<'a> {
    columns: &'a [Column<'a>],
    rows: &'a [Vec<String>],
    width: Option<usize>,
    paint: Option<Paint<'a>>,
    header: bool,
}

impl<'a> Table<'a> {
    pub fn new(columns: &'a [Column<'a>], rows: &'a [Vec<String>]) -> Self {
        Table {
            columns,
            rows,
            width: None,
            paint: None,
            header: true,
        }
    }

    /// Fit `width` columns (None: every cell whole, on one line).
    pub fn fit(mut self, width: Option<usize>) -> Self {
        self.width = width;
        self
    }

    /// Colours cells: `paint(column, text)` gives an ANSI style or None.
    pub fn paint(mut self, paint: Paint<'a>) -> Self {
        self.paint = Some(paint);
        self
    }

    /// Without the header line (key-value lines).
    fn headless(mut self) -> Self {
        self.header = false;
        self
    }

    pub fn layout(&self) -> Layout {
        let mut natural: Vec<usize> = if self.header {
            self.columns
                .iter()
                .map(|c| display_width(c.header))
                .collect()
        } else {
            vec![0; self.columns.len()]
        };
        let mut words = vec![0; self.columns.len()];
        for row in self.rows {
            for (i, cell) in row.iter().enumerate() {
                natural[i] = natural[i].max(display_width(cell));
                // A name split across lines, or a command moved apart from
                // its words, reads worse than the cell under its row.
                if self.columns[i].wrap && self.header && self.width.is_some() {
                    let widest = split_words(cell).into_iter().map(display_width).max();
                    words[i] = words[i].max(widest.unwrap_or(0));
                }
            }
        }
        layout(self.columns, &natural, &words, self.width)
    }

    pub fn render(&self) -> String {
        let layout = self.layout();
        let mut text = String::new();
        if self.header {
            let header: Vec<&str> = self.columns.iter().map(|c| c.header).collect();
            push_row(&mut text, &header, &layout, None);
        }
        for row in self.rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            push_row(&mut text, &cells, &layout, self.paint);
        }
        text
    }
}

/// "key   value" lines. Fitted, a value wraps beside its key (a command
/// too long for that goes on a line of its own).
pub fn kv(rows: &[Vec<String>]) -> String {
    kv_fit(rows, None)
}

/// [`kv`] with the values wrapped to fit `width` (None: one line each).
pub fn kv_fit(rows: &[Vec<String>], width: Option<usize>) -> String {
    const COLUMNS: [Column<'static>; 2] = [Column::new("", 1), Column::new("", 0).wrap()];
    Table::new(&COLUMNS, rows).headless().fit(width).render()
}

/// Shortens the columns of a table streamed row by row (which measures in
/// one pass, fits, then writes each [`table_line`]): `widths` holds the
/// natural widths, header included. Every column is cut, none wrapped.
pub fn fit_widths(columns: &[Column<'_>], widths: &mut [usize], limit: Option<usize>) {
    let cut: Vec<Column<'_>> = columns
        .iter()
        .map(|c| Column { wrap: false, ..*c })
        .collect();
    let fitted = layout(&cut, widths, &vec![0; widths.len()], limit);
    widths.copy_from_slice(&fitted.widths);
}

/// `text` in `style`, if it has one (and is not empty).
fn push_painted(out: &mut String, text: &str, style: Option<&str>) {
    match style {
        Some(style) if !text.is_empty() => {
            out.push_str(style);
            out.push_str(text);
            out.push_str(RESET);
        }
        _ => out.push_str(text),
    }
}

/// One row: its first line, the continuation lines of wrapped cells, then
/// the free text moved under it.
fn push_row(out: &mut String, cells: &[&str], layout: &Layout, paint: Option<Paint<'_>>) {
    let inline: Vec<usize> = (0..cells.len()).filter(|&i| !layout.below[i]).collect();
    // Each cell as lines: a cut cell is one; a wrapped one may be more.
    let pieces: Vec<Vec<Piece<'_>>> = inline
        .iter()
        .map(|&i| {
            if layout.wrap[i] && layout.limit.is_some() {
                let apart = layout.limit.map_or(0, |l| l.saturating_sub(INDENT));
                wrap(cells[i], layout.widths[i], apart)
            } else {
                vec![Piece::Line(ellipsize(cells[i], layout.widths[i]))]
            }
        })
        .collect();
    let height = pieces.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let widths: Vec<usize> = inline.iter().map(|&i| layout.widths[i]).collect();
    for l in 0..height {
        let mut line_cells: Vec<(usize, Cow<'_, str>)> = Vec::new();
        let mut apart: Vec<&str> = Vec::new();
        for (k, cell) in pieces.iter().enumerate() {
            match cell.get(l) {
                Some(Piece::Line(text)) => line_cells.push((inline[k], text.clone())),
                Some(Piece::Apart(text)) => {
                    apart.push(text);
                    line_cells.push((inline[k], Cow::Borrowed("")));
                }
                None => line_cells.push((inline[k], Cow::Borrowed(""))),
            }
        }
        if line_cells.iter().any(|(_, t)| !t.is_empty()) || apart.is_empty() {
            let start = out.len();
            let last = line_cells.len();
            for (k, (i, text)) in line_cells.iter().enumerate() {
                let style = paint.and_then(|p| p(*i, cells[*i]));
                push_painted(out, text, style);
                if k + 1 < last {
                    let pad = widths[k].saturating_sub(display_width(text)) + 2;
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            let end = out[start..].trim_end().len() + start;
            out.truncate(end);
            out.push('\n');
        }
        for text in apart {
            push_under(out, text);
        }
    }
    let limit = layout.limit.unwrap_or(usize::MAX);
    for (i, cell) in cells.iter().enumerate() {
        if !layout.below[i] || cell.is_empty() {
            continue;
        }
        let style = paint.and_then(|p| p(i, cell));
        let width = limit.saturating_sub(INDENT).max(WRAP_MIN);
        for piece in wrap(cell, width, width) {
            let text = match &piece {
                Piece::Line(t) => t.as_ref(),
                Piece::Apart(t) => t,
            };
            out.extend(std::iter::repeat_n(' ', INDENT));
            push_painted(out, text.trim_end(), style);
            out.push('\n');
        }
    }
}

/// A line under a row, indented, never cut.
fn push_under(out: &mut String, text: &str) {
    out.extend(std::iter::repeat_n(' ', INDENT));
    out.push_str(text);
    out.push('\n');
}

/// One line of a wrapped cell.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    /// Within the column.
    Line(Cow<'a, str>),
    /// A command in backticks wider than the column: on a line of its own,
    /// whole.
    Apart(&'a str),
}

/// `text` wrapped at spaces to `width` columns. A word wider than the
/// column goes whole on a line of its own when it is a command in
/// backticks, or when it fits `apart` columns (a URL is copied whole);
/// otherwise it is split, nothing lost.
fn wrap(text: &str, width: usize, apart: usize) -> Vec<Piece<'_>> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    let flush = |line: &mut String, out: &mut Vec<Piece<'_>>| {
        if !line.is_empty() {
            out.push(Piece::Line(Cow::Owned(std::mem::take(line))));
        }
    };
    for word in split_words(text) {
        let w = display_width(word);
        let used = display_width(&line);
        if !line.is_empty() && used + 1 + w <= width {
            line.push(' ');
            line.push_str(word);
            continue;
        }
        flush(&mut line, &mut out);
        if w <= width {
            line.push_str(word);
        } else if word.contains('`') || w <= apart {
            out.push(Piece::Apart(word));
        } else {
            let mut chunk = String::new();
            for c in word.chars() {
                chunk.push(c);
                if display_width(&chunk) > width {
                    chunk.pop();
                    out.push(Piece::Line(Cow::Owned(std::mem::take(&mut chunk))));
                    chunk.push(c);
                }
            }
            line = chunk;
        }
    }
    flush(&mut line, &mut out);
    if out.is_empty() {
        out.push(Piece::Line(Cow::Borrowed("")));
    }
    out
}

/// The words of `text`, split at spaces, except inside backticks: a command
/// is one word (with what is glued to it, "`bcconn token x`;").
fn split_words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (at, c) in text.char_indices() {
        if c == '`' {
            quoted = !quoted;
        }
        match (c == ' ' && !quoted, start) {
            (true, Some(s)) => {
                out.push(&text[s..at]);
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// How wide a string is on a terminal: wide (CJK) characters take two
/// columns, combining marks none.
pub fn display_width(s: &str) -> usize {
    // Printable ASCII is one column a byte: the common case, measured
    // without decoding (a 100,000-row table measures 700,000 cells).
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.len();
    }
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` columns, with an ellipsis when it was cut.
pub fn ellipsize(s: &str, max: usize) -> Cow<'_, str> {
    if display_width(s) <= max {
        return Cow::Borrowed(s);
    }
    // Measured as a whole each time: some sequences (an emoji with its
    // variation selector) are wider than the sum of their characters.
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if display_width(&out) > max.saturating_sub(1) {
            out.pop();
            break;
        }
    }
    out.push('…');
    Cow::Owned(out)
}

/// One line of a table: each cell cut to its width, padded, and painted
/// (`paint`: body rows only), ending in a newline.
pub fn table_line(cells: &[&str], widths: &[usize], paint: Option<Paint<'_>>) -> String {
    let mut line = String::new();
    push_table_line(&mut line, cells, widths, paint);
    line
}

/// [`table_line`] appended to `out` (a buffer reused for every line of a
/// long table: no allocation per cell unless one is cut).
pub fn push_table_line(
    out: &mut String,
    cells: &[&str],
    widths: &[usize],
    paint: Option<Paint<'_>>,
) {
    let n = cells.len();
    let start = out.len();
    for (i, whole) in cells.iter().enumerate() {
        let cell = ellipsize(whole, widths[i]);
        // Painted by what the cell holds, not by what is left of it.
        push_painted(out, &cell, paint.and_then(|p| p(i, whole)));
        if i + 1 < n {
            let pad = widths[i].saturating_sub(display_width(&cell)) + 2;
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
    let end = out[start..].trim_end().len() + start;
    out.truncate(end);
    out.push('\n');
}

/// Text (a note under a table) wrapped at spaces to `width` (None: as it is).
pub fn wrap_text(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    wrap(text, width, width)
        .into_iter()
        .map(|p| match p {
            Piece::Line(t) => t.into_owned(),
            Piece::Apart(t) => t.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` that follows a prefix `indent` columns wide, wrapped to `width`
/// (None: as it is), its next lines indented under its first.
pub fn hang(text: &str, indent: usize, width: Option<usize>) -> String {
    let width = width.map(|w| w.saturating_sub(indent).max(WRAP_MIN));
    wrap_text(text, width).replace('\n', &format!("\n{}", " ".repeat(indent)))
}

/// Status lines (a walk-through's summary, its notes) fitted to `width`:
/// a line too wide is wrapped at spaces, its next lines under its value
/// (past a label and two spaces, "  iClient       myapp (…") or else under
/// its own indent, so a word is never cut at the terminal's edge.
pub fn fit_said(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let mut out = String::new();
    for (k, line) in text.split('\n').enumerate() {
        if k > 0 {
            out.push('\n');
        }
        if display_width(line) <= width {
            out.push_str(line);
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let value = line[lead..]
            .find("  ")
            .map(|gap| {
                lead + gap + line[lead + gap..].len() - line[lead + gap..].trim_start().len()
            })
            .filter(|&at| display_width(&line[..at]) + WRAP_MIN <= width)
            .unwrap_or(lead);
        let (head, rest) = line.split_at(value);
        out.push_str(head);
        out.push_str(&hang(rest, display_width(head), Some(width)));
    }
    out
}

#[cfg(test)]
mod tests;
