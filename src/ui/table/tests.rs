use super::*;

fn widest(text: &str) -> usize {
    text.lines().map(display_width).max().unwrap_or(0)
}

fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
    cells
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn table_aligns_columns() {
    let t = table(
        &["NAME", "STATE"],
        &[
            vec!["a-long-name".into(), "ok".into()],
            vec!["b".into(), "pending".into()],
        ],
    );
    assert_eq!(
        t,
        "NAME         STATE\na-long-name  ok\nb            pending\n"
    );
}

#[test]
fn tables_fit_a_width_by_shortening_the_widest_column() {
    let rows = vec![
        vec![
            "a-very-long-connection-name-indeed".into(),
            "abc123".into(),
            "authorized".into(),
        ],
        vec![
            "東京ストア本店のテスト接続".into(),
            "def456".into(),
            "pending".into(),
        ],
    ];
    let columns = plain_columns(&["NAME", "STORE", "STATE"]);
    let t = Table::new(&columns, &rows).fit(Some(30)).render();
    assert!(widest(&t) <= 30, "{t}");
    assert!(t.contains('…'), "{t}");
    assert!(
        t.contains("abc123") && t.contains("authorized"),
        "short columns kept: {t}"
    );
    // Unlimited: everything, in full.
    let full = Table::new(&columns, &rows).render();
    assert!(full.contains("a-very-long-connection-name-indeed"));
    assert!(full.contains("東京ストア本店のテスト接続"));
}

#[test]
fn widths_are_measured_in_terminal_columns() {
    assert_eq!(display_width("東京"), 4);
    assert_eq!(display_width("e\u{301}"), 1);
    assert_eq!(ellipsize("東京ストア", 5), "東京…");
    assert_eq!(display_width(&ellipsize("東京ストア", 5)), 5);
    assert_eq!(ellipsize("short", 10), "short");
    // An emoji with its variation selector is two columns, not one.
    let hearts = "❤\u{fe0f}".repeat(10);
    for max in 1..12 {
        assert!(
            display_width(&ellipsize(&hearts, max)) <= max.max(1),
            "{max}"
        );
    }
    let rows = vec![vec![hearts.clone(), "x".into()]];
    let columns = plain_columns(&["NAME", "STATE"]);
    let t = Table::new(&columns, &rows).fit(Some(14)).render();
    assert!(widest(&t) <= 14, "{t}");
}

const LIST: [Column<'static>; 4] = [
    Column::new("NAME", 9),
    Column::new("STATE", 9),
    Column::new("ICLIENT", 2),
    Column::new("SCOPES", 0),
];

fn list_rows() -> Vec<Vec<String>> {
    rows(&[&[
        "shop-production-main",
        "superseded",
        "partner-app-one",
        "store_v2_orders_read_only +12",
    ]])
}

#[test]
fn the_least_useful_column_is_cut_first() {
    let rows = list_rows();
    // Natural: 20 + 10 + 15 + 29 + 6 = 80.
    let t = Table::new(&LIST, &rows).fit(Some(60)).render();
    assert!(widest(&t) <= 60, "{t}");
    assert!(
        t.contains("shop-production-main  superseded  partner-app-one  store_v2…\n"),
        "only SCOPES is cut, with an ellipsis: {t}"
    );
    // Narrower: SCOPES down to its header, then ICLIENT to its header.
    let t = Table::new(&LIST, &rows).fit(Some(50)).render();
    assert!(widest(&t) <= 50, "{t}");
    assert!(
        t.contains("shop-production-main  superseded  partner…  store…\n"),
        "{t}"
    );
}

#[test]
fn name_and_state_are_cut_last_and_with_an_ellipsis() {
    let rows = list_rows();
    // Every other column is as narrow as it gets (a few characters and
    // `…`, headers too) before NAME or STATE lose anything.
    let t = Table::new(&LIST, &rows).fit(Some(44)).render();
    assert!(widest(&t) <= 44, "{t}");
    assert!(t.contains("shop-production-main  superseded  "), "{t}");
    assert!(t.contains("ICL…") && t.contains("SCO…"), "{t}");
    // Then they go too, each with an ellipsis, never silently.
    let t = Table::new(&LIST, &rows).fit(Some(30)).render();
    assert!(widest(&t) <= 30, "{t}");
    let row = t.lines().nth(1).unwrap();
    let name = row.split_whitespace().next().unwrap();
    assert!(
        name.ends_with('…') && "shop-production-main".starts_with(name.trim_end_matches('…')),
        "{t}"
    );
    // Far too narrow: still within the width, all cut.
    let t = Table::new(&LIST, &rows).fit(Some(14)).render();
    assert!(widest(&t) <= 14, "{t}");
}

