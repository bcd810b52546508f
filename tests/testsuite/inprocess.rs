//! The connection core driven in-process (the library, no binary): the whole
//! "Save & authorize" flow against the fake BigCommerce and a browser that
//! visits the consent page from this process (the Browser seam), with a
//! progress recorder in place of the terminal and an in-memory secret store
//! that can be told to fail.

use std::rc::Rc;

use bcconn::connect::authorize::FlowOptions;
use bcconn::connect::commit::Changes;
use bcconn::connect::iclients::{NewIClient, save_new};
use bcconn::connect::plan::{After, Auth, IClientPick, Plan};
use bcconn::connect::{authorize, create};
use bcconn::context::Context;
use bcconn::env::Env;
use bcconn::seams::Recorder;
use bcconn::seams::script::Script;
use bcconn::secrets::{MemoryStore, SecretStore, StoreKind};
use bcconn::store::State;
use secrecy::{ExposeSecret, SecretString};

use crate::common::fake_bc::Consent;
use crate::common::oauth::OAuthFixture;

const CLIENT_ID: &str = "inproc-client";
const SECRET: &str = "inproc-secret-7Yq2";
const HASH: &str = "abc123";

struct Setup {
    fx: OAuthFixture,
    ctx: Context,
    store: Rc<MemoryStore>,
    progress: Rc<Recorder>,
    callback: String,
}

/// A browser in this process: it visits the URL on a thread of its own as a
/// person who clicks Confirm, while the flow waits for the callback.
struct Visiting;

impl bcconn::seams::Browser for Visiting {
    fn open(&self, url: &str) -> Result<(), String> {
        let url = url.to_string();
        std::thread::spawn(move || crate::common::fake_browser::visit(&url));
        Ok(())
    }
}

fn setup() -> Setup {
    let fx = OAuthFixture::registered(
        CLIENT_ID,
        SECRET,
        &["store_v2_orders", "store_v2_information_read_only"],
    );
    // Only what the core reads: the library gets no PATH, colour or store
    // choice from the fixture's command environment.
    let vars: Vec<(String, String)> = fx
        .env
        .vars()
        .iter()
        .filter(|(k, _)| {
            ["BCCONN_HOME", "BCCONN_LOGIN_URL", "BCCONN_API_URL"].contains(&k.as_str())
        })
        .cloned()
        .collect();
    let env = Env::from_lookup(|k| {
        vars.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone().into())
    });
    let progress = Rc::new(Recorder::default());
    let ctx = Context::detached(env, progress.clone(), Box::new(Script::new(&[])), false)
        .with_browser(Box::new(Visiting));
    let store = Rc::new(MemoryStore::new(StoreKind::Os));
    ctx.set_store(store.clone());
    let callback = fx.callback.clone();
    Setup {
        fx,
        ctx,
        store,
        progress,
        callback,
    }
}

fn plan(iclient: IClientPick) -> Plan {
    Plan {
        name: "shop".into(),
        store_hash: HASH.parse().unwrap(),
        concurrency: 2,
        borrow_from: None,
        auth: Auth::OAuth {
            scopes: vec![
                "store_v2_information_read_only".into(),
                "store_v2_orders".into(),
            ],
            iclient,
            after: After::Authorize,
        },
    }
}

fn opts() -> FlowOptions {
    FlowOptions {
        timeout: std::time::Duration::from_secs(30),
        ..FlowOptions::default()
    }
}

fn new_iclient(s: &Setup) -> NewIClient {
    NewIClient {
        name: "app".into(),
        client_id: CLIENT_ID.into(),
        callback_url: s.callback.clone(),
        secret: SecretString::from(SECRET.to_string()),
    }
}

