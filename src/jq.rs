//! `--jq EXPR`: jq filters run in-process (the jaq crates), so scripts need
//! no jq binary. Output follows `gh api --jq`: a string result is printed
//! raw, anything else as compact JSON, one result per line.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;

/// Checks that `expr` parses and names only known filters, before anything
/// is sent.
pub fn check(expr: &str) -> Result<(), String> {
    with_filter(expr, |_| ())
}

/// Runs `expr` over the JSON text `input`; the lines to print.
pub fn run(expr: &str, input: &[u8]) -> Result<String, String> {
    let input = jaq_json::read::parse_single(input)
        .map_err(|e| format!("the answer is not JSON, so --jq cannot filter it ({e})"))?;
    with_filter(expr, |filter| {
        let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
        let mut out = String::new();
        for value in filter.id.run((ctx, input)).map(unwrap_valr) {
            match value {
                Ok(v) => {
                    out.push_str(&raw(&v));
                    out.push('\n');
                }
                Err(e) => return Err(format!("--jq {expr:?}: {e}")),
            }
        }
        Ok(out)
    })?
}

fn with_filter<T>(
    expr: &str,
    then: impl FnOnce(&jaq_core::Filter<data::JustLut<Val>>) -> T,
) -> Result<T, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let program = File {
        code: expr,
        path: (),
    };
    let modules = loader
        .load(&arena, program)
        .map_err(|errs| format!("--jq {expr:?}: {}", load_errors(&errs)))?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            let names: Vec<String> = errs
                .iter()
                .flat_map(|(_, es)| es.iter().map(|(name, _)| name.to_string()))
                .collect();
            format!("--jq {expr:?}: undefined {}", names.join(", "))
        })?;
    Ok(then(&filter))
}

/// A string without quotes (as `jq -r`), anything else as JSON.
fn raw(v: &Val) -> String {
    match v {
        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

fn load_errors(errs: &jaq_core::load::Errors<&str, ()>) -> String {
    use jaq_core::load::Error;
    let mut parts = Vec::new();
    for (_, e) in errs {
        match e {
            Error::Io(list) => parts.extend(list.iter().map(|(_, m)| m.clone())),
            Error::Lex(list) => parts.extend(
                list.iter()
                    .map(|(expect, at)| format!("expected {} at {:?}", expect.as_str(), cut(at))),
            ),
            Error::Parse(list) => parts.extend(
                list.iter()
                    .map(|(expect, at)| format!("expected {} at {:?}", expect.as_str(), cut(at))),
            ),
        }
    }
    parts.join("; ")
}

fn cut(at: &str) -> String {
    let s: String = at.chars().take(20).collect();
    if s.is_empty() { "the end".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_raw_and_the_rest_is_json() {
        let input = br#"{"data":[{"id":1,"name":"A \"b\""},{"id":2,"name":"C"}]}"#;
        assert_eq!(run(".data[].id", input).unwrap(), "1\n2\n");
        assert_eq!(run(".data[].name", input).unwrap(), "A \"b\"\nC\n");
        assert_eq!(
            run(".data[0]", input).unwrap(),
            "{\"id\":1,\"name\":\"A \\\"b\\\"\"}\n"
        );
        assert_eq!(
            run("[.data[] | select(.id > 1) | .id]", input).unwrap(),
            "[2]\n"
        );
        assert_eq!(run(".data | map(.id) | add", input).unwrap(), "3\n");
    }

    #[test]
    fn bad_filters_and_inputs_are_errors_not_panics() {
        assert!(run(".data[", b"{}").unwrap_err().contains("--jq"));
        assert!(run("nosuchfn", b"{}").unwrap_err().contains("undefined"));
        assert!(check("nosuchfn").is_err() && check(".data[").is_err());
        assert!(check(".data[].id").is_ok());
        assert!(run(".a", b"not json").unwrap_err().contains("not JSON"));
        assert!(run("error(\"boom\")", b"{}").unwrap_err().contains("boom"));
    }
}
