//! The rules a change to the records must obey, with the error a person
//! gets when it does not: names are valid and unique ignoring case, names
//! that do not exist get a suggestion, borrowing concurrency never cycles.
//!
//! These are methods of [`Tx`] (so call sites read
//! `file.require_connection(name)`), written here rather than in `store/`
//! because their hints name bcconn's commands and flags.

use crate::bigcommerce::store_hash::StoreHash;
use crate::error::{Failure, usage};
use anyhow::Result;

use crate::store::{AuthType, Connection, Document, IClient, MAX_NAME, Tx, same_name};

/// A name as shown in a message: quoted, unsafe characters escaped, and cut
/// short, so a 10,000-character name (or one holding ESC) cannot flood or
/// repaint the terminal.
pub fn shown(name: &str) -> String {
    format!("\"{}\"", crate::text::outside(name, MAX_NAME + 16))
}

/// How many names a one-line list shows before "and N more".
const FEW: usize = 3;

/// Names as one bounded line: `"a", "b", "c" and 997 more` (each as
/// [`shown`]), so a thousand names never become a thousand lines or one
/// line of a thousand names.
pub fn few_names<S: AsRef<str>>(names: &[S]) -> String {
    let mut out: Vec<String> = names.iter().take(FEW).map(|n| shown(n.as_ref())).collect();
    let more = names.len().saturating_sub(FEW);
    let mut line = out.join(", ");
    if more > 0 {
        line.push_str(&format!(" and {more} more"));
    } else if out.len() > 1 {
        // "a, b and c" reads better than "a, b, c" when nothing is left out.
        let last = out.pop().unwrap_or_default();
        line = format!("{} and {last}", out.join(", "));
    }
    line
}

/// Scope names as one bounded line, unquoted (they are identifiers):
/// `a, b, c and 2 more`, each escaped (a hand-edited record may hold any).
pub fn few_scopes<S: AsRef<str>>(names: &[S]) -> String {
    let mut out: Vec<String> = names
        .iter()
        .take(FEW)
        .map(|n| crate::text::outside(n.as_ref(), 80))
        .collect();
    let more = names.len().saturating_sub(FEW);
    if more > 0 {
        return format!("{} and {more} more", out.join(", "));
    }
    match out.pop() {
        Some(last) if !out.is_empty() => format!("{} and {last}", out.join(", ")),
        Some(last) => last,
        None => String::new(),
    }
}

/// What kind of connection this is, as messages name it.
pub fn auth_kind(t: AuthType) -> &'static str {
    match t {
        AuthType::Oauth2 => "an OAuth 2.0 connection",
        AuthType::Token => "an API-account token connection",
    }
}

/// The pronoun for `n` things: a list of one scope is "it", not "them".
pub fn them(n: usize) -> &'static str {
    if n == 1 { "it" } else { "them" }
}

/// Characters a shell treats specially somewhere in a word (bash, zsh,
/// fish, PowerShell): expansion (`$` `` ` `` `~` `!` `%` `^`), quoting
/// (`'` `"` `\`), globbing (`*` `?` `[` `]` `{` `}`), comments (`#`),
/// and command separators and redirections. New names may not hold them:
/// names are pasted into commands (bcconn's own hints, completion), and a
/// name holding `$(…)` ran when a completed line was entered. Names saved
/// before this rule keep working; only new names are checked.
pub const SHELL_METACHARACTERS: &str = "$`~!%^'\"\\*?[]{}#;&|<>()";

