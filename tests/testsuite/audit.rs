//! The secrets audit (issue 10): every command, on success and failure
//! paths, with `-v` and `-vv`, with known secret values. None may show up in
//! stdout, stderr, the record file, or the argv or environment of a child
//! bcconn starts (the browser: a fake that writes down its own argv and
//! environment, then clicks Confirm). `bcconn token`'s stdout is the one
//! place a token belongs, and is checked to be exactly that. Encrypted
//! bundles (`export --with-secrets`, `import` of one) are in the round, with
//! `BCCONN_PASSPHRASE` and the age identity among the secrets.

#![cfg(unix)]

use std::process::Output;

use crate::common::fake_bc::FakeBc;
use std::path::Path;

use crate::common::{Env, all_output, child_port, code, fake_browser, run};

const CLIENT_ID: &str = "audit-client-id";
/// The app's client secret, typed on stdin.
const CS_STDIN: &str = "cs-stdin-Kd83jQwP0z";
/// Given through BCCONN_CLIENT_SECRET (to a second iClient of the same app).
const CS_ENV: &str = "cs-env-Tn51xBvR7m";
/// A wrong client secret (the exchange fails with it).
const CS_WRONG: &str = "cs-wrong-Yq26pLsE4c";
/// Store-level API account tokens: on stdin, in BCCONN_ACCESS_TOKEN, unknown.
const API_STDIN: &str = "api-stdin-Wm48cNdA1v";
const API_ENV: &str = "api-env-Hr93kTzF6b";
const API_UNKNOWN: &str = "api-unknown-Gx17sVqJ8n";
/// An encrypted bundle's passphrase, in BCCONN_PASSPHRASE.
const PASSPHRASE: &str = "pass-env-Qe72hWmZ5k";

struct Audit {
    fake: FakeBc,
    env: Env,
    /// Every run, with its command line, for the final check.
    runs: Vec<(String, Output)>,
}

impl Audit {
    fn run(&mut self, args: &[&str], stdin: Option<&str>) -> &Output {
        let mut cmd = self.env.cmd(args);
        if let Some(input) = stdin {
            cmd.write_stdin(input.to_string());
        }
        let out = cmd.output().unwrap();
        self.runs.push((args.join(" "), out));
        &self.runs.last().unwrap().1
    }

    /// Runs and expects success.
    fn ok(&mut self, args: &[&str], stdin: Option<&str>) {
        let out = self.run(args, stdin);
        assert!(out.status.success(), "{args:?} failed: {}", all_output(out));
    }

