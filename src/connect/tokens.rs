//! Tokens: the one lookup of a connection's token (record, secret store,
//! token), and token-type connections (a store-level API account's access
//! token, taken from stdin, the environment, a hidden prompt or the
//! credentials `.txt` BigCommerce downloads; verified, then stored).

use std::path::Path;

use anyhow::Result;
use secrecy::SecretString;

use super::using;

use super::commit::{Changes, Grant, Target, save_token};
use super::intake::{SecretSource, read_secret};
use super::plan::TokenSource;
use super::runtime;
use crate::bigcommerce::api::{Check, StoreInfo};
use crate::bigcommerce::store_hash::StoreHash;
use crate::context::Context;
use crate::error::{Failure, failure, usage};
use crate::fsutil::{Links, read_outside};
use crate::store::{self, Connection, State, Tx};
use crate::text::shell_word;

/// Why a connection's token cannot be had.
#[derive(Debug)]
pub enum NoToken {
    /// Never authorized (no secret store recorded).
    NotAuthorized,
    /// It had a token, which BigCommerce no longer accepts (`invalid`) or
    /// which a sibling's newer token ended (`superseded`).
    Dead(State),
    /// The record names a store, but the token is not in it.
    Missing(crate::secrets::StoreKind),
    /// The secret store failed.
    Unreadable(anyhow::Error),
}

/// The token of a connection: the one lookup (record -> secret store -> token).
/// Only an `authorized` connection has a token to use.
pub fn token_for(ctx: &Context, c: &Connection) -> Result<SecretString, NoToken> {
    match c.state {
        State::Authorized => {}
        State::Invalid | State::Superseded => return Err(NoToken::Dead(c.state)),
        State::Pending | State::Failed => return Err(NoToken::NotAuthorized),
    }
    let kind = c.token_store.ok_or(NoToken::NotAuthorized)?;
    match ctx.secrets(kind).and_then(|s| s.get(&c.token_account())) {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err(NoToken::Missing(kind)),
        Err(e) => Err(NoToken::Unreadable(e)),
    }
}

impl NoToken {
    /// The error a command that needs the token reports.
    pub fn into_error(self, c: &Connection, file: &Tx) -> anyhow::Error {
        let again = format!(
            "authorize it again with `bcconn authorize {}`",
            shell_word(&c.name)
        );
        match self {
            NoToken::Dead(State::Superseded) => {
                let by = c
                    .superseded_by
                    .as_deref()
                    .and_then(|id| file.connection_by_id(id).ok().flatten())
                    .map(|s| format!(" by {:?}", s.name))
                    .unwrap_or_default();
                failure(format!(
                    "the token of {:?} was superseded{by}: BigCommerce ended it when a newer token was issued for the same app and store",
                    c.name
                ))
                .hint(format!("{again} (that ends the other connection's token in turn)"))
                .into()
            }
            NoToken::Dead(_) => failure(format!(
                "BigCommerce no longer accepts the token of {:?}{}",
                c.name,
                c.last_error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ))
            .hint(again)
            .into(),
            NoToken::NotAuthorized => failure(format!(
                "connection {:?} has no token yet ({})",
                c.name,
                c.state.as_str()
            ))
            .hint(format!(
                "authorize it with `bcconn authorize {}`",
                shell_word(&c.name)
            ))
            .into(),
            NoToken::Missing(kind) => failure(format!(
                "the token of {:?} is missing from {}",
                c.name,
                kind.describe()
            ))
            .hint(format!(
                "authorize it again with `bcconn authorize {}`",
                shell_word(&c.name)
            ))
            .into(),
            NoToken::Unreadable(e) => e,
        }
    }
}

/// What BigCommerce's API credentials `.txt` holds.
pub struct ApiCredentials {
    pub token: SecretString,
    pub store_hash: Option<StoreHash>,
}

/// The most read of an API credentials `.txt`: BigCommerce's is a few
/// hundred bytes; anything this long is the wrong file, and an unbounded
/// read of one (`/dev/zero`) would exhaust memory.
const CREDENTIALS_MAX: u64 = 64 * 1024;

