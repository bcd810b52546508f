//! The issue's benchmarks for using a connection (figures are printed,
//! never asserted). Run them with `bench/use.sh`, or:
//!
//! ```text
//! cargo test --release --test testsuite bench:: -- --ignored --nocapture --test-threads 1
//! ```
//!
//! Each starts the fake BigCommerce in this process, saves token connections
//! through the real binary, then times commands with hyperfine (or, when it
//! is missing, a loop of runs timed here). The fake's quota is raised far
//! above BigCommerce's 150 per 30 s: repeated runs would otherwise (rightly)
//! wait for the window to reset, and these figures are about concurrency.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::api::add_token_connection;
use crate::common::fake_bc::FakeBc;
use crate::common::{BIN, Env};

/// (label, command line for `sh -c`) -> (mean, median, min) seconds.
fn time(env: &Env, cmds: &[(&str, String)], runs: usize) -> Vec<(f64, f64, f64)> {
    let hyperfine = Command::new("hyperfine").arg("--version").output().is_ok();
    let mut out = Vec::new();
    if hyperfine {
        let json = env.dir.path().join("hyperfine.json");
        let mut cmd = Command::new("hyperfine");
        cmd.env_clear();
        for (k, v) in env.vars() {
            cmd.env(k, v);
        }
        cmd.current_dir(env.dir.path());
        cmd.args([
            "--warmup",
            "2",
            "--runs",
            &runs.to_string(),
            "-N",
            "--export-json",
        ]);
        cmd.arg(&json);
        for (label, line) in cmds {
            cmd.args(["-n", label, line]);
        }
        let status = cmd.status().unwrap();
        assert!(status.success());
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        for r in v["results"].as_array().unwrap() {
            let f = |k: &str| r[k].as_f64().unwrap();
            out.push((f("mean"), f("median"), f("min")));
        }
        return out;
    }
    for (label, line) in cmds {
        let mut times = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            let mut cmd = Command::new("sh");
            cmd.env_clear()
                .arg("-c")
                .arg(line)
                .current_dir(env.dir.path());
            for (k, v) in env.vars() {
                cmd.env(k, v);
            }
            assert!(cmd.output().unwrap().status.success(), "{label}");
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        out.push((mean, times[times.len() / 2], times[0]));
    }
    out
}

fn report(label: &str, (mean, median, min): (f64, f64, f64), ideal: Option<f64>) {
    let vs = ideal
        .map(|i| format!(" = {:.2}x the ideal {i:.2} s", median / i))
        .unwrap_or_default();
    eprintln!("BENCH {label}: median {median:.3} s, mean {mean:.3} s, min {min:.3} s{vs}");
}

#[test]
#[ignore = "benchmark: bench/use.sh"]
fn bench_paginate_20_pages_at_level_5() {
    let fake = FakeBc::start();
    fake.add_store("abc123", "Acme", "acme.example.com");
    let env = Env::with_fake(&fake);
    add_token_connection(
        &fake,
        &env,
        "shop",
        "abc123",
        "tokenBENCH0123456789abcdefgh",
        &["--concurrency", "5"],
    );
    fake.add_products("abc123", 100);
    fake.set_latency(Duration::from_millis(200));
    fake.set_rate_window(1_000_000, Duration::from_secs(30));
    let line = format!("{BIN} api -c shop v3/catalog/products?limit=5 --paginate");
    let r = time(
        &env,
        &[("api --paginate, 20 pages, level 5, 200 ms", line)],
        10,
    );
    report(
        "paginate 20 pages at level 5 (200 ms per request)",
        r[0],
        Some(1.0),
    );
    eprintln!("      a sequential pager needs 20 x 0.2 = 4.0 s");
}

#[test]
#[ignore = "benchmark: bench/use.sh"]
fn bench_status_100_connections_in_4_pools_of_level_5() {
    let fake = FakeBc::start();
    let env = Env::with_fake(&fake);
    for p in 0..4 {
        let hash = format!("pool{p}store");
        fake.add_store(&hash, &hash, "x.example.com");
        let owner = format!("p{p}-00");
        add_token_connection(
            &fake,
            &env,
            &owner,
            &hash,
            &format!("token{p}x00aaaaaaaaaaaaaaaaaaaa"),
            &["--concurrency", "5"],
        );
        for i in 1..25 {
            let name = format!("p{p}-{i:02}");
            add_token_connection(
                &fake,
                &env,
                &name,
                &hash,
                &format!("token{p}x{i:02}aaaaaaaaaaaaaaaaaaaa"),
                &["--borrow-concurrency-from", &owner],
            );
        }
    }
    fake.set_latency(Duration::from_millis(200));
    fake.set_rate_window(1_000_000, Duration::from_secs(30));
    let line = format!("{BIN} status --json");
    let r = time(
        &env,
        &[("status, 100 connections, 4 pools of level 5", line)],
        5,
    );
    // 25 checks per pool, 5 at a time, one 200 ms request each: 5 rounds.
    report(
        "status over 100 connections in 4 pools of level 5 (200 ms)",
        r[0],
        Some(1.0),
    );
    for p in 0..4 {
        assert_eq!(fake.max_in_flight(&format!("pool{p}store")), 5);
    }
}

