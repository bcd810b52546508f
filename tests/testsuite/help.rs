//! Help beyond one command: `bcconn help environment` and `exit-codes`,
//! examples that never wrap mid-command, and man pages rendered by `man`
//! with the sections a reader looks for.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{Env, all_output};

fn stdout_of(env: &Env, args: &[&str], columns: &str) -> String {
    let mut cmd = env.cmd(args);
    cmd.env("COLUMNS", columns);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", all_output(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// Every `BCCONN_*` name written anywhere in the sources.
fn variables_in_sources(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            variables_in_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (at, _) in text.match_indices("BCCONN_") {
                let name: String = text[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if name.len() > "BCCONN_".len() {
                    out.insert(name);
                }
            }
        }
    }
}

#[test]
fn every_variable_is_documented_in_help_environment() {
    let mut used = BTreeSet::new();
    variables_in_sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut used,
    );
    assert!(used.contains("BCCONN_HOME") && used.len() > 10, "{used:?}");
    let table: BTreeSet<&str> = bcconn::env::VARIABLES.iter().map(|v| v.name).collect();
    let missing: Vec<&String> = used
        .iter()
        .filter(|v| !table.contains(v.as_str()))
        .collect();
    assert!(missing.is_empty(), "not in env::VARIABLES: {missing:?}");

    let env = Env::new();
    let text = stdout_of(&env, &["help", "environment"], "80");
    for name in table.iter().chain(&["NO_COLOR"]) {
        assert!(
            text.lines().any(|l| l.trim() == *name),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    // Global flags before it, as people type them.
    assert_eq!(stdout_of(&env, &["-v", "help", "environment"], "80"), text);
    // `help env` is still the env command's help.
    assert!(stdout_of(&env, &["help", "env"], "80").contains("--shell"));
    let top = stdout_of(&env, &["--help"], "80");
    assert!(top.contains("bcconn help environment"), "{top}");
    assert!(!env.home().exists(), "help writes nothing");
}

#[test]
fn help_exit_codes_lists_every_status() {
    let env = Env::new();
    let text = stdout_of(&env, &["help", "exit-codes"], "80");
    // A description may wrap: compared with its line breaks undone.
    let joined = squeezed(&text);
    for (code, what) in bcconn::cli::exit_statuses() {
        assert!(
            joined.contains(&squeezed(&format!("{code} {what}"))),
            "{code}:\n{text}"
        );
    }
    for code in ["0", "1", "2", "3", "126", "127", "130"] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} ")))
        );
    }
}

/// `text` with every run of white space one space.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn help_topics_wrap_to_the_width_under_their_descriptions() {
    let env = Env::new();
    for (topic, indent) in [("environment", 6), ("exit-codes", 7)] {
        let text = stdout_of(&env, &["help", topic], "60");
        let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 60).collect();
        assert!(long.is_empty(), "{topic} past 60 columns: {long:?}\n{text}");
        // Wrapped lines hang under the description, not at the margin.
        let continued = text.lines().filter(|l| {
            l.starts_with(&" ".repeat(indent)) && !l.starts_with(&" ".repeat(indent + 1))
        });
        assert!(continued.count() > 1, "{topic}:\n{text}");
        // The same words as at 100 columns.
        assert_eq!(
            squeezed(&text),
            squeezed(&stdout_of(&env, &["help", topic], "100"))
        );
    }
}

#[test]
fn a_help_topic_with_more_words_is_refused_clearly() {
    let env = Env::new();
    let out = env.cmd(&["help", "environment", "extra"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(
        said.contains("error: `bcconn help environment` takes nothing after it"),
        "{said}"
    );
    assert!(!said.contains("unrecognized subcommand"), "{said}");
}

/// Every command, with the path that reaches it.
fn commands(
    cmd: &clap::Command,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, clap::Command)>,
) {
    out.push((path.clone(), cmd.clone()));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        path.push(sub.get_name().to_string());
        commands(sub, path, out);
        path.pop();
    }
}

/// The indented lines under `Examples:` or `Example:`.
fn example_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("Example") && line.trim_end().ends_with(':') {
            inside = true;
        } else if inside && line.starts_with("  ") {
            out.push(line.to_string());
        } else {
            inside = false;
        }
    }
    out
}

