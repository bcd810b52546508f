#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service: a throwaway
# gnome-keyring-daemon on the current D-Bus session bus.
#
#   keyctl session - dbus-run-session -- .ci/with-gnome-keyring.sh cargo test
#
# Everything the daemon writes lives under $KR_HOME (a temp dir is made when it
# is unset), so the user's own keyrings are never touched. The command's exit
# code is passed through; the daemon is stopped however the command ends.
set -euo pipefail

die() {
  echo "with-gnome-keyring: $*" >&2
  exit 1
}

[[ $# -gt 0 ]] || die "usage: $0 COMMAND [ARG...]"
[[ -n ${DBUS_SESSION_BUS_ADDRESS:-} ]] ||
  die "no D-Bus session bus; run me under dbus-run-session -- $0 ..."
for tool in gnome-keyring-daemon dbus-send; do
  command -v "$tool" >/dev/null ||
    die "$tool not found (apt-get install gnome-keyring dbus)"
done

if [[ -z ${KR_HOME:-} ]]; then
  KR_HOME=$(mktemp -d)
  export KR_HOME
fi

# Private XDG dirs: the login keyring file goes to $XDG_DATA_HOME/keyrings and
# the control socket to $XDG_RUNTIME_DIR/keyring.
export XDG_DATA_HOME="$KR_HOME/data"
export XDG_CONFIG_HOME="$KR_HOME/config"
export XDG_CACHE_HOME="$KR_HOME/cache"
export XDG_RUNTIME_DIR="$KR_HOME/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$KR_HOME" "$XDG_RUNTIME_DIR"

# --unlock reads the (new) login keyring's password from stdin up to EOF; the
# keyring is created on first use. The password only guards this temp dir.
printf '%s' "ci-throwaway-$$-$RANDOM" |
  gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$KR_HOME/gkd.out" 2>"$KR_HOME/gkd.log" &
gkd_pid=$!

stop_daemon() {
  kill "$gkd_pid" 2>/dev/null || true
  wait "$gkd_pid" 2>/dev/null || true
}
trap stop_daemon EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

has_secrets_name() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

# Wait at most 5 s (50 x 0.1 s) for the daemon to own org.freedesktop.secrets.
ready=0
for _ in $(seq 50); do
  if has_secrets_name; then
    ready=1
    break
  fi
  kill -0 "$gkd_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "with-gnome-keyring: org.freedesktop.secrets did not appear on the session bus within 5 s" >&2
  if kill -0 "$gkd_pid" 2>/dev/null; then
    echo "with-gnome-keyring: gnome-keyring-daemon (pid $gkd_pid) is running but never claimed the name" >&2
  else
    echo "with-gnome-keyring: gnome-keyring-daemon exited early" >&2
  fi
  echo "--- $KR_HOME/gkd.log:" >&2
  cat "$KR_HOME/gkd.log" >&2 || true
  exit 1
fi

rc=0
"$@" || rc=$?
exit "$rc"
