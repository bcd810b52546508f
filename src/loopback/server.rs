//! The short-lived loopback server that catches BigCommerce's callback.
//!
//! It listens on loopback only (127.0.0.1, and ::1 when the callback host is
//! `localhost`), serves the callback path and nothing else, hands each
//! callback to the flow and answers the browser with whatever the flow
//! decides (a page, or a redirect in the install flow). The flow stops it.
//!
//! The callback path is compared as data (a path like `/:id` or `/*x` is not
//! a route pattern). Anyone on the machine can connect, so connections are
//! bounded: each must send its request headers within a few seconds, serves
//! one request, and past [`MAX_CONNECTIONS`] the oldest idle one is closed,
//! so a pile of idle connections cannot keep the real callback out.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tokio::sync::{mpsc, oneshot, watch};

/// Most connections served at once per listening socket; past it the
/// oldest idle connection is closed to make room.
pub const MAX_CONNECTIONS: usize = 64;
/// A connection must send its request headers within this time.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the callback URL cannot be served here.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("bad callback URL {url:?}: {why}")]
    BadUrl { url: String, why: String },
    /// `listen` was given and is not a loopback address.
    #[error("{addr} is not a loopback address")]
    NotLoopback { addr: SocketAddr },
    /// The URL's host is not this machine (an HTTPS tunnel, a domain).
    #[error("the callback URL {url} is not on this machine")]
    NotLocal { url: String },
    #[error("port {port} is already in use, so bcconn cannot receive the callback for {url}")]
    InUse { port: u16, url: String },
    #[error("cannot listen on {addr} for {url}: {why}")]
    Other {
        addr: SocketAddr,
        url: String,
        why: std::io::Error,
    },
}

/// What the browser gets back.
pub enum Reply {
    Page {
        ok: bool,
        title: String,
        body: String,
    },
    Redirect(String),
}

/// One callback, waiting for the flow's reply.
pub struct Hit {
    pub params: HashMap<String, String>,
    pub reply: oneshot::Sender<Reply>,
}

/// Sockets bound before the browser opens, so a busy port fails fast.
#[derive(Debug)]
pub struct Bound {
    sockets: Vec<std::net::TcpListener>,
    pub path: String,
    pub addrs: Vec<SocketAddr>,
}

/// Binds the callback URL's port on loopback (or `listen`, which must be
/// loopback too: bcconn never listens where other machines can reach it).
pub fn bind(callback_url: &str, listen: Option<SocketAddr>) -> Result<Bound, BindError> {
    let url = url::Url::parse(callback_url).map_err(|e| BindError::BadUrl {
        url: callback_url.to_string(),
        why: e.to_string(),
    })?;
    let path = url.path().to_string();
    let addrs: Vec<SocketAddr> = if let Some(addr) = listen {
        if !addr.ip().is_loopback() {
            return Err(BindError::NotLoopback { addr });
        }
        vec![addr]
    } else {
        let port = url.port_or_known_default().unwrap_or(80);
        match url.host() {
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
            ],
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => {
                vec![SocketAddr::new(IpAddr::V4(ip), port)]
            }
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => {
                vec![SocketAddr::new(IpAddr::V6(ip), port)]
            }
            _ => {
                return Err(BindError::NotLocal {
                    url: callback_url.to_string(),
                });
            }
        }
    };
    let mut sockets = Vec::new();
    let mut bound = Vec::new();
    for addr in addrs {
        match std::net::TcpListener::bind(addr) {
            Ok(s) => {
                bound.push(s.local_addr().unwrap_or(addr));
                sockets.push(s);
            }
            // No IPv6 on this machine: 127.0.0.1 is enough for `localhost`.
            Err(e)
                if addr.is_ipv6()
                    && !sockets.is_empty()
                    && listen.is_none()
                    && e.kind() != std::io::ErrorKind::AddrInUse => {}
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(BindError::InUse {
                    port: addr.port(),
                    url: callback_url.to_string(),
                });
            }
            Err(e) => {
                return Err(BindError::Other {
                    addr,
                    url: callback_url.to_string(),
                    why: e,
                });
            }
        }
    }
    Ok(Bound {
        sockets,
        path,
        addrs: bound,
    })
}

