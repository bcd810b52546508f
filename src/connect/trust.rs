//! Which `.bcconn` files the user trusts, in the manner of `direnv allow`.
//!
//! A `.bcconn` that `bcconn use NAME` wrote, or that the user confirmed
//! (`bcconn use --trust`, or yes on a terminal), is trusted for its
//! canonical path and its exact text: a `git pull` that turns `staging`
//! into `prod` makes it untrusted again. Reads go either way (and say which
//! `.bcconn` chose); a request that is not GET or HEAD, and whatever hands
//! the token on (`exec`, `env`, `token`), ask first, or exit 2 without a
//! terminal.
//!
//! The list is personal: its own small 0600 file under `BCCONN_HOME`,
//! never in the records (a team may share those).

use std::path::{Path, PathBuf};

use anyhow::Result;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::default::{Dotfile, MAX_DOTFILE, Source};
use super::rules::shown;
use crate::context::Context;
use crate::error::{cancelled, usage};
use crate::fsutil::{self, Links};
use crate::seams::Stop;
use crate::text::shell_word;

/// The trust list, under `BCCONN_HOME`.
pub const FILE: &str = "trusted-dotfiles.json";
pub const LOCK: &str = "trusted-dotfiles.lock";
/// Entries kept; the oldest go first. Each holds at most [`MAX_DOTFILE`]
/// bytes of text, so the file stays well under [`MAX_LIST`].
const MAX_ENTRIES: usize = 200;
const MAX_LIST: u64 = 4 * 1024 * 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
struct List {
    #[serde(default)]
    trusted: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// The canonical path of the `.bcconn`.
    path: String,
    /// Its exact text when it was trusted.
    text: String,
    /// When (RFC 3339), for a person reading the file.
    #[serde(default)]
    at: String,
}

fn list_path(ctx: &Context) -> Result<PathBuf> {
    if !ctx.env.home.is_absolute() {
        return Err(fsutil::FsError::NoHome.into());
    }
    Ok(ctx.env.home.join(FILE))
}

/// The key a `.bcconn` is trusted under: its directory's canonical path
/// (links resolved) and its name. `None` when that is not UTF-8 text.
fn key(path: &Path) -> Option<String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
    let canonical = std::fs::canonicalize(dir).ok()?;
    canonical
        .join(path.file_name()?)
        .to_str()
        .map(str::to_string)
}

fn load(ctx: &Context) -> Result<List> {
    let Some(bytes) = fsutil::read_outside(&list_path(ctx)?, MAX_LIST, Links::Follow)? else {
        return Ok(List::default());
    };
    Ok(serde_json::from_slice(&bytes)?)
}

/// Whether the `.bcconn` at `path` is trusted with exactly `text`. A trust
/// list that cannot be read trusts nothing (and says so).
pub fn is_trusted(ctx: &Context, path: &Path, text: &str) -> bool {
    let Some(key) = key(path) else { return false };
    match load(ctx) {
        Ok(list) => list.trusted.iter().any(|e| e.path == key && e.text == text),
        Err(e) => {
            ctx.progress.warn(&format!(
                "cannot read the trust list ({}); every .bcconn counts as untrusted",
                crate::text::outside(&crate::error::message(&e), 300)
            ));
            false
        }
    }
}

/// Changes the list under its lock, and writes it back atomically (0600).
fn change(ctx: &Context, edit: impl FnOnce(&mut Vec<Entry>)) -> Result<()> {
    let path = list_path(ctx)?;
    fsutil::ensure_private_dir(&ctx.env.home)?;
    let say = |text: &str| ctx.progress.say(text);
    let _lock = fsutil::lock(
        &ctx.env.home.join(LOCK),
        &fsutil::Waiting {
            clock: ctx.clock.as_ref(),
            limit: ctx.lock_wait(),
            say: &say,
        },
    )?;
    // A damaged list is started afresh: trust is asked for again, never
    // assumed.
    let mut list = load(ctx).unwrap_or_default();
    edit(&mut list.trusted);
    let overflow = list.trusted.len().saturating_sub(MAX_ENTRIES);
    list.trusted.drain(..overflow);
    let mut bytes = serde_json::to_vec_pretty(&list)?;
    bytes.push(b'\n');
    fsutil::write_atomic(&path, &bytes)
}

