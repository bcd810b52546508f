//! The SYNOPSIS line of a man page, as words.

/// The command line with every flag's value name (clap_mangen's own
/// synopsis drops them: `[--store-hash]` for `--store-hash HASH|URL`).
pub(super) fn synopsis(cmd: &clap::Command) -> (String, Vec<String>) {
    let value = |a: &clap::Arg| {
        let choices: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|p| !p.is_hide_set())
            .map(|p| p.get_name().to_string())
            .collect();
        if !choices.is_empty() {
            return choices.join("|");
        }
        a.get_value_names()
            .map_or_else(|| a.get_id().as_str().to_uppercase(), |v| v.join(" "))
    };
    let optional = |a: &clap::Arg, w: String| {
        if a.is_required_set() {
            w
        } else {
            format!("[{w}]")
        }
    };
    let name = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    let mut words = Vec::new();
    for a in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
    {
        let flag = match (a.get_short(), a.get_long()) {
            (_, Some("help" | "version")) => continue,
            (Some(s), Some(l)) => format!("-{s}|--{l}"),
            (Some(s), None) => format!("-{s}"),
            (None, Some(l)) => format!("--{l}"),
            (None, None) => continue,
        };
        let word = match a.get_action() {
            clap::ArgAction::Count => format!("{flag}..."),
            action if action.takes_values() => format!("{flag} {}", value(a)),
            _ => flag,
        };
        words.push(optional(a, word));
    }
    for a in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let mut word = value(a);
        if a.get_num_args().is_some_and(|n| n.max_values() > 1) {
            word.push_str("...");
        }
        if a.is_last_set() {
            word = format!("-- {word}");
        }
        words.push(optional(a, word));
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        words.push("COMMAND".to_string());
    }
    (name, words)
}
