//! The interactive walk-through of `bcconn create`.
//!
//! It fills the holes of a [`Draft`] (what the flags left out) into a
//! [`Plan`], in the order of a connection form: name, authentication type,
//! store hash, scopes, iClient, the callback URL to paste, advanced settings,
//! then a summary and "Save & authorize". A value given as a flag is never
//! asked again. Every answer is checked where it is typed, so a mistake is
//! fixed on the spot rather than reported after the whole walk.
//!
//! Nothing is written here: the plan (including a new iClient and its
//! secret) is saved by `create::execute` only after the summary's choice, so
//! Esc, Ctrl-C or "Cancel" at any step leave no trace.

pub mod edit;
mod iclient;
mod view;

use iclient::{
    ask_iclient, ask_iclient_name, callback_url_of, settle_callback, show_callback_url,
    warn_siblings,
};

use std::path::PathBuf;

use anyhow::Result;
use secrecy::SecretString;

use crate::bigcommerce::scopes;
use crate::bigcommerce::store_hash::StoreHash;
use crate::connect::authorize::{App, FlowOptions, can_receive};
use crate::connect::create::{self, Fault};
use crate::connect::plan::{After, Auth, Draft, IClientPick, Plan, TokenSource};
use crate::connect::tokens::read_credentials_file;
use crate::context::Context;
use crate::error::Failure;
use crate::seams::{Ask, Prompter, Step, Stop};
use crate::store::{AuthType, Document};

/// Concurrency levels, the same range `--concurrency` accepts.
const CONCURRENCY: std::ops::RangeInclusive<u8> = 1..=25;

/// What the walk asks of this machine, so that a plan that cannot work here
/// is fixed at the step at fault instead of failing after the last one.
pub trait Here {
    /// Whether a callback to `callback_url` can be received here as `opts`
    /// say; the error is one line.
    fn receive(&self, callback_url: &str, opts: &FlowOptions) -> Result<(), String>;
    /// Whether the plan would save (and its flow run) as it is.
    fn check(&self, plan: &Plan, opts: &FlowOptions) -> Result<(), Fault>;
}

/// This machine, as the core sees it.
struct Machine<'a>(&'a Context);

impl Here for Machine<'_> {
    fn receive(&self, callback_url: &str, opts: &FlowOptions) -> Result<(), String> {
        let app = App {
            name: "",
            client_id: "",
            callback_url,
        };
        can_receive(&app, opts).map_err(|f| f.message)
    }

    fn check(&self, plan: &Plan, opts: &FlowOptions) -> Result<(), Fault> {
        create::check(self.0, plan, opts)
    }
}

/// Fills the holes of `draft` by asking, and settles how the callback comes
/// back (`opts`); `None` when the person cancelled.
pub fn run(
    ctx: &Context,
    draft: Draft,
    records: &Document,
    opts: &FlowOptions,
) -> Result<Option<(Plan, FlowOptions)>> {
    let env_token = ctx.env.access_token.is_some();
    let here = Machine(ctx);
    match ctx.ask(|p| walk(p, &here, draft, records, env_token, opts.clone())) {
        Ok(done) => Ok(Some(done)),
        Err(Stop::Cancelled | Stop::Back) => Ok(None),
        Err(Stop::Failed(e)) => Err(e),
    }
}

/// One line for a prompt's error slot: what is wrong, then what to do.
fn explain(f: Failure) -> String {
    plain(&f.into())
}

