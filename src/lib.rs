//! bcconn: manage OAuth 2.0 connections to BigCommerce stores.
//!
//! The binary (`main.rs`) is thin; everything lives here so that tests can
//! drive the connection core in-process. Dependencies run one way:
//!
//! ```text
//! commands -> wizard -> connect -> {bigcommerce, loopback, store, secrets, pool} -> {fsutil, error, text, seams, jq}
//! ```
//!
//! Below `commands/` and `wizard/`, nothing uses `cli` or `ui`: progress and
//! questions go through the traits in `seams`, held in the `Context`.

pub mod bigcommerce;
pub mod clock;
// The terminal's two homes: printing is denied everywhere else (Cargo.toml).
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub mod commands;
pub mod connect;
pub mod context;
pub mod env;
pub mod error;
pub mod fsutil;
pub mod jq;
pub mod loopback;
pub mod pool;
pub mod seams;
pub mod secrets;
pub mod store;
pub mod text;
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub mod ui;
pub mod wizard;

// The command line is part of the commands layer; `bcconn::cli` stays its name
// for the binary and the tests.
pub use commands::cli;
