//! The catalog of BigCommerce OAuth scopes, and the rules for comparing them.
//!
//! BigCommerce publishes no machine-readable scope list and never rejects an
//! unknown scope up front: a typo only surfaces later as a 403 on some
//! endpoint. So the CLI carries its own catalog, taken from the store-resource,
//! token-creation and account-level tables of BigCommerce's API-accounts page
//! plus the few scopes that appear only in individual API reference specs, and
//! checks user input against it before anything is sent.
//!
//! Most store scopes come in pairs: a read-only scope and a stronger one
//! ("modify", sometimes "manage") whose grant includes reading. The pairing
//! is recorded per entry ([`Scope::read_only_twin`]) instead of being guessed
//! from names, because the names do not follow one pattern (`store_themes_manage`
//! pairs with `store_themes_read_only`, not `store_themes_manage_read_only`)
//! and several scopes have no partner at all. That one field drives
//! normalisation (drop a read-only scope made redundant by its twin) and the
//! check that a token's grant covers what was asked for.
//!
//! BigCommerce also adds `store_v2_default` and `users_basic_information` to
//! every grant. They are in the catalog so that a scope string copied from a
//! token response validates, but nothing here requests them on the user's
//! behalf.

/// The access level as the developer portal names it for a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    ReadOnly,
    Modify,
    Manage,
    Create,
    /// `store_infrastructure_deployments_create_preview`.
    CreatePreview,
    /// `store_metafield_write`, which the portal marks as the default.
    Standard,
    /// `store_metafield_write_all`.
    Full,
    /// Account-level `account_users_write`.
    Write,
    /// Account-level `account_users_delete`.
    Delete,
    /// The scopes BigCommerce adds to every grant ([`IMPLICIT`]).
    Default,
}

impl Level {
    /// Lower-case words, for labels such as "Products — modify".
    pub fn as_str(self) -> &'static str {
        match self {
            Level::ReadOnly => "read-only",
            Level::Modify => "modify",
            Level::Manage => "manage",
            Level::Create => "create",
            Level::CreatePreview => "create preview",
            Level::Standard => "standard",
            Level::Full => "full",
            Level::Write => "write",
            Level::Delete => "delete",
            Level::Default => "default",
        }
    }
}

/// Which kind of API account a scope belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Store resource scopes, including those documented only in API reference specs.
    Store,
    /// Scopes that let the app mint other tokens (payments, storefront).
    TokenCreation,
    /// Account-level API accounts and the GraphQL Account API; never on app tokens.
    Account,
    /// Added by BigCommerce to every grant; see [`IMPLICIT`].
    Implicit,
}

/// One catalog entry.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Scope {
    /// The string sent to and returned by BigCommerce.
    pub name: &'static str,
    /// The row name in the developer portal, e.g. "Products".
    pub label: &'static str,
    pub level: Level,
    pub description: &'static str,
    pub group: Group,
    /// For a modify/manage scope, the read-only scope its grant includes.
    pub read_only_twin: Option<&'static str>,
}

impl Scope {
    /// "Products — modify" style display label.
    pub fn display(&self) -> String {
        format!("{} — {}", self.label, self.level.as_str())
    }
}

mod catalog;
pub mod paths;

pub use catalog::{CATALOG, IMPLICIT};
use catalog::{KNOWN_MISNAMES, PRESETS};

/// Why a scope list was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum ScopeError {
    #[error("unknown scope {}{}", shown(name), did_you_mean(suggestion.as_deref()))]
    Unknown {
        name: String,
        suggestion: Option<String>,
    },
    #[error("no scopes given")]
    Empty,
}

/// The longest scope name shown whole (the longest real one is under 50).
const SHOWN_SCOPE: usize = 64;
/// How many scopes a list shown to a person names before "and N more".
const SHOWN_SCOPES: usize = 40;

/// A scope name from outside (typed, or in BigCommerce's answer) as a
/// message shows it: quoted, escaped, and cut short, so a 10,000-character
/// name cannot flood the terminal.
fn shown(name: &str) -> String {
    let count = name.chars().count();
    let head: String = name.chars().take(SHOWN_SCOPE).collect();
    if count > SHOWN_SCOPE {
        format!("{head:?}… ({count} characters)")
    } else {
        format!("{head:?}")
    }
}

/// Scopes from outside (BigCommerce's grant, a hand-edited record) as a
/// line shows them: space-separated, each escaped and bounded, the first
/// [`SHOWN_SCOPES`] and a count of the rest.
pub fn shown_list(scopes: &[String]) -> String {
    let mut out: Vec<String> = scopes
        .iter()
        .take(SHOWN_SCOPES)
        .map(|s| crate::text::outside(s, SHOWN_SCOPE))
        .collect();
    if scopes.len() > SHOWN_SCOPES {
        out.push(format!("… and {} more", scopes.len() - SHOWN_SCOPES));
    }
    out.join(" ")
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!("; did you mean {s:?}?"))
}

pub fn lookup(name: &str) -> Option<&'static Scope> {
    CATALOG.iter().find(|s| s.name == name)
}

/// The read-only twin of a modify scope, e.g. `store_v2_products` ->
/// `store_v2_products_read_only`. `None` for read-only scopes, scopes without
/// a twin, and unknown names.
pub fn read_only_twin(name: &str) -> Option<&'static str> {
    lookup(name)?.read_only_twin
}

