//! Issue 14 tried again from outside, after the merge: cases the
//! implementers' suites did not cover (a reviewer's attack round). Each test
//! failed on the merged main before its fix, or pins a case that held.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::{HASH, TOKEN, add_token_connection, run, setup};
use crate::common::Env;
use crate::common::fake_bc::{FakeBc, Recorded};
use crate::common::{all_output, stderr, stdout};

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn numbered(ids: &[u64], current: u64, total: u64) -> Response {
    let data: Vec<Value> = ids.iter().map(|i| json!({"id": i})).collect();
    axum::Json(json!({"data": data, "meta": {"pagination": {
        "total": total * 2, "count": ids.len(), "per_page": 2,
        "current_page": current, "total_pages": total,
        "links": {"current": format!("?page={current}&limit=2")}
    }}}))
    .into_response()
}

fn page_asked(rec: &Recorded) -> u64 {
    rec.query_param("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
}

// ---- numbered pages that do not agree with page 1 -------------------------

#[test]
fn paginate_v3_pages_that_all_say_page_1_are_an_error_not_page_1_alone() {
    // A v3 list that ignores `page`: every answer is page 1 of 3, the same
    // items. Three pages were promised and one was had: that is no list.
    let (fake, env) = setup("2");
    fake.hostile(
        "GET",
        "v3/catalog/products",
        |_rec: Recorded, _n| async move { numbered(&[1, 2], 1, 3) },
    );
    let out = run(&env, &["api", "v3/catalog/products", "--paginate"]);
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).contains("page 2"), "{}", stderr(&out));
}

#[test]
fn paginate_v3_a_list_that_grows_while_paged_is_not_cut_short_silently() {
    // Page 1 says 2 pages; by page 2 the list has 3. Stopping at 2 loses
    // the items that moved to page 3 with exit 0.
    let (fake, env) = setup("1");
    fake.hostile(
        "GET",
        "v3/catalog/products",
        |rec: Recorded, _n| async move {
            match page_asked(&rec) {
                1 => numbered(&[1, 2], 1, 2),
                2 => numbered(&[3, 4], 2, 3),
                n => numbered(&[n * 2 - 1, n * 2], n, 3),
            }
        },
    );
    let out = run(&env, &["api", "v3/catalog/products", "--paginate"]);
    let items: Option<Value> = serde_json::from_str(&stdout(&out)).ok();
    let whole = code(&out) == Some(0)
        && items == Some(json!([{"id":1},{"id":2},{"id":3},{"id":4},{"id":5},{"id":6}]));
    let refused = code(&out) == Some(1) && stdout(&out).is_empty();
    assert!(whole || refused, "{}", all_output(&out));
}

#[test]
fn paginate_a_failed_later_page_prints_no_partial_list_and_names_the_page() {
    let (fake, env) = setup("1");
    fake.hostile(
        "GET",
        "v3/catalog/products",
        |rec: Recorded, _n| async move {
            match page_asked(&rec) {
                2 => (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(json!({"status": 500, "title": "Internal error"})),
                )
                    .into_response(),
                n => numbered(&[n * 2 - 1, n * 2], n, 3),
            }
        },
    );
    let out = run(&env, &["api", "v3/catalog/products", "--paginate"]);
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(!stdout(&out).contains("\"id\""), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("500") && err.contains("page 2"), "{err}");
}

// ---- a streamed answer cut short ------------------------------------------

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

// ---- the filter's child ----------------------------------------------------

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

// ---- a repository's .bcconn ------------------------------------------------

/// A fake with connections a and b (b the global default) and two project
/// directories.
fn dotfile_setup() -> (FakeBc, Env) {
    let fake = FakeBc::start();
    fake.add_store(HASH, "Acme Shop", "acme.example.com");
    let env = Env::with_fake(&fake);
    for name in ["a", "b"] {
        add_token_connection(&fake, &env, name, HASH, &dot_token(name), &[]);
    }
    env.cmd(&["use", "--global", "b"]).assert().success();
    for dir in ["proj", "proj2"] {
        std::fs::create_dir_all(env.dir.path().join(dir)).unwrap();
    }
    (fake, env)
}

fn dot_token(name: &str) -> String {
    format!("reviewtoken{name}0123456789abcdef")
}

fn run_in(env: &Env, dir: &Path, args: &[&str]) -> Output {
    let out = env
        .cmd(args)
        .current_dir(dir)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(!all_output(&out).contains(TOKEN));
    out
}