#[test]
fn the_whole_flow_runs_in_process_and_reports_each_step() {
    let s = setup();
    let conn = create::execute(&s.ctx, plan(IClientPick::New(new_iclient(&s))), &opts()).unwrap();
    assert_eq!(conn.state, State::Authorized);
    assert_eq!(conn.store_name.as_deref(), Some("Acme Shop"));
    // The token in the store is the one BigCommerce issued, and only there.
    let issued = s.fx.fake.issued_tokens();
    assert_eq!(issued.len(), 1);
    let kept = s.store.get(&conn.token_account()).unwrap().unwrap();
    assert_eq!(kept.expose_secret(), issued[0]);
    // Neither secret anywhere in the database (nor its write-ahead log).
    let mut bytes = std::fs::read(s.ctx.records.path()).unwrap();
    bytes.extend(std::fs::read(s.ctx.records.path().with_extension("db-wal")).unwrap_or_default());
    let records = String::from_utf8_lossy(&bytes);
    assert!(!records.contains(&issued[0]) && !records.contains(SECRET));
    // What the terminal would have shown, in order.
    let lines = s.progress.lines();
    let order = [
        "✓ Saved iClient \"app\"",
        "✓ Saved connection \"shop\" for store abc123 (pending)",
        "Opening the browser to authorize store abc123",
        "✓ Callback received",
        "✓ Code exchanged for a token; scopes granted: ",
        "✓ Token verified: store Acme Shop (acme.example.com)",
        "✓ Saved: \"shop\" is authorized for Acme Shop (store abc123); its token is in the OS keyring",
    ];
    let mut at = 0;
    for want in order {
        let found = lines[at..]
            .iter()
            .position(|l| l.starts_with(want))
            .unwrap_or_else(|| panic!("{want:?} not after line {at} in\n{}", s.progress.text()));
        at += found + 1;
    }
    assert!(!s.progress.text().contains(&issued[0]));
    assert!(
        s.fx.fake.unexpected().is_empty(),
        "{:?}",
        s.fx.fake.unexpected()
    );
}

#[test]
fn a_denied_consent_marks_a_new_connection_failed_and_stores_nothing() {
    let s = setup();
    s.fx.fake.set_consent(Consent::Deny);
    let ic = save_new(&s.ctx, new_iclient(&s)).unwrap();
    let err = create::execute(&s.ctx, plan(IClientPick::Existing(ic.name)), &opts()).unwrap_err();
    let said = format!("{err:#}");
    assert!(said.contains("access_denied"), "{said}");
    let file = s.ctx.records.load().unwrap();
    let conn = file.connection("shop").unwrap().unwrap();
    assert_eq!(conn.state, State::Failed);
    assert!(
        conn.last_error
            .as_deref()
            .unwrap()
            .contains("access_denied")
    );
    // Only the iClient's secret: no token.
    assert_eq!(
        s.store.accounts(),
        vec![format!("iclient/{}", file.iclients().unwrap()[0].id)]
    );
}

#[test]
fn a_store_that_fails_at_set_keeps_the_old_token_through_a_reauthorization() {
    let s = setup();
    let conn = create::execute(&s.ctx, plan(IClientPick::New(new_iclient(&s))), &opts()).unwrap();
    let account = conn.token_account();
    let first = s
        .store
        .get(&account)
        .unwrap()
        .unwrap()
        .expose_secret()
        .to_string();
    let before = serde_json::to_string(&s.ctx.records.document().unwrap()).unwrap();
    s.store.fail_set(true);
    let err = authorize::authorize_saved(&s.ctx, &conn.id, &opts(), Changes::default(), None)
        .unwrap_err();
    s.store.fail_set(false);
    assert!(format!("{err:#}").contains("fail at set"), "{err:#}");
    // The flow ran (a second token was issued), but nothing was saved.
    assert_eq!(s.fx.fake.issued_tokens().len(), 2);
    assert_eq!(
        s.store.get(&account).unwrap().unwrap().expose_secret(),
        first
    );
    assert_eq!(
        serde_json::to_string(&s.ctx.records.document().unwrap()).unwrap(),
        before
    );
}