#[test]
#[ignore = "benchmark: bench/use.sh"]
fn bench_one_get_against_curl() {
    let fake = FakeBc::start();
    fake.add_store("abc123", "Acme", "acme.example.com");
    let env = Env::with_fake(&fake);
    let token = "tokenCURL0123456789abcdefghi";
    add_token_connection(&fake, &env, "shop", "abc123", token, &[]);
    fake.set_rate_window(1_000_000, Duration::from_secs(30));
    let api = format!("{BIN} api -c shop v2/time");
    let curl = format!(
        "curl -sf -H 'X-Auth-Token: {token}' -H 'Accept: application/json' {}/stores/abc123/v2/time",
        fake.url()
    );
    let r = time(&env, &[("bcconn api GET", api), ("curl GET", curl)], 50);
    report("bcconn api v2/time", r[0], None);
    report("curl v2/time", r[1], None);
    eprintln!("      bcconn / curl (median): {:.2}x", r[0].1 / r[1].1);
}

/// A fresh sealing key as `ID:BASE64`, from the binary.
fn sealing_key(env: &Env) -> String {
    let out = env.cmd(&["secrets", "new-key"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
#[ignore = "benchmark: bench/sealed.sh"]
fn bench_token_from_the_sealed_store_against_the_file_store() {
    let fake = FakeBc::start();
    fake.add_store("abc123", "Acme", "acme.example.com");
    let mut env = Env::with_fake(&fake);
    add_token_connection(
        &fake,
        &env,
        "plain",
        "abc123",
        "tokenPLAIN0123456789abc",
        &[],
    );
    let key = sealing_key(&env);
    env.set("BCCONN_SECRET_KEY", &key);
    env.set("BCCONN_SECRET_STORE", "sealed");
    add_token_connection(
        &fake,
        &env,
        "sealed",
        "abc123",
        "tokenSEALED0123456789ab",
        &[],
    );
    let r = time(
        &env,
        &[
            ("token, file store", format!("{BIN} token plain")),
            ("token, sealed store", format!("{BIN} token sealed")),
        ],
        50,
    );
    report("bcconn token (file store)", r[0], None);
    report("bcconn token (sealed store)", r[1], None);
    eprintln!(
        "      sealed / file (median): {:.2}x ({:.2} ms against {:.2} ms)",
        r[1].1 / r[0].1,
        r[1].1 * 1000.0,
        r[0].1 * 1000.0
    );
}

#[test]
#[ignore = "benchmark: bench/sealed.sh"]
fn bench_rotate_key_over_10000_secrets() {
    use bcconn::secrets::seal::SealKeys;
    use secrecy::SecretString;
    let env = Env::new();
    let key = sealing_key(&env);
    let keys = SealKeys::parse(&SecretString::from(key.clone()), "bench").unwrap();
    // 10,000 sealed tokens, written in one transaction through the library.
    let records = bcconn::store::Records::new(&env.home());
    records
        .update(|tx| {
            for i in 0..10_000 {
                let account = format!("connection/{i:016x}/g1");
                let secret = SecretString::from(format!("token-{i:06}-abcdefghijklmnopq"));
                tx.sealed_put(&account, &keys.seal(&account, &secret)?)?;
            }
            Ok(())
        })
        .unwrap();
    let file = env.dir.path().join("new.key");
    std::fs::write(&file, sealing_key(&env)).unwrap();
    crate::common::set_mode(&file, 0o600);
    let mut env = env;
    env.set("BCCONN_SECRET_KEY", &key);
    let started = Instant::now();
    let out = env
        .cmd(&[
            "secrets",
            "rotate-key",
            "--new-key-file",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Re-sealed 10000 secrets"));
    report(
        "rotate-key over 10,000 sealed secrets (one run)",
        (took, took, took),
        None,
    );
}
