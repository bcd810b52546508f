//! A fake web browser for black-box tests of `bcconn`.
//!
//! `bcconn` opens a URL by running the command in `BCCONN_BROWSER` with the
//! URL appended as the last argument (without waiting for it). The fake
//! browser is the integration-test binary itself, re-executed with a libtest
//! filter that selects only the `__fake_browser` test; that test calls
//! [`entry`], which sees the URL as the last argument and "clicks Confirm".
//!
//! The one test binary (`tests/testsuite/main.rs`) holds that test at its
//! crate root, where its name is exactly `__fake_browser`:
//! ```ignore
//! #[test]
//! fn __fake_browser() {
//!     common::fake_browser::entry()
//! }
//! ```
//! In an ordinary test run that test returns at once.
//!
//! Set `FAKE_BROWSER_LOG=/some/file` to get one line per hop appended to it.

use std::io::Write as _;
use std::time::Duration;

use reqwest::redirect::Policy;
use url::Url;

/// Most redirects followed in one visit.
pub const MAX_REDIRECTS: usize = 10;
/// Most forms submitted in one visit.
pub const MAX_FORMS: usize = 5;

/// Where a visit ended.
#[derive(Debug, Clone)]
pub struct Visit {
    pub final_url: String,
    pub status: u16,
    pub body: String,
}

/// The value for `BCCONN_BROWSER`:
/// `"<current test exe> --exact __fake_browser --nocapture --test-threads=1 -q"`.
/// bcconn appends the URL; libtest treats it as a second filter that matches nothing.
pub fn command() -> String {
    let exe = std::env::current_exe().expect("fake_browser: current_exe");
    let exe = exe
        .to_str()
        .expect("fake_browser: test executable path is not UTF-8")
        .to_owned();
    assert!(
        !exe.chars().any(char::is_whitespace),
        "fake_browser: test executable path {exe:?} contains whitespace; BCCONN_BROWSER is split on whitespace"
    );
    format!("{exe} --exact __fake_browser --nocapture --test-threads=1 -q")
}

/// Body of the `#[test] fn __fake_browser()`: if the last command-line
/// argument is an http(s) URL, visit it like a person who clicks Confirm and
/// exit the process (0 on success, 1 on failure, details in
/// `FAKE_BROWSER_LOG`); otherwise return at once.
pub fn entry() {
    let Some(url) = std::env::args()
        .next_back()
        .filter(|a| a.starts_with("http://") || a.starts_with("https://"))
    else {
        return;
    };
    log_line(&format!("[pid {}] open {url}", std::process::id()));
    let url2 = url.clone();
    let result = std::thread::spawn(move || run_blocking(url2, Mode::Follow)).join();
    match result {
        Ok(Ok(Outcome::Visit(v))) => {
            log_line(&format!(
                "[pid {}] done: {} {}",
                std::process::id(),
                v.status,
                v.final_url
            ));
            std::process::exit(0);
        }
        Ok(Ok(Outcome::Location(l))) => {
            log_line(&format!("[pid {}] done at {l}", std::process::id()));
            std::process::exit(0);
        }
        Ok(Err(e)) => {
            log_line(&format!("[pid {}] FAILED: {e}", std::process::id()));
            eprintln!("fake browser failed on {url}: {e}");
            std::process::exit(1);
        }
        Err(_) => {
            log_line(&format!("[pid {}] FAILED: panic", std::process::id()));
            std::process::exit(1);
        }
    }
}

/// Visit `url` like a person who clicks Confirm: GET it; while the answer is
/// an HTML page with a `<form>`, submit the form (its method/action and its
/// hidden/text inputs; buttons are not sent); follow 30x redirects with GET
/// (up to [`MAX_REDIRECTS`], across hosts); stop at a page with no form.
/// Panics on a network error or too many hops. Works whether or not the
/// caller is inside a tokio runtime (it uses its own thread and runtime).
pub fn visit(url: &str) -> Visit {
    match run_on_thread(url, Mode::Follow) {
        Outcome::Visit(v) => v,
        Outcome::Location(l) => panic!("fake_browser: unexpected location outcome {l}"),
    }
}

