//! Shell integration: `bcconn completions SHELL` and the completion requests
//! its shell code makes (names completed from the records), and `bcconn man`.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;

use crate::api::setup;
use crate::common::{Env, add_app, all_output, code, create_pending, stdout};

/// Runs a completion request the way the shell code does: `BCCONN_COMPLETE`
/// set, the words after `--`. Returns the candidates (values only).
fn complete(env: &Env, shell: &str, words: &[&str]) -> Vec<String> {
    let mut args = vec!["--", "bcconn"];
    args.extend_from_slice(words);
    let mut cmd = env.cmd(&args);
    cmd.env("BCCONN_COMPLETE", shell);
    if shell == "bash" {
        // The index of the word being completed (COMP_CWORD).
        cmd.env("_CLAP_COMPLETE_INDEX", words.len().to_string());
        cmd.env("_CLAP_COMPLETE_COMP_TYPE", "9");
    }
    cmd.timeout(std::time::Duration::from_secs(20));
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn saved_names() -> Env {
    let env = Env::new();
    env.add_iclient(
        "app",
        "clientid1",
        "secret-Cq1",
        "http://localhost:8765/auth",
    );
    env.add_iclient(
        "apple",
        "clientid2",
        "secret-Cq2",
        "http://localhost:8766/auth",
    );
    for name in ["shop", "Shipping", "outlet"] {
        env.cmd(&[
            "create",
            name,
            "--store-hash",
            "abc123",
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
            "--no-authorize",
        ])
        .assert()
        .success();
    }
    env
}

#[test]
fn a_partial_connection_name_completes_to_the_matching_names() {
    let env = saved_names();
    for shell in ["fish", "bash"] {
        assert_eq!(
            complete(&env, shell, &["token", "sh"]),
            ["shop", "Shipping"],
            "{shell}"
        );
        assert_eq!(complete(&env, shell, &["show", "o"]), ["outlet"], "{shell}");
        assert_eq!(
            complete(&env, shell, &["status", "shop", "S"]),
            ["shop", "Shipping"],
            "{shell}: every NAME of status"
        );
        assert_eq!(
            complete(
                &env,
                shell,
                &["edit", "shop", "--borrow-concurrency-from", "ou"]
            ),
            ["outlet"],
            "{shell}"
        );
        // iClient names where an iClient is named.
        assert_eq!(
            complete(&env, shell, &["iclient", "show", "app"]),
            ["app", "apple"],
            "{shell}"
        );
        assert_eq!(
            complete(&env, shell, &["create", "x", "--iclient", "appl"]),
            ["apple"],
            "{shell}"
        );
        assert!(
            complete(&env, shell, &["token", "zz"]).is_empty(),
            "{shell}"
        );
    }
    // fish shows what each name is.
    let mut cmd = env.cmd(&["--", "bcconn", "token", "out"]);
    cmd.env("BCCONN_COMPLETE", "fish");
    let out = cmd.output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "outlet\tstore abc123, pending\n"
    );
}

#[cfg(unix)]
#[test]
fn completing_reads_the_record_file_only() {
    // The secrets file is a FIFO (reading it would hang), the OS keyring is
    // the store (opening it takes D-Bus), and no endpoint answers: completion
    // answers at once anyway.
    let mut env = saved_names();
    let secrets = env.home().join("secrets.json");
    std::fs::remove_file(&secrets).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&secrets)
            .status()
            .unwrap()
            .success()
    );
    env.set("BCCONN_SECRET_STORE", "os");
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let start = std::time::Instant::now();
    assert_eq!(
        complete(&env, "fish", &["delete", "sh"]),
        ["shop", "Shipping"]
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    // And with no records at all, nothing is offered and nothing is created.
    let empty = Env::new();
    let offered = complete(&empty, "fish", &["token", ""]);
    assert!(offered.iter().all(|c| c.starts_with('-')), "{offered:?}");
    assert!(!empty.home().exists());
}

#[test]
fn completions_prints_shell_code_for_each_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = env.cmd(&["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{}", all_output(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("BCCONN_COMPLETE"), "{shell}: {script}");
        assert!(script.contains("bcconn"), "{shell}");
    }
    env.cmd(&["completions", "tcsh"]).assert().code(2);
    // Commands and flags complete too (from the clap definitions).
    let cmds = complete(&env, "fish", &["do"]);
    assert_eq!(cmds, ["doctor"]);
    assert!(complete(&env, "fish", &["doctor", "--"]).contains(&"--fix".to_string()));
}

