#!/usr/bin/env bash
# Benchmark of the shared store (issue 19): `token`, `show` and `create`
# (saved pending, --no-authorize) as separate processes, with the records in
# a loopback PostgreSQL against the local SQLite database, both with sealed
# secrets (targets on PostgreSQL: token <= 10 ms, create <= 20 ms). Figures
# are printed (hyperfine, mean and median), not asserted.
#
#   bench/shared.sh                 # builds the release binary first
#   BIN=/path/to/bcconn bench/shared.sh
#
# PostgreSQL: BCCONN_TEST_POSTGRES_URL (a superuser URL; a database is made
# for the run and dropped), else a private cluster from .ci/postgres.sh.
set -euo pipefail
[[ -n ${TRACE:-} ]] && set -x
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-30}
for tool in hyperfine psql python3; do
  command -v "$tool" >/dev/null || { echo "bench/shared.sh: needs $tool" >&2; exit 1; }
done
if [[ -z ${BIN:-} ]]; then
  (cd "$root" && cargo build --release --locked)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/bcconn"
else
  bin=$BIN
fi

work=$(mktemp -d /var/tmp/bcconn-shared.XXXXXX)
pg_dir= fake_pid= db=bcconn_bench_$$
cleanup() {
  [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null
  [[ -n ${admin:-} ]] && psql -q "$admin" -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
  [[ -n $pg_dir ]] && bash "$root/.ci/postgres.sh" stop "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z ${BCCONN_TEST_POSTGRES_URL:-} ]]; then
  eval "$(bash "$root/.ci/postgres.sh" start)"
  pg_dir=$PG_TEST_DIR
fi
admin=$BCCONN_TEST_POSTGRES_URL
psql -q "$admin" -c "CREATE DATABASE $db"
url="${admin%/*}/$db"

# A store API that answers the token check (GET /stores/H/v2/store).
cat >"$work/fake.py" <<'PY'
import http.server, json, re
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        m = re.match(r"^/stores/([^/?]+)/v2/store", self.path)
        body = json.dumps({"id": m.group(1), "name": "Bench", "domain": "b.example"} if m else {}).encode()
        self.send_response(200 if m else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$work/fake.py" >"$work/port" &
fake_pid=$!
for _ in $(seq 50); do [[ -s $work/port ]] && break; sleep 0.1; done
export BCCONN_API_URL="http://127.0.0.1:$(cat "$work/port")"
export BCCONN_SECRET_STORE=sealed NO_COLOR=1
BCCONN_SECRET_KEY=$("$bin" secrets new-key 2>/dev/null)
export BCCONN_SECRET_KEY
unset BCCONN_CONNECTION BCCONN_POOL_URL BCCONN_STORE_URL
cd "$work"

echo "== $("$bin" --version) | $(hyperfine --version) | PostgreSQL $(psql -tAq "$admin" -c 'SHOW server_version') on loopback | $(nproc) cores"
for store in sqlite postgres; do
  export BCCONN_HOME="$work/home-$store"
  if [[ $store == postgres ]]; then export BCCONN_STORE_URL=$url; else unset BCCONN_STORE_URL; fi
  printf 'tok-%s-bench\n' "$store" | "$bin" create tok --auth-type token --store-hash abc123 \
    --access-token-stdin >/dev/null 2>&1
  "$bin" create pend --store-hash abc123 --iclient app --scopes store_v2_products --no-authorize >/dev/null 2>&1 ||
    { BCCONN_CLIENT_SECRET=s "$bin" iclient add app --client-id cid >/dev/null 2>&1
      "$bin" create pend --store-hash abc123 --iclient app --scopes store_v2_products --no-authorize >/dev/null 2>&1; }
  echo "== $store"
  hyperfine -N --warmup 3 --runs "$runs" --style none --export-json "$work/$store-read.json" \
    -n token "$bin token tok" -n show "$bin show pend" >/dev/null
  # Each timed create is undone first, so every run sees the same records.
  hyperfine -N --warmup 3 --runs "$runs" --style none --export-json "$work/$store-create.json" \
    --prepare "sh -c '$bin delete made --yes >/dev/null 2>&1; true'" \
    -n create "$bin create made --store-hash abc123 --iclient app --scopes store_v2_products --no-authorize" >/dev/null
  python3 - "$store" "$work/$store-read.json" "$work/$store-create.json" <<'PY'
import json, sys
for f in sys.argv[2:]:
    for r in json.load(open(f))["results"]:
        print("BENCH %-8s %-6s mean %6.2f ms  median %6.2f ms  (%d runs)" % (
            sys.argv[1], r["command"], r["mean"] * 1000, r["median"] * 1000, len(r["times"])))
PY
done
