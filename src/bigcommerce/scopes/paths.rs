//! Which scopes open which store API paths, for a 403.
//!
//! BigCommerce's 403 says only "You don't have a required scope to access
//! the endpoint" and names none, and it gives the same answer to a token of
//! another store (protocol notes §6). To say which scope is missing, bcconn
//! carries this table: API path prefixes (under `/stores/{hash}/`) and the
//! read-only and modify scopes that open them. Its source is the "OAuth
//! scopes" table of each API's reference spec in BigCommerce's docs
//! repository (`reference/*.yml`), read with the scope names of the
//! API-accounts page where the two disagree (`store_checkout`, not the
//! checkouts spec's `store_checkouts`; protocol notes §5.2). Webhooks need
//! no scope of their own: "Create and manage webhooks with the default
//! scope of an API account" (`reference/webhooks.v3.yml`).
//!
//! A read (GET, HEAD) is opened by either scope of a pair, a write only by
//! the modify one. The longest matching prefix wins, so a sub-resource with
//! a scope of its own (`v3/orders/*/transactions`) is listed apart from its
//! parent.

/// The two levels of one scope row of the developer portal. Some rows have
/// only one: a read-only API (`store_logs_read_only`) or a scope that only
/// creates (`store_storefront_api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub read_only: Option<&'static str>,
    pub modify: Option<&'static str>,
}

/// What a path needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// One of these rows (most paths have one; scripts have two).
    Any(&'static [Pair]),
    /// Only the default scope BigCommerce gives every token (webhooks).
    Default,
}

const fn both(read_only: &'static str, modify: &'static str) -> Pair {
    Pair {
        read_only: Some(read_only),
        modify: Some(modify),
    }
}

const PRODUCTS: Need = Need::Any(&[both("store_v2_products_read_only", "store_v2_products")]);
const ORDERS: Need = Need::Any(&[both("store_v2_orders_read_only", "store_v2_orders")]);
const TRANSACTIONS: Need = Need::Any(&[both(
    "store_v2_transactions_read_only",
    "store_v2_transactions",
)]);
const ORDER_FULFILLMENT: Need = Need::Any(&[both(
    "store_order_fulfillment_read_only",
    "store_order_fulfillment_manage",
)]);
const FULFILLMENT_METHODS: Need = Need::Any(&[both(
    "store_fulfillment_methods_read_only",
    "store_fulfillment_methods_manage",
)]);
const CUSTOMERS: Need = Need::Any(&[both("store_v2_customers_read_only", "store_v2_customers")]);
const STORED_INSTRUMENTS: Need = Need::Any(&[both(
    "store_stored_payment_instruments_read_only",
    "store_stored_payment_instruments",
)]);
const CONTENT: Need = Need::Any(&[both("store_v2_content_read_only", "store_v2_content")]);
const SCRIPTS: Need = Need::Any(&[
    both("store_v2_content_read_only", "store_v2_content"),
    both("store_content_checkout_read_only", "store_content_checkout"),
]);
const MARKETING: Need = Need::Any(&[both("store_v2_marketing_read_only", "store_v2_marketing")]);
const INFORMATION: Need = Need::Any(&[both(
    "store_v2_information_read_only",
    "store_v2_information",
)]);
const THEMES: Need = Need::Any(&[both("store_themes_read_only", "store_themes_manage")]);
const CARTS: Need = Need::Any(&[both("store_cart_read_only", "store_cart")]);
const CHECKOUTS: Need = Need::Any(&[both("store_checkout_read_only", "store_checkout")]);
const CHANNEL_SETTINGS: Need = Need::Any(&[both(
    "store_channel_settings_read_only",
    "store_channel_settings",
)]);
const CHANNEL_LISTINGS: Need = Need::Any(&[both(
    "store_channel_listings_read_only",
    "store_channel_listings",
)]);
const SITES: Need = Need::Any(&[both("store_sites_read_only", "store_sites")]);
const INVENTORY: Need = Need::Any(&[both("store_inventory_read_only", "store_inventory")]);
const LOCATIONS: Need = Need::Any(&[both("store_locations_read_only", "store_locations")]);
const PAYMENT_METHODS: Need = Need::Any(&[Pair {
    read_only: Some("store_payments_methods_read"),
    modify: None,
}]);
const PAYMENT_TOKENS: Need = Need::Any(&[Pair {
    read_only: None,
    modify: Some("store_payments_access_token_create"),
}]);
const STOREFRONT_TOKENS: Need = Need::Any(&[Pair {
    read_only: None,
    modify: Some("store_storefront_api"),
}]);
const IMPERSONATION_TOKENS: Need = Need::Any(&[Pair {
    read_only: None,
    modify: Some("store_storefront_api_customer_impersonation"),
}]);
const LOGS: Need = Need::Any(&[Pair {
    read_only: Some("store_logs_read_only"),
    modify: None,
}]);
const DEPLOYMENTS: Need = Need::Any(&[both(
    "store_infrastructure_deployments_read_only",
    "store_infrastructure_deployments_manage",
)]);
const PROJECTS: Need = Need::Any(&[both(
    "store_infrastructure_projects_read_only",
    "store_infrastructure_projects_manage",
)]);
const INFRA_LOGS: Need = Need::Any(&[Pair {
    read_only: Some("store_infrastructure_logs_read_only"),
    modify: None,
}]);