/// Checks a record name: non-empty printable text, at most 64 characters,
/// no leading or trailing space (they make names that look equal differ),
/// and nothing that hides or reorders text on a terminal (control
/// characters, bidi overrides, zero-width characters, line separators):
/// `c0` and `c0` + U+200B would look identical in a list.
pub fn validate_name(kind: &str, name: &str) -> Result<(), Failure> {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let fix = format!(
        "{article} {kind} name is 1 to {MAX_NAME} printable characters, e.g. \"acme-prod\""
    );
    if name.trim().is_empty() {
        return Err(usage(format!("the {kind} name is empty")).hint(fix));
    }
    if name.chars().count() > MAX_NAME {
        return Err(usage(format!(
            "the {kind} name is {} characters long; the limit is {MAX_NAME}",
            name.chars().count()
        ))
        .hint(fix));
    }
    if let Some(c) = name.chars().find(|&c| crate::text::is_unsafe(c)) {
        let what = if c.is_control() {
            "a control character"
        } else {
            "an invisible or direction-changing character"
        };
        return Err(usage(format!(
            "the {kind} name {} holds {what} (U+{:04X})",
            shown(name),
            c as u32
        ))
        .hint(fix));
    }
    if let Some(c) = name.chars().find(|c| SHELL_METACHARACTERS.contains(*c)) {
        let shown = match c {
            '"' | '\\' => format!("\\{c}"),
            c => c.to_string(),
        };
        return Err(usage(format!(
            "{kind} names cannot hold \"{shown}\" (a shell metacharacter)"
        ))
        .hint(
            "names are pasted into shell commands and completed by the shell: use letters, digits, spaces and - _ . @ , + = : / (e.g. \"acme-prod\")",
        ));
    }
    if name.trim() != name {
        return Err(usage(format!(
            "the {kind} name {} starts or ends with a space",
            shown(name)
        ))
        .hint(fix));
    }
    Ok(())
}

impl Tx {
    /// The connection called `name`, or an error that lists what exists.
    pub fn require_connection(&self, name: &str) -> Result<&Connection> {
        if let Some(c) = self.connection(name)? {
            return Ok(c);
        }
        let names = self.connection_names()?;
        Err(not_found(
            "connection",
            name,
            names.iter().map(String::as_str),
            "bcconn list",
        )
        .into())
    }

    pub fn require_iclient(&self, name: &str) -> Result<&IClient> {
        if let Some(i) = self.iclient(name)? {
            return Ok(i);
        }
        Err(not_found(
            "iClient",
            name,
            self.iclients()?.iter().map(|c| c.name.as_str()),
            "bcconn iclient list",
        )
        .into())
    }

    /// Refuses a connection name that is taken (case-insensitively), unless it
    /// is taken by `except` (a rename to a different case of itself).
    pub fn check_connection_name_free(&self, name: &str, except: Option<&str>) -> Result<()> {
        validate_name("connection", name)?;
        let found = self
            .connection(name)?
            .map(|c| (c.id.as_str(), c.name.as_str()));
        Ok(connection_name_free(found, except)?)
    }

    pub fn check_iclient_name_free(&self, name: &str, except: Option<&str>) -> Result<()> {
        validate_name("iClient", name)?;
        let found = self
            .iclient(name)?
            .map(|c| (c.id.as_str(), c.name.as_str()));
        Ok(iclient_name_free(found, except)?)
    }

    /// Checks that the connection `borrower_id` (None: not saved yet) may
    /// borrow from the connection named `lender`, and returns the lender's id.
    pub fn check_borrow(
        &self,
        borrower_id: Option<&str>,
        borrower_name: &str,
        lender: &str,
    ) -> Result<String> {
        let itself = || {
            usage(format!(
                "connection {} cannot borrow concurrency from itself",
                shown(borrower_name)
            ))
            .hint("name another connection, or set its own level with --concurrency")
        };
        // Checked before the lookup: a connection being created is not saved
        // yet, and "no connection named X" would hide the real mistake.
        if !borrower_name.is_empty() && same_name(lender, borrower_name) {
            return Err(itself().into());
        }
        let Some(lend) = self.connection(lender)? else {
            let names = self.connection_names()?;
            return Err(not_found("connection", lender, names.iter().map(String::as_str), "bcconn list")
                .hint("--borrow-concurrency-from takes the name of a saved connection (see `bcconn list`)")
                .into());
        };
        if Some(lend.id.as_str()) == borrower_id {
            return Err(itself().into());
        }
        // Walk the lender's chain; reaching the borrower means a cycle.
        if let Some(me) = borrower_id {
            let mut chain = vec![lend.name.clone()];
            let mut current = lend;
            while let Some(next) = match current.borrow_concurrency_from.as_deref() {
                Some(id) => self.connection_by_id(id)?,
                None => None,
            } {
                if next.id == me {
                    return Err(usage(format!(
                        "borrowing from {:?} would make a cycle: {borrower_name} -> {} -> {borrower_name}",
                        lend.name,
                        chain.join(" -> ")
                    ))
                    .hint("borrow from a connection that does not itself borrow from this one")
                    .into());
                }
                // A hand-made cycle that does not pass the borrower.
                if chain.iter().any(|n| n == &next.name) || chain.len() > 10_000 {
                    break;
                }
                chain.push(next.name.clone());
                current = next;
            }
        }
        Ok(lend.id.clone())
    }

