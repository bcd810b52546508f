//! What `bcconn api` does with a store's answer: bodies too big or cut
//! short, `--jq` filters that nest too deep, never end or meet an answer too
//! big for them, files that are not files, and what reaches a terminal.
//! Every case ends with a clear message; none aborts.

use std::io::Read;
use std::process::Output;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::{run, setup};
use crate::common::fake_bc::Recorded;
use crate::common::{all_output, assert_exit, code, json_answer, stderr, stdout};

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
    for (filter, why, cpu) in [
        ("def f: 1 + f; f", "recursed too deep", "20s"),
        (
            "repeat(\"xxxxxxxxxxxxxxxx\")",
            "output passed 64 MiB",
            "20s",
        ),
        // Grows slowly, without end: the filter's CPU limit ends it (20 s
        // by default; 2 s here, as BCCONN_JQ_CPU_LIMIT lets a person say).
        ("[repeat(1)]", "ran longer than 2 s of CPU time", "2s"),
    ] {
        // Generous for a loaded machine; without the limits these never end
        // (or abort bcconn).
        let out = env
            .cmd(&["api", "v2/time", "--jq", filter])
            .env("BCCONN_JQ_CPU_LIMIT", cpu)
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

#[test]
#[cfg(target_os = "linux")]
fn a_big_answer_streams_to_stdout() {
    let (fake, env) = setup("1");
    const TOTAL: usize = 384 * MIB;
    fake.hostile("GET", "v2/big", |_r: Recorded, _n| async move {
        big_body(TOTAL)
    });
    let (code, bytes, rss_kib, err) = crate::common::run_counting(&env, &["api", "v2/big"]);
    assert_eq!(code, Some(0), "{err}");
    // The body, and the newline text output ends with.
    assert_eq!(bytes, TOTAL + 1);
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
        small_objects(40).len() + 1,
        "{}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("32 MiB") && err.contains("unfiltered"),
        "{err}"
    );
}

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
    assert_eq!(out.stdout.len(), 70 * MIB + 1, "{}", stderr(&out));
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

/// A store API that answers every request with `raw` (bytes on the wire,
/// status line included) and then closes the connection: what no well-formed
/// server would send.
fn raw_store(raw: &'static [u8]) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut req = [0u8; 8192];
            let _ = conn.read(&mut req);
            let _ = conn.write_all(raw);
        }
    });
    url
}

fn api_on_raw_store(raw: &'static [u8]) -> Output {
    let (_fake, mut env) = setup("1");
    env.set("BCCONN_API_URL", &raw_store(raw));
    run(&env, &["api", "v2/orders"])
}

#[test]
fn a_streamed_answer_that_breaks_off_mid_chunk_exits_1_and_says_so() {
    let out = api_on_raw_store(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nb\r\n[{\"id\": 1},\r\n",
    );
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(stderr(&out).contains("broke off"), "{}", stderr(&out));
}

#[test]
fn a_streamed_answer_shorter_than_its_content_length_exits_1() {
    let out = api_on_raw_store(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n[{\"id\": 1},",
    );
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(stderr(&out).contains("broke off"), "{}", stderr(&out));
}

#[test]
fn the_jq_child_gets_no_environment() {
    let (fake, mut env) = setup("1");
    env.set("BCCONN_ACCESS_TOKEN", "envsecret0123456789");
    fake.hostile("GET", "v2/orders", |_rec: Recorded, _n| async move {
        axum::Json(json!([1])).into_response()
    });
    let out = run(&env, &["api", "v2/orders", "--jq", "env | keys"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(stdout(&out).trim(), "[]");
}

#[cfg(target_os = "linux")]
#[test]
fn jq_works_when_the_program_file_was_replaced_while_bcconn_ran() {
    // An upgrade (a package manager, `cargo install`) replaces the file
    // bcconn runs from while a call waits for its answer: the filter's
    // child is the running program, not whatever the path now holds.
    let (fake, env) = setup("1");
    fake.hostile("GET", "v2/orders", |_rec: Recorded, _n| async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        axum::Json(json!([{"id": 7}])).into_response()
    });
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("bcconn");
    std::fs::copy(crate::common::BIN, &copy).unwrap();
    let mut cmd = std::process::Command::new(&copy);
    cmd.env_clear().envs(env.vars().iter().map(|(k, v)| (k, v)));
    cmd.args(["api", "v2/orders", "--jq", ".[].id"])
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = crate::common::spawn_copy(&mut cmd);
    // spawn returns once the program runs: its file can go now.
    std::fs::remove_file(&copy).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(stdout(&out), "7\n");
}

#[test]
fn a_deeply_nested_jq_filter_is_an_error_or_works_never_an_abort() {
    // The filter is checked before anything is sent, in bcconn itself: a
    // parser that recurses once per level overflowed its stack (exit 134)
    // on a 2 KB filter.
    let (fake, env) = setup("1");
    fake.hostile("GET", "v2/orders", |_rec: Recorded, _n| async move {
        axum::Json(json!([1])).into_response()
    });
    let deep = format!("{}1{}", "(".repeat(3000), ")".repeat(3000));
    let out = run(&env, &["api", "v2/orders", "--jq", &deep]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(stdout(&out), "1\n");
    let open = "[".repeat(10_000);
    let out = run(&env, &["api", "v2/orders", "--jq", &open]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).len() < 2000, "the filter is not echoed whole");
    let chain = vec!["1"; 20_000].join("+");
    let out = run(&env, &["api", "v2/orders", "--jq", &chain]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("KiB"), "{}", stderr(&out));
    assert!(stderr(&out).len() < 2000, "the filter is not echoed whole");
    assert_eq!(fake.hostile_hits("GET", "v2/orders"), 1);
}
