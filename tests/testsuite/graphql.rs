//! `bcconn api graphql` (issue 20, item 1) end to end against the fake's
//! GraphQL Admin API: the body it POSTs, GraphQL errors in a 200,
//! `--paginate` through `$endCursor` (in order, capped, never in a loop),
//! the complexity header, the `.bcconn` trust check, and a 401.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::api::{HASH, TOKEN, add_token_connection, run, setup};
use crate::common::fake_bc::graphql::cursor;
use crate::common::fake_bc::{FakeBc, Recorded, TITLE_401};
use crate::common::oauth::OAuthFixture;
use crate::common::{Env, all_output, assert_exit, json_answer, stderr, stdout};

const PAGED: &str = "query Products($endCursor: String, $first: Int) {
  site {
    products(first: $first, after: $endCursor) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { entityId name } }
      nodes { entityId name }
    }
  }
}";

fn graphql_requests(fake: &FakeBc) -> Vec<Recorded> {
    let path = format!("/stores/{HASH}/graphql");
    fake.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

fn body(r: &Recorded) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

fn json_out(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", all_output(out)))
}

fn names(products: &[Value]) -> Vec<String> {
    products
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_query_with_variables_is_posted_as_query_and_variables() {
    let (fake, env) = setup("1");
    fake.add_products(HASH, 3);
    let query = "query($first: Int) { site { products(first: $first) { pageInfo { hasNextPage endCursor } edges { node { entityId name } } } } }";
    let q = format!("query={query}");
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "-f",
            &q,
            "-F",
            "first=2",
            "-f",
            "tag=7",
            "-F",
            "on=true",
            "-f",
            "filter[name]=x",
            "-F",
            "none=null",
        ],
    );
    assert_exit(&out, 0);
    let sent = graphql_requests(&fake);
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("x-auth-token"), Some(TOKEN));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        body(r),
        json!({"query": query, "variables": {
            "first": 2, "tag": "7", "on": true, "filter": {"name": "x"}, "none": null}})
    );
    let answer = json_out(&out);
    let edges = answer["data"]["site"]["products"]["edges"]
        .as_array()
        .unwrap();
    let got: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["Product 001", "Product 002"]);
    assert_eq!(
        answer["data"]["site"]["products"]["pageInfo"]["hasNextPage"],
        true
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    // The other spellings of the same endpoint; no variables: none sent.
    for path in ["/graphql", &format!("stores/{HASH}/graphql")] {
        let out = run(
            &env,
            &[
                "api",
                path,
                "-f",
                "query={ site { settings { storeName } } }",
            ],
        );
        assert_exit(&out, 0);
        assert_eq!(
            json_out(&out)["data"]["site"]["settings"]["storeName"],
            "Acme Shop"
        );
        let last = graphql_requests(&fake).pop().unwrap();
        assert_eq!(
            body(&last),
            json!({"query": "{ site { settings { storeName } } }"})
        );
    }
}

#[test]
fn the_query_comes_from_a_file_or_stdin() {
    let (fake, env) = setup("1");
    let file = env.dir.path().join("store.graphql");
    let doc = "# the store's name\nquery Settings {\n  site { settings { storeName } }\n}\n";
    std::fs::write(&file, doc).unwrap();
    let arg = format!("query=@{}", file.display());
    let out = run(
        &env,
        &["api", "graphql", "-F", &arg, "-f", "operationName=Settings"],
    );
    assert_exit(&out, 0);
    assert_eq!(
        json_out(&out)["data"]["site"]["settings"]["storeName"],
        "Acme Shop"
    );
    assert_eq!(
        body(&graphql_requests(&fake)[0]),
        json!({"query": doc, "operationName": "Settings"})
    );
    let out = env
        .cmd(&["api", "graphql", "-F", "query=@-"])
        .current_dir(env.dir.path())
        .write_stdin(doc)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(body(&graphql_requests(&fake)[1])["query"], doc);
}

