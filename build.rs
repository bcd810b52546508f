//! Names the commit a binary was built from, for `bcconn --version` and
//! `bcconn version --json`: `BUILD_VERSION_TEXT` is "0.2.0 (abc1234
//! 2026-12-02)" in a git checkout and "0.2.0" elsewhere (a crates.io
//! package, a source tarball). `BUILD_COMMIT` and `BUILD_COMMIT_DATE` are
//! empty then; `BUILD_TARGET` is the target triple.

// clippy.toml keeps the environment to src/env.rs; a build script's
// inputs are cargo's variables, read here before there is a src/env.rs.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let version = std::env::var("CARGO_PKG_VERSION").expect("set by cargo");
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=BUILD_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
    let (commit, date) = commit(&dir).unwrap_or_default();
    let text = match commit.get(..7) {
        Some(short) => format!("{version} ({short} {date})"),
        None => version,
    };
    println!("cargo:rustc-env=BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=BUILD_COMMIT_DATE={date}");
    println!("cargo:rustc-env=BUILD_VERSION_TEXT={text}");
}

/// The checked-out commit and its date, when `dir` is the top of a git
/// work tree (not merely inside one: `cargo package` builds in
/// target/package/, under this repository, from files git did not check
/// out there).
fn commit(dir: &Path) -> Option<(String, String)> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it
    // names (a commit), and packed refs (a gc).
    for file in ["HEAD", "packed-refs"] {
        if let Some(p) = git(dir, &["rev-parse", "--git-path", file]) {
            println!("cargo:rerun-if-changed={}", dir.join(p).display());
        }
    }
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(dir, &["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={}", dir.join(p).display());
    }
    let line = git(dir, &["log", "-1", "--format=%H %cs"])?;
    let (hash, date) = line.split_once(' ')?;
    let ok = hash.len() == 40 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| (hash.to_string(), date.to_string()))
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}
