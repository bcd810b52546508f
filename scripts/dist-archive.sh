#!/usr/bin/env bash
# Packs one release archive: bcconn-VERSION-TARGET/ holding the binary, the
# man pages and completions (from scripts/dist-assets.sh; not for Windows),
# README, LICENSE and CHANGELOG, as OUT/bcconn-VERSION-TARGET.tar.gz (.zip
# for Windows).
# Usage: scripts/dist-archive.sh VERSION TARGET BIN ASSETS OUT
set -euo pipefail
version=${1:?usage: scripts/dist-archive.sh VERSION TARGET BIN ASSETS OUT}
target=${2:?target triple}
bin=${3:?path to the built binary}
assets=${4:?directory written by scripts/dist-assets.sh}
out=${5:?output directory}
root=$(cd "$(dirname "$0")/.." && pwd)
name=bcconn-$version-$target
[[ -f $bin ]] || { echo "dist-archive: no binary at $bin" >&2; exit 1; }
[[ -d $assets/man && -d $assets/completions ]] || {
  echo "dist-archive: $assets lacks man/ or completions/ (run scripts/dist-assets.sh)" >&2
  exit 1
}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$bin" "$stage/$name/"
# The Windows binary has no completion engine or man command (clap_complete
# and clap_mangen are built on Unix only): its archive leaves both out
# rather than ship completions that would call a bcconn that cannot answer.
case $target in
  *windows*) ;;
  *) cp -R "$assets/man" "$assets/completions" "$stage/$name/" ;;
esac
cp "$root/README.md" "$root/LICENSE" "$root/CHANGELOG.md" "$stage/$name/"
case $target in
  *windows*)
    (cd "$stage" && 7z a -tzip -bd "$out/$name.zip" "$name" >/dev/null)
    echo "$out/$name.zip"
    ;;
  *)
    # Owner and order fixed, so the same inputs make the same archive.
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
      -czf "$out/$name.tar.gz" "$name" 2>/dev/null ||
      tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
    echo "$out/$name.tar.gz"
    ;;
esac