    /// Runs and expects a refusal.
    fn fails(&mut self, args: &[&str], stdin: Option<&str>) {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error: "),
            "{args:?}: {}",
            all_output(out)
        );
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn no_secret_reaches_output_records_or_children() {
    let fake = FakeBc::start();
    let callback = format!("http://127.0.0.1:{}/auth", child_port());
    fake.register_app(CLIENT_ID, CS_STDIN, &callback, &["store_v2_orders"]);
    fake.add_store("abc123", "Acme", "acme.example.com");
    fake.add_token(
        API_STDIN,
        "abc123",
        &[
            "store_v2_orders",
            "store_channel_settings_read_only",
            "store_sites_read_only",
            "store_storefront_api",
        ],
    );
    fake.add_token(API_ENV, "abc123", &["store_v2_orders"]);
    fake.add_storefront_channels("abc123");
    let mut env = Env::with_fake(&fake);
    env.set("BCCONN_CLIENT_SECRET", CS_ENV);
    env.set("BCCONN_ACCESS_TOKEN", API_ENV);
    env.set("BCCONN_PASSPHRASE", PASSPHRASE);
    // The age identity encrypted bundles are opened with, and another.
    let (identity, public) = age_key(env.dir.path(), "key.txt");
    let (other_identity, _) = age_key(env.dir.path(), "other.txt");
    let browser = dumping_browser(env.dir.path(), Some(&fake_browser::command()));
    env.set("BCCONN_BROWSER", &browser);
    let mut a = Audit {
        fake,
        env,
        runs: Vec::new(),
    };

    let secret_in = format!("{CS_STDIN}\n");
    let wrong_in = format!("{CS_WRONG}\n");
    let api_in = format!("{API_STDIN}\n");
    let unknown_in = format!("{API_UNKNOWN}\n");
    for v in ["-v", "-vv"] {
        let app = format!("app{v}");
        let app_env = format!("appenv{v}");
        let bad = format!("bad{v}");
        let shop = format!("shop{v}");
        let tok = format!("tok{v}");
        let tok_env = format!("tokenv{v}");
        let renamed = format!("renamed{v}");
        let add = |name: &str, stdin: bool| {
            let mut args = vec![
                v.to_string(),
                "iclient".into(),
                "add".into(),
                name.to_string(),
                "--client-id".into(),
                CLIENT_ID.into(),
                "--callback-url".into(),
                callback.clone(),
            ];
            if stdin {
                args.push("--client-secret-stdin".into());
            }
            args
        };

        // iClients: a secret on stdin, one from the environment, a wrong one.
        a.ok(&refs(&add(&app, true)), Some(&secret_in));
        a.ok(&refs(&add(&app_env, false)), None);
        a.ok(&refs(&add(&bad, true)), Some(&wrong_in));
        // A taken name, with the secret on stdin.
        a.fails(&refs(&add(&app, true)), Some(&secret_in));
        a.ok(&[v, "iclient", "list"], None);
        a.ok(&[v, "iclient", "list", "--json"], None);
        a.ok(&[v, "iclient", "show", &app], None);
        a.ok(&[v, "iclient", "show", &app, "--json"], None);
        a.ok(
            &[v, "iclient", "edit", &app, "--client-secret-stdin"],
            Some(&secret_in),
        );

        // OAuth: a flow that works, one the token endpoint refuses.
        let oauth = |name: &str, ic: &str| {
            vec![
                v.to_string(),
                "create".into(),
                name.to_string(),
                "--iclient".into(),
                ic.to_string(),
                "--store-hash".into(),
                "abc123".into(),
                "--scopes".into(),
                "store_v2_orders".into(),
                "--timeout".into(),
                "20".into(),
            ]
        };
        a.ok(&refs(&oauth(&shop, &app)), None);
        a.fails(&refs(&oauth(&format!("failed{v}"), &bad)), None);
        a.ok(&[v, "authorize", &shop, "--timeout", "20"], None);

        // Token connections: stdin, the environment, a token the store refuses.
        let token_create = |name: &str, stdin: bool| {
            let mut args = vec![
                v.to_string(),
                "create".into(),
                name.to_string(),
                "--auth-type".into(),
                "token".into(),
                "--store-hash".into(),
                "abc123".into(),
            ];
            if stdin {
                args.push("--access-token-stdin".into());
            }
            args
        };
        a.ok(&refs(&token_create(&tok, true)), Some(&api_in));
        a.ok(&refs(&token_create(&tok_env, false)), None);
        a.fails(
            &refs(&token_create(&format!("tokbad{v}"), true)),
            Some(&unknown_in),
        );

        // Storefront tokens: saved, printed (stdout only), refused, revoked.
        let sf = ["storefront-token", "create", "-c", &tok, "--channel", "1"];
        let saved = ["--for", "browser", "--expires", "1d", "--save", "web"];
        a.ok(&[&[v][..], &sf, &saved].concat(), None);
        let printed = ["--for", "server", "--scopes", "B2B", "--expires", "1d"];
        a.ok(&[&[v][..], &sf, &printed].concat(), None);
        let out = &a.runs.last().unwrap().1;
        let made = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(made, a.fake.storefront_tokens().last().unwrap().token);
        a.runs.last_mut().unwrap().1.stdout.clear();
        a.fails(
            &[
                v,
                "storefront-token",
                "create",
                "-c",
                &tok,
                "--channel",
                "9",
                "--for",
                "server",
                "--scopes",
                "B2B",
                "--expires",
                "1d",
            ],
            None,
        );
        a.ok(
            &[v, "storefront-token", "revoke", "-c", &tok, "--token-stdin"],
            Some(&made),
        );
        a.fails(
            &[v, "storefront-token", "revoke", "-c", &tok, "--token-stdin"],
            Some(&made),
        );
        a.ok(&[v, "channels", "-c", &tok], None);
        a.ok(&[v, "channels", "-c", &tok, "--json"], None);

        // Reading and changing.
        a.ok(&[v, "list"], None);
        a.ok(&[v, "list", "--json"], None);
        a.ok(&[v, "show", &shop], None);
        a.ok(&[v, "show", &tok, "--json"], None);
        // Exit 3: the failed connection is not usable.
        a.run(&[v, "status"], None);
        a.run(&[v, "status", "--json"], None);
        a.ok(&[v, "edit", &shop, "--concurrency", "3"], None);
        a.ok(&[v, "rename", &shop, &renamed], None);
        a.ok(&[v, "rename", &renamed, &shop], None);
        a.ok(&[v, "scopes"], None);
        a.ok(&[v, "callback-url", "--iclient", &app], None);
        a.fails(&[v, "show", "nobody"], None);
        a.fails(&[v, "edit", &shop, "--concurrency", "99"], None);

        // `token` prints the token on stdout, and nothing else anywhere.
        a.ok(&[v, "token", &tok], None);
        let out = &a.runs.last().unwrap().1;
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), API_STDIN);
        a.runs.last_mut().unwrap().1.stdout.clear();
        a.fails(&[v, "token", &format!("failed{v}")], None);

