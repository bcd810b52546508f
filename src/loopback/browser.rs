//! Opening the consent page in a browser.
//!
//! `BCCONN_BROWSER` (then `BROWSER`) wins: it is a command, split on
//! whitespace, with the URL appended as its last argument. The `open` crate
//! ignores `$BROWSER` when a desktop is detected, so bcconn honours it itself.

use std::process::{Command, Stdio};

/// Starts a browser on `url` without waiting for it. The error says why no
/// browser could be started; the caller keeps waiting either way, since the
/// person can open the printed URL by hand.
pub fn open(url: &str, command: Option<&str>) -> Result<(), String> {
    match command {
        Some(cmd) => {
            let mut parts = cmd.split_whitespace();
            let program = parts.next().ok_or("the browser command is empty")?;
            let mut child = Command::new(program)
                .args(parts)
                .arg(url)
                .stdin(Stdio::null())
                // stdout is bcconn's data channel; a browser must not write there.
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("could not run {program:?}: {e}"))?;
            // Reap it when it exits, without blocking the flow.
            std::thread::spawn(move || child.wait());
            Ok(())
        }
        None => open::that_detached(url).map_err(|e| e.to_string()),
    }
}
