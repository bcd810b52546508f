//! The iClient step of the walk: pick a saved one, edit it, or add one;
//! then the callback URL it must reach bcconn at, settled for this machine,
//! and shown for pasting into the app.

use super::{Here, explain};
use crate::bigcommerce::oauth::Flow;
use crate::bigcommerce::store_hash::StoreHash;
use crate::connect::authorize::FlowOptions;
use crate::connect::iclients::{
    DEFAULT_CALLBACK_URL, IClientEdit, NewIClient, validate_callback_url, validate_client_id,
};
use crate::connect::plan::IClientPick;
use crate::connect::rules::few_names;
use crate::seams::{Ask, Prompter, Step, Stop};
use crate::store::{Document, State};

/// The iClient step's question. `earlier` is the pick made before, which
/// comes back pre-selected and prefilled; `fix` (the app refused its
/// credentials) pre-selects the edit of a saved iClient.
pub(super) fn ask_iclient(
    p: &mut dyn Prompter,
    records: &Document,
    earlier: Option<&IClientPick>,
    fix: bool,
) -> Step<IClientPick> {
    let earlier_new = match earlier {
        Some(IClientPick::New(new)) => Some(new),
        _ => None,
    };
    if records.iclients.is_empty() {
        if earlier.is_none() {
            p.say("No iClient saved yet: add your app's client id and secret (devtools.bigcommerce.com › My Apps › View Client ID).");
        }
        return add_iclient(p, records, earlier_new);
    }
    let mut options: Vec<String> = records
        .iclients
        .iter()
        .map(|ic| format!("{}  (client id {})", ic.name, ic.client_id))
        .collect();
    options.push("+ Add new iClient".to_string());
    options.push("✎ Edit an iClient (client id, secret, callback URL)".to_string());
    let n = records.iclients.len();
    let saved_at = |name: &str| {
        records
            .iclients
            .iter()
            .position(|ic| ic.name.eq_ignore_ascii_case(name))
    };
    let start = match earlier {
        None => 0,
        Some(IClientPick::New(_)) => n,
        Some(IClientPick::Edited { .. }) => n + 1,
        Some(IClientPick::Existing(_)) if fix => n + 1,
        Some(IClientPick::Existing(name)) => saved_at(name).unwrap_or(0),
    };
    let edited = match earlier {
        Some(IClientPick::Edited { name, edit }) => Some((name.as_str(), Some(edit))),
        Some(IClientPick::Existing(name)) => Some((name.as_str(), None)),
        _ => None,
    };
    loop {
        let i = p.select(
            "iClient (your app's client id and secret):",
            &options,
            start,
            None,
        )?;
        let picked = match records.iclients.get(i) {
            Some(ic) => return Ok(IClientPick::Existing(ic.name.clone())),
            None if i == n => add_iclient(p, records, earlier_new),
            None => edit_iclient(p, records, edited),
        };
        // Esc inside adding or editing comes back to this list.
        match picked {
            Err(Stop::Back) => continue,
            other => return other,
        }
    }
}

