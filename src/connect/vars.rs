//! A connection's variables for other programs (`bcconn env`, `bcconn
//! exec`), and quoting them for a shell.

use anyhow::Result;
use secrecy::{ExposeSecret, SecretString};

use super::storefront::saved;
use super::tokens::token_for;
use crate::context::Context;
use crate::store::{Connection, Tx};

/// Which shell `bcconn env` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Sh,
    Fish,
    PowerShell,
}

/// The variables of a saved storefront token: `exec` takes them out of
/// CMD's environment when the connection has none to give.
pub const STOREFRONT_VARS: [&str; 2] = [saved::TOKEN_VAR, saved::CHANNEL_VAR];

/// `BIGCOMMERCE_STORE_HASH`, `BIGCOMMERCE_ACCESS_TOKEN`, `BIGCOMMERCE_API_URL`
/// (the store's base, ending `/stores/H`), for OAuth connections
/// `BIGCOMMERCE_CLIENT_ID`, and with a saved storefront token (the one
/// `storefront` names, else the most recently saved)
/// `BIGCOMMERCE_STOREFRONT_TOKEN` and its first channel as
/// `BIGCOMMERCE_CHANNEL_ID`. A `storefront` name the connection has not
/// saved is an error listing the ones it has.
pub fn variables(
    ctx: &Context,
    file: &Tx,
    c: &Connection,
    storefront: Option<&str>,
) -> Result<Vec<(&'static str, SecretString)>> {
    let token = token_for(ctx, c).map_err(|e| e.into_error(c, file))?;
    let hash = c.store_hash.as_str();
    let mut vars = vec![
        (
            "BIGCOMMERCE_STORE_HASH",
            SecretString::from(hash.to_string()),
        ),
        ("BIGCOMMERCE_ACCESS_TOKEN", token),
        (
            "BIGCOMMERCE_API_URL",
            SecretString::from(format!("{}/stores/{hash}", ctx.env.api_url)),
        ),
    ];
    if let Some(id) = file.client_id_of(c)? {
        vars.push(("BIGCOMMERCE_CLIENT_ID", SecretString::from(id.to_string())));
    }
    // Named, it must be had; the default one missing is only a warning
    // (the access token is what most commands need).
    let found = match saved::for_env(ctx, c, storefront) {
        Ok(found) => found,
        Err(e) if storefront.is_none() => {
            ctx.progress.warn(&format!(
                "{} not set: {}",
                saved::TOKEN_VAR,
                crate::error::message(&e)
            ));
            None
        }
        Err(e) => return Err(e),
    };
    if let Some((token, channel)) = found {
        vars.push((saved::TOKEN_VAR, token));
        if let Some(channel) = channel {
            vars.push((saved::CHANNEL_VAR, SecretString::from(channel.to_string())));
        }
    }
    Ok(vars)
}

/// One line that sets `name` to `value` in `shell`.
pub fn export_line(shell: Shell, name: &str, value: &SecretString) -> String {
    let v = value.expose_secret();
    match shell {
        Shell::Sh => format!("export {name}={}\n", sh_quote(v)),
        Shell::Fish => format!("set -gx {name} {}\n", fish_quote(v)),
        Shell::PowerShell => format!("$env:{name} = {}\n", powershell_quote(v)),
    }
}

/// POSIX sh: single quotes, `'` as `'\''`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// fish: single quotes, in which only `\\` and `\'` are escapes.
pub fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// PowerShell: single quotes (no expansion), each quote doubled; PowerShell
/// also takes the typographic single quotes as quotes.
pub fn powershell_quote(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_per_shell() {
        let nasty = "it's $HOME `x` \\ \"q\" \n end";
        assert_eq!(sh_quote("abc"), "'abc'");
        assert_eq!(sh_quote(nasty), "'it'\\''s $HOME `x` \\ \"q\" \n end'");
        assert_eq!(fish_quote(nasty), "'it\\'s $HOME `x` \\\\ \"q\" \n end'");
        assert_eq!(powershell_quote(nasty), "'it''s $HOME `x` \\ \"q\" \n end'");
        assert_eq!(powershell_quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        let v = SecretString::from("x'y".to_string());
        assert_eq!(export_line(Shell::Sh, "A", &v), "export A='x'\\''y'\n");
        assert_eq!(export_line(Shell::Fish, "A", &v), "set -gx A 'x\\'y'\n");
        assert_eq!(export_line(Shell::PowerShell, "A", &v), "$env:A = 'x''y'\n");
    }

    #[test]
    fn sh_quoting_survives_a_real_shell() {
        let Ok(sh) = which::which("sh") else { return };
        for value in [
            "plain",
            "it's",
            "$(echo no)",
            "a\nb",
            "back\\slash",
            "`x`",
            "\"q\"",
        ] {
            let script = format!(
                "{}printf '%s' \"$A\"",
                export_line(Shell::Sh, "A", &SecretString::from(value.to_string()))
            );
            let out = std::process::Command::new(&sh)
                .arg("-c")
                .arg(&script)
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), value, "{script}");
        }
    }
}
