//! Shared pools (`BCCONN_POOL_URL`, issue 11): two `BCCONN_HOME`s stand for
//! two machines. Each saves the same connection (same name, same store, same
//! token; its id differs, as it would), and both point at one Redis. The
//! tests that need a Redis are ignored unless `--include-ignored` (as
//! `.ci/run` does); they use `BCCONN_TEST_REDIS_URL`, else spawn a private
//! `redis-server` (see `common/redis_server.rs`). Each uses a store hash of
//! its own, so they can share one server.

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use serde_json::Value;

use crate::api::{TOKEN, add_token_connection};
use crate::common::fake_bc::FakeBc;
use crate::common::redis_server::RedisServer;
use crate::common::{Env, all_output, child_port};

/// A "machine": its own home, connection `shop` on `hash` at `level`,
/// pools in the Redis at `url`.
fn machine(fake: &FakeBc, url: &str, hash: &str, level: &str) -> Env {
    let mut env = Env::with_fake(fake);
    env.set("BCCONN_CONNECTION", "shop");
    env.set("BCCONN_POOL_URL", url);
    add_token_connection(fake, &env, "shop", hash, TOKEN, &["--concurrency", level]);
    env
}

fn spawn(env: &Env, args: &[&str]) -> Child {
    env.std_cmd(args)
        .current_dir(env.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    assert!(
        !all_output(&out).contains(TOKEN),
        "the token was printed: {}",
        all_output(&out)
    );
    out
}

fn items(out: &Output) -> usize {
    assert_eq!(out.status.code(), Some(0), "{}", all_output(out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().len()
}

fn connection_id(env: &Env) -> String {
    env.list()[0]["id"].as_str().unwrap_or_default().to_string()
}

#[test]
#[ignore = "needs a redis-server (.ci/run starts one)"]
fn two_machines_share_one_pool_of_level_2() {
    const HASH: &str = "rds001";
    let redis = RedisServer::start();
    redis.forget_store(HASH);
    let fake = FakeBc::start();
    fake.add_store(HASH, "Shared Shop", "shared.example.com");
    fake.add_products(HASH, 20);
    let a = machine(&fake, &redis.url, HASH, "2");
    let b = machine(&fake, &redis.url, HASH, "2");
    assert_ne!(
        connection_id(&a),
        connection_id(&b),
        "the pool is found by name, not by id"
    );
    fake.set_latency(Duration::from_millis(100));
    let args = ["api", "v3/catalog/products?limit=2", "--paginate"];
    let (pa, pb) = (spawn(&a, &args), spawn(&b, &args));
    assert_eq!(items(&finish(pa)), 20);
    assert_eq!(items(&finish(pb)), 20);
    assert_eq!(
        fake.max_in_flight(HASH),
        2,
        "never more than 2 in flight across both machines, and 2 reached"
    );
    assert_eq!(fake.served_429(), 0);
    // `status` checks through the same pools.
    let out = finish(spawn(&a, &["status"]));
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

#[test]
#[ignore = "needs a redis-server (.ci/run starts one)"]
fn a_sigkilled_holders_slot_is_reused_within_the_ttl() {
    const HASH: &str = "rds002";
    let redis = RedisServer::start();
    redis.forget_store(HASH);
    let fake = FakeBc::start();
    fake.add_store(HASH, "Shared Shop", "shared.example.com");
    let mut a = machine(&fake, &redis.url, HASH, "1");
    let mut b = machine(&fake, &redis.url, HASH, "1");
    for env in [&mut a, &mut b] {
        env.set("BCCONN_POOL_TTL", "2s");
    }
    // A takes the only slot and hangs in its request; then it is killed.
    fake.set_latency(Duration::from_secs(20));
    let mut holder = spawn(&a, &["api", "v2/time"]);
    let start = Instant::now();
    while fake.count("GET", &format!("/stores/{HASH}/v2/time")) == 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "A never sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    holder.kill().unwrap(); // SIGKILL: no release, no more renewals
    holder.wait().unwrap();
    fake.set_latency(Duration::ZERO);
    let killed = Instant::now();
    let out = finish(spawn(&b, &["api", "v2/time"]));
    let waited = killed.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    // The lease was renewed at most TTL/3 before the kill, so it lapses
    // 1.3 to 2 s after it; B waited for that, and no longer.
    assert!(
        waited >= Duration::from_millis(1000),
        "B did not wait for the dead holder's lease ({waited:?})"
    );
    assert!(
        waited < Duration::from_millis(3500),
        "B waited {waited:?}, past the 2 s TTL"
    );
}

#[test]
#[ignore = "needs a redis-server (.ci/run starts one)"]
fn two_machines_sharing_a_quota_of_5_per_second_get_no_429() {
    const HASH: &str = "rds003";
    let redis = RedisServer::start();
    redis.forget_store(HASH);
    let fake = FakeBc::start();
    fake.add_store(HASH, "Shared Shop", "shared.example.com");
    fake.add_products(HASH, 16);
    let a = machine(&fake, &redis.url, HASH, "5");
    let b = machine(&fake, &redis.url, HASH, "5");
    fake.set_rate_window(5, Duration::from_secs(1));
    // 8 pages each, 16 requests in all: about 3 windows of 5.
    let args = ["api", "v3/catalog/products?limit=2", "--paginate"];
    let (pa, pb) = (spawn(&a, &args), spawn(&b, &args));
    let (oa, ob) = (finish(pa), finish(pb));
    assert_eq!(items(&oa), 16);
    assert_eq!(items(&ob), 16);
    // Without a shared book the two machines send 10 or more into the first
    // window of 5 and meet several 429s. With it, one request at a window's
    // edge can still meet the fake's lazily started next window (about 1 run
    // in 12 under load, not yet explained; the 429 is waited out): at most 1.
    assert!(
        fake.served_429() <= 1,
        "{} 429s\n{}\n{}",
        fake.served_429(),
        all_output(&oa),
        all_output(&ob)
    );
    let sent = fake.count("GET", &format!("/stores/{HASH}/v3/catalog/products"));
    assert!(
        sent == 16 + fake.served_429(),
        "{sent} requests for 16 pages"
    );
}

/// No Redis needed: nothing listens on the port.
#[test]
fn redis_down_is_one_clear_error_without_the_password() {
    const HASH: &str = "rds004";
    let fake = FakeBc::start();
    fake.add_store(HASH, "Shared Shop", "shared.example.com");
    let port = child_port();
    let url = format!("redis://:s3cretPW@127.0.0.1:{port}/3");
    let env = machine(&fake, &url, HASH, "2");
    let before = fake.requests().len();
    for args in [&["api", "v2/time"][..], &["status"][..]] {
        let out = finish(spawn(&env, args));
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", all_output(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("redis://:***@127.0.0.1:{port}/3"))
                && stderr.contains("connection refused"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("hint:") && stderr.contains("BCCONN_POOL_URL"));
        assert!(!all_output(&out).contains("s3cretPW"), "{stderr}");
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{stderr}"
        );
    }
    assert_eq!(fake.requests().len(), before, "nothing reached the store");
    // A URL that is not a Redis URL is a usage error (exit 2), also masked.
    let mut env = env;
    env.set("BCCONN_POOL_URL", "http://:s3cretPW@127.0.0.1:1/0");
    let out = finish(spawn(&env, &["api", "v2/time"]));
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(!all_output(&out).contains("s3cretPW"));
}

/// Figures for the note (printed, not asserted): `bcconn api` against the
/// fake with no latency, local pools and Redis (median of 30 runs each);
/// then 2 machines x 4 processes at level 5, the fake adding 200 ms per
/// request, against the ideal the level allows, and the same 8 processes
/// on one machine with local pools.
#[test]
#[ignore = "needs a redis-server (.ci/run starts one)"]
fn bench_shared_pools() {
    const HASH: &str = "rdsbench";
    let redis = RedisServer::start();
    redis.forget_store(HASH);
    let fake = FakeBc::start();
    fake.add_store(HASH, "Shared Shop", "shared.example.com");
    fake.add_products(HASH, 20);
    // The pools are measured here, not the rate limit.
    fake.set_rate_window(100_000, Duration::from_secs(30));
    let a = machine(&fake, &redis.url, HASH, "5");
    let b = machine(&fake, &redis.url, HASH, "5");
    let mut local = Env::with_fake(&fake);
    local.set("BCCONN_CONNECTION", "shop");
    add_token_connection(&fake, &local, "shop", HASH, TOKEN, &["--concurrency", "5"]);

    // Interleaved, so that whatever else the machine does hits both alike.
    let (mut l, mut r) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        for (env, times) in [(&local, &mut l), (&a, &mut r)] {
            let t = Instant::now();
            let out = finish(spawn(env, &["api", "v2/time"]));
            assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (l, r) = (median(l), median(r));
    println!(
        "BENCH one `bcconn api v2/time`, no latency: local pools {l:.1} ms, Redis {r:.1} ms (median of 30; +{:.1} ms)",
        r - l
    );

    let latency = Duration::from_millis(200);
    fake.set_latency(latency);
    let args = ["api", "v3/catalog/products?limit=2", "--paginate"];
    let run = |label: &str, envs: &[&Env]| {
        let before = fake.requests().len();
        let start = Instant::now();
        let children: Vec<Child> = envs.iter().map(|e| spawn(e, &args)).collect();
        for c in children {
            assert_eq!(items(&finish(c)), 20);
        }
        let wall = start.elapsed().as_secs_f64();
        let requests = fake.requests().len() - before;
        let ideal = requests.div_ceil(5) as f64 * latency.as_secs_f64();
        println!(
            "BENCH {label}: {requests} requests at level 5, 200 ms each: {wall:.2} s, ideal {ideal:.2} s ({:.2}x), {:.1} requests/s of {:.1}",
            wall / ideal,
            requests as f64 / wall,
            5.0 / latency.as_secs_f64()
        );
    };
    run(
        "2 machines x 4 processes, Redis",
        &[&a, &a, &a, &a, &b, &b, &b, &b],
    );
    run(
        "1 machine x 8 processes, local pools",
        &[
            &local, &local, &local, &local, &local, &local, &local, &local,
        ],
    );
    println!(
        "BENCH max in flight at the fake: {}",
        fake.max_in_flight(HASH)
    );
}

/// `bcconn doctor` checks the pool URL when one is set, and never shows its
/// password.
#[test]
fn doctor_checks_the_pool_url_without_showing_its_password() {
    let mut env = crate::common::Env::new();
    let port = crate::common::child_port();
    env.set(
        "BCCONN_POOL_URL",
        &format!("redis://:hunter2-pool-pw@127.0.0.1:{port}/0"),
    );
    let out = env.cmd(&["doctor", "--json"]).output().unwrap();
    let text = crate::common::all_output(&out);
    assert!(!text.contains("hunter2-pool-pw"), "{text}");
    let checks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pool = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "pool_url")
        .unwrap_or_else(|| panic!("no pool_url check in {checks}"));
    assert_eq!(pool["verdict"], "fail", "{pool}");
    assert!(
        pool["subject"].as_str().unwrap().contains(":***@127.0.0.1"),
        "{pool}"
    );
    assert_ne!(out.status.code(), Some(0));
}

/// Issue 14, item 7: once a request is sent, its answer wins. Redis dies
/// while the store answers a POST (the fake's handler stops it): recording
/// the rate-limit headers and freeing the slot fail, and those are
/// warnings; the body (the new id) is printed and the exit status is the
/// answer's.
#[test]
#[ignore = "needs a redis-server (.ci/run starts one)"]
fn an_answer_stands_when_redis_dies_while_it_comes() {
    const HASH: &str = "rds014";
    let redis = std::sync::Arc::new(std::sync::Mutex::new(RedisServer::spawn(None)));
    let url = redis.lock().unwrap().url.clone();
    let fake = FakeBc::start();
    fake.add_store(HASH, "Doomed Redis", "doomed.example.com");
    let env = machine(&fake, &url, HASH, "1");
    let r = redis.clone();
    fake.hostile("POST", "v3/catalog/products", move |_rec, _n| {
        let r = r.clone();
        async move {
            r.lock().unwrap().stop();
            (
                axum::http::StatusCode::CREATED,
                [
                    ("x-rate-limit-requests-left", "140"),
                    ("x-rate-limit-requests-quota", "150"),
                    ("x-rate-limit-time-reset-ms", "20000"),
                    ("x-rate-limit-time-window-ms", "30000"),
                ],
                axum::Json(serde_json::json!({"data": {"id": 4242, "name": "Widget"}})),
            )
                .into_response()
        }
    });
    let out = finish(spawn(
        &env,
        &[
            "api",
            "-X",
            "POST",
            "v3/catalog/products",
            "-f",
            "name=Widget",
        ],
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        stdout.contains("4242"),
        "the body is printed: {}",
        all_output(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("answer stands"), "{stderr}");
    assert_eq!(fake.hostile_hits("POST", "v3/catalog/products"), 1);
}

/// Issue 14, item 6: a pool's slots lost in Redis (here `FLUSHALL` while
/// three requests of level 3 are in flight) used to let another machine
/// start three more at once (6 in flight). The renewal finds its lease
/// gone, says so without `-v`, and takes its slot again before anyone new
/// gets it: the store never sees more than the level.
#[test]
#[ignore = "needs a redis-server (.ci/run starts one)"]
fn lost_leases_are_said_and_taken_again_before_others_get_them() {
    const HASH: &str = "rds015";
    let redis = RedisServer::spawn(None);
    let fake = FakeBc::start();
    fake.add_store(HASH, "Flushed Shop", "flushed.example.com");
    let mut a = machine(&fake, &redis.url, HASH, "3");
    let mut b = machine(&fake, &redis.url, HASH, "3");
    for env in [&mut a, &mut b] {
        env.set("BCCONN_POOL_TTL", "1s");
    }
    fake.hostile("GET", "v2/orders", |_rec, _n| async move {
        tokio::time::sleep(Duration::from_millis(3000)).await;
        axum::Json(serde_json::json!([{"id": 1}])).into_response()
    });
    let first: Vec<Child> = (0..3).map(|_| spawn(&a, &["api", "v2/orders"])).collect();
    let started = Instant::now();
    while fake.hostile_hits("GET", "v2/orders") < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "three in flight"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let _: String = redis::cmd("FLUSHALL")
        .query(&mut redis.connection())
        .unwrap();
    // The renewals (every TTL/3) notice and take their three slots again
    // before the others start: waited for, not guessed with a sleep.
    let flushed = Instant::now();
    loop {
        let mut con = redis.connection();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("bcconn:pool:*:holders")
            .query(&mut con)
            .unwrap();
        let mut held = 0;
        for k in keys {
            let n: u64 = redis::cmd("ZCARD").arg(&k).query(&mut con).unwrap();
            held += n;
        }
        if held >= 3 {
            break;
        }
        assert!(
            flushed.elapsed() < Duration::from_secs(20),
            "the lost leases were not taken again ({held} held)"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second: Vec<Child> = (0..3).map(|_| spawn(&b, &["api", "v2/orders"])).collect();
    let mut said = 0;
    for child in first {
        let out = finish(child);
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
        if String::from_utf8_lossy(&out.stderr).contains("gone from Redis") {
            said += 1;
        }
    }
    for child in second {
        let out = finish(child);
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    }
    println!(
        "FIGURE peak in flight at level 3 after FLUSHALL: {}",
        fake.max_in_flight(HASH)
    );
    assert!(said >= 1, "the lost lease was said without -v");
    assert!(
        fake.max_in_flight(HASH) <= 3,
        "{} in flight at level 3",
        fake.max_in_flight(HASH)
    );
}

/// Figures for the note (printed, not asserted): the same 2 machines x 4
/// processes of `api --paginate` at level 5 (200 ms per request at the
/// fake) with the pools in Redis and the records, token included, in
/// PostgreSQL, against the ideal the level allows.
#[test]
#[ignore = "needs a redis-server and PostgreSQL (.ci/run starts both)"]
fn bench_shared_pools_with_records_in_postgresql() {
    const HASH: &str = "pgbench1";
    let redis = RedisServer::start();
    redis.forget_store(HASH);
    let db = crate::common::postgres::TestDb::new();
    let fake = FakeBc::start();
    fake.add_store(HASH, "Shared Shop", "shared.example.com");
    fake.add_products(HASH, 20);
    fake.set_rate_window(100_000, Duration::from_secs(30));
    let key = {
        let out = Env::new().cmd(&["secrets", "new-key"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let machine = || {
        let mut env = Env::with_fake(&fake);
        env.set("BCCONN_CONNECTION", "shop");
        env.set("BCCONN_POOL_URL", &redis.url);
        env.set("BCCONN_STORE_URL", &db.url);
        env.set("BCCONN_SECRET_STORE", "sealed");
        env.set("BCCONN_SECRET_KEY", &key);
        env
    };
    let (a, b) = (machine(), machine());
    // Saved once, on A: B reads the same record and token.
    add_token_connection(&fake, &a, "shop", HASH, TOKEN, &["--concurrency", "5"]);
    let latency = Duration::from_millis(200);
    fake.set_latency(latency);
    let args = ["api", "v3/catalog/products?limit=2", "--paginate"];
    let before = fake.requests().len();
    let start = Instant::now();
    let envs = [&a, &a, &a, &a, &b, &b, &b, &b];
    let children: Vec<Child> = envs.iter().map(|e| spawn(e, &args)).collect();
    for c in children {
        assert_eq!(items(&finish(c)), 20);
    }
    let wall = start.elapsed().as_secs_f64();
    let requests = fake.requests().len() - before;
    let ideal = requests.div_ceil(5) as f64 * latency.as_secs_f64();
    println!(
        "BENCH 2 machines x 4 processes, pools in Redis, records in PostgreSQL: {requests} requests at level 5, 200 ms each: {wall:.2} s, ideal {ideal:.2} s ({:.2}x)",
        wall / ideal
    );
    assert!(
        fake.max_in_flight(HASH) <= 5,
        "the level held across both machines"
    );
}