/// A running server; dropping `stop` or calling [`Server::shutdown`] ends it.
pub struct Server {
    stop: Option<oneshot::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// What the handler needs: where callbacks go, and the one path served.
#[derive(Clone)]
struct Shared {
    hits: mpsc::Sender<Hit>,
    path: Arc<str>,
}

impl Server {
    /// Starts serving; callbacks arrive on the returned channel.
    pub fn start(bound: Bound) -> std::io::Result<(Server, mpsc::Receiver<Hit>)> {
        let (hits_tx, hits_rx) = mpsc::channel(8);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let stop_rx = futures_shared(stop_rx);
        let app = Router::new().fallback(handle).with_state(Shared {
            hits: hits_tx,
            path: Arc::from(bound.path.as_str()),
        });
        let mut tasks = Vec::new();
        for socket in bound.sockets {
            socket.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(socket)?;
            tasks.push(tokio::spawn(accept_loop(
                listener,
                app.clone(),
                stop_rx.clone(),
            )));
        }
        Ok((
            Server {
                stop: Some(stop_tx),
                tasks,
            },
            hits_rx,
        ))
    }

    /// Stops listening and frees the port; waits briefly for replies in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        for task in self.tasks.drain(..) {
            let abort = task.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(2), task)
                .await
                .is_err()
            {
                // A browser holding a keep-alive connection open must not keep
                // bcconn (and the port) alive.
                abort.abort();
            }
        }
    }
}

/// A oneshot turned into a watch, so every listener sees the stop.
fn futures_shared(rx: oneshot::Receiver<()>) -> watch::Receiver<()> {
    let (tx, watch_rx) = watch::channel(());
    tokio::spawn(async move {
        let _ = rx.await;
        let _ = tx.send(());
    });
    watch_rx
}

/// One live connection: its task, and whether a request is being answered.
struct Live {
    task: tokio::task::JoinHandle<()>,
    busy: Arc<AtomicBool>,
}

/// Accepts connections until the stop, keeping at most [`MAX_CONNECTIONS`]:
/// past that, the oldest idle one is closed (the oldest busy one if all
/// are busy). Out of file descriptors, the same makes room.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    mut stop: watch::Receiver<()>,
) {
    let mut live: VecDeque<Live> = VecDeque::new();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => break,
        };
        live.retain(|l| !l.task.is_finished());
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::debug!("accept on the callback port failed: {e}");
                evict(&mut live);
                // A moment's back-off after a failed accept (out of file
                // descriptors): not a wait anyone needs to shorten or fake.
                #[allow(clippy::disallowed_methods)]
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        if live.len() >= MAX_CONNECTIONS {
            evict(&mut live);
        }
        let busy = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(serve_one(stream, app.clone(), busy.clone(), stop.clone()));
        live.push_back(Live { task, busy });
    }
    // Stopped: the connections finish what they answer, then close.
    for l in live {
        let _ = l.task.await;
    }
}

/// Closes the oldest idle connection, or the oldest one if all are busy.
fn evict(live: &mut VecDeque<Live>) {
    let at = live
        .iter()
        .position(|l| !l.busy.load(Ordering::SeqCst))
        .unwrap_or(0);
    if let Some(l) = live.remove(at) {
        l.task.abort();
    }
}

