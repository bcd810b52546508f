#!/usr/bin/env bash
# What shipping needs, checked the way a release makes it (issue 21):
#   crate     `cargo package --locked`: the crate builds from what it holds,
#             and holds nothing it does not need (its file list is printed)
#   lint      the workflows against GitHub's schema (check-jsonschema, in a
#             venv), and shellcheck over install.sh and scripts/
#   deb       a release build, its man pages and completions, `cargo deb`,
#             then the package installed with dpkg on this machine (a fresh
#             Debian 12 in CI), the installed bcconn run (--version, doctor,
#             man, bash completion), and removed again
# Usage: bash .ci/package.sh crate|lint|deb   (deb needs root or sudo)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $EUID -eq 0 ]]; then as_root=(); else as_root=(sudo); fi
fail() { echo "package.sh: $*" >&2; exit 1; }

crate() {
  cargo package --locked --allow-dirty --quiet
  local crate
  crate=target/package/bcconn-$(cargo pkgid | sed 's/.*[#@]//').crate
  [[ -f $crate ]] || fail "no $crate"
  local files
  files=$(cargo package --locked --allow-dirty --list)
  echo "$files" | grep -vE '^src/' || true
  echo "… and $(echo "$files" | grep -cE '^src/') files under src/; $(du -k "$crate" | cut -f1) KiB compressed"
  # Nothing of the tests, fuzzing, benchmarks or CI goes to crates.io.
  if echo "$files" | grep -E '^(tests|fuzz|bench|\.ci|\.github|scripts)/'; then
    fail "the crate holds files it does not need (above)"
  fi
}

lint() {
  local venv=${TMPDIR:-/tmp}/bcconn-check-jsonschema
  if [[ ! -x $venv/bin/check-jsonschema ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check check-jsonschema
  fi
  # The schema ships inside the package: no network once installed.
  "$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
  shellcheck -s sh install.sh
  shellcheck scripts/*.sh .ci/package.sh
}

deb() {
  command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb
  cargo build --locked --release
  scripts/dist-assets.sh target/release/bcconn target/assets
  rm -rf target/debian
  cargo deb --locked --no-build --output target/debian/
  local version deb
  version=$(cargo pkgid | sed 's/.*[#@]//')
  deb=target/debian/bcconn_${version}_$(dpkg --print-architecture).deb
  [[ -f $deb ]] || fail "no $deb: $(ls target/debian)"
  dpkg-deb --contents "$deb" | awk '{print $6}' >target/debian/contents
  for f in ./usr/bin/bcconn ./usr/share/man/man1/bcconn.1.gz ./usr/share/man/man1/bcconn-create.1.gz \
    ./usr/share/bash-completion/completions/bcconn ./usr/share/zsh/vendor-completions/_bcconn \
    ./usr/share/fish/vendor_completions.d/bcconn.fish ./usr/share/doc/bcconn/copyright; do
    grep -qxF "$f" target/debian/contents || fail "$deb lacks $f"
  done
  if dpkg -s bcconn >/dev/null 2>&1; then fail "a bcconn package is installed already"; fi
  "${as_root[@]}" dpkg -i "$deb"
  trap '"${as_root[@]}" dpkg -r bcconn >/dev/null 2>&1 || true' EXIT
  local out home rc=0
  out=$(/usr/bin/bcconn --version)
  [[ $out == "bcconn $version"* ]] || fail "the installed bcconn says: $out"
  echo "installed: $out"
  home=$(mktemp -d)
  # doctor on a machine with no network and no keyring for this user: its
  # checks run and it says what fails (exit 3), without a panic.
  out=$(env -i PATH=/usr/bin:/bin HOME="$home" /usr/bin/bcconn doctor 2>&1) || rc=$?
  printf '  doctor: %s\n' "${out//$'\n'/$'\n'  doctor: }"
  [[ $rc -eq 0 || $rc -eq 3 ]] || fail "doctor exited $rc"
  grep -q 'records:' <<<"$out" || fail "doctor did not check the records"
  grep -q 'panicked' <<<"$out" && fail "doctor panicked"
  man -w bcconn-create | grep -q '^/usr/share/man/man1/bcconn-create.1.gz$' ||
    fail "man does not find bcconn-create"
  bash -c 'source /usr/share/bash-completion/completions/bcconn && complete -p bcconn' |
    grep -q _clap_complete_bcconn || fail "the bash completion does not register"
  grep -q '"bcconn" --\|bcconn --' /usr/share/bash-completion/completions/bcconn ||
    fail "the bash completion does not call bcconn from PATH"
  grep -q 'target/release' /usr/share/bash-completion/completions/bcconn &&
    fail "the bash completion names the build directory"
  "${as_root[@]}" dpkg -r bcconn >/dev/null
  trap - EXIT
  [[ ! -e /usr/bin/bcconn ]] || fail "/usr/bin/bcconn is left after dpkg -r"
  rm -rf "$home"
  echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB; release binary $(du -k target/release/bcconn | cut -f1) KiB"
}

case ${1:-} in
  crate | lint | deb) "$1" ;;
  *) fail "usage: bash .ci/package.sh crate|lint|deb" ;;
esac