/// Path prefixes (API version first; `*` is any one segment) and what they
/// need. The v2 catalog (`v2/products`, `brands`, `categories`, `options`,
/// `option_sets`) is no longer in BigCommerce's reference; its scope is
/// the one named after it, `store_v2_products`.
#[rustfmt::skip]
pub static TABLE: &[(&str, Need)] = &[
    ("v2/orders", ORDERS),
    ("v2/order_statuses", ORDERS),
    ("v2/customers", CUSTOMERS),
    ("v2/customer_groups", CUSTOMERS),
    ("v2/products", PRODUCTS),
    ("v2/brands", PRODUCTS),
    ("v2/categories", PRODUCTS),
    ("v2/options", PRODUCTS),
    ("v2/option_sets", PRODUCTS),
    ("v2/pages", CONTENT),
    ("v2/blog", CONTENT),
    ("v2/redirects", CONTENT),
    ("v2/banners", MARKETING),
    ("v2/coupons", MARKETING),
    ("v2/gift_certificates", MARKETING),
    ("v2/store", INFORMATION),
    ("v2/time", INFORMATION),
    ("v2/currencies", INFORMATION),
    ("v2/countries", INFORMATION),
    ("v2/shipping", INFORMATION),
    ("v2/tax_classes", INFORMATION),
    ("v2/payments/methods", PAYMENT_METHODS),
    ("v3/catalog", PRODUCTS),
    ("v3/pricelists", PRODUCTS),
    ("v3/shipping", PRODUCTS),
    ("v3/orders", ORDERS),
    ("v3/orders/*/transactions", TRANSACTIONS),
    ("v3/orders/pickups", ORDER_FULFILLMENT),
    ("v3/pickup", FULFILLMENT_METHODS),
    ("v3/customers", CUSTOMERS),
    ("v3/customers/*/stored-instruments", STORED_INSTRUMENTS),
    ("v3/segments", CUSTOMERS),
    ("v3/shopper-profiles", CUSTOMERS),
    ("v3/wishlists", CUSTOMERS),
    ("v3/content", CONTENT),
    ("v3/content/scripts", SCRIPTS),
    ("v3/storefront/redirects", CONTENT),
    ("v3/storefront/custom-template-associations", THEMES),
    ("v3/storefront/api-token", STOREFRONT_TOKENS),
    ("v3/storefront/api-token-private", STOREFRONT_TOKENS),
    ("v3/storefront/api-token-customer-impersonation", IMPERSONATION_TOKENS),
    ("v3/themes", THEMES),
    ("v3/carts", CARTS),
    ("v3/carts/settings", INFORMATION),
    ("v3/checkouts", CHECKOUTS),
    ("v3/channels", CHANNEL_SETTINGS),
    ("v3/channels/*/listings", CHANNEL_LISTINGS),
    ("v3/channels/*/site", SITES),
    ("v3/sites", SITES),
    ("v3/inventory", INVENTORY),
    ("v3/inventory/locations", LOCATIONS),
    ("v3/payments/methods", PAYMENT_METHODS),
    ("v3/payments/access_tokens", PAYMENT_TOKENS),
    ("v3/promotions", MARKETING),
    ("v3/marketing", INFORMATION),
    ("v3/abandoned-carts", INFORMATION),
    ("v3/tax", INFORMATION),
    ("v3/settings", INFORMATION),
    ("v3/settings/analytics", CONTENT),
    ("v3/store", INFORMATION),
    ("v3/store/systemlogs", LOGS),
    ("v3/infrastructure/deployments", DEPLOYMENTS),
    ("v3/infrastructure/projects", PROJECTS),
    ("v3/infrastructure/logs", INFRA_LOGS),
    ("v3/hooks", Need::Default),
];

