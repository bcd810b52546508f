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

const fn scope(
    name: &'static str,
    label: &'static str,
    level: Level,
    group: Group,
    read_only_twin: Option<&'static str>,
    description: &'static str,
) -> Scope {
    Scope {
        name,
        label,
        level,
        description,
        group,
        read_only_twin,
    }
}

use Group::{Account, Implicit, Store, TokenCreation};
// `Level::Default` stays qualified so the prelude's `Default` is not shadowed.
use Level::{Create, CreatePreview, Delete, Full, Manage, Modify, ReadOnly, Standard, Write};

/// Every known scope, in the order of BigCommerce's tables: store scopes,
/// token-creation scopes, store scopes found only in API reference specs,
/// account-level scopes, then the implicit ones.
#[rustfmt::skip]
pub static CATALOG: &[Scope] = &[
    // Store resource scopes.
    scope("store_app_extensions_manage", "App Extensions", Manage, Store, None,
        "Manage App Extensions (needs an app-level API account)"),
    scope("store_cart", "Carts", Modify, Store, Some("store_cart_read_only"),
        "View and modify carts"),
    scope("store_cart_read_only", "Carts", ReadOnly, Store, None,
        "View carts"),
    scope("store_channel_settings", "Channel Settings", Modify, Store,
        Some("store_channel_settings_read_only"),
        "View and modify the list of channels"),
    scope("store_channel_settings_read_only", "Channel Settings", ReadOnly, Store, None,
        "View the list of channels"),
    scope("store_channel_listings", "Channel Listings", Modify, Store,
        Some("store_channel_listings_read_only"),
        "View and modify all listings of a channel"),
    scope("store_channel_listings_read_only", "Channel Listings", ReadOnly, Store, None,
        "View channel listings"),
    scope("store_checkout", "Checkouts", Modify, Store, Some("store_checkout_read_only"),
        "View and modify checkouts"),
    scope("store_checkout_read_only", "Checkouts", ReadOnly, Store, None,
        "View checkout content"),
    scope("store_content_checkout", "Checkout Content", Modify, Store,
        Some("store_content_checkout_read_only"),
        "View and modify scripts on checkout pages"),
    scope("store_content_checkout_read_only", "Checkout Content", ReadOnly, Store, None,
        "View scripts on checkout pages"),
    scope("store_v2_content", "Content", Modify, Store, Some("store_v2_content_read_only"),
        "View and modify pages, blog posts, redirects and widgets"),
    scope("store_v2_content_read_only", "Content", ReadOnly, Store, None,
        "View pages, blog posts, redirects and widgets"),
    scope("store_v2_customers", "Customers", Modify, Store, Some("store_v2_customers_read_only"),
        "View and modify customers"),
    scope("store_v2_customers_read_only", "Customers", ReadOnly, Store, None,
        "View customers"),
    scope("store_v2_customers_login", "Customers Login", Modify, Store, None,
        "Sign customers in to the storefront"),
    scope("store_fulfillment_methods_manage", "Fulfillment Methods", Modify, Store,
        Some("store_fulfillment_methods_read_only"),
        "View and modify order fulfillment methods"),
    scope("store_fulfillment_methods_read_only", "Fulfillment Methods", ReadOnly, Store, None,
        "View order fulfillment methods"),
    scope("store_v2_information", "Information & Settings", Modify, Store,
        Some("store_v2_information_read_only"),
        "View and modify store information and settings"),
    scope("store_v2_information_read_only", "Information & Settings", ReadOnly, Store, None,
        "View store information and settings"),
    scope("store_v2_marketing", "Marketing", Modify, Store, Some("store_v2_marketing_read_only"),
        "View and modify marketing data (coupons, promotions, gift certificates)"),
    scope("store_v2_marketing_read_only", "Marketing", ReadOnly, Store, None,
        "View marketing data"),
    scope("store_metafield_change_owner", "Metafield Ownership", Manage, Store, None,
        "Change which API account owns a metafield"),
    scope("store_metafield_write", "Metafields Access", Standard, Store, None,
        "Create and manage the metafields this API account owns"),
    scope("store_metafield_write_all", "Metafields Access", Full, Store, None,
        "Manage every metafield, including other accounts' app-only ones"),
    scope("store_v2_orders", "Orders", Modify, Store, Some("store_v2_orders_read_only"),
        "View and modify orders"),
    scope("store_v2_orders_read_only", "Orders", ReadOnly, Store, None,
        "View orders"),
    scope("store_order_fulfillment_manage", "Order Fulfillment", Modify, Store,
        Some("store_order_fulfillment_read_only"),
        "View and modify order fulfillments"),
    scope("store_order_fulfillment_read_only", "Order Fulfillment", ReadOnly, Store, None,
        "View order fulfillments"),
    scope("store_v2_transactions", "Order Transactions", Modify, Store,
        Some("store_v2_transactions_read_only"),
        "View and modify order transactions"),
    scope("store_v2_transactions_read_only", "Order Transactions", ReadOnly, Store, None,
        "View order transactions"),
    scope("store_payments_methods_read", "Payments – Get accepted methods", ReadOnly, Store, None,
        "List the payment methods a checkout accepts"),
    scope("store_v2_products", "Products", Modify, Store, Some("store_v2_products_read_only"),
        "View and modify products, brands, categories and price lists"),
    scope("store_v2_products_read_only", "Products", ReadOnly, Store, None,
        "View products, brands, categories and price lists"),
    scope("store_sites", "Sites & Routes", Modify, Store, Some("store_sites_read_only"),
        "View and modify sites and routes"),
    scope("store_sites_read_only", "Sites & Routes", ReadOnly, Store, None,
        "View sites and routes"),
    scope("store_inventory", "Store Inventory", Modify, Store, Some("store_inventory_read_only"),
        "View and modify inventory"),
    scope("store_inventory_read_only", "Store Inventory", ReadOnly, Store, None,
        "View inventory"),
    scope("store_locations", "Store Locations", Modify, Store, Some("store_locations_read_only"),
        "View and modify locations"),
    scope("store_locations_read_only", "Store Locations", ReadOnly, Store, None,
        "View locations"),
    scope("store_stored_payment_instruments", "Stored Payment Instruments", Modify, Store,
        Some("store_stored_payment_instruments_read_only"),
        "View and modify customers' stored payment instruments"),
    scope("store_stored_payment_instruments_read_only", "Stored Payment Instruments", ReadOnly,
        Store, None,
        "View customers' stored payment instruments"),
    scope("store_translations", "Store Translations", Modify, Store,
        Some("store_translations_read_only"),
        "View and modify translations"),
    scope("store_translations_read_only", "Store Translations", ReadOnly, Store, None,
        "View translations"),
    scope("store_themes_manage", "Themes", Modify, Store, Some("store_themes_read_only"),
        "View and modify themes"),
    scope("store_themes_read_only", "Themes", ReadOnly, Store, None,
        "View themes"),
    // Token creation scopes.
    scope("store_payments_access_token_create", "Create Payments", Create, TokenCreation, None,
        "Create payment access tokens and process payments"),
    scope("store_storefront_api", "Storefront API Tokens", Manage, TokenCreation, None,
        "Create GraphQL Storefront API tokens"),
    scope("store_storefront_api_customer_impersonation",
        "Storefront API Customer Impersonation Tokens", Manage, TokenCreation, None,
        "Create Storefront API tokens that act as a given customer"),
    // Store scopes documented only in API reference specs.
    scope("store_logs_read_only", "Store logs", ReadOnly, Store, None,
        "View the store's system logs"),
    scope("store_infrastructure_deployments_read_only", "Infrastructure Deployments", ReadOnly,
        Store, None,
        "View hosting deployments"),
    scope("store_infrastructure_deployments_create_preview", "Infrastructure Deployments",
        CreatePreview, Store, None,
        "Create preview hosting deployments"),
    scope("store_infrastructure_deployments_manage", "Infrastructure Deployments", Manage, Store,
        Some("store_infrastructure_deployments_read_only"),
        "View and manage hosting deployments"),
    scope("store_infrastructure_projects_read_only", "Infrastructure Projects", ReadOnly, Store,
        None,
        "View hosting projects"),
    scope("store_infrastructure_projects_manage", "Infrastructure Projects", Manage, Store,
        Some("store_infrastructure_projects_read_only"),
        "View and manage hosting projects"),
    scope("store_infrastructure_logs_read_only", "Infrastructure Logs", ReadOnly, Store, None,
        "Tail hosting worker logs"),
    // Account-level scopes. No twins: the docs give levels but do not say
    // that e.g. `account_users_write` includes `account_users_read`, and a
    // wrong pairing would silently drop a scope during normalisation.
    scope("account_read", "Account", ReadOnly, Account, None,
        "View the account"),
    scope("account_apps_read", "Account Apps", ReadOnly, Account, None,
        "View the account's apps"),
    scope("account_checkouts_read", "Account Checkouts", ReadOnly, Account, None,
        "View account checkouts"),
    scope("account_checkouts_create", "Account Checkouts", Modify, Account, None,
        "Create account checkouts"),
    scope("account_stores_read", "Account Stores", ReadOnly, Account, None,
        "View the account's stores"),
    scope("account_subscriptions_read", "Account Subscriptions", ReadOnly, Account, None,
        "View account subscriptions"),
    scope("account_subscriptions_cancel", "Account Subscriptions", Modify, Account, None,
        "Cancel account subscriptions"),
    scope("account_users_read", "Account Users", ReadOnly, Account, None,
        "View account users"),
    scope("account_users_write", "Account Users", Write, Account, None,
        "Add and update account users"),
    scope("account_users_delete", "Account Users", Delete, Account, None,
        "Remove account users"),
    // Implicit scopes.
    scope("store_v2_default", "Default", Level::Default, Implicit, None,
        "Baseline access every token gets, including webhooks"),
    scope("users_basic_information", "Users basic information", Level::Default, Implicit, None,
        "Basic details of the user who installed the app"),
];