const SCOPES: [Column<'static>; 3] = [
    Column::new("SCOPE", 9),
    Column::new("ACCESS", 1),
    Column::new("DESCRIPTION", 0).wrap(),
];

#[test]
fn free_text_wraps_at_spaces_before_anything_is_cut() {
    let rows = rows(&[&[
        "store_v2_orders",
        "Orders — modify",
        "View and modify orders, their shipments and refunds",
    ]]);
    let t = Table::new(&SCOPES, &rows).fit(Some(60)).render();
    assert!(widest(&t) <= 60, "{t}");
    assert!(!t.contains('…'), "nothing cut: {t}");
    let pad = " ".repeat(34);
    assert_eq!(
        t,
        format!(
            "SCOPE            ACCESS           DESCRIPTION\n\
             store_v2_orders  Orders — modify  View and modify orders,\n\
             {pad}their shipments and\n{pad}refunds\n"
        )
    );
}

#[test]
fn free_text_too_narrow_to_read_goes_under_its_row() {
    let long = "store_infrastructure_deployments_create_preview";
    let rows = rows(&[&[
        long,
        "Infrastructure Deployments — create preview",
        "Create preview deployments of a headless storefront",
    ]]);
    let t = Table::new(&SCOPES, &rows).fit(Some(60)).render();
    assert!(widest(&t) <= 60, "{t}");
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[0],
        "SCOPE                                            ACCESS"
    );
    assert_eq!(lines[1], "    DESCRIPTION");
    assert!(lines[2].starts_with(&format!("{long}  Infras")), "{t}");
    assert!(
        lines[2].ends_with('…'),
        "the least useful column is cut: {t}"
    );
    assert_eq!(
        lines[3],
        "    Create preview deployments of a headless storefront"
    );
}

#[test]
fn a_command_is_never_split_it_goes_on_its_own_line() {
    const STATUS: [Column<'static>; 3] = [
        Column::new("NAME", 9),
        Column::new("STATUS", 9),
        Column::new("DETAIL", 0).wrap(),
    ];
    let rows = rows(&[&[
        "shop",
        "not authorized",
        "pending: run `bcconn authorize a-rather-long-connection-name`",
    ]]);
    let t = Table::new(&STATUS, &rows).fit(Some(60)).render();
    assert!(widest(&t) <= 60, "{t}");
    assert!(
        t.contains("\n    `bcconn authorize a-rather-long-connection-name`\n"),
        "{t}"
    );
    // The detail could not hold the command beside the row: under it.
    assert_eq!(
        t.lines().take(4).collect::<Vec<_>>(),
        [
            "NAME  STATUS",
            "    DETAIL",
            "shop  not authorized",
            "    pending: run"
        ],
        "{t}"
    );
    // Wide enough, the detail wraps beside its row, the command whole.
    let t = Table::new(&STATUS, &rows).fit(Some(80)).render();
    assert!(widest(&t) <= 80, "{t}");
    assert!(t.contains("shop  not authorized  pending: run\n"), "{t}");
    assert!(
        t.contains(&format!(
            "{}`bcconn authorize a-rather-long-connection-name`\n",
            " ".repeat(22)
        )),
        "{t}"
    );
    // Unlimited: one line, as scripts read it.
    let t = Table::new(&STATUS, &rows).render();
    assert_eq!(t.lines().count(), 2, "{t}");
    // Key-value lines keep their values beside the keys: a command wider
    // than the value's column goes on an indented line of its own.
    let kv_rows = vec![vec![
        "token".to_string(),
        "print it with `bcconn token a-rather-long-connection-name`".to_string(),
    ]];
    assert_eq!(
        kv_fit(&kv_rows, Some(40)),
        "token  print it with\n    `bcconn token a-rather-long-connection-name`\n"
    );
}

#[test]
fn without_a_width_every_cell_is_whole_on_one_line() {
    let long = rows(&[&["x".repeat(300).as_str(), "y ".repeat(100).trim(), "z"]]);
    let t = Table::new(&SCOPES, &long).render();
    assert_eq!(t.lines().count(), 2);
    assert!(!t.contains('…'));
    assert_eq!(kv(&rows(&[&["key", &"v ".repeat(100)]])).lines().count(), 1);
}