/// A `.bcconn` as a repository ships it: written by hand, 0644.
fn ship(dir: &Path, text: &str) {
    let path = dir.join(".bcconn");
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

#[test]
fn trust_is_for_that_file_where_it_is_and_every_line_of_it() {
    let (fake, env) = dotfile_setup();
    let ids = fake.add_products(HASH, 4);
    let proj = env.dir.path().join("proj");
    let deletes = || fake.count("DELETE", &format!("/stores/{HASH}/v3/catalog/products"));
    let del = |id: u64| format!("v3/catalog/products/{id}");
    let out = run_in(&env, &proj, &["use", "a"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    // The same text in another directory (a copy, or a hard link) is
    // another file: not trusted there. A lower-case method is a write too.
    let proj2 = env.dir.path().join("proj2");
    std::fs::hard_link(proj.join(".bcconn"), proj2.join(".bcconn")).unwrap();
    let out = run_in(&env, &proj2, &["api", "-X", "delete", &del(ids[0])]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert_eq!(deletes(), 0);
    // A lower-case GET is a read, sent as GET.
    let out = run_in(&env, &proj2, &["api", "-X", "get", "v2/time"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    // A later line that changed makes it untrusted, the first line alike.
    ship(&proj, "a\n# deploys to production\n");
    let out = run_in(&env, &proj, &["api", "-X", "DELETE", &del(ids[1])]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    // Trusted again, then its directory renamed: another path, untrusted.
    let out = run_in(&env, &proj, &["use", "--trust"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let moved = env.dir.path().join("moved");
    std::fs::rename(&proj, &moved).unwrap();
    let out = run_in(&env, &moved, &["exec", "--", "true"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert_eq!(deletes(), 0);
    // BCCONN_CONNECTION comes first: the .bcconn is not read or said.
    let out = env
        .cmd(&["api", "-X", "DELETE", &del(ids[2])])
        .env("BCCONN_CONNECTION", "b")
        .current_dir(&moved)
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(!stderr(&out).contains(".bcconn"), "{}", stderr(&out));
    let last = fake
        .requests()
        .into_iter()
        .rfind(|r| r.method == "DELETE")
        .unwrap();
    assert_eq!(last.header("x-auth-token"), Some(dot_token("b").as_str()));
}

#[cfg(unix)]
#[test]
fn a_trust_list_that_is_a_fifo_or_huge_trusts_nothing_and_never_hangs() {
    let (fake, env) = dotfile_setup();
    let ids = fake.add_products(HASH, 2);
    let proj = env.dir.path().join("proj");
    let out = run_in(&env, &proj, &["use", "a"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let list = env.home().join("trusted-dotfiles.json");
    std::fs::remove_file(&list).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&list)
        .status()
        .unwrap();
    assert!(made.success());
    let del = format!("v3/catalog/products/{}", ids[0]);
    let out = run_in(&env, &proj, &["api", "-X", "DELETE", &del]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("trust list"), "{}", stderr(&out));
    // Huge: refused bounded, the same way.
    std::fs::remove_file(&list).unwrap();
    let f = std::fs::File::create(&list).unwrap();
    f.set_len(64 * 1024 * 1024).unwrap();
    let out = run_in(&env, &proj, &["api", "-X", "DELETE", &del]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert_eq!(
        fake.count("DELETE", &format!("/stores/{HASH}/v3/catalog/products")),
        0
    );
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
    // A test thread that forks while the copy is still open for writing
    // keeps a writable handle in its child for a moment: "text file busy"
    // (ETXTBSY) until that child execs. Not what is tested: try again.
    let child = (0..50)
        .find_map(|_| match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(20));
                None
            }
            other => Some(other.unwrap()),
        })
        .expect("the copy stayed busy");
    // spawn returns once the program runs: its file can go now.
    std::fs::remove_file(&copy).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(stdout(&out), "7\n");
}

// ---- cursor lists ----------------------------------------------------------

#[test]
fn paginate_a_cursor_list_keeps_the_callers_filters_on_every_page() {
    // links.next names the cursor (and limit), not the caller's filters:
    // page 2 without them is another list, silently mixed into this one.
    let (fake, env) = setup("1");
    fake.hostile(
        "GET",
        "v3/channels/1/listings",
        |rec: Recorded, _n| async move {
            let after = rec.query_param("after");
            let filtered = rec.query_param("product_id:in").as_deref() == Some("5");
            let id = |i: u64| {
                if filtered {
                    json!({"id": i})
                } else {
                    json!({"id": i, "unfiltered": true})
                }
            };
            let (data, next) = match after.as_deref() {
                None => (vec![id(1)], json!("?after=c1&limit=1")),
                Some("c1") => (vec![id(2)], json!("?limit=1&after=c2")),
                _ => (vec![id(3)], Value::Null),
            };
            axum::Json(json!({"data": data, "meta": {"cursor_pagination": {
                "count": 1, "per_page": 1, "links": {"next": next}
            }}}))
            .into_response()
        },
    );
    let out = run(
        &env,
        &[
            "api",
            "v3/channels/1/listings?product_id:in=5&limit=1",
            "--paginate",
        ],
    );
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let items: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(items, json!([{"id": 1}, {"id": 2}, {"id": 3}]));
    // The cursor itself still comes from the answer, once per request.
    let asked: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/v3/channels/1/listings"))
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(
        asked.iter().all(|q| q.matches("limit=").count() == 1),
        "{asked:?}"
    );
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

// ---- completion scripts ----------------------------------------------------

/// bcconn run from a directory whose name needs quoting (a space; `$(…)`
/// in a repository's tool directory): the bash script calls it back
/// correctly, and sourcing or using the script runs nothing from the name.
#[cfg(unix)]
#[test]
fn the_bash_script_calls_back_a_bcconn_whose_path_needs_quoting() {
    if std::process::Command::new("bash")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no bash");
        return;
    }
    let (_fake, env) = setup("1");
    let dir = env
        .dir
        .path()
        .join("my tools $(touch pwned) `touch pwned2`");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("bcconn");
    std::fs::copy(crate::common::BIN, &copy).unwrap();
    let mut cmd = std::process::Command::new(&copy);
    cmd.env_clear().envs(env.vars().iter().map(|(k, v)| (k, v)));
    let out = cmd.args(["completions", "bash"]).output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let script = stdout(&out);
    let probe = format!(
        "{script}\nCOMP_WORDS=(bcconn delete sh); COMP_CWORD=2; COMP_TYPE=9\n\
         _clap_complete_bcconn bcconn sh delete\nprintf '[%s]\\n' \"${{COMPREPLY[@]}}\"\n"
    );
    let scratch = env.dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut bash = std::process::Command::new("bash");
    bash.env_clear().current_dir(&scratch).arg("-c").arg(probe);
    for (k, v) in env.vars() {
        bash.env(k, v);
    }
    let out = bash.output().unwrap();
    assert_eq!(stdout(&out), "[shop]\n", "{}", all_output(&out));
    let made: Vec<_> = std::fs::read_dir(&scratch).unwrap().collect();
    assert!(made.is_empty(), "the path ran as code: {made:?}");
}

#[test]
fn a_cursor_never_takes_the_token_to_another_host_or_path() {
    let (fake, env) = setup("1");
    let elsewhere = FakeBc::start();
    let other = elsewhere.url();
    for (i, next) in [
        format!("{other}/stores/{HASH}/v3/x?after=1"),
        format!("//{}/v3/x?after=1", other.trim_start_matches("http://")),
        "/stores/zzz999/v3/x?after=1".to_string(),
        "?after=1#@evil.example/".to_string(),
        "?page=2&after=".to_string(),
    ]
    .into_iter()
    .enumerate()
    {
        let path = format!("v3/list{i}");
        let n2 = next.clone();
        fake.hostile("GET", &path, move |_rec: Recorded, n| {
            let next = n2.clone();
            async move {
                let next = if n < 3 { json!(next) } else { Value::Null };
                axum::Json(json!({"data": [{"id": n}], "meta": {"cursor_pagination": {
                    "links": {"next": next}
                }}}))
                .into_response()
            }
        });
        let out = run(&env, &["api", &path, "--paginate"]);
        assert!(
            matches!(code(&out), Some(0 | 1)),
            "{next}: {}",
            all_output(&out)
        );
        assert!(elsewhere.requests().is_empty(), "{next}");
        for r in fake.requests() {
            assert!(
                r.path.starts_with(&format!("/stores/{HASH}/")),
                "{next}: {}",
                r.path
            );
        }
    }
}

#[test]
fn paginate_a_bare_array_that_ignores_page_ends_even_when_a_field_changes() {
    // The same items (by id) again, with a live field that differs on each
    // answer (a stock level, a timestamp): the list ignores `page` all the
    // same. It cost the default cap, 1,000 requests of the store's quota.
    let (fake, env) = setup("2");
    fake.hostile("GET", "v2/shipping/zones", |_rec: Recorded, n| async move {
        axum::Json(json!([{"id": 1, "seen": n}, {"id": 2, "seen": n}])).into_response()
    });
    let out = run(&env, &["api", "v2/shipping/zones", "--paginate"]);
    let hits = fake.hostile_hits("GET", "v2/shipping/zones");
    assert_eq!(code(&out), Some(0), "{hits} requests: {}", all_output(&out));
    let items: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(items, json!([{"id": 1, "seen": 0}, {"id": 2, "seen": 0}]));
    assert!(hits <= 3, "{hits} requests for a one-page list");
}