/// At 60 columns every example comes out as written (clap wrapped long
/// ones at any space before); a line wider than that is one word that
/// cannot be broken (a quoted shell script), and is named here.
#[test]
fn examples_never_wrap_mid_command_at_60_columns() {
    let env = Env::new();
    let mut all = Vec::new();
    commands(&bcconn::cli::command(), &mut Vec::new(), &mut all);
    let mut checked = 0;
    let mut unbreakable = Vec::new();
    for (path, cmd) in &all {
        let Some(after) = cmd.get_after_help().map(|t| t.to_string()) else {
            continue;
        };
        let want = example_lines(&after);
        if want.is_empty() {
            continue;
        }
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let shown = example_lines(&stdout_of(&env, &args, "60"));
        for line in &want {
            if line.chars().count() > 60 {
                unbreakable.push(format!("{path:?}: {line}"));
                continue;
            }
            assert!(line.chars().count() <= 58, "{path:?}: {line}");
            assert!(
                shown.contains(line),
                "{path:?}: wrapped at 60 columns: {line:?}\nshown: {shown:#?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked}");
    // Every example fits: one too long to break (a quoted script) would
    // wrap mid-command.
    assert!(unbreakable.is_empty(), "{unbreakable:#?}");
    // A long example is broken with ` \` onto an indented line.
    let create = stdout_of(&env, &["create", "--help"], "60");
    assert!(
        create.contains("  bcconn create shop --store-hash abc123 \\\n      --iclient my-app"),
        "{create}"
    );
}

/// `man` itself, when installed (`.ci/run` installs man-db).
fn man_available() -> bool {
    std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `man -l PAGE` as plain text, 100 columns wide.
fn man(page: &Path) -> String {
    let out = std::process::Command::new("man")
        .arg("-l")
        .arg(page)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    // Bold and underline as overstrikes, when groff writes them.
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut plain = String::new();
    for c in text.chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    plain
}

fn section<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!("\n{name}\n"))
        .unwrap_or_else(|| panic!("no {name} section:\n{page}"))
        + name.len()
        + 2;
    let rest = &page[start..];
    // The next heading: a line that starts at column 0 with a capital.
    let end = rest
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| rest[i..].starts_with(|c: char| c.is_ascii_uppercase()))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
#[ignore = "needs man (man-db); .ci/run installs it and runs ignored tests"]
fn man_pages_have_the_sections_a_reader_looks_for() {
    assert!(man_available(), "no `man` here: install man-db");
    let env = Env::new();
    let dir = env.dir.path().join("man1");
    let out = env
        .cmd(&["man", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));

    let top = man(&dir.join("bcconn.1"));
    for name in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
    ] {
        section(&top, name);
    }
    let environment = section(&top, "ENVIRONMENT");
    for v in bcconn::env::VARIABLES {
        assert!(
            environment.lines().any(|l| l.trim() == v.name),
            "{} missing:\n{environment}",
            v.name
        );
    }
    assert!(environment.contains("NO_COLOR"));
    let files = section(&top, "FILES");
    for path in [
        "$BCCONN_HOME/bcconn.db",
        "$BCCONN_HOME/pools/",
        "$BCCONN_HOME/rate/",
        ".bcconn",
    ] {
        assert!(files.contains(path), "{path}:\n{files}");
    }
    let status = section(&top, "EXIT STATUS");
    for (code, _) in bcconn::cli::exit_statuses() {
        assert!(
            status
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "{code}:\n{status}"
        );
    }

    let create = man(&dir.join("bcconn-create.1"));
    let synopsis = section(&create, "SYNOPSIS");
    for words in [
        "--store-hash HASH|URL",
        "--scopes SCOPE,..",
        "--iclient NAME",
        "[NAME]",
    ] {
        assert!(synopsis.contains(words), "{words}:\n{synopsis}");
    }
    // Examples as literal lines, the long one broken with ` \`.
    let examples = section(&create, "EXAMPLES");
    assert!(
        examples.contains("bcconn create shop --store-hash abc123 \\\n")
            && examples.contains("    --iclient my-app --scopes store_v2_orders --yes"),
        "{examples}"
    );
    let exec = man(&dir.join("bcconn-exec.1"));
    assert!(
        section(&exec, "SYNOPSIS").contains("[NAME] -- CMD..."),
        "{exec}"
    );
    section(&exec, "EXAMPLES");
    section(&exec, "NOTES");
}
