use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::*;

/// The line after typing `keys` into an empty one: printable characters
/// are typed, the others are mapped as the terminal's keys would be.
fn typed(keys: &[Key]) -> Editor {
    let mut e = Editor::new("");
    for &k in keys {
        assert_eq!(e.handle(k), Action::Open, "{k:?}");
    }
    e
}

fn chars(text: &str) -> Vec<Key> {
    text.chars().map(Key::Char).collect()
}

/// `text` then `more` keys, the line's text.
fn after(text: &str, more: &[Key]) -> String {
    let mut keys = chars(text);
    keys.extend_from_slice(more);
    typed(&keys).text().to_string()
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Option<Key> {
    key_of(&KeyEvent::new(code, modifiers))
}

fn ctrl(c: char) -> Option<Key> {
    key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

#[test]
fn ctrl_u_clears_to_the_start() {
    // The case: `wrong`, Ctrl-U, `good` is `good`.
    let mut keys = chars("wrong");
    keys.push(Key::ClearToStart);
    keys.extend(chars("good"));
    assert_eq!(typed(&keys).text(), "good");
    // Only what is before the cursor.
    assert_eq!(
        after("abcdef", &[Key::Left, Key::Left, Key::ClearToStart]),
        "ef"
    );
    let e = typed(&[Key::Char('x'), Key::Start, Key::ClearToStart]);
    assert_eq!((e.text(), e.cursor()), ("x", 0));
}

#[test]
fn ctrl_w_deletes_the_word_before_the_cursor() {
    // The case: `hello world` Ctrl-W Ctrl-A `X` is `Xhello `.
    assert_eq!(
        after(
            "hello world",
            &[Key::DeleteWord, Key::Start, Key::Char('X')]
        ),
        "Xhello "
    );
    // The spaces after a word go with it, as in a shell.
    assert_eq!(after("hello world  ", &[Key::DeleteWord]), "hello ");
    assert_eq!(after("one", &[Key::DeleteWord]), "");
    assert_eq!(after("   ", &[Key::DeleteWord]), "");
    // Punctuation is part of the word; only spaces end it.
    assert_eq!(after("a https://x.io/p", &[Key::DeleteWord]), "a ");
    // From the middle: the part of the word before the cursor.
    let mut keys = chars("foo barbaz");
    keys.extend([Key::Left, Key::Left, Key::Left, Key::DeleteWord]);
    let e = typed(&keys);
    assert_eq!((e.text(), e.cursor()), ("foo baz", 4));
    // At the start: nothing.
    assert_eq!(after("ab", &[Key::Start, Key::DeleteWord]), "ab");
}

#[test]
fn start_and_end_move_the_cursor() {
    let e = typed(&[Key::Char('a'), Key::Char('b'), Key::Start]);
    assert_eq!(e.cursor(), 0);
    assert_eq!(after("bc", &[Key::Start, Key::Char('a')]), "abc");
    assert_eq!(after("ab", &[Key::Start, Key::End, Key::Char('c')]), "abc");
}

#[test]
fn ctrl_k_clears_to_the_end() {
    let mut keys = chars("keep-drop");
    keys.extend([Key::Left; 4]);
    keys.push(Key::ClearToEnd);
    let e = typed(&keys);
    assert_eq!((e.text(), e.cursor()), ("keep-", 5));
    assert_eq!(after("abc", &[Key::ClearToEnd]), "abc");
    assert_eq!(after("abc", &[Key::Start, Key::ClearToEnd]), "");
}

#[test]
fn arrows_backspace_and_delete() {
    assert_eq!(after("ac", &[Key::Left, Key::Char('b')]), "abc");
    assert_eq!(
        after("ab", &[Key::Left, Key::Left, Key::Left, Key::Char('_')]),
        "_ab",
        "← stops at the start"
    );
    assert_eq!(
        after(
            "ab",
            &[
                Key::Start,
                Key::Right,
                Key::Right,
                Key::Right,
                Key::Char('c')
            ]
        ),
        "abc",
        "→ stops at the end"
    );
    assert_eq!(after("abc", &[Key::Backspace]), "ab");
    assert_eq!(after("abc", &[Key::Left, Key::Backspace]), "ac");
    assert_eq!(after("", &[Key::Backspace]), "");
    assert_eq!(after("abc", &[Key::Start, Key::Delete]), "bc");
    assert_eq!(
        after("abc", &[Key::Delete]),
        "abc",
        "nothing under the cursor"
    );
}

#[test]
fn enter_submits_esc_goes_back_ctrl_c_leaves() {
    let mut e = Editor::new("x");
    assert_eq!(e.handle(Key::Enter), Action::Submit);
    assert_eq!(e.handle(Key::Back), Action::Back);
    assert_eq!(e.handle(Key::Interrupt), Action::Cancel);
    assert_eq!(e.text(), "x", "none of them edits");
}

#[test]
fn ctrl_d_leaves_an_empty_line_and_deletes_in_a_full_one() {
    assert_eq!(Editor::new("").handle(Key::EndOfInput), Action::Cancel);
    let mut e = Editor::new("ab");
    e.handle(Key::Start);
    assert_eq!(e.handle(Key::EndOfInput), Action::Open);
    assert_eq!(e.text(), "b");
}

#[test]
fn keys_map_as_a_shell_maps_them() {
    let none = KeyModifiers::NONE;
    assert_eq!(ctrl('u'), Some(Key::ClearToStart));
    assert_eq!(ctrl('w'), Some(Key::DeleteWord));
    assert_eq!(ctrl('a'), Some(Key::Start));
    assert_eq!(ctrl('e'), Some(Key::End));
    assert_eq!(ctrl('k'), Some(Key::ClearToEnd));
    assert_eq!(ctrl('b'), Some(Key::Left));
    assert_eq!(ctrl('f'), Some(Key::Right));
    assert_eq!(ctrl('c'), Some(Key::Interrupt));
    assert_eq!(ctrl('C'), Some(Key::Interrupt));
    assert_eq!(ctrl('d'), Some(Key::EndOfInput));
    assert_eq!(ctrl('h'), Some(Key::Backspace));
    assert_eq!(ctrl('j'), Some(Key::Enter));
    assert_eq!(key(KeyCode::Home, none), Some(Key::Start));
    assert_eq!(key(KeyCode::End, none), Some(Key::End));
    assert_eq!(key(KeyCode::Left, none), Some(Key::Left));
    assert_eq!(key(KeyCode::Right, none), Some(Key::Right));
    assert_eq!(key(KeyCode::Delete, none), Some(Key::Delete));
    assert_eq!(key(KeyCode::Backspace, none), Some(Key::Backspace));
    assert_eq!(key(KeyCode::Enter, none), Some(Key::Enter));
    assert_eq!(key(KeyCode::Esc, none), Some(Key::Back));
    assert_eq!(key(KeyCode::Char('x'), none), Some(Key::Char('x')));
    assert_eq!(
        key(KeyCode::Char('X'), KeyModifiers::SHIFT),
        Some(Key::Char('X'))
    );
    assert_eq!(key(KeyCode::Char('é'), none), Some(Key::Char('é')));
    // A release is no key.
    let mut release = KeyEvent::new(KeyCode::Char('x'), none);
    release.kind = KeyEventKind::Release;
    assert_eq!(key_of(&release), None);
}

#[test]
fn other_control_keys_and_alt_are_ignored_never_typed() {
    for c in [
        'g', 't', 'l', 'n', 'o', 'p', 'q', 'r', 's', 'v', 'x', 'y', 'z', '4', ' ',
    ] {
        assert_eq!(ctrl(c), None, "Ctrl-{c}");
    }
    let alt = KeyModifiers::ALT;
    for code in [
        KeyCode::Char('b'),
        KeyCode::Char('f'),
        KeyCode::Backspace,
        KeyCode::Char('.'),
    ] {
        assert_eq!(key(code, alt), None, "Alt-{code:?}");
    }
    assert_eq!(key(KeyCode::Char('u'), alt | KeyModifiers::CONTROL), None);
    // AltGr on Windows: Ctrl+Alt and the character it made.
    assert_eq!(
        key(KeyCode::Char('@'), alt | KeyModifiers::CONTROL),
        Some(Key::Char('@'))
    );
    assert_eq!(
        key(KeyCode::Char('ł'), alt | KeyModifiers::CONTROL),
        Some(Key::Char('ł'))
    );
    // Ctrl+Alt+Space as a terminal sends it (Esc, NUL): nothing.
    assert_eq!(key(KeyCode::Char(' '), alt | KeyModifiers::CONTROL), None);
    for code in [
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::PageUp,
        KeyCode::Insert,
        KeyCode::F(1),
        KeyCode::Char('\u{7}'),
    ] {
        assert_eq!(key(code, KeyModifiers::NONE), None, "{code:?}");
    }
}

#[test]
fn pasted_text_is_typed_without_its_control_characters() {
    let mut e = Editor::new("a");
    e.handle(Key::Start);
    e.insert("x\u{1b}[31my\r\nz\t\u{7f}");
    assert_eq!(e.text(), "x[31myza");
    assert_eq!(e.cursor(), "x[31myz".len());
    // The line a question opens with is cleaned the same way.
    assert_eq!(Editor::new("a\u{15}b\n").text(), "ab");
}

#[test]
fn the_cursor_moves_over_whole_characters() {
    // An accented letter typed as two characters is one step.
    let e = typed(&[
        Key::Char('e'),
        Key::Char('\u{301}'),
        Key::Char('x'),
        Key::Left,
        Key::Left,
    ]);
    assert_eq!(e.cursor(), 0);
    assert_eq!(after("e\u{301}", &[Key::Backspace]), "");
    assert_eq!(after("東京", &[Key::Left, Key::Char('の')]), "東の京");
    assert_eq!(after("東京x", &[Key::Start, Key::Delete]), "京x");
    assert_eq!(after("ab 東京", &[Key::DeleteWord]), "ab ");
    let flag = "🇯🇵";
    assert_eq!(after(&format!("a{flag}"), &[Key::Backspace]), "a");
    // Ctrl-U and Ctrl-K cut at the cursor, a byte offset between letters.
    assert_eq!(after("ñandú", &[Key::Left, Key::ClearToStart]), "ú");
}

#[test]
fn the_buffer_grows_and_keeps_everything() {
    let long = "x".repeat(1000);
    let mut e = Editor::new("");
    for c in long.chars() {
        e.handle(Key::Char(c));
    }
    assert_eq!(e.text(), long);
    e.insert(&"y".repeat(5000));
    assert_eq!(e.text().len(), 6000);
}

#[test]
fn a_short_line_is_shown_whole() {
    let mut left = 0;
    let v = view("hello", 2, &mut left, 20);
    assert_eq!(
        v,
        View {
            text: "hello".into(),
            cursor_col: 2
        }
    );
    assert_eq!(view("東京", 6, &mut left, 20).cursor_col, 4);
}

#[test]
fn a_long_line_scrolls_to_keep_the_cursor_in_view() {
    let text: String = ('a'..='z').collect();
    let mut left = 0;
    // At the end: the end shown, the start cut with an ellipsis.
    let v = view(&text, text.len(), &mut left, 10);
    assert_eq!(v.text, "…stuvwxyz");
    assert_eq!(v.cursor_col, 9);
    assert!(super::super::display_width(&v.text) <= 10, "{v:?}");
    assert!(v.cursor_col < 10, "{v:?}");
    assert!(v.text.starts_with('…') && v.text.ends_with('z'), "{v:?}");
    // Back to the start: the start shown, the end cut.
    let v = view(&text, 0, &mut left, 10);
    assert_eq!(left, 0);
    assert!(v.text.starts_with('a') && v.text.ends_with('…'), "{v:?}");
    assert_eq!(v.cursor_col, 0);
    assert!(super::super::display_width(&v.text) <= 10, "{v:?}");
    // Moving right within the view does not scroll.
    let v = view(&text, 3, &mut left, 10);
    assert_eq!((left, v.cursor_col), (0, 3));
    // In the middle, the character under the cursor is drawn.
    for cursor in 0..=text.len() {
        let v = view(&text, cursor, &mut left, 10);
        assert!(
            super::super::display_width(&v.text) <= 10,
            "{cursor}: {v:?}"
        );
        let under = text[cursor..].chars().next();
        if let Some(c) = under {
            let col = v.cursor_col;
            let drawn: Vec<char> = v.text.chars().collect();
            assert_eq!(drawn.get(col), Some(&c), "{cursor}: {v:?}");
        }
    }
}

#[test]
fn wide_characters_scroll_by_their_width() {
    let text = "東京ストア本店のテスト接続".to_string();
    let mut left = 0;
    for cursor in text.char_indices().map(|(i, _)| i).chain([text.len()]) {
        let v = view(&text, cursor, &mut left, 9);
        assert!(super::super::display_width(&v.text) <= 9, "{cursor}: {v:?}");
        assert!(v.cursor_col < 9, "{cursor}: {v:?}");
        let boundaries: Vec<usize> = v
            .text
            .char_indices()
            .map(|(i, _)| super::super::display_width(&v.text[..i]))
            .chain([super::super::display_width(&v.text)])
            .collect();
        assert!(
            boundaries.contains(&v.cursor_col),
            "the cursor sits between characters: {v:?}"
        );
    }
}

/// Whether `at` is between two graphemes of the whole of `text`.
fn on_boundary(text: &str, at: usize) -> bool {
    text.grapheme_indices(true)
        .map(|(i, _)| i)
        .chain([text.len()])
        .any(|i| i == at)
}

/// The view at every width from 3 to 40, `left` kept between them as the
/// prompt keeps it: none may panic, and the cursor is drawn in the row.
fn draw_all_widths(e: &Editor) {
    let mut left = 0;
    for room in 3..=40 {
        let v = view(e.text(), e.cursor(), &mut left, room);
        assert!(v.cursor_col < room.max(3), "{room}: {v:?}");
        assert!(on_boundary(e.text(), left), "{room}: left {left}");
    }
}

#[test]
fn text_inserted_before_a_grapheme_it_joins_leaves_the_cursor_after_it() {
    // The review's case: `ᄀ` then 100 `b`, Ctrl-A, 40 pasted `ᄀ` (leading
    // jamo join into one grapheme with the first one).
    let mut e = Editor::new("");
    e.handle(Key::Char('\u{1100}'));
    for _ in 0..100 {
        e.handle(Key::Char('b'));
    }
    e.handle(Key::Start);
    e.insert(&"\u{1100}".repeat(40));
    assert_eq!(e.cursor(), "\u{1100}".len() * 41, "after the whole cluster");
    assert!(on_boundary(e.text(), e.cursor()));
    let mut left = 0;
    // At 80 columns the prompt leaves the line about 60.
    view(e.text(), e.text().len(), &mut left, 60);
    view(e.text(), e.cursor(), &mut left, 60);
    draw_all_widths(&e);
    // A combining mark first, then `東` typed before it at the start.
    let mut e = Editor::new("\u{301}");
    for _ in 0..12 {
        e.handle(Key::Char('b'));
    }
    e.handle(Key::Start);
    e.handle(Key::Char('東'));
    assert_eq!(e.text(), "東\u{301}bbbbbbbbbbbb");
    assert_eq!(e.cursor(), "東\u{301}".len());
    let mut left = e.text().len();
    view(e.text(), e.cursor(), &mut left, 5);
    draw_all_widths(&e);
}

#[test]
fn a_deletion_that_joins_two_graphemes_leaves_the_cursor_at_its_start() {
    let mut e = Editor::new("\u{1100}x\u{1100}");
    e.handle(Key::Left);
    e.handle(Key::Backspace);
    assert_eq!(e.text(), "\u{1100}\u{1100}");
    assert!(on_boundary(e.text(), e.cursor()), "{}", e.cursor());
    assert_eq!(e.cursor(), 0);
}

#[test]
fn the_view_of_a_cursor_or_start_inside_a_grapheme_moves_them_back() {
    let text = format!("{}{}", "\u{1100}".repeat(5), "b".repeat(30));
    for cursor in 0..=text.len() {
        for start in [0, 1, 2, 4, 7, 9, 14, text.len()] {
            let mut left = start;
            let v = view(&text, cursor, &mut left, 8);
            assert!(v.cursor_col < 8, "{cursor} {start}: {v:?}");
            assert!(on_boundary(&text, left), "{cursor} {start}: {left}");
        }
    }
    // Past the end: the end.
    let mut left = 99;
    assert_eq!(view("abc", 99, &mut left, 10).cursor_col, 3);
}

/// A small fixed-seed generator (xorshift), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn random_edits_with_joining_characters_keep_the_cursor_between_graphemes() {
    // Characters that join their neighbours: jamo (leading, vowel,
    // trailing), combining marks, a zero-width joiner, regional indicators,
    // a wide character, and plain ones.
    const PIECES: &[&str] = &[
        "\u{1100}", "\u{1161}", "\u{11a8}", "\u{301}", "\u{308}", "\u{200d}", "🇯", "🇵", "東", "👩",
        "b", " ", "e",
    ];
    const KEYS: &[Key] = &[
        Key::Left,
        Key::Right,
        Key::Start,
        Key::End,
        Key::Backspace,
        Key::Delete,
        Key::ClearToStart,
        Key::ClearToEnd,
        Key::DeleteWord,
        Key::EndOfInput,
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let mut e = Editor::new("");
        let mut left = 0;
        for _ in 0..60 {
            match rng.below(3) {
                0 => {
                    let piece = PIECES[rng.below(PIECES.len())];
                    let c = piece.chars().next().unwrap();
                    e.handle(Key::Char(c));
                }
                1 => {
                    let paste: String = (0..rng.below(6))
                        .map(|_| PIECES[rng.below(PIECES.len())])
                        .collect();
                    e.insert(&paste);
                }
                _ => {
                    e.handle(KEYS[rng.below(KEYS.len())]);
                }
            }
            assert!(
                on_boundary(e.text(), e.cursor()),
                "{:?} at {}",
                e.text(),
                e.cursor()
            );
            let room = 3 + rng.below(20);
            let v = view(e.text(), e.cursor(), &mut left, room);
            assert!(v.cursor_col < room, "{:?} {room}: {v:?}", e.text());
        }
    }
}

#[test]
fn a_paste_is_cut_at_the_most_a_line_holds() {
    // 100 KB of narrow, wide and joining characters, pasted at the end.
    let paste: String = "ab東\u{1100}\u{1161} é\u{301}".repeat(100_000 / 16);
    assert!(paste.len() >= 100_000);
    let mut e = Editor::new("");
    e.insert(&paste);
    assert!(e.was_cut());
    assert!(e.text().len() <= LINE_MAX);
    assert!(
        e.text().len() > LINE_MAX - 4,
        "filled to the last character"
    );
    assert!(paste.starts_with(e.text()), "the start is kept, in order");
    assert_eq!(e.cursor(), e.text().len());
    // At the start of a full line nothing more goes in.
    let before = e.text().to_string();
    e.handle(Key::Start);
    e.insert(&paste);
    assert_eq!(e.text(), before);
    assert_eq!(e.cursor(), 0);
    assert!(e.was_cut());
    // Deleting makes room, and the note goes.
    e.handle(Key::End);
    e.handle(Key::ClearToStart);
    assert!(!e.was_cut());
    assert_eq!(e.text(), "");
}

#[test]
fn a_long_paste_in_the_middle_goes_in_whole_and_in_order() {
    let mut e = Editor::new(&"a".repeat(8000));
    e.handle(Key::Start);
    e.handle(Key::Right);
    e.insert(&"b".repeat(100_000));
    let want = format!("a{}{}", "b".repeat(LINE_MAX - 8000), "a".repeat(7999));
    assert_eq!(e.text(), want);
    assert_eq!(e.cursor(), 1 + LINE_MAX - 8000);
    assert!(e.was_cut());
    // A full line's view, at a few cursor positions.
    let mut left = 0;
    for cursor in [e.cursor(), 0, e.text().len(), 5000] {
        let v = view(e.text(), cursor, &mut left, 60);
        assert!(super::super::display_width(&v.text) <= 60, "{cursor}");
        assert!(v.cursor_col < 60, "{cursor}");
    }
}