/// What `path` (under `/stores/{hash}/`, e.g. `v3/catalog/products/7`;
/// a query is ignored) needs, when the table knows it.
pub fn need(path: &str) -> Option<Need> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    TABLE
        .iter()
        .filter(|(prefix, _)| {
            let want: Vec<&str> = prefix.split('/').collect();
            want.len() <= segments.len()
                && want
                    .iter()
                    .zip(&segments)
                    .all(|(w, s)| *w == "*" || w.eq_ignore_ascii_case(s))
        })
        .max_by_key(|(prefix, _)| prefix.split('/').count())
        .map(|(_, need)| *need)
}

/// What a connection's scopes say about a 403 on a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `granted` holds this scope, which opens the path: the 403 has
    /// another cause.
    Held(&'static str),
    /// The scope to add (the weakest that opens the path), and the others
    /// that would do too.
    Lacks {
        add: &'static str,
        others: Vec<&'static str>,
    },
    /// The path needs only the default scope every token has.
    NoneNeeded,
    /// No scope opens this kind of request (a write to a read-only API).
    NoneOpens,
}

/// Whether `granted` opens `need` for a read or a `write`.
pub fn verdict(need: Need, write: bool, granted: &[String]) -> Verdict {
    let Need::Any(pairs) = need else {
        return Verdict::NoneNeeded;
    };
    let opening: Vec<&'static str> = pairs
        .iter()
        .flat_map(|p| [(!write).then_some(p.read_only).flatten(), p.modify])
        .flatten()
        .collect();
    let has = |s: &str| granted.iter().any(|g| g == s);
    // The scope as granted: `store_v2_orders` opens a read through the
    // read-only twin it includes, and is the one to name.
    let held = opening.iter().find_map(|s| {
        if has(s) {
            Some(*s)
        } else {
            super::modify_twin(s).filter(|m| has(m))
        }
    });
    if let Some(held) = held {
        return Verdict::Held(held);
    }
    match opening.split_first() {
        Some((add, others)) => Verdict::Lacks {
            add,
            others: others.to_vec(),
        },
        None => Verdict::NoneOpens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_string()).collect()
    }

    #[test]
    fn every_scope_in_the_table_is_a_store_scope_of_the_catalog() {
        for (prefix, need) in TABLE {
            assert!(
                prefix.starts_with("v2/") || prefix.starts_with("v3/"),
                "{prefix}"
            );
            let Need::Any(pairs) = need else { continue };
            for pair in *pairs {
                for name in [pair.read_only, pair.modify].into_iter().flatten() {
                    let scope = super::super::lookup(name)
                        .unwrap_or_else(|| panic!("{prefix}: {name} is not in the catalog"));
                    assert!(
                        matches!(
                            scope.group,
                            super::super::Group::Store | super::super::Group::TokenCreation
                        ),
                        "{prefix}: {name}"
                    );
                }
                // The pair is the catalog's own pairing, never two rows mixed.
                if let (Some(r), Some(m)) = (pair.read_only, pair.modify) {
                    assert_eq!(super::super::read_only_twin(m), Some(r), "{prefix}");
                }
            }
        }
        let mut prefixes: Vec<&str> = TABLE.iter().map(|(p, _)| *p).collect();
        prefixes.sort_unstable();
        let before = prefixes.len();
        prefixes.dedup();
        assert_eq!(prefixes.len(), before, "a prefix is listed twice");
    }

    #[test]
    fn paths_find_their_scopes_longest_prefix_first() {
        let first = |path: &str| match need(path) {
            Some(Need::Any(pairs)) => pairs[0].read_only.or(pairs[0].modify),
            Some(Need::Default) => Some("default"),
            None => None,
        };
        let cases = [
            ("v3/catalog/products", Some("store_v2_products_read_only")),
            (
                "/v3/catalog/products/7/variants?limit=5",
                Some("store_v2_products_read_only"),
            ),
            ("v3/catalog", Some("store_v2_products_read_only")),
            ("v2/orders", Some("store_v2_orders_read_only")),
            ("v2/orders/100/shipments", Some("store_v2_orders_read_only")),
            (
                "v3/orders/100/transactions",
                Some("store_v2_transactions_read_only"),
            ),
            (
                "v3/orders/100/payment_actions/refunds",
                Some("store_v2_orders_read_only"),
            ),
            (
                "v3/orders/pickups",
                Some("store_order_fulfillment_read_only"),
            ),
            (
                "v3/customers/5/stored-instruments",
                Some("store_stored_payment_instruments_read_only"),
            ),
            (
                "v3/customers/subscribers",
                Some("store_v2_customers_read_only"),
            ),
            ("v2/customers/5", Some("store_v2_customers_read_only")),
            ("v3/content/widgets", Some("store_v2_content_read_only")),
            ("v2/blog/posts", Some("store_v2_content_read_only")),
            ("v2/coupons", Some("store_v2_marketing_read_only")),
            ("v3/promotions", Some("store_v2_marketing_read_only")),
            (
                "v3/themes/abc/actions/activate",
                Some("store_themes_read_only"),
            ),
            ("v3/carts/xyz/items", Some("store_cart_read_only")),
            ("v3/carts/settings", Some("store_v2_information_read_only")),
            ("v3/checkouts/xyz", Some("store_checkout_read_only")),
            ("v3/channels", Some("store_channel_settings_read_only")),
            (
                "v3/channels/1/listings",
                Some("store_channel_listings_read_only"),
            ),
            ("v3/channels/1/site", Some("store_sites_read_only")),
            ("v3/sites/1/routes", Some("store_sites_read_only")),
            ("v2/store", Some("store_v2_information_read_only")),
            ("V2/Store", Some("store_v2_information_read_only")),
            ("v3/store/systemlogs", Some("store_logs_read_only")),
            ("v3/payments/methods", Some("store_payments_methods_read")),
            (
                "v3/payments/access_tokens",
                Some("store_payments_access_token_create"),
            ),
            ("v3/tax/rates", Some("store_v2_information_read_only")),
            ("v2/shipping/zones", Some("store_v2_information_read_only")),
            ("v3/shipping/products", Some("store_v2_products_read_only")),
            ("v3/inventory/items", Some("store_inventory_read_only")),
            ("v3/inventory/locations", Some("store_locations_read_only")),
            ("v3/storefront/api-token", Some("store_storefront_api")),
            (
                "v3/storefront/api-token-customer-impersonation",
                Some("store_storefront_api_customer_impersonation"),
            ),
            ("v3/hooks/12", Some("default")),
            ("v3/nosuchapi", None),
            ("v4/catalog/products", None),
            ("graphql", None),
            ("", None),
        ];
        for (path, want) in cases {
            assert_eq!(first(path), want, "{path}");
        }
    }

    #[test]
    fn a_read_takes_either_scope_and_a_write_only_modify() {
        let products = need("v3/catalog/products").unwrap();
        assert_eq!(
            verdict(products, false, &s(&["store_v2_orders"])),
            Verdict::Lacks {
                add: "store_v2_products_read_only",
                others: vec!["store_v2_products"]
            }
        );
        assert_eq!(
            verdict(products, false, &s(&["store_v2_products_read_only"])),
            Verdict::Held("store_v2_products_read_only")
        );
        // Modify includes its read-only twin, and is named as granted.
        assert_eq!(
            verdict(products, false, &s(&["store_v2_products"])),
            Verdict::Held("store_v2_products")
        );
        assert_eq!(
            verdict(products, true, &s(&["store_v2_products_read_only"])),
            Verdict::Lacks {
                add: "store_v2_products",
                others: vec![]
            }
        );
        assert_eq!(
            verdict(products, true, &s(&["store_v2_products"])),
            Verdict::Held("store_v2_products")
        );
        // Scripts: either row opens them.
        let scripts = need("v3/content/scripts").unwrap();
        assert_eq!(
            verdict(scripts, true, &s(&["store_content_checkout"])),
            Verdict::Held("store_content_checkout")
        );
        assert_eq!(
            verdict(scripts, true, &s(&[])),
            Verdict::Lacks {
                add: "store_v2_content",
                others: vec!["store_content_checkout"]
            }
        );
        assert_eq!(
            verdict(need("v3/hooks").unwrap(), true, &s(&[])),
            Verdict::NoneNeeded
        );
        assert_eq!(
            verdict(need("v3/store/systemlogs").unwrap(), true, &s(&[])),
            Verdict::NoneOpens
        );
    }
}