/// Reads the `.txt` BigCommerce downloads when a store-level API account is
/// created (see [`parse_credentials`]). Its content never appears in an error.
/// Only a regular file is read, bounded: a FIFO would hang the prompt.
pub fn read_credentials_file(path: &Path) -> Result<ApiCredentials> {
    let unreadable = |why: String| {
        usage(why).hint("pass the .txt BigCommerce downloaded when you created the API account")
    };
    let bytes = match read_outside(path, CREDENTIALS_MAX, Links::Follow) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(unreadable(format!("cannot read {}: no such file", path.display())).into());
        }
        Err(e) => {
            // Its words name the path: a FIFO, a device, too large.
            let (_, why, _) = crate::error::report(&e).into_parts();
            return Err(unreadable(why).into());
        }
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| unreadable(format!("{} is not UTF-8 text", path.display())))?;
    parse_credentials(&text).ok_or_else(|| {
        usage(format!("{} has no ACCESS TOKEN line", path.display()))
            .hint("pass the API credentials .txt BigCommerce downloaded when you created the store-level API account")
            .into()
    })
}

/// The API credentials `.txt`'s text: `KEY: value` lines (ACCESS TOKEN,
/// CLIENT ID, CLIENT SECRET, NAME, API PATH). `None` without an ACCESS TOKEN.
/// Lines end at `\n`, `\r\n` or a lone `\r` (fuzzing found a file with
/// CR-only line endings read as one line: the token ran on into the next).
pub fn parse_credentials(text: &str) -> Option<ApiCredentials> {
    let mut token = None;
    let mut api_path = None;
    for line in text.split(['\n', '\r']) {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_uppercase().replace('_', " ");
        let value = value.trim();
        match key.as_str() {
            "ACCESS TOKEN" if !value.is_empty() => token = Some(value.to_string()),
            "API PATH" => api_path = Some(value.to_string()),
            _ => {}
        }
    }
    Some(ApiCredentials {
        token: SecretString::from(token?),
        store_hash: api_path.and_then(|p| StoreHash::parse(&p).ok()),
    })
}

/// The token of a token-type connection, from wherever the plan says.
pub fn read_token(ctx: &Context, source: Option<&TokenSource>) -> Result<SecretString> {
    match source {
        Some(TokenSource::Given(t)) => Ok(t.clone()),
        Some(TokenSource::File(p)) => Ok(read_credentials_file(p)?.token),
        Some(TokenSource::Env) => ctx
            .env
            .access_token
            .clone()
            .ok_or_else(|| usage("BCCONN_ACCESS_TOKEN is not set").into()),
        Some(TokenSource::Stdin) | None => read_secret(
            ctx,
            SecretSource {
                what: "access token",
                stdin: matches!(source, Some(TokenSource::Stdin)),
                stdin_flag: "--access-token-stdin",
                env_value: ctx.env.access_token.as_ref(),
                env_name: "BCCONN_ACCESS_TOKEN",
            },
        ),
    }
}

/// Whose token a check was about: the words for what it found depend on it.
pub enum Checked<'a> {
    /// A token about to be saved, named `what`, for `store`.
    New { what: &'a str, store: &'a StoreHash },
    /// The saved token of connection `name`.
    Saved { name: &'a str },
}

/// What a failed check says: the word `bcconn status` shows, the message,
/// and what to do.
pub struct Said {
    pub status: &'static str,
    pub message: String,
    pub hint: Option<&'static str>,
}