/// The steps, in order. `env_token`: BCCONN_ACCESS_TOKEN is set, so it can be
/// offered as the token.
fn walk(
    p: &mut dyn Prompter,
    here: &dyn Here,
    draft: Draft,
    records: &Document,
    env_token: bool,
    mut opts: FlowOptions,
) -> Step<(Plan, FlowOptions)> {
    let Draft {
        name,
        auth_type,
        mut store_hash,
        scopes,
        iclient,
        concurrency,
        borrow_from,
        token,
        after,
    } = draft;
    p.say("New BigCommerce connection. Esc or Ctrl-C cancels at any step; nothing is saved before the last one.");

    let name = match name {
        Some(n) => n,
        None => ask_name(p, records, store_hash.as_ref())?,
    };
    // Scopes and an iClient only mean something for OAuth: giving either
    // answers the question.
    let implied = (scopes.is_some() || iclient.is_some()).then_some(AuthType::Oauth2);
    let auth_type = match auth_type.or(implied) {
        Some(a) => a,
        None => ask_auth_type(p)?,
    };
    let token = match (auth_type, token) {
        (AuthType::Token, None) => Some(ask_token(p, &mut store_hash, env_token)?),
        (_, token) => token,
    };
    let store_hash = match store_hash {
        Some(h) => h,
        None => ask_store_hash(p)?,
    };
    let (scopes, iclient) = match auth_type {
        AuthType::Oauth2 => {
            let scopes = match scopes {
                Some(s) => s,
                None => ask_scopes(p)?,
            };
            let mut iclient = match iclient {
                Some(i) => i,
                None => ask_iclient(p, records)?,
            };
            settle_callback(p, here, &mut iclient, records, &mut opts)?;
            warn_siblings(p, &iclient, &store_hash, records);
            show_callback_url(p, callback_url_of(&iclient, records), scopes.len());
            (scopes, Some(iclient))
        }
        AuthType::Token => (Vec::new(), None),
    };
    // Either flag settles the advanced step: asking about the other one
    // would only invite a contradiction.
    let (concurrency, borrow_from) = if concurrency.is_some() || borrow_from.is_some() {
        (concurrency.unwrap_or(1), borrow_from)
    } else {
        ask_advanced(p, records, &store_hash)?
    };
    let auth = match (iclient, token) {
        (Some(iclient), _) => Auth::OAuth {
            scopes,
            iclient,
            after: after.unwrap_or(After::Authorize),
        },
        (None, Some(token)) => Auth::Token(token),
        (None, None) => unreachable!("the token step ran for a token connection"),
    };
    let mut plan = Plan {
        name,
        store_hash,
        concurrency,
        borrow_from,
        auth,
    };
    // The last step: save, or go back to the step at fault. Nothing the
    // person typed is lost on the way.
    loop {
        p.say(&format!("\n{}", view::summary(&plan, records)));
        let chosen = ask_finish(p, &plan.name, auth_type, after)?;
        if let Auth::OAuth { after, .. } = &mut plan.auth {
            *after = chosen;
        }
        match here.check(&plan, &opts) {
            Ok(()) => return Ok((plan, opts)),
            Err(Fault::Name(why)) => {
                p.say(&format!("\n{why}"));
                plan.name = ask_name(p, records, Some(&plan.store_hash))?;
            }
            Err(Fault::IClientName(why)) => {
                p.say(&format!("\n{why}"));
                if let Auth::OAuth {
                    iclient: IClientPick::New(new),
                    ..
                } = &mut plan.auth
                {
                    new.name = ask_iclient_name(p, records)?;
                }
            }
            Err(Fault::Callback(why)) => {
                p.say(&format!("\n{why}"));
                if let Auth::OAuth { iclient, .. } = &mut plan.auth {
                    settle_callback(p, here, iclient, records, &mut opts)?;
                }
            }
            Err(Fault::Lender(why)) => {
                p.say(&format!("\n{why}"));
                (plan.concurrency, plan.borrow_from) = ask_advanced(p, records, &plan.store_hash)?;
            }
            Err(Fault::IClient(why)) => {
                p.say(&format!("\n{why}"));
                if let Auth::OAuth { iclient, .. } = &mut plan.auth {
                    *iclient = ask_iclient(p, records)?;
                    settle_callback(p, here, iclient, records, &mut opts)?;
                }
            }
            Err(Fault::Other(e)) => return Err(Stop::Failed(e)),
        }
    }
}

fn ask_name(p: &mut dyn Prompter, records: &Document, hash: Option<&StoreHash>) -> Step<String> {
    let suggestion = hash.map(|h| view::suggest_name(h.as_str(), records));
    let check = |input: &str| {
        records
            .check_connection_name_free(input.trim(), None)
            .map_err(explain)
    };
    let name = p.text(&Ask {
        message: "Connection name:",
        help: Some("unique; scripts use it, e.g. `bcconn token NAME`"),
        default: suggestion.as_deref(),
        initial: None,
        check: &check,
    })?;
    Ok(name.trim().to_string())
}

fn ask_auth_type(p: &mut dyn Prompter) -> Step<AuthType> {
    let options = [
        "OAuth 2.0 (your app's client id and secret; you approve in the browser)",
        "API-account token (from a store-level API account)",
    ]
    .map(String::from);
    let i = p.select("Authentication type:", &options, 0, None)?;
    Ok(if i == 0 {
        AuthType::Oauth2
    } else {
        AuthType::Token
    })
}