/// Trusts the `.bcconn` at `path` with exactly `text`.
pub fn trust(ctx: &Context, path: &Path, text: &str) -> Result<()> {
    let Some(key) = key(path) else {
        return Err(usage(format!(
            "cannot trust {}: its path is not UTF-8 text",
            super::default::shown_path(path)
        ))
        .hint("name the connection instead (-c NAME)")
        .into());
    };
    if text.len() as u64 > MAX_DOTFILE {
        return Err(usage("a .bcconn that large is not trusted").into());
    }
    let at = humantime::format_rfc3339_seconds(ctx.clock.now()).to_string();
    change(ctx, |list| {
        list.retain(|e| e.path != key);
        list.push(Entry {
            path: key,
            text: text.to_string(),
            at,
        });
    })
}

/// Forgets the `.bcconn` at `path` (`bcconn use --unset`).
pub fn forget(ctx: &Context, path: &Path) -> Result<()> {
    let Some(key) = key(path) else { return Ok(()) };
    if !list_path(ctx)?.exists() {
        return Ok(());
    }
    change(ctx, |list| list.retain(|e| e.path != key))
}

/// Before a request: one that may change the store (not GET or HEAD) with
/// a connection an untrusted `.bcconn` chose asks first.
pub fn before_request(ctx: &Context, source: &Source, method: &Method) -> Result<()> {
    if *method == Method::GET || *method == Method::HEAD {
        return Ok(());
    }
    let Source::File(d) = source else {
        return Ok(());
    };
    ask(
        ctx,
        d,
        &format!("send {method}"),
        &format!("-c {}", shell_word(&d.name)),
    )
}

/// Before a GraphQL document that is not only queries (a mutation, or one
/// bcconn cannot read) is sent: as a write, said as what it is.
pub fn before_graphql_write(ctx: &Context, source: &Source) -> Result<()> {
    let Source::File(d) = source else {
        return Ok(());
    };
    ask(
        ctx,
        d,
        "send a GraphQL mutation",
        &format!("-c {}", shell_word(&d.name)),
    )
}

/// Before the connection's token leaves bcconn: `exec` (CMD can do
/// anything), `env` (its lines are `eval`ed) and `token` (printed for a
/// script). Each is as much as any write, so a connection an untrusted
/// `.bcconn` chose asks first. `doing` says what would happen ("run the
/// command"); `named` is the same command with the connection named.
pub fn before_handing_out(ctx: &Context, source: &Source, doing: &str, named: &str) -> Result<()> {
    let Source::File(d) = source else {
        return Ok(());
    };
    ask(ctx, d, doing, named)
}