    /// The warning for a connection that shares its app and store with
    /// others (BigCommerce keeps one token per app and store): one line,
    /// however many there are.
    pub fn sibling_warnings(&self, c: &Connection) -> Result<Option<String>> {
        let siblings: Vec<&str> = self
            .siblings_of(c)?
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        Ok(match siblings.len() {
            0 => None,
            1 => Some(format!(
                "{} uses the same app and store as {}: BigCommerce keeps one token per app and store, so authorizing either ends the other's token",
                shown(siblings[0]),
                shown(&c.name)
            )),
            n => Some(format!(
                "{n} connections ({}) use the same app and store as {}: BigCommerce keeps one token per app and store, so authorizing any of them ends the others' tokens",
                few_names(&siblings),
                shown(&c.name)
            )),
        })
    }

    /// A warning when a connection for `hash` borrows from one for another store.
    pub fn lender_store_warning(
        &self,
        hash: &StoreHash,
        lender_id: &str,
    ) -> Result<Option<String>> {
        let Some(lender) = self.connection_by_id(lender_id)? else {
            return Ok(None);
        };
        Ok((&lender.store_hash != hash).then(|| {
            format!(
                "{:?} is for store {}, not {hash}: the two will share one concurrency pool",
                lender.name, lender.store_hash
            )
        }))
    }
}

/// The walk-through checks names against every record in memory.
impl Document {
    pub fn check_connection_name_free(
        &self,
        name: &str,
        except: Option<&str>,
    ) -> Result<(), Failure> {
        validate_name("connection", name)?;
        connection_name_free(
            self.connection(name)
                .map(|c| (c.id.as_str(), c.name.as_str())),
            except,
        )
    }

    pub fn check_iclient_name_free(&self, name: &str, except: Option<&str>) -> Result<(), Failure> {
        validate_name("iClient", name)?;
        iclient_name_free(
            self.iclient(name).map(|c| (c.id.as_str(), c.name.as_str())),
            except,
        )
    }
}

/// `found` is the (id, name) holding the name; `except` an id allowed to.
fn connection_name_free(found: Option<(&str, &str)>, except: Option<&str>) -> Result<(), Failure> {
    match found {
        Some((id, name)) if Some(id) != except => Err(usage(format!(
            "a connection named {name:?} already exists"
        ))
        .hint("pick another name, or change that one with `bcconn edit` / `bcconn authorize`")),
        _ => Ok(()),
    }
}

fn iclient_name_free(found: Option<(&str, &str)>, except: Option<&str>) -> Result<(), Failure> {
    match found {
        Some((id, name)) if Some(id) != except => {
            Err(usage(format!("an iClient named {name:?} already exists"))
                .hint("pick another name, or change that one with `bcconn iclient edit`"))
        }
        _ => Ok(()),
    }
}

