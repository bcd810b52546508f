#!/bin/sh
# Installs a prebuilt bcconn from a release: picks the archive for this
# machine, checks it against the release's SHA256SUMS, and only then puts
# the binary (and its man pages) under a prefix. Nothing it downloads is
# ever run by a shell.
#
#   sh install.sh                       # the latest release, into ~/.local
#   sh install.sh --version 0.2.0 --prefix /usr/local
#   sh install.sh --from ./dist         # release files in a local directory
#
# POSIX sh; needs tar, and sha256sum or shasum, and curl or wget unless
# --from names a directory.
set -eu

repo=bcconn/bcconn
version=latest
prefix=${HOME:+$HOME/.local}
from=
target=

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() {
  printf 'install.sh: error: %s\n' "$1" >&2
  shift
  for hint in "$@"; do printf 'install.sh: hint: %s\n' "$hint" >&2; done
  exit 1
}
usage() {
  cat <<'EOF'
Usage: sh install.sh [--version X.Y.Z] [--prefix DIR] [--from DIR|URL]
                     [--repo OWNER/NAME] [--target TRIPLE]

  --version X.Y.Z   the release to install (default: the latest)
  --prefix DIR      install DIR/bin/bcconn and DIR/share/man/man1 (default: ~/.local)
  --from DIR|URL    where the release files are (default: the GitHub release)
  --repo OWNER/NAME the GitHub repository (default: bcconn/bcconn)
  --target TRIPLE   the archive's target (default: this machine's)
EOF
}

while [ $# -gt 0 ]; do
  case $1 in
    --version | --prefix | --from | --repo | --target)
      [ $# -ge 2 ] || die "$1 needs a value" "sh install.sh --help lists the options"
      case $1 in
        --version) version=${2#v} ;;
        --prefix) prefix=$2 ;;
        --from) from=$2 ;;
        --repo) repo=$2 ;;
        --target) target=$2 ;;
      esac
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option: $1" "sh install.sh --help lists the options" ;;
  esac
done

[ -n "$prefix" ] || die "no --prefix given and HOME is not set" "give --prefix DIR"
case $version in
  latest | [0-9]*.[0-9]*.[0-9]*) ;;
  *) die "--version takes X.Y.Z (or v X.Y.Z), not: $version" ;;
esac

# ---- which archive ----------------------------------------------------------

if [ -z "$target" ]; then
  os=$(uname -s)
  arch=$(uname -m)
  case $arch in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "no prebuilt bcconn for this processor ($arch)" \
      "build it from source: cargo install --locked bcconn" ;;
  esac
  case $os in
    # Static (musl) builds: they run on any Linux distribution.
    Linux) target=$arch-unknown-linux-musl ;;
    Darwin) target=$arch-apple-darwin ;;
    *) die "no prebuilt bcconn for this system ($os) in install.sh" \
      "on Windows, download the .zip from the release page" \
      "or build it from source: cargo install --locked bcconn" ;;
  esac
fi

# ---- fetching ---------------------------------------------------------------

if [ -z "$from" ]; then
  if [ "$version" = latest ]; then
    from=https://github.com/$repo/releases/latest/download
  else
    from=https://github.com/$repo/releases/download/v$version
  fi
fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t bcconn-install)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# fetch NAME: the release file NAME into $tmp/NAME.
fetch() {
  case $from in
    http://* | https://*)
      # HTTPS all the way (redirects too), unless --from named http://.
      case $from in
        https://*) proto='=https' only=--https-only ;;
        *) proto='=http,https' only= ;;
      esac
      if command -v curl >/dev/null 2>&1; then
        curl --proto "$proto" --proto-redir "$proto" -fsSL --retry 2 -o "$tmp/$1" "$from/$1" ||
          die "could not download $from/$1"
      elif command -v wget >/dev/null 2>&1; then
        # shellcheck disable=SC2086 # empty or one word
        wget -q $only -O "$tmp/$1" "$from/$1" || die "could not download $from/$1"
      else
        die "neither curl nor wget is installed" "install one, or give --from DIR"
      fi
      ;;
    *)
      [ -f "$from/$1" ] || die "no $1 in $from" "is --from the directory of a release's files?"
      cp "$from/$1" "$tmp/$1"
      ;;
  esac
}

fetch SHA256SUMS

# The archive's line in SHA256SUMS: "HASH  bcconn-VERSION-TARGET.tar.gz"
# (sha256sum's format; a '*' before the name marks binary mode).
if [ "$version" = latest ]; then
  pattern="bcconn-[0-9][0-9.]*-$target\\.tar\\.gz"
else
  pattern="bcconn-$(printf '%s' "$version" | sed 's/\./\\./g')-$target\\.tar\\.gz"
fi
line=$(grep -E "^[0-9a-fA-F]{64} [ *]$pattern\$" "$tmp/SHA256SUMS" | head -n 1 || true)
[ -n "$line" ] || die "the release has no archive for $target (looked for bcconn-${version}-$target.tar.gz in SHA256SUMS)" \
  "see the release page for the targets there, or give --target"
want=$(printf '%s\n' "$line" | cut -c1-64 | tr 'A-F' 'a-f')
archive=$(printf '%s\n' "$line" | cut -c67-)

fetch "$archive"

if command -v sha256sum >/dev/null 2>&1; then
  got=$(sha256sum "$tmp/$archive" | cut -c1-64)
elif command -v shasum >/dev/null 2>&1; then
  got=$(shasum -a 256 "$tmp/$archive" | cut -c1-64)
else
  die "neither sha256sum nor shasum is installed: cannot check the download" \
    "install coreutils (sha256sum) and run this again"
fi
[ "$got" = "$want" ] || die "checksum mismatch for $archive: SHA256SUMS says $want, the file is $got; nothing was installed" \
  "download it again; if it still differs, do not use it and report it"

# ---- installing -------------------------------------------------------------

mkdir "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" || die "could not unpack $archive; nothing was installed"
dir=$tmp/x/${archive%.tar.gz}
[ -f "$dir/bcconn" ] || die "$archive holds no ${archive%.tar.gz}/bcconn; nothing was installed"

# The new binary runs here before it replaces anything (an archive for
# another machine, or a broken one, stops now).
ran=$("$dir/bcconn" --version 2>/dev/null || true)
case $ran in
  "bcconn "*) ;;
  *) die "the bcconn in $archive does not run on this machine; nothing was installed" \
    "is --target right for this machine ($(uname -s) $(uname -m))?" ;;
esac

bindir=$prefix/bin
mkdir -p "$bindir" || die "cannot create $bindir" "give a --prefix you can write to"
# Beside the old one, then renamed over it: a running bcconn keeps its file.
cp "$dir/bcconn" "$bindir/.bcconn.install.$$" || die "cannot write to $bindir" \
  "give a --prefix you can write to"
chmod 755 "$bindir/.bcconn.install.$$"
mv -f "$bindir/.bcconn.install.$$" "$bindir/bcconn"
if [ -d "$dir/man" ]; then
  mandir=$prefix/share/man/man1
  if mkdir -p "$mandir" 2>/dev/null; then
    cp "$dir"/man/*.1 "$mandir/" 2>/dev/null || say "could not copy the man pages to $mandir"
  fi
fi

say "installed $ran to $bindir/bcconn"
case :${PATH:-}: in
  *:"$bindir":*) ;;
  *) say "$bindir is not on your PATH; add it, e.g.: export PATH=\"$bindir:\$PATH\"" ;;
esac
if [ -d "$dir/completions" ]; then
  say "shell completions: bcconn completions --help"
fi