#[test]
fn key_value_lines_wrap_their_values_under_the_value() {
    let rows = rows(&[
        &["name", "shop"],
        &[
            "token",
            "******** (in the OS keyring; print it with `bcconn token shop`)",
        ],
    ]);
    let t = kv_fit(&rows, Some(40));
    assert!(widest(&t) <= 40, "{t}");
    assert_eq!(
        t,
        "name   shop\n\
         token  ******** (in the OS keyring;\n\
         \x20      print it with\n\
         \x20      `bcconn token shop`)\n"
    );
}

#[test]
fn long_words_are_split_not_cut() {
    let url = "https://example.com/a/very/long/callback/path/that/goes/on";
    let pieces = wrap(url, 20, 0);
    let joined: String = pieces
        .iter()
        .map(|p| match p {
            Piece::Line(t) => t.to_string(),
            Piece::Apart(t) => t.to_string(),
        })
        .collect();
    assert_eq!(joined, url);
    assert!(pieces.len() == 3, "{pieces:?}");
    // Where a line of its own can hold it, it goes there whole.
    assert_eq!(wrap(url, 20, 60), [Piece::Apart(url)]);
    let kv_rows = vec![vec!["callback url".to_string(), url.to_string()]];
    assert_eq!(
        kv_fit(&kv_rows, Some(64)),
        format!("callback url\n    {url}\n")
    );
}

#[test]
fn cells_are_painted_by_what_they_hold_even_when_cut() {
    let paint = |col: usize, cell: &str| (col == 1 && cell == "superseded").then_some("\x1b[33m");
    let mut line = String::new();
    push_table_line(&mut line, &["a", "superseded"], &[1, 6], Some(&paint));
    assert_eq!(line, "a  \x1b[33msuper…\x1b[0m\n");
}

#[test]
fn hanging_text_wraps_under_its_first_line() {
    let text = "authorize the connections again (`bcconn authorize NAME`) and more";
    assert_eq!(
        hang(text, 6, Some(40)),
        "authorize the connections again\n      (`bcconn authorize NAME`) and more"
    );
    assert_eq!(hang(text, 6, None), text);
}

#[test]
fn a_short_column_stays_whole_until_the_names_give_way() {
    let columns = [
        Column::new("NAME", 9),
        Column::new("STORE", 4),
        Column::new("ICLIENT", 2),
        Column::new("SCOPES", 0),
    ];
    let name = "a-connection-name-of-forty-characters-xx";
    let rows = rows(&[
        &[name, "abc123", "partner-app-one", "store_v2_orders +3"],
        &[name, "abc124", "partner-app-one", "store_v2_orders +3"],
    ]);
    // The long columns go down to a few letters; the store hashes, which
    // tell the rows apart, stay whole; NAME keeps the rest.
    let t = Table::new(&columns, &rows).fit(Some(60)).render();
    assert!(widest(&t) <= 60, "{t}");
    assert!(t.contains("  abc123  ") && t.contains("  abc124  "), "{t}");
    assert!(t.contains("ICL…") && t.contains("SCO…"), "{t}");
    // Only once NAME is down to a few letters too does STORE lose any.
    let t = Table::new(&columns, &rows).fit(Some(24)).render();
    assert!(widest(&t) <= 24, "{t}");
    assert!(t.contains("  abc123  "), "{t}");
}

#[test]
fn said_lines_wrap_under_their_value_never_mid_word() {
    let summary = "Summary\n  Name          shop\n  Scopes        store_v2_orders, store_v2_customers_read_only, store_fulfillment_methods_read_only\n  iClient       myapp (client id cid123; new, saved with the connection)";
    let fitted = fit_said(summary, Some(60));
    assert!(widest(&fitted) <= 60, "{fitted}");
    // Short lines as they were; long ones continue under the value.
    assert!(
        fitted.starts_with("Summary\n  Name          shop\n"),
        "{fitted}"
    );
    assert!(
        fitted.contains(
            "  Scopes        store_v2_orders,\n                store_v2_customers_read_only,"
        ),
        "{fitted}"
    );
    // Every word is whole on some line.
    for word in summary.split_whitespace() {
        assert!(
            fitted.split_whitespace().any(|w| w == word),
            "{word}: {fitted}"
        );
    }
    // A line without a label column hangs under its own indent.
    let note = format!("  {}", "word ".repeat(30));
    let fitted = fit_said(&note, Some(40));
    assert!(widest(&fitted) <= 40, "{fitted}");
    assert!(
        fitted.lines().skip(1).all(|l| l.starts_with("  word")),
        "{fitted}"
    );
    // No width: as it is.
    assert_eq!(fit_said(summary, None), summary);
}
