use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::*;
use crate::pool::{BoxFuture, Held, Lease};

/// A slot that reports itself lost once `lost` is set.
struct Slot {
    lost: Arc<AtomicBool>,
}

impl Held for Slot {
    fn release(self: Box<Self>) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }
    fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

/// Pools whose first slot is lost while its holder waits in `reserve`
/// (as a Redis FLUSHALL during a rate-window wait does).
#[derive(Default)]
struct Losing {
    acquired: AtomicUsize,
    first_lost: Arc<AtomicBool>,
    /// How many slots were taken when each reservation was granted.
    at_reserve: Mutex<Vec<usize>>,
}

impl Pools for Losing {
    fn acquire<'a>(&'a self, _pool: &'a PoolId) -> BoxFuture<'a, Result<Lease>> {
        let n = self.acquired.fetch_add(1, Ordering::SeqCst);
        let lost = if n == 0 {
            self.first_lost.clone()
        } else {
            Arc::new(AtomicBool::new(false))
        };
        Box::pin(async move { Ok(Lease::new(Box::new(Slot { lost }))) })
    }
    fn rates(&self) -> &dyn crate::pool::Rates {
        self
    }
}

impl crate::pool::Rates for Losing {
    fn reserve<'a>(&'a self, _store: &'a str) -> BoxFuture<'a, Result<Reserve>> {
        self.at_reserve
            .lock()
            .unwrap()
            .push(self.acquired.load(Ordering::SeqCst));
        // The wait for the window ran long: the shared slot is gone.
        self.first_lost.store(true, Ordering::SeqCst);
        Box::pin(async { Ok(Reserve::Go(Ticket(1))) })
    }
    fn learn<'a>(&'a self, _store: &'a str, _learned: Learned) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    fn clear_hint(&self, _store: &str) -> String {
        String::new()
    }
}

/// M2: a slot lost during `reserve` (which can wait up to --max-wait)
/// was only noticed after a 429; the request went out without a slot.
/// It is taken again before sending.
#[tokio::test]
async fn a_slot_lost_while_reserving_is_taken_again_before_sending() {
    let pools = Arc::new(Losing::default());
    let client = Client::new(
        reqwest::Client::new(),
        // Nothing listens on port 1: the request itself fails at once.
        "http://127.0.0.1:1",
        StoreHash::parse("abc123").unwrap(),
        SecretString::from("t".to_string()),
        pools.clone(),
        PoolId {
            store: "abc123".into(),
            owner: "o".into(),
            owner_name: "o".into(),
            level: 1,
        },
        None,
        crate::clock::system(),
    )
    .unwrap();
    let url = client.base.join("v2/time").unwrap();
    let _ = client.send(&Request::get(url)).await;
    assert_eq!(
        pools.acquired.load(Ordering::SeqCst),
        2,
        "the lost slot was not taken again before sending"
    );
    assert_eq!(*pools.at_reserve.lock().unwrap(), vec![1, 2]);
}

/// Pools with room for every request and a rate book that never waits.
struct Open;

impl Pools for Open {
    fn acquire<'a>(&'a self, _pool: &'a PoolId) -> BoxFuture<'a, Result<Lease>> {
        let lost = Arc::new(AtomicBool::new(false));
        Box::pin(async move { Ok(Lease::new(Box::new(Slot { lost }))) })
    }
    fn rates(&self) -> &dyn crate::pool::Rates {
        self
    }
}

impl crate::pool::Rates for Open {
    fn reserve<'a>(&'a self, _store: &'a str) -> BoxFuture<'a, Result<Reserve>> {
        Box::pin(async { Ok(Reserve::Go(Ticket(1))) })
    }
    fn learn<'a>(&'a self, _store: &'a str, _learned: Learned) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    fn clear_hint(&self, _store: &str) -> String {
        String::new()
    }
}

