//! The module graph runs one way (DESIGN.md §5): no import circles, no
//! command file importing another, and no lower layer (bigcommerce,
//! loopback, store, secrets and the leaves) importing cli, ui, commands,
//! wizard, connect or context. Read from the sources: every `crate::<module>`
//! path outside comments and test-only code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LOWER: &[&str] = &[
    "bigcommerce",
    "loopback",
    "store",
    "secrets",
    "pool",
    "jq",
    "fsutil",
    "error",
    "text",
    "seams",
];
const ABOVE: &[&str] = &["cli", "ui", "commands", "wizard", "connect", "context"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its `mod tests`.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(cut) => &text[..cut],
        None => &text[..],
    };
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `crate::a::b` paths in `code`, as (a, b); a group `crate::{a, b::c}`
/// gives each of its members.
fn crate_paths(code: &str) -> Vec<(String, String)> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect()
    };
    let path = |rest: &str| {
        let first = ident(rest);
        let second = rest[first.len()..]
            .strip_prefix("::")
            .map(ident)
            .unwrap_or_default();
        (first, second)
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        match rest.strip_prefix('{') {
            Some(group) => {
                // Members at depth 0 of the group, up to its closing brace.
                let (mut depth, mut start) = (0, 0);
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            out.push(path(group[start..j].trim_start()));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.push(path(group[start..j].trim_start()));
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
            }
            None => out.push(path(rest)),
        }
    }
    out.retain(|(first, _)| !first.is_empty());
    out
}

#[test]
fn grouped_imports_are_read_member_by_member() {
    let paths = crate_paths("use crate::{ui as _, store::{self, Records}, env};");
    let firsts: Vec<&str> = paths.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(firsts, ["ui", "store", "env"]);
}

#[test]
fn modules_depend_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .iter()
            .next()
            .unwrap()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs");
        if top == "main" || top == "lib" || rel.ends_with("connect/testing.rs") {
            continue;
        }
        let code = code_of(path);
        for (module, sub) in crate_paths(&code) {
            if module == top {
                continue;
            }
            if top == "commands" && module == "commands" && !sub.is_empty() {
                problems.push(format!("{} imports crate::commands::{sub}", rel.display()));
            }
            if LOWER.contains(&top) && ABOVE.contains(&module.as_str()) {
                problems.push(format!(
                    "{} (a lower layer) imports crate::{module}",
                    rel.display()
                ));
            }
            deps.entry(top.to_string()).or_default().insert(module);
        }
        if top == "commands" && code.contains("super::") {
            problems.push(format!(
                "{} imports a sibling through super::",
                rel.display()
            ));
        }
    }
    // Depth-first search for a circle.
    fn visit(
        node: &str,
        deps: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        problems: &mut Vec<String>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.to_string());
            problems.push(format!("import circle: {}", circle.join(" -> ")));
            return;
        }
        if !done.insert(node.to_string()) {
            return;
        }
        stack.push(node.to_string());
        for next in deps.get(node).into_iter().flatten() {
            visit(next, deps, stack, done, problems);
        }
        stack.pop();
    }
    let mut done = BTreeSet::new();
    for node in deps.keys() {
        visit(node, &deps, &mut Vec::new(), &mut done, &mut problems);
    }
    // The graph must be there at all (a broken reader finds nothing).
    assert!(
        deps.get("commands").is_some_and(|d| d.contains("connect")),
        "{deps:?}"
    );
    assert!(
        deps.get("loopback")
            .is_some_and(|d| d.contains("bigcommerce")),
        "{deps:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
