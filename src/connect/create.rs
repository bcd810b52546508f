//! Saving a [`Plan`]: a new iClient if the plan has one, the connection,
//! and (unless the plan says "save only") its authorization. Everything that
//! can be checked is checked before the first write; a new iClient saved for
//! this connection is taken back if the connection then cannot be saved.

use anyhow::Result;

use secrecy::SecretString;

use super::authorize::{
    App, Consent, FlowOptions, authorize_with, can_receive, client_secret, preflight, run_flow,
    say_saved,
};
use super::commit::{Changes, Target, push_new, save_token};
use super::iclients::{self, IClientEdit, save_new, take_back};
use super::plan::{After, Auth, IClientPick, Plan};
use super::tokens;
use crate::bigcommerce::oauth::callback::CallbackError;
use crate::bigcommerce::oauth::exchange::ExchangeError;
use crate::context::Context;
use crate::store::{Connection, IClient, Tx};
use crate::text::shell_word;

/// Saves and (if the plan says so) authorizes, asking nothing: for the
/// walk-through, which asked its questions already.
pub fn execute(ctx: &Context, plan: Plan, opts: &FlowOptions) -> Result<Connection> {
    execute_with(ctx, plan, opts, None)
}

/// [`execute`] for flags (`create`, `authorize --store-hash`): with
/// `consent` (`--yes`), so that on a terminal a live sibling's token is not
/// ended without a yes, as `bcconn authorize` asks.
pub fn execute_consented(
    ctx: &Context,
    plan: Plan,
    opts: &FlowOptions,
    consent: Consent,
) -> Result<Connection> {
    execute_with(ctx, plan, opts, Some(consent))
}

fn execute_with(
    ctx: &Context,
    plan: Plan,
    opts: &FlowOptions,
    consent: Option<Consent>,
) -> Result<Connection> {
    // Fail before writing anything: the record must be valid…
    // Read once (at 100,000 connections a parse costs); checked again under
    // the lock when saved.
    let file = ctx.records.load()?;
    let mut conn = plan.connection(None, &file)?;
    let (pick, after) = match plan.auth {
        Auth::Token(source) => {
            let token = tokens::read_token(ctx, Some(&source))?;
            drop(file);
            let id = conn.id.clone();
            tokens::save_new(ctx, conn, token)?;
            return saved(ctx, &id);
        }
        Auth::OAuth { iclient, after, .. } => (iclient, after),
    };
    // …and, when authorizing right away, the flow must be able to run.
    let secret = if after == After::Authorize {
        let app = app_of(&file, &pick)?;
        preflight(ctx, &app, &plan.store_hash, opts)?;
        Some(secret_of(ctx, &file, &pick)?)
    } else {
        None
    };
    let new_iclient = save_pick(ctx, &file, pick, &mut conn)?;
    drop(file);
    let mut warnings = Vec::new();
    let saved = ctx.records.update(|file| {
        if let Some(id) = &conn.borrow_concurrency_from {
            warnings.extend(file.lender_store_warning(&conn.store_hash, id)?);
        }
        push_new(file, conn.clone())?;
        warnings.extend(file.sibling_warnings(&conn)?);
        Ok(conn)
    });
    let conn = match saved {
        Ok(conn) => conn,
        Err(e) => {
            if let Some(ic) = new_iclient {
                take_back(ctx, &ic);
            }
            return Err(e);
        }
    };
    for w in warnings {
        ctx.progress.warn(&w);
    }
    ctx.progress.step(&format!(
        "Saved connection {:?} for store {} (pending)",
        conn.name, conn.store_hash
    ));
    let Some(secret) = secret else {
        ctx.progress.say(&format!(
            "Authorize it when ready: bcconn authorize {}",
            shell_word(&conn.name)
        ));
        return Ok(conn);
    };
    authorize_with(
        ctx,
        &conn.id,
        opts,
        Changes::default(),
        Some(&secret),
        consent,
    )
}

/// A failed authorization in the walk-through, named by where the person
/// can fix it. Nothing was saved; the plan comes back with it.
#[derive(Debug)]
pub enum Retry {
    /// BigCommerce refused the client id or secret: the iClient step.
    Credentials(String),
    /// BigCommerce says the callback URL sent is not the app's registered
    /// one: the iClient step, where its callback URL is.
    Callback(String),
    /// Consent was cancelled in the browser: the summary.
    Consent(String),
    /// Anything else (a timeout, Ctrl-C in the wait): the summary, where
    /// "Save only" keeps the work.
    Failed(String),
}

