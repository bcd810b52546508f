//! `bcconn show NAME`: one connection. The token itself is never shown.

use anyhow::Result;
use clap::Args;

use crate::context::Context;
use crate::error::ExitStatus;
use crate::store::view::view;
use crate::ui;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The connection's name (see `bcconn list`)
    pub name: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: ShowArgs) -> Result<ExitStatus> {
    let file = ctx.records.load()?;
    let c = file.require_connection(&args.name)?;
    let v = view(&file, c, &ctx.env.api_url)?;
    if args.json {
        ui::out_json(&v)?;
        return Ok(ExitStatus::Success);
    }
    let user = |u: Option<&crate::store::BcUser>| {
        u.map(|u| {
            let who = u.email.as_deref().or(u.username.as_deref()).unwrap_or("?");
            format!("{who} (id {})", u.id)
        })
    };
    let mut rows: Vec<Vec<String>> = vec![
        vec!["name".into(), v.name.into()],
        vec!["id".into(), v.id.into()],
        vec!["store hash".into(), v.store_hash.into()],
        vec!["auth type".into(), v.auth_type.into()],
        vec!["state".into(), v.state.into()],
        vec!["api url".into(), v.api_url.clone()],
        vec!["scopes".into(), join(v.scopes)],
    ];
    let mut opt = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            rows.push(vec![key.into(), value]);
        }
    };
    opt("iclient", v.iclient);
    opt("granted scopes", v.granted_scopes.map(join));
    opt("store name", v.store_name.map(Into::into));
    opt("store domain", v.store_domain.map(Into::into));
    opt("authorized by", user(v.user));
    opt("store owner", user(v.owner));
    opt("account uuid", v.account_uuid.map(Into::into));
    opt("authorized at", v.authorized_at.map(Into::into));
    opt("last verified", v.last_verified_at.map(Into::into));
    opt(
        "token",
        c.token_store.map(|k| match c.state {
            crate::store::State::Authorized => format!(
                "******** (in {}; print it with `bcconn token {}`)",
                k.describe(),
                ui::shell_word(&c.name)
            ),
            // A dead token is kept until replaced, but is not offered.
            _ => format!(
                "no longer accepted by BigCommerce; get a new one with `bcconn authorize {}`",
                ui::shell_word(&c.name)
            ),
        }),
    );
    opt("superseded by", v.superseded_by);
    opt(
        "last error",
        v.last_error.map(|e| match v.last_error_at {
            Some(at) => format!("{e} ({at})"),
            None => e.to_string(),
        }),
    );
    for t in &v.storefront_tokens {
        let channels: Vec<String> = t.channels.iter().map(u64::to_string).collect();
        rows.push(vec![
            "storefront token".into(),
            format!(
                "{} ({}; channel{} {}; expires {}; ******** in {})",
                t.name,
                t.kind,
                if channels.len() == 1 { "" } else { "s" },
                channels.join(", "),
                t.expires_at,
                t.secret_store
            ),
        ]);
    }
    let concurrency = match v.borrow_concurrency_from {
        Some(lender) => format!("{} (borrowed from {lender})", v.effective_concurrency),
        None => v.concurrency.to_string(),
    };
    rows.push(vec!["concurrency".into(), concurrency]);
    rows.push(vec!["created".into(), v.created_at.into()]);
    rows.push(vec!["updated".into(), v.updated_at.into()]);
    // A hand-edited record, or BigCommerce's answer (store name, e-mails),
    // can hold ESC or run long: every value is escaped and bounded.
    for row in &mut rows {
        let max = match row[0].as_str() {
            "name" | "iclient" => crate::store::MAX_NAME + 16,
            _ => 2000,
        };
        row[1] = crate::text::outside(&row[1], max);
    }
    let width = ctx.ui.table_width(ctx.env.columns, false);
    ui::out(&ui::kv_fit(&rows, width))?;
    Ok(ExitStatus::Success)
}

/// Scopes as a line: the granted ones are BigCommerce's words, and either
/// list may have been edited by hand, so each is escaped and the line
/// bounded.
fn join(scopes: &[String]) -> String {
    if scopes.is_empty() {
        "-".into()
    } else {
        crate::bigcommerce::scopes::shown_list(scopes)
    }
}