/// Serves one connection: one request, headers within [`HEADER_TIMEOUT`].
async fn serve_one(
    stream: tokio::net::TcpStream,
    app: Router,
    busy: Arc<AtomicBool>,
    mut stop: watch::Receiver<()>,
) {
    use hyper::service::Service as _;
    let svc = hyper_util::service::TowerToHyperService::new(app);
    let svc = hyper::service::service_fn(move |req| {
        busy.store(true, Ordering::SeqCst);
        let answer = svc.call(req);
        let busy = busy.clone();
        async move {
            let r = answer.await;
            busy.store(false, Ordering::SeqCst);
            r
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(false)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Every request lands here: the callback path is compared as data.
async fn handle(State(shared): State<Shared>, method: Method, uri: Uri) -> Response {
    // The served path is as `Url` normalised it (`{` becomes `%7B`); a
    // client may send the raw form.
    let same = uri.path() == &*shared.path
        || url::Url::parse(&format!("http://h{}", uri.path()))
            .is_ok_and(|u| u.path() == &*shared.path);
    if !same {
        return (StatusCode::NOT_FOUND, "bcconn: not found").into_response();
    }
    if method != Method::GET {
        return (StatusCode::METHOD_NOT_ALLOWED, "bcconn: GET only").into_response();
    }
    match Query::<HashMap<String, String>>::try_from_uri(&uri) {
        Ok(Query(params)) => callback(shared.hits, params).await,
        Err(_) => (StatusCode::BAD_REQUEST, "bcconn: unreadable query").into_response(),
    }
}

async fn callback(hits: mpsc::Sender<Hit>, params: HashMap<String, String>) -> Response {
    let (reply_tx, reply_rx) = oneshot::channel();
    if hits
        .send(Hit {
            params,
            reply: reply_tx,
        })
        .await
        .is_err()
    {
        return page(
            false,
            "This authorization is over",
            "bcconn is no longer waiting for a callback. Run the command again.",
        );
    }
    match reply_rx.await {
        Ok(Reply::Redirect(to)) => Redirect::to(&to).into_response(),
        Ok(Reply::Page { ok, title, body }) => page(ok, &title, &body),
        Err(_) => page(
            false,
            "This authorization is over",
            "bcconn stopped before it could answer. Check the terminal.",
        ),
    }
}

fn page(ok: bool, title: &str, body: &str) -> Response {
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let (title, body) = (escape(title), escape(body));
    let color = if ok { "#1a7f37" } else { "#b42318" };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bcconn: {title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}}\
         h1{{color:{color};font-size:1.4em}}</style></head>\
         <body><h1 id=\"result\">{title}</h1><p>{body}</p></body></html>"
    );
    (status, Html(html)).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_loopback_hosts_and_listen_addresses() {
        assert!(matches!(
            bind("https://example.com/auth", None),
            Err(BindError::NotLocal { .. })
        ));
        assert!(matches!(
            bind(
                "http://localhost:1/auth",
                Some("0.0.0.0:9".parse().unwrap())
            ),
            Err(BindError::NotLoopback { .. })
        ));
    }

    #[test]
    fn busy_port_is_reported_with_port_and_url() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/auth");
        let err = bind(&url, None).unwrap_err().to_string();
        assert!(
            err.contains(&port.to_string()) && err.contains(&url),
            "{err}"
        );
    }

    /// Sends one raw HTTP request, returns the whole answer.
    async fn get(addr: SocketAddr, target: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    /// Serves `path`; answers each callback with a page naming its `n`.
    async fn serving(path: &str) -> (Server, SocketAddr) {
        let bound = bind(&format!("http://127.0.0.1:0{path}"), None).unwrap();
        let addr = bound.addrs[0];
        let (server, mut hits) = Server::start(bound).unwrap();
        tokio::spawn(async move {
            while let Some(hit) = hits.recv().await {
                let n = hit.params.get("n").cloned().unwrap_or_default();
                let _ = hit.reply.send(Reply::Page {
                    ok: true,
                    title: format!("got {n}"),
                    body: String::new(),
                });
            }
        });
        (server, addr)
    }

    #[tokio::test]
    async fn paths_that_look_like_route_patterns_are_served_as_data() {
        // axum's router panicked on these ("/:id" is a route parameter).
        for path in ["/:id", "/*rest", "/{x}", "/a/:b/*c"] {
            let (server, addr) = serving(path).await;
            let ok = get(addr, &format!("{path}?n=1")).await;
            assert!(
                ok.starts_with("HTTP/1.1 200") && ok.contains("got 1"),
                "{path}: {ok}"
            );
            let other = get(addr, "/id?n=1").await;
            assert!(other.starts_with("HTTP/1.1 404"), "{path}: {other}");
            server.shutdown().await;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn idle_connections_cannot_keep_the_callback_out() {
        let (server, addr) = serving("/auth").await;
        // Three times the limit of idle connections, all opened first.
        let mut idle = Vec::new();
        for _ in 0..3 * MAX_CONNECTIONS {
            idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        let answer = tokio::time::timeout(Duration::from_secs(5), get(addr, "/auth?n=2"))
            .await
            .expect("the callback is answered while idle connections wait");
        assert!(answer.contains("got 2"), "{answer}");
        drop(idle);
        server.shutdown().await;
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}
