//! `--jq EXPR`: jq filters run with the jaq crates, so scripts need no jq
//! binary. Output follows `gh api --jq`: a string result is printed raw,
//! anything else as compact JSON, one result per line.
//!
//! jaq has no recursion, fuel or memory limit of its own: `def f: 1 + f; f`
//! overflows any stack, `[repeat(1)]` grows without end, and an answer nested
//! 10,000 deep overflows the parser. None of that may take bcconn down (the
//! answer of a write must still be printed), so the filter runs in a child
//! process — bcconn itself, re-run as the hidden `bcconn __jq EXPR` — with
//! limits on its memory, CPU time and core dumps, on a thread with a large
//! but bounded stack. The parent bounds what it reads back and turns any
//! death of the child into one clear error.

use std::io::{Read, Write};

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;

/// How deep an answer may nest (arrays and objects) to be filtered; real
/// answers are a few levels deep.
pub const DEPTH_MAX: usize = 512;
/// The most a filter may print.
pub const OUTPUT_MAX: u64 = 64 * 1024 * 1024;
/// The most JSON `--jq` filters: what the child's [`MEMORY_MAX`] really
/// holds. Parsed, small objects take ~35 times their text: measured, 32 MiB
/// of them peak at ~1.2 GB with a filter that makes a changed copy of every
/// item, while `length` alone died past ~50 MiB. The client holds no more
/// than this of a read's answer (or a list's pages) when `--jq` is given.
pub const INPUT_MAX: u64 = 32 * 1024 * 1024;
/// The child's address space: room for an [`INPUT_MAX`] answer parsed and a
/// filter's copy of it, far below the machine.
const MEMORY_MAX: u64 = 2 * 1024 * 1024 * 1024;
/// The filter thread's stack: deep enough for any sane filter; a recursion
/// without end overflows it and ends the child, not bcconn.
const STACK: usize = 256 * 1024 * 1024;
/// The hidden argument that makes bcconn the filter's child.
pub const CHILD_ARG: &str = "__jq";

/// The longest filter taken: far more than any `--jq` one-liner, and short
/// enough that parsing it, which recurses once per level of nesting, stays
/// within [`STACK`] however it nests.
pub const FILTER_MAX: usize = 16 * 1024;

/// Checks that `expr` parses and names only known filters, before anything
/// is sent. Parsed on a thread with the child's [`STACK`]: on the main
/// thread's few MiB, a 2 KB filter nested 1,000 deep aborted bcconn.
pub fn check(expr: &str) -> Result<(), String> {
    if expr.len() > FILTER_MAX {
        return Err(too_long(expr));
    }
    let expr = expr.to_string();
    std::thread::Builder::new()
        .name("jq-check".into())
        .stack_size(STACK)
        .spawn(move || with_filter(&expr, |_| ()))
        .map_err(|e| format!("--jq: cannot check the filter: {e}"))?
        .join()
        .unwrap_or_else(|_| Err("--jq: checking the filter stopped unexpectedly".into()))
}

/// The filter in a message: quoted, and cut short (a long one would bury
/// the reason).
fn shown(expr: &str) -> String {
    crate::text::outside(&format!("{expr:?}"), 120)
}

fn too_long(expr: &str) -> String {
    format!(
        "--jq {}: the filter is longer than {} KiB",
        shown(expr),
        FILTER_MAX >> 10
    )
}

/// Runs `expr` over the JSON text `input` in a child process (see the module
/// doc) given `cpu` of CPU time; the lines to print, or one line saying why not.
pub fn run(expr: &str, input: &[u8], cpu: std::time::Duration) -> Result<Vec<u8>, String> {
    let cpu_seconds = cpu.as_secs().max(1);
    use std::process::{Command, Stdio};
    let failed = |why: String| format!("--jq {}: {why}", shown(expr));
    if input.len() as u64 > INPUT_MAX {
        return Err(failed(too_big()));
    }
    let exe = own_program().map_err(|e| {
        failed(format!(
            "cannot find bcconn's own program to run the filter: {e}"
        ))
    })?;
    let mut child = Command::new(exe)
        .arg(CHILD_ARG)
        .arg(cpu_seconds.to_string())
        .arg(expr)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot start the filter: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    // The child may stop reading early (a bad answer): a broken pipe here is
    // not the error to report.
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stderr = child.stderr.take().expect("piped");
    let said = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut text);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        String::from_utf8_lossy(&text).into_owned()
    });
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .expect("piped")
        .take(OUTPUT_MAX + 1)
        .read_to_end(&mut out);
    if out.len() as u64 > OUTPUT_MAX {
        let _ = child.kill();
    }
    let status = child
        .wait()
        .map_err(|e| failed(format!("the filter: {e}")))?;
    let _ = feeder.join();
    let said = said.join().unwrap_or_default();
    if out.len() as u64 > OUTPUT_MAX {
        return Err(failed(format!(
            "its output passed {} MiB, more than bcconn prints from a filter",
            OUTPUT_MAX >> 20
        )));
    }
    read.map_err(|e| failed(format!("reading the filter's output: {e}")))?;
    if status.success() {
        return Ok(out);
    }
    let first = said.lines().next().unwrap_or("").trim();
    if status.code() == Some(1) && !first.is_empty() {
        return Err(failed(crate::text::outside(first, 300)));
    }
    Err(failed(death(&said, &status, cpu_seconds)))
}

