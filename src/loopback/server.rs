//! The short-lived loopback server that catches BigCommerce's callback.
//!
//! It listens on loopback only (127.0.0.1, and ::1 when the callback host is
//! `localhost`), serves the callback path and nothing else, hands each
//! callback to the flow and answers the browser with whatever the flow
//! decides (a page, or a redirect in the install flow). The flow stops it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tokio::sync::{mpsc, oneshot};

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

impl Server {
    /// Starts serving; callbacks arrive on the returned channel.
    pub fn start(bound: Bound) -> std::io::Result<(Server, mpsc::Receiver<Hit>)> {
        let (hits_tx, hits_rx) = mpsc::channel(8);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let stop_rx = futures_shared(stop_rx);
        let app = Router::new()
            .route(&bound.path, axum::routing::get(callback))
            .fallback(|| async { (StatusCode::NOT_FOUND, "bcconn: not found") })
            .with_state(hits_tx);
        let mut tasks = Vec::new();
        for socket in bound.sockets {
            socket.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(socket)?;
            let app = app.clone();
            let mut stop = stop_rx.clone();
            tasks.push(tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.changed().await;
                    })
                    .await;
            }));
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
fn futures_shared(rx: oneshot::Receiver<()>) -> tokio::sync::watch::Receiver<()> {
    let (tx, watch_rx) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        let _ = rx.await;
        let _ = tx.send(());
    });
    watch_rx
}

async fn callback(
    State(hits): State<mpsc::Sender<Hit>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
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

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}