/// The reverse of [`read_only_twin`]: the modify/manage scope whose grant
/// includes the read-only scope `name`.
pub fn modify_twin(name: &str) -> Option<&'static str> {
    CATALOG
        .iter()
        .find(|s| s.read_only_twin == Some(name))
        .map(|s| s.name)
}

/// Parse a user list "a,b c" (commas and/or whitespace), dedupe, refuse
/// unknown names with the nearest known one suggested, then normalize.
///
/// Names are matched case-insensitively (every real scope is lower case, so
/// this cannot be ambiguous) and returned in their canonical spelling.
pub fn parse_list(input: &str) -> Result<Vec<String>, ScopeError> {
    let names: Vec<String> = input
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    validate(&names)
}

/// Validate a list of names (as stored), same checks as [`parse_list`].
/// Blank entries are ignored; a list with nothing else is [`ScopeError::Empty`].
pub fn validate(names: &[String]) -> Result<Vec<String>, ScopeError> {
    let mut known = Vec::with_capacity(names.len());
    for raw in names {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        let found = lookup(name).or_else(|| lookup(&name.to_ascii_lowercase()));
        match found {
            Some(scope) => known.push(scope.name.to_owned()),
            None => {
                return Err(ScopeError::Unknown {
                    name: name.to_owned(),
                    // Nothing is near a name this long, and measuring the
                    // distance to every scope would take a while.
                    suggestion: (name.len() <= 4 * SHOWN_SCOPE)
                        .then(|| suggest(name))
                        .flatten()
                        .map(str::to_owned),
                });
            }
        }
    }
    if known.is_empty() {
        return Err(ScopeError::Empty);
    }
    Ok(normalize(&known))
}

/// The catalog name the user most likely meant, or `None` when nothing is
/// close enough to be a plausible typo (a wild guess is worse than none).
fn suggest(name: &str) -> Option<&'static str> {
    let wanted = name.to_ascii_lowercase().replace('-', "_");
    if let Some(scope) = lookup(&wanted) {
        return Some(scope.name);
    }
    if let Some((_, right)) = KNOWN_MISNAMES.iter().find(|(wrong, _)| *wrong == wanted) {
        return Some(right);
    }
    // People often type the portal's row name ("products") rather than the scope.
    for prefix in ["store_v2_", "store_"] {
        if let Some(scope) = lookup(&format!("{prefix}{wanted}")) {
            return Some(scope.name);
        }
    }
    CATALOG
        .iter()
        .map(|s| (strsim::damerau_levenshtein(&wanted, s.name), s.name))
        .filter(|&(distance, candidate)| {
            // About one edit per four characters: catches slips and a missing
            // `_read_only` underscore, not unrelated words that share `store_`.
            let allowed = (wanted.len().max(candidate.len()) / 4).max(2);
            distance <= allowed
        })
        // `min_by_key` keeps the first of equals, i.e. catalog order on ties.
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Keep the stronger of twins (drop `x_read_only` when `x` present), dedupe,
/// order as [`CATALOG`]. Names not in the catalog are kept, after the known
/// ones, in their original order: this function does not validate.
pub fn normalize(names: &[String]) -> Vec<String> {
    let has = |wanted: &str| names.iter().any(|n| n == wanted);
    let mut out: Vec<String> = CATALOG
        .iter()
        .filter(|s| has(s.name))
        .filter(|s| !modify_twin(s.name).is_some_and(has))
        .map(|s| s.name.to_owned())
        .collect();
    for name in names {
        if lookup(name).is_none() && !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

/// True when `granted` satisfies `requested`: exact, or a modify scope
/// satisfies its read-only twin. Never the other way round.
pub fn satisfied(requested: &str, granted: &[String]) -> bool {
    granted.iter().any(|g| g == requested)
        || modify_twin(requested).is_some_and(|stronger| granted.iter().any(|g| g == stronger))
}

/// Requested scopes that `granted` does not satisfy, in request order, once each.
pub fn missing(requested: &[String], granted: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in requested {
        if !satisfied(name, granted) && !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

/// All store + token-creation scopes, normalized (i.e. the modify/manage level
/// of each, which covers the read-only ones) — what `--all-scopes` requests.
/// Account-level scopes are left out because they belong to account-level API
/// accounts, not app tokens; implicit scopes because BigCommerce adds them anyway.
pub fn all_store_scopes() -> Vec<String> {
    let names: Vec<String> = CATALOG
        .iter()
        .filter(|s| matches!(s.group, Group::Store | Group::TokenCreation))
        .map(|s| s.name.to_owned())
        .collect();
    normalize(&names)
}

/// A named starting point for the interactive scope picker.
pub type Preset = (&'static str, &'static [&'static str]);

/// Presets for the wizard, as `(title, scopes)`; each scope list is already
/// normalized and in catalog order.
///
/// * "Read-only everything": every read-only store scope, for reporting and
///   exports that must not be able to change anything.
/// * "Catalog": manage products, inventory and channel listings, reading the
///   channels and locations they refer to.
/// * "Orders": process orders and fulfillments, reading the customers,
///   fulfillment methods and transactions that order handling looks up.
///
/// Static data rather than a computed list so the wizard can borrow it;
/// the tests check it against the catalog.
pub fn presets() -> &'static [Preset] {
    PRESETS
}

#[cfg(test)]
mod tests;
