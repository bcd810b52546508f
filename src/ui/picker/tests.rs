use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::term::key_of;
use super::*;

fn opts(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| t.to_string()).collect()
}

/// The scope picker's rows as the walk-through builds them
/// (`wizard::view::scope_option`, private to the wizard): the store and
/// token-creation scopes, "Label — level  (code)".
fn scope_rows() -> Vec<String> {
    use crate::bigcommerce::scopes::{CATALOG, Group};
    CATALOG
        .iter()
        .filter(|s| matches!(s.group, Group::Store | Group::TokenCreation))
        .map(|s| format!("{}  ({})", s.display(), s.name))
        .collect()
}

fn shown_texts(rows: &[String], filter: &str) -> Vec<String> {
    rows.iter()
        .filter(|r| matches(r, filter))
        .cloned()
        .collect()
}

fn plain(width: Option<usize>) -> Look<'static> {
    Look {
        message: "Scopes:",
        help: "type to filter, space toggles, → selects all (shown), ← clears",
        color: false,
        width,
    }
}

#[test]
fn words_split_labels_and_codes() {
    assert_eq!(
        words("Orders — read-only  (store_v2_orders_read_only)"),
        [
            "orders", "read", "only", "store", "v2", "orders", "read", "only"
        ]
    );
    assert_eq!(words("a/b,c–d"), ["a", "b", "c", "d"]);
    assert!(words("  — ").is_empty());
}

#[test]
fn orders_shows_order_scopes_not_customers() {
    let rows = scope_rows();
    assert_eq!(
        shown_texts(&rows, "orders"),
        [
            "Orders — modify  (store_v2_orders)",
            "Orders — read-only  (store_v2_orders_read_only)"
        ]
    );
    // A substring inside a word is no match: "Customers" holds
    // o-r-d-e-r-s scattered, "ders" ends "orders".
    assert!(!matches(
        "Customers — modify  (store_v2_customers)",
        "orders"
    ));
    assert!(shown_texts(&rows, "ders").is_empty());
}

#[test]
fn every_filter_word_must_start_a_word() {
    let rows = scope_rows();
    assert_eq!(
        shown_texts(&rows, "v2 prod"),
        [
            "Products — modify  (store_v2_products)",
            "Products — read-only  (store_v2_products_read_only)"
        ]
    );
    // Separators in the filter split it the same way (Space toggles in
    // the widget, so `_` or `-` is how one types two words there).
    assert_eq!(shown_texts(&rows, "v2_prod"), shown_texts(&rows, "v2 prod"));
    assert_eq!(
        shown_texts(&rows, "prod read"),
        ["Products — read-only  (store_v2_products_read_only)"]
    );
    // Word order does not matter; case does not either.
    assert_eq!(
        shown_texts(&rows, "ONLY Prod"),
        shown_texts(&rows, "prod read")
    );
    // The code typed whole, or part of it.
    assert_eq!(
        shown_texts(&rows, "store_v2_orders_read"),
        ["Orders — read-only  (store_v2_orders_read_only)"]
    );
    assert_eq!(
        shown_texts(&rows, "order").len(),
        6,
        "Order Fulfillment and Transactions too"
    );
    // Nothing typed: everything.
    assert_eq!(shown_texts(&rows, "").len(), rows.len());
    assert_eq!(shown_texts(&rows, " - ").len(), rows.len());
    assert!(shown_texts(&rows, "orders zzz").is_empty());
}

#[test]
fn tick_shown_adds_to_the_selection() {
    let rows = scope_rows();
    let mut p = Picker::new(&rows, &[0], "none");
    for c in "orders".chars() {
        p.handle(Key::Type(c));
    }
    assert_eq!(p.shown().len(), 2);
    assert_eq!(p.handle(Key::TickShown), Outcome::Open);
    assert_eq!(p.count(), 3, "the hidden first row stays ticked");
    assert!(p.chosen().contains(&0));
    assert_eq!(
        p.count_line(),
        format!(
            "3 selected (of {} rows) · filter: orders (2 shown)",
            rows.len()
        )
    );
    // Clearing the filter keeps all three.
    for _ in 0..6 {
        p.handle(Key::Backspace);
    }
    assert_eq!(p.shown().len(), rows.len());
    assert_eq!(
        p.count_line(),
        format!("3 selected (of {} rows)", rows.len())
    );
}

