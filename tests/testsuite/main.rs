//! The black-box tests of `bcconn`, as one test binary (one link of axum,
//! reqwest and tokio instead of one per suite). Each suite is a module:
//!
//! * `answers`: what `bcconn api` does with a store's answer (big, cut
//!   short, filtered by `--jq`, shown on a terminal);
//! * `api`: `bcconn api` end to end through token connections;
//! * `api_output`: what `bcconn api` prints and says: key order, newlines,
//!   403s that name the missing scope, `-v`'s request lines;
//! * `audit` (Unix): every command, with `-v` and `-vv`, and no known secret
//!   in any output, the records, or the browser's argv and environment;
//! * `bench`: benchmarks of using a connection (`#[ignore]`d; `bench/use.sh`);
//! * `bundles`: encrypted bundles: `export --with-secrets` to an age key or
//!   a passphrase, imported into an empty home; wrong keys, generations,
//!   verification, and the reference `age` tool (`#[ignore]`d without it);
//! * `callback`: the callback server: odd paths, starvation, forged
//!   callbacks, the manual paste-back;
//! * `cli`: the command surface that works without BigCommerce, and every
//!   refusal (their text in snapshots under `snapshots/`);
//! * `completions`: shell completions (names from the records, quoted) and
//!   man pages;
//! * `crash` (run by `.ci/run` in a step of its own): SIGKILL during
//!   writes, many rounds;
//! * `doctor`: `bcconn doctor` on healthy and broken homes;
//! * `dotfile_trust`: a repository's `.bcconn`, read safely and trusted only
//!   when confirmed;
//! * `env_formats`: `env --format` and `--for catalyst`, read back by a
//!   real dotenv reader;
//! * `fake_bc_selftest`: self-tests of the fake BigCommerce and the fake
//!   browser;
//! * `graphql`: `bcconn api graphql`: variables, errors in a 200,
//!   `--paginate` through `$endCursor`, complexity, trust, 401;
//! * `from_cli`: `import --from catalyst|stencil`: tokens from BigCommerce's
//!   own CLIs' project files, verified, the files never changed;
//! * `help`: `bcconn help environment` and `exit-codes`, examples that
//!   never wrap mid-command, man pages rendered by `man` with their sections;
//! * `fleet` (Unix): a shared record store in PostgreSQL used by two
//!   "machines" (`#[ignore]`d unless `BCCONN_TEST_POSTGRES_URL` is given;
//!   `.ci/run` starts a cluster): sharing, following re-authorizations,
//!   401s, one authorize at a time, concurrent writers, a server that stops
//!   or hangs, history, moving records in and out;
//! * `hooks`: `bcconn hooks` against the fake's `/v3/hooks`: a token's
//!   webhooks, seen by no other token; https on port 443; header values
//!   never shown; what `status`, `delete` and `authorize` say about them;
//! * `history`: the audit trail and `bcconn history`: who changed what,
//!   from where, newest first, never a secret;
//! * `flow`: "Save & authorize" end to end against the fake BigCommerce and
//!   the fake browser;
//! * `inprocess`: the connection core driven through the library, with a
//!   progress recorder and a secret store that can be told to fail;
//! * `install_script` (Unix): install.sh against a local release directory;
//! * `layers`: the code runs one way (the modules' dependencies);
//! * `list`: `bcconn list`, its table's width and its JSON;
//! * `pagination`: `--paginate` against lists that never end, lie or change;
//! * `prompts` (Unix): the text, secret and scope prompts' keys in a
//!   pseudo-terminal;
//! * `rate_limits`: waits a store's rate limit asks for, bounded;
//! * `real`: real keyrings and a real headless Chromium (`#[ignore]`d unless
//!   `.ci/run` provides them);
//! * `scripts`: no silent changes: what a scripted authorize changes, y/N
//!   before dropping scopes or ending a sibling's token, the defaults kept
//!   honest by rename and delete;
//! * `shared_pools`: pools and rate limits shared through Redis by two
//!   "machines" (`#[ignore]`d unless a redis-server is given or on PATH);
//! * `siblings`: connections sharing one app and store;
//! * `states`: a connection's state kept true (401s, pending, re-authorize);
//! * `store_db`: the record database: migration of old record files,
//!   export and import, damaged and newer databases, concurrency, backup and
//!   restore;
//! * `storefront`: `channels` and `storefront-token create|revoke` against
//!   the fake, and saved storefront tokens wherever a connection's secrets go;
//! * `store_safety`: the records and secrets under damage and attack (crash
//!   leftovers, locks, links, special, read-only and newer files);
//! * `tables`: every table at 60 and 80 columns: what gives way first,
//!   what stays whole, verdicts coloured on a terminal only;
//! * `token_verification`: a token checked against its store before it is
//!   saved;
//! * `using`: the default connection, env, exec, parallel status;
//! * `validation`: names, store hashes and URLs refused, and their echoes;
//! * `wizard` (Unix): the `bcconn create` walk-through in a pseudo-terminal.
//!
//! Every `.rs` file here is a suite declared below (`every_suite_is_declared`
//! checks it). //! `common` holds what they share. Run one suite with
//! `cargo test --test testsuite flow::`.

// clippy.toml's one-home rules are for bcconn's own code: the tests drive
// real processes on real time, and print what they measure.
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

mod common;

mod answers;
mod api;
mod api_output;
#[cfg(unix)]
mod audit;
mod bench;
mod bundles;
mod callback;
mod cli;
mod completions;
mod crash;
mod doctor;
mod dotfile_trust;
mod env_formats;
mod fake_bc_selftest;
#[cfg(unix)]
mod fleet;
mod flow;
mod from_cli;
mod graphql;
mod help;
mod history;
mod hooks;
mod inprocess;
#[cfg(unix)]
mod install_script;
mod layers;
mod list;
mod pagination;
#[cfg(unix)]
mod prompts;
mod rate_limits;
mod real;
mod scripts;
mod sealed;
mod shared_pools;
mod siblings;
mod states;
#[cfg(unix)]
mod store_db;
mod store_safety;
mod store_tls;
mod storefront;
mod tables;
mod token_verification;
mod using;
mod validation;
#[cfg(unix)]
mod wizard;

/// A suite file that is not declared as a module is never compiled, so its
/// tests would silently never run.
#[test]
fn every_suite_is_declared() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testsuite");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    let declared: Vec<&str> = main
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
            if stem != "main" && !declared.contains(&stem.as_str()) {
                missing.push(stem);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "tests/testsuite/ files not declared as `mod NAME;` in main.rs: {missing:?}"
    );
}

/// The fake browser: `common::fake_browser::command()` re-executes this binary
/// with `--exact __fake_browser`, which selects this test (at the crate root,
/// its name is exactly `__fake_browser`) and no other. In an ordinary test run
/// it returns at once.
#[test]
fn __fake_browser() {
    common::fake_browser::entry()
}
