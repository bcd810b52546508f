//! Taking a token that BigCommerce's own CLIs already keep in a project,
//! so a person who has one need not copy it by hand: Catalyst's
//! `.bigcommerce/project.json` (JSON, `storeHash`, `accessToken`) or
//! create-catalyst's `.catalyst` (TOML, `[auth]`), and Stencil's
//! `secrets.stencil.json` (`accessToken`) beside `config.stencil.json`
//! (`normalStoreUrl`, and `secretsFileName` naming another secrets file).
//!
//! The files are written by other programs and may be anything: each is
//! read bounded, only if regular and not a link; what they hold is shown
//! escaped, and the token never. They are only read, never changed. The
//! token then takes the path of `create --auth-type token`: verified, then
//! saved through the ledger-safe save ([`super::tokens`]).

use std::path::{Component, Path, PathBuf};

use anyhow::Result;
use secrecy::SecretString;
use serde_json::Value;

use super::intake::stopped;
use super::plan::TokenSource;
use super::tokens;
use crate::bigcommerce::store_hash::StoreHash;
use crate::context::Context;
use crate::error::{Failure, usage};
use crate::fsutil::{Links, read_outside};
use crate::seams::Ask;
use crate::store::{AuthType, Connection};
use crate::text::outside;

/// The most read of any of these files: they hold a few hundred bytes.
const FILE_MAX: u64 = 64 * 1024;

/// Longer than any BigCommerce access token (they are about 30 characters).
const TOKEN_MAX: usize = 512;

/// Which CLI's files to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Catalyst,
    Stencil,
}

impl Source {
    fn word(self) -> &'static str {
        match self {
            Source::Catalyst => "catalyst",
            Source::Stencil => "stencil",
        }
    }

    fn login_hint(self) -> &'static str {
        match self {
            Source::Catalyst => {
                "log in there with `catalyst auth login` (or create-catalyst), or name the project directory: bcconn import --from catalyst PATH"
            }
            Source::Stencil => {
                "run `stencil init` there, or name the theme directory: bcconn import --from stencil DIR"
            }
        }
    }
}

/// What `bcconn import --from` was asked.
pub struct Request {
    pub source: Source,
    /// The project (Catalyst) or theme (Stencil) directory.
    pub dir: PathBuf,
    pub name: Option<String>,
    pub store_hash: Option<String>,
    pub replace: bool,
}

/// What the files hold.
pub struct Found {
    pub token: SecretString,
    /// `None`: the files do not say (a Stencil store on its own domain).
    pub store_hash: Option<StoreHash>,
    /// Why there is no store hash, for the question and the error.
    pub no_hash: Option<String>,
    /// The file the token came from.
    pub file: PathBuf,
    /// What the person should know about the choice of file.
    pub notes: Vec<String>,
}

/// Reads the token and its store from the project, verifies the token
/// like `create --auth-type token`, and saves it as a token connection
/// (or, with `replace`, as the new token of the one saved under that name).
pub fn import(ctx: &Context, req: Request) -> Result<()> {
    let found = read(req.source, &req.dir)?;
    for note in &found.notes {
        ctx.progress.say(note);
    }
    let hash = store_hash(ctx, &req, &found)?;
    let name = req
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{hash}", req.source.word()));
    ctx.progress.step(&format!(
        "Found a token for store {hash} in {}",
        shown(&found.file)
    ));
    let file = ctx.records.load()?;
    let existing = file.connection(&name)?.cloned();
    match existing {
        None => {
            file.check_connection_name_free(&name, None)?;
            drop(file);
            let conn = Connection::pending(&name, AuthType::Token, hash);
            tokens::save_new(ctx, conn, found.token)
        }
        Some(conn) => {
            drop(file);
            let what = format!(
                "{} already exists ({} for store {})",
                super::rules::shown(&conn.name),
                super::rules::auth_kind(conn.auth_type),
                conn.store_hash
            );
            if conn.auth_type != AuthType::Token || conn.store_hash != hash {
                return Err(usage(what)
                    .hint("choose another name with --name NAME")
                    .into());
            }
            if !req.replace {
                return Err(usage(what)
                    .hint("pass --replace to give it this token, or choose another name with --name NAME")
                    .into());
            }
            tokens::replace(ctx, &conn, Some(&TokenSource::Given(found.token)))
        }
    }
}