/// A store whose `v2/time` answers its first request with a 429 asking for
/// `retry_after` seconds, and every later one with a 200. Its API URL and
/// how many requests it had.
async fn busy_store(retry_after: &'static str) -> (String, Arc<AtomicUsize>) {
    use axum::http::StatusCode as Code;
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = axum::Router::new().route(
        "/stores/abc123/v2/time",
        axum::routing::get(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    (
                        Code::TOO_MANY_REQUESTS,
                        [("x-retry-after", retry_after)],
                        "{}",
                    )
                } else {
                    (Code::OK, [("x-retry-after", "")], "{\"time\":1}")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

fn client_on(
    api: &str,
    clock: Arc<dyn crate::clock::Clock>,
) -> (Client, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (tx, notes) = tokio::sync::mpsc::unbounded_channel();
    let client = Client::new(
        reqwest::Client::new(),
        api,
        StoreHash::parse("abc123").unwrap(),
        SecretString::from("t".to_string()),
        Arc::new(Open),
        PoolId {
            store: "abc123".into(),
            owner: "o".into(),
            owner_name: "o".into(),
            level: 1,
        },
        Some(tx),
        clock,
    )
    .unwrap();
    (client, notes)
}

/// A 429's `Retry-After` is waited on the client's clock: on a fake one the
/// seven seconds pass at once, and the request is sent again.
#[tokio::test]
async fn a_429_is_waited_out_on_the_clock_it_was_given() {
    let (api, seen) = busy_store("7").await;
    let clock = Arc::new(crate::clock::FakeClock::default());
    let (client, mut notes) = client_on(&api, clock.clone());
    let started = std::time::Instant::now();
    let url = client.base.join("v2/time").unwrap();
    let answer = client.send(&Request::get(url)).await.unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    assert_eq!(clock.passed(), Duration::from_secs(7));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it really waited"
    );
    let said = notes.try_recv().unwrap();
    assert!(
        said.contains("waiting 7.0 s, then retrying (1 of 3)"),
        "{said}"
    );
}

/// A 429 asking for longer than --max-wait is not waited at all: a typed
/// error that `error::report` gives the --max-wait hint.
#[tokio::test]
async fn a_429_longer_than_max_wait_is_refused_with_a_hint() {
    let (api, seen) = busy_store("3600").await;
    let clock = Arc::new(crate::clock::FakeClock::default());
    let (client, _notes) = client_on(&api, clock.clone());
    let url = client.base.join("v2/time").unwrap();
    let err = client.send(&Request::get(url)).await.unwrap_err();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert_eq!(clock.passed(), Duration::ZERO);
    let r = crate::error::report(&err);
    assert_eq!(r.status, crate::error::ExitStatus::Failure);
    assert_eq!(
        r.message,
        "store abc123 answered 429 Too Many Requests and asked to wait 3600.0 s (X-Retry-After: 3600), longer than --max-wait 60.0 s: not waiting"
    );
    assert_eq!(
        r.hints,
        ["run it again later, or give a longer --max-wait (e.g. --max-wait 10m)"]
    );
}

fn headline(status: u16, body: &str) -> String {
    Answer {
        status: StatusCode::from_u16(status).unwrap(),
        version: Version::HTTP_11,
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
    }
    .headline()
}

#[test]
fn a_headline_says_the_status_words_once() {
    let title = |t: &str| format!(r#"{{"status":401,"title":{t:?}}}"#);
    assert_eq!(headline(401, &title("Unauthorized")), "401 Unauthorized");
    assert_eq!(headline(401, &title("unauthorized.")), "401 Unauthorized");
    assert_eq!(
        headline(401, &title("401 Unauthorized")),
        "401 Unauthorized"
    );
    assert_eq!(
        headline(401, &title("Unauthorized: token revoked")),
        "401 Unauthorized: token revoked"
    );
    assert_eq!(
        headline(401, &title("You must provide a valid X-Auth-Token header")),
        "401 Unauthorized: You must provide a valid X-Auth-Token header"
    );
    // Only whole words: a title that merely starts alike is kept.
    assert_eq!(
        headline(401, &title("Unauthorizedness reigns")),
        "401 Unauthorized: Unauthorizedness reigns"
    );
    assert_eq!(
        headline(403, &title("4031 items")),
        "403 Forbidden: 4031 items"
    );
    assert_eq!(headline(500, "not json"), "500 Internal Server Error");
}