        // Encrypted bundles: to a key, with a passphrase; opened again.
        let file = a.env.dir.path().join(format!("bundle{v}.age"));
        let file = file.to_str().unwrap();
        let to_key = [
            v,
            "export",
            &shop,
            &tok,
            "--with-secrets",
            "--recipient",
            &public,
        ];
        a.ok(&[&to_key[..], &["-o", file]].concat(), None);
        // A secret key given where the public key goes is not echoed.
        let pasted = age_secret(&identity);
        a.fails(
            &[v, "export", "--with-secrets", "--recipient", &pasted],
            None,
        );
        a.fails(&[v, "import", file, "--identity", &other_identity], None);
        a.ok(
            &[v, "import", file, "--identity", &identity, "--replace"],
            None,
        );
        a.ok(
            &[
                v,
                "export",
                &tok,
                "--with-secrets",
                "--passphrase",
                "--armor",
            ],
            None,
        );
        let armored = String::from_utf8(a.runs.last().unwrap().1.stdout.clone()).unwrap();
        a.ok(&[v, "import", "-", "--replace"], Some(&armored));
        a.ok(&[v, "token", &tok], None);
        let out = &a.runs.last().unwrap().1;
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), API_STDIN);
        a.runs.last_mut().unwrap().1.stdout.clear();

        // A token the store no longer accepts: status, then token.
        a.fake.revoke_token(API_ENV);
        a.run(&[v, "status", &tok_env], None);
        a.fails(&[v, "token", &tok_env], None);

        a.ok(&[v, "delete", &tok, "--yes"], None);
        a.fails(&[v, "iclient", "remove", &app, "--yes"], None);
        a.ok(&[v, "delete", &shop, "--yes"], None);
        a.ok(&[v, "iclient", "remove", &app, "--yes"], None);
        // The revoked token's replacement for the next round.
        a.fake.add_token(API_ENV, "abc123", &["store_v2_orders"]);
    }

    let mut secrets: Vec<String> = [
        CS_STDIN,
        CS_ENV,
        CS_WRONG,
        API_STDIN,
        API_ENV,
        API_UNKNOWN,
        PASSPHRASE,
    ]
    .map(String::from)
    .to_vec();
    secrets.push(age_secret(&identity));
    secrets.push(age_secret(&other_identity));
    let issued = a.fake.issued_tokens();
    assert!(issued.len() >= 4, "the flows ran: {issued:?}");
    secrets.extend(issued);
    let storefront: Vec<String> = a
        .fake
        .storefront_tokens()
        .into_iter()
        .map(|t| t.token)
        .collect();
    assert!(
        storefront.len() >= 4,
        "storefront tokens were made: {storefront:?}"
    );
    secrets.extend(storefront);
    let records = String::from_utf8(a.env.record_bytes()).unwrap();
    let dumps = browser_dumps(a.env.dir.path());
    assert!(
        dumps.contains("oauth2/authorize") && dumps.contains("BCCONN_HOME="),
        "the browser wrote down its argv and environment: {dumps}"
    );
    let verbose_lines = a
        .runs
        .iter()
        .filter(|(args, _)| args.starts_with("-vv"))
        .map(|(_, o)| String::from_utf8_lossy(&o.stderr).lines().count())
        .sum::<usize>();
    assert!(verbose_lines > 50, "-vv says more: {verbose_lines} lines");
    for s in &secrets {
        assert!(!records.contains(s.as_str()), "{s} is in the record file");
        assert!(
            !dumps.contains(s.as_str()),
            "{s} reached the browser: {dumps}"
        );
        for (args, out) in &a.runs {
            assert!(
                !all_output(out).contains(s.as_str()),
                "`bcconn {args}` printed {s}:\n{}",
                all_output(out)
            );
        }
    }
    // The secrets are where they belong.
    let kept = a.env.secrets_text();
    assert!(kept.contains(CS_ENV) && kept.contains(CS_WRONG));
}