/// The store hash: the files', `--store-hash` (which must agree with
/// them), an answer on a terminal, else an error naming `--store-hash`.
fn store_hash(ctx: &Context, req: &Request, found: &Found) -> Result<StoreHash> {
    let given = match &req.store_hash {
        Some(s) => Some(StoreHash::parse(s).map_err(|e| usage(outside(&e.to_string(), 400)))?),
        None => None,
    };
    match (&found.store_hash, given) {
        (Some(theirs), Some(given)) if *theirs != given => Err(usage(format!(
            "{} is for store {theirs}, not {given} as --store-hash says",
            shown(&found.file)
        ))
        .hint("leave out --store-hash to use the file's store")
        .into()),
        (Some(theirs), _) => Ok(theirs.clone()),
        (None, Some(given)) => Ok(given),
        (None, None) => {
            let why = found
                .no_hash
                .clone()
                .unwrap_or_else(|| "the files do not say which store".to_string());
            if !ctx.interactive {
                return Err(usage(format!("no store hash: {why}"))
                    .hint("pass --store-hash HASH (the part after /stores/ in the API path of the token's API account)")
                    .into());
            }
            ctx.progress.say(&format!("No store hash: {why}"));
            let check = |s: &str| StoreHash::parse(s).map(|_| ()).map_err(|e| e.to_string());
            let answer = ctx
                .ask(|p| {
                    p.text(&Ask {
                        message: "Store hash:",
                        help: Some(
                            "the part after /stores/ in the API path of the token's API account",
                        ),
                        default: None,
                        initial: None,
                        check: &check,
                    })
                })
                .map_err(stopped)?;
            Ok(StoreHash::parse(&answer).map_err(|e| usage(outside(&e.to_string(), 400)))?)
        }
    }
}

/// Reads what `source`'s files in `dir` hold. Changes nothing.
pub fn read(source: Source, dir: &Path) -> Result<Found> {
    if !dir.is_dir() {
        let what = if dir.exists() {
            "is not a directory"
        } else {
            "does not exist"
        };
        return Err(usage(format!("{} {what}", shown(dir)))
            .hint(source.login_hint())
            .into());
    }
    // The current directory's files are shown by their own names.
    let dir = if dir == Path::new(".") {
        Path::new("")
    } else {
        dir
    };
    match source {
        Source::Catalyst => read_catalyst(dir),
        Source::Stencil => read_stencil(dir),
    }
}

fn read_catalyst(dir: &Path) -> Result<Found> {
    let project = dir.join(".bigcommerce").join("project.json");
    let legacy = dir.join(".catalyst");
    let json = read_file(&project)?;
    let toml = read_file(&legacy)?;
    let mut notes = Vec::new();
    let from_project = match json {
        Some(bytes) => {
            let v = parse_json(&project, &bytes)?;
            let token = string_at(&project, &v, &["accessToken"])?;
            match token {
                Some(t) => Some((project.clone(), t, string_at(&project, &v, &["storeHash"])?)),
                None => {
                    if toml.is_some() {
                        notes.push(format!(
                            "{} holds no accessToken; reading {}",
                            shown(&project),
                            shown(&legacy)
                        ));
                    }
                    None
                }
            }
        }
        None => None,
    };
    let (file, token, hash) = match (from_project, toml) {
        (Some(found), toml) => {
            if toml.is_some() {
                notes.push(
                    "Both .bigcommerce/project.json and .catalyst exist: using .bigcommerce/project.json (the Catalyst CLI's current file)"
                        .to_string(),
                );
            }
            found
        }
        (None, Some(bytes)) => {
            let v = parse_toml(&legacy, &bytes)?;
            let token = string_at(&legacy, &v, &["auth", "accessToken"])?.ok_or_else(|| {
                usage(format!("{} has no [auth] accessToken", shown(&legacy)))
                    .hint(Source::Catalyst.login_hint())
            })?;
            let hash = string_at(&legacy, &v, &["auth", "storeHash"])?;
            (legacy.clone(), token, hash)
        }
        (None, None) => {
            return Err(usage(format!(
                "no Catalyst credentials in {}: neither .bigcommerce/project.json with an accessToken nor .catalyst",
                shown(dir)
            ))
            .hint(Source::Catalyst.login_hint())
            .into());
        }
    };
    let token = plausible(&file, "accessToken", &token)?;
    let (store_hash, no_hash) = match hash {
        Some(h) => (Some(parse_hash(&file, "storeHash", &h)?), None),
        None => (None, Some(format!("{} has no storeHash", shown(&file)))),
    };
    Ok(Found {
        token,
        store_hash,
        no_hash,
        file,
        notes,
    })
}

