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
        parse_list("store_v2_orders, store_v2_products\tstore_cart,,store_v2_orders\n").unwrap(),
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
        parse_list("store_v2_products_read_only store_v2_products store_themes_read_only").unwrap(),
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
