//! Checks of what authorizing and calling BigCommerce need from this
//! machine and its network: the callback port of each iClient, a browser
//! to open, the login and API endpoints (resolved, then asked), the clock
//! against theirs (HTTP `Date`), and the shared pools when they are set.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::Finding;
use crate::clock::Clock;
use crate::connect::iclients::DEFAULT_CALLBACK_URL;
use crate::env::Env;
use crate::loopback::server::{self, BindError};
use crate::store::Document;
use crate::text::{outside, shell_word};

/// A clock this far from BigCommerce's is reported.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

pub(super) fn callback_ports(file: Option<&Document>) -> Vec<Finding> {
    let Some(file) = file else {
        return vec![Finding::not_checked("callback_port")];
    };
    if file.iclients.is_empty() {
        return vec![callback_port(None, DEFAULT_CALLBACK_URL)];
    }
    file.iclients
        .iter()
        .map(|ic| callback_port(Some(&ic.name), &ic.callback_url))
        .collect()
}

fn callback_port(iclient: Option<&str>, url: &str) -> Finding {
    const CHECK: &str = "callback_port";
    let shown = outside(url, 200);
    let subject = iclient.map_or_else(|| "default callback URL".to_string(), |n| outside(n, 64));
    let edit = match iclient {
        Some(name) => format!(
            "`bcconn iclient edit {} --callback-url URL` (and register that URL in the app)",
            shell_word(name)
        ),
        None => "give the iClient another callback URL when you add it".to_string(),
    };
    let finding = match server::bind(url, None) {
        Ok(bound) => {
            let addrs: Vec<String> = bound.addrs.iter().map(|a| a.to_string()).collect();
            Finding::ok(CHECK, format!("can listen on {} for {shown}", addrs.join(" and ")))
        }
        Err(BindError::NotLocal { .. }) => Finding::ok(
            CHECK,
            format!(
                "{shown} is not on this machine (a tunnel?): authorize with --listen 127.0.0.1:PORT, or --flow manual"
            ),
        ),
        Err(e @ BindError::InUse { port, .. }) => Finding::fail(CHECK, outside(&e.to_string(), 300))
            .fix(format!(
                "stop what listens on port {port} (`ss -ltnp 'sport = :{port}'` shows it; another `bcconn authorize` may be waiting), or {edit}"
            )),
        Err(e) => Finding::fail(CHECK, outside(&e.to_string(), 300)).fix(edit),
    };
    finding.subject(subject)
}

pub(super) fn browser(env: &Env) -> Finding {
    const CHECK: &str = "browser";
    let manual = "authorize with `--flow manual` (open the URL anywhere, paste back the address) or `--no-browser`";
    if let Some(command) = &env.browser {
        let program = command.split_whitespace().next().unwrap_or_default();
        return match find_program(program, env.path.as_deref()) {
            Some(path) => Finding::ok(
                CHECK,
                format!("BCCONN_BROWSER (or BROWSER) runs {}", path.display()),
            ),
            None => Finding::fail(
                CHECK,
                format!(
                    "the browser command {:?} (BCCONN_BROWSER or BROWSER) is not found",
                    outside(program, 200)
                ),
            )
            .fix("set BCCONN_BROWSER to a program on PATH, or unset it to use the system's opener"),
        };
    }
    if env.ssh && (!env.display || !cfg!(any(target_os = "linux", target_os = "freebsd"))) {
        return Finding::warn(
            CHECK,
            "headless: an SSH session without a display, so no browser will open here",
        )
        .fix(manual);
    }
    if cfg!(any(target_os = "macos", windows)) {
        return Finding::ok(CHECK, "the system opens URLs in the default browser");
    }
    if !env.display {
        return Finding::warn(
            CHECK,
            "headless: neither DISPLAY nor WAYLAND_DISPLAY is set, so no browser will open here",
        )
        .fix(format!(
            "{manual}, or set BCCONN_BROWSER to a command that opens a URL"
        ));
    }
    // What the `open` crate tries on Linux and the BSDs.
    let openers = [
        "xdg-open",
        "gio",
        "gnome-open",
        "kde-open6",
        "kde-open5",
        "kde-open",
    ];
    match openers
        .iter()
        .find_map(|o| find_program(o, env.path.as_deref()))
    {
        Some(path) => Finding::ok(
            CHECK,
            format!("a graphical session; URLs open with {}", path.display()),
        ),
        None => Finding::warn(
            CHECK,
            "a graphical session, but no xdg-open (or gio, kde-open) on PATH to open a browser",
        )
        .fix(format!(
            "install xdg-utils, or set BCCONN_BROWSER to a browser command; or {manual}"
        )),
    }
}