fn not_found<'a>(
    kind: &str,
    name: &str,
    existing: impl Iterator<Item = &'a str>,
    list_cmd: &str,
) -> Failure {
    let names: Vec<&str> = existing.collect();
    let near = names
        .iter()
        .map(|n| {
            (
                strsim::jaro_winkler(&n.to_lowercase(), &name.to_lowercase()),
                *n,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let f = usage(format!("no {kind} named {}", shown(name)));
    match near {
        Some((_, n)) => f.hint(format!(
            "did you mean {}? `{list_cmd}` shows them all",
            shown(n)
        )),
        // With nothing saved, the useful next step is making one, not listing none.
        None if names.is_empty() => f.hint(match kind {
            "iClient" => "there are none yet; make one with `bcconn iclient add NAME`".to_string(),
            _ => "there are none yet; make one with `bcconn create`".to_string(),
        }),
        None => f.hint(format!("`{list_cmd}` shows the saved ones")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuthType;

    fn conn(name: &str, level: u8, borrow: Option<&str>) -> Connection {
        Connection {
            id: format!("id-{name}"),
            concurrency: level,
            borrow_concurrency_from: borrow.map(|b| format!("id-{b}")),
            ..Connection::pending(name, AuthType::Oauth2, "abc123".parse().unwrap())
        }
    }

    fn file(conns: Vec<Connection>) -> Tx {
        Tx::from_document(crate::store::Document {
            connections: conns,
            ..Default::default()
        })
    }

    #[test]
    fn borrow_refuses_self_unknown_and_cycles() {
        let f = file(vec![
            conn("a", 2, None),
            conn("b", 1, Some("a")),
            conn("c", 1, Some("b")),
        ]);
        assert!(
            f.check_borrow(Some("id-a"), "a", "A")
                .unwrap_err()
                .to_string()
                .contains("itself")
        );
        // A connection not saved yet is told it names itself, not that the
        // lender is unknown.
        assert!(
            f.check_borrow(None, "new", "NEW")
                .unwrap_err()
                .to_string()
                .contains("itself")
        );
        assert!(
            f.check_borrow(None, "new", "zzz")
                .unwrap_err()
                .to_string()
                .contains("no connection named")
        );
        let cyc = f
            .check_borrow(Some("id-a"), "a", "c")
            .unwrap_err()
            .to_string();
        assert!(cyc.contains("cycle") && cyc.contains("c -> b"), "{}", cyc);
        assert_eq!(f.check_borrow(None, "new", "c").unwrap(), "id-c");
    }

    #[test]
    fn names_are_checked_and_unique_ignoring_case() {
        assert!(validate_name("connection", "").is_err());
        assert!(validate_name("connection", "   ").is_err());
        assert!(validate_name("connection", "a\tb").is_err());
        assert!(validate_name("connection", " a").is_err());
        assert!(validate_name("connection", &"x".repeat(65)).is_err());
        assert!(validate_name("connection", &"é".repeat(64)).is_ok());
        // Names that look like others, or rewrite the line they are on.
        for bad in [
            "c0\u{200B}",
            "a\u{202E}b",
            "a\u{2028}b",
            "x\u{1b}[2J",
            "\u{FEFF}x",
        ] {
            let e = validate_name("connection", bad).unwrap_err();
            assert!(
                !e.message.chars().any(crate::text::is_unsafe),
                "{}",
                e.message
            );
        }
        assert!(validate_name("connection", "東京-café").is_ok());
        // A huge name is never echoed whole.
        let huge = "n".repeat(10_000);
        let e = validate_name("connection", &huge).unwrap_err();
        assert!(e.message.len() < 200, "{}", e.message);
        let f = file(vec![conn("a", 1, None)]);
        let e = f.require_connection(&huge).unwrap_err().to_string();
        assert!(e.len() < 200, "{e}");
        assert!(
            !f.require_connection("\u{1b}[31m")
                .unwrap_err()
                .to_string()
                .contains('\u{1b}')
        );
        let f = file(vec![conn("Acme", 1, None)]);
        assert!(f.check_connection_name_free("acme", None).is_err());
        assert!(
            f.check_connection_name_free("ACME", Some("id-Acme"))
                .is_ok()
        );
        assert!(f.check_connection_name_free("other", None).is_ok());
    }

    #[test]
    fn with_nothing_saved_the_hint_says_how_to_make_one() {
        let e = not_found("iClient", "nope", std::iter::empty(), "bcconn iclient list");
        assert!(
            e.hints.join(" ").contains("bcconn iclient add NAME"),
            "{:?}",
            e.hints
        );
        let e = not_found("connection", "x", std::iter::empty(), "bcconn list");
        assert!(e.hints.join(" ").contains("bcconn create"), "{:?}", e.hints);
        let e = not_found("connection", "x", ["shop"].into_iter(), "bcconn list");
        assert!(
            e.hints.join(" ").contains("`bcconn list` shows"),
            "{:?}",
            e.hints
        );
    }
}