fn read_stencil(dir: &Path) -> Result<Found> {
    let config_path = dir.join("config.stencil.json");
    let default_secrets = dir.join("secrets.stencil.json");
    // Stencil before config.stencil.json kept everything in `.stencil`,
    // and Stencil still reads it first when it is there.
    let old = dir.join(".stencil");
    if let Some(bytes) = read_file(&old)? {
        let v = parse_json(&old, &bytes)?;
        let mut notes = Vec::new();
        if config_path.exists() || default_secrets.exists() {
            notes.push(format!(
                "Reading {}, which Stencil reads before config.stencil.json and secrets.stencil.json",
                shown(&old)
            ));
        }
        return stencil_found(old.clone(), &v, &old, Some(&v), notes);
    }
    let config = match read_file(&config_path)? {
        Some(bytes) => Some(parse_json(&config_path, &bytes)?),
        None => None,
    };
    let mut notes = Vec::new();
    let secrets_path = match &config {
        Some(c) => match string_at(&config_path, c, &["secretsFileName"])? {
            Some(name) => {
                let path = inside(dir, &config_path, &name)?;
                notes.push(format!(
                    "{} names the secrets file {}",
                    shown(&config_path),
                    shown(&path)
                ));
                path
            }
            None => default_secrets,
        },
        None => default_secrets,
    };
    let Some(bytes) = read_file(&secrets_path)? else {
        return Err(usage(format!(
            "no Stencil secrets in {}: {} does not exist",
            shown(dir),
            shown(&secrets_path)
        ))
        .hint(Source::Stencil.login_hint())
        .into());
    };
    let secrets = parse_json(&secrets_path, &bytes)?;
    stencil_found(secrets_path, &secrets, &config_path, config.as_ref(), notes)
}

/// The token of a Stencil secrets file and the store of its config.
fn stencil_found(
    secrets_path: PathBuf,
    secrets: &Value,
    config_path: &Path,
    config: Option<&Value>,
    notes: Vec<String>,
) -> Result<Found> {
    let token = string_at(&secrets_path, secrets, &["accessToken"])?.ok_or_else(|| {
        usage(format!("{} has no accessToken", shown(&secrets_path)))
            .hint(Source::Stencil.login_hint())
    })?;
    let token = plausible(&secrets_path, "accessToken", &token)?;
    let (store_hash, no_hash) = match config {
        None => (
            None,
            Some(format!(
                "there is no {} to name the store",
                shown(config_path)
            )),
        ),
        Some(c) => stencil_store(config_path, c)?,
    };
    Ok(Found {
        token,
        store_hash,
        no_hash,
        file: secrets_path,
        notes,
    })
}

