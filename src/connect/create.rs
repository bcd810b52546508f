//! Saving a [`Plan`]: a new iClient if the plan has one, the connection,
//! and (unless the plan says "save only") its authorization. Everything that
//! can be checked is checked before the first write; a new iClient saved for
//! this connection is taken back if the connection then cannot be saved.

use anyhow::Result;

use super::authorize::{App, FlowOptions, authorize_saved, client_secret, preflight};
use super::commit::{Changes, push_new};
use super::iclients::{save_new, take_back};
use super::plan::{After, Auth, IClientPick, Plan};
use super::tokens;
use crate::context::Context;
use crate::store::Connection;
use crate::text::shell_word;

pub fn execute(ctx: &Context, plan: Plan, opts: &FlowOptions) -> Result<Connection> {
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
        Some(match &pick {
            IClientPick::Existing(name) => {
                let ic = file.require_iclient(name)?;
                preflight(ctx, &App::from(ic), opts)?;
                client_secret(ctx, ic)?
            }
            IClientPick::New(new) => {
                let app = App {
                    name: &new.name,
                    client_id: &new.client_id,
                    callback_url: &new.callback_url,
                };
                preflight(ctx, &app, opts)?;
                new.secret.clone()
            }
        })
    } else {
        None
    };
    let new_iclient = match pick {
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
    };
    drop(file);
    let mut warning = None;
    let saved = ctx.records.update(|file| {
        if let Some(id) = &conn.borrow_concurrency_from {
            warning = file.lender_store_warning(&conn.store_hash, id);
        }
        push_new(file, conn.clone())?;
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
    if let Some(w) = warning {
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
    authorize_saved(ctx, &conn.id, opts, Changes::default(), Some(&secret))
}

fn saved(ctx: &Context, id: &str) -> Result<Connection> {
    ctx.records
        .load()?
        .connection_by_id(id)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the connection was deleted meanwhile"))
}