/// [`execute`] for the walk-through. A plan to authorize runs its flow
/// before anything is written, so that a failure leaves nothing behind and
/// the plan goes back to the walk ([`Retry`]) instead of ending the run
/// with the answers lost. Everything else is as [`execute`].
pub fn execute_walked(
    ctx: &Context,
    plan: Plan,
    opts: &FlowOptions,
) -> Result<Result<Connection, (Plan, Retry)>> {
    if plan.after() != After::Authorize || plan.iclient().is_none() {
        return execute(ctx, plan, opts).map(Ok);
    }
    let file = ctx.records.load()?;
    let mut conn = plan.connection(None, &file)?;
    let pick = plan.iclient().expect("checked above");
    let app = app_of(&file, pick)?;
    preflight(ctx, &app, &plan.store_hash, opts)?;
    let secret = secret_of(ctx, &file, pick)?;
    let flow = run_flow(ctx, &app, &secret, &plan.store_hash, plan.scopes(), opts);
    drop(file);
    let grant = match flow {
        Ok(grant) => grant,
        Err(e) => return Ok(Err((plan, retry(&e)))),
    };
    let Auth::OAuth { iclient: pick, .. } = plan.auth else {
        unreachable!("an OAuth plan, checked above")
    };
    let file = ctx.records.load()?;
    let new_iclient = save_pick(ctx, &file, pick, &mut conn)?;
    drop(file);
    let saved = match save_token(ctx, Target::New(conn), grant) {
        Ok(saved) => saved,
        Err(e) => {
            if let Some(ic) = new_iclient {
                take_back(ctx, &ic);
            }
            return Err(e);
        }
    };
    say_saved(ctx, &saved);
    Ok(Ok(saved))
}

/// Where a failed flow sends the walk. The flow's errors carry no type by
/// the time they get here, so they are told apart by the start of their
/// message, taken from the error types themselves (a reworded message
/// cannot go out of step).
fn retry(e: &anyhow::Error) -> Retry {
    let (_, message, hint) = crate::error::report(e).into_parts();
    let starts_as = |example: String| {
        let head = example
            .split('\u{1}')
            .next()
            .unwrap_or_default()
            .to_string();
        !head.is_empty() && message.starts_with(&head)
    };
    let marker = || "\u{1}".to_string();
    if starts_as(ExchangeError::InvalidClient { said: marker() }.to_string()) {
        return Retry::Credentials(message);
    }
    if starts_as(ExchangeError::RedirectMismatch { said: marker() }.to_string()) {
        return Retry::Callback(message);
    }
    let denied = CallbackError::Denied {
        error: marker(),
        description: None,
    };
    if starts_as(denied.to_string()) {
        return Retry::Consent(message);
    }
    Retry::Failed(match hint {
        Some(h) => format!("{message}; {h}"),
        None => message,
    })
}

/// The app a flow runs with, as the plan's iClient pick says.
fn app_of<'a>(file: &'a Tx, pick: &'a IClientPick) -> Result<App<'a>> {
    Ok(match pick {
        IClientPick::Existing(name) => App::from(file.require_iclient(name)?),
        IClientPick::New(new) => App {
            name: &new.name,
            client_id: &new.client_id,
            callback_url: &new.callback_url,
        },
        IClientPick::Edited { name, edit } => {
            let ic = file.require_iclient(name)?;
            App {
                name: &ic.name,
                client_id: edit.client_id.as_deref().unwrap_or(&ic.client_id),
                callback_url: edit.callback_url.as_deref().unwrap_or(&ic.callback_url),
            }
        }
    })
}

/// The client secret a flow runs with: typed in the walk, or the saved one.
fn secret_of(ctx: &Context, file: &Tx, pick: &IClientPick) -> Result<SecretString> {
    match pick {
        IClientPick::New(new) => Ok(new.secret.clone()),
        IClientPick::Edited {
            edit: IClientEdit {
                secret: Some(s), ..
            },
            ..
        } => Ok(s.clone()),
        IClientPick::Existing(name) | IClientPick::Edited { name, .. } => {
            client_secret(ctx, file.require_iclient(name)?)
        }
    }
}

