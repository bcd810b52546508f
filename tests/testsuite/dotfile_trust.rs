//! A repository's `.bcconn` (issue 14, items 11 to 14): it is said on
//! stderr when it chooses; it is read bounded, never through a link, and
//! only when the user owns it and nobody else can write it; `bcconn use`
//! replaces it at 0644; and a `.bcconn` nobody confirmed (not written by
//! `bcconn use`, not trusted, or changed since) makes writes and `exec` ask,
//! or exit 2 without a terminal. Trust is for that file, where it is, and
//! every line of it; a trust list that is not a small regular file trusts
//! nothing.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::api::{HASH, TOKEN, add_token_connection};
use crate::common::fake_bc::FakeBc;
use crate::common::oauth::OAuthFixture;
use crate::common::{BIN, Env, all_output, code};

/// A fake with one store, connections a, b, c (c the global default, the
/// "production" a refused `.bcconn` must never fall through to), and an
/// empty project directory.
fn setup() -> (FakeBc, Env, PathBuf) {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    for name in ["a", "b", "c"] {
        add_token_connection(&fake, &env, name, HASH, &token(name), &[]);
    }
    env.cmd(&["use", "--global", "c"]).assert().success();
    let proj = env.dir.path().join("proj");
    std::fs::create_dir_all(proj.join("src/deep")).unwrap();
    (fake, env, proj)
}

fn token(name: &str) -> String {
    format!("guardtoken{name}0123456789abcdef")
}