/// The program this process runs. On Linux, `/proc/self/exe`: the running
/// program itself, even when its file was replaced or removed since it
/// started (an upgrade while a call waited), where the path
/// `current_exe` names would then be missing or another version.
fn own_program() -> std::io::Result<std::path::PathBuf> {
    #[cfg(target_os = "linux")]
    {
        let running = std::path::Path::new("/proc/self/exe");
        if running.exists() {
            return Ok(running.to_path_buf());
        }
    }
    std::env::current_exe()
}

fn too_big() -> String {
    format!(
        "the JSON to filter is larger than {} MiB, more than --jq takes (drop --jq and pipe the answer to jq, or ask for less)",
        INPUT_MAX >> 20
    )
}

/// Why the child died, from what the runtime said and its signal.
fn death(said: &str, status: &std::process::ExitStatus, cpu_seconds: u64) -> String {
    if said.contains("overflowed its stack") {
        return format!(
            "the filter recursed too deep (it ran out of its {} MiB stack)",
            STACK >> 20
        );
    }
    if said.contains("memory allocation") {
        return format!(
            "the filter needed more than {} GiB of memory",
            MEMORY_MAX >> 30
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            if sig == libc::SIGXCPU || sig == libc::SIGKILL {
                return format!("the filter ran longer than {cpu_seconds} s of CPU time");
            }
            if sig == libc::SIGSEGV || sig == libc::SIGBUS {
                return "the filter recursed too deep (it ran out of stack)".into();
            }
            return format!("the filter's process ended on signal {sig}");
        }
    }
    format!("the filter's process ended with {status}")
}

/// When this process is the filter's child (`bcconn __jq CPU_SECONDS EXPR`,
/// input on stdin, lines on stdout, one line on stderr when it fails): its
/// exit code. This is the child's own `main`, so it prints for itself.
#[allow(clippy::print_stderr, clippy::disallowed_methods)]
pub fn child_entry() -> Option<u8> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != CHILD_ARG {
        return None;
    }
    let cpu_seconds = args
        .next()
        .and_then(|a| a.into_string().ok()?.parse::<u64>().ok());
    let expr = args.next().and_then(|a| a.into_string().ok());
    let (Some(cpu_seconds), Some(expr)) = (cpu_seconds, expr) else {
        eprintln!("bcconn {CHILD_ARG} takes CPU seconds and one filter");
        return Some(2);
    };
    limit_self(cpu_seconds);
    if expr.len() > FILTER_MAX {
        eprintln!("{}", too_long(&expr));
        return Some(1);
    }
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().take(INPUT_MAX + 1).read_to_end(&mut input) {
        eprintln!("reading the answer: {e}");
        return Some(1);
    }
    if input.len() as u64 > INPUT_MAX {
        eprintln!("{}", too_big());
        return Some(1);
    }
    let worker = std::thread::Builder::new()
        .name("jq".into())
        .stack_size(STACK)
        .spawn(move || {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let done = filter(&expr, &input, &mut out, OUTPUT_MAX);
            done.and_then(|()| out.flush().map_err(|e| format!("writing: {e}")))
        });
    match worker.map(|w| w.join()) {
        Ok(Ok(Ok(()))) => Some(0),
        Ok(Ok(Err(why))) => {
            eprintln!("{why}");
            Some(1)
        }
        Ok(Err(_)) => {
            eprintln!("the filter stopped unexpectedly");
            Some(1)
        }
        Err(e) => {
            eprintln!("cannot start the filter: {e}");
            Some(1)
        }
    }
}

/// The child's own limits, set before it reads anything: memory, CPU time,
/// and no core file when it dies.
fn limit_self(cpu_seconds: u64) {
    #[cfg(unix)]
    {
        let set = |what, soft: u64, hard: u64| {
            let lim = libc::rlimit {
                rlim_cur: soft as libc::rlim_t,
                rlim_max: hard as libc::rlim_t,
            };
            // SAFETY: setrlimit only reads the struct it is given.
            unsafe { libc::setrlimit(what, &lim) };
        };
        set(libc::RLIMIT_AS, MEMORY_MAX, MEMORY_MAX);
        set(libc::RLIMIT_CPU, cpu_seconds, cpu_seconds + 1);
        set(libc::RLIMIT_CORE, 0, 0);
    }
}