/// Every visible command, as the man page file name it gets.
fn pages(cmd: &clap::Command, prefix: &str, out: &mut Vec<(String, clap::Command)>) {
    let name = if prefix.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{prefix}-{}", cmd.get_name())
    };
    out.push((format!("{name}.1"), cmd.clone()));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        pages(sub, &name, out);
    }
}

#[test]
fn man_writes_a_page_per_command_that_mentions_its_flags() {
    let env = Env::new();
    let dir = env.dir.path().join("man/man1");
    let out = env
        .cmd(&["man", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(out.stdout.is_empty());

    let mut want = Vec::new();
    pages(&bcconn::cli::Cli::command(), "", &mut want);
    let written: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = want.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!(written, expected);
    assert!(written.contains("bcconn-iclient-add.1") && written.contains("bcconn-doctor.1"));
    for (file, cmd) in &want {
        // roff writes `-` as `\-`.
        let page = std::fs::read_to_string(dir.join(file))
            .unwrap()
            .replace("\\-", "-");
        assert!(page.contains("\n.TH "), "{file}");
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                assert!(page.contains(&format!("--{long}")), "{file} lacks --{long}");
            }
        }
        if let Some(about) = cmd.get_about() {
            // The first words of the one-line help (roff escapes quotes).
            let about = about.to_string();
            let words: Vec<&str> = about
                .split_whitespace()
                .take_while(|w| w.chars().all(char::is_alphanumeric))
                .take(3)
                .collect();
            assert!(page.contains(&words.join(" ")), "{file} lacks {words:?}");
        }
    }
    let doctor = std::fs::read_to_string(dir.join("bcconn-doctor.1")).unwrap();
    assert!(doctor.contains(".SH EXAMPLES"), "{doctor}");
}

/// The bash script itself, sourced in a real bash and called the way
/// `complete -F` calls it: the names come back in COMPREPLY.
#[cfg(unix)]
#[test]
fn bash_completes_names_through_its_script() {
    if std::process::Command::new("bash")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no bash");
        return;
    }
    let env = saved_names();
    let out = env.cmd(&["completions", "bash"]).output().unwrap();
    let script = String::from_utf8(out.stdout).unwrap();
    let probe = format!(
        "{script}\nCOMP_WORDS=(bcconn delete sh); COMP_CWORD=2; COMP_TYPE=9\n\
         _clap_complete_bcconn bcconn sh delete\nprintf '[%s]\\n' \"${{COMPREPLY[@]}}\"\n"
    );
    let mut bash = std::process::Command::new("bash");
    bash.env_clear().arg("-c").arg(probe);
    for (k, v) in env.vars() {
        bash.env(k, v);
    }
    let out = bash.output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "[shop]\n[Shipping]\n",
        "{}",
        all_output(&out)
    );
}

#[cfg(unix)]
fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// Runs bash's completion function for `bcconn show WORD` in `dir` (the
/// script from `bcconn completions bash`, called as `complete -F` calls
/// it), then evaluates each reply as the shell would once the line is
/// entered. Returns (replies, evaluated words).
#[cfg(unix)]
fn bash_complete(env: &Env, dir: &Path, word: &str) -> (Vec<String>, Vec<String>) {
    let out = env.cmd(&["completions", "bash"]).output().unwrap();
    let script = String::from_utf8(out.stdout).unwrap();
    let probe = format!(
        "{script}\n\
         w=\"$1\"\n\
         COMP_WORDS=(bcconn show \"$w\"); COMP_CWORD=2; COMP_TYPE=9\n\
         COMP_LINE=\"bcconn show $w\"; COMP_POINT=${{#COMP_LINE}}\n\
         _clap_complete_bcconn bcconn \"$w\" show\n\
         for r in \"${{COMPREPLY[@]}}\"; do printf 'reply[%s]\\n' \"$r\"; done\n\
         for r in \"${{COMPREPLY[@]}}\"; do eval \"set -- $r\"; printf 'word[%s]\\n' \"$1\"; done\n"
    );
    let mut bash = std::process::Command::new("bash");
    bash.env_clear()
        .current_dir(dir)
        .args(["-c", &probe, "probe", word]);
    for (k, v) in env.vars() {
        bash.env(k, v);
    }
    let out = bash.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pick = |tag: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(tag)?.strip_suffix(']'))
            .map(str::to_string)
            .collect()
    };
    (pick("reply["), pick("word["))
}