/// The form's pencil button: changes to a saved iClient, kept in the plan
/// and saved with the connection. `earlier`: the iClient edited (or
/// picked) before, and the changes typed then.
pub(super) fn edit_iclient(
    p: &mut dyn Prompter,
    records: &Document,
    earlier: Option<(&str, Option<&IClientEdit>)>,
) -> Step<IClientPick> {
    let ic = match records.iclients.as_slice() {
        [only] => only,
        all => {
            let options: Vec<String> = all
                .iter()
                .map(|ic| format!("{}  (client id {})", ic.name, ic.client_id))
                .collect();
            let start = earlier
                .and_then(|(name, _)| all.iter().position(|ic| ic.name.eq_ignore_ascii_case(name)))
                .unwrap_or(0);
            &all[p.select("Edit which iClient?", &options, start, None)?]
        }
    };
    // What was typed before applies only to the same iClient.
    let before = earlier
        .filter(|(name, _)| ic.name.eq_ignore_ascii_case(name))
        .and_then(|(_, edit)| edit);
    let users = records.users_of_iclient(&ic.id);
    // Saving a new client id makes the users holding a token pending (it
    // is another app: `iclients::edit`); what else changes leaves tokens be.
    let holders: Vec<&str> = users
        .iter()
        .filter(|c| !matches!(c.state, State::Pending | State::Failed))
        .map(|c| c.name.as_str())
        .collect();
    if !users.is_empty() {
        let names: Vec<&str> = users.iter().map(|c| c.name.as_str()).collect();
        p.say(&format!(
            "  Used by {}: a new client id makes those holding a token pending; other changes leave their tokens as they are.",
            few_names(&names)
        ));
    }
    let (before_id, before_url) = (
        before.and_then(|e| e.client_id.as_deref()),
        before.and_then(|e| e.callback_url.as_deref()),
    );
    let id_check = |input: &str| validate_client_id(input).map(|_| ()).map_err(explain);
    let client_id = p.text(&Ask {
        message: "Client ID:",
        help: Some("Enter keeps it"),
        default: Some(ic.client_id.as_str()).filter(|_| before_id.is_none()),
        initial: before_id,
        check: &id_check,
    })?;
    if client_id.trim() != ic.client_id && !holders.is_empty() {
        let who = match holders.len() {
            1 => format!("{} becomes", few_names(&holders)),
            n => format!("{n} connections ({}) become", few_names(&holders)),
        };
        p.say(&format!(
            "  A new client id is another app: once saved, {who} pending until authorized again."
        ));
    }
    let url_check = |input: &str| {
        validate_callback_url(input.trim())
            .map(|_| ())
            .map_err(explain)
    };
    let callback_url = p.text(&Ask {
        message: "Callback URL:",
        help: Some("Enter keeps it; the exact URL in the app's Auth callback field"),
        default: Some(ic.callback_url.as_str()).filter(|_| before_url.is_none()),
        initial: before_url,
        check: &url_check,
    })?;
    let typed_before = before.and_then(|e| e.secret.clone());
    let secret = match typed_before {
        Some(s) if p.confirm("Keep the new client secret typed before?", true, None)? => Some(s),
        _ if p.confirm("Replace the client secret?", false, None)? => Some(p.secret(
            "Client secret:",
            "input is hidden",
            "the client secret is empty",
        )?),
        _ => None,
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
pub(super) fn warn_siblings(
    p: &mut dyn Prompter,
    pick: &IClientPick,
    hash: &StoreHash,
    records: &Document,
) {
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
pub(super) fn settle_callback(
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
                    initial: None,
                    check: &check,
                })?;
                opts.listen = addr.trim().parse().ok();
            }
            1 => {
                opts.flow = Flow::Manual;
                return Ok(());
            }
            _ => {
                let url = ask_callback_url(p, None, None)?;
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
/// once the person chose to save. `earlier`: the one typed before, whose
/// answers come back prefilled.
pub(super) fn add_iclient(
    p: &mut dyn Prompter,
    records: &Document,
    earlier: Option<&NewIClient>,
) -> Step<IClientPick> {
    let name = ask_iclient_name(p, records, earlier.map(|e| e.name.as_str()))?;
    let id_check = |input: &str| validate_client_id(input).map(|_| ()).map_err(explain);
    let client_id = p.text(&Ask {
        message: "Client ID:",
        help: Some("devtools.bigcommerce.com › My Apps › View Client ID"),
        default: None,
        initial: earlier.map(|e| e.client_id.as_str()),
        check: &id_check,
    })?;
    let secret = match earlier {
        Some(e) if p.confirm("Keep the client secret typed before?", true, None)? => {
            e.secret.clone()
        }
        _ => p.secret(
            "Client secret:",
            "input is hidden; shown next to the client id",
            "the client secret is empty",
        )?,
    };
    let callback_url = match earlier {
        Some(e) => ask_callback_url(p, None, Some(&e.callback_url))?,
        None => ask_callback_url(p, Some(DEFAULT_CALLBACK_URL), None)?,
    };
    Ok(IClientPick::New(NewIClient {
        name,
        client_id: validate_client_id(&client_id).map_err(|e| Stop::Failed(e.into()))?,
        callback_url,
        secret,
    }))
}

pub(super) fn ask_iclient_name(
    p: &mut dyn Prompter,
    records: &Document,
    earlier: Option<&str>,
) -> Step<String> {
    let check = |input: &str| {
        records
            .check_iclient_name_free(input.trim(), None)
            .map_err(explain)
    };
    let name = p.text(&Ask {
        message: "iClient name:",
        help: Some("a name for this app's client id and secret, e.g. my-app"),
        default: None,
        initial: earlier,
        check: &check,
    })?;
    Ok(name.trim().to_string())
}

pub(super) fn ask_callback_url(
    p: &mut dyn Prompter,
    default: Option<&str>,
    earlier: Option<&str>,
) -> Step<String> {
    let check = |input: &str| {
        validate_callback_url(input.trim())
            .map(|_| ())
            .map_err(explain)
    };
    let url = p.text(&Ask {
        message: "Callback URL:",
        help: Some("the exact URL in the app's Auth callback field; bcconn listens there"),
        default,
        initial: earlier,
        check: &check,
    })?;
    Ok(url.trim().to_string())
}

pub(super) fn callback_url_of(pick: &IClientPick, records: &Document) -> Option<String> {
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
pub(super) fn show_callback_url(p: &mut dyn Prompter, url: Option<String>, scope_count: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seams::script::{Reply::*, Script};
    use crate::secrets::StoreKind;
    use crate::store::{AuthType, Connection, IClient};

    fn records() -> Document {
        let ic = IClient {
            id: "i1".into(),
            name: "app".into(),
            client_id: "cid-1".into(),
            callback_url: "http://localhost:8765/auth".into(),
            secret_store: StoreKind::File,
            created_at: String::new(),
            updated_at: String::new(),
            extra: Default::default(),
        };
        let user = |name: &str, state: State| {
            let mut c = Connection::pending(name, AuthType::Oauth2, "abc123".parse().unwrap());
            c.id = format!("c-{name}");
            c.iclient_id = Some("i1".into());
            c.state = state;
            c
        };
        Document {
            iclients: vec![ic],
            connections: vec![
                user("live", State::Authorized),
                user("other", State::Authorized),
                user("waiting", State::Pending),
            ],
            ..Document::default()
        }
    }

    fn edit(replies: &[crate::seams::script::Reply]) -> String {
        let r = records();
        let mut s = Script::new(replies);
        edit_iclient(&mut s, &r, None).unwrap_or_else(|e| panic!("{e:?}\n{}", s.transcript()));
        s.transcript()
    }

    #[test]
    fn a_new_client_id_says_how_many_tokens_become_pending() {
        let log = edit(&[Type("cid-2"), Enter, No]);
        assert!(!log.contains("unaffected"), "{log}");
        assert!(
            log.contains(
                "once saved, 2 connections (\"live\" and \"other\") become pending until authorized again"
            ),
            "{log}"
        );
    }

    #[test]
    fn the_same_client_id_says_nothing_becomes_pending() {
        let log = edit(&[Enter, Type("http://localhost:9999/auth"), No]);
        assert!(!log.contains("become pending"), "{log}");
        assert!(!log.contains("becomes pending"), "{log}");
    }
}