/// The one mapping from a token check to words: the store's information
/// when the token works, else what it found.
pub fn said(check: Check, checked: Checked) -> Result<Option<StoreInfo>, Said> {
    let said = |status, message, hint| Said {
        status,
        message,
        hint,
    };
    Err(match (check, checked) {
        (Check::Ok { store }, _) => return Ok(store),
        (Check::Invalid(why), Checked::New { what, store }) => said(
            "invalid",
            format!(
                "the store API refused {what} for store {store} (401: {why}); it was not saved"
            ),
            None,
        ),
        (Check::Invalid(why), Checked::Saved { name }) => said(
            "invalid",
            format!(
                "401 {why}: re-authorize with `bcconn authorize {}`",
                shell_word(name)
            ),
            None,
        ),
        (Check::Forbidden(why), Checked::New { what, store }) => said(
            "forbidden",
            format!("{what} cannot reach store {store} (403: {why}); it was not saved"),
            Some("check that the token belongs to that store"),
        ),
        (Check::Forbidden(why), Checked::Saved { .. }) => {
            said("forbidden", format!("403 {why}"), None)
        }
        (Check::Rejected(why), Checked::New { what, store }) => said(
            "rejected",
            format!(
                "the store API did not take {what} for store {store} ({why}); it was not saved"
            ),
            Some(
                "check the store hash (the part after /stores/ in the API path of the token's API account)",
            ),
        ),
        // A definite answer (404: no such store) that is not a 401: the
        // token is left as it is, and the row says what came back.
        (Check::Rejected(why), Checked::Saved { .. }) => said("rejected", why, None),
        (Check::Unreachable(why), Checked::New { what, .. }) => said(
            "unreachable",
            format!("could not verify {what}: {why}; it was not saved"),
            Some("check your network, or BCCONN_API_URL if you set it"),
        ),
        (Check::Unreachable(why), Checked::Saved { .. }) => {
            said("unreachable", crate::text::outside(&why, 300), None)
        }
    })
}

/// Turns a failed check of a new token into an error; `what` names the token.
pub fn check_failure(
    check: Check,
    store: &StoreHash,
    what: &str,
) -> Result<Option<StoreInfo>, Failure> {
    said(check, Checked::New { what, store }).map_err(|said| {
        let f = failure(said.message);
        match said.hint {
            Some(hint) => f.hint(hint),
            None => f,
        }
    })
}

/// What checking a token BigCommerce just gave found.
pub enum Verified {
    /// It works: the store's information, when the token may read it.
    Yes(Option<StoreInfo>),
    /// Not known yet (429s past the retries, a 5xx, the network): why.
    NotYet(String),
    /// The store refused it (401, 403, any other 4xx, a 200 that is not
    /// store information) or it is another store's: the check as it came.
    Refused(Check),
}

/// Checks a new token against its store as `bcconn api` sends requests:
/// within the store's rate limit, 429s waited out (up to `--max-wait`'s
/// default) and retried, what it waits for said through `ctx.progress`.
/// Only a definite refusal is [`Verified::Refused`]; a token must never be
/// thrown away for a busy store.
pub async fn verify_new(ctx: &Context, hash: &StoreHash, token: &SecretString) -> Verified {
    let (tx, notes) = using::notes();
    let client = using::pools(ctx).and_then(|pools| {
        crate::bigcommerce::client::Client::new(
            using::http(),
            &ctx.env.api_url,
            hash.clone(),
            token.clone(),
            pools,
            // Its own pool of one: the connection may not be saved yet.
            crate::pool::PoolId {
                store: hash.as_str().to_string(),
                owner: "new-token".into(),
                owner_name: "(new token)".into(),
                level: 1,
            },
            Some(tx),
            ctx.clock.clone(),
        )
    });
    let client = match client {
        Ok(c) => c,
        Err(e) => return Verified::NotYet(crate::error::message(&e)),
    };
    let check = using::saying(ctx, notes, client.check()).await;
    match check {
        Check::Ok { store: Some(info) }
            if info.id.as_deref().is_some_and(|id| id != hash.as_str()) =>
        {
            Verified::Refused(Check::Ok {
                store: Some(info.safe()),
            })
        }
        Check::Ok { store } => Verified::Yes(store.map(StoreInfo::safe)),
        Check::Unreachable(why) => Verified::NotYet(crate::text::outside(&why, 300)),
        refused => Verified::Refused(refused),
    }
}