/// Asks, when `d` is not trusted, whether to go on: yes trusts it as it is.
fn ask(ctx: &Context, d: &Dotfile, doing: &str, named: &str) -> Result<()> {
    if d.trusted {
        return Ok(());
    }
    let file = d.shown_path();
    let name = shown(&d.name);
    let how = format!(
        "check {file}, then trust it with `bcconn use --trust` in its directory; or name the connection: {named}"
    );
    if !ctx.interactive {
        return Err(usage(format!(
            "{file} chose {name}, but it is not trusted (bcconn did not write it, or it changed since): bcconn will not {doing} with it unasked, and there is no terminal to ask"
        ))
        .hint(how)
        .into());
    }
    let mut sentence = doing.to_string();
    sentence[..1].make_ascii_uppercase();
    let question = format!("{file} chose {name} and is not trusted. {sentence} with {name}?");
    let yes = ctx
        .ask(|p| {
            p.confirm(
                &question,
                false,
                Some("yes also trusts this .bcconn as it is now"),
            )
        })
        .map_err(|stop| match stop {
            // Esc or Ctrl-C: a clean exit 130, as any cancelled question.
            Stop::Cancelled | Stop::Back => {
                cancelled(format!("cancelled; bcconn did not {doing}")).into()
            }
            Stop::Failed(e) => e,
        })?;
    if !yes {
        return Err(usage(format!("not confirmed: bcconn did not {doing}"))
            .hint(how)
            .into());
    }
    trust(ctx, &d.path, &d.text)?;
    ctx.progress
        .step(&format!("{file} is trusted (it names {name})"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seams::Recorder;
    use crate::seams::script::{Reply, Script};
    use std::rc::Rc;

    fn ctx(home: &Path, replies: &[Reply], interactive: bool) -> (Context, Rc<Recorder>) {
        let rec = Rc::new(Recorder::default());
        let env = crate::env::Env::from_lookup(|k| {
            (k == "BCCONN_HOME").then(|| home.as_os_str().to_owned())
        });
        let ctx = Context::detached(
            env,
            rec.clone(),
            Box::new(Script::new(replies)),
            interactive,
        );
        (ctx, rec)
    }

    fn dotfile(dir: &Path, text: &str, trusted: bool) -> Dotfile {
        let path = dir.join(".bcconn");
        std::fs::write(&path, text).unwrap();
        Dotfile {
            path,
            text: text.into(),
            name: text.trim().into(),
            trusted,
        }
    }

    #[test]
    fn trust_is_for_this_path_and_this_text() {
        let tmp = tempfile::tempdir().unwrap();
        let (ctx, _) = ctx(&tmp.path().join("home"), &[], false);
        let repo = tmp.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        let path = repo.join(".bcconn");
        assert!(!is_trusted(&ctx, &path, "staging\n"));
        trust(&ctx, &path, "staging\n").unwrap();
        assert!(is_trusted(&ctx, &path, "staging\n"));
        assert!(!is_trusted(&ctx, &path, "prod\n"), "changed: untrusted");
        // Through another spelling of the same directory.
        let other = repo.join("..").join("repo").join(".bcconn");
        assert!(is_trusted(&ctx, &other, "staging\n"));
        // Trusting again replaces the entry; forgetting removes it.
        trust(&ctx, &path, "prod\n").unwrap();
        assert!(is_trusted(&ctx, &path, "prod\n") && !is_trusted(&ctx, &path, "staging\n"));
        forget(&ctx, &path).unwrap();
        assert!(!is_trusted(&ctx, &path, "prod\n"));
    }

    #[test]
    fn the_list_is_bounded_and_a_damaged_one_trusts_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let (ctx, rec) = ctx(&tmp.path().join("home"), &[], false);
        for i in 0..MAX_ENTRIES + 5 {
            let dir = tmp.path().join(format!("r{i}"));
            std::fs::create_dir(&dir).unwrap();
            trust(&ctx, &dir.join(".bcconn"), "x\n").unwrap();
        }
        let list = load(&ctx).unwrap();
        assert_eq!(list.trusted.len(), MAX_ENTRIES);
        assert!(!is_trusted(&ctx, &tmp.path().join("r0/.bcconn"), "x\n"));
        assert!(is_trusted(&ctx, &tmp.path().join("r204/.bcconn"), "x\n"));
        std::fs::write(ctx.env.home.join(FILE), "{not json").unwrap();
        assert!(!is_trusted(&ctx, &tmp.path().join("r204/.bcconn"), "x\n"));
        assert!(rec.text().contains("trust list"), "{}", rec.text());
    }

    #[test]
    fn writes_from_an_untrusted_dotfile_ask_and_yes_trusts_it() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let d = dotfile(tmp.path(), "shop\n", false);
        let source = Source::File(d.clone());
        // Reads never ask; neither do other sources.
        let (c, _) = ctx(&home, &[], false);
        before_request(&c, &source, &Method::GET).unwrap();
        before_request(&c, &source, &Method::HEAD).unwrap();
        before_request(&c, &Source::Env, &Method::DELETE).unwrap();
        before_handing_out(
            &c,
            &Source::Global,
            "run the command",
            "bcconn exec shop -- CMD",
        )
        .unwrap();
        // No terminal: exit 2, saying how.
        let e = before_request(&c, &source, &Method::POST).unwrap_err();
        let (code, message, hint) = crate::error::report(&e).into_parts();
        assert_eq!(code, crate::error::ExitStatus::Usage);
        assert!(message.contains("not trusted"), "{message}");
        let hint = hint.unwrap();
        assert!(
            hint.contains("bcconn use --trust") && hint.contains("-c shop"),
            "{hint}"
        );
        let e = before_handing_out(&c, &source, "run the command", "bcconn exec shop -- CMD")
            .unwrap_err();
        assert!(
            crate::error::report(&e)
                .into_parts()
                .2
                .unwrap()
                .contains("bcconn exec shop -- CMD")
        );
        // No on a terminal: exit 2, nothing trusted.
        let (c, _) = ctx(&home, &[Reply::No], true);
        assert!(before_request(&c, &source, &Method::DELETE).is_err());
        assert!(!is_trusted(&c, &d.path, &d.text));
        // Esc or Ctrl-C: cancelled (130), nothing trusted.
        let (c, _) = ctx(&home, &[Reply::Cancel], true);
        let e = before_handing_out(&c, &source, "run the command", "bcconn exec shop -- CMD")
            .unwrap_err();
        assert_eq!(
            crate::error::report(&e).status,
            crate::error::ExitStatus::Interrupted
        );
        assert!(!is_trusted(&c, &d.path, &d.text));
        // Yes: goes, and trusts the file as it is.
        let (c, rec) = ctx(&home, &[Reply::Yes], true);
        before_handing_out(&c, &source, "run the command", "bcconn exec shop -- CMD").unwrap();
        assert!(is_trusted(&c, &d.path, &d.text));
        assert!(rec.text().contains("is trusted"), "{}", rec.text());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
