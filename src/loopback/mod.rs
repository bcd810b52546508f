//! Receiving BigCommerce's answer on this machine: the short-lived callback
//! server, the browser that is sent to the consent page, and the wait
//! (timeout, Ctrl-C, stray requests) that ends with one good callback.

pub mod browser;
pub mod server;
pub mod wait;
