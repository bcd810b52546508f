use super::*;

fn ok(_: &str) -> Result<(), String> {
    Ok(())
}

fn no_spaces(s: &str) -> Result<(), String> {
    if s.contains(' ') {
        Err(format!("{s:?} has a space; names have none"))
    } else {
        Ok(())
    }
}

fn question<'a>(check: &'a dyn Fn(&str) -> Result<(), String>) -> Question<'a> {
    Question {
        message: "Name:",
        help: None,
        default: None,
        initial: None,
        hidden: false,
        check,
    }
}

fn answered(text: &str) -> Outcome {
    Outcome::Answered(Zeroizing::new(text.to_string()))
}

fn type_in(f: &mut Field, text: &str) {
    for c in text.chars() {
        assert_eq!(f.handle(Key::Char(c)), Outcome::Open);
    }
}

#[test]
fn a_failed_check_keeps_the_question_open_with_the_error_under_it() {
    let q = Question {
        help: Some("letters only"),
        ..question(&no_spaces)
    };
    let mut f = Field::new(&q);
    type_in(&mut f, "a b");
    assert_eq!(f.handle(Key::Enter), Outcome::Open);
    assert_eq!(f.text(), "a b", "kept for editing");
    let frame = f.frame(false, None);
    assert_eq!(
        frame.lines,
        [
            "? Name: a b",
            "# \"a b\" has a space; names have none",
            "[letters only]"
        ]
    );
    assert_eq!(frame.col, "? Name: a b".len());
    f.handle(Key::ClearToStart);
    type_in(&mut f, "ab");
    assert_eq!(f.handle(Key::Enter), answered("ab"));
}

#[test]
fn an_empty_line_takes_the_default_unchecked() {
    let refuse = |_: &str| Err("no".to_string());
    let q = Question {
        default: Some("abc123"),
        ..question(&refuse)
    };
    let mut f = Field::new(&q);
    assert_eq!(f.frame(false, None).lines[0], "? Name: (abc123) ");
    assert_eq!(f.handle(Key::Enter), answered("abc123"));
    // Typed text is checked.
    let mut f = Field::new(&q);
    type_in(&mut f, "x");
    assert_eq!(f.handle(Key::Enter), Outcome::Open);
}

#[test]
fn the_initial_text_is_editable_and_checked() {
    let q = Question {
        initial: Some("old name"),
        ..question(&no_spaces)
    };
    let mut f = Field::new(&q);
    assert_eq!(f.frame(false, None).lines[0], "? Name: old name");
    assert_eq!(f.handle(Key::Enter), Outcome::Open);
    f.handle(Key::DeleteWord);
    f.handle(Key::Backspace);
    assert_eq!(f.handle(Key::Enter), answered("old"));
}

#[test]
fn esc_goes_back_and_ctrl_c_leaves() {
    let q = question(&ok);
    assert_eq!(Field::new(&q).handle(Key::Back), Outcome::Back);
    assert_eq!(Field::new(&q).handle(Key::Interrupt), Outcome::Cancelled);
    assert_eq!(Field::new(&q).handle(Key::EndOfInput), Outcome::Cancelled);
}

#[test]
fn a_hidden_line_draws_nothing_typed() {
    let q = Question {
        hidden: true,
        help: Some("input is hidden"),
        ..question(&ok)
    };
    let mut f = Field::new(&q);
    type_in(&mut f, "wrong");
    f.handle(Key::ClearToStart);
    type_in(&mut f, "s3cret");
    let frame = f.frame(false, Some(80));
    assert_eq!(frame.lines, ["? Name: ", "[input is hidden]"]);
    assert_eq!(frame.col, "? Name: ".len());
    assert_eq!(f.handle(Key::Enter), answered("s3cret"));
}

#[test]
fn an_answer_is_left_out_of_the_debug_form() {
    let q = Question {
        hidden: true,
        ..question(&ok)
    };
    let mut f = Field::new(&q);
    type_in(&mut f, "s3cret");
    let outcome = f.handle(Key::Enter);
    assert_eq!(format!("{outcome:?}"), "Answered(6 bytes)");
}

#[test]
fn pasted_text_is_typed_not_submitted() {
    let q = question(&ok);
    let mut f = Field::new(&q);
    f.paste("pasted\r\n");
    assert_eq!(f.text(), "pasted");
    // Two lines are two values: refused, said under the prompt.
    f.paste("line1\nline2");
    assert_eq!(f.text(), "pasted");
    let frame = f.frame(false, Some(80)).lines.join("\n");
    assert!(frame.contains("more than one line"), "{frame}");
}

