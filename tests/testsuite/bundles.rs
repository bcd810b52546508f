//! Encrypted bundles (issue 18, item 3): `export --with-secrets` to an age
//! recipient or with a passphrase, imported into an empty home on a fresh
//! secret store with the same tokens; nothing in the bundle is plaintext;
//! a wrong key writes nothing; an imported token is a new generation above
//! the local one, verified against its store (a dead one refuses the
//! bundle) unless `--no-verify`; the reference `age` tool opens what
//! bcconn writes and writes what bcconn opens (`#[ignore]`d without it).

use std::path::{Path, PathBuf};
use std::process::Output;

use secrecy::ExposeSecret;
use serde_json::Value;

use crate::common::oauth::{self, OAuthFixture, SECRET};
use crate::common::{Env, all_output, assert_exit, stderr};

/// The token of the API-account connection `direct` of home A.
const DIRECT: &str = "tokenBUNDLEdirect0123456789";
const PASSPHRASE: &str = "correct horse battery staple";

/// An age identity file and its public key.
struct Key {
    file: PathBuf,
    public: String,
    secret: String,
}

fn key(dir: &Path, name: &str) -> Key {
    let identity = age::x25519::Identity::generate();
    let secret = identity.to_string().expose_secret().to_string();
    let public = identity.to_public().to_string();
    let file = dir.join(name);
    std::fs::write(
        &file,
        format!("# created: by the test\n# public key: {public}\n{secret}\n"),
    )
    .unwrap();
    Key {
        file,
        public,
        secret,
    }
}

/// Home A: iClient `app` (client secret [`SECRET`]), OAuth connection
/// `shop` authorized through the fake, token connection `direct`.
fn home_a() -> OAuthFixture {
    let fx = OAuthFixture::new();
    let out = oauth::create(&fx.env, "shop", &[]);
    assert_exit(&out, 0);
    fx.fake
        .add_token(DIRECT, oauth::STORE_HASH, &["store_v2_orders"]);
    direct(&fx.env, "direct", DIRECT);
    fx
}