/// Saves the pick's iClient (new or edited) and points `conn` at it.
/// Returns a new one, to take back if the connection then cannot be saved.
fn save_pick(
    ctx: &Context,
    file: &Tx,
    pick: IClientPick,
    conn: &mut Connection,
) -> Result<Option<IClient>> {
    Ok(match pick {
        IClientPick::Existing(name) => {
            conn.iclient_id = Some(file.require_iclient(&name)?.id.clone());
            None
        }
        IClientPick::New(new) => {
            let saved = save_new(ctx, new)?;
            ctx.progress.step(&format!(
                "Saved iClient {:?} (secret in {})",
                saved.name,
                saved.secret_store.describe()
            ));
            conn.iclient_id = Some(saved.id.clone());
            Some(saved)
        }
        IClientPick::Edited { name, edit } => {
            let current = file.require_iclient(&name)?;
            let users = file.users_of_iclient(&current.id)?.len();
            let updated = iclients::edit(ctx, current, edit)?;
            ctx.progress
                .step(&format!("Updated iClient {:?}", updated.name));
            if users > 0 {
                ctx.progress.say(&format!(
                    "  the {} connection{} already using it keep their tokens until authorized again",
                    users,
                    if users == 1 { "" } else { "s" }
                ));
            }
            conn.iclient_id = Some(updated.id.clone());
            None
        }
    })
}

/// Why a plan cannot be saved as it is, named by the step that can fix it.
#[derive(Debug)]
pub enum Fault {
    /// The connection name (taken meanwhile, or invalid).
    Name(String),
    /// The new iClient's name.
    IClientName(String),
    /// The callback URL cannot be received here.
    Callback(String),
    /// The connection to borrow concurrency from is gone.
    Lender(String),
    /// The chosen iClient is gone.
    IClient(String),
    /// Nothing a question can fix (the secret store, the records).
    Other(anyhow::Error),
}

/// Checks a plan as `execute` would, without writing anything, so that the
/// walk-through can go back to the step at fault instead of losing the
/// answers.
pub fn check(ctx: &Context, plan: &Plan, opts: &FlowOptions) -> Result<(), Fault> {
    let said = |e: anyhow::Error| {
        let (_, message, hint) = crate::error::report(&e).into_parts();
        match hint {
            Some(h) => format!("{message}; {h}"),
            None => message,
        }
    };
    let file = ctx.records.load().map_err(Fault::Other)?;
    file.check_connection_name_free(&plan.name, None)
        .map_err(|e| Fault::Name(said(e)))?;
    if let Some(lender) = &plan.borrow_from {
        file.check_borrow(None, &plan.name, lender)
            .map_err(|e| Fault::Lender(said(e)))?;
    }
    let Auth::OAuth { iclient, after, .. } = &plan.auth else {
        return ctx.default_secrets().map(|_| ()).map_err(Fault::Other);
    };
    if let IClientPick::New(new) = iclient {
        file.check_iclient_name_free(&new.name, None)
            .map_err(|e| Fault::IClientName(said(e)))?;
    }
    if *after == After::SaveOnly {
        return Ok(());
    }
    for (name, url) in [
        ("BCCONN_LOGIN_URL", &ctx.env.login_url),
        ("BCCONN_API_URL", &ctx.env.api_url),
    ] {
        crate::env::check_base_url(name, url).map_err(|e| Fault::Other(e.into()))?;
    }
    ctx.default_secrets().map_err(Fault::Other)?;
    let (name, client_id, callback_url) = match iclient {
        IClientPick::New(new) => (
            new.name.clone(),
            new.client_id.clone(),
            new.callback_url.clone(),
        ),
        IClientPick::Existing(name) => {
            let ic = file.require_iclient(name).map_err(Fault::Other)?;
            (
                ic.name.clone(),
                ic.client_id.clone(),
                ic.callback_url.clone(),
            )
        }
        IClientPick::Edited { name, edit } => {
            let ic = file.require_iclient(name).map_err(Fault::Other)?;
            (
                ic.name.clone(),
                edit.client_id.clone().unwrap_or(ic.client_id.clone()),
                edit.callback_url.clone().unwrap_or(ic.callback_url.clone()),
            )
        }
    };
    let app = App {
        name: &name,
        client_id: &client_id,
        callback_url: &callback_url,
    };
    can_receive(&app, opts).map_err(|e| Fault::Callback(said(e.into())))
}

fn saved(ctx: &Context, id: &str) -> Result<Connection> {
    ctx.records
        .load()?
        .connection_by_id(id)?
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the connection was deleted meanwhile"))
}
