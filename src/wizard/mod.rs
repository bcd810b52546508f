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
mod view;

use std::path::PathBuf;

use anyhow::Result;
use secrecy::SecretString;

use crate::bigcommerce::oauth::Flow;
use crate::bigcommerce::scopes;
use crate::bigcommerce::store_hash::StoreHash;
use crate::connect::authorize::{App, FlowOptions, can_receive};
use crate::connect::create::{self, Fault};
use crate::connect::iclients::{
    DEFAULT_CALLBACK_URL, IClientEdit, NewIClient, validate_callback_url, validate_client_id,
};
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
    let mut prompter = ctx.prompter();
    let here = Machine(ctx);
    match walk(
        prompter.as_mut(),
        &here,
        draft,
        records,
        env_token,
        opts.clone(),
    ) {
        Ok(done) => Ok(Some(done)),
        Err(Stop::Cancelled) => Ok(None),
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

fn ask_iclient(p: &mut dyn Prompter, records: &Document) -> Step<IClientPick> {
    if records.iclients.is_empty() {
        p.say("No iClient saved yet: add your app's client id and secret (devtools.bigcommerce.com › My Apps › View Client ID).");
        return add_iclient(p, records);
    }
    let mut options: Vec<String> = records
        .iclients
        .iter()
        .map(|ic| format!("{}  (client id {})", ic.name, ic.client_id))
        .collect();
    options.push("+ Add new iClient".to_string());
    options.push("✎ Edit an iClient (client id, secret, callback URL)".to_string());
    let n = records.iclients.len();
    let i = p.select(
        "iClient (your app's client id and secret):",
        &options,
        0,
        None,
    )?;
    match records.iclients.get(i) {
        Some(ic) => Ok(IClientPick::Existing(ic.name.clone())),
        None if i == n => add_iclient(p, records),
        None => edit_iclient(p, records),
    }
}

/// The form's pencil button: changes to a saved iClient, kept in the plan
/// and saved with the connection.
fn edit_iclient(p: &mut dyn Prompter, records: &Document) -> Step<IClientPick> {
    let ic = match records.iclients.as_slice() {
        [only] => only,
        all => {
            let options: Vec<String> = all
                .iter()
                .map(|ic| format!("{}  (client id {})", ic.name, ic.client_id))
                .collect();
            &all[p.select("Edit which iClient?", &options, 0, None)?]
        }
    };
    let users: Vec<String> = records
        .users_of_iclient(&ic.id)
        .iter()
        .map(|c| format!("{:?}", c.name))
        .collect();
    if !users.is_empty() {
        p.say(&format!(
            "  Used by {}: their tokens are unaffected until they are authorized again.",
            users.join(", ")
        ));
    }
    let id_check = |input: &str| validate_client_id(input).map(|_| ()).map_err(explain);
    let client_id = p.text(&Ask {
        message: "Client ID:",
        help: Some("Enter keeps it"),
        default: Some(&ic.client_id),
        check: &id_check,
    })?;
    let url_check = |input: &str| {
        validate_callback_url(input.trim())
            .map(|_| ())
            .map_err(explain)
    };
    let callback_url = p.text(&Ask {
        message: "Callback URL:",
        help: Some("Enter keeps it; the exact URL in the app's Auth callback field"),
        default: Some(&ic.callback_url),
        check: &url_check,
    })?;
    let secret = if p.confirm("Replace the client secret?", false, None)? {
        let s = p.secret(
            "Client secret:",
            "input is hidden",
            "the client secret is empty",
        )?;
        Some(SecretString::from(s.trim().to_string()))
    } else {
        None
    };
    let client_id = validate_client_id(&client_id).map_err(|e| Stop::Failed(e.into()))?;
    let callback_url = callback_url.trim().to_string();
    Ok(IClientPick::Edited {
        name: ic.name.clone(),
        edit: IClientEdit {
            client_id: (client_id != ic.client_id).then_some(client_id),
            callback_url: (callback_url != ic.callback_url).then_some(callback_url),
            rename: None,
            secret,
        },
    })
}

/// Connections already on this app and store: BigCommerce keeps one token
/// per app and store, so the person hears it before choosing to save.
fn warn_siblings(p: &mut dyn Prompter, pick: &IClientPick, hash: &StoreHash, records: &Document) {
    let client_id = match pick {
        IClientPick::New(new) => Some(new.client_id.as_str()),
        IClientPick::Existing(name) => records.iclient(name).map(|ic| ic.client_id.as_str()),
        IClientPick::Edited { name, edit } => edit
            .client_id
            .as_deref()
            .or_else(|| records.iclient(name).map(|ic| ic.client_id.as_str())),
    };
    let siblings: Vec<&str> = records
        .connections
        .iter()
        .filter(|c| {
            c.store_hash == *hash
                && records.client_id_of(c).is_some()
                && records.client_id_of(c) == client_id
        })
        .map(|c| c.name.as_str())
        .collect();
    if !siblings.is_empty() {
        let who = match siblings.len() {
            1 => crate::connect::rules::few_names(&siblings),
            n => format!(
                "{n} connections ({})",
                crate::connect::rules::few_names(&siblings)
            ),
        };
        p.say(&format!(
            "  ! {who} already use{} this app for store {hash}: BigCommerce keeps one token per app and store, so authorizing this connection ends {} token.",
            if siblings.len() == 1 { "s" } else { "" },
            if siblings.len() == 1 { "its" } else { "their" },
        ));
    }
}

/// The callback must reach bcconn. When it cannot here (an HTTPS tunnel
/// URL, a busy port), offer what can: listen on a local address a tunnel
/// forwards to, paste the landing address back, or another URL.
fn settle_callback(
    p: &mut dyn Prompter,
    here: &dyn Here,
    pick: &mut IClientPick,
    records: &Document,
    opts: &mut FlowOptions,
) -> Step<()> {
    loop {
        let Some(url) = callback_url_of(pick, records) else {
            return Ok(());
        };
        let Err(why) = here.receive(&url, opts) else {
            return Ok(());
        };
        p.say(&format!(
            "\nbcconn cannot receive the callback here: {why}."
        ));
        let options = [
            format!("Listen on a local address that a tunnel forwards {url} to"),
            "Paste back the address the browser lands on (nothing listens here)".to_string(),
            "Use another callback URL".to_string(),
        ];
        match p.select(
            "How should BigCommerce's answer reach bcconn?",
            &options,
            0,
            None,
        )? {
            0 => {
                let check = |input: &str| match input.trim().parse::<std::net::SocketAddr>() {
                    Ok(a) if a.ip().is_loopback() => Ok(()),
                    Ok(_) => Err("bcconn listens on this machine only: use 127.0.0.1:PORT".into()),
                    Err(_) => Err("an address like 127.0.0.1:8765".to_string()),
                };
                let addr = p.text(&Ask {
                    message: "Listen on:",
                    help: Some("the local address your tunnel forwards to, e.g. 127.0.0.1:8765"),
                    default: None,
                    check: &check,
                })?;
                opts.listen = addr.trim().parse().ok();
            }
            1 => {
                opts.flow = Flow::Manual;
                return Ok(());
            }
            _ => {
                let url = ask_callback_url(p, None)?;
                match pick {
                    IClientPick::New(new) => new.callback_url = url,
                    IClientPick::Edited { edit, .. } => edit.callback_url = Some(url),
                    IClientPick::Existing(name) => {
                        // A saved iClient is shared: say who else uses it.
                        if let Some(ic) = records.iclient(name) {
                            let users: Vec<String> = records
                                .users_of_iclient(&ic.id)
                                .iter()
                                .map(|c| format!("{:?}", c.name))
                                .collect();
                            if !users.is_empty() {
                                p.say(&format!(
                                    "  iClient {:?} gets this callback URL; {} use{} it too (their tokens are unaffected until authorized again).",
                                    ic.name,
                                    users.join(", "),
                                    if users.len() == 1 { "s" } else { "" }
                                ));
                            }
                        }
                        *pick = IClientPick::Edited {
                            name: name.clone(),
                            edit: IClientEdit {
                                callback_url: Some(url),
                                ..IClientEdit::default()
                            },
                        }
                    }
                }
            }
        }
    }
}

/// A new iClient, kept in the plan: `execute` saves it (secret first) only
/// once the person chose to save.
fn add_iclient(p: &mut dyn Prompter, records: &Document) -> Step<IClientPick> {
    let name = ask_iclient_name(p, records)?;
    let id_check = |input: &str| validate_client_id(input).map(|_| ()).map_err(explain);
    let client_id = p.text(&Ask {
        message: "Client ID:",
        help: Some("devtools.bigcommerce.com › My Apps › View Client ID"),
        default: None,
        check: &id_check,
    })?;
    let secret = p.secret(
        "Client secret:",
        "input is hidden; shown next to the client id",
        "the client secret is empty",
    )?;
    let callback_url = ask_callback_url(p, Some(DEFAULT_CALLBACK_URL))?;
    Ok(IClientPick::New(NewIClient {
        name,
        client_id: validate_client_id(&client_id).map_err(|e| Stop::Failed(e.into()))?,
        callback_url,
        secret: SecretString::from(secret.trim().to_string()),
    }))
}

fn ask_iclient_name(p: &mut dyn Prompter, records: &Document) -> Step<String> {
    let check = |input: &str| {
        records
            .check_iclient_name_free(input.trim(), None)
            .map_err(explain)
    };
    let name = p.text(&Ask {
        message: "iClient name:",
        help: Some("a name for this app's client id and secret, e.g. my-app"),
        default: None,
        check: &check,
    })?;
    Ok(name.trim().to_string())
}

fn ask_callback_url(p: &mut dyn Prompter, default: Option<&str>) -> Step<String> {
    let check = |input: &str| {
        validate_callback_url(input.trim())
            .map(|_| ())
            .map_err(explain)
    };
    let url = p.text(&Ask {
        message: "Callback URL:",
        help: Some("the exact URL in the app's Auth callback field; bcconn listens there"),
        default,
        check: &check,
    })?;
    Ok(url.trim().to_string())
}

fn callback_url_of(pick: &IClientPick, records: &Document) -> Option<String> {
    match pick {
        IClientPick::New(new) => Some(new.callback_url.clone()),
        IClientPick::Existing(name) => records.iclient(name).map(|ic| ic.callback_url.clone()),
        IClientPick::Edited { name, edit } => edit
            .callback_url
            .clone()
            .or_else(|| records.iclient(name).map(|ic| ic.callback_url.clone())),
    }
}

/// The one thing the person must do outside bcconn before authorizing:
/// register the callback URL (and the scopes) in the app.
fn show_callback_url(p: &mut dyn Prompter, url: Option<String>, scope_count: usize) {
    let Some(url) = url else { return };
    let text = format!(
        "\nCallback URL: {}\n  \
         Paste it into the Auth Callback URL, Load Callback URL and Uninstall Callback URL\n  \
         fields of your app: devtools.bigcommerce.com › My Apps › Edit App › Technical.\n  \
         While there, give the app the same {scope_count} OAuth scope{} chosen here, and save the app.\n",
        p.bold(&url),
        if scope_count == 1 { "" } else { "s" },
    );
    p.say(&text);
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
mod tests {
    use super::*;
    use crate::seams::script::{Reply::*, Script};
    use crate::secrets::StoreKind;
    use crate::store::{Connection, IClient, State};

    fn hash(h: &str) -> StoreHash {
        StoreHash::parse(h).unwrap()
    }

    fn saved() -> Document {
        let conn = |name: &str, h: &str| Connection {
            id: format!("id-{name}"),
            scopes: vec!["store_v2_products".into()],
            iclient_id: Some("ic1".into()),
            concurrency: 6,
            state: State::Authorized,
            ..Connection::pending(name, AuthType::Oauth2, hash(h))
        };
        Document {
            iclients: vec![IClient {
                id: "ic1".into(),
                name: "main-app".into(),
                client_id: "cid123".into(),
                callback_url: "http://localhost:8765/auth".into(),
                secret_store: StoreKind::File,
                created_at: String::new(),
                updated_at: String::new(),
                extra: Default::default(),
            }],
            connections: vec![conn("Acme-Prod", "zzz999"), conn("acme-stage", "abc123")],
            ..Document::default()
        }
    }

    /// A machine where every callback URL on 127.0.0.1 or localhost can be
    /// received, and every plan saves (unless told a name is taken).
    #[derive(Default)]
    struct FakeHere {
        taken: std::cell::RefCell<Vec<String>>,
    }

    impl Here for FakeHere {
        fn receive(&self, url: &str, opts: &FlowOptions) -> Result<(), String> {
            if opts.listen.is_some() || url.contains("://127.0.0.1") || url.contains("://localhost")
            {
                Ok(())
            } else {
                Err(format!("the callback URL {url} is not on this machine"))
            }
        }

        fn check(&self, plan: &Plan, _: &FlowOptions) -> Result<(), Fault> {
            let mut taken = self.taken.borrow_mut();
            match taken.iter().position(|t| *t == plan.name) {
                Some(i) => {
                    taken.remove(i);
                    Err(Fault::Name(format!(
                        "a connection named {:?} already exists",
                        plan.name
                    )))
                }
                None => Ok(()),
            }
        }
    }

    fn walk_script(replies: &[crate::seams::script::Reply], draft: Draft) -> (Step<Plan>, String) {
        let (result, log) = walk_here(replies, draft, &FakeHere::default());
        (result.map(|(plan, _)| plan), log)
    }

    fn walk_here(
        replies: &[crate::seams::script::Reply],
        draft: Draft,
        here: &FakeHere,
    ) -> (Step<(Plan, FlowOptions)>, String) {
        let mut s = Script::new(replies);
        let result = walk(&mut s, here, draft, &saved(), false, FlowOptions::default());
        (result, s.transcript())
    }

    fn oauth_draft() -> Draft {
        Draft {
            name: Some("acme".into()),
            auth_type: Some(AuthType::Oauth2),
            store_hash: Some(hash("abc123")),
            scopes: Some(vec!["store_v2_orders".into()]),
            concurrency: Some(1),
            ..Draft::default()
        }
    }

    #[test]
    fn an_unservable_callback_url_offers_a_tunnel_address_keeping_every_answer() {
        let (done, log) = walk_here(
            &[
                Pick("+ Add new iClient"),
                Type("tunnel-app"),
                Type("cid-t"),
                Type("s3cr3t"),
                Type("https://abc.tunnel.example/auth"),
                Pick("Listen on a local address"),
                Type("0.0.0.0:8765"), // not loopback: asked again
                Type("127.0.0.1:8765"),
                Pick("Save & authorize"),
            ],
            oauth_draft(),
            &FakeHere::default(),
        );
        let (plan, opts) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
        assert!(log.contains("cannot receive the callback here"), "{log}");
        assert!(
            log.contains("! bcconn listens on this machine only"),
            "{log}"
        );
        assert_eq!(opts.listen, Some("127.0.0.1:8765".parse().unwrap()));
        // The new iClient, as typed, is still in the plan.
        match plan.iclient() {
            Some(IClientPick::New(n)) => {
                assert_eq!(n.name, "tunnel-app");
                assert_eq!(n.callback_url, "https://abc.tunnel.example/auth");
            }
            _ => panic!("expected the new iClient\n{log}"),
        }
    }

    #[test]
    fn an_unservable_callback_url_can_switch_to_paste_back_or_another_url() {
        let (done, log) = walk_here(
            &[
                Pick("✎ Edit an iClient"),
                Enter,                                // keep the client id
                Type("https://far.example.com/auth"), // a URL it cannot serve
                No,                                   // keep the secret
                Pick("Use another callback URL"),
                Type("http://127.0.0.1:9911/auth"),
                Pick("Save & authorize"),
            ],
            oauth_draft(),
            &FakeHere::default(),
        );
        let (plan, opts) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
        assert_eq!(opts.flow, Flow::Authorize);
        match plan.iclient() {
            Some(IClientPick::Edited { name, edit }) => {
                assert_eq!(name, "main-app");
                assert_eq!(
                    edit.callback_url.as_deref(),
                    Some("http://127.0.0.1:9911/auth")
                );
                assert!(edit.client_id.is_none() && edit.secret.is_none());
            }
            _ => panic!("expected the edited iClient\n{log}"),
        }
        let (done, log) = walk_here(
            &[
                Pick("+ Add new iClient"),
                Type("tunnel-app"),
                Type("cid-t"),
                Type("s3cr3t"),
                Type("https://abc.tunnel.example/auth"),
                Pick("Paste back"),
                Pick("Save & authorize"),
            ],
            oauth_draft(),
            &FakeHere::default(),
        );
        let (_, opts) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
        assert_eq!(opts.flow, Flow::Manual);
    }

    #[test]
    fn picking_an_app_already_used_for_the_store_names_the_sibling() {
        // acme-stage uses main-app for abc123; Acme-Prod is another store.
        let (done, log) = walk_script(&[Pick("main-app"), Pick("Save only")], oauth_draft());
        assert!(done.is_ok(), "{log}");
        assert!(
            log.contains("\"acme-stage\" already uses this app for store abc123"),
            "{log}"
        );
        assert!(!log.contains("Acme-Prod\" already"), "{log}");
    }

    #[test]
    fn a_name_taken_at_the_last_step_goes_back_to_the_name() {
        let here = FakeHere::default();
        here.taken.borrow_mut().push("acme".into());
        let (done, log) = walk_here(
            &[
                Pick("main-app"),
                Pick("Save & authorize"),
                Type("acme-2"),
                Pick("Save & authorize"),
            ],
            oauth_draft(),
            &here,
        );
        let (plan, _) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
        assert!(log.contains("already exists"), "{log}");
        assert_eq!(plan.name, "acme-2");
        // Everything else is as answered the first time.
        assert!(matches!(plan.iclient(), Some(IClientPick::Existing(n)) if n == "main-app"));
        assert_eq!(plan.scopes(), ["store_v2_orders"]);
        assert_eq!(log.matches("Summary").count(), 2, "{log}");
    }

    #[test]
    fn full_oauth_walk_with_a_new_iclient() {
        let (plan, log) = walk_script(
            &[
                Type("acme-prod"), // taken (case-insensitively): asked again
                Type("acme-new"),
                Pick("OAuth 2.0"),
                Type("kittens.mybigcommerce.com"), // no hash in a vanity domain
                Type("https://store-abc123.mybigcommerce.com/manage"),
                Pick("Catalog"),
                Enter,
                Pick("+ Add new iClient"),
                Type("Main-App"), // taken
                Type("second-app"),
                Type("cid-2"),
                Type("s3cr3t"),
                Enter, // the default callback URL
                No,
                Pick("Save & authorize"),
            ],
            Draft::default(),
        );
        let plan = plan.unwrap();
        assert!(
            log.contains("! a connection named \"Acme-Prod\" already exists"),
            "{log}"
        );
        assert!(
            log.contains("kittens.mybigcommerce.com is a vanity"),
            "{log}"
        );
        assert!(log.contains("→ store hash abc123"), "{log}");
        assert!(
            log.contains("! an iClient named \"main-app\" already exists"),
            "{log}"
        );
        assert!(
            log.contains("Callback URL: http://localhost:8765/auth"),
            "{log}"
        );
        assert!(log.contains("Edit App › Technical"), "{log}");
        assert!(log.contains("Summary"), "{log}");
        assert!(!log.contains("s3cr3t"), "{log}");
        assert_eq!(plan.name, "acme-new");
        assert_eq!(plan.store_hash, hash("abc123"));
        assert_eq!(plan.scopes(), scopes::presets()[1].1);
        assert_eq!(plan.after(), After::Authorize);
        assert_eq!(plan.concurrency, 1);
        match plan.iclient() {
            Some(IClientPick::New(n)) => {
                assert_eq!(n.name, "second-app");
                assert_eq!(n.client_id, "cid-2");
                assert_eq!(n.callback_url, DEFAULT_CALLBACK_URL);
                use secrecy::ExposeSecret;
                assert_eq!(n.secret.expose_secret(), "s3cr3t");
            }
            _ => panic!("expected a new iClient"),
        }
    }

    #[test]
    fn flags_are_not_asked_again_but_the_callback_url_is_shown() {
        // No --auth-type: --scopes and --iclient imply OAuth.
        let draft = Draft {
            name: Some("given".into()),
            store_hash: Some(hash("abc123")),
            scopes: Some(vec!["store_v2_orders".into()]),
            iclient: Some(IClientPick::Existing("main-app".into())),
            concurrency: Some(3),
            ..Draft::default()
        };
        let (plan, log) = walk_script(&[Pick("Save only")], draft);
        let plan = plan.unwrap();
        // The only question is the last one.
        assert_eq!(log.matches("\n? ").count(), 1, "{log}");
        assert!(log.contains("? Save?"), "{log}");
        assert!(
            log.contains("Callback URL: http://localhost:8765/auth"),
            "{log}"
        );
        assert!(log.contains("same 1 OAuth scope chosen"), "{log}");
        assert_eq!(plan.after(), After::SaveOnly);
        assert_eq!(plan.concurrency, 3);
        assert_eq!(plan.scopes(), ["store_v2_orders"]);
    }

    #[test]
    fn no_authorize_flag_leaves_save_only_or_cancel() {
        let draft = Draft {
            name: Some("given".into()),
            auth_type: Some(AuthType::Oauth2),
            store_hash: Some(hash("abc123")),
            scopes: Some(vec!["store_v2_orders".into()]),
            iclient: Some(IClientPick::Existing("main-app".into())),
            concurrency: Some(3),
            after: Some(After::SaveOnly),
            ..Draft::default()
        };
        let (plan, _) = walk_script(&[Enter], draft);
        assert_eq!(plan.unwrap().after(), After::SaveOnly);
    }

    #[test]
    fn suggested_name_comes_from_a_known_store_hash() {
        let draft = Draft {
            store_hash: Some(hash("abc123")),
            auth_type: Some(AuthType::Oauth2),
            scopes: Some(vec!["store_v2_orders".into()]),
            iclient: Some(IClientPick::Existing("main-app".into())),
            concurrency: Some(1),
            ..Draft::default()
        };
        let (plan, _) = walk_script(&[Enter, Enter], draft);
        assert_eq!(plan.unwrap().name, "abc123");
    }

    #[test]
    fn select_all_keeps_the_stronger_twin() {
        let draft = Draft {
            name: Some("n".into()),
            auth_type: Some(AuthType::Oauth2),
            store_hash: Some(hash("abc123")),
            iclient: Some(IClientPick::Existing("main-app".into())),
            concurrency: Some(1),
            ..Draft::default()
        };
        let (plan, log) = walk_script(
            &[
                Pick("Choose scopes"),
                Tick(&[]), // nothing ticked: refused
                Tick(&[
                    "(store_v2_products)",
                    "(store_v2_products_read_only)",
                    "(store_cart_read_only)",
                ]),
                Enter,
            ],
            draft,
        );
        assert!(log.contains("! choose at least one scope"), "{log}");
        assert!(
            log.contains(
                "→ 2 scopes kept; left out store_v2_products_read_only: the modify scope includes it"
            ),
            "{log}"
        );
        assert_eq!(
            plan.unwrap().scopes(),
            ["store_cart_read_only", "store_v2_products"]
        );
    }

    #[test]
    fn all_scopes_preset_preticks_every_store_scope() {
        let draft = Draft {
            name: Some("n".into()),
            auth_type: Some(AuthType::Oauth2),
            store_hash: Some(hash("abc123")),
            iclient: Some(IClientPick::Existing("main-app".into())),
            concurrency: Some(1),
            ..Draft::default()
        };
        let (plan, _) = walk_script(&[Pick("All scopes"), Enter, Enter], draft);
        assert_eq!(plan.unwrap().scopes(), scopes::all_store_scopes());
    }

    #[test]
    fn cancel_at_any_step_stops_the_walk() {
        let steps: &[&[crate::seams::script::Reply]] = &[
            &[Cancel],
            &[Type("x"), Cancel],
            &[Type("x"), Pick("OAuth"), Cancel],
            &[Type("x"), Pick("OAuth"), Type("abc123"), Cancel],
            &[
                Type("x"),
                Pick("OAuth"),
                Type("abc123"),
                Pick("Orders"),
                Cancel,
            ],
            &[
                Type("x"),
                Pick("OAuth"),
                Type("abc123"),
                Pick("Orders"),
                Enter,
                Pick("+ Add"),
                Type("new"),
                Cancel,
            ],
            &[
                Type("x"),
                Pick("OAuth"),
                Type("abc123"),
                Pick("Orders"),
                Enter,
                Pick("main-app"),
                Cancel,
            ],
            &[
                Type("x"),
                Pick("OAuth"),
                Type("abc123"),
                Pick("Orders"),
                Enter,
                Pick("main-app"),
                No,
                Pick("Cancel"),
            ],
        ];
        for replies in steps {
            let (result, log) = walk_script(replies, Draft::default());
            assert!(matches!(result, Err(Stop::Cancelled)), "{log}");
        }
    }

    #[test]
    fn token_from_a_credentials_file_fills_the_store_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.txt");
        std::fs::write(
            &path,
            "ACCESS TOKEN: tok123\nAPI PATH: https://api.bigcommerce.com/stores/def456/v3/\n",
        )
        .unwrap();
        let quoted: &'static str = Box::leak(format!("'{}'", path.display()).into_boxed_str());
        let (plan, log) = walk_script(
            &[
                Type("tokconn"),
                Pick("API-account token"),
                Pick("Read the API credentials"),
                Type("/nonexistent/creds.txt"),
                Type(quoted),
                No,
                Pick("Save"),
            ],
            Draft::default(),
        );
        let plan = plan.unwrap();
        assert!(
            log.contains("! cannot read /nonexistent/creds.txt"),
            "{log}"
        );
        assert!(log.contains("→ store hash def456 (from the file)"), "{log}");
        // The store hash step was skipped, and OAuth-only steps too.
        assert!(!log.contains("? Store hash:"), "{log}");
        assert!(!log.contains("? Scopes"), "{log}");
        assert!(!log.contains("Callback URL"), "{log}");
        assert_eq!(plan.store_hash, hash("def456"));
        assert_eq!(plan.auth_type(), AuthType::Token);
        assert!(plan.iclient().is_none());
        match plan.token() {
            Some(TokenSource::Given(t)) => {
                use secrecy::ExposeSecret;
                assert_eq!(t.expose_secret(), "tok123");
            }
            _ => panic!("expected the file's token"),
        }
    }

    #[test]
    fn credentials_file_for_another_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.txt");
        std::fs::write(
            &path,
            "ACCESS TOKEN: tok123\nAPI PATH: https://api.bigcommerce.com/stores/def456/v3/\n",
        )
        .unwrap();
        let path: &'static str = Box::leak(path.display().to_string().into_boxed_str());
        let draft = Draft {
            name: Some("t".into()),
            auth_type: Some(AuthType::Token),
            store_hash: Some(hash("abc123")),
            ..Draft::default()
        };
        let (result, log) = walk_script(&[Pick("Read"), Type(path), Cancel], draft);
        assert!(matches!(result, Err(Stop::Cancelled)));
        assert!(
            log.contains("! this file is for store def456, but the store hash given is abc123"),
            "{log}"
        );
    }

    #[test]
    fn typed_token_and_advanced_borrow_same_store_first() {
        let (plan, log) = walk_script(
            &[
                Type("t"),
                Pick("API-account token"),
                Pick("Type or paste"),
                Type("  "), // empty: asked again
                Type("tok-xyz"),
                Type("abc123"),
                Yes,
                Pick("Borrow"),
                Enter, // first lender: the same store's
                Pick("Save"),
            ],
            Draft::default(),
        );
        let plan = plan.unwrap();
        assert!(log.contains("! the access token is empty"), "{log}");
        assert!(!log.contains("tok-xyz"), "{log}");
        assert_eq!(plan.borrow_from.as_deref(), Some("acme-stage"));
        assert!(
            log.contains("borrowed from \"acme-stage\" (level 6)"),
            "{log}"
        );
    }

    #[test]
    fn concurrency_level_is_checked() {
        let draft = Draft {
            name: Some("n".into()),
            auth_type: Some(AuthType::Oauth2),
            store_hash: Some(hash("abc123")),
            scopes: Some(vec!["store_v2_orders".into()]),
            iclient: Some(IClientPick::Existing("main-app".into())),
            ..Draft::default()
        };
        let (plan, log) = walk_script(
            &[
                Yes,
                Pick("Set this"),
                Type("26"),
                Type("zero"),
                Type("25"),
                Enter,
            ],
            draft,
        );
        assert_eq!(
            log.matches("! enter a whole number from 1 to 25").count(),
            2,
            "{log}"
        );
        assert_eq!(plan.unwrap().concurrency, 25);
    }
}
