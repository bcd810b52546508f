#!/usr/bin/env bash
# A private PostgreSQL cluster for the shared-store tests: Debian's
# postgresql binaries, a temporary data directory, a free loopback port,
# password (SCRAM) logins over TCP only.
#
#   eval "$(bash .ci/postgres.sh start)"   # exports BCCONN_TEST_POSTGRES_URL and PG_TEST_DIR
#   bash .ci/postgres.sh stop "$PG_TEST_DIR"
#
# Run as root it runs the server as the `postgres` user (initdb refuses
# root); as anyone else, as that user. The URL is the superuser's, on the
# `postgres` database: each test makes a database of its own from it.
set -euo pipefail

bin_dir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/initdb ]] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
  echo "postgres.sh: no initdb (apt-get install postgresql)" >&2
  return 1
}

as_owner() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bin dir port try password
  bin=$(bin_dir)
  dir=$(mktemp -d /tmp/bcconn-pg.XXXXXX)
  chmod 0755 "$dir"
  password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
  printf '%s\n' "$password" >"$dir/pwfile"
  [[ $EUID -ne 0 ]] || chown -R postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  rm -f "$dir/pwfile"
  for try in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off" \
      start >/dev/null 2>&1; then
      echo "export BCCONN_TEST_POSTGRES_URL='postgres://postgres:$password@127.0.0.1:$port/postgres'"
      echo "export PG_TEST_DIR='$dir'"
      echo "export PG_TEST_BIN='$bin'"
      echo "# PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (try $try)" >&2
      return 0
    fi
  done
  cat "$dir/server.log" >&2
  return 1
}

stop() {
  local dir=${1:?data directory} bin
  bin=$(bin_dir)
  [[ -d $dir/data ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case ${1:-} in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
