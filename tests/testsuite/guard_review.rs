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
use crate::common::all_output;
use crate::common::fake_bc::{FakeBc, Recorded};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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