#[test]
fn untick_shown_leaves_hidden_ticks_alone() {
    let rows = scope_rows();
    let orders = rows
        .iter()
        .position(|r| r.contains("(store_v2_orders)"))
        .unwrap();
    let mut p = Picker::new(&rows, &[0, orders], "none");
    for c in "orders".chars() {
        p.handle(Key::Type(c));
    }
    p.handle(Key::UntickShown);
    assert_eq!(p.chosen(), [0]);
    // With no filter, → and ← act on every row, as before.
    p.handle(Key::Backspace);
    for _ in 0..5 {
        p.handle(Key::Backspace);
    }
    p.handle(Key::TickShown);
    assert_eq!(p.count(), rows.len());
    p.handle(Key::UntickShown);
    assert_eq!(p.count(), 0);
}

#[test]
fn space_toggles_the_row_under_the_cursor() {
    let o = opts(&["alpha", "beta", "gamma"]);
    let mut p = Picker::new(&o, &[], "none");
    p.handle(Key::Down);
    p.handle(Key::Toggle);
    assert_eq!(p.chosen(), [1]);
    p.handle(Key::Toggle);
    assert!(p.chosen().is_empty());
    // With nothing shown, Space does nothing.
    p.handle(Key::Type('z'));
    assert!(p.shown().is_empty());
    p.handle(Key::Toggle);
    p.handle(Key::TickShown);
    assert_eq!(p.count(), 0);
}

#[test]
fn enter_with_nothing_ticked_is_refused_until_the_next_key() {
    let o = opts(&["alpha", "beta"]);
    let mut p = Picker::new(&o, &[], "choose at least one");
    assert_eq!(p.handle(Key::Accept), Outcome::Open);
    let frame = p.frame(&plain(None));
    assert!(
        frame.lines.contains(&"# choose at least one".to_string()),
        "{frame:?}"
    );
    p.handle(Key::Down);
    assert!(
        !p.frame(&plain(None))
            .lines
            .iter()
            .any(|l| l.starts_with('#'))
    );
    p.handle(Key::Toggle);
    p.handle(Key::Home);
    p.handle(Key::Toggle);
    assert_eq!(p.handle(Key::Accept), Outcome::Accepted(vec![0, 1]));
    assert_eq!(p.handle(Key::Cancel), Outcome::Cancelled);
}

#[test]
fn the_cursor_starts_on_the_first_ticked_row_and_stays_on_the_page() {
    let o: Vec<String> = (0..30).map(|i| format!("row {i}")).collect();
    let mut p = Picker::new(&o, &[20, 7, 99], "none");
    assert_eq!(p.current(), Some(7));
    assert_eq!(p.chosen(), [7, 20], "an index out of range is ignored");
    let first_row = |p: &Picker| p.frame(&plain(None)).lines[1].clone();
    assert_eq!(
        first_row(&p),
        "> [x] row 7",
        "the preset's first tick at the top"
    );
    p.handle(Key::PageDown);
    assert_eq!(p.current(), Some(19));
    p.handle(Key::End);
    assert_eq!(p.current(), Some(29));
    let frame = p.frame(&plain(None));
    assert_eq!(frame.lines[1], "^ [ ] row 18");
    assert_eq!(frame.lines[12], "> [ ] row 29");
    // ↓ at the end wraps to the top, ↑ at the top to the end.
    p.handle(Key::Down);
    assert_eq!(p.current(), Some(0));
    let frame = p.frame(&plain(None));
    assert_eq!(frame.lines[1], "> [ ] row 0");
    assert_eq!(frame.lines[12], "v [ ] row 11");
    p.handle(Key::Up);
    assert_eq!(p.current(), Some(29));
    p.handle(Key::PageUp);
    assert_eq!(p.current(), Some(17));
    // A short terminal shows fewer rows, cursor still on the page.
    p.set_page(3);
    let frame = p.frame(&plain(None));
    assert_eq!(
        frame.lines[1..4],
        ["> [ ] row 17", "  [ ] row 18", "v [ ] row 19"]
    );
}

#[test]
fn the_cursor_keeps_its_row_through_the_filter_when_it_can() {
    let o = opts(&["apple pie", "banana", "apple tart"]);
    let mut p = Picker::new(&o, &[2], "none");
    p.handle(Key::Type('a'));
    assert_eq!(p.current(), Some(2), "still shown: kept");
    p.handle(Key::Type('p'));
    p.handle(Key::Type('p'));
    p.handle(Key::Backspace);
    assert_eq!(p.current(), Some(2));
    p.handle(Key::Type('p'));
    p.handle(Key::Type(' '));
    p.handle(Key::Type('p'));
    assert_eq!(p.current(), Some(0), "hidden: the first match");
    assert_eq!(p.shown(), [0]);
}

