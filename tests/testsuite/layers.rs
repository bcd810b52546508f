//! The module graph, as a table of allowed edges (DESIGN.md §5), checked
//! against what the sources name. Every file under `src/` is parsed with
//! `syn`: `use` trees (`pub use` re-exports too), paths in code, types and
//! attributes (`#[derive(clap::ValueEnum)]`), and `crate::…` inside macro
//! calls. Test-only code (`#[cfg(test)]`) is left out: tests may reach
//! anywhere.
//!
//! The table is the architecture's picture. Reading it from the bottom:
//! `text` and `fsutil` are leaves; `secrets` is the secret-store trait and
//! the keyring/file stores; `store` holds the records and, in a later
//! version, the sealed secret store (secrets in the database, behind the
//! `secrets` trait): so `store -> secrets`, never the other way. `error` is
//! the one place errors become messages, hints and exit statuses, so it
//! names the lower modules' typed errors and none of them names it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Module -> the modules it may name. A module may always name itself.
#[rustfmt::skip]
const ALLOWED: &[(&str, &[&str])] = &[
    // Leaves.
    ("text",        &[]),
    ("clock",       &[]),
    ("fsutil",      &["text", "clock"]),
    ("seams",       &["text"]),
    ("jq",          &["text", "fsutil"]),
    // The lower modules: each returns its own typed errors.
    ("secrets",     &["text", "clock", "fsutil"]),
    ("env",         &["text", "secrets"]),
    ("pool",        &["text", "clock", "fsutil", "env"]),
    ("bigcommerce", &["text", "clock", "fsutil", "seams", "jq", "env", "pool"]),
    ("loopback",    &["text", "clock", "fsutil", "seams", "bigcommerce"]),
    // The records; later also the sealed secret store, behind `secrets`' trait.
    ("store",       &["text", "clock", "fsutil", "secrets", "bigcommerce"]),
    // The one place errors become messages, hints and exit statuses.
    ("error",       &["text", "fsutil", "secrets", "env", "pool", "bigcommerce", "loopback", "store"]),
    // The terminal's half: what the core talks to through the seams.
    ("ui",          &["text", "seams", "error"]),
    ("context",     &["text", "clock", "fsutil", "seams", "env", "secrets", "store", "pool", "loopback", "ui"]),
    // The connection core.
    ("connect",     &["text", "clock", "fsutil", "seams", "jq", "env", "secrets", "store", "pool",
                      "bigcommerce", "loopback", "error", "context"]),
    // The top: questions, then the verbs and their command line.
    ("wizard",      &["text", "seams", "env", "secrets", "store", "bigcommerce", "error", "context",
                      "connect", "ui"]),
    ("commands",    &["text", "clock", "fsutil", "seams", "jq", "env", "secrets", "store", "pool",
                      "bigcommerce", "loopback", "error", "context", "connect", "ui", "wizard"]),
];

/// Outside crates that belong to one layer: the command line's, which is
/// `commands` (each verb's arguments beside the verb).
const CLI_CRATES: &[(&str, &[&str])] = &[
    ("clap", &["commands"]),
    ("clap_complete", &["commands"]),
    ("clap_mangen", &["commands"]),
];

/// Modules under `commands/` that are not verbs: every verb may name them,
/// and they may name every verb (`cli` holds the `Command` enum, which lists
/// each verb's arguments, and the flag groups several verbs flatten).
const SHARED: &[&str] = &["cli"];

/// The one-verb rule for a file in module `here`: a verb names no other
/// verb. `commands/mod.rs` (the dispatcher) and the shared modules are exempt.
fn verb_problems(here: &[String], names: &Names) -> Vec<String> {
    if here.first().is_none_or(|top| top != "commands") {
        return Vec::new();
    }
    let Some(verb) = here.get(1) else {
        return Vec::new();
    };
    if SHARED.contains(&verb.as_str()) {
        return Vec::new();
    }
    names
        .verbs
        .iter()
        .filter(|v| *v != verb && !SHARED.contains(&v.as_str()))
        .map(|other| format!("a command names commands::{other}"))
        .collect()
}

/// Modules the table does not constrain: the crate root and the binary.
const ROOTS: &[&str] = &["lib", "main"];

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

