//! Where names are completed: every argument that takes a saved name or
//! scope names, found in the clap tree.

use clap_complete::engine::ArgValueCompleter;

use super::names::{connections, iclients, scopes};

/// What an argument's values are named from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    Connections,
    IClients,
    /// Scope names, comma-separated (`--scopes`).
    Scopes,
}

/// Arguments that take a name for something new, never a saved one:
/// (subcommand path, argument id).
const NEW_NAMES: &[(&[&str], &str)] = &[(&["create"], "name"), (&["iclient", "add"], "name")];

/// What an argument of the command at `path` is completed from, read off
/// the clap tree: an argument whose value is called NAME, NAMES, OLD or
/// CONNECTION names a saved connection (an iClient under `iclient`), one
/// with the id `iclient` an iClient, `scopes` scope names. So an argument
/// added later is completed without a list here to forget.
pub fn names_of(path: &[&str], arg: &clap::Arg) -> Option<Names> {
    let id = arg.get_id().as_str();
    if !arg.get_action().takes_values() || NEW_NAMES.iter().any(|(p, i)| *p == path && *i == id) {
        return None;
    }
    match id {
        "scopes" => return Some(Names::Scopes),
        "iclient" => return Some(Names::IClients),
        _ => {}
    }
    let value = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map_or_else(|| id.to_uppercase(), |v| v.to_string());
    if !matches!(value.as_str(), "NAME" | "NAMES" | "OLD" | "CONNECTION") {
        return None;
    }
    Some(match path.first() {
        Some(&"iclient") => Names::IClients,
        _ => Names::Connections,
    })
}

/// The command line with completers on every argument [`names_of`] names.
pub fn command() -> clap::Command {
    with_completers(crate::commands::cli::command(), &mut Vec::new())
}

fn with_completers(mut cmd: clap::Command, path: &mut Vec<String>) -> clap::Command {
    let here: Vec<&str> = path.iter().map(String::as_str).collect();
    let named: Vec<(String, Names)> = cmd
        .get_arguments()
        .filter_map(|a| names_of(&here, a).map(|n| (a.get_id().to_string(), n)))
        .collect();
    // `mut_arg` moves an argument to the end of the list, and positionals
    // take their index from that order: pinned first, so `exec NAME -- CMD`
    // still completes NAME first.
    let positionals: Vec<String> = cmd
        .get_positionals()
        .map(|a| a.get_id().to_string())
        .collect();
    if !named.is_empty() {
        for (i, id) in positionals.iter().enumerate() {
            cmd = cmd.mut_arg(id, |a| {
                if a.get_index().is_some() {
                    a
                } else {
                    a.index(i + 1)
                }
            });
        }
    }
    for (id, names) in named {
        let completer = match names {
            Names::Connections => ArgValueCompleter::new(connections),
            Names::IClients => ArgValueCompleter::new(iclients),
            Names::Scopes => ArgValueCompleter::new(scopes),
        };
        cmd = cmd.mut_arg(id, |a| a.add(completer));
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in subs {
        path.push(sub.clone());
        cmd = cmd.mut_subcommand(sub, |c| with_completers(c, path));
        path.pop();
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_off_the_clap_tree() {
        let cmd = command();
        cmd.clone().debug_assert();
        // Positionals keep their places (NAME before CMD, OLD before NEW).
        let exec = cmd.find_subcommand("exec").unwrap();
        let name = exec.get_arguments().find(|a| a.get_id() == "name").unwrap();
        assert_eq!(name.get_index(), Some(1));
        let rename = cmd.find_subcommand("rename").unwrap();
        let old = rename
            .get_arguments()
            .find(|a| a.get_id() == "old")
            .unwrap();
        assert_eq!(old.get_index(), Some(1));
        let arg = |path: &[&str], id: &str| {
            let mut c = &cmd;
            for p in path {
                c = c.find_subcommand(p).unwrap();
            }
            let a = c.get_arguments().find(|a| a.get_id() == id).unwrap();
            names_of(path, a)
        };
        assert_eq!(arg(&["token"], "name"), Some(Names::Connections));
        assert_eq!(arg(&["api"], "connection"), Some(Names::Connections));
        assert_eq!(arg(&["rename"], "old"), Some(Names::Connections));
        assert_eq!(arg(&["exec"], "name"), Some(Names::Connections));
        assert_eq!(arg(&["rename"], "new"), None);
        assert_eq!(arg(&["create"], "name"), None);
        assert_eq!(arg(&["create"], "iclient"), Some(Names::IClients));
        assert_eq!(arg(&["edit"], "scopes"), Some(Names::Scopes));
        assert_eq!(arg(&["iclient", "show"], "name"), Some(Names::IClients));
        assert_eq!(arg(&["iclient", "add"], "name"), None);
        assert_eq!(arg(&["api"], "headers"), None);
    }
}