/// A saved name holding `$(…)` (made by hand or by an older bcconn) is
/// completed quoted: entering the completed line runs nothing, and the
/// word is the name.
#[cfg(unix)]
#[test]
fn bash_completion_quotes_a_name_that_holds_a_command_substitution() {
    let env = Env::new();
    add_app(&env);
    for name in ["xshop", "yshop", "plain"] {
        assert!(create_pending(&env, name).status.success());
    }
    let odd = "x$(touch pwned)";
    crate::common::hand_rename(&env, "xshop", odd);
    crate::common::hand_rename(&env, "yshop", "y'q $HOME");
    let cwd = env.dir.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    for (typed, name) in [
        ("x", odd),
        ("'x$(", odd),
        ("x\\$", odd),
        ("", odd),
        ("y", "y'q $HOME"),
    ] {
        let (replies, words) = bash_complete(&env, &cwd, typed);
        assert!(
            words.contains(&name.to_string()),
            "typed {typed:?}: replies {replies:?}, words {words:?}"
        );
        assert!(
            !replies.contains(&name.to_string()),
            "typed {typed:?}: inserted unquoted: {replies:?}"
        );
        assert!(!exists(&cwd.join("pwned")), "the name ran: {replies:?}");
    }
    // Ordinary names are inserted as they are.
    let (replies, _) = bash_complete(&env, &cwd, "pl");
    assert_eq!(replies, ["plain"]);
}

/// bcconn run from a directory whose name needs quoting (a space; `$(…)`
/// in a repository's tool directory): the bash script calls it back
/// correctly, and sourcing or using the script runs nothing from the name.
#[cfg(unix)]
#[test]
fn the_bash_script_calls_back_a_bcconn_whose_path_needs_quoting() {
    if std::process::Command::new("bash")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no bash");
        return;
    }
    let (_fake, env) = setup("1");
    let dir = env
        .dir
        .path()
        .join("my tools $(touch pwned) `touch pwned2`");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("bcconn");
    std::fs::copy(crate::common::BIN, &copy).unwrap();
    let mut cmd = std::process::Command::new(&copy);
    cmd.env_clear().envs(env.vars().iter().map(|(k, v)| (k, v)));
    cmd.args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = crate::common::spawn_copy(&mut cmd)
        .wait_with_output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let script = stdout(&out);
    let probe = format!(
        "{script}\nCOMP_WORDS=(bcconn delete sh); COMP_CWORD=2; COMP_TYPE=9\n\
         _clap_complete_bcconn bcconn sh delete\nprintf '[%s]\\n' \"${{COMPREPLY[@]}}\"\n"
    );
    let scratch = env.dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut bash = std::process::Command::new("bash");
    bash.env_clear().current_dir(&scratch).arg("-c").arg(probe);
    for (k, v) in env.vars() {
        bash.env(k, v);
    }
    let out = bash.output().unwrap();
    assert_eq!(stdout(&out), "[shop]\n", "{}", all_output(&out));
    let made: Vec<_> = std::fs::read_dir(&scratch).unwrap().collect();
    assert!(made.is_empty(), "the path ran as code: {made:?}");
}

/// Whether an argument looks like it takes a saved name or scope names, by
/// a test's own broad reading of the clap tree (wider than the code's, so
/// an argument the code misses fails here).
fn looks_named(arg: &clap::Arg) -> bool {
    let id = arg.get_id().as_str().to_lowercase();
    let value = arg
        .get_value_names()
        .map(|v| v.join(" "))
        .unwrap_or_default()
        .to_lowercase();
    arg.get_action().takes_values()
        && ["name", "connection", "iclient", "scope", "old"]
            .iter()
            .any(|w| id.contains(w) || value.contains(w))
}

/// Arguments that look named but take a new name or something else:
/// (command path, argument id).
const NOT_SAVED_NAMES: &[(&str, &str)] = &[
    ("create", "name"),         // the new connection's name
    ("iclient add", "name"),    // the new iClient's name
    ("iclient edit", "rename"), // the iClient's new name
    ("api", "headers"),         // `-H NAME: VALUE`
    // A storefront token's name (new, or one saved with the connection),
    // and a private token's scopes (BigCommerce's three, not OAuth scopes).
    ("storefront-token create", "save"),
    ("storefront-token create", "token_scopes"),
    ("storefront-token revoke", "saved"),
    ("env", "storefront"),
    ("exec", "storefront"),
];