#[test]
fn graphql_errors_in_a_200_exit_1_with_the_body_on_stdout() {
    let (fake, env) = setup("1");
    let out = run(&env, &["api", "graphql", "-f", "query={ nosuch { x } }"]);
    assert_exit(&out, 1);
    let answer = json_out(&out);
    assert_eq!(answer["data"], Value::Null);
    assert_eq!(
        answer["errors"][0]["message"],
        "Field 'nosuch' doesn't exist on type 'Query'"
    );
    let err = stderr(&out);
    assert!(
        err.contains(
            "GraphQL error: Field 'nosuch' doesn't exist on type 'Query' (at query.nosuch)"
        ),
        "{err}"
    );
    // Through --jq as any body; the exit status stays 1.
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "-f",
            "query={ nosuch }",
            "--jq",
            ".errors[0].path[1]",
        ],
    );
    assert_exit(&out, 1);
    assert_eq!(stdout(&out), "nosuch\n");
    // A hostile message: escaped and bounded on stderr, as sent on stdout.
    let long = format!("boom\u{1b}[2J{}", "x".repeat(5000));
    let sent =
        json!({"data": null, "errors": [{"message": long, "path": ["a", 3]}, {"message": "2"}]});
    let answer = sent.clone();
    fake.hostile("POST", "graphql", move |_r: Recorded, _n| {
        let answer = answer.clone();
        async move { json_answer(answer) }
    });
    let out = run(&env, &["api", "graphql", "-f", "query={ a }"]);
    assert_exit(&out, 1);
    assert_eq!(json_out(&out), sent);
    let err = stderr(&out);
    assert!(err.contains("GraphQL error: boom\\u{1b}[2J"), "{err}");
    assert!(err.contains("(at a.3); and 1 more error"), "{err}");
    assert!(!err.contains('\u{1b}') && err.len() < 1000, "{err}");
}

#[test]
fn a_call_without_a_query_or_with_another_method_is_a_usage_error() {
    let (fake, env) = setup("1");
    let cases: [(&[&str], &str); 5] = [
        (&["api", "graphql", "-f", "first=5"], "-f query="),
        (&["api", "graphql"], "-f query="),
        (
            &["api", "graphql", "-X", "GET", "-f", "query={ a }"],
            "-X GET",
        ),
        (&["api", "graphql", "-F", "query=12"], "query is text"),
        (
            &[
                "api",
                "graphql",
                "--paginate",
                "-f",
                "query={ site { products { pageInfo { hasNextPage endCursor } } } }",
            ],
            "query($endCursor: String)",
        ),
    ];
    for (args, said) in cases {
        let out = run(&env, args);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{}", all_output(&out));
    }
    // A mutation is never sent again and again.
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "--paginate",
            "-f",
            "query=mutation($endCursor: String) { a }",
        ],
    );
    assert_exit(&out, 2);
    assert!(graphql_requests(&fake).is_empty(), "nothing was sent");
}

#[test]
fn paginate_follows_end_cursor_over_every_page_in_order() {
    let (fake, env) = setup("2");
    fake.add_products(HASH, 23);
    let q = format!("query={PAGED}");
    let out = run(
        &env,
        &["api", "graphql", "--paginate", "-f", &q, "-F", "first=5"],
    );
    assert_exit(&out, 0);
    let want = names(&fake.products(HASH));
    assert_eq!(want.len(), 23);
    let doc = json_out(&out);
    let products = &doc["data"]["site"]["products"];
    let edges: Vec<Value> = products["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(names(&edges), want, "every node once, in order");
    assert_eq!(names(products["nodes"].as_array().unwrap()), want);
    let ids: Vec<Value> = edges.iter().map(|n| n["entityId"].clone()).collect();
    let want_ids: Vec<Value> = fake
        .products(HASH)
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(ids, want_ids);
    // The last page's pageInfo.
    assert_eq!(
        products["pageInfo"],
        json!({"hasNextPage": false, "endCursor": cursor(22)})
    );
    // Five requests, each after the cursor the page before ended on.
    let sent = graphql_requests(&fake);
    assert_eq!(sent.len(), 5);
    for (n, r) in sent.iter().enumerate() {
        let vars = &body(r)["variables"];
        assert_eq!(vars["first"], 5);
        if n == 0 {
            assert_eq!(vars.get("endCursor"), None, "{vars}");
        } else {
            assert_eq!(vars["endCursor"], cursor(n * 5 - 1), "page {}", n + 1);
        }
        assert_eq!(body(r)["query"], PAGED);
    }
    // With --jq, the merged document is what it filters.
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "--paginate",
            "-f",
            &q,
            "-F",
            "first=10",
            "--jq",
            ".data.site.products.nodes | length",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "23\n");
}