/// Where the token comes from. A credentials file also names the store, so
/// it fills (or must agree with) the store hash.
fn ask_token(
    p: &mut dyn Prompter,
    store_hash: &mut Option<StoreHash>,
    env_token: bool,
) -> Step<TokenSource> {
    let mut options = vec![
        "Type or paste the access token (hidden)".to_string(),
        "Read the API credentials .txt BigCommerce downloaded".to_string(),
    ];
    if env_token {
        options.push("Use BCCONN_ACCESS_TOKEN from the environment".to_string());
    }
    match p.select("Access token:", &options, 0, None)? {
        0 => {
            let token = p.secret(
                "Access token:",
                "input is hidden; Settings › API › Store-level API accounts",
                "the access token is empty",
            )?;
            Ok(TokenSource::Given(SecretString::from(
                token.trim().to_string(),
            )))
        }
        1 => {
            let known = store_hash.clone();
            let check = |input: &str| {
                let creds =
                    read_credentials_file(&credentials_path(input)).map_err(|e| plain(&e))?;
                match (&known, &creds.store_hash) {
                    (Some(want), Some(found)) if want != found => Err(format!(
                        "this file is for store {found}, but the store hash given is {want}"
                    )),
                    _ => Ok(()),
                }
            };
            let path = p.text(&Ask {
                message: "Path to the API credentials .txt:",
                help: Some("the file BigCommerce downloaded when the API account was created"),
                default: None,
                initial: None,
                check: &check,
            })?;
            let creds = read_credentials_file(&credentials_path(&path))?;
            if store_hash.is_none()
                && let Some(found) = creds.store_hash
            {
                p.say(&format!("  → store hash {found} (from the file)"));
                *store_hash = Some(found);
            }
            Ok(TokenSource::Given(creds.token))
        }
        _ => Ok(TokenSource::Env),
    }
}

/// A pasted path, minus the quotes a file manager's drag and drop adds.
fn credentials_path(input: &str) -> PathBuf {
    let t = input.trim();
    let t = t
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| t.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .unwrap_or(t);
    PathBuf::from(t)
}

/// An error as one line, with its hint when it has one.
fn plain(e: &anyhow::Error) -> String {
    match crate::error::report(e).into_parts() {
        (_, message, Some(hint)) => format!("{message}; {hint}"),
        (_, message, None) => message,
    }
}