/// The store hash a Stencil config's store URL holds, if it holds one: the
/// control-panel host `store-<hash>.mybigcommerce.com` does, a store's own
/// domain does not. The second value says why there is none.
fn stencil_store(path: &Path, config: &Value) -> Result<(Option<StoreHash>, Option<String>)> {
    for key in ["normalStoreUrl", "storeUrl"] {
        let Some(url) = string_at(path, config, &[key])? else {
            continue;
        };
        let url = url.trim();
        // A bare word would parse as a hash; a store URL is never one.
        if url.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok((None, Some(format!("{key} in {} is not a URL", shown(path)))));
        }
        return Ok(match StoreHash::parse(url) {
            Ok(h) => (Some(h), None),
            Err(_) => (
                None,
                Some(format!(
                    "{key} in {} ({}) holds no store hash",
                    shown(path),
                    outside(url, 100)
                )),
            ),
        });
    }
    Ok((None, Some(format!("{} has no normalStoreUrl", shown(path)))))
}

/// `name` (a config's `secretsFileName`) as a file of `dir`: relative,
/// without `..`, and with no link on the way, so it cannot lead out.
fn inside(dir: &Path, config: &Path, name: &str) -> Result<PathBuf> {
    let refuse = |why: &str| -> anyhow::Error {
        usage(format!(
            "{} names the secrets file {:?}, which {why}",
            shown(config),
            outside(name, 100)
        ))
        .hint("bcconn reads a secrets file inside the theme directory only: name one there")
        .into()
    };
    let rel = Path::new(name);
    if name.is_empty() || name.chars().any(crate::text::is_unsafe) {
        return Err(refuse("is not a file name"));
    }
    let mut path = dir.to_path_buf();
    for part in rel.components() {
        match part {
            Component::Normal(p) => {
                path.push(p);
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err(refuse("is reached through a symbolic link"));
                }
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(refuse("leads out of the theme directory (..)")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse("is an absolute path"));
            }
        }
    }
    if path == dir {
        return Err(refuse("is not a file name"));
    }
    Ok(path)
}

/// A file of the project: `None` when it does not exist; bounded, regular,
/// never through a link.
fn read_file(path: &Path) -> Result<Option<Vec<u8>>> {
    read_outside(path, FILE_MAX, Links::Refuse).map_err(|e| {
        // Its words name the path: a link, a FIFO, a device, too large.
        let (_, why, _) = crate::error::report(&e).into_parts();
        usage(outside(&why, 400))
            .hint("bcconn reads the CLI's own files: regular files of a few hundred bytes")
            .into()
    })
}

fn parse_json(path: &Path, bytes: &[u8]) -> Result<Value, Failure> {
    // The syntax error's words are serde_json's own and never quote the
    // text, so a token is not echoed.
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        usage(format!(
            "{} is not valid JSON (line {}, column {}): {}",
            shown(path),
            e.line(),
            e.column(),
            outside(&without_position(&e.to_string()), 200)
        ))
    })?;
    if !v.is_object() {
        return Err(usage(format!(
            "{} does not hold a JSON object",
            shown(path)
        )));
    }
    Ok(v)
}

fn parse_toml(path: &Path, bytes: &[u8]) -> Result<Value, Failure> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| usage(format!("{} is not UTF-8 text", shown(path))))?;
    // The error's Display quotes the line it is on (it may be the token):
    // only its message and position are shown.
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        usage(format!(
            "{} is not valid TOML{}: {}",
            shown(path),
            line.map(|l| format!(" (line {l})")).unwrap_or_default(),
            outside(e.message().lines().next().unwrap_or(""), 200)
        ))
    })?;
    serde_json::to_value(table)
        .map_err(|_| usage(format!("{} holds values bcconn cannot read", shown(path))))
}

/// serde_json's message without its " at line L column C" (shown apart).
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// The string at `keys` in `v`; `None` when absent (or null). A value of
/// another type is refused without being shown.
fn string_at(path: &Path, v: &Value, keys: &[&str]) -> Result<Option<String>, Failure> {
    let mut at = v;
    for key in keys {
        match at.get(key) {
            Some(Value::Null) | None => return Ok(None),
            Some(next) => at = next,
        }
    }
    match at {
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(usage(format!(
            "{} in {} is not a string",
            keys.join("."),
            shown(path)
        ))),
    }
}

