//! The OAuth side of "Save & authorize": URL building and callback checks
//! (pure), the loopback server, the browser, and the code exchange.

pub mod browser;
pub mod callback;
pub mod exchange;
pub mod flow;
pub mod server;
pub mod urls;
