//! No silent changes (issue 17): a scripted `authorize --store-hash` that
//! matches a saved connection says what it changes and will not drop scopes
//! unasked; authorizing over a sibling's live token asks on a terminal and
//! says afterwards who was superseded; a failed re-authorization says the
//! old token is kept; rename and delete keep the defaults honest; and the
//! small messages read as one sentence each.

use std::process::Output;

use crate::common::fake_bc::Consent;
use crate::common::oauth::{CLIENT_ID, OAuthFixture, SECRET, STORE_HASH, conn};
use crate::common::{Env, all_output, code, stderr};

/// stderr matches the snapshot `name`, with what changes from run to run
/// (loopback ports, temp paths) filtered out.
fn snapshot(name: &str, out: &Output) {
    let text = stderr(out);
    insta::with_settings!({
        filters => vec![
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
            (r"/[^\s\x22']*/\.tmp[0-9A-Za-z]{6}", "[TEMP]"),
        ],
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// `bcconn create NAME` on iClient `app` and the fixture's store, with
/// `extra` flags (scope `store_v2_orders` unless they name scopes).
fn create(env: &Env, name: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "create",
        name,
        "--store-hash",
        STORE_HASH,
        "--iclient",
        "app",
    ];
    if !extra.iter().any(|a| a.ends_with("scopes")) {
        args.extend(["--scopes", "store_v2_orders"]);
    }
    args.extend_from_slice(extra);
    env.cmd(&args).output().unwrap()
}

/// `bcconn authorize --store-hash abc123 --iclient app ARGS..`.
fn scripted(env: &Env, extra: &[&str]) -> Output {
    let mut args = vec!["authorize", "--store-hash", STORE_HASH, "--iclient", "app"];
    args.extend_from_slice(extra);
    env.cmd(&args).output().unwrap()
}

fn scopes_of(env: &Env, name: &str) -> Vec<String> {
    conn(env, name)["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_scripted_authorize_says_what_it_changes_and_drops_scopes_only_with_yes() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::new();
    let out = create(
        &env,
        "shop3",
        &["--scopes", "store_v2_orders,store_v2_information_read_only"],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let tokens = fake.count("POST", "/oauth2/token");
    // Without a terminal and --yes, dropping a scope is refused before
    // anything happens.
    let before = env.record_bytes();
    let out = scripted(&env, &["--scopes", "store_v2_information_read_only"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    snapshot("dropping_a_scope_needs_yes_without_a_terminal", &out);
    assert_eq!(env.record_bytes(), before);
    assert_eq!(fake.count("POST", "/oauth2/token"), tokens);
    // With --yes it goes, and says what it changed.
    let out = scripted(
        &env,
        &["--scopes", "store_v2_information_read_only", "--yes"],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    assert!(
        said.contains("updating \"shop3\": scopes 2 → 1, removed store_v2_orders"),
        "{said}"
    );
    assert_eq!(scopes_of(&env, "shop3"), ["store_v2_information_read_only"]);
    // Adding drops nothing: no --yes needed, and it is said too.
    let out = scripted(
        &env,
        &["--scopes", "store_v2_information_read_only,store_v2_orders"],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("updating \"shop3\": scopes 1 → 2, added store_v2_orders"),
        "{}",
        stderr(&out)
    );
    // Nothing to change: it still names the connection it matched.
    let out = scripted(&env, &[]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("authorizing \"shop3\" again"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_scopes_a_scripted_authorize_would_drop_are_bounded() {
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::new();
    let out = create(&env, "big", &["--all-scopes", "--no-authorize"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let all = scopes_of(&env, "big").len();
    let out = scripted(&env, &["--scopes", "store_v2_orders"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    let said = stderr(&out);
    let n = all - 1;
    assert!(
        said.contains(&format!("would drop {n} scopes from \"big\": ")),
        "{said}"
    );
    assert!(said.contains(&format!(" and {} more", n - 3)), "{said}");
    assert!(said.lines().all(|l| l.len() < 300), "{said}");
}

#[test]
fn the_named_form_says_what_it_changes_too() {
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::new();
    let out = create(&env, "shop", &[]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let out = env
        .cmd(&["authorize", "shop", "--concurrency", "3"])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("updating \"shop\": concurrency 1 → 3"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn without_a_terminal_ending_a_siblings_token_goes_on_and_says_who_is_superseded() {
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::new();
    assert_eq!(code(&create(&env, "shop", &[])), Some(0));
    let out = create(&env, "shop-2", &["--no-authorize", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let out = env.cmd(&["authorize", "shop-2"]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    assert!(
        said.contains("ends the token of \"shop\"")
            && said.contains("no terminal to ask: going on"),
        "{said}"
    );
    assert!(
        said.contains("\"shop\" is now superseded: its token ended when \"shop-2\" got this one"),
        "{said}"
    );
    assert_eq!(conn(&env, "shop")["state"], "superseded");
    // --yes: it was meant; no "going on" note.
    let out = env.cmd(&["authorize", "shop", "--yes"]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        !stderr(&out).contains("no terminal to ask"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("\"shop-2\" is now superseded"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_failed_reauthorization_says_the_old_token_is_kept_and_keeps_it() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::new();
    assert_eq!(code(&create(&env, "shop", &[])), Some(0));
    let first = env.cmd(&["token", "shop"]).output().unwrap().stdout;
    let secrets = env.secrets_text();
    fake.set_consent(Consent::Deny);
    let out = env.cmd(&["authorize", "shop"]).output().unwrap();
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("hint: \"shop\" keeps its old token: nothing was saved"),
        "{}",
        stderr(&out)
    );
    // True: the secret store is exactly as it was.
    assert_eq!(env.secrets_text(), secrets);
    assert_eq!(env.cmd(&["token", "shop"]).output().unwrap().stdout, first);
    // A connection that never had a token has no old one to speak of.
    let out = create(&env, "fresh", &["--no-authorize", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let out = env.cmd(&["authorize", "fresh"]).output().unwrap();
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(!stderr(&out).contains("old token"), "{}", stderr(&out));
}

#[test]
fn a_refused_new_api_account_token_says_the_old_one_is_kept() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::new();
    fake.add_token("tok-Old4kQ", STORE_HASH, &["store_v2_orders"]);
    let out = env
        .cmd(&[
            "create",
            "api-acct",
            "--auth-type",
            "token",
            "--store-hash",
            STORE_HASH,
            "--access-token-stdin",
        ])
        .write_stdin("tok-Old4kQ\n")
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let secrets = env.secrets_text();
    // The store refuses the new token (the fake never issued it).
    let out = env
        .cmd(&["authorize", "api-acct", "--access-token-stdin"])
        .write_stdin("tok-Wrong9z\n")
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("\"api-acct\" keeps its old token: nothing was saved"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.secrets_text(), secrets);
    let out = env.cmd(&["token", "api-acct"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "tok-Old4kQ");
}

#[test]
fn a_token_connection_refused_as_oauth_is_named_in_words() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::new();
    fake.add_token("tok-Pq8sL2", STORE_HASH, &["store_v2_orders"]);
    let out = env
        .cmd(&[
            "create",
            "api-acct",
            "--auth-type",
            "token",
            "--store-hash",
            STORE_HASH,
            "--access-token-stdin",
        ])
        .write_stdin("tok-Pq8sL2\n")
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let out = scripted(&env, &["--name", "api-acct", "--scopes", "store_v2_orders"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    snapshot("a_token_connection_is_not_an_oauth_one", &out);
    assert!(!stderr(&out).contains("oauth2"), "{}", stderr(&out));
}

#[test]
fn a_missing_scope_is_worded_in_the_singular() {
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::new();
    assert_eq!(code(&create(&env, "shop", &[])), Some(0));
    let out = env
        .cmd(&[
            "edit",
            "shop",
            "--scopes",
            "store_v2_orders,store_v2_customers_read_only",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    assert!(
        said.contains("the current token lacks store_v2_customers_read_only; run `bcconn authorize shop` to get it"),
        "{said}"
    );
    let out = env
        .cmd(&[
            "edit",
            "shop",
            "--scopes",
            "store_v2_orders,store_v2_customers_read_only,store_v2_content_read_only",
        ])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains(
            "lacks store_v2_content_read_only and store_v2_customers_read_only; run `bcconn authorize shop` to get them"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_headless_message_has_no_parentheses_inside_parentheses() {
    let OAuthFixture {
        fake: _fake,
        mut env,
        ..
    } = OAuthFixture::new();
    let out = create(&env, "shop", &["--no-authorize", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    // No browser command and no display: headless.
    env.set("BCCONN_BROWSER", "");
    let out = env
        .cmd(&["authorize", "shop", "--timeout", "1"])
        .output()
        .unwrap();
    let said = stderr(&out);
    let line = said
        .lines()
        .find(|l| l.contains("No browser can open here"))
        .unwrap_or_else(|| panic!("{said}"));
    let mut depth = 0;
    for c in line.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        assert!(depth <= 1, "nested parentheses: {line}");
    }
}

#[test]
fn a_stale_state_says_what_to_do_while_the_wait_goes_on() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback,
    } = OAuthFixture::new();
    let out = create(&env, "shop", &["--no-authorize", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let out = env
        .cmd(&["authorize", "shop", "--flow", "manual", "--timeout", "5"])
        .write_stdin(format!(
            "{callback}?code=x&context=stores%2Fabc123&state=older\n"
        ))
        .output()
        .unwrap();
    let said = stderr(&out);
    let line = said
        .lines()
        .find(|l| l.contains("ignored a callback"))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(line.contains("state does not match"), "{line}");
    assert!(!line.to_lowercase().contains("start again"), "{line}");
    assert!(line.contains("open the URL printed above"), "{line}");
}

#[test]
fn a_new_client_id_makes_the_connections_on_it_pending_and_says_so() {
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::new();
    assert_eq!(code(&create(&env, "shop", &[])), Some(0));
    assert_eq!(conn(&env, "shop")["state"], "authorized");
    let out = env
        .cmd(&["iclient", "edit", "app", "--client-id", "another-app-id"])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("\"shop\" got its token through the old client id, another app: it is pending until you run `bcconn authorize shop`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(conn(&env, "shop")["state"], "pending");
    // The same id again changes nothing and says nothing of the kind.
    let out = env
        .cmd(&["iclient", "edit", "app", "--client-id", "another-app-id"])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(!stderr(&out).contains("pending"), "{}", stderr(&out));
}

#[test]
fn two_iclients_with_one_client_id_are_warned_about_on_add_and_edit() {
    let OAuthFixture {
        fake: _fake,
        env,
        callback,
    } = OAuthFixture::new();
    let add = |name: &str, client_id: &str| {
        env.cmd(&[
            "iclient",
            "add",
            name,
            "--client-id",
            client_id,
            "--callback-url",
            &callback,
            "--client-secret-stdin",
        ])
        .write_stdin(format!("{SECRET}\n"))
        .output()
        .unwrap()
    };
    let out = add("app-copy", CLIENT_ID);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("iClient \"app\" has the same client id as \"app-copy\""),
        "{}",
        stderr(&out)
    );
    let out = add("other", "other-client-id");
    assert!(!stderr(&out).contains("same client id"), "{}", stderr(&out));
    let out = env
        .cmd(&["iclient", "edit", "other", "--client-id", CLIENT_ID])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out)
            .contains("iClients \"app\" and \"app-copy\" have the same client id as \"other\""),
        "{}",
        stderr(&out)
    );
}

/// `bcconn ARGS` run in `dir`.
fn run_in(env: &Env, dir: &std::path::Path, args: &[&str]) -> Output {
    env.cmd(args).current_dir(dir).output().unwrap()
}

#[test]
fn rename_keeps_the_global_default_and_points_at_dotfiles_naming_the_old_name() {
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::new();
    let out = create(&env, "shop", &["--no-authorize", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let proj = env.dir.path().join("proj");
    let sub = proj.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    assert_eq!(code(&run_in(&env, &proj, &["use", "shop"])), Some(0));
    assert_eq!(
        code(&run_in(&env, &sub, &["use", "--global", "shop"])),
        Some(0)
    );
    let out = run_in(&env, &sub, &["rename", "shop", "store"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    assert!(said.contains("(still the global default)"), "{said}");
    let dotfile = proj.join(".bcconn");
    assert!(
        said.contains(&format!(
            "{} names \"shop\", which is now \"store\": run `bcconn use store` in its directory",
            dotfile.display()
        )),
        "{said}"
    );
    // The global default followed the rename (it is kept by id).
    let out = env.cmd(&["use", "--global"]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "store");
    // Nothing names the new name's old self elsewhere: no warning.
    let out = run_in(&env, env.dir.path(), &["rename", "store", "shop2"]);
    assert!(!stderr(&out).contains("names"), "{}", stderr(&out));
}

#[test]
fn deleting_the_default_says_it_is_unset_now() {
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::new();
    for name in ["shop", "other"] {
        let out = create(&env, name, &["--no-authorize", "--yes"]);
        assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    }
    let proj = env.dir.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    assert_eq!(code(&run_in(&env, &proj, &["use", "shop"])), Some(0));
    assert_eq!(
        code(&run_in(&env, &proj, &["use", "--global", "shop"])),
        Some(0)
    );
    let out = run_in(&env, &proj, &["delete", "shop", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    assert!(
        said.contains("It was the global default: no global default is set now"),
        "{said}"
    );
    assert!(said.contains("./.bcconn still names \"shop\""), "{said}");
    let out = env.cmd(&["use", "--global"]).output().unwrap();
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("no global default connection is set"));
    // Deleting another connection says nothing about defaults.
    let out = env.cmd(&["delete", "other", "--yes"]).output().unwrap();
    assert!(!stderr(&out).contains("default"), "{}", stderr(&out));
}

#[test]
fn use_unset_clears_the_dotfile_here_and_the_global_default() {
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::new();
    let out = create(&env, "shop", &["--no-authorize", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let proj = env.dir.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    assert_eq!(code(&run_in(&env, &proj, &["use", "shop"])), Some(0));
    assert_eq!(
        code(&run_in(&env, &proj, &["use", "--global", "shop"])),
        Some(0)
    );
    let out = run_in(&env, &proj, &["use", "--unset"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(!proj.join(".bcconn").exists());
    // The global default still applies here.
    let out = run_in(&env, &proj, &["use"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "shop");
    let out = run_in(&env, &proj, &["use", "--global", "--unset"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("\"shop\" is no longer the global default connection"),
        "{}",
        stderr(&out)
    );
    let out = run_in(&env, &proj, &["use"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
}

/// On a terminal: y/N before dropping scopes and before ending a sibling's
/// live token; no declines anything.
#[cfg(unix)]
#[cfg(unix)]
#[test]
fn a_credentials_file_that_is_a_fifo_or_too_large_is_refused_without_hanging() {
    let env = Env::new();
    let fifo = env.dir.path().join("fifo.txt");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a plain libc call with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let big = env.dir.path().join("big.txt");
    std::fs::write(&big, "x".repeat(1 << 20)).unwrap();
    for (file, said) in [
        (fifo.to_str().unwrap(), "not a regular file"),
        ("/dev/zero", "not a regular file"),
        (big.to_str().unwrap(), "more than bcconn reads"),
    ] {
        let out = env
            .cmd(&["create", "tok", "--api-credentials-file", file])
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(code(&out), Some(2), "{file}: {}", all_output(&out));
        assert!(stderr(&out).contains(said), "{file}: {}", all_output(&out));
    }
    assert!(env.list().is_empty());
}

mod terminal {
    use super::*;
    use crate::wizard::Pty;

    #[test]
    fn dropping_scopes_is_asked_and_no_changes_nothing() {
        let OAuthFixture { fake, env, .. } = OAuthFixture::new();
        let out = create(
            &env,
            "shop3",
            &[
                "--scopes",
                "store_v2_orders,store_v2_information_read_only",
                "--no-authorize",
                "--yes",
            ],
        );
        assert_eq!(code(&out), Some(0), "{}", all_output(&out));
        let before = env.record_bytes();
        let args = [
            "authorize",
            "--store-hash",
            STORE_HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_information_read_only",
        ];
        let mut t = Pty::spawn(&env, &args);
        t.expect("updating \"shop3\": scopes 2 → 1, removed store_v2_orders");
        t.answer("Drop 1 scope from \"shop3\" (store_v2_orders)?", "n\r");
        assert_eq!(t.finish(), 130, "{}", t.seen);
        assert!(
            t.seen.contains("was not authorized; nothing changed"),
            "{}",
            t.seen
        );
        assert_eq!(env.record_bytes(), before);
        assert_eq!(fake.count("POST", "/oauth2/token"), 0);
        let mut t = Pty::spawn(&env, &args);
        t.answer("Drop 1 scope from \"shop3\"", "y\r");
        assert_eq!(t.finish(), 0, "{}", t.seen);
        assert_eq!(scopes_of(&env, "shop3"), ["store_v2_information_read_only"]);
    }

    #[test]
    fn ending_a_siblings_live_token_is_asked_naming_it() {
        let OAuthFixture { fake, env, .. } = OAuthFixture::new();
        assert_eq!(code(&create(&env, "shop", &[])), Some(0));
        let out = create(&env, "shop-2", &["--no-authorize", "--yes"]);
        assert_eq!(code(&out), Some(0), "{}", all_output(&out));
        let tokens = fake.count("POST", "/oauth2/token");
        let mut t = Pty::spawn(&env, &["authorize", "shop-2"]);
        // (The question wraps at the terminal's 80 columns.)
        t.expect("Authorizing \"shop-2\" ends the token of \"shop\": BigCommerce keeps");
        t.answer("Go on? (y/N)", "n\r");
        assert_eq!(t.finish(), 130, "{}", t.seen);
        assert_eq!(conn(&env, "shop")["state"], "authorized");
        assert_eq!(fake.count("POST", "/oauth2/token"), tokens);
        let mut t = Pty::spawn(&env, &["authorize", "shop-2"]);
        t.answer("Go on?", "y\r");
        t.expect("\"shop\" is now superseded");
        assert_eq!(t.finish(), 0, "{}", t.seen);
        assert_eq!(conn(&env, "shop")["state"], "superseded");
        // --yes asks nothing.
        let mut t = Pty::spawn(&env, &["authorize", "shop", "--yes"]);
        assert_eq!(t.finish(), 0, "{}", t.seen);
        assert!(!t.seen.contains("Go on?"), "{}", t.seen);
        assert_eq!(conn(&env, "shop-2")["state"], "superseded");
    }

    #[test]
    fn create_with_every_flag_asks_before_ending_a_siblings_live_token() {
        let OAuthFixture { fake, env, .. } = OAuthFixture::new();
        assert_eq!(code(&create(&env, "shop", &[])), Some(0));
        let tokens = fake.count("POST", "/oauth2/token");
        let args = [
            "create",
            "shop-2",
            "--store-hash",
            STORE_HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
        ];
        let mut t = Pty::spawn(&env, &args);
        t.expect("Authorizing \"shop-2\" ends the token of \"shop\": BigCommerce keeps");
        t.answer("Go on? (y/N)", "n\r");
        assert_eq!(t.finish(), 130, "{}", t.seen);
        assert_eq!(conn(&env, "shop")["state"], "authorized");
        assert_eq!(fake.count("POST", "/oauth2/token"), tokens);
        // The connection is kept, pending, to authorize later.
        assert_eq!(conn(&env, "shop-2")["state"], "pending");
        assert!(t.seen.contains("bcconn authorize shop-2"), "{}", t.seen);
        // --yes asks nothing.
        let mut args = args.to_vec();
        args[1] = "shop-3";
        args.push("--yes");
        let mut t = Pty::spawn(&env, &args);
        assert_eq!(t.finish(), 0, "{}", t.seen);
        assert!(!t.seen.contains("Go on?"), "{}", t.seen);
    }
}

/// Once the code was exchanged, BigCommerce has issued a new token, which
/// ended the old one (one token per app and store): a failure to verify it
/// must not say the old token is kept, but that it has probably ended.
#[test]
fn a_reauthorization_failing_after_the_exchange_says_the_old_token_has_ended() {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    let OAuthFixture { fake, env, .. } = OAuthFixture::new();
    assert_eq!(code(&create(&env, "shop", &[])), Some(0));
    let tokens = fake.count("POST", "/oauth2/token");
    // The exchange succeeds; the store then refuses the new token.
    fake.hostile("GET", "v2/store", |_rec, _n| async {
        (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"status": 404, "title": "Not Found"})),
        )
            .into_response()
    });
    let out = env.cmd(&["authorize", "shop"]).output().unwrap();
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert_eq!(fake.count("POST", "/oauth2/token"), tokens + 1);
    let said = stderr(&out);
    assert!(!said.contains("keeps its old token"), "{said}");
    assert!(
        said.contains("the old token of \"shop\" has probably ended")
            && said.contains("bcconn authorize shop"),
        "{said}"
    );
}