/// The "manual" flow: load `url` (following redirects until the consent
/// page), submit the consent form, and return the absolute URL of the
/// redirect it answers with (the callback URL the browser would land on)
/// WITHOUT requesting it. Panics if the form submission does not redirect.
pub fn consent_redirect(url: &str) -> String {
    match run_on_thread(url, Mode::StopAfterForm) {
        Outcome::Location(l) => l,
        Outcome::Visit(v) => panic!("fake_browser: consent did not redirect: {v:?}"),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Follow,
    StopAfterForm,
}

enum Outcome {
    Visit(Visit),
    Location(String),
}

fn run_on_thread(url: &str, mode: Mode) -> Outcome {
    let url = url.to_owned();
    let shown = url.clone();
    match std::thread::spawn(move || run_blocking(url, mode)).join() {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => panic!("fake_browser on {shown}: {e}"),
        Err(p) => std::panic::resume_unwind(p),
    }
}

fn run_blocking(url: String, mode: Mode) -> Result<Outcome, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(run(&url, mode))
}

struct Next {
    post: bool,
    url: Url,
    body: Option<String>,
}

async fn run(start: &str, mode: Mode) -> Result<Outcome, String> {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .user_agent("fake-browser/1.0 (bcconn tests)")
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let mut next = Next {
        post: false,
        url: Url::parse(start).map_err(|e| format!("bad start URL {start:?}: {e}"))?,
        body: None,
    };
    let (mut redirects, mut forms) = (0usize, 0usize);
    loop {
        let req = if next.post {
            client
                .post(next.url.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(next.body.clone().unwrap_or_default())
        } else {
            client.get(next.url.clone())
        };
        let req = req.header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        let resp = req
            .send()
            .await
            .map_err(|e| format!("{} {}: {}", method(&next), next.url, chain(&e)))?;
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        log_line(&format!(
            "{} {} -> {}{}",
            method(&next),
            next.url,
            status.as_u16(),
            location
                .as_deref()
                .map(|l| format!(" Location: {l}"))
                .unwrap_or_default()
        ));

        if status.is_redirection() {
            let loc =
                location.ok_or_else(|| format!("{status} from {} without Location", next.url))?;
            let target = next
                .url
                .join(&loc)
                .map_err(|e| format!("bad Location {loc:?}: {e}"))?;
            if mode == Mode::StopAfterForm && forms > 0 {
                return Ok(Outcome::Location(target.to_string()));
            }
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(format!(
                    "more than {MAX_REDIRECTS} redirects (last to {target})"
                ));
            }
            next = Next {
                post: false,
                url: target,
                body: None,
            };
            continue;
        }

        let body = resp
            .text()
            .await
            .map_err(|e| format!("reading body of {}: {e}", next.url))?;
        let is_html = content_type.contains("html") || body.trim_start().starts_with('<');
        if is_html && let Some(form) = parse_form(&body) {
            forms += 1;
            if forms > MAX_FORMS {
                return Err(format!(
                    "more than {MAX_FORMS} forms (last at {})",
                    next.url
                ));
            }
            let action = match form.action.as_deref() {
                Some(a) if !a.is_empty() => next
                    .url
                    .join(a)
                    .map_err(|e| format!("bad form action {a:?}: {e}"))?,
                _ => next.url.clone(),
            };
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form.fields.iter())
                .finish();
            log_line(&format!("  form {} {action} [{encoded}]", form.method));
            next = if form.method == "post" {
                Next {
                    post: true,
                    url: action,
                    body: Some(encoded),
                }
            } else {
                let mut u = action;
                u.set_query(if encoded.is_empty() {
                    None
                } else {
                    Some(&encoded)
                });
                Next {
                    post: false,
                    url: u,
                    body: None,
                }
            };
            continue;
        }

        if mode == Mode::StopAfterForm {
            return Err(format!(
                "{} answered {} with no form and no redirect{}: {}",
                next.url,
                status.as_u16(),
                if forms > 0 {
                    " after the consent form"
                } else {
                    ""
                },
                body.chars().take(500).collect::<String>()
            ));
        }
        return Ok(Outcome::Visit(Visit {
            final_url: next.url.to_string(),
            status: status.as_u16(),
            body,
        }));
    }
}