/// `bcconn exec`'s child (issue 14, item 16): the secret inputs
/// (`BCCONN_CLIENT_SECRET`, `BCCONN_ACCESS_TOKEN`) never reach CMD; the
/// shared settings (`BCCONN_POOL_URL`, which may hold a Redis password) are
/// removed too and the child marked, so a bcconn inside CMD refuses rather
/// than fall back to this machine's pools; `--pass-bcconn-env` keeps the
/// settings, never the secrets.
#[test]
fn exec_gives_its_command_no_secret_input_and_marks_what_it_removed() {
    const POOL_PW: &str = "pool-pw-Zc61rNbQ3t";
    let fake = FakeBc::start();
    fake.add_store("abc123", "Acme", "acme.example.com");
    fake.add_token(API_STDIN, "abc123", &["store_v2_orders"]);
    let env = Env::with_fake(&fake);
    let out = env
        .cmd(&[
            "create",
            "tok",
            "--auth-type",
            "token",
            "--store-hash",
            "abc123",
            "--access-token-stdin",
        ])
        .write_stdin(format!("{API_STDIN}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let pool_url = format!("redis://:{POOL_PW}@127.0.0.1:1/0");
    let exec = |extra: &[&str], cmd: &[&str]| {
        let args: Vec<&str> = [&["exec", "tok"][..], extra, &["--"], cmd].concat();
        env.cmd(&args)
            .env("BCCONN_CLIENT_SECRET", CS_ENV)
            .env("BCCONN_ACCESS_TOKEN", API_ENV)
            .env("BCCONN_PASSPHRASE", CS_WRONG)
            .env("BCCONN_POOL_URL", &pool_url)
            .output()
            .unwrap()
    };
    let out = exec(&[], &["env"]);
    assert!(out.status.success(), "{}", all_output(&out));
    let child = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        child.contains(&format!("BIGCOMMERCE_ACCESS_TOKEN={API_STDIN}\n")),
        "the token CMD is for: {child}"
    );
    for gone in [CS_ENV, API_ENV, CS_WRONG, POOL_PW, "BCCONN_POOL_URL="] {
        assert!(!child.contains(gone), "{gone} reached CMD: {child}");
    }
    assert!(
        child.contains("BCCONN_EXEC_REMOVED=BCCONN_POOL_URL\n"),
        "{child}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(POOL_PW));

    // A bcconn inside CMD that needs the pools refuses, naming the way out.
    let bin = crate::common::BIN;
    let sent = fake.count("GET", "/stores/abc123/v2/time");
    let out = exec(&[], &[bin, "api", "v2/time", "-c", "tok"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("BCCONN_POOL_URL was removed by `bcconn exec`")
            && text.contains("--pass-bcconn-env"),
        "{text}"
    );
    assert_eq!(
        fake.count("GET", "/stores/abc123/v2/time"),
        sent,
        "nothing sent"
    );

    // --pass-bcconn-env: the settings stay, the secret inputs never.
    let out = exec(&["--pass-bcconn-env"], &["env"]);
    assert!(out.status.success(), "{}", all_output(&out));
    let child = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        child.contains(&format!("BCCONN_POOL_URL={pool_url}\n")),
        "{child}"
    );
    assert!(!child.contains("BCCONN_EXEC_REMOVED"), "{child}");
    for gone in [CS_ENV, API_ENV, CS_WRONG] {
        assert!(!child.contains(gone), "{gone} reached CMD: {child}");
    }
}

/// Issue 14, item 16: `BCCONN_POOL_URL` in every form (one that does not
/// parse, a bad port, a Unix socket URL with `?pass=`, user info, query,
/// fragment, percent-encoded) never shows its password: not in errors, not
/// with `-v` or `-vv`, not in `doctor`.
#[test]
fn no_form_of_bcconn_pool_url_shows_its_password() {
    let (fake, mut env) = crate::api::setup("1");
    // `doctor` probes the endpoints' roots.
    fake.expect_unexpected();
    let forms = [
        (
            "redis+unix:///tmp/bcconn-none.sock?db=0&pass=PWunixPass01",
            "PWunixPass01",
        ),
        (
            "unix:///tmp/bcconn-none.sock?password=PWunixPass02",
            "PWunixPass02",
        ),
        (
            "redis://127.0.0.1:99999/0?password=PWbadPort03",
            "PWbadPort03",
        ),
        ("redis://127.0.0.1:1/0?password=PWquery04", "PWquery04"),
        (
            "redis://ops:PWuserInfo05@127.0.0.1:notaport/0",
            "PWuserInfo05",
        ),
        ("redis://:PWrefused06@127.0.0.1:1/0", "PWrefused06"),
        ("rediss://PWloneUser07@127.0.0.1:1/0", "PWloneUser07"),
        ("redis://:PW%40pct08@127.0.0.1:1/0", "PW@pct08"),
        ("redis://:PWfrag09@127.0.0.1:1/0#PWfrag10", "PWfrag10"),
        ("http://:PWnotRedis11@127.0.0.1:1/0", "PWnotRedis11"),
        (":PWnoScheme12@127.0.0.1:1", "PWnoScheme12"),
        ("redis://:PW?quest13@127.0.0.1:1/0", "PW?quest13"),
        ("redis://[::1:PWbadHost14@x/0", "PWbadHost14"),
    ];
    for (url, secret) in forms {
        env.set("BCCONN_POOL_URL", url);
        for args in [
            &["api", "v2/time"][..],
            &["-v", "api", "v2/time"],
            &["-vv", "api", "v2/time"],
            &["-vv", "doctor"],
        ] {
            let out = env
                .cmd(args)
                .current_dir(env.dir.path())
                .timeout(std::time::Duration::from_secs(30))
                .output()
                .unwrap();
            let all = all_output(&out);
            if args[args.len() - 1] != "doctor" {
                assert!(!out.status.success(), "{url} {args:?}: {all}");
            }
            for part in [secret, &secret[2..]] {
                assert!(
                    !all.contains(part),
                    "BCCONN_POOL_URL={url}: `bcconn {}` printed {part}:\n{all}",
                    args.join(" ")
                );
            }
        }
    }
}

/// A new age identity file in `dir`: its path and its public key.
fn age_key(dir: &Path, name: &str) -> (String, String) {
    use secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    let path = dir.join(name);
    std::fs::write(&path, identity.to_string().expose_secret()).unwrap();
    (
        path.to_str().unwrap().to_string(),
        identity.to_public().to_string(),
    )
}

/// The secret key in an identity file [`age_key`] wrote.
fn age_secret(path: &str) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

/// A browser that writes down its argv and environment, then does nothing.
#[cfg(unix)]
pub fn dumping_browser(dir: &Path, then: Option<&str>) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("dump-browser");
    let dump = dir.join("browser-dumps");
    std::fs::create_dir_all(&dump).unwrap();
    let tail = then
        .map(|cmd| format!("exec {cmd} \"$@\"\n"))
        .unwrap_or_default();
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nd={}/$$\nprintf '%s\\n' \"$0\" \"$@\" > \"$d.argv\"\nenv > \"$d.env\"\n{tail}",
            dump.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

/// Everything the dumping browser wrote down.
#[cfg(unix)]
pub fn browser_dumps(dir: &Path) -> String {
    let mut all = String::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("browser-dumps")) {
        for e in entries.flatten() {
            all.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    all
}

#[cfg(unix)]
#[test]
fn the_browser_inherits_no_secret_variables() {
    let mut env = Env::new();
    env.set("BCCONN_CLIENT_SECRET", "env-client-secret-Pq9");
    env.set("BCCONN_ACCESS_TOKEN", "env-access-token-Zr4");
    env.set("BCCONN_PASSPHRASE", "env-passphrase-Lw8");
    env.set("BCCONN_SECRET_KEY", "env-secret-key-Jd2");
    let out = run(
        &env,
        &[
            "iclient",
            "add",
            "app",
            "--client-id",
            "cid",
            "--callback-url",
            &format!("http://127.0.0.1:{}/auth", child_port()),
        ],
    );
    assert!(out.status.success(), "{}", all_output(&out));
    let browser = dumping_browser(env.dir.path(), None);
    env.set("BCCONN_BROWSER", &browser);
    let out = run(
        &env,
        &[
            "create",
            "shop",
            "--iclient",
            "app",
            "--store-hash",
            "abc123",
            "--scopes",
            "store_v2_orders",
            "--timeout",
            "2",
        ],
    );
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    let dumps = browser_dumps(env.dir.path());
    assert!(
        dumps.contains("oauth2/authorize"),
        "the browser ran: {dumps}"
    );
    assert!(dumps.contains("BCCONN_HOME="), "{dumps}");
    assert!(!dumps.contains("env-client-secret-Pq9"), "{dumps}");
    assert!(!dumps.contains("env-access-token-Zr4"), "{dumps}");
    assert!(!dumps.contains("env-passphrase-Lw8"), "{dumps}");
    assert!(!dumps.contains("env-secret-key-Jd2"), "{dumps}");
}

/// The sealed store (issue 18): its key (`BCCONN_SECRET_KEY`) and the
/// secrets it seals never reach output, at `-v` and `-vv`, on success and
/// on every refusal (a wrong key, a forged key, a malformed one), nor
/// `exec`'s child; the database holds only ciphertext.
#[test]
fn the_sealing_key_and_sealed_secrets_are_never_shown() {
    let fake = FakeBc::start();
    fake.expect_unexpected(); // doctor's endpoint checks
    fake.add_store("abc123", "Acme", "acme.example.com");
    fake.add_token(API_STDIN, "abc123", &["store_v2_orders"]);
    let mut env = Env::with_fake(&fake);
    let key = String::from_utf8(env.cmd(&["secrets", "new-key"]).output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let key_b64 = key.split_once(':').unwrap().1.to_string();
    env.set("BCCONN_SECRET_STORE", "sealed");
    env.set("BCCONN_SECRET_KEY", &key);
    let mut a = Audit {
        fake,
        env,
        runs: Vec::new(),
    };
    let api_in = format!("{API_STDIN}\n");
    let secret_in = format!("{CS_STDIN}\n");
    for v in ["-v", "-vv"] {
        let tok = format!("tok{v}");
        let app = format!("app{v}");
        a.ok(
            &[
                v,
                "create",
                &tok,
                "--auth-type",
                "token",
                "--store-hash",
                "abc123",
                "--access-token-stdin",
            ],
            Some(&api_in),
        );
        a.ok(
            &[
                v,
                "iclient",
                "add",
                &app,
                "--client-id",
                CLIENT_ID,
                "--client-secret-stdin",
            ],
            Some(&secret_in),
        );
        a.ok(&[v, "show", &tok], None);
        a.ok(&[v, "iclient", "show", &app], None);
        a.ok(&[v, "api", "v2/time", "-c", &tok], None);
        a.run(&[v, "doctor"], None);
        a.ok(&[v, "secrets", "rotate-key"], None);
        a.ok(&[v, "secrets", "move", "--to", "file"], None);
        a.ok(&[v, "secrets", "move", "--to", "sealed"], None);
        a.ok(&[v, "exec", &tok, "--", "env"], None);
        let child = String::from_utf8_lossy(&a.runs.last().unwrap().1.stdout).into_owned();
        assert!(
            !child.contains("BCCONN_SECRET_KEY="),
            "the key reached CMD: {child}"
        );
        a.runs.last_mut().unwrap().1.stdout.clear();
    }
    // Refusals: a key of the wrong bytes under the right id, and junk that
    // holds the key's text.
    let other =
        String::from_utf8(a.env.cmd(&["secrets", "new-key"]).output().unwrap().stdout).unwrap();
    let forged = format!(
        "{}:{}",
        key.split(':').next().unwrap(),
        other.trim().split_once(':').unwrap().1
    );
    for bad in [
        forged.as_str(),
        &format!("{key_b64}!!"),
        &format!("x y:{key_b64}"),
    ] {
        a.env.set("BCCONN_SECRET_KEY", bad);
        a.fails(&["-vv", "token", "tok-v"], None);
        a.fails(&["-vv", "secrets", "rotate-key"], None);
        let out = &a.runs.last().unwrap().1;
        assert!(!all_output(out).contains(bad), "{}", all_output(out));
    }
    let records = a.env.record_bytes();
    for s in [key_b64.as_str(), API_STDIN, CS_STDIN] {
        assert!(
            !records.windows(s.len()).any(|w| w == s.as_bytes()),
            "{s} is in the database"
        );
        for (args, out) in &a.runs {
            assert!(
                !all_output(out).contains(s),
                "`bcconn {args}` printed {s}:\n{}",
                all_output(out)
            );
        }
    }
}

/// Issue 19: `BCCONN_STORE_URL` in every form (user info, percent-encoded,
/// `?password=`, a bad port, a bad parameter, not PostgreSQL at all, no
/// user) never shows its password: not in errors about a server that
/// refuses, not with `-v` or `-vv`, not in `doctor`. Nothing listens on the
/// port, so no PostgreSQL is needed.
#[test]
fn no_form_of_bcconn_store_url_shows_its_password() {
    let (fake, mut env) = crate::api::setup("1");
    // `doctor` probes the endpoints' roots.
    fake.expect_unexpected();
    let key = String::from_utf8(env.cmd(&["secrets", "new-key"]).output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    env.unset("BCCONN_SECRET_STORE");
    env.set("BCCONN_SECRET_KEY", &key);
    let port = child_port();
    let forms = [
        (
            format!("postgres://team:PWstoreUser01@127.0.0.1:{port}/bcconn"),
            "PWstoreUser01",
        ),
        (
            format!("postgresql://team:PW%40pct02@127.0.0.1:{port}/bcconn"),
            "PW@pct02",
        ),
        (
            format!("postgres://team@127.0.0.1:{port}/bcconn?password=PWquery03"),
            "PWquery03",
        ),
        (
            "postgres://team:PWbadPort04@127.0.0.1:99999/bcconn".to_string(),
            "PWbadPort04",
        ),
        (
            format!("postgres://team:PWtimeout05@127.0.0.1:{port}/bcconn?connect_timeout=zero"),
            "PWtimeout05",
        ),
        (
            format!("mysql://team:PWnotPg06@127.0.0.1:{port}/bcconn"),
            "PWnotPg06",
        ),
        (
            format!("postgres://:PWnoUser07@127.0.0.1:{port}/bcconn"),
            "PWnoUser07",
        ),
        (
            format!("postgres://team:PWsslmode08@127.0.0.1:{port}/bcconn?sslmode=require"),
            "PWsslmode08",
        ),
    ];
    for (url, secret) in &forms {
        env.set("BCCONN_STORE_URL", url);
        for args in [
            &["list"][..],
            &["-v", "token", "shop"],
            &["-vv", "api", "v2/time"],
            &[
                "-vv",
                "iclient",
                "add",
                "app",
                "--client-id",
                CLIENT_ID,
                "--client-secret-stdin",
            ],
            &["-vv", "doctor"],
        ] {
            let out = env
                .cmd(args)
                .current_dir(env.dir.path())
                .write_stdin(format!("{CS_STDIN}\n"))
                .timeout(std::time::Duration::from_secs(30))
                .output()
                .unwrap();
            let all = all_output(&out);
            if args[args.len() - 1] != "doctor" {
                assert!(!out.status.success(), "{url} {args:?}: {all}");
            }
            for part in [*secret, &secret[2..]] {
                assert!(
                    !all.contains(part),
                    "BCCONN_STORE_URL={url}: `bcconn {}` printed {part}:\n{all}",
                    args.join(" ")
                );
            }
        }
    }
}

/// Issue 19: with a working shared store whose URL holds a distinctive
/// password, no command shows it (at `-v` and `-vv`, on success and when
/// the login is refused), and `exec`'s child never gets
/// `BCCONN_STORE_URL` (it is removed and the child marked, so a bcconn
/// inside refuses rather than fall back to the local records) unless
/// `--pass-bcconn-env` asks for it.
#[test]
#[ignore = "needs PostgreSQL: .ci/run starts one (BCCONN_TEST_POSTGRES_URL)"]
fn the_shared_store_password_is_never_shown_nor_given_to_exec() {
    use crate::common::postgres::{Roles, TestDb, execute, unique_name};
    const DB_PW: &str = "pg-pw-Rv58tLkW2e";
    const DB_PW_WRONG: &str = "pg-wrong-Jm36cXnH9s";
    let role = unique_name("bcconn_audit_");
    // The role belongs to the cluster: dropped after the database.
    let _roles = Roles::new(&[&role]);
    let db = TestDb::new();
    execute(
        db.admin(),
        &format!(
            "CREATE ROLE {role} LOGIN PASSWORD '{DB_PW}'; ALTER DATABASE {} OWNER TO {role}",
            db.name
        ),
    );
    let fake = FakeBc::start();
    fake.expect_unexpected(); // doctor's endpoint checks
    fake.add_store("abc123", "Acme", "acme.example.com");
    fake.add_token(API_STDIN, "abc123", &["store_v2_orders"]);
    let mut env = Env::with_fake(&fake);
    let key = String::from_utf8(env.cmd(&["secrets", "new-key"]).output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    env.unset("BCCONN_SECRET_STORE");
    env.set("BCCONN_SECRET_KEY", &key);
    env.set("BCCONN_STORE_URL", &db.url_as(&role, DB_PW));
    let mut a = Audit {
        fake,
        env,
        runs: Vec::new(),
    };
    let api_in = format!("{API_STDIN}\n");
    let secret_in = format!("{CS_STDIN}\n");
    for v in ["-v", "-vv"] {
        let tok = format!("tok{v}");
        let app = format!("app{v}");
        a.ok(
            &[
                v,
                "create",
                &tok,
                "--auth-type",
                "token",
                "--store-hash",
                "abc123",
                "--access-token-stdin",
            ],
            Some(&api_in),
        );
        a.ok(
            &[
                v,
                "iclient",
                "add",
                &app,
                "--client-id",
                CLIENT_ID,
                "--client-secret-stdin",
            ],
            Some(&secret_in),
        );
        a.ok(&[v, "list"], None);
        a.ok(&[v, "show", &tok], None);
        a.ok(&[v, "api", "v2/time", "-c", &tok], None);
        a.ok(&[v, "status", &tok], None);
        a.ok(&[v, "env", &tok], None);
        // The env lines hold the token by design.
        a.runs.last_mut().unwrap().1.stdout.clear();
        a.run(&[v, "doctor"], None);
        a.ok(&[v, "export"], None);
        // Token is the one place a token belongs; the password never.
        a.ok(&[v, "token", &tok], None);
        assert_eq!(
            String::from_utf8_lossy(&a.runs.last().unwrap().1.stdout),
            format!("{API_STDIN}\n")
        );
        a.runs.last_mut().unwrap().1.stdout.clear();
        a.ok(&[v, "exec", &tok, "--", "env"], None);
        let child = String::from_utf8_lossy(&a.runs.last().unwrap().1.stdout).into_owned();
        assert!(
            !child.contains("BCCONN_STORE_URL=") && !child.contains(DB_PW),
            "the store URL reached CMD: {child}"
        );
        assert!(
            child
                .lines()
                .any(|l| l.starts_with("BCCONN_EXEC_REMOVED=") && l.contains("BCCONN_STORE_URL")),
            "{child}"
        );
        a.runs.last_mut().unwrap().1.stdout.clear();
    }
    // --pass-bcconn-env passes the setting on, as asked; bcconn itself
    // still prints nothing of it.
    let out = a.run(&["exec", "tok-v", "--pass-bcconn-env", "--", "env"], None);
    assert!(out.status.success(), "{}", all_output(out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("BCCONN_STORE_URL="));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(DB_PW));
    a.runs.last_mut().unwrap().1.stdout.clear();
    // A login the server refuses: the wrong password is not shown either.
    a.env
        .set("BCCONN_STORE_URL", &db.url_as(&role, DB_PW_WRONG));
    for args in [&["-vv", "list"][..], &["-vv", "token", "tok-v"]] {
        a.fails(args, None);
    }
    a.run(&["-vv", "doctor"], None);
    for (args, out) in &a.runs {
        for s in [DB_PW, DB_PW_WRONG, API_STDIN, CS_STDIN] {
            assert!(
                !all_output(out).contains(s),
                "`bcconn {args}` printed {s}:\n{}",
                all_output(out)
            );
        }
    }
    // Last, as it fails today: a bcconn inside CMD refuses, naming the way
    // out, never the local records instead (today it lists the empty local
    // database: the silent fallback issue 19 forbids).
    let bin = crate::common::BIN;
    a.env.set("BCCONN_STORE_URL", &db.url_as(&role, DB_PW));
    let out = a.run(&["exec", "tok-v", "--", bin, "list"], None);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("BCCONN_STORE_URL was removed by `bcconn exec`"),
        "{}",
        all_output(out)
    );
}