/// The module path of a file: `src/connect/doctor/mod.rs` -> [connect, doctor].
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_str().unwrap().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// What one file names: top-level crate modules, and outside crates.
#[derive(Default, Debug)]
struct Names {
    modules: BTreeSet<String>,
    crates: BTreeSet<String>,
    /// `commands::<verb>` named, for the one-verb-per-file rule.
    verbs: BTreeSet<String>,
    /// Ways of reaching a module the table cannot follow (`#[path]`,
    /// `extern crate`): refused outright.
    hidden: Vec<String>,
}

struct Reader {
    /// The module path being read (the file's, then any inline `mod`'s),
    /// for `super::` and `self::`.
    here: Vec<String>,
    names: Names,
}

impl Reader {
    /// Records a path given as its segments (`crate`, `super`, a crate name…).
    fn path(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        let resolved: Vec<String> = match first.as_str() {
            "crate" => segments[1..].to_vec(),
            "super" | "self" => {
                let mut base = self.here.clone();
                let mut rest = segments;
                while let Some(s) = rest.first() {
                    match s.as_str() {
                        "super" => {
                            base.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                base
            }
            _ => {
                if segments.len() > 1 {
                    self.names.crates.insert(first.clone());
                }
                return;
            }
        };
        if let Some(top) = resolved.first() {
            self.names.modules.insert(top.clone());
            if top == "commands"
                && let Some(verb) = resolved.get(1)
            {
                self.names.verbs.insert(verb.clone());
            }
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.path(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.path(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => {
                // `use crate::ui::*` names `ui`; a bare `use super::*`
                // names this module's parent.
                prefix.push("*".into());
                self.path(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    /// `crate :: x`, `super :: x` and `clap :: x` in tokens syn does not
    /// parse as paths (macro calls, attribute arguments).
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let flat: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < flat.len() {
            if let proc_macro2::TokenTree::Group(g) = &flat[i] {
                self.tokens(g.stream());
                i += 1;
                continue;
            }
            let mut segments = Vec::new();
            let mut j = i;
            while let Some(proc_macro2::TokenTree::Ident(id)) = flat.get(j) {
                segments.push(id.to_string());
                let colons = matches!(
                    (flat.get(j + 1), flat.get(j + 2)),
                    (Some(proc_macro2::TokenTree::Punct(a)), Some(proc_macro2::TokenTree::Punct(b)))
                        if a.as_char() == ':' && b.as_char() == ':'
                );
                if !colons {
                    break;
                }
                j += 3;
            }
            if segments.len() > 1 {
                self.path(&segments);
                i = j.max(i + 1);
            } else {
                i += 1;
            }
        }
    }
}

/// Whether the item is compiled only for tests: a `cfg` that holds in test
/// builds alone (`test`, the `test-support` feature, an `all` with one such
/// part, an `any` whose every part is such). `cfg(any(test, unix))` is
/// compiled everywhere: it is read like any code.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| test_only_predicate(&m))
    })
}

fn test_only_predicate(meta: &syn::Meta) -> bool {
    use syn::punctuated::Punctuated;
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::NameValue(nv) => {
            nv.path.is_ident("feature")
                && matches!(&nv.value, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) if s.value() == "test-support")
        }
        syn::Meta::List(l) => {
            let Ok(parts) =
                l.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
            else {
                return false;
            };
            if l.path.is_ident("all") {
                parts.iter().any(test_only_predicate)
            } else if l.path.is_ident("any") {
                !parts.is_empty() && parts.iter().all(test_only_predicate)
            } else {
                false
            }
        }
    }
}

impl<'ast> Visit<'ast> for Reader {
    fn visit_item_extern_crate(&mut self, e: &'ast syn::ItemExternCrate) {
        self.names
            .hidden
            .push(format!("`extern crate {}`", e.ident));
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.attrs.iter().any(|a| a.path().is_ident("path")) {
            self.names
                .hidden
                .push(format!("`#[path]` on mod {}", m.ident));
        }
        self.here.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.here.pop();
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            _ => &[],
        };
        if is_test_only(attrs) {
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.path(&segments);
        syn::visit::visit_path(self, p);
    }

    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        if let syn::Meta::List(l) = &a.meta {
            self.tokens(l.tokens.clone());
        }
        syn::visit::visit_attribute(self, a);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
        syn::visit::visit_macro(self, m);
    }
}

/// What a source text names, read as the module `here`.
fn names_in(source: &str, here: &[String]) -> Names {
    let file = syn::parse_file(source).expect("a source file that parses");
    let mut reader = Reader {
        here: here.to_vec(),
        names: Names::default(),
    };
    reader.visit_file(&file);
    reader.names
}

/// Files that are modules declared `#[cfg(test)] mod name;`: test code.
fn test_only_files(src: &Path, files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for path in files {
        let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
        // A module's children live in its directory: `a/mod.rs` and
        // `lib.rs` hold `a/x.rs`; `a/b.rs` holds `a/b/x.rs`.
        let name = path.file_stem().unwrap().to_str().unwrap();
        let dir = if path.parent() == Some(src) && name == "lib" || name == "mod" {
            path.parent().unwrap().to_path_buf()
        } else {
            path.with_extension("")
        };
        for item in &file.items {
            if let syn::Item::Mod(m) = item
                && m.content.is_none()
                && is_test_only(&m.attrs)
            {
                let ident = m.ident.to_string();
                out.insert(dir.join(format!("{ident}.rs")));
                out.insert(dir.join(&ident).join("mod.rs"));
            }
        }
    }
    out
}

/// Every rule broken by the sources under `src`.
fn problems_in(src: &Path) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, to)| (*m, to.iter().copied().collect()))
        .collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let test_only = test_only_files(src, &files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(src).unwrap();
        let here = module_of(rel);
        let top = here[0].as_str();
        if ROOTS.contains(&top) || test_only.contains(path) {
            continue;
        }
        let Some(may) = allowed.get(top) else {
            problems.push(format!(
                "{}: module `{top}` is not in the table of allowed edges (tests/testsuite/layers.rs)",
                rel.display()
            ));
            continue;
        };
        let names = names_in(&std::fs::read_to_string(path).unwrap(), &here);
        for how in &names.hidden {
            problems.push(format!(
                "{}: {how} reaches code the layer table cannot follow",
                rel.display()
            ));
        }
        for m in &names.modules {
            if m == top {
                continue;
            }
            graph.entry(top.to_string()).or_default().insert(m.clone());
            if !may.contains(m.as_str()) {
                problems.push(format!(
                    "{}: `{top}` may not name `crate::{m}`",
                    rel.display()
                ));
            }
        }
        for (krate, homes) in CLI_CRATES {
            if names.crates.contains(*krate) && !homes.contains(&top) {
                problems.push(format!(
                    "{}: `{top}` may not use `{krate}` (the command line's crate lives in {})",
                    rel.display(),
                    homes.join(", ")
                ));
            }
        }
        // A command is one verb: it never names another (mod.rs dispatches).
        for problem in verb_problems(&here, &names) {
            problems.push(format!("{}: {problem}", rel.display()));
        }
    }
    (graph, problems)
}

