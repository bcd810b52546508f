//! Opening the consent page in a browser.
//!
//! `BCCONN_BROWSER` (then `BROWSER`) wins: it is a command, split on
//! whitespace, with the URL appended as its last argument. The `open` crate
//! ignores `$BROWSER` when a desktop is detected, so bcconn honours it itself.
//!
//! A browser is someone else's program: it never inherits the secrets a
//! script handed bcconn through its environment.

use std::process::{Command, Stdio};

/// Variables that hold secrets for bcconn; no child process gets them.
pub const SECRET_VARS: [&str; 7] = [
    "BCCONN_CLIENT_SECRET",
    "BCCONN_ACCESS_TOKEN",
    "BCCONN_PASSPHRASE",
    "BCCONN_SECRET_KEY",
    "BCCONN_SECRET_KEY_FILE",
    // URLs that may carry a password (the team's database, Redis).
    "BCCONN_STORE_URL",
    "BCCONN_POOL_URL",
];

/// The machine's browser: `BCCONN_BROWSER`/`BROWSER` when set, else the
/// platform's opener.
pub struct System {
    pub command: Option<String>,
    /// What the environment says about a display (`Env::headless`).
    pub headless: Option<&'static str>,
}

impl crate::seams::Browser for System {
    fn open(&self, url: &str) -> Result<(), String> {
        open(url, self.command.as_deref())
    }

    fn headless(&self) -> Option<&'static str> {
        self.headless
    }
}

/// Starts a browser on `url` without waiting for it. The error says why no
/// browser could be started; the caller keeps waiting either way, since the
/// person can open the printed URL by hand.
pub fn open(url: &str, command: Option<&str>) -> Result<(), String> {
    match command {
        Some(cmd) => {
            let mut parts = cmd.split_whitespace();
            let program = parts.next().ok_or("the browser command is empty")?;
            let mut command = Command::new(program);
            command.args(parts).arg(url);
            spawn(command).map_err(|e| format!("could not run {program:?}: {e}"))
        }
        None => {
            // The platform's openers (xdg-open, open, start…), first that starts.
            let mut last = "no way to open a browser on this system".to_string();
            for command in open::commands(url) {
                match spawn(command) {
                    Ok(()) => return Ok(()),
                    Err(e) => last = e.to_string(),
                }
            }
            Err(last)
        }
    }
}

/// Spawns without secrets in the environment, away from bcconn's stdout,
/// and reaps the child when it exits without blocking the flow.
fn spawn(mut command: Command) -> std::io::Result<()> {
    for var in SECRET_VARS {
        command.env_remove(var);
    }
    let mut child = command
        .stdin(Stdio::null())
        // stdout is bcconn's data channel; a browser must not write there.
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::spawn(move || child.wait());
    Ok(())
}
