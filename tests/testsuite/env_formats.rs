//! `bcconn env --format` and `--for catalyst` (issue 20): the syntax and
//! the variable set are independent choices; a dotenv file is read back
//! exactly by a real dotenv reader; `exec --for catalyst` gives a command
//! Catalyst's names.

use serde_json::Value;

use crate::api::{HASH, add_token_connection};
use crate::common::fake_bc::FakeBc;
use crate::common::{Env, all_output, stderr, stdout};

const TOKEN: &str = "tokenENVfmt0123456789abcdefghij";

fn one() -> (FakeBc, Env) {
    let fake = FakeBc::start();
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    add_token_connection(&fake, &env, "shop", HASH, TOKEN, &[]);
    (fake, env)
}

fn ok(env: &Env, args: &[&str]) -> std::process::Output {
    let out = env.cmd(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", all_output(&out));
    out
}

#[test]
fn format_picks_the_syntax_and_shell_stays_its_name_for_shells() {
    let (fake, env) = one();
    let api = format!("{}/stores/{HASH}", fake.url());
    for (format, shell) in [
        ("sh", "sh"),
        ("bash", "bash"),
        ("fish", "fish"),
        ("powershell", "powershell"),
    ] {
        assert_eq!(
            stdout(&ok(&env, &["env", "shop", "--format", format])),
            stdout(&ok(&env, &["env", "shop", "--shell", shell])),
            "--format {format} is --shell {shell}"
        );
    }
    let dotenv = stdout(&ok(&env, &["env", "shop", "--format", "dotenv"]));
    assert_eq!(
        dotenv,
        format!(
            "BIGCOMMERCE_STORE_HASH='{HASH}'\nBIGCOMMERCE_ACCESS_TOKEN='{TOKEN}'\nBIGCOMMERCE_API_URL='{api}'\n"
        )
    );
    let json = stdout(&ok(&env, &["env", "shop", "--format", "json"]));
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "BIGCOMMERCE_STORE_HASH": HASH,
            "BIGCOMMERCE_ACCESS_TOKEN": TOKEN,
            "BIGCOMMERCE_API_URL": api,
        })
    );
    // Two names for one choice: say so rather than pick one.
    let out = env
        .cmd(&["env", "shop", "--format", "json", "--shell", "fish"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("--shell"), "{}", all_output(&out));
    let out = env
        .cmd(&["env", "shop", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("dotenv"),
        "the choices are named: {}",
        all_output(&out)
    );
}

#[test]
fn for_catalyst_gives_catalysts_names_and_says_what_is_missing() {
    let (_fake, env) = one();
    let out = ok(
        &env,
        &["env", "shop", "--for", "catalyst", "--format", "json"],
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "BIGCOMMERCE_STORE_HASH": HASH,
            "BIGCOMMERCE_ACCESS_TOKEN": TOKEN,
            "CATALYST_STORE_HASH": HASH,
            "CATALYST_ACCESS_TOKEN": TOKEN,
        }),
        "only what Catalyst reads"
    );
    // No storefront token saved: the warning names the command that makes one.
    let err = stderr(&out);
    assert!(
        err.contains("warning:") && err.contains("BIGCOMMERCE_STOREFRONT_TOKEN"),
        "{err}"
    );
    assert!(
        err.contains("bcconn storefront-token create -c shop"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "{err}");
    // The same set in the shell syntax, --for and --format independent.
    let sh = stdout(&ok(&env, &["env", "shop", "--for", "catalyst"]));
    assert!(
        sh.contains(&format!("export CATALYST_ACCESS_TOKEN='{TOKEN}'\n")),
        "{sh}"
    );
    assert!(!sh.contains("BIGCOMMERCE_API_URL"), "{sh}");
}

#[test]
fn exec_for_catalyst_sets_catalysts_names_only() {
    let (_fake, env) = one();
    // Inherited values of another store are not passed on beside these.
    let out = env
        .cmd(&[
            "exec",
            "shop",
            "--for",
            "catalyst",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s|%s' \"$CATALYST_STORE_HASH\" \"$CATALYST_ACCESS_TOKEN\" \
             \"$BIGCOMMERCE_ACCESS_TOKEN\" \"${BIGCOMMERCE_API_URL-unset}\"",
        ])
        .env("BIGCOMMERCE_API_URL", "https://api.example/stores/other")
        .env("CATALYST_STORE_HASH", "other")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(stdout(&out), format!("{HASH}|{TOKEN}|{TOKEN}|unset"));
}

#[test]
#[ignore = "needs python3 with python-dotenv (Debian: python3-dotenv); .ci/run installs it"]
fn a_dotenv_file_is_read_back_exactly_by_python_dotenv() {
    let (_fake, env) = one();
    let out = ok(
        &env,
        &["env", "shop", "--for", "catalyst", "--format", "dotenv"],
    );
    let file = env.dir.path().join(".env.local");
    std::fs::write(&file, stdout(&out)).unwrap();
    let read = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys\nfrom dotenv import dotenv_values\n\
             print(json.dumps(dotenv_values(sys.argv[1])))",
        ])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        read.status.success(),
        "python-dotenv is needed (apt install python3-dotenv): {}",
        all_output(&read)
    );
    let v: Value = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "BIGCOMMERCE_STORE_HASH": HASH,
            "BIGCOMMERCE_ACCESS_TOKEN": TOKEN,
            "CATALYST_STORE_HASH": HASH,
            "CATALYST_ACCESS_TOKEN": TOKEN,
        })
    );
}