/// `program` as a path (shown as given), or found on `path`; it must be
/// an executable file.
fn find_program(program: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    if program.contains(['/', std::path::MAIN_SEPARATOR]) {
        // Relative to where bcconn runs, as the opener would take it.
        return which::which_in(program, None::<&std::ffi::OsStr>, ".")
            .ok()
            .map(|_| PathBuf::from(program));
    }
    which::which_in_global(program, path).ok()?.next()
}

/// What probing one endpoint found; `date` is its HTTP Date and when it came.
struct Probe {
    finding: Finding,
    date: Option<(SystemTime, SystemTime)>,
}

pub(super) fn endpoints(env: &Env, timeout: Duration, time: &dyn Clock) -> Vec<Finding> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("bcconn/", env!("CARGO_PKG_VERSION"), " (doctor)"))
        .build();
    let (login, api) = match (http, crate::connect::runtime()) {
        (Ok(http), Ok(rt)) => rt.block_on(async {
            tokio::join!(
                probe(
                    &http,
                    "login_endpoint",
                    "BCCONN_LOGIN_URL",
                    &env.login_url,
                    timeout,
                    time
                ),
                probe(
                    &http,
                    "api_endpoint",
                    "BCCONN_API_URL",
                    &env.api_url,
                    timeout,
                    time
                ),
            )
        }),
        (Err(e), _) => {
            let f = |check| Probe {
                finding: Finding::fail(check, format!("cannot build an HTTP client: {e}")),
                date: None,
            };
            (f("login_endpoint"), f("api_endpoint"))
        }
        (_, Err(e)) => {
            let f = |check| Probe {
                finding: Finding::fail(check, format!("cannot start the async runtime: {e}")),
                date: None,
            };
            (f("login_endpoint"), f("api_endpoint"))
        }
    };
    let clock = match (login.date, api.date) {
        (Some((server, local)), _) => clock(server, local, &env.login_url),
        (None, Some((server, local))) => clock(server, local, &env.api_url),
        (None, None) => Finding::warn(
            "clock",
            "not checked: no endpoint answered with a Date header",
        ),
    };
    vec![login.finding, api.finding, clock]
}

async fn probe(
    http: &reqwest::Client,
    check: &'static str,
    var: &str,
    base: &str,
    timeout: Duration,
    clock: &dyn Clock,
) -> Probe {
    let failed = |finding: Finding| Probe {
        finding: finding.subject(base),
        date: None,
    };
    let start = clock.instant();
    if let Err(e) = crate::env::check_base_url(var, base) {
        let (_, message, hint) = crate::error::report(&e.into()).into_parts();
        let mut finding = Finding::fail(check, message);
        finding.fix = hint;
        return failed(finding);
    }
    let url = url::Url::parse(base).expect("checked above");
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let where_ = format!("check the network (DNS, proxy, firewall), or {var} if you set it");
    // Resolve first, so "cannot resolve" and "no answer" are told apart.
    let host_for_dns = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let ip =
        match tokio::time::timeout(timeout, tokio::net::lookup_host((host_for_dns, port))).await {
            Err(_) => {
                return failed(
                    Finding::fail(
                        check,
                        format!("resolving {host} took longer than {} s", timeout.as_secs()),
                    )
                    .fix(where_)
                    .took(clock, start),
                );
            }
            Ok(Err(e)) => {
                return failed(
                    Finding::fail(check, format!("cannot resolve {host}: {e}"))
                        .fix(where_)
                        .took(clock, start),
                );
            }
            Ok(Ok(mut addrs)) => addrs.next().map(|a| a.ip().to_string()).unwrap_or_default(),
        };
    match http.get(format!("{base}/")).send().await {
        Ok(response) => {
            let local = clock.now();
            let date = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .map(|server| (server, local));
            Probe {
                finding: Finding::ok(
                    check,
                    format!("{host} ({ip}) answered HTTP {}", response.status().as_u16()),
                )
                .subject(base)
                .took(clock, start),
                date,
            }
        }
        Err(e) => failed(
            Finding::fail(
                check,
                format!(
                    "{host} resolved to {ip} but gave no answer: {}",
                    crate::bigcommerce::api::describe_reqwest(&e)
                ),
            )
            .fix(where_)
            .took(clock, start),
        ),
    }
}