#[test]
fn a_repeated_end_cursor_stops_it_as_an_error() {
    let (fake, env) = setup("1");
    fake.hostile("POST", "graphql", |_r: Recorded, n| async move {
        json_answer(json!({"data": {"site": {"products": {
            "pageInfo": {"hasNextPage": true, "endCursor": "same"},
            "edges": [{"node": {"name": format!("p{n}")}}]}}}}))
    });
    let q = format!("query={PAGED}");
    let out = run(&env, &["api", "graphql", "--paginate", "-f", &q]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("\"same\"") || err.contains("same"), "{err}");
    assert!(err.contains("a second time"), "{err}");
    assert!(stdout(&out).is_empty(), "nothing printed: {}", stdout(&out));
    assert_eq!(fake.hostile_hits("POST", "graphql"), 2);
}

#[test]
fn pages_bcconn_cannot_follow_end_with_an_error_naming_why() {
    let (fake, env) = setup("1");
    let q = format!("query={PAGED}");
    let info = json!({"pageInfo": {"hasNextPage": true, "endCursor": "c"}, "edges": []});
    let cases = [
        (
            json!({"data": {"site": {"products": {"pageInfo": {"hasNextPage": true, "endCursor": null}, "edges": []}}}}),
            "hasNextPage: true without an endCursor",
        ),
        (
            json!({"data": {"site": {"products": info, "brands": info}}}),
            "2 objects in data hold pageInfo (data.site.brands, data.site.products)",
        ),
        (
            json!({"data": {"site": {"settings": {"storeName": "x"}}}}),
            "no object in data holds pageInfo",
        ),
    ];
    for (answer, said) in cases {
        let sent = answer.clone();
        fake.hostile("POST", "graphql", move |_r: Recorded, _n| {
            let sent = sent.clone();
            async move { json_answer(sent) }
        });
        let out = run(&env, &["api", "graphql", "--paginate", "-f", &q]);
        assert_exit(&out, 1);
        assert!(stderr(&out).contains(said), "{said}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    }
    // GraphQL errors on page 2: that page on stdout, its error on stderr.
    fake.hostile("POST", "graphql", |_r: Recorded, n| async move {
        json_answer(if n == 0 {
            json!({"data": {"p": {"pageInfo": {"hasNextPage": true, "endCursor": "c1"}, "nodes": [1]}}})
        } else {
            json!({"data": null, "errors": [{"message": "Invalid cursor"}]})
        })
    });
    let out = run(&env, &["api", "graphql", "--paginate", "-f", &q]);
    assert_exit(&out, 1);
    assert_eq!(json_out(&out)["errors"][0]["message"], "Invalid cursor");
    let err = stderr(&out);
    assert!(
        err.contains("page 2") && err.contains("GraphQL error: Invalid cursor"),
        "{err}"
    );
}

#[test]
fn max_pages_stops_graphql_pagination_and_prints_nothing() {
    let (fake, env) = setup("1");
    fake.add_products(HASH, 23);
    let q = format!("query={PAGED}");
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "--paginate",
            "-f",
            &q,
            "-F",
            "first=5",
            "--max-pages",
            "3",
        ],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("stopped after 3 pages (--max-pages)"), "{err}");
    assert!(err.contains("--max-pages"), "{err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert_eq!(graphql_requests(&fake).len(), 3);
    // Enough pages: whole.
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "--paginate",
            "-f",
            &q,
            "-F",
            "first=5",
            "--max-pages",
            "5",
        ],
    );
    assert_exit(&out, 0);
}