#[test]
fn a_100_kb_paste_is_cut_to_a_line_and_the_prompt_says_so() {
    let paste = "0123456789abcdef東".repeat(100_000 / 19 + 1);
    for hidden in [false, true] {
        let q = Question {
            hidden,
            help: Some("h"),
            ..question(&ok)
        };
        let mut f = Field::new(&q);
        f.paste(&paste);
        assert!(f.text().len() <= LINE_MAX, "{}", f.text().len());
        assert!(paste.starts_with(f.text()));
        let frame = f.frame(false, Some(80));
        assert!(display_width(&frame.lines[0]) < 80, "{:?}", frame.lines[0]);
        assert_eq!(
            frame.lines[1..],
            [
                "# cut at 16 KiB, the most a line holds; the rest was left out",
                "[h]"
            ]
        );
        // Typing at a full line keeps the note; deleting takes it away.
        f.handle(Key::Char('x'));
        assert_eq!(f.frame(false, Some(80)).lines.len(), 3);
        f.handle(Key::Backspace);
        assert_eq!(f.frame(false, Some(80)).lines.len(), 2);
        let Outcome::Answered(answer) = f.handle(Key::Enter) else {
            panic!("not answered")
        };
        assert_eq!(answer.len(), f.text().len());
    }
}

#[test]
fn a_long_value_on_a_narrow_terminal_stays_on_one_row() {
    let q = Question {
        help: Some(
            "the hash, or any URL that holds it: https://api.bigcommerce.com/stores/<hash>/v3/",
        ),
        ..question(&ok)
    };
    let mut f = Field::new(&q);
    let long = "https://store-abc123.mybigcommerce.com/manage/dashboard?x=1";
    type_in(&mut f, long);
    for width in [20, 40, 60] {
        let frame = f.frame(false, Some(width));
        assert!(display_width(&frame.lines[0]) < width, "{width}: {frame:?}");
        assert!(frame.col < width, "{width}: {frame:?}");
        assert!(frame.lines[0].ends_with("board?x=1"), "{frame:?}");
        assert!(frame.lines[0].contains('…'), "{frame:?}");
        // The help is whole, for the terminal to wrap.
        assert!(frame.lines[1].ends_with("/stores/<hash>/v3/]"), "{frame:?}");
    }
    // Home: the start of the value in view.
    f.handle(Key::Start);
    let frame = f.frame(false, Some(40));
    assert!(
        frame.lines[0].starts_with("? Name: https://store"),
        "{frame:?}"
    );
    assert_eq!(frame.col, "? Name: ".len());
}

#[test]
fn a_question_too_long_for_the_row_is_cut_not_the_line() {
    let q = Question {
        message: "Type or paste the access token of the store-level API account:",
        ..question(&ok)
    };
    let mut f = Field::new(&q);
    type_in(&mut f, "abcdefghij");
    let frame = f.frame(false, Some(40));
    assert!(display_width(&frame.lines[0]) < 40, "{frame:?}");
    assert!(frame.lines[0].ends_with("… abcdefghij"), "{frame:?}");
}

#[test]
fn colour_only_when_asked() {
    let q = Question {
        help: Some("h"),
        default: Some("d"),
        ..question(&no_spaces)
    };
    let mut f = Field::new(&q);
    type_in(&mut f, "a b");
    f.handle(Key::Enter);
    assert!(!f.frame(false, Some(80)).lines.concat().contains('\x1b'));
    let coloured = f.frame(true, Some(80));
    assert!(coloured.lines[0].starts_with(GREEN), "{coloured:?}");
    assert_eq!(
        coloured.col,
        "? Name: (d) a b".len(),
        "escapes take no column"
    );
}

#[test]
fn answered_lines_do_not_look_like_open_ones() {
    let answered = closing_line(false, "Name:", Some("shop"));
    assert_eq!(answered, "✔ Name: shop");
    assert!(!answered.starts_with(OPEN));
    assert_eq!(closing_line(false, "Name:", None), "? Name: <canceled>");
    let coloured = closing_line(true, "Name:", Some("shop"));
    assert!(coloured.contains(ANSWERED) && coloured.contains('\x1b'));
}