/// Compares this machine's clock with a server's `Date`.
fn clock(server: SystemTime, local: SystemTime, from: &str) -> Finding {
    let (ahead, skew) = match local.duration_since(server) {
        Ok(d) => (true, d),
        Err(e) => (false, e.duration()),
    };
    // `Date` has whole seconds.
    let secs = skew.as_secs();
    if skew <= CLOCK_SKEW {
        return Finding::ok("clock", format!("within {secs} s of the clock of {from}"))
            .subject(from);
    }
    let amount = if secs >= 3600 {
        format!("{} h {} min", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    };
    Finding::warn(
        "clock",
        format!(
            "this machine's clock is {amount} {} the clock of {from}",
            if ahead { "ahead of" } else { "behind" }
        ),
    )
    .subject(from)
    .fix("set the clock right (e.g. `timedatectl set-ntp true`); times bcconn records would be wrong")
}

/// With `BCCONN_POOL_URL` set, the shared pools must answer: bcconn never
/// falls back to local pools, so a dead Redis stops every `api` call.
pub(super) fn pool_url(env: &Env, clock: &dyn Clock) -> Option<Finding> {
    let url = env.pool_url.as_ref()?;
    let since = clock.instant();
    let answer = crate::connect::runtime()
        .map_err(|e| crate::error::failure(e.to_string()).into())
        .and_then(|rt| rt.block_on(crate::pool::redis::ping_on(url, clock)));
    Some(match answer {
        Ok(rtt) => Finding::ok(
            "pool_url",
            format!("the shared pools answer (round trip {} ms)", rtt.as_millis()),
        )
        .subject(url.redacted())
        .took(clock, since),
        Err(e) => Finding::fail("pool_url", crate::error::message(&e))
            .subject(url.redacted())
            .fix("start Redis, or fix or unset BCCONN_POOL_URL (then pools are this machine's files)")
            .took(clock, since),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::doctor::Verdict;

    #[test]
    fn clock_skew_beyond_five_minutes_warns() {
        let server = humantime::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
        let ok = clock(server, server + Duration::from_secs(90), "x");
        assert_eq!(ok.verdict, Verdict::Ok);
        let ahead = clock(server, server + Duration::from_secs(3 * 3600 + 120), "x");
        assert_eq!(ahead.verdict, Verdict::Warn);
        assert!(ahead.detail.contains("3 h 2 min ahead"), "{}", ahead.detail);
        let behind = clock(server, server - Duration::from_secs(400), "x");
        assert!(
            behind.detail.contains("6 min 40 s behind"),
            "{}",
            behind.detail
        );
    }

    #[test]
    fn http_dates_parse() {
        let parse = |text| httpdate::parse_http_date(text).ok();
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT"),
            humantime::parse_rfc3339("1994-11-06T08:49:37Z").ok()
        );
        assert_eq!(parse("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn a_program_is_found_on_path_only_when_executable() {
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        assert!(find_program("nope-browser", Some(&path)).is_none());
        let prog = dir.path().join("fake-browser");
        std::fs::write(&prog, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert!(find_program("fake-browser", Some(&path)).is_none());
            std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(
            find_program("fake-browser", Some(&path)),
            Some(prog.clone())
        );
        assert_eq!(find_program(prog.to_str().unwrap(), None), Some(prog));
        assert!(find_program("", Some(&path)).is_none());
    }
}
