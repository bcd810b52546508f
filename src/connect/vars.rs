//! A connection's variables for other programs (`bcconn env`, `bcconn
//! exec`), which of them a tool reads (`--for catalyst`), and writing them
//! in a syntax (`--format`): a shell's, a dotenv file's or JSON.

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

/// The syntax `bcconn env` writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Shell(Shell),
    /// `NAME='value'` lines that dotenvy, python-dotenv and Node's dotenv
    /// all read back exactly.
    Dotenv,
    /// One JSON object, name to value.
    Json,
}

/// Which variables: bcconn's own set, or the names a tool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    Bcconn,
    /// What Catalyst (BigCommerce's Next.js storefront) and its CLI read.
    Catalyst,
}

pub type Vars = Vec<(&'static str, SecretString)>;

/// The variables of `set`, from bcconn's own (see [`variables`]). For
/// Catalyst: the store hash, the channel and storefront token (when one is
/// saved), the access token, and the `CATALYST_*` names its newer CLI reads.
pub fn select(set: Set, vars: Vars) -> Vars {
    match set {
        Set::Bcconn => vars,
        Set::Catalyst => {
            let get = |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone())
            };
            let mut out = Vec::new();
            for (name, from) in [
                ("BIGCOMMERCE_STORE_HASH", "BIGCOMMERCE_STORE_HASH"),
                ("BIGCOMMERCE_CHANNEL_ID", "BIGCOMMERCE_CHANNEL_ID"),
                (
                    "BIGCOMMERCE_STOREFRONT_TOKEN",
                    "BIGCOMMERCE_STOREFRONT_TOKEN",
                ),
                ("BIGCOMMERCE_ACCESS_TOKEN", "BIGCOMMERCE_ACCESS_TOKEN"),
                ("CATALYST_STORE_HASH", "BIGCOMMERCE_STORE_HASH"),
                ("CATALYST_ACCESS_TOKEN", "BIGCOMMERCE_ACCESS_TOKEN"),
            ] {
                if let Some(v) = get(from) {
                    out.push((name, v));
                }
            }
            out
        }
    }
}

/// The variables of `set` for connection `c`, with a warning when
/// Catalyst would miss its storefront token.
pub fn for_set(ctx: &Context, c: &Connection, set: Set, all: Vars) -> Vars {
    let chosen = select(set, all);
    let missing = !chosen
        .iter()
        .any(|(n, _)| *n == "BIGCOMMERCE_STOREFRONT_TOKEN");
    if set == Set::Catalyst && missing {
        let name = crate::text::shell_word(&c.name);
        ctx.progress.warn(&format!(
            "{} has no saved storefront token, so BIGCOMMERCE_STOREFRONT_TOKEN and \
             BIGCOMMERCE_CHANNEL_ID are not set; Catalyst's storefront needs them: \
             bcconn storefront-token create -c {name} --for server --scopes \
             Unauthenticated,Customer --channel ID --expires 90d --save catalyst \
             (`bcconn channels -c {name}` lists the channel ids)",
            crate::text::outside(&c.name, 80)
        ));
    }
    chosen
}

/// `vars` written in `format`. Fails (naming the variable, never its
/// value) only for a dotenv value no quoting carries intact to every
/// reader.
pub fn render(format: Format, vars: &Vars) -> Result<String, String> {
    match format {
        Format::Shell(shell) => Ok(vars
            .iter()
            .map(|(name, value)| export_line(shell, name, value))
            .collect()),
        Format::Dotenv => vars
            .iter()
            .map(|(name, value)| {
                dotenv_quote(value.expose_secret())
                    .map(|q| format!("{name}={q}\n"))
                    .ok_or_else(|| {
                        format!(
                            "the value of {name} holds characters a dotenv file cannot carry the \
                             same way to every reader"
                        )
                    })
            })
            .collect(),
        Format::Json => {
            // By hand, to keep the order of the lines the other formats
            // print (a serde_json map sorts its keys).
            let quote = |s: &str| serde_json::Value::from(s).to_string();
            let lines: Vec<String> = vars
                .iter()
                .map(|(name, value)| format!("  {}: {}", quote(name), quote(value.expose_secret())))
                .collect();
            Ok(match lines.is_empty() {
                true => "{}\n".into(),
                false => format!("{{\n{}\n}}\n", lines.join(",\n")),
            })
        }
    }
}

/// A dotenv value that dotenvy (Rust), python-dotenv and Node's dotenv
/// read back as `s`. Their quoting rules differ: single quotes are literal
/// in dotenvy and Node, but python-dotenv turns the pairs backslash-
/// backslash and backslash-quote in them into one character and expands
/// `${NAME}` even there (so does Next.js, which loads Catalyst's
/// `.env.local`); double quotes expand `$` and backslash escapes. So no
/// value with `$` is written; single quotes when `s` has no `'`, no two
/// backslashes in a row and no backslash at its end; double quotes when it
/// has no `"` or backslash; otherwise no quoting works everywhere. Nor for
/// line breaks and other control characters.
pub fn dotenv_quote(s: &str) -> Option<String> {
    if s.chars().any(char::is_control) || s.contains('$') {
        return None;
    }
    if !s.contains('\'') && !s.contains("\\\\") && !s.ends_with('\\') {
        return Some(format!("'{s}'"));
    }
    if !s.contains(['"', '\\', '$']) {
        return Some(format!("\"{s}\""));
    }
    None
}