/// The token, if it could be one: never shown, even when refused.
fn plausible(path: &Path, key: &str, token: &str) -> Result<SecretString, Failure> {
    let t = token.trim();
    let refuse = |why: String| {
        usage(format!("{key} in {} {why}", shown(path)))
            .hint("log in again with the CLI that wrote it, or create the connection with `bcconn create NAME --auth-type token`")
    };
    if t.is_empty() {
        return Err(refuse("is empty".to_string()));
    }
    if t.chars().count() > TOKEN_MAX {
        return Err(refuse(format!(
            "is {} characters long; an access token is far shorter",
            t.chars().count()
        )));
    }
    if !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(refuse(
            "holds a character no access token holds (a space, a control character or a non-ASCII letter)"
                .to_string(),
        ));
    }
    Ok(SecretString::from(t.to_string()))
}

fn parse_hash(path: &Path, key: &str, value: &str) -> Result<StoreHash, Failure> {
    StoreHash::parse(value).map_err(|_| {
        usage(format!(
            "{key} in {} ({}) is not a store hash",
            shown(path),
            outside(value, 60)
        ))
        .hint("pass --store-hash HASH, or log in again with the CLI that wrote it")
    })
}

/// A path from outside, safe to show.
fn shown(path: &Path) -> String {
    outside(&path.display().to_string(), 300)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn err(r: Result<Found>) -> String {
        match r {
            Ok(_) => panic!("it was read"),
            Err(e) => {
                let report = crate::error::report(&e);
                assert_eq!(report.status, crate::error::ExitStatus::Usage, "{e:#}");
                format!("{e:#}")
            }
        }
    }

    #[test]
    fn catalyst_project_json_wins_over_dot_catalyst() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".bigcommerce/project.json",
            r#"{"projectUuid":"x","storeHash":"abc123","accessToken":"tokPROJECT1"}"#,
        );
        write(
            dir.path(),
            ".catalyst",
            "# DO NOT commit\n[auth]\nstoreHash = \"zzz999\"\naccessToken = \"tokTOML1\"\n",
        );
        let f = read(Source::Catalyst, dir.path()).unwrap();
        assert_eq!(f.token.expose_secret(), "tokPROJECT1");
        assert_eq!(f.store_hash.unwrap().as_str(), "abc123");
        assert!(f.notes[0].contains("Both"), "{:?}", f.notes);
        std::fs::remove_file(dir.path().join(".bigcommerce/project.json")).unwrap();
        let f = read(Source::Catalyst, dir.path()).unwrap();
        assert_eq!(f.token.expose_secret(), "tokTOML1");
        assert_eq!(f.store_hash.unwrap().as_str(), "zzz999");
    }

    #[test]
    fn syntax_errors_name_the_file_and_line_and_never_the_token() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".catalyst",
            "[auth]\nstoreHash = \"abc123\"\naccessToken = tokSECRET9\n",
        );
        let e = err(read(Source::Catalyst, dir.path()));
        assert!(e.contains(".catalyst is not valid TOML (line 3)"), "{e}");
        assert!(!e.contains("tokSECRET9"), "{e}");
        write(
            dir.path(),
            ".bigcommerce/project.json",
            "{\n\"accessToken\": \"tokSECRET9\",\n\"storeHash\" \"abc\"}",
        );
        let e = err(read(Source::Catalyst, dir.path()));
        assert!(e.contains("project.json is not valid JSON (line 3"), "{e}");
        assert!(!e.contains("tokSECRET9"), "{e}");
        // A number where the token goes is refused, not quoted.
        write(
            dir.path(),
            ".bigcommerce/project.json",
            r#"{"accessToken": 98765432123, "storeHash": "abc123"}"#,
        );
        let e = err(read(Source::Catalyst, dir.path()));
        assert!(
            e.contains("accessToken in") && e.contains("not a string"),
            "{e}"
        );
        assert!(!e.contains("98765432123"), "{e}");
    }

    #[test]
    fn implausible_tokens_are_refused_without_being_shown() {
        let dir = tempfile::tempdir().unwrap();
        for (token, said) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("tok\\u001bSECRET", "a control character"),
            ("tok SECRET", "a space"),
            (&"tokSECRET".repeat(100), "characters long"),
        ] {
            write(
                dir.path(),
                "secrets.stencil.json",
                &format!(r#"{{"accessToken": "{token}"}}"#),
            );
            let e = err(read(Source::Stencil, dir.path()));
            assert!(e.contains(said), "{token:?}: {e}");
            assert!(!e.contains("SECRET"), "{e}");
        }
    }

    #[test]
    fn a_store_hash_the_files_do_not_hold_is_asked_on_a_terminal() {
        use crate::connect::testing;
        use crate::seams::script::Reply;

        let dir = tempfile::tempdir().unwrap();
        let found = || Found {
            token: SecretString::from("tok1".to_string()),
            store_hash: None,
            no_hash: Some("normalStoreUrl holds no store hash".into()),
            file: PathBuf::from("secrets.stencil.json"),
            notes: Vec::new(),
        };
        let req = |given: Option<&str>| Request {
            source: Source::Stencil,
            dir: dir.path().to_path_buf(),
            name: None,
            store_hash: given.map(str::to_string),
            replace: false,
        };
        // A wrong answer is refused by the question's check, then retyped.
        let t = testing::ctx(
            dir.path(),
            &[Reply::Type("shop.example.com"), Reply::Type("abc123")],
        );
        let hash = store_hash(&t.ctx, &req(None), &found()).unwrap();
        assert_eq!(hash.as_str(), "abc123");
        assert!(t.progress.text().contains("No store hash: normalStoreUrl"));
        // --store-hash is taken without a question; one the file
        // contradicts is refused.
        let t = testing::ctx(dir.path(), &[]);
        let hash = store_hash(&t.ctx, &req(Some("zzz999")), &found()).unwrap();
        assert_eq!(hash.as_str(), "zzz999");
        let theirs = Found {
            store_hash: Some("abc123".parse().unwrap()),
            ..found()
        };
        let e = store_hash(&t.ctx, &req(Some("zzz999")), &theirs).unwrap_err();
        assert!(e.to_string().contains("not zzz999"), "{e}");
        // Ctrl-C: cancelled, nothing saved.
        let t = testing::ctx(dir.path(), &[Reply::Cancel]);
        let e = store_hash(&t.ctx, &req(None), &found()).unwrap_err();
        assert_eq!(
            crate::error::report(&e).status,
            crate::error::ExitStatus::Interrupted,
            "{e:#}"
        );
    }

    #[test]
    fn stencil_store_hash_comes_from_the_control_panel_url_only() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "secrets.stencil.json",
            r#"{"accessToken":"tok1"}"#,
        );
        for (url, hash) in [
            ("https://store-abc123.mybigcommerce.com", Some("abc123")),
            ("https://store-abc123-1.mybigcommerce.com/", Some("abc123")),
            (
                "https://api.bigcommerce.com/stores/abc123/v3",
                Some("abc123"),
            ),
            ("https://shop.example.com", None),
            ("https://my-shop.mybigcommerce.com", None),
            ("localhost", None),
        ] {
            write(
                dir.path(),
                "config.stencil.json",
                &format!(r#"{{"normalStoreUrl":"{url}","customLayouts":{{}}}}"#),
            );
            let f = read(Source::Stencil, dir.path()).unwrap();
            assert_eq!(f.store_hash.as_ref().map(|h| h.as_str()), hash, "{url}");
            assert_eq!(f.no_hash.is_some(), hash.is_none(), "{url}");
        }
    }

    #[test]
    fn an_old_dot_stencil_file_is_read_first_as_stencil_does() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".stencil",
            r#"{"normalStoreUrl":"https://store-abc123.mybigcommerce.com","accessToken":"tokOLD1"}"#,
        );
        let f = read(Source::Stencil, dir.path()).unwrap();
        assert_eq!(f.token.expose_secret(), "tokOLD1");
        assert_eq!(f.store_hash.unwrap().as_str(), "abc123");
        assert!(f.file.ends_with(".stencil"));
        // It comes first, as Stencil reads it first; and it is never
        // changed (Stencil would migrate it and delete it).
        write(
            dir.path(),
            "secrets.stencil.json",
            r#"{"accessToken":"tokNEW1"}"#,
        );
        let f = read(Source::Stencil, dir.path()).unwrap();
        assert_eq!(f.token.expose_secret(), "tokOLD1");
        assert!(f.notes[0].contains("Stencil reads before"), "{:?}", f.notes);
        assert!(dir.path().join(".stencil").is_file());
        std::fs::remove_file(dir.path().join(".stencil")).unwrap();
        let f = read(Source::Stencil, dir.path()).unwrap();
        assert_eq!(f.token.expose_secret(), "tokNEW1");
        assert!(f.store_hash.is_none());
        let e = err(read(Source::Stencil, &dir.path().join("nowhere")));
        assert!(e.contains("does not exist"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_secrets_file_name_cannot_lead_out() {
        let dir = tempfile::tempdir().unwrap();
        let theme = dir.path().join("theme");
        write(dir.path(), "outside.json", r#"{"accessToken":"tokOUT"}"#);
        write(&theme, "other.json", r#"{"accessToken":"tokOTHER"}"#);
        std::os::unix::fs::symlink(dir.path(), theme.join("up")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.json"), theme.join("link.json"))
            .unwrap();
        let config = |name: &str| {
            write(
                &theme,
                "config.stencil.json",
                &format!(
                    r#"{{"normalStoreUrl":"https://store-abc123.mybigcommerce.com","secretsFileName":{}}}"#,
                    serde_json::to_string(name).unwrap()
                ),
            )
        };
        config("other.json");
        let f = read(Source::Stencil, &theme).unwrap();
        assert_eq!(f.token.expose_secret(), "tokOTHER");
        for (name, said) in [
            ("../outside.json", "(..)"),
            (
                dir.path().join("outside.json").to_str().unwrap(),
                "absolute",
            ),
            ("up/outside.json", "symbolic link"),
            ("link.json", "symbolic link"),
            ("nope.json", "does not exist"),
            ("a\u{1b}b", "not a file name"),
        ] {
            config(name);
            let e = err(read(Source::Stencil, &theme));
            assert!(e.contains(said), "{name}: {e}");
            assert!(!e.contains("tokOUT"), "{e}");
            assert!(!e.contains('\u{1b}'), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_bounded_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let c = std::ffi::CString::new(dir.path().join("secrets.stencil.json").to_str().unwrap())
            .unwrap();
        // SAFETY: a plain libc call with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = err(read(Source::Stencil, dir.path()));
        assert!(e.contains("not a regular file"), "{e}");
        std::fs::remove_file(dir.path().join("secrets.stencil.json")).unwrap();
        write(
            dir.path(),
            "secrets.stencil.json",
            &format!(r#"{{"accessToken":"tok1","x":"{}"}}"#, "x".repeat(70_000)),
        );
        let e = err(read(Source::Stencil, dir.path()));
        assert!(e.contains("more than bcconn reads"), "{e}");
        // A file found in the project is never read through a link.
        write(
            dir.path(),
            "elsewhere.json",
            r#"{"accessToken":"tokLINKED"}"#,
        );
        std::fs::remove_file(dir.path().join("secrets.stencil.json")).unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("elsewhere.json"),
            dir.path().join("secrets.stencil.json"),
        )
        .unwrap();
        let e = err(read(Source::Stencil, dir.path()));
        assert!(e.contains("symbolic link"), "{e}");
        assert!(!e.contains("tokLINKED"), "{e}");
    }
}