#[test]
fn a_plain_frame_has_no_escapes_and_always_the_count() {
    let rows = scope_rows();
    let mut p = Picker::new(&rows, &[], "none");
    for c in "orders".chars() {
        p.handle(Key::Type(c));
    }
    p.handle(Key::TickShown);
    p.handle(Key::Down);
    let frame = p.frame(&plain(None));
    let total = rows.len();
    assert_eq!(
        frame.lines,
        [
            "? Scopes: orders".to_string(),
            "  [x] Orders — modify  (store_v2_orders)".to_string(),
            "> [x] Orders — read-only  (store_v2_orders_read_only)".to_string(),
            format!("2 selected (of {total} rows) · filter: orders (2 shown)"),
            "[type to filter, space toggles, → selects all (shown), ← clears]".to_string(),
        ]
    );
    assert_eq!(frame.cursor_col, "? Scopes: orders".len());
    for c in "zz".chars() {
        p.handle(Key::Type(c));
    }
    let frame = p.frame(&plain(None));
    assert!(frame.lines[1].contains("nothing matches"), "{frame:?}");
    assert!(frame.lines[2].starts_with("2 selected"), "{frame:?}");
    assert!(!frame.lines.concat().contains('\x1b'));
    // Coloured, the same text with escapes around it.
    let look = Look {
        color: true,
        ..plain(None)
    };
    assert!(p.frame(&look).lines.concat().contains('\x1b'));
}

#[test]
fn lines_fit_the_width_and_help_breaks_between_items() {
    let rows = scope_rows();
    let p = Picker::new(&rows, &[], "none");
    for width in [30, 50, 80] {
        for color in [false, true] {
            let look = Look {
                color,
                ..plain(Some(width))
            };
            let frame = p.frame(&look);
            for line in &frame.lines {
                let text = strip(line);
                assert!(display_width(&text) < width, "{text:?} at {width}");
            }
        }
    }
    let help = wrap_help(
        "type to filter, space toggles, → selects all (shown)",
        Some(30),
    );
    assert_eq!(
        help,
        [
            "[type to filter,",
            "space toggles,",
            "→ selects all (shown)]"
        ]
    );
    assert_eq!(wrap_help("a, b", None), ["[a, b]"]);
}

/// The text of a line without its colour escapes.
fn strip(line: &str) -> String {
    let mut out = String::new();
    let mut in_escape = false;
    for c in line.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

#[test]
fn page_leaves_room_for_the_other_lines() {
    assert_eq!(page_for(None, 1), PAGE);
    assert_eq!(page_for(Some(50), 1), PAGE);
    assert_eq!(page_for(Some(10), 1), 5);
    assert_eq!(page_for(Some(10), 3), 3);
    assert_eq!(page_for(Some(2), 1), 1);
}

#[test]
fn keys_map_as_the_help_says() {
    let k = |code, modifiers| key_of(&KeyEvent::new(code, modifiers));
    let none = KeyModifiers::NONE;
    assert_eq!(k(KeyCode::Right, none), Some(Key::TickShown));
    assert_eq!(k(KeyCode::Left, none), Some(Key::UntickShown));
    assert_eq!(k(KeyCode::Char(' '), none), Some(Key::Toggle));
    assert_eq!(
        k(KeyCode::Char('c'), KeyModifiers::CONTROL),
        Some(Key::Cancel)
    );
    assert_eq!(k(KeyCode::Esc, none), Some(Key::Back));
    assert_eq!(
        k(KeyCode::Char('O'), KeyModifiers::SHIFT),
        Some(Key::Type('O'))
    );
    assert_eq!(k(KeyCode::Char('x'), KeyModifiers::ALT), None);
    assert_eq!(k(KeyCode::Tab, none), None);
}

#[test]
fn esc_clears_the_filter_then_goes_back() {
    let rows = scope_rows();
    let mut p = Picker::new(&rows, &[], "none");
    for c in "orders".chars() {
        p.handle(Key::Type(c));
    }
    p.handle(Key::TickShown);
    assert_eq!(p.shown().len(), 2);
    // The first Esc: the filter goes, every row is shown, the ticks stay.
    assert_eq!(p.handle(Key::Back), Outcome::Open);
    assert_eq!(p.shown().len(), rows.len());
    assert_eq!(p.count(), 2);
    assert_eq!(
        p.count_line(),
        format!("2 selected (of {} rows)", rows.len())
    );
    assert!(
        p.frame(&plain(None)).lines[0].ends_with("Scopes: "),
        "the filter is gone from the prompt line"
    );
    // The second: back a step.
    assert_eq!(p.handle(Key::Back), Outcome::Back);
    // Ctrl-C leaves, filter or not.
    let mut p = Picker::new(&rows, &[], "none");
    p.handle(Key::Type('o'));
    assert_eq!(p.handle(Key::Cancel), Outcome::Cancelled);
}