/// bcconn ARGS in `dir`.
fn run_in(env: &Env, dir: &Path, args: &[&str]) -> Output {
    env.cmd(args).current_dir(dir).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A `.bcconn` as a repository ships it: written by hand, 0644.
fn ship(dir: &Path, text: &str) {
    let path = dir.join(".bcconn");
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, text).unwrap();
    set_mode(&path, 0o644);
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

#[test]
fn a_dotfile_choice_is_said_on_stderr_and_stdout_stays_clean() {
    let (_fake, env, proj) = setup();
    ship(&proj, "a\n");
    // Untrusted, it says so; what hands the token on (token, env, exec)
    // waits for a yes, and without a terminal exits 2 saying how.
    for (cmd, named) in [("token", "bcconn token a"), ("env", "bcconn env a")] {
        let out = run_in(&env, &proj, &[cmd]);
        assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
        assert!(out.stdout.is_empty(), "{cmd}: {}", all_output(&out));
        let text = stderr(&out);
        assert!(
            text.contains("using \"a\" from ./.bcconn (not trusted yet)")
                && text.contains("not trusted")
                && text.contains("bcconn use --trust")
                && text.contains(named),
            "{cmd}: {text}"
        );
    }
    env.cmd(&["use", "--trust"])
        .current_dir(&proj)
        .assert()
        .success();
    let out = run_in(&env, &proj, &["token"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", token("a"))
    );
    assert!(
        stderr(&out).contains("using \"a\" from ./.bcconn"),
        "{}",
        stderr(&out)
    );
    // From below, the file's full path.
    let deep = proj.join("src/deep");
    let out = run_in(&env, &deep, &["env"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("export ") && !text.contains("using"),
        "{text}"
    );
    let shown = format!("using \"a\" from {}", proj.join(".bcconn").display());
    assert!(stderr(&out).contains(&shown), "{}", stderr(&out));
    // A GET through api says it too.
    let out = run_in(&env, &proj, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("using \"a\" from ./.bcconn"),
        "{}",
        stderr(&out)
    );
    // Named on the command line or by BCCONN_CONNECTION: no line.
    let out = run_in(&env, &proj, &["token", "b"]);
    assert!(!stderr(&out).contains("using"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_dotfile_open_to_others_or_owned_by_another_user_stops_resolution() {
    let (_fake, env, proj) = setup();
    ship(&proj, "a\n");
    let dot = proj.join(".bcconn");
    set_mode(&dot, 0o664);
    let out = run_in(&env, &proj.join("src/deep"), &["token"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(out.stdout.is_empty(), "no token: {}", all_output(&out));
    assert!(
        stderr(&out).contains("writable by group or others"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("chmod go-w"), "{}", stderr(&out));
    set_mode(&dot, 0o646);
    let out = run_in(&env, &proj, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    set_mode(&dot, 0o644);
    // Another user's file (only root can make one here).
    if std::os::unix::fs::chown(&dot, Some(54321), None).is_ok() {
        let out = run_in(&env, &proj, &["token"]);
        assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
        assert!(
            out.stdout.is_empty(),
            "never the global default: {}",
            all_output(&out)
        );
        assert!(
            stderr(&out).contains("owned by another user"),
            "{}",
            stderr(&out)
        );
        let out = run_in(&env, &proj, &["use"]);
        assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    }
}

#[cfg(unix)]
#[test]
fn use_replaces_the_dotfile_at_0644_whatever_the_umask_and_never_writes_through_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let (_fake, env, proj) = setup();
    let out = sh_in(&env, &proj, &format!("umask 077; exec '{BIN}' use a"));
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let dot = proj.join(".bcconn");
    let meta = std::fs::symlink_metadata(&dot).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    let out = sh_in(&env, &proj, &format!("umask 000; exec '{BIN}' use b"));
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let meta = std::fs::symlink_metadata(&dot).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    // And it is usable (and trusted: bcconn wrote it).
    let out = run_in(&env, &proj, &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));

    // A link planted in the repository: its target is left alone.
    let outside = env.dir.path().join("outside.txt");
    std::fs::write(&outside, "precious\n").unwrap();
    std::fs::remove_file(&dot).unwrap();
    std::os::unix::fs::symlink(&outside, &dot).unwrap();
    let out = run_in(&env, &proj, &["use", "a"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious\n");
    let meta = std::fs::symlink_metadata(&dot).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(std::fs::read_to_string(&dot).unwrap(), "a\n");
}

/// `sh -c SCRIPT` in `dir` with bcconn's test environment.
fn sh_in(env: &Env, dir: &Path, script: &str) -> Output {
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c").arg(script).current_dir(dir).env_clear();
    for (k, v) in env.vars() {
        sh.env(k, v);
    }
    sh.output().unwrap()
}

/// Runs and waits at most 20 s (a FIFO must not hang bcconn).
fn bounded(env: &Env, dir: &Path, args: &[&str]) -> Output {
    let mut child = env
        .std_cmd(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("bcconn {args:?} still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_dotfile_link_fifo_or_huge_file_is_refused_without_hanging() {
    let (_fake, env, proj) = setup();
    let dot = proj.join(".bcconn");
    // A link, even to a harmless file that names a saved connection.
    let named = env.dir.path().join("names-a");
    std::fs::write(&named, "a\n").unwrap();
    std::os::unix::fs::symlink(&named, &dot).unwrap();
    let out = bounded(&env, &proj, &["token"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(out.stdout.is_empty(), "{}", all_output(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    std::fs::remove_file(&dot).unwrap();
    std::os::unix::fs::symlink("/proc/self/pagemap", &dot).unwrap();
    let out = bounded(&env, &proj, &["token"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    std::fs::remove_file(&dot).unwrap();

    // A FIFO: refused at once, never waited on.
    let c = std::ffi::CString::new(dot.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let out = bounded(&env, &proj, &["token"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("FIFO"), "{}", stderr(&out));
    std::fs::remove_file(&dot).unwrap();

    // 1 GiB (sparse): refused after a few KiB.
    let f = std::fs::File::create(&dot).unwrap();
    f.set_len(1 << 30).unwrap();
    drop(f);
    set_mode(&dot, 0o644);
    let out = bounded(&env, &proj, &["token"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));
    std::fs::remove_file(&dot).unwrap();
}

#[test]
fn an_untrusted_dotfile_cannot_write_or_exec_without_a_yes() {
    let (fake, env, proj) = setup();
    let ids = fake.add_products(HASH, 3);
    let del = |id: u64| format!("v3/catalog/products/{id}");
    ship(&proj, "a\n");
    let deletes = || fake.count("DELETE", &format!("/stores/{HASH}/v3/catalog/products"));

    // Reads go (and say so); writes and exec stop with exit 2 and say how.
    let out = run_in(&env, &proj, &["api", "v2/time"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = run_in(&env, &proj, &["api", "-X", "DELETE", &del(ids[0])]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert_eq!(deletes(), 0, "nothing was sent");
    let text = stderr(&out);
    assert!(text.contains("not trusted"), "{text}");
    assert!(text.contains("bcconn use --trust"), "{text}");
    assert!(text.contains("-c a"), "{text}");
    // A POST implied by a field counts.
    let posts = || fake.count("POST", &format!("/stores/{HASH}/v3/catalog/products"));
    let out = run_in(&env, &proj, &["api", "v3/catalog/products", "-f", "name=x"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert_eq!(posts(), 0);
    let out = run_in(&env, &proj, &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("bcconn use --trust"),
        "{}",
        stderr(&out)
    );
    // Named: no question.
    let out = run_in(
        &env,
        &proj,
        &["api", "-c", "a", "-X", "DELETE", &del(ids[0])],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(deletes(), 1);

    // Trusted after a look: writes and exec go, from below too.
    let out = run_in(&env, &proj.join("src"), &["use", "--trust"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = run_in(
        &env,
        &proj.join("src/deep"),
        &["api", "-X", "DELETE", &del(ids[1])],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(deletes(), 2);
    let out = run_in(&env, &proj, &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));

    // A `git pull` turns it into another connection: untrusted again.
    ship(&proj, "b\n");
    let out = run_in(&env, &proj, &["api", "-X", "DELETE", &del(ids[2])]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert_eq!(deletes(), 2);
    let out = run_in(&env, &proj, &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    // `bcconn use` writes it and trusts what it wrote.
    let out = run_in(&env, &proj, &["use", "b"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = run_in(&env, &proj, &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));

    // The trust list is personal: its own private file, never the records.
    let list = env.home().join("trusted-dotfiles.json");
    let text = std::fs::read_to_string(&list).unwrap();
    let canonical = std::fs::canonicalize(&proj).unwrap().join(".bcconn");
    assert!(text.contains(canonical.to_str().unwrap()), "{text}");
    assert!(!String::from_utf8_lossy(&env.record_bytes()).contains("trusted"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&list).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn names_from_a_dotfile_or_the_environment_are_escaped_and_bounded() {
    let (_fake, env, proj) = setup();
    // A .bcconn holding ESC: `use` prints it escaped, on stdout too.
    ship(&proj, "\x1b[31mprod\x1b]0;pwned\x07\n");
    let out = run_in(&env, &proj, &["use"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(!all_output(&out).contains('\x1b'), "{:?}", all_output(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\\u{1b}[31mprod"),
        "{:?}",
        all_output(&out)
    );
    let out = run_in(&env, &proj, &["token"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(!all_output(&out).contains('\x1b'), "{:?}", all_output(&out));
    assert!(!all_output(&out).contains('\x07'), "{:?}", all_output(&out));

    // A 10,000-character BCCONN_CONNECTION, and .bcconn name.
    let long = "x".repeat(10_000);
    for cmd in [&["token"][..], &["use"], &["env"], &["api", "v2/time"]] {
        let out = env
            .cmd(cmd)
            .current_dir(&proj)
            .env("BCCONN_CONNECTION", &long)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", all_output(&out));
        let all = all_output(&out);
        assert!(all.len() < 2_000, "{cmd:?} echoed {} bytes", all.len());
        assert!(all.contains("more characters"), "{cmd:?}: {all}");
    }
    // In a .bcconn: one that long is refused for its size; a name just
    // under the size bound is shown cut short.
    for text in [long.clone(), "y".repeat(4000)] {
        ship(&proj, &format!("{text}\n"));
        for cmd in [&["token"][..], &["use"], &["exec", "--", "true"]] {
            let out = run_in(&env, &proj, cmd);
            assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", all_output(&out));
            let all = all_output(&out);
            assert!(all.len() < 2_000, "{cmd:?} echoed {} bytes", all.len());
        }
    }
}

#[test]
fn use_unset_removes_the_dotfile_here_or_the_global_default() {
    let (_fake, env, proj) = setup();
    let out = run_in(&env, &proj, &["use", "a"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = run_in(&env, &proj, &["use", "--unset"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(!proj.join(".bcconn").exists());
    // The global default applies again; then it goes too.
    let out = run_in(&env, &proj, &["use"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "c\n");
    let out = run_in(&env, &proj, &["use", "--unset", "--global"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = run_in(&env, &proj, &["use"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    // Nothing to remove here: already as asked, said, exit 0.
    let out = run_in(&env, &proj, &["use", "--unset"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

/// The y/N question on a terminal: no sends nothing (exit 2), yes sends and
/// trusts the file for the next run.
#[cfg(unix)]
#[test]
fn a_terminal_asks_before_an_untrusted_dotfile_writes() {
    use expectrl::process::unix::WaitStatus;
    use expectrl::{Eof, Expect};

    let (fake, env, proj) = setup();
    let ids = fake.add_products(HASH, 2);
    ship(&proj, "a\n");
    let deletes = || fake.count("DELETE", &format!("/stores/{HASH}/v3/catalog/products"));
    let spawn = |path: &str| {
        let mut cmd = env.std_cmd(&["api", "-X", "DELETE", path]);
        cmd.current_dir(&proj).env("TERM", "xterm");
        let mut s = expectrl::Session::spawn(cmd).expect("spawn bcconn in a pty");
        s.set_expect_timeout(Some(Duration::from_secs(20)));
        s
    };
    let finish = |s: &mut expectrl::session::OsSession| -> (String, i32) {
        let rest = s.expect(Eof).expect("bcconn ends");
        let text = String::from_utf8_lossy(rest.as_bytes()).into_owned();
        match s.get_process().wait().expect("wait") {
            WaitStatus::Exited(_, code) => (text, code),
            other => panic!("{other:?}: {text}"),
        }
    };

    let path0 = format!("v3/catalog/products/{}", ids[0]);
    let mut s = spawn(&path0);
    s.expect("not trusted").expect("the question");
    s.expect("(y/N)").expect("a y/N question");
    s.send("n\r").unwrap();
    let (text, code) = finish(&mut s);
    assert_eq!(code, 2, "{text}");
    assert_eq!(deletes(), 0);

    let mut s = spawn(&path0);
    s.expect("(y/N)").expect("a y/N question");
    s.send("y\r").unwrap();
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    assert_eq!(deletes(), 1);
    // Trusted from now on, without a terminal.
    let out = run_in(
        &env,
        &proj,
        &[
            "api",
            "-X",
            "DELETE",
            &format!("v3/catalog/products/{}", ids[1]),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(deletes(), 2);
}

fn dot_token(name: &str) -> String {
    format!("reviewtoken{name}0123456789abcdef")
}

/// A fake with connections a and b (b the global default) and two project
/// directories.
fn dotfile_setup() -> (FakeBc, Env) {
    let OAuthFixture { fake, env, .. } = OAuthFixture::bare();
    for name in ["a", "b"] {
        add_token_connection(&fake, &env, name, HASH, &dot_token(name), &[]);
    }
    env.cmd(&["use", "--global", "b"]).assert().success();
    for dir in ["proj", "proj2"] {
        std::fs::create_dir_all(env.dir.path().join(dir)).unwrap();
    }
    (fake, env)
}

fn run_in_bounded(env: &Env, dir: &Path, args: &[&str]) -> Output {
    let out = env
        .cmd(args)
        .current_dir(dir)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(!all_output(&out).contains(TOKEN));
    out
}

#[test]
fn trust_is_for_that_file_where_it_is_and_every_line_of_it() {
    let (fake, env) = dotfile_setup();
    let ids = fake.add_products(HASH, 4);
    let proj = env.dir.path().join("proj");
    let deletes = || fake.count("DELETE", &format!("/stores/{HASH}/v3/catalog/products"));
    let del = |id: u64| format!("v3/catalog/products/{id}");
    let out = run_in_bounded(&env, &proj, &["use", "a"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    // The same text in another directory (a copy, or a hard link) is
    // another file: not trusted there. A lower-case method is a write too.
    let proj2 = env.dir.path().join("proj2");
    std::fs::hard_link(proj.join(".bcconn"), proj2.join(".bcconn")).unwrap();
    let out = run_in_bounded(&env, &proj2, &["api", "-X", "delete", &del(ids[0])]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert_eq!(deletes(), 0);
    // A lower-case GET is a read, sent as GET.
    let out = run_in_bounded(&env, &proj2, &["api", "-X", "get", "v2/time"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    // A later line that changed makes it untrusted, the first line alike.
    ship(&proj, "a\n# deploys to production\n");
    let out = run_in_bounded(&env, &proj, &["api", "-X", "DELETE", &del(ids[1])]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    // Trusted again, then its directory renamed: another path, untrusted.
    let out = run_in_bounded(&env, &proj, &["use", "--trust"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let moved = env.dir.path().join("moved");
    std::fs::rename(&proj, &moved).unwrap();
    let out = run_in_bounded(&env, &moved, &["exec", "--", "true"]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert_eq!(deletes(), 0);
    // BCCONN_CONNECTION comes first: the .bcconn is not read or said.
    let out = env
        .cmd(&["api", "-X", "DELETE", &del(ids[2])])
        .env("BCCONN_CONNECTION", "b")
        .current_dir(&moved)
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(!stderr(&out).contains(".bcconn"), "{}", stderr(&out));
    let last = fake
        .requests()
        .into_iter()
        .rfind(|r| r.method == "DELETE")
        .unwrap();
    assert_eq!(last.header("x-auth-token"), Some(dot_token("b").as_str()));
}

#[cfg(unix)]
#[test]
fn a_trust_list_that_is_a_fifo_or_huge_trusts_nothing_and_never_hangs() {
    let (fake, env) = dotfile_setup();
    let ids = fake.add_products(HASH, 2);
    let proj = env.dir.path().join("proj");
    let out = run_in_bounded(&env, &proj, &["use", "a"]);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let list = env.home().join("trusted-dotfiles.json");
    std::fs::remove_file(&list).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&list)
        .status()
        .unwrap();
    assert!(made.success());
    let del = format!("v3/catalog/products/{}", ids[0]);
    let out = run_in_bounded(&env, &proj, &["api", "-X", "DELETE", &del]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("trust list"), "{}", stderr(&out));
    // Huge: refused bounded, the same way.
    std::fs::remove_file(&list).unwrap();
    let f = std::fs::File::create(&list).unwrap();
    f.set_len(64 * 1024 * 1024).unwrap();
    let out = run_in_bounded(&env, &proj, &["api", "-X", "DELETE", &del]);
    assert_eq!(code(&out), Some(2), "{}", all_output(&out));
    assert_eq!(
        fake.count("DELETE", &format!("/stores/{HASH}/v3/catalog/products")),
        0
    );
}
