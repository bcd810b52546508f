//! `install.sh` against a local directory of release files, made the way
//! the release workflow makes them (scripts/dist-assets.sh and
//! scripts/dist-archive.sh, with this build's binary): it picks this
//! machine's archive, checks it against SHA256SUMS, installs under a
//! prefix, and installs nothing when a check fails. Run with `sh` (dash on
//! Debian): the script is POSIX.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{BIN, all_output};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// This machine's target as install.sh names it.
fn host_target() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "macos" => format!("{arch}-apple-darwin"),
        _ => format!("{arch}-unknown-linux-musl"),
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("runs")
}

/// A release directory: this machine's archive (the real binary), one for
/// another target (not a binary at all), and SHA256SUMS over both.
struct Release {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    work: PathBuf,
}

impl Release {
    fn new() -> Release {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().to_path_buf();
        let dir = work.join("release");
        let assets = work.join("assets");
        let out = run(Command::new("bash")
            .arg(root().join("scripts/dist-assets.sh"))
            .arg(BIN)
            .arg(&assets));
        assert!(out.status.success(), "dist-assets: {}", all_output(&out));
        // The binary is named bcconn in the archive whatever the build called it.
        let bindir = work.join("bin");
        std::fs::create_dir(&bindir).unwrap();
        std::fs::copy(BIN, bindir.join("bcconn")).unwrap();
        let decoy = work.join("decoy");
        std::fs::create_dir(&decoy).unwrap();
        std::fs::write(decoy.join("bcconn"), "#!/bin/sh\necho WRONG ARCHIVE\n").unwrap();
        let other = if host_target().starts_with("x86_64") {
            "aarch64-unknown-linux-musl"
        } else {
            "x86_64-unknown-linux-musl"
        };
        for (target, bin) in [
            (host_target(), bindir.join("bcconn")),
            (other.into(), decoy.join("bcconn")),
        ] {
            let out = run(Command::new("bash")
                .arg(root().join("scripts/dist-archive.sh"))
                .args([VERSION, &target])
                .arg(&bin)
                .arg(&assets)
                .arg(&dir));
            assert!(out.status.success(), "dist-archive: {}", all_output(&out));
        }
        let out = run(Command::new("sh")
            .arg("-c")
            .arg("sha256sum -- *.tar.gz > SHA256SUMS")
            .current_dir(&dir));
        assert!(out.status.success(), "{}", all_output(&out));
        Release {
            _tmp: tmp,
            dir,
            work,
        }
    }

    fn archive(&self) -> PathBuf {
        self.dir
            .join(format!("bcconn-{VERSION}-{}.tar.gz", host_target()))
    }

    /// `sh install.sh --from DIR --prefix PREFIX ARGS`.
    fn install(&self, prefix: &Path, args: &[&str]) -> Output {
        run(Command::new("sh")
            .arg(root().join("install.sh"))
            .arg("--from")
            .arg(&self.dir)
            .arg("--prefix")
            .arg(prefix)
            .args(args)
            .env("PATH", std::env::var("PATH").unwrap_or_default()))
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn installs_this_machines_archive_with_its_man_pages() {
    let r = Release::new();
    for args in [
        &[][..],
        &["--version", VERSION][..],
        &["--version", &format!("v{VERSION}")][..],
    ] {
        let prefix = r.work.join(format!("prefix{}", args.len()));
        let out = r.install(&prefix, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", all_output(&out));
        let installed = prefix.join("bin/bcconn");
        let v = run(Command::new(&installed).arg("--version"));
        let text = String::from_utf8_lossy(&v.stdout);
        assert!(text.starts_with(&format!("bcconn {VERSION}")), "{text}");
        assert!(
            stderr(&out).contains(&format!("installed bcconn {VERSION}")),
            "{}",
            all_output(&out)
        );
        assert!(prefix.join("share/man/man1/bcconn-create.1").is_file());
        // It says where PATH lacks the directory.
        assert!(
            stderr(&out).contains("is not on your PATH"),
            "{}",
            all_output(&out)
        );
    }
}

#[test]
fn a_checksum_mismatch_installs_nothing_and_keeps_the_old_binary() {
    let r = Release::new();
    let prefix = r.work.join("prefix");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::write(prefix.join("bin/bcconn"), "old").unwrap();
    // One byte of the archive changed after SHA256SUMS was written.
    let mut bytes = std::fs::read(r.archive()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(r.archive(), &bytes).unwrap();
    let out = r.install(&prefix, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains("checksum mismatch for") && err.contains("nothing was installed"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(prefix.join("bin/bcconn")).unwrap(),
        "old"
    );
    assert!(!prefix.join("share").exists(), "no man pages either");
    let left: Vec<_> = std::fs::read_dir(prefix.join("bin")).unwrap().collect();
    assert_eq!(left.len(), 1, "no temp file left beside it");
}

#[test]
fn what_the_release_lacks_is_named_and_nothing_is_installed() {
    let r = Release::new();
    let prefix = r.work.join("prefix");
    // Another version.
    let out = r.install(&prefix, &["--version", "9.9.9"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("no archive for"),
        "{}",
        all_output(&out)
    );
    // A target the release has no archive for.
    let out = r.install(&prefix, &["--target", "riscv64gc-unknown-linux-musl"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("riscv64gc-unknown-linux-musl"),
        "{}",
        all_output(&out)
    );
    // Another machine's archive (here: not a binary at all) is run before
    // it replaces anything, and refused.
    let other = if host_target().starts_with("x86_64") {
        "aarch64-unknown-linux-musl"
    } else {
        "x86_64-unknown-linux-musl"
    };
    let out = r.install(&prefix, &["--target", other]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("does not run on this machine; nothing was installed"),
        "{}",
        all_output(&out)
    );
    assert!(!prefix.join("bin/bcconn").exists());
    // No HOME and no --prefix: said, never /.local.
    let out = run(Command::new("sh")
        .arg(root().join("install.sh"))
        .arg("--from")
        .arg(&r.dir)
        .env_remove("HOME"));
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("HOME is not set"),
        "{}",
        all_output(&out)
    );
    // The archive listed but missing from the directory.
    std::fs::remove_file(r.archive()).unwrap();
    let out = r.install(&prefix, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(stderr(&out).contains("no bcconn-"), "{}", all_output(&out));
    assert!(!prefix.join("bin/bcconn").exists());
    // Mistyped options say how to list them.
    let out = r.install(&prefix, &["--prefx", "x"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("unknown option: --prefx"),
        "{}",
        all_output(&out)
    );
    assert!(stderr(&out).contains("--help"), "{}", all_output(&out));
    assert!(!prefix.exists(), "nothing was made");
}

#[test]
fn sha256sums_lines_for_other_names_are_not_taken() {
    // A SHA256SUMS whose only line for this target names a path: refused
    // rather than reading a file outside the release directory.
    let r = Release::new();
    let sums = std::fs::read_to_string(r.dir.join("SHA256SUMS")).unwrap();
    let name = format!("bcconn-{VERSION}-{}.tar.gz", host_target());
    let moved = sums.replace(&format!("  {name}"), &format!("  ../{name}"));
    assert_ne!(moved, sums);
    std::fs::write(r.dir.join("SHA256SUMS"), moved).unwrap();
    let prefix = r.work.join("prefix");
    let out = r.install(&prefix, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("no archive for"),
        "{}",
        all_output(&out)
    );
    assert!(!prefix.join("bin/bcconn").exists());
}