/// How deep `json` nests, up to `max + 1` (strings skipped): checked before
/// parsing, since the parser recurses once per level.
pub fn depth(json: &[u8], max: usize) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > max {
                    return deepest;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Runs `expr` over `input` here, writing lines to `out`, at most `max_out`
/// bytes of them. Run only where an abort is survivable (the child).
pub fn filter(expr: &str, input: &[u8], out: &mut dyn Write, max_out: u64) -> Result<(), String> {
    if depth(input, DEPTH_MAX) > DEPTH_MAX {
        return Err(format!(
            "the answer is nested more than {DEPTH_MAX} levels deep; --jq does not filter it"
        ));
    }
    let input = jaq_json::read::parse_single(input)
        .map_err(|e| format!("the answer is not JSON, so --jq cannot filter it ({e})"))?;
    with_filter(expr, |filter| {
        let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
        let mut written: u64 = 0;
        for value in filter.id.run((ctx, input)).map(unwrap_valr) {
            let mut line = match value {
                Ok(v) => raw(&v),
                Err(e) => return Err(format!("{e}")),
            };
            line.push('\n');
            written += line.len() as u64;
            if written > max_out {
                return Err(format!(
                    "its output passed {} MiB, more than bcconn prints from a filter",
                    max_out >> 20
                ));
            }
            out.write_all(line.as_bytes())
                .map_err(|e| format!("writing: {e}"))?;
        }
        Ok(())
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
        .map_err(|errs| format!("--jq {}: {}", shown(expr), load_errors(&errs)))?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            let names: Vec<String> = errs
                .iter()
                .flat_map(|(_, es)| es.iter().map(|(name, _)| name.to_string()))
                .collect();
            format!("--jq {}: undefined {}", shown(expr), names.join(", "))
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
                    .map(|(expect, at)| format!("expected {} {}", expect.as_str(), cut(at))),
            ),
            Error::Parse(list) => parts.extend(
                list.iter()
                    .map(|(expect, at)| format!("expected {} {}", expect.as_str(), cut(at))),
            ),
        }
    }
    // `[[[` is one unclosed bracket per level, each reported alike: the
    // reason is said once.
    let mut seen = std::collections::HashSet::new();
    parts.retain(|p| seen.insert(p.clone()));
    let more = parts.len().saturating_sub(3);
    parts.truncate(3);
    if more > 0 {
        parts.push(format!("and {more} more"));
    }
    parts.join("; ")
}

/// Where the parser stopped: `at "…"` (the filter's text from there), or
/// `at the end`.
fn cut(at: &str) -> String {
    let s: String = at.chars().take(20).collect();
    if s.is_empty() {
        "at the end".into()
    } else {
        format!("at {s:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(expr: &str, input: &[u8]) -> Result<String, String> {
        let mut out = Vec::new();
        filter(expr, input, &mut out, OUTPUT_MAX).map(|()| String::from_utf8(out).unwrap())
    }

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
        // One unclosed bracket per level is said once, not once a level.
        let e = check("[[[").unwrap_err();
        assert_eq!(e, "--jq \"[[[\": expected closing bracket at the end");
        let e = check("{a: [1, (2").unwrap_err();
        assert_eq!(e.matches("expected").count(), 3, "{e}");
        assert!(check(".a | ]").unwrap_err().contains("at \"]\""));
        assert!(run(".a", b"not json").unwrap_err().contains("not JSON"));
        assert!(run("error(\"boom\")", b"{}").unwrap_err().contains("boom"));
    }

    #[test]
    fn deep_answers_are_refused_before_parsing() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(
            run(".", deep.as_bytes())
                .unwrap_err()
                .contains("512 levels deep")
        );
        let ok = format!("{}{}", "[".repeat(DEPTH_MAX), "]".repeat(DEPTH_MAX));
        assert!(run("length", ok.as_bytes()).is_ok());
        // Brackets inside strings are text, not nesting.
        let text = format!("{{\"a\": \"{}\\\"[\"}}", "[".repeat(10_000));
        assert_eq!(depth(text.as_bytes(), DEPTH_MAX), 1);
        assert_eq!(run(".a | length", text.as_bytes()).unwrap(), "10002\n");
    }

    #[test]
    fn output_is_bounded() {
        let mut out = Vec::new();
        let e = filter("range(1000000000)", b"null", &mut out, 1 << 20).unwrap_err();
        assert!(e.contains("output passed 1 MiB"), "{e}");
        assert!(out.len() <= 1 << 20);
    }
}