#[test]
fn complexity_above_8000_is_warned_and_shown_with_include() {
    let (fake, env) = setup("1");
    fake.add_products(HASH, 3);
    let q = "query={ site { settings { storeName } } }";
    fake.set_graphql_complexity(Some("9200"));
    let out = run(&env, &["api", "graphql", "-f", q]);
    assert_exit(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("warning: query complexity 9200 of 10000"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // --include shows the header, with the others.
    let out = run(&env, &["api", "graphql", "-f", q, "--include"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.starts_with("HTTP/1.1 200 OK\n"), "{text}");
    assert!(text.contains("x-bc-graphql-complexity: 9200\n"), "{text}");
    // At or below 8000, or not a number: no warning, the same exit.
    for value in ["8000", "12", "lots", "-9200", "99999999999999999999999999"] {
        fake.set_graphql_complexity(Some(value));
        let out = run(&env, &["api", "graphql", "-f", q]);
        assert_exit(&out, 0);
        assert!(
            !stderr(&out).contains("complexity"),
            "{value}: {}",
            stderr(&out)
        );
    }
    // Paged: said once, naming the page.
    fake.set_graphql_complexity(None);
    let paged = format!("query={PAGED}");
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "--paginate",
            "-f",
            &paged,
            "-F",
            "first=1",
        ],
    );
    assert_exit(&out, 0);
    assert!(!stderr(&out).contains("complexity"), "{}", stderr(&out));
    fake.set_graphql_complexity(Some("8001"));
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "--paginate",
            "-f",
            &paged,
            "-F",
            "first=1",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(
        stderr(&out).matches("query complexity 8001").count(),
        1,
        "{}",
        stderr(&out)
    );
}

/// A project directory whose `.bcconn` names `a`, as a repository ships
/// it: written by hand, so not trusted.
fn untrusted_project() -> (FakeBc, Env, std::path::PathBuf) {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    add_token_connection(&fake, &env, "a", HASH, TOKEN, &[]);
    let proj = env.dir.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let dot = proj.join(".bcconn");
    std::fs::write(&dot, "a\n").unwrap();
    #[cfg(unix)]
    crate::common::set_mode(&dot, 0o644);
    (fake, env, proj)
}

fn run_in(env: &Env, dir: &Path, args: &[&str]) -> Output {
    env.cmd(args).current_dir(dir).output().unwrap()
}

#[test]
fn a_mutation_through_an_untrusted_dotfile_is_refused_and_a_query_is_not() {
    let (fake, env, proj) = untrusted_project();
    let ids = fake.add_products(HASH, 2);
    // Queries read: they go, even POSTed (comments and strings hide words).
    for q in [
        "query={ site { settings { storeName } } }",
        "query=# mutation { deleteProduct }\n{ site { settings { storeName } } }",
        "query=query { site { settings(x: \"mutation { a }\") { storeName } } }",
    ] {
        let out = run_in(&env, &proj, &["api", "graphql", "-f", q]);
        assert_exit(&out, 0);
        assert!(
            stderr(&out).contains("(not trusted yet)"),
            "{}",
            stderr(&out)
        );
    }
    let sent = graphql_requests(&fake).len();
    // A mutation, or a document bcconn cannot read, is a write: exit 2.
    let delete = "query=mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }";
    let id = format!("id={}", ids[0]);
    for q in [delete, "query={ a } mutation { b }", "query={ unterminated"] {
        let out = run_in(&env, &proj, &["api", "graphql", "-f", q, "-F", &id]);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.contains("not trusted") && err.contains("-c a"), "{err}");
        assert!(
            err.contains("GraphQL mutation"),
            "said as what it is: {err}"
        );
    }
    // A document in a query string beside a harmless body: refused, as is
    // a body with two "query" keys sent as given (it is sent as read).
    let out = run_in(
        &env,
        &proj,
        &["api", "graphql?query=mutation%7Bx%7D", "-f", "query={ a }"],
    );
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("no query string"), "{}", stderr(&out));
    let twice = proj.join("twice.json");
    std::fs::write(
        &twice,
        r#"{"query": "mutation { deleteAll }", "query": "{ site { settings { storeName } } }"}"#,
    )
    .unwrap();
    let out = run_in(
        &env,
        &proj,
        &["api", "graphql", "--input", twice.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    let last = graphql_requests(&fake).pop().unwrap();
    assert!(!last.body.contains("mutation"), "{}", last.body);
    assert_eq!(
        graphql_requests(&fake).len(),
        sent + 1,
        "no write was sent, only the read"
    );
    assert_eq!(fake.graphql_mutations(), 0);
    // Named on the command line, it goes.
    let out = run_in(
        &env,
        &proj,
        &["api", "-c", "a", "graphql", "-f", delete, "-F", &id],
    );
    assert_exit(&out, 0);
    assert_eq!(
        json_out(&out),
        json!({"data": {"deleteProduct": {"deletedId": ids[0]}}})
    );
    assert_eq!(fake.graphql_mutations(), 1);
}

#[test]
fn a_401_marks_the_connection_invalid_as_for_rest() {
    let (fake, env) = setup("1");
    fake.revoke_token(TOKEN);
    let out = run(
        &env,
        &[
            "api",
            "graphql",
            "-f",
            "query={ site { settings { storeName } } }",
        ],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("401") && err.contains(TITLE_401), "{err}");
    assert!(err.contains("bcconn authorize shop"), "{err}");
    assert!(!err.contains("GraphQL error"), "{err}");
    let shop = env
        .list()
        .into_iter()
        .find(|c| c["name"] == "shop")
        .unwrap();
    assert_eq!(shop["state"], "invalid", "{shop}");
    // A 401 on the first page of a --paginate is the same.
    let q = format!("query={PAGED}");
    let out = run(
        &env,
        &["api", "-c", "shop", "graphql", "--paginate", "-f", &q],
    );
    assert_exit(&out, 1);
}

#[test]
fn the_fake_refuses_what_bigcommerce_would() {
    let (fake, env) = setup("1");
    // bcconn refuses an --input that is no GraphQL body before sending.
    let input = env.dir.path().join("body.txt");
    std::fs::write(&input, "query=x").unwrap();
    let out = run(
        &env,
        &["api", "graphql", "--input", &input.display().to_string()],
    );
    assert_exit(&out, 2);
    assert!(graphql_requests(&fake).is_empty());
    // What only a broken client sends: 400 with BigCommerce's error body,
    // and flagged.
    fake.expect_unexpected();
    let url = format!("{}/stores/{HASH}/graphql", fake.url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let post = |content_type: &'static str, body: &'static str| {
        let url = url.clone();
        rt.block_on(async move {
            let resp = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(url)
                .header("x-auth-token", TOKEN)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        })
    };
    for (content_type, sent) in [
        ("text/plain", r#"{"query": "{ a }"}"#),
        ("application/json", "[1]"),
        ("application/json", r#"{"variables": {}}"#),
        ("application/json", r#"{"query": 5}"#),
        (
            "application/json",
            r#"{"query": "{ a }", "variables": [1]}"#,
        ),
    ] {
        let (status, answer) = post(content_type, sent);
        assert_eq!(status, 400, "{sent}: {answer}");
        assert_eq!(answer["status"], 400, "{answer}");
    }
    assert_eq!(fake.unexpected().len(), 5, "{:?}", fake.unexpected());
    // A good one: answered.
    let (status, answer) = post(
        "application/json",
        r#"{"query": "{ site { settings { storeName } } }", "variables": null}"#,
    );
    assert_eq!(
        (status, &answer["data"]["site"]["settings"]["storeName"]),
        (200, &json!("Acme Shop"))
    );
    assert_eq!(fake.unexpected().len(), 5);
}