fn named_args(
    cmd: &clap::Command,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, clap::Arg)>,
) {
    let mut positionals = 0;
    for arg in cmd.get_arguments() {
        if arg.is_positional() {
            positionals += 1;
        }
        let here = path.join(" ");
        if looks_named(arg)
            && !arg.is_hide_set()
            && !NOT_SAVED_NAMES.contains(&(here.as_str(), arg.get_id().as_str()))
        {
            let mut words = path.clone();
            if let Some(long) = arg.get_long() {
                words.push(format!("--{long}"));
            } else {
                // Earlier positionals get a value first.
                words.extend((1..positionals).map(|_| "x".to_string()));
            }
            out.push((words, arg.clone()));
        }
    }
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        path.push(sub.get_name().to_string());
        named_args(sub, path, out);
        path.pop();
    }
}

/// Every argument that takes a saved name (or scope names) completes them:
/// one that is added later without completion fails here.
#[test]
fn every_argument_that_takes_a_name_is_completed() {
    let env = saved_names();
    let mut args = Vec::new();
    named_args(&bcconn::cli::Cli::command(), &mut Vec::new(), &mut args);
    assert!(args.len() >= 20, "{}", args.len());
    let mut missed = Vec::new();
    for (mut words, arg) in args {
        let id = arg.get_id().as_str();
        let (typed, want) = if id.contains("scope") {
            (
                "store_v2_orders,store_v2_pro",
                "store_v2_orders,store_v2_products",
            )
        } else if id.contains("iclient") || words.first().is_some_and(|w| w == "iclient") {
            ("app", "apple")
        } else {
            ("out", "outlet")
        };
        words.push(typed.to_string());
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let offered = complete(&env, "fish", &words);
        if !offered.iter().any(|o| o == want) {
            missed.push(format!("{words:?}: {offered:?}"));
        }
    }
    assert!(missed.is_empty(), "not completed:\n{}", missed.join("\n"));
}

/// The real bash function (`complete -F` as bash calls it) completes names
/// in every place the issue names, and scope names part by part.
#[cfg(unix)]
#[test]
fn bash_completes_names_everywhere_a_name_goes() {
    let env = saved_names();
    let out = env.cmd(&["completions", "bash"]).output().unwrap();
    let script = String::from_utf8(out.stdout).unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["api", "v3/catalog/products", "-c", "sh"],
            &["shop", "Shipping"],
        ),
        (&["api", "v3/x", "--connection", "out"], &["outlet"]),
        (&["env", "out"], &["outlet"]),
        (&["exec", "out"], &["outlet"]),
        (&["use", "out"], &["outlet"]),
        (&["use", "--global", "out"], &["outlet"]),
        (&["token", "out"], &["outlet"]),
        (&["status", "shop", "out"], &["outlet"]),
        (&["show", "out"], &["outlet"]),
        (&["rename", "out"], &["outlet"]),
        (&["authorize", "out"], &["outlet"]),
        (&["create", "new", "--iclient", "appl"], &["apple"]),
        (&["authorize", "shop", "--iclient", "appl"], &["apple"]),
        (
            &[
                "edit",
                "shop",
                "--scopes",
                "store_v2_orders,store_v2_products_r",
            ],
            &["store_v2_orders,store_v2_products_read_only"],
        ),
        (&["rename", "shop", "out"], &[]),
    ];
    for (words, want) in cases {
        let mut line = vec!["bcconn"];
        line.extend_from_slice(words);
        let quoted: Vec<String> = line.iter().map(|w| format!("'{w}'")).collect();
        let current = line[line.len() - 1];
        let previous = line[line.len() - 2];
        let probe = format!(
            "{script}\nCOMP_WORDS=({}); COMP_CWORD={}; COMP_TYPE=9\n\
             _clap_complete_bcconn bcconn '{current}' '{previous}'\n\
             printf '[%s]\\n' \"${{COMPREPLY[@]}}\"\n",
            quoted.join(" "),
            line.len() - 1
        );
        let mut bash = std::process::Command::new("bash");
        bash.env_clear()
            .args(["--norc", "--noprofile", "-c", &probe]);
        for (k, v) in env.vars() {
            bash.env(k, v);
        }
        let out = bash.output().unwrap();
        let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix('[')?.strip_suffix(']'))
            .filter(|l| !l.is_empty() && !l.starts_with('-'))
            .map(str::to_string)
            .collect();
        assert_eq!(got, *want, "{words:?}: {}", all_output(&out));
    }
}