fn ask_store_hash(p: &mut dyn Prompter) -> Step<StoreHash> {
    let check = |input: &str| {
        StoreHash::parse(input)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let typed = p.text(&Ask {
        message: "Store hash:",
        help: Some(
            "the hash, or any URL that holds it: https://api.bigcommerce.com/stores/<hash>/v3/ or https://store-<hash>.mybigcommerce.com",
        ),
        default: None,
        initial: None,
        check: &check,
    })?;
    let hash = StoreHash::parse(&typed).map_err(|e| Stop::Failed(e.into()))?;
    // Show what was taken out of a URL, so a wrong paste is noticed now.
    p.say(&format!("  → store hash {hash}"));
    Ok(hash)
}

fn ask_scopes(p: &mut dyn Prompter) -> Step<Vec<String>> {
    let starts = view::scope_starts();
    let titles: Vec<String> = starts.iter().map(|(t, _)| t.clone()).collect();
    let start = p.select(
        "Scopes: start from",
        &titles,
        0,
        Some("a preset only pre-ticks scopes; you adjust them next"),
    )?;
    pick_scopes(p, &starts[start].1)
}

/// The scope picker, with `ticked` ticked at the start.
pub(crate) fn pick_scopes(p: &mut dyn Prompter, ticked: &[String]) -> Step<Vec<String>> {
    let offered = view::picker_scopes();
    let options: Vec<String> = offered.iter().map(|s| view::scope_option(s)).collect();
    let ticked = view::indexes_of(&offered, ticked);
    let picked = p.multi_select(
        "Scopes:",
        &options,
        &ticked,
        "type to filter, ↑↓ move, space toggles, → selects all (shown), ← clears, enter accepts",
        "choose at least one scope",
    )?;
    let names: Vec<String> = picked
        .iter()
        .map(|&i| offered[i].name.to_string())
        .collect();
    // A modify scope includes its read-only twin; asking for both is noise.
    // Say which were left out, so a shorter list than ticked is no surprise.
    let redundant: Vec<&str> = names
        .iter()
        .filter_map(|n| scopes::read_only_twin(n))
        .filter(|twin| names.iter().any(|n| n == twin))
        .collect();
    let kept = scopes::normalize(&names);
    match redundant.len() {
        0 => {}
        1..=3 => p.say(&format!(
            "  → {} kept; left out {}: the modify scope includes {}",
            view::count(kept.len(), "scope"),
            redundant.join(", "),
            if redundant.len() == 1 { "it" } else { "them" },
        )),
        n => p.say(&format!(
            "  → {} kept; left out {n} read-only twins: their modify scopes include them",
            view::count(kept.len(), "scope"),
        )),
    }
    Ok(kept)
}

fn ask_advanced(
    p: &mut dyn Prompter,
    records: &Document,
    hash: &StoreHash,
) -> Step<(u8, Option<String>)> {
    if !p.confirm(
        "Change advanced settings (concurrency)?",
        false,
        Some("default: this connection's own level, 1"),
    )? {
        return Ok((1, None));
    }
    let borrow = !records.connections.is_empty()
        && p.select(
            "Concurrency:",
            &[
                "Set this connection's own level".to_string(),
                "Borrow another connection's level (share its pool)".to_string(),
            ],
            0,
            None,
        )? == 1;
    if borrow {
        return Ok((1, Some(ask_lender(p, records, hash, None)?)));
    }
    Ok((ask_level(p, 1)?, None))
}

/// A connection to borrow concurrency from (never `except`), same store first.
pub(crate) fn ask_lender(
    p: &mut dyn Prompter,
    records: &Document,
    hash: &StoreHash,
    except: Option<&str>,
) -> Step<String> {
    let lenders: Vec<_> = view::borrow_order(records, hash.as_str())
        .into_iter()
        .filter(|c| Some(c.id.as_str()) != except)
        .collect();
    let options: Vec<String> = lenders
        .iter()
        .map(|c| view::lender_option(records, c, hash.as_str()))
        .collect();
    let i = p.select("Borrow concurrency from:", &options, 0, None)?;
    Ok(lenders[i].name.clone())
}

/// A concurrency level, `default` on Enter.
pub(crate) fn ask_level(p: &mut dyn Prompter, default: u8) -> Step<u8> {
    let check = |input: &str| match input.trim().parse::<u8>() {
        Ok(n) if CONCURRENCY.contains(&n) => Ok(()),
        _ => Err(format!(
            "enter a whole number from {} to {}",
            CONCURRENCY.start(),
            CONCURRENCY.end()
        )),
    };
    let default = default.to_string();
    let level = p.text(&Ask {
        message: "Concurrency level:",
        help: Some("how many API calls this connection may run at once (1 to 25)"),
        default: Some(&default),
        initial: None,
        check: &check,
    })?;
    Ok(level.trim().parse().unwrap_or(1))
}

/// The last step: save (and authorize), or cancel. `--no-authorize` leaves
/// only saving; a token connection has nothing to authorize (its token is
/// checked as it is saved).
fn ask_finish(
    p: &mut dyn Prompter,
    name: &str,
    auth_type: AuthType,
    after: Option<After>,
) -> Step<After> {
    let save_only = format!(
        "Save only (authorize later: bcconn authorize {})",
        crate::ui::shell_word(name)
    );
    let (options, afters): (Vec<String>, Vec<After>) = match (auth_type, after) {
        (AuthType::Token, _) => (
            vec![
                "Save (the token is checked against the store first)".into(),
                "Cancel".into(),
            ],
            vec![After::Authorize],
        ),
        (AuthType::Oauth2, Some(After::SaveOnly)) => {
            (vec![save_only, "Cancel".into()], vec![After::SaveOnly])
        }
        (AuthType::Oauth2, _) => (
            vec![
                "Save & authorize (opens BigCommerce in your browser)".into(),
                save_only,
                "Cancel".into(),
            ],
            vec![After::Authorize, After::SaveOnly],
        ),
    };
    // Past the listed outcomes is "Cancel".
    let i = p.select("Save?", &options, 0, None)?;
    afters.get(i).copied().ok_or(Stop::Cancelled)
}

#[cfg(test)]
mod tests;