#[test]
fn modules_name_only_what_the_table_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (graph, problems) = problems_in(&src);
    // The reader must see the graph at all (a broken one finds nothing).
    assert!(
        graph.get("commands").is_some_and(|d| d.contains("connect")),
        "{graph:?}"
    );
    assert!(
        graph.get("error").is_some_and(|d| d.contains("store")),
        "{graph:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_table_has_no_circle() {
    fn visit<'a>(
        node: &'a str,
        table: &BTreeMap<&'a str, &'a [&'a str]>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(at) = stack.iter().position(|n| *n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node);
            return Some(circle.join(" -> "));
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for next in table.get(node).copied().unwrap_or_default() {
            if let Some(c) = visit(next, table, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let table: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut done = BTreeSet::new();
    for node in table.keys() {
        assert_eq!(visit(node, &table, &mut Vec::new(), &mut done), None);
    }
    // The rule that matters most, spelled out: below commands/ and wizard/,
    // nothing names the terminal or the command line.
    for (module, may) in ALLOWED {
        if ["commands", "wizard", "ui", "context"].contains(module) {
            continue;
        }
        for top in ["ui", "cli", "commands", "wizard"] {
            assert!(!may.contains(&top), "{module} may name {top}");
        }
    }
}

/// The reader itself, on the ways a file can name a module.
#[test]
fn every_way_of_naming_a_module_is_seen() {
    let here = vec!["connect".to_string(), "check".to_string()];
    let cases = [
        ("use crate::ui::Ui;", "ui"),
        ("pub use crate::ui::Ui;", "ui"),
        ("use crate::{text, ui::{self, Ui}};", "ui"),
        ("use super::super::ui;", "ui"),
        ("fn f() { let _ = crate::ui::out(\"http://x\"); }", "ui"),
        (
            "fn f() { let _ = \"http://x\"; crate::ui::out(\"\"); }",
            "ui",
        ),
        ("fn f() { println!(\"{}\", crate::ui::WIDTH); }", "ui"),
        ("#[derive(crate::ui::Thing)] struct S;", "ui"),
        ("type T = crate::cli::Cli;", "cli"),
        ("use crate::ui as terminal;", "ui"),
    ];
    for (source, module) in cases {
        let names = names_in(source, &here);
        assert!(names.modules.contains(module), "{source}: {names:?}");
    }
    let derive = names_in("#[derive(clap::ValueEnum)] enum E { A }", &here);
    assert!(derive.crates.contains("clap"), "{derive:?}");
    let test_only = names_in("#[cfg(test)] mod tests { use crate::ui::Ui; }", &here);
    assert!(!test_only.modules.contains("ui"), "{test_only:?}");
    for source in [
        "#[cfg(all(test, unix))] use crate::ui::Ui;",
        "#[cfg(any(test, feature = \"test-support\"))] use crate::ui::Ui;",
    ] {
        assert!(!names_in(source, &here).modules.contains("ui"), "{source}");
    }
    // Compiled outside tests too: read like any code.
    for source in [
        "#[cfg(any(test, unix))] use crate::ui::Ui;",
        "#[cfg(not(test))] use crate::ui::Ui;",
        "#[cfg(feature = \"latest\")] use crate::ui::Ui;",
    ] {
        assert!(names_in(source, &here).modules.contains("ui"), "{source}");
    }
    // Ways around the table are refused outright.
    for source in [
        "#[path = \"../ui/mod.rs\"] mod x;",
        "extern crate self as b;",
    ] {
        assert!(!names_in(source, &here).hidden.is_empty(), "{source}");
    }
    // `super` from a module's own file stays in its module.
    assert_eq!(
        names_in(
            "use super::Finding;",
            &["connect".into(), "doctor".into(), "files".into()]
        )
        .modules,
        BTreeSet::from(["connect".to_string()])
    );
}

/// The planted violations the issue names, each caught.
#[test]
fn planted_violations_are_caught() {
    for (here, source) in [
        (&["connect", "check"][..], "use crate::ui::Ui;"),
        (&["store"][..], "use crate::cli::Cli;"),
        (&["store"][..], "use crate::commands::cli::Cli;"),
        (&["store"][..], "use crate::pool::PoolId;"),
    ] {
        let here: Vec<String> = here.iter().map(|s| s.to_string()).collect();
        let names = names_in(source, &here);
        let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
        let may = allowed[here[0].as_str()];
        assert!(
            names
                .modules
                .iter()
                .any(|m| m != &here[0] && !may.contains(&m.as_str())),
            "{source} in {here:?} passes"
        );
    }
}

/// The one-verb rule: a verb naming another verb is caught; the dispatcher
/// and the shared command line are not verbs.
#[test]
fn a_verb_naming_another_is_caught() {
    let at = |path: &[&str]| -> Vec<String> { path.iter().map(|s| s.to_string()).collect() };
    for (here, source) in [
        (
            at(&["commands", "create"]),
            "use crate::commands::list::ListArgs;",
        ),
        (at(&["commands", "create"]), "use super::list::ListArgs;"),
        (
            at(&["commands", "iclient", "add"]),
            "use crate::commands::create::CreateArgs;",
        ),
        (
            at(&["commands", "api", "print"]),
            "fn f() { crate::commands::env::run(); }",
        ),
    ] {
        let names = names_in(source, &here);
        assert!(
            !verb_problems(&here, &names).is_empty(),
            "{source} in {here:?} passes"
        );
    }
    for (here, source) in [
        (
            at(&["commands", "create"]),
            "use crate::commands::cli::StoreFlag;",
        ),
        (at(&["commands", "create"]), "use super::cli::FlowFlags;"),
        (
            at(&["commands", "iclient", "add"]),
            "use crate::commands::iclient::IClientView;",
        ),
        (at(&["commands", "cli"]), "use super::create::CreateArgs;"),
        (
            at(&["commands", "cli", "flags"]),
            "use crate::commands::list::ListArgs;",
        ),
        (at(&["commands"]), "use crate::commands::create::run;"),
    ] {
        let names = names_in(source, &here);
        let problems = verb_problems(&here, &names);
        assert!(problems.is_empty(), "{source} in {here:?}: {problems:?}");
    }
}