/// Every name either set gives: `exec` takes them all out of CMD's
/// environment before setting the chosen ones, so an inherited value (of
/// another store, another connection) never sits beside this one's.
pub const ALL_VARS: [&str; 8] = [
    "BIGCOMMERCE_STORE_HASH",
    "BIGCOMMERCE_ACCESS_TOKEN",
    "BIGCOMMERCE_API_URL",
    "BIGCOMMERCE_CLIENT_ID",
    saved::TOKEN_VAR,
    saved::CHANNEL_VAR,
    "CATALYST_STORE_HASH",
    "CATALYST_ACCESS_TOKEN",
];

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
    set: Set,
) -> Result<Vars> {
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
    // Catalyst's server side calls the Storefront API with this token:
    // a private (server) token first.
    let found = match saved::for_env(ctx, c, storefront, set == Set::Catalyst) {
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

    /// Values that stress each reader's quoting rules.
    const AWKWARD: &[&str] = &[
        "plain",
        "eyJhbGciOiJFUzI1NiJ9.eyJjaWQiOjF9.sig-_",
        "it's",
        "say \"hi\"",
        "$HOME and ${HOME}",
        "back\\slash",
        "a # not a comment",
        " padded ",
        "`tick`",
        "trailing\\",
        "it's `tick`",
        "",
        "it's $HOME",
    ];

    #[test]
    fn dotenv_values_are_read_back_exactly_by_dotenvy() {
        let vars: Vars = AWKWARD
            .iter()
            .enumerate()
            .filter(|(_, v)| dotenv_quote(v).is_some())
            .map(|(i, v)| {
                let name: &'static str = Box::leak(format!("V{i}").into_boxed_str());
                (name, SecretString::from(v.to_string()))
            })
            .collect();
        // Refused: a `$` (expanded by python-dotenv and Next.js in any
        // quotes), and the two with both quote kinds' hazards.
        assert_eq!(vars.len(), AWKWARD.len() - 3);
        let text = render(Format::Dotenv, &vars).unwrap();
        let read: Vec<(String, String)> = dotenvy::from_read_iter(text.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<(String, String)> = vars
            .iter()
            .map(|(n, v)| (n.to_string(), v.expose_secret().to_string()))
            .collect();
        assert_eq!(read, want, "{text}");
    }

    #[test]
    fn dotenv_refuses_what_no_quoting_carries_everywhere() {
        assert_eq!(dotenv_quote("it's"), Some("\"it's\"".into()));
        assert_eq!(dotenv_quote("$X"), None);
        assert_eq!(dotenv_quote("a${HOME}b"), None);
        assert_eq!(dotenv_quote("a\\b"), Some("'a\\b'".into()));
        for bad in [
            "a\nb",
            "tab\there",
            "it's \\ both",
            "it's $HOME",
            "it's \"q\"",
        ] {
            assert_eq!(dotenv_quote(bad), None, "{bad:?}");
        }
        let vars: Vars = vec![("SECRET_NAME", SecretString::from("x'$y".to_string()))];
        let err = render(Format::Dotenv, &vars).unwrap_err();
        assert!(
            err.contains("SECRET_NAME") && !err.contains("x'$y"),
            "{err}"
        );
    }

    #[test]
    fn json_is_one_object_in_order() {
        let vars: Vars = vec![
            ("B", SecretString::from("2".to_string())),
            ("A", SecretString::from("it's \"1\"\n".to_string())),
        ];
        let text = render(Format::Json, &vars).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v, serde_json::json!({"B": "2", "A": "it's \"1\"\n"}));
        assert!(text.find("\"B\"") < text.find("\"A\""), "{text}");
    }

    #[test]
    fn catalyst_reads_its_own_names_and_not_the_rest() {
        let s = |v: &str| SecretString::from(v.to_string());
        let all: Vars = vec![
            ("BIGCOMMERCE_STORE_HASH", s("abc123")),
            ("BIGCOMMERCE_ACCESS_TOKEN", s("tok")),
            ("BIGCOMMERCE_API_URL", s("https://api/stores/abc123")),
            ("BIGCOMMERCE_CLIENT_ID", s("cid")),
            ("BIGCOMMERCE_STOREFRONT_TOKEN", s("sf")),
            ("BIGCOMMERCE_CHANNEL_ID", s("1")),
        ];
        let names: Vec<(&str, String)> = select(Set::Catalyst, all)
            .into_iter()
            .map(|(n, v)| (n, v.expose_secret().to_string()))
            .collect();
        assert_eq!(
            names,
            [
                ("BIGCOMMERCE_STORE_HASH", "abc123".to_string()),
                ("BIGCOMMERCE_CHANNEL_ID", "1".into()),
                ("BIGCOMMERCE_STOREFRONT_TOKEN", "sf".into()),
                ("BIGCOMMERCE_ACCESS_TOKEN", "tok".into()),
                ("CATALYST_STORE_HASH", "abc123".into()),
                ("CATALYST_ACCESS_TOKEN", "tok".into()),
            ]
        );
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
