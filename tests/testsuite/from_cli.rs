//! `bcconn import --from catalyst|stencil`: the token BigCommerce's own CLIs
//! keep in a project becomes a token connection, verified against the fake
//! BigCommerce like `create --auth-type token`; the project's files are
//! never changed and the token is never shown.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use serde_json::Value;

use crate::api::add_token_connection;
use crate::common::oauth::{OAuthFixture, SCOPES, STORE_HASH};
use crate::common::{Env, all_output, code, stderr};

const TOKEN: &str = "tokenCATALYSTproj0123456789";
const OTHER: &str = "tokenDOTcatalyst0123456789";

/// A file's bytes and modification time: equal means untouched.
fn state(path: &Path) -> (Vec<u8>, SystemTime) {
    (
        std::fs::read(path).unwrap(),
        std::fs::metadata(path).unwrap().modified().unwrap(),
    )
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// A project directory beside the home.
fn project(env: &Env, name: &str) -> PathBuf {
    let dir = env.dir.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `bcconn import ARGS`, checked to print none of `secrets`.
fn import(env: &Env, args: &[&str], cwd: &Path, secrets: &[&str]) -> Output {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    let out = env.cmd(&all).current_dir(cwd).output().unwrap();
    let said = all_output(&out);
    for s in secrets {
        assert!(!said.contains(s), "a token was shown: {said}");
    }
    out
}

fn record(env: &Env, name: &str) -> Option<Value> {
    env.list().into_iter().find(|c| c["name"] == name)
}

fn token_of(env: &Env, name: &str) -> String {
    let out = env.cmd(&["token", name]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn project_json(hash: &str, token: &str) -> String {
    format!(
        r#"{{"projectUuid":"7d6c4b52-7f0e-4d1a-9a55-2f1b8d6f7a11","framework":"catalyst","storeHash":"{hash}","accessToken":"{token}","env":{{}}}}"#
    )
}

fn dot_catalyst(hash: &str, token: &str) -> String {
    format!(
        "# DO NOT commit this file to your repository!\n\n[auth]\nstoreHash = \"{hash}\"\naccessToken = \"{token}\"\n"
    )
}

#[test]
fn catalyst_project_json_becomes_a_verified_token_connection() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    fake.add_token(TOKEN, STORE_HASH, &SCOPES);
    let dir = project(&env, "storefront");
    let file = write(
        &dir,
        ".bigcommerce/project.json",
        &project_json(STORE_HASH, TOKEN),
    );
    let before = state(&file);
    // PATH defaults to the current directory.
    let out = import(&env, &["--from", "catalyst"], &dir, &[TOKEN]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    println!("{said}");
    assert!(said.contains("Found a token for store abc123"), "{said}");
    assert!(said.contains("project.json"), "{said}");
    assert!(said.contains("Token verified"), "{said}");
    let c = record(&env, "catalyst-abc123").expect("saved");
    assert_eq!(c["auth_type"], "token", "{c}");
    assert_eq!(c["state"], "authorized", "{c}");
    assert!(c["last_verified_at"].is_string(), "{c}");
    assert_eq!(token_of(&env, "catalyst-abc123"), format!("{TOKEN}\n"));
    assert_eq!(state(&file), before, "the file was changed");
}

#[test]
fn dot_catalyst_alone_is_read_and_both_files_prefer_project_json() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    fake.add_token(TOKEN, STORE_HASH, &SCOPES);
    fake.add_token(OTHER, STORE_HASH, &SCOPES);
    let dir = project(&env, "made-by-create-catalyst");
    let toml = write(&dir, ".catalyst", &dot_catalyst(STORE_HASH, OTHER));
    let out = import(
        &env,
        &["--from", "catalyst", dir.to_str().unwrap(), "--name", "cc"],
        env.dir.path(),
        &[TOKEN, OTHER],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(stderr(&out).contains(".catalyst"), "{}", all_output(&out));
    assert_eq!(token_of(&env, "cc"), format!("{OTHER}\n"));

    // Both: project.json wins, and bcconn says so.
    let json = write(
        &dir,
        ".bigcommerce/project.json",
        &project_json(STORE_HASH, TOKEN),
    );
    let before = (state(&json), state(&toml));
    let out = import(
        &env,
        &["--from", "catalyst", dir.to_str().unwrap()],
        env.dir.path(),
        &[TOKEN, OTHER],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let said = stderr(&out);
    println!("{said}");
    assert!(said.contains("Both"), "{said}");
    assert!(
        said.contains("using") && said.contains("project.json"),
        "{said}"
    );
    assert_eq!(token_of(&env, "catalyst-abc123"), format!("{TOKEN}\n"));
    assert_eq!((state(&json), state(&toml)), before, "a file was changed");
}

#[test]
fn stencil_store_hash_comes_from_the_store_url_or_store_hash() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    fake.add_token(TOKEN, STORE_HASH, &SCOPES);
    let dir = project(&env, "cornerstone");
    let secrets = write(
        &dir,
        "secrets.stencil.json",
        &format!(r#"{{"accessToken":"{TOKEN}","githubToken":""}}"#),
    );
    let config = write(
        &dir,
        "config.stencil.json",
        r#"{"normalStoreUrl":"https://store-abc123.mybigcommerce.com","port":3000,"customLayouts":{}}"#,
    );
    let before = (state(&secrets), state(&config));
    let out = import(&env, &["--from", "stencil"], &dir, &[TOKEN]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(token_of(&env, "stencil-abc123"), format!("{TOKEN}\n"));
    assert_eq!(
        (state(&secrets), state(&config)),
        before,
        "a file was changed"
    );

    // A store on its own domain: the URL holds no hash. Without a
    // terminal, --store-hash is named; with it, the import goes through.
    write(
        &dir,
        "config.stencil.json",
        r#"{"normalStoreUrl":"https://shop.example.com","customLayouts":{}}"#,
    );
    let out = import(
        &env,
        &["--from", "stencil", "--name", "own"],
        &dir,
        &[TOKEN],
    );
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    let said = stderr(&out);
    println!("{said}");
    assert!(said.contains("--store-hash"), "{said}");
    assert!(said.contains("shop.example.com"), "{said}");
    assert!(record(&env, "own").is_none());
    let out = import(
        &env,
        &[
            "--from",
            "stencil",
            "--name",
            "own",
            "--store-hash",
            "abc123",
        ],
        &dir,
        &[TOKEN],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(token_of(&env, "own"), format!("{TOKEN}\n"));
}

#[test]
fn stencil_secrets_file_name_is_honoured_inside_the_theme_only() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    fake.add_token(TOKEN, STORE_HASH, &SCOPES);
    let dir = project(&env, "multi");
    // The default file holds another store's token: it must not be read.
    write(
        &dir,
        "secrets.stencil.json",
        &format!(r#"{{"accessToken":"{OTHER}"}}"#),
    );
    write(
        &dir,
        "secrets.abc123.json",
        &format!(r#"{{"accessToken":"{TOKEN}"}}"#),
    );
    let config = |name: &str| {
        write(
            &dir,
            "config.stencil.json",
            &format!(
                r#"{{"normalStoreUrl":"https://store-abc123.mybigcommerce.com","customLayouts":{{}},"secretsFileName":"{name}"}}"#
            ),
        );
    };
    config("secrets.abc123.json");
    let out = import(&env, &["--from", "stencil"], &dir, &[TOKEN, OTHER]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("secrets.abc123.json"),
        "{}",
        all_output(&out)
    );
    assert_eq!(token_of(&env, "stencil-abc123"), format!("{TOKEN}\n"));

    write(
        env.dir.path(),
        "x",
        &format!(r#"{{"accessToken":"{TOKEN}"}}"#),
    );
    config("../x");
    let out = import(
        &env,
        &["--from", "stencil", "--name", "out"],
        &dir,
        &[TOKEN, OTHER],
    );
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    let said = stderr(&out);
    assert!(
        said.contains("secretsFileName") || said.contains("secrets file"),
        "{said}"
    );
    assert!(said.contains(".."), "{said}");
    assert!(record(&env, "out").is_none());
}

#[test]
fn importing_a_store_again_replaces_its_token_only_with_replace() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    fake.add_token(TOKEN, STORE_HASH, &SCOPES);
    fake.add_token(OTHER, STORE_HASH, &SCOPES);
    let dir = project(&env, "again");
    let file = ".bigcommerce/project.json";
    write(&dir, file, &project_json(STORE_HASH, TOKEN));
    let out = import(&env, &["--from", "catalyst"], &dir, &[TOKEN]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));

    write(&dir, file, &project_json(STORE_HASH, OTHER));
    let records = env.record_bytes();
    let out = import(&env, &["--from", "catalyst"], &dir, &[TOKEN, OTHER]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    let said = stderr(&out);
    println!("{said}");
    assert!(
        said.contains("already exists") && said.contains("--replace"),
        "{said}"
    );
    assert_eq!(env.record_bytes(), records, "the records changed");
    assert_eq!(token_of(&env, "catalyst-abc123"), format!("{TOKEN}\n"));

    let out = import(
        &env,
        &["--from", "catalyst", "--replace"],
        &dir,
        &[TOKEN, OTHER],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    println!("{}", stderr(&out));
    assert_eq!(token_of(&env, "catalyst-abc123"), format!("{OTHER}\n"));
    assert_eq!(env.list().len(), 1);

    // A name taken by another store's connection is never replaced.
    add_token_connection(
        &fake,
        &env,
        "taken",
        "zzz999",
        "tokenZZZstore0123456789",
        &[],
    );
    let out = import(
        &env,
        &["--from", "catalyst", "--name", "taken", "--replace"],
        &dir,
        &[OTHER],
    );
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    println!("{}", stderr(&out));
    assert!(stderr(&out).contains("--name"), "{}", all_output(&out));
    assert_eq!(token_of(&env, "taken"), "tokenZZZstore0123456789\n");
}

#[test]
fn a_token_the_store_refuses_is_not_saved() {
    // The fake (kept running) knows no such token: 401.
    let OAuthFixture {
        fake: _fake, env, ..
    } = OAuthFixture::bare();
    let dir = project(&env, "stale");
    let file = write(
        &dir,
        ".bigcommerce/project.json",
        &project_json(STORE_HASH, TOKEN),
    );
    let before = state(&file);
    let out = import(&env, &["--from", "catalyst"], &dir, &[TOKEN]);
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    let said = stderr(&out);
    println!("{said}");
    assert!(said.contains("401") && said.contains("not saved"), "{said}");
    assert!(env.list().is_empty());
    assert!(!env.secrets_text().contains(TOKEN));
    assert_eq!(state(&file), before);
}

#[test]
fn hostile_files_are_refused_in_one_line_without_the_token() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    fake.add_token(TOKEN, STORE_HASH, &SCOPES);
    let dir = project(&env, "hostile");
    let file = ".bigcommerce/project.json";
    for (text, said) in [
        (
            format!("{{\n  \"accessToken\": \"{TOKEN}\",\n  \"storeHash\" \"abc123\"\n}}"),
            "is not valid JSON (line 3",
        ),
        (
            format!(r#"{{"accessToken":"{TOKEN}\u001b[2J","storeHash":"abc123"}}"#),
            "control character",
        ),
        (
            format!(
                r#"{{"accessToken":"{}","storeHash":"abc123"}}"#,
                TOKEN.repeat(40)
            ),
            "characters long",
        ),
        (
            r#"{"accessToken":"tok","storeHash":"\u001b]0;owned\u0007"}"#.to_string(),
            "not a store hash",
        ),
    ] {
        write(&dir, file, &text);
        let out = import(&env, &["--from", "catalyst"], &dir, &[TOKEN]);
        assert_eq!(code(&out), Some(2), "{}", all_output(&out));
        let err = stderr(&out);
        println!("{err}");
        assert!(err.contains(said), "{err}");
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
        // One line saying what is wrong (a hint may follow).
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "{err}"
        );
        assert!(
            err.lines()
                .all(|l| l.starts_with("error:") || l.starts_with("hint:")),
            "{err}"
        );
    }
    // TOML errors name the file and line too.
    std::fs::remove_file(dir.join(file)).unwrap();
    write(
        &dir,
        ".catalyst",
        &format!("[auth]\nstoreHash = \"abc123\"\naccessToken = {TOKEN}\n"),
    );
    let out = import(&env, &["--from", "catalyst"], &dir, &[TOKEN]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(
        stderr(&out).contains(".catalyst is not valid TOML (line 3)"),
        "{}",
        all_output(&out)
    );
    assert!(env.list().is_empty());
}

#[test]
fn an_empty_project_says_where_credentials_come_from() {
    let OAuthFixture { env, .. } = OAuthFixture::bare();
    let dir = project(&env, "empty");
    for from in ["catalyst", "stencil"] {
        let out = import(&env, &["--from", from], &dir, &[]);
        assert_eq!(code(&out), Some(2), "{}", all_output(&out));
        let said = stderr(&out);
        assert!(said.contains(&format!("--from {from}")), "{said}");
    }
    // --name and --store-hash belong to --from; FILE is needed without it.
    let out = import(&env, &["--name", "x", "records.json"], &dir, &[]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    let out = import(&env, &[], &dir, &[]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
}

/// The secrets audit for `import --from`: with `-vv` (the verification's
/// request lines), on success, on a 401 and on a refused file, the token
/// is in no output and not in the records.
#[test]
fn verbose_runs_never_show_the_token() {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    fake.add_token(TOKEN, STORE_HASH, &SCOPES);
    let dir = project(&env, "audit");
    write(
        &dir,
        "secrets.stencil.json",
        &format!(r#"{{"accessToken":"{TOKEN}"}}"#),
    );
    write(
        &dir,
        "config.stencil.json",
        r#"{"normalStoreUrl":"https://store-abc123.mybigcommerce.com"}"#,
    );
    let out = import(&env, &["-vv", "--from", "stencil"], &dir, &[TOKEN]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).lines().count() > 5,
        "-vv says more: {}",
        all_output(&out)
    );
    let out = import(
        &env,
        &["-vv", "--from", "stencil", "--replace"],
        &dir,
        &[TOKEN],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    // Unknown to the store: 401.
    write(
        &dir,
        "secrets.stencil.json",
        &format!(r#"{{"accessToken":"{OTHER}"}}"#),
    );
    let out = import(
        &env,
        &["-vv", "--from", "stencil", "--name", "refused"],
        &dir,
        &[TOKEN, OTHER],
    );
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    write(
        &dir,
        "secrets.stencil.json",
        &format!(r#"{{"accessToken":"{OTHER} x"}}"#),
    );
    let out = import(&env, &["-vv", "--from", "stencil"], &dir, &[TOKEN, OTHER]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    let records = String::from_utf8_lossy(&env.record_bytes()).to_string();
    assert!(!records.contains(TOKEN) && !records.contains(OTHER));
    assert!(!env.secrets_text().contains(OTHER));
    assert_eq!(token_of(&env, "stencil-abc123"), format!("{TOKEN}\n"));
}
