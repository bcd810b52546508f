use super::*;
use crate::bigcommerce::oauth::Flow;
use crate::connect::iclients::DEFAULT_CALLBACK_URL;
use crate::connect::plan::IClientPick;
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
        if opts.listen.is_some() || url.contains("://127.0.0.1") || url.contains("://localhost") {
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

/// The walk from its first step, as `run` starts it.
fn walk(
    p: &mut dyn Prompter,
    here: &dyn Here,
    draft: Draft,
    records: &Document,
    env_token: bool,
    opts: FlowOptions,
) -> Step<(Plan, FlowOptions)> {
    Walk::new(here, records, draft, env_token, opts).go(p, None)
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
    // Ctrl-C before any answer leaves at once; after one, only once "Leave
    // without saving?" is confirmed.
    let (result, log) = walk_script(&[Cancel], Draft::default());
    assert!(matches!(result, Err(Stop::Cancelled)), "{log}");
    assert!(!log.contains("Leave without saving?"), "{log}");
    let steps: &[&[crate::seams::script::Reply]] = &[
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
    ];
    for replies in steps {
        let mut confirmed = replies.to_vec();
        confirmed.push(Yes);
        let (result, log) = walk_script(&confirmed, Draft::default());
        assert!(matches!(result, Err(Stop::Cancelled)), "{log}");
        assert!(log.ends_with("? Leave without saving?"), "{log}");
    }
    // "Cancel" at the summary is a choice: nothing more is asked.
    let (result, log) = walk_script(
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
        Draft::default(),
    );
    assert!(matches!(result, Err(Stop::Cancelled)), "{log}");
    assert!(!log.contains("Leave without saving?"), "{log}");
}

/// A walk from the start with the script prompter, on the saved records.
fn walk_prefilled(
    replies: &[crate::seams::script::Reply],
    draft: Draft,
) -> (Step<(Plan, FlowOptions)>, String) {
    let mut p = Script::new(replies);
    let records = saved();
    let here = FakeHere::default();
    let result = walk(
        &mut p,
        &here,
        draft,
        &records,
        false,
        FlowOptions::default(),
    );
    (result, p.transcript())
}

#[test]
fn esc_goes_back_one_step_keeping_the_earlier_answers() {
    let (done, log) = walk_prefilled(
        &[
            Type("acme-new"),
            Pick("API-account token"),
            Back,  // at the token: back to the auth type
            Enter, // the token type, pre-selected
            Pick("Type or paste"),
            Type("tok-1"),
            Type("abc123"),
            Back,  // at the advanced step: back to the store hash
            Back,  // and back to the token step…
            Enter, // …which keeps the token given before
            Enter, // the store hash, prefilled
            No,
            Pick("Save"),
        ],
        Draft::default(),
    );
    let (plan, _) = done.unwrap_or_else(|e| {
        panic!(
            "{e:?}
{log}"
        )
    });
    assert_eq!(plan.name, "acme-new");
    assert_eq!(plan.auth_type(), AuthType::Token);
    assert_eq!(plan.store_hash, hash("abc123"));
    assert!(
        log.contains("(pre-selected API-account token"),
        "the earlier type comes back pre-selected:\n{log}"
    );
    assert!(log.contains("(prefilled abc123)"), "{log}");
    assert!(
        log.contains("(pre-selected Keep the token given before (hidden))"),
        "{log}"
    );
    match plan.token() {
        Some(TokenSource::Given(t)) => {
            use secrecy::ExposeSecret;
            assert_eq!(t.expose_secret(), "tok-1");
        }
        _ => panic!("expected the typed token\n{log}"),
    }
    assert!(!log.contains("Leave without saving?"), "{log}");
}

#[test]
fn esc_at_the_first_step_leaves_at_once_only_without_answers() {
    let (result, log) = walk_script(&[Back], Draft::default());
    assert!(matches!(result, Err(Stop::Cancelled)), "{log}");
    assert!(!log.contains("Leave without saving?"), "{log}");

    // With an answer given, Esc at the first step asks; No stays there
    // with the answer prefilled, Yes leaves.
    let (result, log) = walk_prefilled(
        &[Type("kept"), Back, Back, No, Enter, Cancel, Yes],
        Draft::default(),
    );
    assert!(matches!(result, Err(Stop::Cancelled)), "{log}");
    assert_eq!(log.matches("? Leave without saving?").count(), 2, "{log}");
    assert_eq!(log.matches("(prefilled kept)").count(), 2, "{log}");
}

#[test]
fn ctrl_c_after_answers_asks_and_no_stays_at_the_step() {
    let (done, log) = walk_script(
        &[
            Type("x"),
            Cancel, // at the auth type
            No,     // stay
            Pick("OAuth"),
            Type("abc123"),
            Pick("Orders"),
            Enter,
            Pick("main-app"),
            No,
            Pick("Save only"),
        ],
        Draft::default(),
    );
    let plan = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
    assert_eq!(plan.name, "x");
    assert_eq!(log.matches("? Authentication type:").count(), 2, "{log}");
}

#[test]
fn steps_given_as_flags_are_skipped_going_back() {
    // Name and store hash given: Esc at the scopes goes back to the auth
    // type, and Esc there (the first question) leaves at once, since
    // nothing was answered yet... after the auth type it asks.
    let draft = Draft {
        name: Some("given".into()),
        store_hash: Some(hash("abc123")),
        ..Draft::default()
    };
    let (result, log) = walk_script(&[Pick("OAuth"), Back, Back, Yes], draft);
    assert!(matches!(result, Err(Stop::Cancelled)), "{log}");
    let asked: Vec<&str> = log.lines().filter(|l| l.starts_with("? ")).collect();
    assert_eq!(
        asked,
        [
            "? Authentication type:",
            "? Scopes: start from",
            "? Authentication type:",
            "? Leave without saving?"
        ],
        "{log}"
    );
}

#[test]
fn change_a_step_lists_the_steps_with_their_values_and_returns_to_the_summary() {
    let (done, log) = walk_prefilled(
        &[
            Pick("main-app"),
            Pick("Change a step"),
            // Each option is a step with its value (a Pick of a missing one
            // panics).
            Pick("Scopes: 1 scope"),
            Pick("Orders"),
            Enter,
            Pick("Change a step"),
            Back, // Esc in the list: back to the summary, nothing changed
            Pick("Change a step"),
            Pick("Connection name: acme"),
            Type("acme-renamed"),
            Pick("Save only"),
        ],
        oauth_draft(),
    );
    let (plan, _) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
    assert_eq!(plan.name, "acme-renamed");
    assert_eq!(plan.scopes(), scopes::presets()[2].1);
    assert!(log.contains("(prefilled acme)"), "{log}");
    // Straight back to the summary each time: the iClient is not asked again.
    assert_eq!(log.matches("? iClient").count(), 1, "{log}");
    assert_eq!(log.matches("? Save?").count(), 4, "{log}");
    // Steps given as flags can be changed here too.
    assert!(log.contains("? Change which step?"), "{log}");
}

#[test]
fn changing_the_auth_type_asks_what_the_new_type_needs_then_the_summary() {
    let (done, log) = walk_script(
        &[
            Pick("OAuth"),
            Pick("Orders"),
            Enter,
            Pick("main-app"),
            Pick("Change a step"),
            Pick("Authentication type"),
            Pick("API-account token"),
            Pick("Type or paste"),
            Type("tok-2"),
            Pick("Save"),
        ],
        Draft {
            auth_type: None,
            scopes: None,
            iclient: None,
            ..oauth_draft()
        },
    );
    let plan = match done {
        Ok(d) => d,
        Err(e) => panic!("{e:?}\n{log}"),
    };
    assert_eq!(plan.auth_type(), AuthType::Token);
    assert!(log.contains("? Access token:"), "{log}");
}

#[test]
fn the_summary_repeats_the_sibling_line() {
    let (done, log) = walk_script(&[Pick("main-app"), Pick("Save only")], oauth_draft());
    assert!(done.is_ok(), "{log}");
    assert_eq!(
        log.matches("\"acme-stage\" already uses this app for store abc123")
            .count(),
        2,
        "once at the iClient step, once at the summary:\n{log}"
    );
    let summary_at = log.find("Summary").unwrap();
    assert!(log[summary_at..].contains("already uses this app"), "{log}");
}

/// A walk that reached the summary with `replies`, then came back from a
/// failed authorization with `retry` and went on with `again`.
fn walk_retried(
    replies: &[crate::seams::script::Reply],
    retry: Retry,
    again: &[crate::seams::script::Reply],
) -> (Step<(Plan, FlowOptions)>, String) {
    let records = saved();
    let here = FakeHere::default();
    let mut walk = Walk::new(
        &here,
        &records,
        oauth_draft(),
        false,
        FlowOptions::default(),
    );
    let mut p = Script::new(replies);
    let (plan, opts) = walk
        .go(&mut p, None)
        .unwrap_or_else(|e| panic!("{e:?}\n{}", p.transcript()));
    walk.restore(plan, opts);
    let mut p = Script::new(again);
    let result = walk.go(&mut p, Some(retry));
    (result, p.transcript())
}

#[test]
fn refused_credentials_come_back_at_the_iclient_step_prefilled() {
    let (done, log) = walk_retried(
        &[
            Pick("+ Add new iClient"),
            Type("new-app"),
            Type("cid-wrong"),
            Type("s3cr3t-1"),
            Enter,
            Pick("Save & authorize"),
        ],
        Retry::Credentials(
            "BigCommerce refused the iClient's credentials (Invalid client id.)".into(),
        ),
        &[
            Enter,             // "+ Add new iClient", pre-selected
            Enter,             // the name, prefilled
            Type("cid-right"), // the client id, retyped
            No,                // do not keep the secret typed before
            Type("s3cr3t-2"),
            Enter, // the callback URL, prefilled
            Pick("Save & authorize"),
        ],
    );
    let (plan, _) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
    assert!(
        log.starts_with("\nBigCommerce refused the iClient's credentials"),
        "{log}"
    );
    assert!(log.contains("(pre-selected + Add new iClient)"), "{log}");
    assert!(log.contains("(prefilled new-app)"), "{log}");
    assert!(log.contains("(prefilled cid-wrong)"), "{log}");
    // Straight back to the summary: nothing else is asked again.
    assert!(!log.contains("? Change advanced"), "{log}");
    assert!(!log.contains("? Connection name"), "{log}");
    match plan.iclient() {
        Some(IClientPick::New(n)) => {
            use secrecy::ExposeSecret;
            assert_eq!(n.name, "new-app");
            assert_eq!(n.client_id, "cid-right");
            assert_eq!(n.secret.expose_secret(), "s3cr3t-2");
        }
        _ => panic!("expected the new iClient\n{log}"),
    }
    assert!(!log.contains("s3cr3t"), "{log}");
}

#[test]
fn refused_credentials_of_a_saved_iclient_offer_its_edit_first() {
    let (done, log) = walk_retried(
        &[Pick("main-app"), Pick("Save & authorize")],
        Retry::Credentials("BigCommerce refused the iClient's credentials (x)".into()),
        &[
            Enter, // "✎ Edit an iClient", pre-selected
            Type("cid-fixed"),
            Enter, // keep the callback URL
            Yes,   // replace the secret
            Type("new-secret"),
            Pick("Save & authorize"),
        ],
    );
    let (plan, _) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
    assert!(log.contains("(pre-selected ✎ Edit an iClient"), "{log}");
    match plan.iclient() {
        Some(IClientPick::Edited { name, edit }) => {
            assert_eq!(name, "main-app");
            assert_eq!(edit.client_id.as_deref(), Some("cid-fixed"));
            assert!(edit.secret.is_some());
        }
        _ => panic!("expected the edited iClient\n{log}"),
    }
}

#[test]
fn cancelled_consent_comes_back_at_the_summary() {
    let (done, log) = walk_retried(
        &[Pick("main-app"), Pick("Save & authorize")],
        Retry::Consent("BigCommerce answered: access_denied".into()),
        &[Pick("Save only")],
    );
    let (plan, _) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
    assert!(log.contains("You cancelled in the browser"), "{log}");
    assert!(!log.contains("once that is fixed"), "{log}");
    let asked: Vec<&str> = log.lines().filter(|l| l.starts_with("? ")).collect();
    assert_eq!(asked, ["? Save?"], "{log}");
    assert_eq!(plan.after(), After::SaveOnly);
    assert!(matches!(plan.iclient(), Some(IClientPick::Existing(n)) if n == "main-app"));
}

#[test]
fn a_failure_ending_its_own_sentence_is_said_with_one_period() {
    let (done, log) = walk_retried(
        &[Pick("main-app"), Pick("Save & authorize")],
        Retry::Failed("no answer from the browser; run it again.".into()),
        &[Pick("Save only")],
    );
    done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
    assert!(log.contains("run it again. Nothing was saved"), "{log}");
    assert!(!log.contains(".."), "{log}");
}

#[test]
fn tilde_in_a_typed_path_is_the_home_folder() {
    let home = Path::new("/home/u");
    assert_eq!(
        credentials_path("~/Downloads/api.txt", Some(home)),
        PathBuf::from("/home/u/Downloads/api.txt")
    );
    assert_eq!(
        credentials_path(" '~/a.txt' ", Some(home)),
        home.join("a.txt")
    );
    assert_eq!(credentials_path("~", Some(home)), home);
    // Another user's home, and no home known: as typed.
    assert_eq!(
        credentials_path("~bob/a.txt", Some(home)),
        PathBuf::from("~bob/a.txt")
    );
    assert_eq!(credentials_path("~/a.txt", None), PathBuf::from("~/a.txt"));
    assert_eq!(
        credentials_path("/abs/a.txt", Some(home)),
        PathBuf::from("/abs/a.txt")
    );
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

#[test]
fn esc_inside_a_step_comes_back_to_its_first_question() {
    let (done, log) = walk_prefilled(
        &[
            Type("t"),
            Pick("API-account token"),
            Pick("Type or paste"),
            Back, // at the hidden token: back to where the token comes from
            Pick("Type or paste"),
            Type("tok-3"),
            Type("abc123"),
            Yes,
            Pick("Set this"),
            Back, // at the level: back to "Change advanced settings?"
            No,
            Pick("Save"),
        ],
        Draft::default(),
    );
    let (plan, _) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
    // The list of sources twice (the hidden prompt has the same title).
    assert_eq!(
        log.matches("(pre-selected Type or paste the access token")
            .count(),
        2,
        "{log}"
    );
    assert_eq!(
        log.matches("? Change advanced settings").count(),
        2,
        "{log}"
    );
    assert_eq!(plan.concurrency, 1);
    // The step before each was not asked again.
    assert_eq!(log.matches("? Authentication type:").count(), 1, "{log}");
}

#[test]
fn leaving_the_iclient_step_and_staying_keeps_the_new_iclient_typed() {
    let (done, log) = walk_prefilled(
        &[
            Pick("+ Add new iClient"),
            Type("typed-app"),
            Type("cid-typed"),
            Type("s3cr3t-typed"),
            Enter,
            Back,   // at the advanced step: back to the iClient step
            Cancel, // Ctrl-C there…
            No,     // …but stay
            Enter,  // "+ Add new iClient", still pre-selected
            Enter,  // the name, prefilled
            Enter,  // the client id, prefilled
            Yes,    // keep the secret
            Enter,  // the callback URL, prefilled
            No,
            Pick("Save only"),
        ],
        oauth_draft_without_concurrency(),
    );
    let (plan, _) = done.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
    assert_eq!(
        log.matches("(pre-selected + Add new iClient)").count(),
        2,
        "{log}"
    );
    match plan.iclient() {
        Some(IClientPick::New(n)) => {
            use secrecy::ExposeSecret;
            assert_eq!(n.name, "typed-app");
            assert_eq!(n.client_id, "cid-typed");
            assert_eq!(n.secret.expose_secret(), "s3cr3t-typed");
        }
        _ => panic!("expected the new iClient\n{log}"),
    }
}

fn oauth_draft_without_concurrency() -> Draft {
    Draft {
        concurrency: None,
        ..oauth_draft()
    }
}
