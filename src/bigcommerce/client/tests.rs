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
