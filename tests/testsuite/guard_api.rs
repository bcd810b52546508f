//! `bcconn api` against a hostile store (issue 14, items 1, 2, 3, 8, 9 and
//! the api parts of 13 and 15): lists that never end or lie about their
//! pages, bodies too deep or too big, filters that never end, and files
//! that are not files. Every case ends with a clear message; none aborts.

use std::io::Read;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::{run, setup};
use crate::common::fake_bc::Recorded;
use crate::common::{all_output, assert_exit, json_answer, stderr, stdout};

// ---- 1. a bare array that ignores `page` ----------------------------------

#[test]
fn paginate_a_bare_array_that_ignores_page_ends_with_each_item_once() {
    let (fake, env) = setup("2");
    fake.hostile(
        "GET",
        "v2/shipping/zones",
        |_rec: Recorded, _n| async move {
            json_answer(json!([{"id": 1, "name": "US"}, {"id": 2, "name": "EU"}]))
        },
    );
    let out = env
        .cmd(&["api", "v2/shipping/zones", "--paginate"])
        .current_dir(env.dir.path())
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let hits = fake.hostile_hits("GET", "v2/shipping/zones");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{hits} requests in 20 s: {}",
        all_output(&out)
    );
    let items: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        items,
        json!([{"id": 1, "name": "US"}, {"id": 2, "name": "EU"}])
    );
    // Page 1, then at most one batch (the pool's level) before the repeat
    // is seen.
    assert!(hits <= 3, "{hits} requests for a one-page list");
}

#[test]
fn paginate_stops_at_max_pages_and_says_the_list_is_cut() {
    let (fake, env) = setup("2");
    // Every page is new: the list never ends.
    fake.hostile("GET", "v2/orders", |_rec: Recorded, n| async move {
        json_answer(json!([{"id": n + 1}]))
    });
    let out = run(
        &env,
        &["api", "v2/orders", "--paginate", "--max-pages", "5"],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("5 pages") && err.contains("--max-pages"),
        "{err}"
    );
    assert!(
        stdout(&out).is_empty(),
        "a list cut short is not printed as if whole: {}",
        stdout(&out)
    );
    assert_eq!(fake.hostile_hits("GET", "v2/orders"), 5);
}

#[test]
fn paginate_has_a_default_cap() {
    let (fake, env) = setup("4");
    fake.hostile("GET", "v2/orders", |_rec: Recorded, n| async move {
        json_answer(json!([{"id": n + 1}]))
    });
    let started = Instant::now();
    let out = run(&env, &["api", "v2/orders", "--paginate"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("1000 pages"), "{}", stderr(&out));
    assert_eq!(fake.hostile_hits("GET", "v2/orders"), 1000);
    assert!(started.elapsed() < Duration::from_secs(55));
}

// ---- 2. cursor-paged v3 lists ----------------------------------------------

fn cursor_page(items: &[u64], next: Option<&str>) -> Value {
    let data: Vec<Value> = items.iter().map(|i| json!({"id": i})).collect();
    let mut links = json!({"current": "?limit=2"});
    if let Some(n) = next {
        links["next"] = json!(n);
    }
    json!({"data": data, "meta": {"cursor_pagination": {
        "count": items.len(), "per_page": 2,
        "start_cursor": "s", "end_cursor": next.map(|n| n.trim_start_matches("?after=")),
        "links": links
    }}})
}

#[test]
fn a_cursor_paged_list_is_followed_to_its_end() {
    let (fake, env) = setup("2");
    fake.hostile(
        "GET",
        "v3/infrastructure/projects",
        |rec: Recorded, _n| async move {
            let page = match rec.query_param("after").as_deref() {
                None => cursor_page(&[1, 2], Some("?after=c1&limit=2")),
                Some("c1") => cursor_page(&[3, 4], Some("?after=c2&limit=2")),
                Some("c2") => cursor_page(&[5], None),
                Some(other) => panic!("unexpected cursor {other}"),
            };
            json_answer(page)
        },
    );
    let out = run(
        &env,
        &["api", "v3/infrastructure/projects?limit=2", "--paginate"],
    );
    assert_exit(&out, 0);
    let items: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        items,
        json!([{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}])
    );
    assert_eq!(fake.hostile_hits("GET", "v3/infrastructure/projects"), 3);
}

