//! The sealed secret store (`BCCONN_SECRET_STORE=sealed`): secrets
//! encrypted in the record database under `BCCONN_SECRET_KEY`. No plaintext
//! anywhere on disk, wrong and missing keys refused with nothing written, a
//! ciphertext that does not open in another row, key rotation and moves
//! between stores that survive SIGKILL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;

use crate::api::add_token_connection;
use crate::common::fake_bc::FakeBc;
use crate::common::oauth::OAuthFixture;
use crate::common::{Env, all_output, code, fake_browser, run};

const HASH: &str = crate::common::oauth::STORE_HASH;
const CLIENT_ID: &str = "sealed-client-id";
const CLIENT_SECRET: &str = "cs-sealed-Qw81nVb2Lp";
const TOKEN: &str = "tok-sealed-Hs62kPz0Ra";

/// A fresh key, as `bcconn secrets new-key` prints it.
fn new_key(env: &Env) -> String {
    let out = run(env, &["secrets", "new-key"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn key_id(key: &str) -> &str {
    key.split(':').next().unwrap()
}

/// The env of a fixture, set to the sealed store with a fresh key and its
/// own TMPDIR (scanned afterwards).
fn sealed(env: &mut Env) -> String {
    let key = new_key(env);
    env.set("BCCONN_SECRET_STORE", "sealed");
    env.set("BCCONN_SECRET_KEY", &key);
    let tmp = env.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    env.set("TMPDIR", tmp.to_str().unwrap());
    key
}

/// Every file under `dir`, recursively, with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.extend(files_under(&path));
        } else if meta.is_file() {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

/// A secret as it might sit in a file: itself, base64 (with and without
/// padding, standard and URL-safe), hex.
fn forms(secret: &str) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    vec![
        secret.as_bytes().to_vec(),
        STANDARD.encode(secret).into_bytes(),
        STANDARD_NO_PAD.encode(secret).into_bytes(),
        URL_SAFE_NO_PAD.encode(secret).into_bytes(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
    ]
}

fn assert_no_plaintext(dir: &Path, secrets: &[&str]) {
    let files = files_under(dir);
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for secret in secrets {
            for form in forms(secret) {
                assert!(
                    !bytes.windows(form.len()).any(|w| w == form.as_slice()),
                    "{} holds {secret} (as {:?})",
                    path.display(),
                    String::from_utf8_lossy(&form)
                );
            }
        }
    }
}

#[test]
fn a_sealed_round_trip_leaves_no_plaintext_anywhere() {
    let OAuthFixture {
        fake,
        mut env,
        callback,
    } = OAuthFixture::registered(CLIENT_ID, CLIENT_SECRET, &["store_v2_orders"]);
    let key = sealed(&mut env);
    env.add_iclient("app", CLIENT_ID, CLIENT_SECRET, &callback);
    let out = run(
        &env,
        &[
            "create",
            "shop",
            "--store-hash",
            HASH,
            "--iclient",
            "app",
            "--scopes",
            "store_v2_orders",
        ],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let issued = fake.issued_tokens();
    let token = issued.last().expect("a token was issued").clone();
    let out = run(&env, &["token", "shop"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), token);
    let out = run(&env, &["api", "v2/orders", "-c", "shop"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let shown = all_output(&run(&env, &["show", "shop"]));
    assert!(shown.contains("sealed"), "{shown}");
    let backup = env.home().join("copy.db");
    let out = run(&env, &["backup", backup.to_str().unwrap()]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    // The whole temp dir: home, database, WAL, the backup, TMPDIR.
    let b64_key = key.split_once(':').unwrap().1;
    assert_no_plaintext(env.dir.path(), &[CLIENT_SECRET, &token, b64_key]);
    // Nothing on stderr or stdout of any step named them either (run checks
    // the token; the rest here).
    assert!(!shown.contains(CLIENT_SECRET) && !shown.contains(&token));
    let _ = fake_browser::command();
}

/// A home with two sealed token connections `one` and `two`, and a list
/// run so that the database file is settled (no WAL left to fold in).
fn two_sealed() -> (FakeBc, Env, String) {
    let OAuthFixture { fake, mut env, .. } = OAuthFixture::bare();
    let key = sealed(&mut env);
    add_token_connection(&fake, &env, "one", HASH, TOKEN, &[]);
    add_token_connection(&fake, &env, "two", HASH, "tok-sealed-second-77", &[]);
    run(&env, &["list"]);
    (fake, env, key)
}

fn db_files(env: &Env) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(&env.home())
        .into_iter()
        .filter(|(p, _)| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name == "bcconn.db" || name == "bcconn.db-wal"
        })
        .collect()
}

#[test]
fn wrong_and_missing_keys_are_refused_and_write_nothing() {
    let (_fake, mut env, key) = two_sealed();
    let before = db_files(&env);
    let other = new_key(&env);
    // The same id, other bytes: the key does not open it (exit 1).
    let forged = format!("{}:{}", key_id(&key), other.split_once(':').unwrap().1);
    for (value, status, says) in [
        (forged.as_str(), 1, "does not open the sealed secret"),
        (other.as_str(), 1, "which BCCONN_SECRET_KEY does not hold"),
        ("not-a-key", 2, "is not a sealing key list"),
    ] {
        env.set("BCCONN_SECRET_KEY", value);
        let out = run(&env, &["token", "one"]);
        assert_eq!(code(&out), Some(status), "{}", all_output(&out));
        assert!(all_output(&out).contains(says), "{}", all_output(&out));
        assert!(out.stdout.is_empty());
        // A write: a third connection, and an iClient.
        let out = env
            .cmd(&[
                "create",
                "three",
                "--auth-type",
                "token",
                "--store-hash",
                HASH,
                "--access-token-stdin",
            ])
            .write_stdin(format!("{TOKEN}\n"))
            .output()
            .unwrap();
        assert_eq!(code(&out), Some(status), "{}", all_output(&out));
        let out = env
            .cmd(&[
                "iclient",
                "add",
                "app",
                "--client-id",
                "c",
                "--client-secret-stdin",
            ])
            .write_stdin("s\n")
            .output()
            .unwrap();
        assert_eq!(code(&out), Some(status), "{}", all_output(&out));
        assert!(!all_output(&out).contains(value), "the key was echoed");
        assert_eq!(db_files(&env), before, "written with {value}");
    }
    // No key at all: a setup error (exit 2), before anything is done.
    let mut bare = Env::new();
    for (k, v) in env.vars() {
        if k != "BCCONN_SECRET_KEY" {
            bare.set(k, v);
        }
    }
    let out = run(&bare, &["token", "one"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(
        all_output(&out).contains("BCCONN_SECRET_KEY"),
        "{}",
        all_output(&out)
    );
    let out = bare
        .cmd(&[
            "iclient",
            "add",
            "app",
            "--client-id",
            "c",
            "--client-secret-stdin",
        ])
        .write_stdin("s\n")
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert_eq!(db_files(&env), before);
    // The right key still opens everything.
    env.set("BCCONN_SECRET_KEY", &key);
    let out = run(&env, &["token", "one"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), TOKEN);
}

#[test]
fn a_key_file_must_be_private() {
    let (_fake, mut env, key) = two_sealed();
    let file = env.dir.path().join("key");
    std::fs::write(&file, format!("# the team key\n{key}\n")).unwrap();
    crate::common::set_mode(&file, 0o644);
    let mut with_file = Env::new();
    for (k, v) in env.vars() {
        if k != "BCCONN_SECRET_KEY" {
            with_file.set(k, v);
        }
    }
    with_file.set("BCCONN_SECRET_KEY_FILE", file.to_str().unwrap());
    let out = run(&with_file, &["token", "one"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(
        all_output(&out).contains("chmod 600"),
        "{}",
        all_output(&out)
    );
    crate::common::set_mode(&file, 0o600);
    let out = run(&with_file, &["token", "one"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), TOKEN);
    env.set("BCCONN_SECRET_KEY", &key);
}

#[test]
fn a_ciphertext_copied_into_another_row_does_not_open() {
    let (_fake, env, _key) = two_sealed();
    let db = rusqlite::Connection::open(env.home().join("bcconn.db")).unwrap();
    let accounts: Vec<String> = db
        .prepare(
            "SELECT account FROM sealed_secrets WHERE account LIKE 'connection/%' ORDER BY account",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    // Both tokens' rows hold only ciphertext.
    db.execute(
        "UPDATE sealed_secrets SET (key_id, nonce, ciphertext) = \
         (SELECT key_id, nonce, ciphertext FROM sealed_secrets WHERE account = ?1) \
         WHERE account = ?2",
        [&accounts[0], &accounts[1]],
    )
    .unwrap();
    drop(db);
    let (a, b) = (run(&env, &["token", "one"]), run(&env, &["token", "two"]));
    // Exactly one of the two rows was overwritten with the other's sealing.
    let (good, bad) = if code(&a) == Some(0) { (a, b) } else { (b, a) };
    assert_eq!(code(&good), Some(0), "{}", all_output(&good));
    assert_eq!(code(&bad), Some(1), "{}", all_output(&bad));
    assert!(bad.stdout.is_empty());
    assert!(
        all_output(&bad).contains("was copied from another row"),
        "{}",
        all_output(&bad)
    );
}

/// Every token's (account, key id) as the database holds it.
fn sealed_rows(env: &Env) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(env.home().join("bcconn.db")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut stmt = db
        .prepare("SELECT account, key_id FROM sealed_secrets ORDER BY account")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn rotate_key_killed_at_random_points_loses_nothing() {
    let OAuthFixture { fake, mut env, .. } = OAuthFixture::bare();
    let mut current = sealed(&mut env);
    let tokens: Vec<String> = (0..12).map(|i| format!("tok-rot-{i:02}-Xc81")).collect();
    for (i, t) in tokens.iter().enumerate() {
        add_token_connection(&fake, &env, &format!("c{i:02}"), HASH, t, &[]);
    }
    let mut seed: u64 = 0x5eed_1234;
    let mut killed = 0;
    // Round 0 runs to its end and sets the window the others are killed
    // in: on a slow machine a fixed window would kill every round before
    // one finished (CI did), and prove less than the test says.
    let mut window = Duration::from_millis(40);
    for round in 0..10 {
        let next = new_key(&env);
        let file = env.dir.path().join(format!("new-{round}.key"));
        std::fs::write(&file, &next).unwrap();
        crate::common::set_mode(&file, 0o600);
        let mut child = env
            .std_cmd(&[
                "secrets",
                "rotate-key",
                "--new-key-file",
                file.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        if round == 0 {
            let started = std::time::Instant::now();
            assert!(child.wait().unwrap().success(), "round 0 runs to its end");
            window = started.elapsed().max(Duration::from_millis(5));
        }
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let window_ms = window.as_millis().max(1) as u64;
        std::thread::sleep(Duration::from_millis((seed >> 33) % window_ms));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let rows = sealed_rows(&env);
        assert_eq!(rows.len(), tokens.len(), "round {round}: {rows:?}");
        let ids: std::collections::HashSet<&str> = rows.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(
            ids.len(),
            1,
            "round {round}: one transaction, one key: {ids:?}"
        );
        let now = *ids.iter().next().unwrap();
        assert!(
            now == key_id(&current) || now == key_id(&next),
            "round {round}"
        );
        // Each opens with exactly that key: the list [that key] reads all.
        if now == key_id(&next) {
            current = next;
        }
        env.set("BCCONN_SECRET_KEY", &current);
        for (i, t) in tokens.iter().enumerate().step_by(5) {
            let out = run(&env, &["token", &format!("c{i:02}")]);
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                t,
                "round {round}"
            );
        }
    }
    // Round 0 finished; the others were cut at random points of a run.
    eprintln!("rotate-key: {killed} of 9 rounds killed mid-run (window {window:?})");
}

#[test]
fn rotate_key_says_what_it_did_and_what_to_do_next() {
    let (fake, mut env, key) = two_sealed();
    fake.expect_unexpected(); // doctor's endpoint checks
    let next = new_key(&env);
    let file = env.dir.path().join("next.key");
    std::fs::write(&file, &next).unwrap();
    crate::common::set_mode(&file, 0o600);
    let out = run(
        &env,
        &[
            "secrets",
            "rotate-key",
            "--new-key-file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let text = all_output(&out);
    assert!(
        text.contains(&format!(
            "Re-sealed 2 secrets under the key {}",
            key_id(&next)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("put {} first", key_id(&next))),
        "{text}"
    );
    // With only the old key, reads name the key to add.
    let out = run(&env, &["token", "one"]);
    assert_eq!(code(&out), Some(1));
    assert!(
        all_output(&out).contains(key_id(&next)),
        "{}",
        all_output(&out)
    );
    // Both keys, the old one first: doctor names the secrets under the other.
    env.set("BCCONN_SECRET_KEY", &format!("{key},{next}"));
    let doctor = all_output(&run(&env, &["doctor"]));
    let words = doctor.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!("2 by {} (", key_id(&next))),
        "{doctor}"
    );
    assert!(
        words.contains("the token of \"one\"") && words.contains("the token of \"two\""),
        "{doctor}"
    );
    // rotate-key with no file re-seals under the list's first key.
    let out = run(&env, &["secrets", "rotate-key"]);
    assert!(
        all_output(&out).contains(&format!("under the key {}", key_id(&key))),
        "{}",
        all_output(&out)
    );
    env.set("BCCONN_SECRET_KEY", &key);
    let out = run(&env, &["token", "two"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "tok-sealed-second-77"
    );
}

/// The store each record names, from `export`.
fn stores(env: &Env) -> Vec<String> {
    let doc = env.records();
    let conns = doc["connections"].as_array().unwrap().iter();
    let ics = doc["iclients"].as_array().unwrap().iter();
    conns
        .map(|c| c["token_store"].as_str().unwrap_or("-").to_string())
        .chain(ics.map(|ic| ic["secret_store"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn secrets_move_between_stores_survives_sigkill() {
    let OAuthFixture { fake, mut env, .. } = OAuthFixture::bare();
    fake.expect_unexpected(); // doctor's endpoint checks
    // Plain text first (the suite's default store), then sealed.
    let tokens: Vec<String> = (0..10).map(|i| format!("tok-move-{i:02}-Lm30")).collect();
    for (i, t) in tokens.iter().enumerate() {
        add_token_connection(&fake, &env, &format!("m{i:02}"), HASH, t, &[]);
    }
    env.add_iclient(
        "app",
        "cid-move",
        "cs-move-secret-91",
        "http://localhost:8765/auth",
    );
    let key = new_key(&env);
    env.set("BCCONN_SECRET_KEY", &key);
    let mut seed: u64 = 0xabcdef;
    for (round, to) in [
        "sealed", "file", "sealed", "file", "sealed", "file", "sealed",
    ]
    .iter()
    .enumerate()
    {
        let mut child = env
            .std_cmd(&["secrets", "move", "--to", to])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis((seed >> 33) % 60));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever was cut short: every secret is where its record says.
        for (i, t) in tokens.iter().enumerate() {
            let out = run(&env, &["token", &format!("m{i:02}")]);
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                t,
                "round {round}: {}",
                all_output(&out)
            );
        }
        // Then finished: every record names the target.
        let out = run(&env, &["secrets", "move", "--to", to]);
        assert_eq!(code(&out), Some(0), "round {round}: {}", all_output(&out));
        assert!(
            stores(&env).iter().all(|s| s == to),
            "round {round}: {:?}",
            stores(&env)
        );
    }
    // Sealed at the end: nothing in plain text is left in the file store
    // (the next write tidied what killed runs left).
    run(&env, &["secrets", "move", "--to", "sealed"]);
    assert!(
        !env.secrets_text().contains("tok-move-"),
        "{}",
        env.secrets_text()
    );
    assert_no_plaintext(&env.home(), &["cs-move-secret-91", "tok-move-03-Lm30"]);
    let doctor = all_output(&run(&env, &["doctor"]));
    assert!(doctor.contains("sealed secret store"), "{doctor}");
}

#[test]
fn plaintext_in_use_is_named_by_doctor_and_move_refuses_a_store_that_is_not_one() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    fake.expect_unexpected(); // doctor's endpoint checks
    add_token_connection(&fake, &env, "one", HASH, TOKEN, &[]);
    let doctor = all_output(&run(&env, &["doctor"]));
    assert!(
        doctor.contains("bcconn secrets move --to sealed"),
        "{doctor}"
    );
    let out = run(&env, &["secrets", "move", "--to", "vault"]);
    assert_eq!(code(&out), Some(2));
    assert!(
        all_output(&out).contains("sealed, os, keyutils, file"),
        "{}",
        all_output(&out)
    );
    // Sealed without a key: refused before anything moves.
    let before = env.secrets_text();
    let out = run(&env, &["secrets", "move", "--to", "sealed"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(
        all_output(&out).contains("bcconn secrets new-key"),
        "{}",
        all_output(&out)
    );
    assert_eq!(env.secrets_text(), before);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring in a D-Bus session); .ci/run starts one"]
fn secrets_move_file_sealed_os_sealed_with_sigkill_rounds() {
    let OAuthFixture { fake, mut env, .. } = OAuthFixture::bare();
    for key in [
        "DBUS_SESSION_BUS_ADDRESS",
        "XDG_RUNTIME_DIR",
        "XDG_DATA_HOME",
        "HOME",
    ] {
        if let Ok(v) = std::env::var(key) {
            env.set(key, &v);
        }
    }
    let tokens: Vec<String> = (0..6).map(|i| format!("tok-os-{i:02}-Pq57")).collect();
    for (i, t) in tokens.iter().enumerate() {
        add_token_connection(&fake, &env, &format!("o{i:02}"), HASH, t, &[]);
    }
    let key = new_key(&env);
    env.set("BCCONN_SECRET_KEY", &key);
    let mut seed: u64 = 0x0515;
    for (round, to) in ["sealed", "os", "sealed", "os", "sealed"]
        .iter()
        .enumerate()
    {
        let mut child = env
            .std_cmd(&["secrets", "move", "--to", to])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis((seed >> 33) % 150));
        let _ = child.kill();
        let _ = child.wait();
        for (i, t) in tokens.iter().enumerate() {
            let out = run(&env, &["token", &format!("o{i:02}")]);
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                t,
                "round {round}: {}",
                all_output(&out)
            );
        }
        let out = run(&env, &["secrets", "move", "--to", to]);
        assert_eq!(code(&out), Some(0), "round {round}: {}", all_output(&out));
        assert!(
            stores(&env).iter().all(|s| s == to),
            "round {round}: {:?}",
            stores(&env)
        );
    }
    // Leave the keyring as found: the last round ended in the sealed store.
    for i in 0..tokens.len() {
        run(&env, &["delete", &format!("o{i:02}"), "--yes"]);
    }
}

#[test]
fn a_bcconn_inside_exec_is_told_the_key_was_removed() {
    let (_fake, env, _key) = two_sealed();
    let inner = [crate::common::BIN, "token", "one"];
    let out = run(&env, &[&["exec", "one", "--"][..], &inner].concat());
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(
        all_output(&out).contains("BCCONN_SECRET_KEY was removed by `bcconn exec`"),
        "{}",
        all_output(&out)
    );
    let out = run(
        &env,
        &[&["exec", "one", "--pass-bcconn-env", "--"][..], &inner].concat(),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), TOKEN);
}

#[test]
fn a_damaged_row_blocks_nothing_else_and_status_fails_on_a_wrong_key() {
    let (fake, mut env, key) = two_sealed();
    let db = rusqlite::Connection::open(env.home().join("bcconn.db")).unwrap();
    db.execute(
        "UPDATE sealed_secrets SET nonce = substr(nonce, 1, 10) \
         WHERE account = (SELECT min(account) FROM sealed_secrets)",
        [],
    )
    .unwrap();
    drop(db);
    // Writes go on (the damaged row is no evidence against the key).
    add_token_connection(&fake, &env, "three", HASH, "tok-sealed-third-55", &[]);
    let (a, b) = (run(&env, &["token", "one"]), run(&env, &["token", "two"]));
    let bad = if code(&a) == Some(0) { b } else { a };
    assert_eq!(code(&bad), Some(1), "{}", all_output(&bad));
    assert!(
        all_output(&bad).contains("is damaged"),
        "{}",
        all_output(&bad)
    );
    assert!(
        all_output(&bad).contains("bcconn authorize NAME"),
        "{}",
        all_output(&bad)
    );
    // status: a wrong key is the user's setup, said once with its own exit
    // status, not "no token" on every row.
    env.set("BCCONN_SECRET_KEY", &new_key(&env));
    let out = run(&env, &["status"]);
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(
        all_output(&out).contains("does not hold"),
        "{}",
        all_output(&out)
    );
    env.set("BCCONN_SECRET_KEY", &key);
}

#[test]
fn new_key_output_makes_its_directory_and_never_overwrites() {
    let env = Env::new();
    let file = env
        .dir
        .path()
        .join("fresh")
        .join("config")
        .join("bcconn-key");
    let out = run(
        &env,
        &["secrets", "new-key", "--output", file.to_str().unwrap()],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(crate::common::mode(&file) & 0o777, 0o600);
    assert_eq!(crate::common::mode(file.parent().unwrap()) & 0o777, 0o700);
    let key = std::fs::read_to_string(&file).unwrap();
    assert!(!all_output(&out).contains(key.trim().split_once(':').unwrap().1));
    let again = run(
        &env,
        &["secrets", "new-key", "--output", file.to_str().unwrap()],
    );
    assert_eq!(code(&again), Some(2), "{}", all_output(&again));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), key);
}
