//! The black-box tests of `bcconn`, as one test binary (one link of axum,
//! reqwest and tokio instead of one per suite). Each suite is a module:
//!
//! * `audit` (Unix): every command, with `-v` and `-vv`, and no known secret
//!   in any output, the records, or the browser's argv and environment;
//! * `cli`: the command surface that works without BigCommerce, and every
//!   refusal;
//! * `flow`: "Save & authorize" end to end against the fake BigCommerce and
//!   the fake browser;
//! * `wizard` (Unix): the `bcconn create` walk-through in a pseudo-terminal;
//! * `real`: real keyrings and a real headless Chromium (`#[ignore]`d unless
//!   `.ci/run` provides them);
//! * `inprocess`: the connection core driven through the library, with a
//!   progress recorder and a secret store that can be told to fail;
//! * `fake_bc_selftest`: self-tests of the fake BigCommerce and the fake
//!   browser;
//! * `shared_pools`: pools and rate limits shared through Redis by two
//!   "machines" (`#[ignore]`d unless a redis-server is given or on PATH).
//! * `crash` (run by `.ci/run` in a step of its own): SIGKILL during
//!   writes, many rounds;
//! * `harden`: the defects found under attack (issue 10), one test or more
//!   each.
//! * `doctor`: `bcconn doctor` on healthy and broken homes;
//! * `completions`: shell completions (names from the records) and man pages.
//! * `guard_files`: files read bounded and never acted on through a link,
//!   names escaped and quoted (issue 14).
//! * `store_db`: the record database (issue 15): migration of old record
//!   files, export and import, damaged and newer databases, concurrency,
//!   backup and restore.
//!
//! `common` holds what they share. Run one suite with
//! `cargo test --test testsuite flow::`.

mod common;

mod api;
#[cfg(unix)]
mod audit;
mod bench;
mod cli;
mod completions;
mod crash;
mod doctor;
mod fake_bc_selftest;
mod flow;
mod guard_api;
mod guard_dotfile;
mod guard_files;
mod guard_rates;
mod guard_review;
mod guard_verify;
mod harden;
mod inprocess;
mod layers;
mod real;
mod shared_pools;
#[cfg(unix)]
mod store_db;
mod truth;
mod using;
#[cfg(unix)]
mod wizard;
#[cfg(unix)]
mod wizard_more;

/// The fake browser: `common::fake_browser::command()` re-executes this binary
/// with `--exact __fake_browser`, which selects this test (at the crate root,
/// its name is exactly `__fake_browser`) and no other. In an ordinary test run
/// it returns at once.
#[test]
fn __fake_browser() {
    common::fake_browser::entry()
}