/// BigCommerce adds these to every grant.
pub const IMPLICIT: &[&str] = &["store_v2_default", "users_basic_information"];

/// Strings that appear in BigCommerce's own docs or in third-party code but
/// are not what the API-accounts page (and real token responses) use. Never
/// accepted; only offered as a suggestion, since edit distance alone misses
/// some of them (`store_checkout_content` vs `store_content_checkout`).
const KNOWN_MISNAMES: &[(&str, &str)] = &[
    ("store_checkouts", "store_checkout"),
    ("store_checkouts_read_only", "store_checkout_read_only"),
    ("store_checkout_content", "store_content_checkout"),
    (
        "store_checkout_content_read_only",
        "store_content_checkout_read_only",
    ),
    ("store_v2_checkouts", "store_checkout"),
    ("store_v2_order_transactions", "store_v2_transactions"),
];

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

static PRESETS: &[Preset] = &[
    (
        "Read-only everything",
        &[
            "store_cart_read_only",
            "store_channel_settings_read_only",
            "store_channel_listings_read_only",
            "store_checkout_read_only",
            "store_content_checkout_read_only",
            "store_v2_content_read_only",
            "store_v2_customers_read_only",
            "store_fulfillment_methods_read_only",
            "store_v2_information_read_only",
            "store_v2_marketing_read_only",
            "store_v2_orders_read_only",
            "store_order_fulfillment_read_only",
            "store_v2_transactions_read_only",
            "store_payments_methods_read",
            "store_v2_products_read_only",
            "store_sites_read_only",
            "store_inventory_read_only",
            "store_locations_read_only",
            "store_stored_payment_instruments_read_only",
            "store_translations_read_only",
            "store_themes_read_only",
            "store_logs_read_only",
            "store_infrastructure_deployments_read_only",
            "store_infrastructure_projects_read_only",
            "store_infrastructure_logs_read_only",
        ],
    ),
    (
        "Catalog",
        &[
            "store_channel_settings_read_only",
            "store_channel_listings",
            "store_v2_products",
            "store_inventory",
            "store_locations_read_only",
        ],
    ),
    (
        "Orders",
        &[
            "store_v2_customers_read_only",
            "store_fulfillment_methods_read_only",
            "store_v2_orders",
            "store_order_fulfillment_manage",
            "store_v2_transactions_read_only",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn catalog_names_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for s in CATALOG {
            assert!(seen.insert(s.name), "duplicate {}", s.name);
            assert!(
                s.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                s.name
            );
            assert!(
                !s.description.trim().is_empty(),
                "{} has no description",
                s.name
            );
            assert!(!s.label.trim().is_empty(), "{} has no label", s.name);
        }
    }

    #[test]
    fn catalog_covers_the_reference_tables() {
        assert_eq!(
            CATALOG.iter().filter(|s| s.group == Group::Store).count(),
            53
        );
        assert_eq!(
            CATALOG
                .iter()
                .filter(|s| s.group == Group::TokenCreation)
                .count(),
            3
        );
        assert_eq!(
            CATALOG.iter().filter(|s| s.group == Group::Account).count(),
            10
        );
        for name in IMPLICIT {
            assert_eq!(
                lookup(name).map(|s| s.group),
                Some(Group::Implicit),
                "{name}"
            );
        }
        assert_eq!(
            CATALOG
                .iter()
                .filter(|s| s.group == Group::Implicit)
                .count(),
            2
        );
        assert_eq!(
            CATALOG.first().map(|s| s.name),
            Some("store_app_extensions_manage")
        );
    }

    #[test]
    fn every_twin_exists_is_read_only_and_pairs_once() {
        let mut twins = HashSet::new();
        for s in CATALOG {
            let Some(twin) = s.read_only_twin else {
                continue;
            };
            let t = lookup(twin).unwrap_or_else(|| panic!("{}'s twin {twin} missing", s.name));
            assert_eq!(t.level, Level::ReadOnly, "{twin}");
            assert_eq!(t.read_only_twin, None, "{twin}");
            assert_eq!(t.group, s.group, "{twin}");
            assert_eq!(t.label, s.label, "{twin}");
            assert_ne!(s.level, Level::ReadOnly, "{}", s.name);
            assert!(twins.insert(twin), "{twin} is the twin of two scopes");
        }
    }

    #[test]
    fn no_pairing_is_forgotten() {
        // Wherever the naming conventions point at a partner that exists,
        // the data must record the pairing.
        for s in CATALOG.iter().filter(|s| s.level == Level::ReadOnly) {
            let Some(stem) = s.name.strip_suffix("_read_only") else {
                continue;
            };
            for candidate in [stem.to_owned(), format!("{stem}_manage")] {
                if lookup(&candidate).is_some() {
                    assert_eq!(modify_twin(s.name), Some(lookup(&candidate).unwrap().name));
                }
            }
        }
    }

    #[test]
    fn twins_from_data() {
        assert_eq!(
            read_only_twin("store_v2_products"),
            Some("store_v2_products_read_only")
        );
        assert_eq!(
            read_only_twin("store_themes_manage"),
            Some("store_themes_read_only")
        );
        assert_eq!(
            read_only_twin("store_fulfillment_methods_manage"),
            Some("store_fulfillment_methods_read_only")
        );
        assert_eq!(
            read_only_twin("store_order_fulfillment_manage"),
            Some("store_order_fulfillment_read_only")
        );
        assert_eq!(
            modify_twin("store_themes_read_only"),
            Some("store_themes_manage")
        );
        assert_eq!(
            modify_twin("store_order_fulfillment_read_only"),
            Some("store_order_fulfillment_manage")
        );
        assert_eq!(modify_twin("store_cart_read_only"), Some("store_cart"));
        for lone in [
            "store_app_extensions_manage",
            "store_v2_customers_login",
            "store_metafield_write",
            "store_metafield_write_all",
            "store_payments_methods_read",
            "store_storefront_api",
            "store_logs_read_only",
            "account_users_write",
            "store_v2_default",
        ] {
            assert_eq!(read_only_twin(lone), None, "{lone}");
            assert_eq!(modify_twin(lone), None, "{lone}");
        }
        assert_eq!(read_only_twin("store_v2_products_read_only"), None);
        assert_eq!(read_only_twin("nonsense"), None);
        assert_eq!(modify_twin("nonsense"), None);
    }

    #[test]
    fn display_labels() {
        assert_eq!(
            lookup("store_v2_products").unwrap().display(),
            "Products — modify"
        );
        assert_eq!(
            lookup("store_themes_read_only").unwrap().display(),
            "Themes — read-only"
        );
        assert_eq!(
            lookup("store_v2_default").unwrap().display(),
            "Default — default"
        );
    }

    #[test]
    fn parse_list_splits_on_commas_and_whitespace_and_dedupes() {
        assert_eq!(
            parse_list("store_v2_orders, store_v2_products\tstore_cart,,store_v2_orders\n")
                .unwrap(),
            strings(&["store_cart", "store_v2_orders", "store_v2_products"])
        );
        assert_eq!(
            parse_list("  store_v2_products_read_only  ").unwrap(),
            strings(&["store_v2_products_read_only"])
        );
    }

    #[test]
    fn parse_list_is_case_insensitive() {
        assert_eq!(
            parse_list("STORE_V2_Products").unwrap(),
            strings(&["store_v2_products"])
        );
    }

    #[test]
    fn parse_list_normalizes() {
        assert_eq!(
            parse_list("store_v2_products_read_only store_v2_products store_themes_read_only")
                .unwrap(),
            strings(&["store_v2_products", "store_themes_read_only"])
        );
    }

    #[test]
    fn parse_list_accepts_implicit_and_account_scopes() {
        assert_eq!(
            parse_list("users_basic_information store_v2_default account_read").unwrap(),
            strings(&[
                "account_read",
                "store_v2_default",
                "users_basic_information"
            ])
        );
    }

    #[test]
    fn empty_input_is_refused() {
        for input in ["", "   ", ",, ,\n"] {
            let e = parse_list(input).unwrap_err();
            assert_eq!(e, ScopeError::Empty);
            assert_eq!(e.to_string(), "no scopes given");
        }
        assert_eq!(validate(&[]), Err(ScopeError::Empty));
        assert_eq!(validate(&strings(&[" "])), Err(ScopeError::Empty));
    }

    #[test]
    fn typo_gets_a_suggestion() {
        let e = parse_list("store_v2_orders,store_v2_product").unwrap_err();
        assert_eq!(
            e,
            ScopeError::Unknown {
                name: "store_v2_product".into(),
                suggestion: Some("store_v2_products".into()),
            }
        );
        assert_eq!(
            e.to_string(),
            "unknown scope \"store_v2_product\"; did you mean \"store_v2_products\"?"
        );
    }

    #[test]
    fn more_suggestions() {
        let suggestion = |input: &str| match parse_list(input) {
            Err(ScopeError::Unknown { suggestion, .. }) => suggestion,
            other => panic!("{input}: {other:?}"),
        };
        assert_eq!(
            suggestion("store_v2_orders_readonly").as_deref(),
            Some("store_v2_orders_read_only")
        );
        assert_eq!(
            suggestion("store_storefront-api").as_deref(),
            Some("store_storefront_api")
        );
        assert_eq!(
            suggestion("store_checkout_content").as_deref(),
            Some("store_content_checkout")
        );
        assert_eq!(
            suggestion("store_v2_order_transactions").as_deref(),
            Some("store_v2_transactions")
        );
        assert_eq!(suggestion("products").as_deref(), Some("store_v2_products"));
        assert_eq!(
            suggestion("themes_manage").as_deref(),
            Some("store_themes_manage")
        );
        assert_eq!(
            suggestion("store_invetory").as_deref(),
            Some("store_inventory")
        );
    }

    #[test]
    fn garbage_gets_no_suggestion() {
        for input in [
            "xyzzy",
            "banana",
            "store_everything_please",
            "store_v2_settings_x",
        ] {
            let e = parse_list(input).unwrap_err();
            assert_eq!(
                e,
                ScopeError::Unknown {
                    name: input.into(),
                    suggestion: None
                },
                "{input}"
            );
            assert_eq!(e.to_string(), format!("unknown scope \"{input}\""));
        }
    }

    #[test]
    fn unknown_scopes_are_shown_bounded_and_escaped() {
        let huge = "x".repeat(10_000);
        let e = parse_list(&huge).unwrap_err().to_string();
        assert!(e.len() < 120, "{e}");
        assert!(e.ends_with("… (10000 characters)"), "{e}");
        let e = parse_list("a\u{1b}[2Jb").unwrap_err().to_string();
        assert_eq!(e, "unknown scope \"a\\u{1b}[2Jb\"");
        let many: Vec<String> = (0..100).map(|i| format!("s{i}\u{7}")).collect();
        let line = shown_list(&many);
        assert!(line.ends_with("… and 60 more"), "{line}");
        assert!(!line.contains('\u{7}'), "{line}");
    }

    #[test]
    fn validate_matches_parse_list() {
        assert_eq!(
            validate(&strings(&[
                "store_v2_orders_read_only",
                "store_v2_orders",
                "store_cart"
            ])),
            Ok(strings(&["store_cart", "store_v2_orders"]))
        );
        assert!(matches!(
            validate(&strings(&["store_v2_orders", "nope"])),
            Err(ScopeError::Unknown { .. })
        ));
    }

    #[test]
    fn normalize_keeps_the_stronger_twin_in_catalog_order() {
        assert_eq!(
            normalize(&strings(&[
                "store_themes_read_only",
                "store_v2_orders",
                "store_themes_manage",
                "store_v2_orders_read_only",
                "store_cart_read_only",
                "store_v2_orders",
            ])),
            strings(&[
                "store_cart_read_only",
                "store_v2_orders",
                "store_themes_manage"
            ])
        );
        // Levels that are not twins are both kept.
        assert_eq!(
            normalize(&strings(&[
                "store_metafield_write_all",
                "store_metafield_write"
            ])),
            strings(&["store_metafield_write", "store_metafield_write_all"])
        );
        assert_eq!(
            normalize(&strings(&["zzz", "store_cart", "aaa", "zzz"])),
            strings(&["store_cart", "zzz", "aaa"])
        );
        assert!(normalize(&[]).is_empty());
    }

    #[test]
    fn satisfied_rules() {
        let granted = strings(&[
            "store_v2_products",
            "store_themes_manage",
            "store_v2_default",
        ]);
        assert!(satisfied("store_v2_products", &granted));
        assert!(satisfied("store_v2_products_read_only", &granted));
        assert!(satisfied("store_themes_read_only", &granted));
        assert!(satisfied("store_v2_default", &granted));
        assert!(!satisfied("store_v2_orders_read_only", &granted));

        let read_only = strings(&["store_v2_products_read_only"]);
        assert!(!satisfied("store_v2_products", &read_only));
        assert!(satisfied("store_v2_products_read_only", &read_only));
        assert!(!satisfied("store_v2_products", &[]));
    }

    #[test]
    fn missing_lists_unsatisfied_requests() {
        let requested = strings(&[
            "store_v2_products_read_only",
            "store_v2_orders",
            "store_themes_read_only",
            "store_v2_orders",
            "store_cart",
        ]);
        let granted = strings(&[
            "store_v2_products",
            "store_v2_orders_read_only",
            "store_cart",
        ]);
        assert_eq!(
            missing(&requested, &granted),
            strings(&["store_v2_orders", "store_themes_read_only"])
        );
        assert!(missing(&requested, &requested).is_empty());
        assert!(missing(&[], &granted).is_empty());
    }

    #[test]
    fn all_store_scopes_covers_every_store_scope() {
        let all = all_store_scopes();
        assert_eq!(all, normalize(&all));
        for s in CATALOG {
            let covered = satisfied(s.name, &all);
            match s.group {
                Group::Store | Group::TokenCreation => assert!(covered, "{} not covered", s.name),
                Group::Account | Group::Implicit => {
                    assert!(!all.iter().any(|n| n == s.name), "{} included", s.name)
                }
            }
        }
        // Read-only scopes are covered by their twins rather than listed.
        assert!(!all.iter().any(|n| n == "store_v2_products_read_only"));
        assert!(all.iter().any(|n| n == "store_v2_products"));
        assert!(all.iter().any(|n| n == "store_logs_read_only"));
        assert!(all.iter().any(|n| n == "store_storefront_api"));
    }

    #[test]
    fn presets_are_valid_and_normalized() {
        let presets = presets();
        let titles: Vec<&str> = presets.iter().map(|(t, _)| *t).collect();
        assert_eq!(titles, ["Read-only everything", "Catalog", "Orders"]);
        for (title, scopes) in presets {
            let names = strings(scopes);
            assert_eq!(validate(&names), Ok(names.clone()), "{title}");
            for name in &names {
                assert_eq!(lookup(name).map(|s| s.group), Some(Group::Store), "{name}");
            }
        }
    }

    #[test]
    fn read_only_preset_is_every_read_only_store_scope() {
        let derived: Vec<&str> = CATALOG
            .iter()
            .filter(|s| s.group == Group::Store && s.level == Level::ReadOnly)
            .map(|s| s.name)
            .collect();
        assert_eq!(presets()[0].1, derived.as_slice());
    }

    #[test]
    fn scope_serializes_for_json_output() {
        let json = serde_json::to_value(lookup("store_themes_manage").unwrap()).unwrap();
        assert_eq!(json["name"], "store_themes_manage");
        assert_eq!(json["level"], "modify");
        assert_eq!(json["group"], "store");
        assert_eq!(json["read_only_twin"], "store_themes_read_only");
        assert_eq!(
            serde_json::to_value(Group::TokenCreation).unwrap(),
            "token_creation"
        );
        assert_eq!(serde_json::to_value(Level::ReadOnly).unwrap(), "read_only");
    }
}