/// `bcconn create NAME --auth-type token` with `token` on stdin.
fn direct(env: &Env, name: &str, token: &str) {
    let out = env
        .cmd(&[
            "create",
            name,
            "--auth-type",
            "token",
            "--store-hash",
            oauth::STORE_HASH,
            "--access-token-stdin",
        ])
        .write_stdin(format!("{token}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
}

/// `bcconn ARGS` in the env's temp dir (no stray .bcconn above it).
fn run(env: &Env, args: &[&str]) -> Output {
    env.cmd(args).current_dir(env.dir.path()).output().unwrap()
}

fn token(env: &Env, name: &str) -> String {
    let out = run(env, &["token", name]);
    assert_exit(&out, 0);
    String::from_utf8(out.stdout).unwrap()
}

fn record(env: &Env, name: &str) -> Value {
    env.list()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no connection {name}"))
}

/// The token generation of connection `name` (in the export document).
fn generation(env: &Env, name: &str) -> u64 {
    let records = env.records();
    let c = records["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    c["token_generation"].as_u64().unwrap_or(0)
}

/// Exports home A with secrets as `file` (`how`: the lock flags).
fn export(env: &Env, how: &[&str], file: &Path) -> Output {
    let args = [
        &["export", "--with-secrets"][..],
        how,
        &["-o", file.to_str().unwrap()],
    ]
    .concat();
    let out = run(env, &args);
    assert_exit(&out, 0);
    out
}

/// Standard base64 (no padding), for looking for an encoded secret.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// No secret, nor its base64 or hex form, anywhere in `bytes`.
fn no_plaintext(bytes: &[u8], secrets: &[&str]) {
    let text = String::from_utf8_lossy(bytes);
    for s in secrets {
        let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
        for form in [s.to_string(), base64(s.as_bytes()), hex] {
            assert!(!text.contains(&form), "{form} is in the bundle");
        }
    }
}

/// The tokens and client secret of home A are in home B, working, and the
/// bundle holds none of them in any readable form.
fn moved(fx: &OAuthFixture, b: &Env, bundle: &Path) {
    let shop = token(&fx.env, "shop");
    assert_eq!(token(b, "shop"), shop);
    assert_eq!(token(b, "direct"), token(&fx.env, "direct"));
    assert!(b.secrets_text().contains(SECRET), "the client secret came");
    for name in ["shop", "direct"] {
        let c = record(b, name);
        assert_eq!(c["state"], "authorized", "{c}");
        assert!(c["last_verified_at"].is_string(), "verified: {c}");
    }
    // It works: `api` through the imported OAuth token.
    let out = run(b, &["api", "v2/time", "-c", "shop"]);
    assert_exit(&out, 0);
    no_plaintext(
        &std::fs::read(bundle).unwrap(),
        &[shop.trim(), DIRECT, SECRET],
    );
}

#[test]
fn a_bundle_to_a_recipient_moves_tokens_and_client_secrets_to_an_empty_home() {
    let fx = home_a();
    let k = key(fx.env.dir.path(), "key.txt");
    let bundle = fx.env.dir.path().join("bcconn.age");
    let out = export(&fx.env, &["--recipient", &k.public], &bundle);
    assert!(
        stderr(&out).contains("with 1 client secret and 2 tokens"),
        "{}",
        all_output(&out)
    );
    #[cfg(unix)]
    assert_eq!(crate::common::mode(&bundle), 0o600);
    assert!(
        std::fs::read(&bundle)
            .unwrap()
            .starts_with(b"age-encryption.org/v1\n")
    );

    let b = Env::with_fake(&fx.fake);
    let out = run(
        &b,
        &[
            "import",
            bundle.to_str().unwrap(),
            "--identity",
            k.file.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    let said = stderr(&out);
    assert!(said.contains("Imported 2 tokens"), "{said}");
    assert!(said.contains("No re-authorization is needed"), "{said}");
    assert!(!all_output(&out).contains(&k.secret));
    moved(&fx, &b, &bundle);
    // Exporting never overwrites.
    let again = run(
        &fx.env,
        &[
            "export",
            "--with-secrets",
            "--recipient",
            &k.public,
            "-o",
            bundle.to_str().unwrap(),
        ],
    );
    assert_exit(&again, 2);
}

#[test]
fn a_bundle_with_a_passphrase_from_the_environment_moves_the_same() {
    let mut fx = home_a();
    fx.env.set("BCCONN_PASSPHRASE", PASSPHRASE);
    let bundle = fx.env.dir.path().join("pass.age");
    export(&fx.env, &["--passphrase"], &bundle);
    no_plaintext(&std::fs::read(&bundle).unwrap(), &[PASSPHRASE]);

    let mut b = Env::with_fake(&fx.fake);
    b.set("BCCONN_PASSPHRASE", PASSPHRASE);
    let out = run(&b, &["import", bundle.to_str().unwrap()]);
    assert_exit(&out, 0);
    moved(&fx, &b, &bundle);
}

#[test]
fn a_wrong_identity_or_passphrase_is_one_line_exit_1_and_writes_nothing() {
    let mut fx = home_a();
    let dir = fx.env.dir.path().to_path_buf();
    let k = key(&dir, "key.txt");
    let other = key(&dir, "other.txt");
    let to_key = dir.join("key.age");
    export(&fx.env, &["--recipient", &k.public], &to_key);
    fx.env.set("BCCONN_PASSPHRASE", PASSPHRASE);
    let to_pass = dir.join("pass.age");
    export(&fx.env, &["--passphrase"], &to_pass);

    // An empty home stays empty; one with records stays byte-identical.
    let mut b = Env::with_fake(&fx.fake);
    b.set("BCCONN_PASSPHRASE", "not the passphrase");
    for records in [false, true] {
        if records {
            crate::common::add_app(&b);
        }
        let (db, secrets) = (b.record_bytes(), b.secrets_text());
        for (args, says) in [
            (
                vec![
                    "import",
                    to_key.to_str().unwrap(),
                    "--identity",
                    other.file.to_str().unwrap(),
                ],
                "was not encrypted to the identity given; nothing was imported",
            ),
            (
                vec!["import", to_pass.to_str().unwrap()],
                "the passphrase does not open",
            ),
        ] {
            let out = run(&b, &args);
            assert_exit(&out, 1);
            let text = stderr(&out);
            assert!(text.contains(says), "{text}");
            assert_eq!(text.lines().filter(|l| l.starts_with("error:")).count(), 1);
            assert_eq!(b.record_bytes(), db);
            assert_eq!(b.secrets_text(), secrets);
        }
        assert_eq!(b.record_path().exists(), records);
    }
}

#[test]
fn an_imported_token_is_a_generation_above_the_local_one() {
    let fx = OAuthFixture::bare();
    fx.fake
        .add_token(DIRECT, oauth::STORE_HASH, &["store_v2_orders"]);
    direct(&fx.env, "shop", DIRECT);
    let k = key(fx.env.dir.path(), "key.txt");
    let bundle = fx.env.dir.path().join("bcconn.age");
    export(&fx.env, &["--recipient", &k.public], &bundle);
    assert_eq!(generation(&fx.env, "shop"), 1);

    // Home B re-tokened its "shop" twice: generation 3.
    let b = Env::with_fake(&fx.fake);
    fx.fake.add_token(
        "tokenLOCALfirst0123456789",
        oauth::STORE_HASH,
        &["store_v2_orders"],
    );
    direct(&b, "shop", "tokenLOCALfirst0123456789");
    for t in ["tokenLOCALsecond012345678", "tokenLOCALthird0123456789"] {
        fx.fake
            .add_token(t, oauth::STORE_HASH, &["store_v2_orders"]);
        let out = b
            .cmd(&["authorize", "shop", "--access-token-stdin"])
            .write_stdin(format!("{t}\n"))
            .output()
            .unwrap();
        assert_exit(&out, 0);
    }
    let local = generation(&b, "shop");
    assert!(local >= 3, "{local}");
    let import = [
        "import",
        bundle.to_str().unwrap(),
        "--identity",
        k.file.to_str().unwrap(),
    ];
    // The name is taken: refused without --replace.
    assert_exit(&run(&b, &import), 2);
    let out = run(&b, &[&import[..], &["--replace"]].concat());
    assert_exit(&out, 0);
    let now = generation(&b, "shop");
    assert!(now > local, "{now} after {local}");
    assert_eq!(token(&b, "shop"), format!("{DIRECT}\n"));
    // The replaced token is gone from the store, not orphaned.
    assert!(
        !b.secrets_text().contains("tokenLOCALthird"),
        "{}",
        b.secrets_text()
    );
}

/// A replaced iClient's client secret is replaced in place: one copy, the
/// bundle's.
#[test]
fn a_replaced_iclient_gets_the_bundles_client_secret_in_place() {
    let fx = home_a();
    let k = key(fx.env.dir.path(), "key.txt");
    let bundle = fx.env.dir.path().join("bcconn.age");
    export(&fx.env, &["shop", "--recipient", &k.public], &bundle);
    let b = Env::with_fake(&fx.fake);
    b.add_iclient("app", "other-client", "cs-local-Wq83Zr", &fx.callback);
    let args = [
        "import",
        bundle.to_str().unwrap(),
        "--identity",
        k.file.to_str().unwrap(),
        "--replace",
    ];
    let out = run(&b, &args);
    assert_exit(&out, 0);
    let kept = b.secrets_text();
    assert!(
        kept.contains(SECRET) && !kept.contains("cs-local-Wq83Zr"),
        "{kept}"
    );
    assert_eq!(b.records()["iclients"][0]["client_id"], oauth::CLIENT_ID);
    assert_eq!(token(&b, "shop"), token(&fx.env, "shop"));
}

/// An iClient whose id another iClient holds here gets a new id, with its
/// client secret under it, and the bundle's connections follow it.
#[test]
fn an_iclient_id_taken_here_gets_a_new_one_and_its_connections_follow() {
    let fx = home_a();
    let k = key(fx.env.dir.path(), "key.txt");
    let bundle = fx.env.dir.path().join("bcconn.age");
    export(&fx.env, &["shop", "--recipient", &k.public], &bundle);
    let identity: age::x25519::Identity = k.secret.parse().unwrap();
    let plain = age::decrypt(&identity, &std::fs::read(&bundle).unwrap()).unwrap();
    let mut doc: Value = serde_json::from_slice(&plain).unwrap();
    let taken = doc["iclients"][0]["id"].as_str().unwrap().to_string();
    // Home B holds iClient "other" under that id.
    doc.as_object_mut().unwrap().remove("secrets");
    doc["connections"] = serde_json::json!([]);
    doc["iclients"][0]["name"] = "other".into();
    let other = fx.env.dir.path().join("other.json");
    std::fs::write(&other, serde_json::to_vec(&doc).unwrap()).unwrap();
    let b = Env::with_fake(&fx.fake);
    assert_exit(&run(&b, &["import", other.to_str().unwrap()]), 0);

    let args = [
        "import",
        bundle.to_str().unwrap(),
        "--identity",
        k.file.to_str().unwrap(),
    ];
    assert_exit(&run(&b, &args), 0);
    let records = b.records();
    let app = records["iclients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "app")
        .unwrap();
    let id = app["id"].as_str().unwrap();
    assert_ne!(id, taken);
    assert_eq!(records["connections"][0]["iclient_id"], id);
    let kept: Value = serde_json::from_str(&b.secrets_text()).unwrap();
    assert_eq!(kept["secrets"][format!("iclient/{id}")], SECRET);
    assert_eq!(token(&b, "shop"), token(&fx.env, "shop"));
}

#[test]
fn no_verify_saves_authorized_without_last_verified_at() {
    let fx = home_a();
    let k = key(fx.env.dir.path(), "key.txt");
    let bundle = fx.env.dir.path().join("bcconn.age");
    export(&fx.env, &["--recipient", &k.public], &bundle);
    let checks = fx.fake.count("GET", "/stores/abc123/v2/store");
    let b = Env::with_fake(&fx.fake);
    let args = [
        "import",
        bundle.to_str().unwrap(),
        "--identity",
        k.file.to_str().unwrap(),
        "--no-verify",
    ];
    let out = run(&b, &args);
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("--no-verify"), "{}", all_output(&out));
    assert_eq!(
        fx.fake.count("GET", "/stores/abc123/v2/store"),
        checks,
        "no check sent"
    );
    for name in ["shop", "direct"] {
        let c = record(&b, name);
        assert_eq!(c["state"], "authorized", "{c}");
        assert!(c["last_verified_at"].is_null(), "{c}");
    }
}

/// A bundle whose token its store refuses (401: revoked, or replaced since
/// the bundle was made) is refused whole, before anything is written: a
/// half-imported bundle, or a connection "authorized" with a dead token,
/// helps nobody; the source machine can export a fresh one. `--no-verify`
/// takes it anyway (then `status` finds it invalid).
#[test]
fn a_bundle_with_a_token_its_store_refuses_is_refused_whole() {
    let fx = home_a();
    let k = key(fx.env.dir.path(), "key.txt");
    let bundle = fx.env.dir.path().join("bcconn.age");
    export(&fx.env, &["--recipient", &k.public], &bundle);
    fx.fake.revoke_token(DIRECT);
    let b = Env::with_fake(&fx.fake);
    let args = [
        "import",
        bundle.to_str().unwrap(),
        "--identity",
        k.file.to_str().unwrap(),
    ];
    let out = run(&b, &args);
    assert_exit(&out, 1);
    let text = stderr(&out);
    assert!(
        text.contains("\"direct\"")
            && text.contains("401")
            && text.contains("nothing was imported"),
        "{text}"
    );
    assert!(text.contains("--no-verify"), "{text}");
    assert!(b.record_bytes().is_empty());
    assert!(b.secrets_text().is_empty());
}

#[test]
fn refusals_name_what_is_missing_or_wrong() {
    let fx = home_a();
    let env = &fx.env;
    let out = run(env, &["export", "--with-secrets"]);
    assert_exit(&out, 2);
    let text = stderr(&out);
    assert!(
        text.contains("--recipient") && text.contains("--passphrase"),
        "{text}"
    );

    let out = run(
        env,
        &[
            "export",
            "--with-secrets",
            "--recipient",
            "age1\u{1b}[31mnope",
        ],
    );
    assert_exit(&out, 2);
    let text = stderr(&out);
    assert!(
        text.contains("is not an age public key") && !text.contains('\u{1b}'),
        "{text}"
    );

    // A secret key where the public key goes: said, never echoed.
    let k = key(env.dir.path(), "pasted.txt");
    let out = run(env, &["export", "--with-secrets", "--recipient", &k.secret]);
    assert_exit(&out, 2);
    let text = stderr(&out);
    assert!(
        text.contains("secret key") && !text.contains(&k.secret[15..]),
        "{text}"
    );

    // No terminal and no BCCONN_PASSPHRASE.
    let out = run(env, &["export", "--with-secrets", "--passphrase"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("BCCONN_PASSPHRASE"),
        "{}",
        all_output(&out)
    );

    // A plain document holding secrets is never taken in.
    let plain = env.dir.path().join("plain.json");
    std::fs::write(
        &plain,
        r#"{"version":2,"iclients":[],"connections":[],"secrets":{"iclients":{},"connections":{}}}"#,
    )
    .unwrap();
    let b = Env::new();
    let out = run(&b, &["import", plain.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("plain text"), "{}", all_output(&out));
    assert!(b.record_bytes().is_empty());

    // A bundle to a key, without --identity.
    let k = key(env.dir.path(), "key.txt");
    let bundle = env.dir.path().join("b.age");
    export(env, &["--recipient", &k.public], &bundle);
    let out = run(&b, &["import", bundle.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--identity"), "{}", all_output(&out));
}

#[test]
fn an_armored_bundle_goes_through_a_pipe() {
    let fx = home_a();
    let k = key(fx.env.dir.path(), "key.txt");
    let out = run(
        &fx.env,
        &[
            "export",
            "shop",
            "--with-secrets",
            "--armor",
            "--recipient",
            &k.public,
        ],
    );
    assert_exit(&out, 0);
    assert!(
        out.stdout
            .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
    );
    let b = Env::with_fake(&fx.fake);
    let out = b
        .cmd(&["import", "-", "--identity", k.file.to_str().unwrap()])
        .write_stdin(out.stdout)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(token(&b, "shop"), token(&fx.env, "shop"));
    assert_eq!(b.list().len(), 1, "only the connection named");
}

fn age_tool(args: &[&str]) -> Output {
    let out = std::process::Command::new("age")
        .args(args)
        .output()
        .expect("the age tool (Debian package age)");
    assert!(out.status.success(), "age {args:?}: {}", all_output(&out));
    out
}

#[test]
#[ignore = "needs the age tool (Debian package age)"]
fn the_age_tool_opens_a_bundle_and_makes_one_bcconn_imports() {
    let fx = home_a();
    let dir = fx.env.dir.path();
    let k = key(dir, "key.txt");
    let bundle = dir.join("bcconn.age");
    export(&fx.env, &["--recipient", &k.public], &bundle);
    let shop = token(&fx.env, "shop");

    // `age -d -i KEY` opens it: the export document with the secrets.
    let plain = age_tool(&[
        "-d",
        "-i",
        k.file.to_str().unwrap(),
        bundle.to_str().unwrap(),
    ])
    .stdout;
    let doc: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(doc["version"], 2);
    let tokens = doc["secrets"]["connections"].as_object().unwrap();
    assert!(tokens.values().any(|t| t == shop.trim()), "{tokens:?}");

    // `age -r` (binary and armored) from that document: bcconn imports it.
    let plain_file = dir.join("plain.json");
    std::fs::write(&plain_file, &plain).unwrap();
    for armor in [false, true] {
        let made = dir.join(format!("made-{armor}.age"));
        let mut args = vec!["-r", &k.public, "-o", made.to_str().unwrap()];
        if armor {
            args.push("-a");
        }
        args.push(plain_file.to_str().unwrap());
        age_tool(&args);
        let b = Env::with_fake(&fx.fake);
        let out = run(
            &b,
            &[
                "import",
                made.to_str().unwrap(),
                "--identity",
                k.file.to_str().unwrap(),
            ],
        );
        assert_exit(&out, 0);
        assert_eq!(token(&b, "shop"), shop);
        assert_eq!(token(&b, "direct"), format!("{DIRECT}\n"));
    }
}

/// On a terminal the passphrase is asked hidden, twice to export (two that
/// differ write nothing), once to import.
#[cfg(unix)]
#[test]
fn a_passphrase_is_asked_twice_on_a_terminal_and_once_to_import() {
    use crate::wizard::Pty;
    let fx = home_a();
    let typed = "typed-pass-Hq4Zt";
    let file = fx.env.dir.path().join("typed.age");
    let export = [
        "export",
        "--with-secrets",
        "--passphrase",
        "-o",
        file.to_str().unwrap(),
    ];

    let mut t = Pty::spawn(&fx.env, &export);
    t.answer("Passphrase:", &format!("{typed}\r"));
    t.answer("Passphrase again:", "something-else\r");
    assert_eq!(t.finish(), 2, "{}", t.seen);
    assert!(t.seen.contains("differ"), "{}", t.seen);
    assert!(!file.exists());

    let mut t = Pty::spawn(&fx.env, &export);
    t.answer("Passphrase:", &format!("{typed}\r"));
    t.answer("Passphrase again:", &format!("{typed}\r"));
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(
        !t.seen.contains(typed),
        "the passphrase was drawn: {}",
        t.seen
    );

    let b = Env::with_fake(&fx.fake);
    let mut t = Pty::spawn(&b, &["import", file.to_str().unwrap()]);
    t.answer("Passphrase:", &format!("{typed}\r"));
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(
        !t.seen.contains(typed),
        "the passphrase was drawn: {}",
        t.seen
    );
    assert_eq!(token(&b, "shop"), token(&fx.env, "shop"));
}

/// As `age` does: binary ciphertext is not for a terminal; armor is.
#[cfg(unix)]
#[test]
fn a_binary_bundle_is_not_written_to_a_terminal() {
    use crate::wizard::Pty;
    let fx = home_a();
    let k = key(fx.env.dir.path(), "key.txt");
    let mut t = Pty::spawn(
        &fx.env,
        &["export", "--with-secrets", "--recipient", &k.public],
    );
    assert_eq!(t.finish(), 2, "{}", t.seen);
    assert!(
        t.seen.contains("--armor") && !t.seen.contains("age-encryption.org"),
        "{}",
        t.seen
    );
    let args = [
        "export",
        "--with-secrets",
        "--recipient",
        &k.public,
        "--armor",
    ];
    let mut t = Pty::spawn(&fx.env, &args);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    assert!(
        t.seen.contains("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{}",
        t.seen
    );
}

/// The secret accounts the records of `env` name in the file store, and
/// the accounts the secrets file holds.
fn named_and_kept(
    env: &Env,
) -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    let records = env.records();
    let mut named = std::collections::BTreeSet::new();
    for ic in records["iclients"].as_array().unwrap() {
        if ic["secret_store"] == "file" {
            named.insert(format!("iclient/{}", ic["id"].as_str().unwrap()));
        }
    }
    for c in records["connections"].as_array().unwrap() {
        if c["token_store"] == "file" {
            let id = c["id"].as_str().unwrap();
            named.insert(match c["token_generation"].as_u64().unwrap_or(0) {
                0 => format!("connection/{id}"),
                g => format!("connection/{id}/g{g}"),
            });
        }
    }
    let text = env.secrets_text();
    let kept = if text.is_empty() {
        Default::default()
    } else {
        let v: Value = serde_json::from_str(&text).expect("the secrets file parses after a kill");
        v["secrets"].as_object().unwrap().keys().cloned().collect()
    };
    (named, kept)
}

/// SIGKILL at random points of a bundle's import: every record that names
/// a secret has it (an iClient is never saved without its client secret,
/// a connection is pending until its token is saved), and the next import
/// leaves no secret that no record names. A few rounds by default; 100 with
/// `BCCONN_TEST_CRASH=1` (as `.ci/run`'s crash step sets).
#[cfg(unix)]
#[test]
fn an_import_killed_anywhere_leaves_no_record_without_its_secret_and_no_orphan() {
    let rounds = if std::env::var_os("BCCONN_TEST_CRASH").is_some() {
        100
    } else {
        6
    };
    let fx = home_a();
    let k = key(fx.env.dir.path(), "key.txt");
    let bundle = fx.env.dir.path().join("bcconn.age");
    export(&fx.env, &["--recipient", &k.public], &bundle);
    let args = [
        "import",
        bundle.to_str().unwrap(),
        "--identity",
        k.file.to_str().unwrap(),
    ];
    let started = std::time::Instant::now();
    assert_exit(&run(&Env::with_fake(&fx.fake), &args), 0);
    let took = started.elapsed().as_micros() as u64;
    let mut seed = took | 1;
    let mut killed = 0;
    for round in 0..rounds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let b = Env::with_fake(&fx.fake);
        let mut child = b
            .std_cmd(&args)
            .current_dir(b.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(
            seed % (took * 3 / 2).max(1),
        ));
        let _ = child.kill();
        if !child.wait().unwrap().success() {
            killed += 1;
        }
        let (named, kept) = named_and_kept(&b);
        let missing: Vec<_> = named.difference(&kept).collect();
        assert!(
            missing.is_empty(),
            "round {round}: records name missing secrets {missing:?}"
        );
        for c in b.list() {
            if c["state"] == "authorized" {
                assert_eq!(c["token_store"], "file", "round {round}: {c}");
            }
        }
        // The next import finishes the job and tidies what the kill left.
        let out = run(&b, &[&args[..], &["--replace"]].concat());
        assert_exit(&out, 0);
        let (named, kept) = named_and_kept(&b);
        assert_eq!(named, kept, "round {round}: orphans or missing secrets");
        assert_eq!(token(&b, "shop"), token(&fx.env, "shop"));
    }
    println!("{rounds} rounds, {killed} killed mid-run");
}