/// Says that a saved token is not verified yet, and how it will be.
pub fn say_not_verified(ctx: &Context, what: &str, why: &str) {
    ctx.progress.warn(&format!(
        "could not verify {what} yet ({why}); it is saved and authorized, not verified yet: `bcconn status` checks it"
    ));
}

/// Checks a token against its store; says so when it works. `Ok(None)`:
/// not verified yet (a transient failure), said.
fn verify(
    ctx: &Context,
    hash: &StoreHash,
    token: &SecretString,
) -> Result<Option<Option<StoreInfo>>> {
    crate::env::check_base_url("BCCONN_API_URL", &ctx.env.api_url)?;
    let store = match runtime()?.block_on(verify_new(ctx, hash, token)) {
        Verified::Yes(store) => store,
        Verified::NotYet(why) => {
            say_not_verified(ctx, "this token", &why);
            return Ok(None);
        }
        Verified::Refused(Check::Ok { store }) => {
            return Err(failure(format!(
                "the store API says this token belongs to store {:?}, not {hash}; it was not saved",
                store.and_then(|s| s.id).unwrap_or_default()
            ))
            .hint("give the store hash of the token's store")
            .into());
        }
        Verified::Refused(check) => {
            check_failure(check, hash, "this token").map_err(|f| {
                f.hint("copy the ACCESS TOKEN of a store-level API account of that store (Settings › API › Store-level API accounts)")
            })?
        }
    };
    ctx.progress.step(&format!(
        "Token verified: store {}",
        store
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .unwrap_or(hash.as_str())
    ));
    Ok(Some(store))
}

/// Records what a 401 taught: the connection's token is dead. Only when the
/// token that got the 401 is still the one on record (its generation as the
/// caller saw it): a re-authorization meanwhile has a new, good token.
/// Returns whether it was recorded.
pub fn mark_invalid(ctx: &Context, seen: &Connection, why: &str) -> Result<bool> {
    ctx.records.update(|file| mark_invalid_in(file, seen, why))
}

/// After a 401 for `c`'s token: the records as they are now and the
/// connection in them, when another run (or machine) has given it a new
/// token since (its generation moved): the request is worth sending once
/// more with that one. `None`: the refused token is still the one on record.
pub fn reauthorized(ctx: &Context, c: &Connection) -> Result<Option<(Tx, Connection)>> {
    let now = ctx.records.load()?;
    let moved = now
        .connection_by_id(&c.id)?
        .filter(|n| n.token_generation != c.token_generation)
        .cloned();
    Ok(moved.map(|newer| (now, newer)))
}

/// [`mark_invalid`] for a 401 whose answer's title is `title` (none or
/// blank: "Unauthorized"): whether it was recorded; failing to record is a
/// warning, never the error the caller reports. Returns the reason too.
pub fn record_401(ctx: &Context, c: &Connection, title: Option<String>) -> (bool, String) {
    let why = title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "Unauthorized".into());
    let marked = match mark_invalid(ctx, c, &why) {
        Ok(marked) => marked,
        Err(e) => {
            ctx.progress.warn(&format!(
                "could not record that {:?} is invalid: {}",
                c.name,
                crate::error::message(&e)
            ));
            false
        }
    };
    (marked, why)
}

/// [`mark_invalid`] within a transaction that may hold more changes.
pub fn mark_invalid_in(file: &mut Tx, seen: &Connection, why: &str) -> Result<bool> {
    let why = crate::text::outside(why, 200);
    let Some(c) = file
        .connection_by_id_mut(&seen.id)?
        .filter(|c| c.token_generation == seen.token_generation)
    else {
        return Ok(false);
    };
    if c.state != State::Authorized {
        return Ok(false);
    }
    let now = store::now();
    c.state = State::Invalid;
    c.last_error = Some(format!("the store API answered 401: {why}"));
    c.last_error_at = Some(now.clone());
    c.updated_at = now;
    Ok(true)
}

