//! Using a connection from other programs and places: the default
//! connection (`BCCONN_CONNECTION`, `.bcconn`, `bcconn use --global`),
//! `bcconn env`, `bcconn exec`, and `bcconn status` checking in parallel.

use std::path::Path;
use std::time::Duration;

use crate::api::{HASH, add_token_connection};
use crate::common::fake_bc::FakeBc;
use crate::common::{Env, all_output, child_port, fake_browser};

/// A fake with one store and four token connections a, b, c, d.
fn four() -> (FakeBc, Env) {
    let fake = FakeBc::start();
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    for name in ["a", "b", "c", "d"] {
        add_token_connection(&fake, &env, name, HASH, &token(name), &[]);
    }
    (fake, env)
}

fn token(name: &str) -> String {
    format!("token{name}0123456789abcdefghij")
}

/// `bcconn token` in `dir`; its stdout.
fn token_in(env: &Env, dir: &Path, extra: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = env.cmd(&[&["token"], args].concat());
    cmd.current_dir(dir);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn the_default_connection_comes_from_env_then_dotfile_then_global() {
    let (_fake, env) = four();
    let root = env.dir.path().join("proj");
    let deep = root.join("src/deep");
    std::fs::create_dir_all(&deep).unwrap();

    // None: exit 2, naming the three ways.
    let out = token_in(&env, &deep, &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for way in ["BCCONN_CONNECTION", ".bcconn", "bcconn use --global"] {
        assert!(stderr.contains(way), "{way}: {stderr}");
    }
    let api = env
        .cmd(&["api", "v2/time"])
        .current_dir(&deep)
        .output()
        .unwrap();
    assert_eq!(api.status.code(), Some(2));

    // The global default.
    env.cmd(&["use", "--global", "c"])
        .current_dir(&deep)
        .assert()
        .success();
    let out = token_in(&env, &deep, &[], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", token("c"))
    );
    // It survives a rename (kept by id).
    env.cmd(&["rename", "c", "cee"]).assert().success();
    let out = env.cmd(&["use"]).current_dir(&deep).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "cee\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("global default"));

    // `bcconn use NAME` writes .bcconn here; it wins over the global default below it.
    env.cmd(&["use", "b"]).current_dir(&root).assert().success();
    assert_eq!(
        std::fs::read_to_string(root.join(".bcconn")).unwrap(),
        "b\n"
    );
    let out = token_in(&env, &deep, &[], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", token("b"))
    );
    let out = env.cmd(&["use"]).current_dir(&deep).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&root.join(".bcconn").display().to_string()),
        "{stderr}"
    );
    // The nearest file wins.
    std::fs::write(deep.join(".bcconn"), "d\n# a comment\n").unwrap();
    // Used only when nobody else can write it, whatever this process's umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(deep.join(".bcconn"), mode).unwrap();
    }
    // A hand-written one hands out its token only once trusted.
    let out = token_in(&env, &deep, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(out.stdout.is_empty());
    env.cmd(&["use", "--trust"])
        .current_dir(&deep)
        .assert()
        .success();
    let out = token_in(&env, &deep, &[], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", token("d"))
    );

    // BCCONN_CONNECTION wins over files; a name on the command line over all.
    let out = token_in(&env, &deep, &[("BCCONN_CONNECTION", "a")], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", token("a"))
    );
    let out = token_in(&env, &deep, &[("BCCONN_CONNECTION", "a")], &["b"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", token("b"))
    );

    // A default naming no saved connection says where it came from.
    std::fs::write(deep.join(".bcconn"), "gone\n").unwrap();
    let out = token_in(&env, &deep, &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    // (Its path is shown from here: ./.bcconn.)
    assert!(String::from_utf8_lossy(&out.stderr).contains("from ./.bcconn"));
    env.cmd(&["use", "nosuch"])
        .current_dir(&root)
        .assert()
        .code(2);
}

#[test]
fn env_prints_quoted_exports_for_each_shell() {
    let (fake, env) = four();
    let run = |shell: &str| {
        let out = env.cmd(&["env", "a", "--shell", shell]).output().unwrap();
        assert!(out.status.success(), "{}", all_output(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let api = format!("{}/stores/{HASH}", fake.url());
    let sh = run("sh");
    assert_eq!(
        sh,
        format!(
            "export BIGCOMMERCE_STORE_HASH='{HASH}'\nexport BIGCOMMERCE_ACCESS_TOKEN='{}'\nexport BIGCOMMERCE_API_URL='{api}'\n",
            token("a")
        )
    );
    // What a shell makes of it.
    let script = format!(
        "{sh}printf '%s|%s|%s' \"$BIGCOMMERCE_STORE_HASH\" \"$BIGCOMMERCE_ACCESS_TOKEN\" \"$BIGCOMMERCE_API_URL\""
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{HASH}|{}|{api}", token("a"))
    );
    assert!(run("fish").contains(&format!(
        "set -gx BIGCOMMERCE_ACCESS_TOKEN '{}'\n",
        token("a")
    )));
    assert!(run("powershell").contains(&format!("$env:BIGCOMMERCE_API_URL = '{api}'\n")));
    // bash and zsh read sh's lines: the names people type are taken.
    assert_eq!(run("bash"), sh);
    assert_eq!(run("zsh"), sh);
    // The default connection, through the environment.
    let out = env
        .cmd(&["env"])
        .env("BCCONN_CONNECTION", "b")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&token("b")));
}

#[test]
fn env_and_exec_give_an_oauth_connections_client_id() {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    fake.register_app(
        "clientIDoauth42",
        "s3cret-value-x",
        &callback,
        &["store_v2_orders"],
    );
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    env.add_iclient("app", "clientIDoauth42", "s3cret-value-x", &callback);
    let _ = fake_browser::command();
    let out = env
        .cmd(&[
            "create",
            "oa",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let out = env.cmd(&["env", "oa"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("export BIGCOMMERCE_CLIENT_ID='clientIDoauth42'\n"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "never the client secret");
    let out = env
        .cmd(&[
            "exec",
            "oa",
            "--",
            "sh",
            "-c",
            "printf %s \"$BIGCOMMERCE_CLIENT_ID\"",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "clientIDoauth42");
}

#[test]
fn exec_passes_variables_exit_codes_and_signals() {
    let (fake, env) = four();
    let out = env
        .cmd(&[
            "exec",
            "a",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$BIGCOMMERCE_STORE_HASH\" \"$BIGCOMMERCE_ACCESS_TOKEN\" \"$BIGCOMMERCE_API_URL\"; exit 7",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", all_output(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{HASH}|{}|{}/stores/{HASH}", token("a"), fake.url())
    );
    env.cmd(&["exec", "a", "--", "true"]).assert().code(0);
    env.cmd(&["exec", "a", "--", "/no/such/program"])
        .assert()
        .code(127);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let out = env
            .cmd(&["exec", "a", "--", "sh", "-c", "kill -TERM $$"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.signal(),
            Some(15),
            "CMD's own death by SIGTERM: {:?}",
            out.status
        );
    }
    // No command: a usage error from the parser.
    env.cmd(&["exec", "a"]).assert().code(2);
}

#[test]
fn status_checks_every_connection_in_parallel_within_pools() {
    let fake = FakeBc::start();
    let (s1, s2) = ("pool111", "free222");
    fake.add_store(s1, "Pooled", "p.example.com");
    fake.add_store(s2, "Free", "f.example.com");
    let env = Env::with_fake(&fake);
    // s1: one pool of level 2 shared by four connections.
    add_token_connection(
        &fake,
        &env,
        "p1",
        s1,
        "tokenP1aaaaaaaaaaaaaaaaaaaa",
        &["--concurrency", "2"],
    );
    for n in ["p2", "p3", "p4"] {
        let t = format!("token{n}bbbbbbbbbbbbbbbbbbbbb");
        add_token_connection(&fake, &env, n, s1, &t, &["--borrow-concurrency-from", "p1"]);
    }
    // s2: three connections with pools of their own (level 1 each).
    for n in ["f1", "f2", "f3"] {
        let t = format!("token{n}ccccccccccccccccccccc");
        add_token_connection(&fake, &env, n, s2, &t, &[]);
    }
    fake.set_latency(Duration::from_millis(150));
    let out = env.cmd(&["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().all(|r| r["status"] == "ok"), "{rows:?}");
    assert_eq!(fake.max_in_flight(s1), 2, "one pool of level 2");
    assert_eq!(fake.max_in_flight(s2), 3, "three pools checked at once");
}

/// `use --unset` is done when there is nothing to unset (as `rm -f`): exit
/// 0, saying so; a `.bcconn` further up that still applies is named.
#[test]
fn unsetting_what_is_not_set_succeeds_and_says_so() {
    let (_fake, env) = four();
    let root = env.dir.path().join("proj");
    let deep = root.join("deep");
    std::fs::create_dir_all(&deep).unwrap();
    let unset = |dir: &Path, args: &[&str]| {
        let out = env
            .cmd(&[&["use", "--unset"], args].concat())
            .current_dir(dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let said = unset(&root, &["--global"]);
    assert!(
        said.contains("no global default connection was set"),
        "{said}"
    );
    let said = unset(&root, &[]);
    assert!(said.contains("there is no .bcconn in"), "{said}");
    assert!(said.contains("nothing to remove"), "{said}");
    // One further up still applies: the warning names it.
    env.cmd(&["use", "b"]).current_dir(&root).assert().success();
    let said = unset(&deep, &[]);
    assert!(said.contains("warning:"), "{said}");
    assert!(said.contains("the one that applies here is"), "{said}");
    assert!(root.join(".bcconn").exists());
    // A second --unset where it was removed is done too.
    unset(&root, &[]);
    assert!(!root.join(".bcconn").exists());
    unset(&root, &[]);
}