#[test]
fn a_repeated_cursor_is_a_loop_and_an_error() {
    let (fake, env) = setup("1");
    fake.hostile(
        "GET",
        "v3/channels/1/listings",
        |_r: Recorded, n| async move { json_answer(cursor_page(&[n + 1], Some("?after=same"))) },
    );
    let out = run(&env, &["api", "v3/channels/1/listings", "--paginate"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("cursor"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert_eq!(fake.hostile_hits("GET", "v3/channels/1/listings"), 2);
}

#[test]
fn paging_bcconn_cannot_follow_is_an_error_not_a_first_page() {
    let (fake, env) = setup("1");
    fake.hostile("GET", "v3/odd", |_r: Recorded, _n| async move {
        json_answer(json!({"data": [{"id": 1}], "meta": {"cursor_pagination": {
            "links": {"next": "https://elsewhere.example/next?after=x"}
        }}}))
    });
    let out = run(&env, &["api", "v3/odd", "--paginate"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("cannot follow"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert_eq!(fake.hostile_hits("GET", "v3/odd"), 1);
    // A v2 list whose next page is not a list at all is not "the end".
    fake.hostile("GET", "v2/odd", |_r: Recorded, n| async move {
        match n {
            0 => json_answer(json!([{"id": 1}])),
            _ => json_answer(json!({"status": "maintenance"})),
        }
    });
    let out = run(&env, &["api", "v2/odd", "--paginate"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("page 2 is not a JSON array"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

// ---- 3. absurd total_pages / current_page ------------------------------------

fn numbered(current: Value, total: Value) -> Value {
    json!({"data": [{"id": 1}], "meta": {"pagination": {
        "current_page": current, "total_pages": total, "count": 1, "per_page": 1
    }}})
}

#[test]
fn absurd_page_counts_are_errors_not_aborts() {
    let (fake, env) = setup("3");
    for (total, args) in [
        (json!(1_000_000_000_000u64), vec![]),
        (json!(u64::MAX), vec!["--max-pages", "0"]),
        (json!(1e12), vec![]),
    ] {
        let t = total.clone();
        fake.hostile("GET", "v3/catalog/products", move |r: Recorded, _n| {
            let t = t.clone();
            // Each page says it is the page asked for (a list that answers
            // page 1 to every ask is stopped at page 2, guard_review).
            let page: u64 = r
                .query_param("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            async move { json_answer(numbered(json!(page), t)) }
        });
        let mut argv = vec!["api", "v3/catalog/products", "--paginate"];
        argv.extend(args.iter().copied());
        let out = if args.is_empty() {
            run(&env, &argv)
        } else {
            // No cap: bcconn goes on (lazily) until stopped; it must not
            // abort on the way. Stop it after a few seconds.
            let mut child = env
                .std_cmd(&argv)
                .current_dir(env.dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_secs(3));
            assert!(
                child.try_wait().unwrap().is_none(),
                "total_pages={total} with no cap ended early: {}",
                all_output(&child.wait_with_output().unwrap())
            );
            child.kill().unwrap();
            child.wait().unwrap();
            continue;
        };
        assert_exit(&out, 1);
        assert!(stderr(&out).contains("pages"), "{total}: {}", stderr(&out));
        if total == json!(1_000_000_000_000u64) {
            assert!(
                stderr(&out)
                    .contains("1000000000000 pages (total_pages), more than --max-pages 1000"),
                "{}",
                stderr(&out)
            );
        }
        // Refused from page 1: no quota spent on a list that cannot be whole.
        assert_eq!(fake.hostile_hits("GET", "v3/catalog/products"), 1);
        assert!(stdout(&out).is_empty());
    }
    // Asked page 1, told it is page 7.
    fake.hostile(
        "GET",
        "v3/catalog/products",
        |_r: Recorded, _n| async move { json_answer(numbered(json!(7), json!(9))) },
    );
    let out = run(&env, &["api", "v3/catalog/products", "--paginate"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("page 7"), "{}", stderr(&out));
}

#[test]
fn a_numbered_list_is_fetched_lazily_and_whole() {
    // Level 1 too: one page in flight at a time must still reach the end.
    for level in ["1", "3"] {
        let (fake, env) = setup(level);
        fake.hostile("GET", "v3/catalog/brands", |rec: Recorded, _n| async move {
            let page: u64 = rec.query_param("page").map_or(1, |p| p.parse().unwrap());
            json_answer(json!({"data": [{"id": page}], "meta": {"pagination": {
                "current_page": page, "total_pages": 40
            }}}))
        });
        let out = run(&env, &["api", "v3/catalog/brands", "--paginate"]);
        assert_exit(&out, 0);
        let items: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let ids: Vec<u64> = items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, (1..=40).collect::<Vec<_>>(), "level {level}");
        assert_eq!(fake.hostile_hits("GET", "v3/catalog/brands"), 40);
    }
}

// ---- 8. --jq never aborts ------------------------------------------------------

#[test]
fn jq_on_a_deeply_nested_answer_is_an_error() {
    let (fake, env) = setup("1");
    fake.hostile("GET", "v3/deep", |_r: Recorded, _n| async move {
        let body = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        ([("content-type", "application/json")], body).into_response()
    });
    let out = run(&env, &["api", "v3/deep", "--jq", ".[0]"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("deep"), "{}", stderr(&out));
}

#[test]
fn a_filter_that_never_ends_is_an_error() {
    let (fake, env) = setup("1");
    fake.hostile("GET", "v2/time", |_r: Recorded, _n| async move {
        json_answer(json!({"time": 1}))
    });
    for (filter, why) in [
        ("def f: 1 + f; f", "recursed too deep"),
        ("repeat(\"xxxxxxxxxxxxxxxx\")", "output passed 64 MiB"),
        // Grows slowly, without end: the filter's CPU limit (20 s) ends it.
        ("[repeat(1)]", "CPU time"),
    ] {
        // Generous for a loaded machine; without the limits these never end
        // (or abort bcconn).
        let out = env
            .cmd(&["api", "v2/time", "--jq", filter])
            .current_dir(env.dir.path())
            .timeout(Duration::from_secs(150))
            .output()
            .unwrap();
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains("--jq") && err.contains(why), "{filter}: {err}");
        assert!(out.stdout.is_empty(), "{filter}: nothing half-filtered");
    }
}

#[test]
fn a_write_whose_filter_fails_still_prints_the_answer() {
    let (fake, env) = setup("1");
    fake.hostile("POST", "v3/customers", |_r: Recorded, _n| async move {
        (
            axum::http::StatusCode::CREATED,
            axum::Json(json!({"data": [{"id": 4242}]})),
        )
            .into_response()
    });
    let out = run(
        &env,
        &[
            "api",
            "v3/customers",
            "-f",
            "email=a@b.c",
            "--jq",
            "def f: 1 + f; f",
        ],
    );
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("4242"), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--jq") && err.contains("printed above"),
        "{err}"
    );
    // A filter that works still prints only what it gives.
    let out = run(
        &env,
        &[
            "api",
            "v3/customers",
            "-f",
            "email=a@b.c",
            "--jq",
            ".data[0].id",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "4242\n");
}

// ---- 9. big bodies ---------------------------------------------------------

const MIB: usize = 1024 * 1024;

fn big_body(total: usize) -> Response {
    // One shared buffer (cloning `Bytes` copies nothing); the server sends
    // it in chunks, so bcconn sees a long stream.
    static BIG: std::sync::OnceLock<axum::body::Bytes> = std::sync::OnceLock::new();
    let big = BIG.get_or_init(|| axum::body::Bytes::from(vec![b'x'; 384 * MIB]));
    assert!(total <= big.len());
    (
        [("content-type", "text/plain")],
        Body::from(big.slice(..total)),
    )
        .into_response()
}

/// Runs `args`, counts what reaches stdout, and returns (exit code, bytes,
/// peak RSS in KiB) of the bcconn process itself. The peak is its VmHWM,
/// read while it writes (it cannot exit before its output is read). Not
/// wait4's ru_maxrss: Linux keeps in it the peak of the process that
/// spawned it (this test binary, with every other test's buffers), which
/// made a 115 MiB bcconn read as 470 MiB.
#[cfg(target_os = "linux")]
// The child is reaped by wait4 (for its own rusage), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn run_counting(env: &crate::common::Env, args: &[&str]) -> (Option<i32>, usize, i64, String) {
    use std::os::unix::process::ExitStatusExt;
    let mut child = env
        .std_cmd(args)
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let errs = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let pid = child.id() as libc::pid_t;
    let hwm = || -> Option<i64> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let mut peak = 0;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) => panic!("{e}"),
        }
        peak = peak.max(hwm().unwrap_or(0));
    }
    let mut status = 0;
    // SAFETY: a plain call on our own child; rusage is written by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid);
    let code = std::process::ExitStatus::from_raw(status).code();
    assert!(peak > 0 || total == 0, "no VmHWM read for pid {pid}");
    (code, total, peak, errs.join().unwrap())
}

#[test]
#[cfg(target_os = "linux")]
fn a_big_answer_streams_to_stdout() {
    let (fake, env) = setup("1");
    const TOTAL: usize = 384 * MIB;
    fake.hostile("GET", "v2/big", |_r: Recorded, _n| async move {
        big_body(TOTAL)
    });
    let (code, bytes, rss_kib, err) = run_counting(&env, &["api", "v2/big"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(bytes, TOTAL);
    assert!(
        rss_kib < 200 * 1024,
        "peak RSS {} MiB for a streamed answer",
        rss_kib / 1024
    );
}

#[test]
fn a_big_answer_to_buffer_is_refused_with_a_clear_error() {
    let (fake, env) = setup("1");
    fake.hostile("GET", "v2/big", |_r: Recorded, _n| async move {
        big_body(100 * MIB)
    });
    let out = run(&env, &["api", "v2/big", "--jq", "."]);
    assert_exit(&out, 1);
    // --jq takes less than the held-answer cap (review M4).
    assert!(stderr(&out).contains("32 MiB"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    // An error answer is held for its title: the same cap, and the status
    // is still said.
    fake.hostile("GET", "v2/big-error", |_r: Recorded, _n| async move {
        let mut r = big_body(100 * MIB);
        *r.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    });
    let out = run(&env, &["api", "v2/big-error"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("500") && err.contains("64 MiB"), "{err}");
}

#[test]
fn a_paged_list_too_big_to_hold_is_an_error() {
    let (fake, env) = setup("1");
    // 50 MiB a page, each page new: past 256 MiB after the sixth.
    fake.hostile("GET", "v2/products", |_r: Recorded, n| async move {
        let blob = "x".repeat(50 * MIB);
        json_answer(json!([{"id": n + 1, "blob": blob}]))
    });
    let out = run(&env, &["api", "v2/products", "--paginate"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("256 MiB"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(fake.hostile_hits("GET", "v2/products") <= 7);
}

// ---- 15. files that are not files, headers bcconn sets ----------------------

#[test]
#[cfg(unix)]
fn fields_and_input_read_only_bounded_regular_files() {
    let (fake, env) = setup("1");
    let fifo = env.dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a plain libc call with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let fifo = fifo.to_str().unwrap();
    let field = format!("x=@{fifo}");
    for args in [
        vec!["api", "v3/customers", "-F", "x=@/dev/zero"],
        vec!["api", "v3/customers", "--input", "/dev/zero"],
        vec!["api", "v3/customers", "-F", &field],
        vec!["api", "v3/customers", "--input", fifo],
    ] {
        let started = Instant::now();
        let out = run(&env, &args);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    // stdin is a stream, read only up to the same bound.
    let out = env
        .cmd(&["api", "v3/customers", "--input", "-"])
        .current_dir(env.dir.path())
        .write_stdin(vec![b'{'; 64 * MIB + 1])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("more than"), "{}", stderr(&out));
    for h in [
        "Host: evil.example",
        "content-length: 5",
        "Transfer-Encoding: chunked",
        "CONNECTION: close",
    ] {
        let out = run(&env, &["api", "v2/time", "-H", h]);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("bcconn sets"),
            "{h}: {}",
            stderr(&out)
        );
    }
    assert!(
        !fake
            .requests()
            .iter()
            .any(|r| r.path.ends_with("v3/customers")),
        "nothing was sent"
    );
}

// ---- 13. what reaches a terminal -------------------------------------------

#[test]
#[cfg(unix)]
fn on_a_terminal_control_characters_are_escaped_and_piped_output_is_exact() {
    use crate::wizard::Pty;
    const BANNER: &str = "hi \x1b]0;owned\x07 \x1b[2J there\n";
    let (fake, mut env) = setup("1");
    env.set("NO_COLOR", "1");
    fake.hostile("GET", "v2/banner", |_r: Recorded, _n| async move {
        ([("content-type", "text/plain")], BANNER).into_response()
    });
    fake.hostile("GET", "v2/named", |_r: Recorded, _n| async move {
        json_answer(json!({"name": "a\u{1b}[31mred\u{202e}"}))
    });
    for (args, shown) in [
        (
            vec!["api", "v2/banner"],
            "hi \\u{1b}]0;owned\\u{7} \\u{1b}[2J there",
        ),
        (
            vec!["api", "v2/named", "--jq", ".name"],
            "a\\u{1b}[31mred\\u{202e}",
        ),
        // Pretty JSON keeps JSON's own escapes.
        (
            vec!["api", "v2/named"],
            "\"name\": \"a\\u001b[31mred\\u{202e}\"",
        ),
    ] {
        let mut t = Pty::spawn(&env, &args);
        assert_eq!(t.finish(), 0, "{args:?}: {}", t.seen);
        assert!(
            !t.seen.contains('\x1b'),
            "{args:?}: raw ESC reached the terminal: {:?}",
            t.seen
        );
        assert!(!t.seen.contains('\u{202e}'), "{args:?}: {:?}", t.seen);
        assert!(t.seen.contains(shown), "{args:?}: {:?}", t.seen);
    }
    // Piped, the body is byte for byte what the store sent.
    let out = run(&env, &["api", "v2/banner"]);
    assert_exit(&out, 0);
    assert_eq!(out.stdout, BANNER.as_bytes());
    let out = run(&env, &["api", "v2/named", "--jq", ".name"]);
    assert_eq!(stdout(&out), "a\u{1b}[31mred\u{202e}\n");
}

// ---- review H1: a paged list is held as its text, not parsed --------------

/// A v2 page of `n` small products (~100 bytes each), ids unique per page.
fn small_items_page(page: u64, n: u64) -> String {
    let mut s = String::with_capacity((n * 110) as usize);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let id = page * 1_000_000 + i;
        s.push_str(&format!(
            r#"{{"id":{id},"name":"Product {id}","sku":"SKU-{id}","price":"12.50","inventory_level":7,"is_visible":true}}"#
        ));
    }
    s.push(']');
    s
}

#[test]
#[cfg(target_os = "linux")]
fn a_paged_list_of_small_items_is_held_near_its_size() {
    let (fake, env) = setup("1");
    // 10 pages of ~4 MiB of ~100-byte items (~40 MiB in all), then an
    // empty page. Held as parsed values this took ~35 times its size.
    const PAGES: u64 = 10;
    const PER_PAGE: u64 = 40_000;
    let data: usize = (1..=PAGES)
        .map(|p| small_items_page(p, PER_PAGE).len())
        .sum();
    fake.hostile("GET", "v2/products", |_r: Recorded, n| async move {
        let body = if n < PAGES {
            small_items_page(n + 1, PER_PAGE)
        } else {
            "[]".to_string()
        };
        ([("content-type", "application/json")], body).into_response()
    });
    let (code, bytes, rss_kib, err) = run_counting(&env, &["api", "v2/products", "--paginate"]);
    assert_eq!(code, Some(0), "{err}");
    // One array: each page's brackets become a comma, plus a newline.
    assert_eq!(bytes, data - 2 * PAGES as usize + (PAGES as usize - 1) + 3);
    eprintln!(
        "paged list of {} MiB: peak RSS {} MiB",
        data / MIB,
        rss_kib / 1024
    );
    assert!(
        (rss_kib as usize) * 1024 < 3 * data,
        "peak RSS {} MiB for a list of {} MiB",
        rss_kib / 1024,
        data / MIB
    );
}

// ---- review M4: what --jq takes is what its child can filter ---------------

/// `mib` MiB of small JSON objects, one array.
fn small_objects(mib: usize) -> String {
    let item = r#"{"id":1234567,"a":"x","b":[1,2],"c":{"d":true}}"#;
    let n = mib * MIB / (item.len() + 1);
    let mut s = String::with_capacity(mib * MIB + 2);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(item);
    }
    s.push(']');
    s
}

#[test]
fn jq_refuses_an_answer_its_child_cannot_hold_by_size_not_by_dying() {
    let (fake, env) = setup("1");
    // Below the 64 MiB held-answer cap: the 2 GiB child died on it (signal
    // 6) and the message blamed the filter.
    fake.hostile("GET", "v2/big-json", |_r: Recorded, _n| async move {
        ([("content-type", "application/json")], small_objects(60)).into_response()
    });
    let out = run(&env, &["api", "v2/big-json", "--jq", "length"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("32 MiB") && err.contains("--jq takes") && !err.contains("signal"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // What it takes, it filters.
    fake.hostile("GET", "v2/ok-json", |_r: Recorded, _n| async move {
        ([("content-type", "application/json")], small_objects(30)).into_response()
    });
    let out = run(
        &env,
        &["api", "v2/ok-json", "--jq", "[.[] | . + {x: 1}] | length"],
    );
    assert_exit(&out, 0);
}

#[test]
fn paginate_with_jq_stops_at_what_jq_takes() {
    let (fake, env) = setup("1");
    // 10 MiB a page, each page new, 12 pages: --jq takes 32 MiB, so the
    // fourth page ends it (not all twelve, which fit the 256 MiB list cap).
    fake.hostile("GET", "v2/products", |_r: Recorded, n| async move {
        let body = if n < 12 {
            format!(r#"[{{"id":{},"blob":"{}"}}]"#, n + 1, "x".repeat(10 * MIB))
        } else {
            "[]".into()
        };
        ([("content-type", "application/json")], body).into_response()
    });
    let out = run(
        &env,
        &["api", "v2/products", "--paginate", "--jq", "length"],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("32 MiB") && err.contains("--jq"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(fake.hostile_hits("GET", "v2/products") <= 5);
}

#[test]
fn a_write_whose_answer_jq_cannot_take_is_printed_unfiltered() {
    let (fake, env) = setup("1");
    fake.hostile("POST", "v2/big-write", |_r: Recorded, _n| async move {
        ([("content-type", "application/json")], small_objects(40)).into_response()
    });
    let out = run(
        &env,
        &["api", "v2/big-write", "-X", "POST", "--jq", "length"],
    );
    assert_exit(&out, 1);
    assert_eq!(
        out.stdout.len(),
        small_objects(40).len(),
        "{}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("32 MiB") && err.contains("unfiltered"),
        "{err}"
    );
}

// ---- review L3: a write's answer is never dropped for --jq ------------------

#[test]
fn a_write_whose_answer_is_over_every_cap_streams_unfiltered() {
    let (fake, env) = setup("1");
    // Over the 64 MiB held-answer cap too: the answer of a write is its only
    // record, so it is printed as it comes, then the call fails.
    fake.hostile("POST", "v2/huge-write", |_r: Recorded, _n| async move {
        big_body(70 * MIB)
    });
    let out = run(&env, &["api", "v2/huge-write", "-X", "POST", "--jq", "."]);
    assert_exit(&out, 1);
    assert_eq!(out.stdout.len(), 70 * MIB, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("printed unfiltered") && err.contains("32 MiB"),
        "{err}"
    );
}

#[test]
fn a_write_whose_answer_breaks_off_prints_what_came() {
    use std::io::Write;
    let (_fake, mut env) = setup("1");
    // A store that says 2,000 bytes, sends 1,000 and hangs up (hyper will
    // not send that, so a bare socket does).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut buf).unwrap();
            if n == 0 {
                return;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let body = format!(r#"{{"id":77,"x":"{}"#, "y".repeat(990));
        let head = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2000\r\n\r\n";
        let _ = conn.write_all(head.as_bytes());
        let _ = conn.write_all(body.as_bytes());
    });
    env.set("BCCONN_API_URL", &url);
    let out = run(&env, &["api", "v2/cut-write", "-X", "POST", "--jq", ".id"]);
    server.join().unwrap();
    assert_exit(&out, 1);
    assert!(
        stdout(&out).starts_with(r#"{"id":77,"#),
        "{}",
        all_output(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("broke off") && err.contains("unfiltered"),
        "{err}"
    );
}

/// A paged list is printed item by item (review H1): on a terminal each
/// item pretty and escaped, laid out as one pretty array; piped, the items'
/// own text joined into one array.
#[test]
fn a_paged_list_prints_as_one_array_on_a_terminal_and_piped() {
    use crate::wizard::Pty;
    let (fake, mut env) = setup("1");
    env.set("NO_COLOR", "1");
    fake.hostile("GET", "v2/things", |_r: Recorded, n| async move {
        let body = match n % 3 {
            0 => "[{\"id\": 1, \"name\": \"a\\u001b[31mred\"}, {\"id\":2}]",
            1 => "[{\"id\":2}, [3]]",
            _ => "[]",
        };
        ([("content-type", "application/json")], body).into_response()
    });
    let out = run(&env, &["api", "v2/things", "--paginate"]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "[{\"id\": 1, \"name\": \"a\\u001b[31mred\"},{\"id\":2},[3]]\n"
    );
    let mut t = Pty::spawn(&env, &["api", "v2/things", "--paginate"]);
    assert_eq!(t.finish(), 0, "{}", t.seen);
    let want = "[\r\n  {\r\n    \"id\": 1,\r\n    \"name\": \"a\\u001b[31mred\"\r\n  },\r\n  {\r\n    \"id\": 2\r\n  },\r\n  [\r\n    3\r\n  ]\r\n]\r\n";
    assert!(t.seen.contains(want), "{:?}", t.seen);
}