/// Verifies a new token connection's token, then stores token and record.
pub fn save_new(ctx: &Context, conn: Connection, token: SecretString) -> Result<()> {
    ctx.default_secrets()?;
    let store = verify(ctx, &conn.store_hash, &token)?;
    let saved = save_token(ctx, Target::New(conn), token_grant(token, store))?;
    ctx.progress.step(&format!(
        "Saved: {:?} is authorized; its token is in {}",
        saved.name,
        saved.token_store.expect("just saved").describe()
    ));
    ctx.progress.say(&format!(
        "Use it from scripts: bcconn token {}",
        shell_word(&saved.name)
    ));
    Ok(())
}

/// Replaces a saved token connection's token with a new, verified one.
pub fn replace(ctx: &Context, conn: &Connection, source: Option<&TokenSource>) -> Result<()> {
    try_replace(ctx, conn, source).map_err(|e| super::authorize::old_token_kept(e, conn))
}

fn try_replace(ctx: &Context, conn: &Connection, source: Option<&TokenSource>) -> Result<()> {
    ctx.default_secrets()?;
    let token = read_token(ctx, source)?;
    let store = verify(ctx, &conn.store_hash, &token)?;
    // Another token is another API account: the old one's webhooks stay
    // with it (a hook is visible only to the token that created it).
    let left = super::hooks::left_with_old_token(ctx, conn, &token);
    let target = Target::Saved {
        conn: conn.clone(),
        changes: Changes::default(),
        client_id: None,
    };
    let saved = save_token(ctx, target, token_grant(token, store))?;
    ctx.progress.step(&format!(
        "Saved: {:?} has its new token in {}",
        saved.name,
        saved.token_store.expect("just saved").describe()
    ));
    if let Some(hooks) = left {
        super::hooks::say_left_behind(ctx, &saved.name, &hooks);
    }
    Ok(())
}

/// What an API-account token brings: the store's name when verified
/// (`Some`), nothing else.
fn token_grant(token: SecretString, store: Option<Option<StoreInfo>>) -> Grant {
    Grant {
        token,
        granted: None,
        user: None,
        owner: None,
        account_uuid: None,
        verified: store.is_some(),
        store: store.flatten(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[cfg(unix)]
    #[test]
    fn only_a_bounded_regular_credentials_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a plain libc call with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let big = dir.path().join("big.txt");
        let mut text = "ACCESS TOKEN: tok123\n".to_string();
        text.push_str(&"x".repeat(CREDENTIALS_MAX as usize));
        std::fs::write(&big, text).unwrap();
        // A FIFO with no writer would block an unbounded read for ever,
        // /dev/zero would fill memory.
        for (path, said) in [
            (fifo.as_path(), "not a regular file"),
            (Path::new("/dev/zero"), "not a regular file"),
            (big.as_path(), "more than bcconn reads"),
        ] {
            let Err(e) = read_credentials_file(path) else {
                panic!("{} was read", path.display())
            };
            let report = crate::error::report(&e);
            assert_eq!(report.status, crate::error::ExitStatus::Usage, "{e:#}");
            assert!(format!("{e:#}").contains(said), "{e:#}");
            assert!(!format!("{e:#}").contains("tok123"), "{e:#}");
        }
    }

    #[test]
    fn credentials_are_read_whatever_the_line_endings() {
        for text in [
            "ACCESS TOKEN: tok123\nAPI PATH: https://api.bigcommerce.com/stores/abc123/v3/\n",
            "ACCESS TOKEN: tok123\r\nAPI PATH: https://api.bigcommerce.com/stores/abc123/v3/\r\n",
            // Found by fuzzing: CR-only line endings.
            "ACCESS TOKEN: tok123\rAPI PATH: https://api.bigcommerce.com/stores/abc123/v3/\r",
        ] {
            let c = parse_credentials(text).unwrap();
            assert_eq!(c.token.expose_secret(), "tok123", "{text:?}");
            assert_eq!(c.store_hash.unwrap().as_str(), "abc123", "{text:?}");
        }
        assert!(parse_credentials("CLIENT ID: x\nACCESS TOKEN:   \n").is_none());
    }
}