/// An error with its causes ("error sending request" alone says little).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn method(n: &Next) -> &'static str {
    if n.post { "POST" } else { "GET" }
}

fn log_line(line: &str) {
    let Some(path) = std::env::var_os("FAKE_BROWSER_LOG") else {
        return;
    };
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

// --- minimal HTML form reading ------------------------------------------------

/// The first `<form>` of a page: method (lower-cased, default "get"), action,
/// and the name/value of its hidden and text inputs, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub method: String,
    pub action: Option<String>,
    pub fields: Vec<(String, String)>,
}

/// Reads the first `<form>` of `html` (enough for pages the fake produces).
pub fn parse_form(html: &str) -> Option<Form> {
    let lower = html.to_ascii_lowercase();
    let start = find_tag(&lower, "form", 0)?;
    let (attrs, after) = parse_attrs(html, start + "<form".len());
    let end = lower[after..]
        .find("</form")
        .map(|i| after + i)
        .unwrap_or(html.len());
    let get = |attrs: &[(String, String)], k: &str| {
        attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    };
    let method = get(&attrs, "method")
        .map(|m| m.to_ascii_lowercase())
        .unwrap_or_else(|| "get".into());
    let action = get(&attrs, "action");
    let mut fields = Vec::new();
    let mut pos = after;
    while let Some(i) = find_tag(&lower[..end], "input", pos) {
        let (a, next) = parse_attrs(html, i + "<input".len());
        pos = next;
        let kind = get(&a, "type")
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_else(|| "text".into());
        if a.iter().any(|(n, _)| n == "disabled") {
            continue;
        }
        if let (true, Some(name)) = (kind == "hidden" || kind == "text", get(&a, "name")) {
            fields.push((name, get(&a, "value").unwrap_or_default()));
        }
    }
    Some(Form {
        method,
        action,
        fields,
    })
}

/// Index of the next `<name` tag (followed by whitespace, `>` or `/`) at or after `from`.
fn find_tag(lower: &str, name: &str, from: usize) -> Option<usize> {
    let pat = format!("<{name}");
    let mut pos = from;
    while let Some(i) = lower.get(pos..)?.find(&pat) {
        let at = pos + i;
        match lower.as_bytes().get(at + pat.len()) {
            Some(b) if b.is_ascii_whitespace() || *b == b'>' || *b == b'/' => return Some(at),
            _ => pos = at + pat.len(),
        }
    }
    None
}

/// Parses attributes from `from` (just after the tag name) to the closing `>`.
/// Names are lower-cased, values entity-decoded. Returns them and the index after `>`.
fn parse_attrs(html: &str, from: usize) -> (Vec<(String, String)>, usize) {
    let b = html.as_bytes();
    let mut i = from;
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (attrs, i);
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = html[name_start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                let ve = html[vs..]
                    .bytes()
                    .position(|c| c == q)
                    .map(|p| vs + p)
                    .unwrap_or(b.len());
                value = decode_entities(&html[vs..ve]);
                i = (ve + 1).min(b.len());
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = decode_entities(&html[vs..i]);
            }
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..semi];
        let decoded = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                if let Some(hex) = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                } else if let Some(dec) = ent.strip_prefix('#') {
                    dec.parse::<u32>().ok().and_then(char::from_u32)
                } else {
                    None
                }
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
