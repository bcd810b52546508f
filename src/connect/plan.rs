//! A new connection, planned: flags and the walk-through fill a [`Draft`]
//! (a plan with holes); [`Draft::complete`] is the one place a [`Plan`] is
//! made from it. A plan is an enum over the auth type, so an OAuth plan
//! always has scopes and an iClient and a token plan always has a token.

use std::path::PathBuf;

use anyhow::Result;
use secrecy::SecretString;

use super::iclients::{IClientEdit, NewIClient};
use crate::bigcommerce::scopes;
use crate::bigcommerce::store_hash::StoreHash;
use crate::error::usage;
use crate::store::{AuthType, Connection, Tx};

/// Which iClient a new connection uses.
pub enum IClientPick {
    Existing(String),
    New(NewIClient),
    /// A saved iClient with changes the walk-through collected (the form's
    /// pencil button), saved with the connection.
    Edited {
        name: String,
        edit: IClientEdit,
    },
}

/// Where a token-type connection's token comes from.
pub enum TokenSource {
    Stdin,
    File(PathBuf),
    Env,
    /// Typed at the hidden prompt (or read from a file) by the wizard.
    Given(SecretString),
}

/// What to do once an OAuth connection is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Authorize,
    SaveOnly,
}

/// A plan with holes: what the flags gave. The wizard fills the holes.
#[derive(Default)]
pub struct Draft {
    pub name: Option<String>,
    pub auth_type: Option<AuthType>,
    pub store_hash: Option<StoreHash>,
    pub scopes: Option<Vec<String>>,
    pub iclient: Option<IClientPick>,
    pub concurrency: Option<u8>,
    pub borrow_from: Option<String>,
    pub token: Option<TokenSource>,
    pub after: Option<After>,
}

/// How a planned connection authenticates.
pub enum Auth {
    OAuth {
        scopes: Vec<String>,
        iclient: IClientPick,
        after: After,
    },
    Token(TokenSource),
}

/// A complete plan.
pub struct Plan {
    pub name: String,
    pub store_hash: StoreHash,
    pub concurrency: u8,
    pub borrow_from: Option<String>,
    pub auth: Auth,
}

impl Plan {
    pub fn auth_type(&self) -> AuthType {
        match self.auth {
            Auth::OAuth { .. } => AuthType::Oauth2,
            Auth::Token(_) => AuthType::Token,
        }
    }

    /// The requested scopes (none for a token connection).
    pub fn scopes(&self) -> &[String] {
        match &self.auth {
            Auth::OAuth { scopes, .. } => scopes,
            Auth::Token(_) => &[],
        }
    }

    pub fn iclient(&self) -> Option<&IClientPick> {
        match &self.auth {
            Auth::OAuth { iclient, .. } => Some(iclient),
            Auth::Token(_) => None,
        }
    }

    /// What follows saving (a token connection is always verified on save).
    pub fn after(&self) -> After {
        match &self.auth {
            Auth::OAuth { after, .. } => *after,
            Auth::Token(_) => After::Authorize,
        }
    }

    pub fn token(&self) -> Option<&TokenSource> {
        match &self.auth {
            Auth::OAuth { .. } => None,
            Auth::Token(source) => Some(source),
        }
    }

    /// The record for this plan, checked against the current records.
    pub fn connection(&self, iclient_id: Option<String>, file: &Tx) -> Result<Connection> {
        file.check_connection_name_free(&self.name, None)?;
        let borrow = match &self.borrow_from {
            Some(lender) => Some(file.check_borrow(None, &self.name, lender)?),
            None => None,
        };
        let scopes = match &self.auth {
            Auth::OAuth { scopes, .. } if scopes.is_empty() => {
                return Err(usage("no scopes given")
                    .hint("pass --scopes a,b or --all-scopes")
                    .into());
            }
            Auth::OAuth { scopes, .. } => scopes.clone(),
            Auth::Token(_) => Vec::new(),
        };
        Ok(Connection {
            scopes,
            iclient_id,
            concurrency: self.concurrency,
            borrow_concurrency_from: borrow,
            ..Connection::pending(&self.name, self.auth_type(), self.store_hash.clone())
        })
    }
}

impl Draft {
    /// Completes the draft without asking; names the flags that are missing.
    pub fn complete(self) -> Result<Plan> {
        let auth_type = self.auth_type.unwrap_or(AuthType::Oauth2);
        let mut missing = Vec::new();
        if self.name.is_none() {
            missing.push("NAME");
        }
        if self.store_hash.is_none() {
            missing.push("--store-hash HASH");
        }
        match auth_type {
            AuthType::Oauth2 => {
                if self.scopes.is_none() {
                    missing.push("--scopes a,b (or --all-scopes)");
                }
                if self.iclient.is_none() {
                    missing.push("--iclient NAME");
                }
            }
            AuthType::Token => {
                if self.token.is_none() {
                    missing.push("--access-token-stdin (or --api-credentials-file FILE, or BCCONN_ACCESS_TOKEN)");
                }
            }
        }
        let (Some(name), Some(store_hash), true) = (self.name, self.store_hash, missing.is_empty())
        else {
            return Err(usage(format!("missing {}", missing.join(", ")))
                .hint("pass them as flags, or run `bcconn create` in a terminal to be asked")
                .into());
        };
        let auth = match (auth_type, self.scopes, self.iclient, self.token) {
            (AuthType::Oauth2, Some(scopes), Some(iclient), _) => Auth::OAuth {
                scopes,
                iclient,
                after: self.after.unwrap_or(After::Authorize),
            },
            (AuthType::Token, _, _, Some(token)) => Auth::Token(token),
            _ => unreachable!("every hole was named as missing above"),
        };
        Ok(Plan {
            name,
            store_hash,
            concurrency: self.concurrency.unwrap_or(1),
            borrow_from: self.borrow_from,
            auth,
        })
    }
}

/// `--scopes`/`--all-scopes` as a normalized list (None: neither given).
pub fn requested_scopes(list: Option<&str>, all: bool) -> Result<Option<Vec<String>>> {
    if all {
        return Ok(Some(scopes::all_store_scopes()));
    }
    match list {
        None => Ok(None),
        Some(text) => {
            let list = scopes::parse_list(text).map_err(|e| {
                let hint = match e {
                    scopes::ScopeError::Unknown { .. } => "`bcconn scopes` lists every scope",
                    scopes::ScopeError::Empty => "pass --scopes a,b or --all-scopes",
                };
                usage(e.to_string()).hint(hint)
            })?;
            // Account-level scopes belong to account API accounts; an app
            // token can never carry them, so asking for one is a mistake.
            if let Some(s) = list
                .iter()
                .filter_map(|s| scopes::lookup(s))
                .find(|s| s.group == scopes::Group::Account)
            {
                return Err(usage(format!(
                    "{} is an account-level scope; store connections cannot have it",
                    s.name
                ))
                .hint("account-level scopes are for account API accounts (bcconn manages store connections); see `bcconn scopes`")
                .into());
            }
            Ok(Some(list))
        }
    }
}
