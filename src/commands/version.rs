//! `bcconn version [--json]`: which build this is, for a bug report. The
//! commit and target come from build.rs; `bcconn --version` prints the same
//! first line.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;

/// "0.2.0 (abc1234 2026-12-02)", or "0.2.0" when not built from git.
pub const TEXT: &str = env!("BUILD_VERSION_TEXT");

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn version\n  \
    bcconn version --json   # for a bug report")]
pub struct VersionArgs {
    /// Print the version, commit, target and compiled-in parts as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(_ctx: &Context, args: VersionArgs) -> Result<ExitStatus> {
    if !args.json {
        ui::out(&format!("bcconn {TEXT}\n"))?;
        return Ok(ExitStatus::Success);
    }
    let some = |s: &'static str| (!s.is_empty()).then_some(s);
    ui::out_json(&json!({
        "name": "bcconn",
        "version": env!("CARGO_PKG_VERSION"),
        "commit": some(env!("BUILD_COMMIT")),
        "commit_date": some(env!("BUILD_COMMIT_DATE")),
        "target": env!("BUILD_TARGET"),
        "debug_build": cfg!(debug_assertions),
        "parts": parts(),
    }))?;
    Ok(ExitStatus::Success)
}

/// What this binary can use, by the platform it was built for: the same
/// parts everywhere but the keyrings (each platform's own) and, on
/// Windows, completions and man pages.
fn parts() -> serde_json::Value {
    let os_keyring = if cfg!(target_os = "linux") {
        Some("secret-service")
    } else if cfg!(target_os = "macos") {
        Some("macos-keychain")
    } else if cfg!(windows) {
        Some("windows-credential-manager")
    } else {
        None
    };
    json!({
        "secret_stores": {
            "os": os_keyring,
            "keyutils": cfg!(target_os = "linux"),
            "sealed": true,
            "file": true,
        },
        "record_stores": ["sqlite", "postgresql"],
        "sqlite": rusqlite::version(),
        "shared_pools": "redis",
        "bundles": "age",
        "tls": "rustls",
        // clap_complete and clap_mangen are built on Unix only.
        "completions": cfg!(unix),
        "man_pages": cfg!(unix),
    })
}
