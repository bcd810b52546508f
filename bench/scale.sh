#!/usr/bin/env bash
# Benchmark of the record store (SQLite, $BCCONN_HOME/bcconn.db) at scale.
#
# For each N in $N (default: 1000 10000 100000) it imports an N-connection
# document into a fresh home on the machine's disk, adds an iClient secret and
# three token connections through the CLI, then times each command as its own
# process (hyperfine, median) and takes its peak memory (max RSS):
#
#   list            piped (stdout is a pipe)
#   list (pty)      on a pseudo-terminal 80 columns wide, COLUMNS=80 (the table path)
#   list --json     piped
#   show NAME       an imported connection in the middle of the list
#   token NAME      a token connection, secret in the plain-text file store
#   create          --no-authorize, an OAuth connection saved pending
#   rename A B
#   delete NAME --yes
#   create token    --auth-type token --access-token-stdin: stores the secret and
#                   verifies it against a local fake store API (python http.server)
#   import          the N-connection document into an empty home
#
# create, rename, delete and create token change the records: hyperfine undoes
# each run in --prepare (delete / rename back / create), so every timed run
# sees N connections. At N=1000 it also times `rclone listremotes` over 1,000
# remotes (target: `bcconn list` <= 0.1x rclone). Targets apply at N=100000
# and are printed next to the figures, with pass/fail.
#
#   bench/scale.sh                          # builds the release binary first
#   BIN=/path/to/bcconn N=1000 bench/scale.sh
#   CARGO_TARGET_DIR=/work/target-bench bench/scale.sh   # build apart from debug builds
#
# Environment:
#   N            sizes, space-separated (default "1000 10000 100000")
#   RUNS         timed runs per command (default 10; 3 warm-up runs before)
#   IMPORT_RUNS  timed runs of `import` (default 3; 1 warm-up run before)
#   RSS_RUNS     runs per command for the peak memory (default 3; the max is kept)
#   BIN          time this binary instead of building one
#   BENCH_DIR    where the homes go (default /var/tmp); must be on disk, not tmpfs
#   KEEP=1       keep the work directory
# Needs no keyring: BCCONN_SECRET_STORE=file throughout.
set -euo pipefail

sizes=${N:-"1000 10000 100000"}
runs=${RUNS:-10}
import_runs=${IMPORT_RUNS:-3}
rss_runs=${RSS_RUNS:-3}
bench_dir=${BENCH_DIR:-/var/tmp}

# ---- tools ------------------------------------------------------------------------

missing=()
needs=(hyperfine python3)
[[ -n ${BIN:-} ]] || needs+=(cargo)
[[ " $sizes " == *" 1000 "* ]] && needs+=(rclone)
for tool in "${needs[@]}"; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ -x /usr/bin/time ]] || missing+=("/usr/bin/time (GNU time)")
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "bench/scale.sh: missing: ${missing[*]}" >&2
  echo "  install with: apt-get install -y hyperfine time rclone python3  (cargo: https://rustup.rs)" >&2
  exit 1
fi
# --output=pipe (stdout through a pipe, as in `bcconn list | ...`) came in hyperfine 1.15.
if ! hyperfine -N --runs 1 --style none --output=pipe true >/dev/null 2>&1; then
  echo "bench/scale.sh: hyperfine $(hyperfine --version) lacks -N / --output=pipe; 1.15 or newer is needed" >&2
  exit 1
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${BIN:-} ]]; then
  echo "== building (cargo build --release --locked in $root)"
  (cd "$root" && cargo build --release --locked)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/bcconn"
  [[ $bin == /* ]] || bin="$root/$bin"
else
  bin=$BIN
fi
[[ -x $bin ]] || { echo "bench/scale.sh: no binary at $bin" >&2; exit 1; }

# ---- work directory, on disk ---------------------------------------------------------

mkdir -p "$bench_dir"
work=$(mktemp -d "$bench_dir/bcconn-bench.XXXXXX")
fake_pid=
cleanup() {
  [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null
  if [[ ${KEEP:-} == 1 ]]; then echo "(kept $work)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fstype=$(df --output=fstype "$work" | tail -n 1) # stat -f says "ext2/ext3" for ext4
if [[ $(stat -f -c %T "$work") == tmpfs || $fstype == tmpfs || $fstype == ramfs ]]; then
  echo "bench/scale.sh: $work is on $fstype; set BENCH_DIR to a directory on disk" >&2
  exit 1
fi
cd "$work" # no .bcconn above us picks a default

echo "== binary: $bin ($(stat -c %s "$bin") bytes) | $("$bin" --version) | $(hyperfine --version)"
echo "   source tree now (BIN may be older): $(git -C "$root" log -1 --format='%h %s' 2>/dev/null | cut -c1-100)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
echo "== work directory $work: filesystem $fstype (stat -f: $(stat -f -c %T "$work"))"
df -T "$work" | sed 's/^/   /'
# What one durable write costs on this disk: every change to the records pays it.
fsync_ms=$(python3 - "$work/fsync.tmp" <<'PY'
import os, statistics, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)
t = []
for i in range(30):
    os.pwrite(fd, os.urandom(4096), 4096 * i)
    t0 = time.perf_counter(); os.fsync(fd); t.append((time.perf_counter() - t0) * 1000)
os.close(fd); os.unlink(sys.argv[1])
print("%.2f" % statistics.median(t))
PY
)
echo "   fsync of a 4 KiB write: median $fsync_ms ms (30 runs)"
echo "   $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); runs=$runs import_runs=$import_runs rss_runs=$rss_runs"

unset BCCONN_CONNECTION BCCONN_POOL_URL BCCONN_ACCESS_TOKEN BCCONN_CLIENT_SECRET BCCONN_LOGIN_URL
export BCCONN_SECRET_STORE=file
export NO_COLOR=1 # piped output has none anyway; the pty run unsets it

# ---- fake store API -------------------------------------------------------------------

cat >"$work/fake_api.py" <<'PY'
# GET /stores/<hash>/v2/store -> 200 {"id": hash, "name": "Bench store", ...}; else 404.
import http.server, json, re, sys

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        m = re.match(r"^/stores/([^/?]+)/v2/store/?(\?.*)?$", self.path)
        status = 200 if m else 404
        doc = {"id": m.group(1), "name": "Bench store", "domain": "bench.example"} if m else {"status": 404}
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
python3 "$work/fake_api.py" "$work/port.tmp" &
fake_pid=$!
for ((i = 0; i < 50; i++)); do [[ -s $work/port.tmp ]] && break; sleep 0.1; done
[[ -s $work/port.tmp ]] || { echo "bench/scale.sh: the fake API did not start" >&2; exit 1; }
export BCCONN_API_URL="http://127.0.0.1:$(cat "$work/port.tmp")"
printf 'bench-token-0123456789abcdef' >"$work/token.txt"
printf 'bench-client-secret' >"$work/secret.txt"

# ---- helpers ----------------------------------------------------------------------------

# Small scripts for hyperfine's --prepare: undo the previous run (or set it up).
# Failures are fine (the first run has nothing to undo).
prep() { # prep NAME COMMAND...: write $work/prep-NAME.sh
  local f="$work/prep-$1.sh"
  shift
  printf '#!/bin/sh\n%s >/dev/null 2>&1 || true\n' "$*" >"$f"
  chmod +x "$f"
  echo "$f"
}

# hf LABEL PREP SHELL CMD: hyperfine; prints "median_ms cpu_ms" (cpu: mean user +
# system time; "nan" when the command failed). PREP "" for none;
# SHELL "none" (-N, no shell) or "sh" (CMD needs a redirection; hyperfine
# subtracts the shell's start-up).
hf() {
  local label=$1 prep=$2 shell=$3 cmd=$4 json="$work/hf.json" opts=()
  [[ $shell == none ]] && opts+=(-N)
  [[ -n $prep ]] && opts+=(--prepare "$prep")
  echo "-- $label" >&2
  if ! hyperfine "${opts[@]}" --output=pipe --warmup "${warmup:-3}" --runs "$runs" --style basic \
    --export-json "$json" -n "$label" "$cmd" >&2; then
    echo "!! $label FAILED; one more run, with its output:" >&2
    [[ -z $prep ]] || "$prep"
    if [[ $shell == none ]]; then $cmd; else sh -c "$cmd"; fi >&2 2>&1 || echo "!! exit status $?" >&2
    printf '%s\n' "$label" >>"$work/failed"
    echo nan
    return 0
  fi
  python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f" % (r["median"] * 1000, (r["user"] + r["system"]) * 1000))' "$json"
}

# rss PREP STDIN CMD...: the largest max RSS (KiB) of RSS_RUNS runs (0: it failed).
rss() {
  local prep=$1 input=$2 max=0 kib r
  shift 2
  for ((r = 0; r < rss_runs; r++)); do
    [[ -z $prep ]] || "$prep"
    if ! /usr/bin/time -f %M -o "$work/rss" "$@" <"$input" >/dev/null 2>"$work/rss.err"; then
      echo "!! failed: $*" >&2
      cat "$work/rss.err" >&2
      printf '%s\n' "$*" >>"$work/failed"
      echo 0
      return 0
    fi
    kib=$(tail -n 1 "$work/rss")
    ((kib > max)) && max=$kib
  done
  echo "$max"
}

# pty_bench.py RUNS WARMUP RSS_RUNS CMD...: run CMD on a pseudo-terminal (80x24,
# COLUMNS=80, colour on), draining its output; prints "median_ms cpu_ms max_rss_kib".
# Times are fork to exit of CMD itself; the RSS comes from separate runs under
# GNU time (a child forked from python would count python's pages).
cat >"$work/pty_bench.py" <<'PY'
import fcntl, os, statistics, struct, sys, termios, time

runs, warmup, rss_runs, cmd = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
env = dict(os.environ, COLUMNS="80", LINES="24", TERM="xterm-256color")
env.pop("NO_COLOR", None)

def once(cmd=cmd):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        os.close(slave)
        os.execve(cmd[0], cmd, env)
    os.close(slave)
    out = 0
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += len(chunk)
    _, status, usage = os.wait4(pid, 0)
    t1 = time.perf_counter()
    cpu = (usage.ru_utime + usage.ru_stime) * 1000
    os.close(master)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("pty run failed: %s exited %d" % (" ".join(cmd), os.waitstatus_to_exitcode(status)))
    return (t1 - t0) * 1000, cpu, out

for _ in range(warmup):
    once()
res = [once() for _ in range(runs)]
rss_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pty.rss")
kib = 0
for _ in range(rss_runs):
    once(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd)
    kib = max(kib, int(open(rss_file).read().split()[-1]))
print("%.3f %.3f %d" % (statistics.median(r[0] for r in res), statistics.mean(r[1] for r in res), kib))
print("pty: %d runs, median %.1f ms, min %.1f, max %.1f, %d bytes of output" % (
    runs, statistics.median(r[0] for r in res), min(r[0] for r in res),
    max(r[0] for r in res), res[0][2]), file=sys.stderr)
PY

# The harness's own cost on a pty: /bin/true, timed the same way.
pty_true=$(python3 "$work/pty_bench.py" 20 3 0 /bin/true 2>/dev/null | cut -d' ' -f1)
echo "== pty harness: /bin/true takes $pty_true ms (median), included in the pty figures"

results="$work/results.tsv" # N, label, "median_ms cpu_ms", max RSS KiB, target ms, target MiB
: >"$results"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# ---- the fixture document ------------------------------------------------------------------

# gen_doc N FILE: the interchange document (`bcconn export`'s shape, version 2):
# one iClient "app", N connections. Realistic records: 3-8 scopes, user and
# owner, store names and domains; three connections per store; one in 7 a
# token connection; every 10th borrows its pool from the one before, and
# records 1-9 of each hundred form a chain. (Import makes them all pending.)
# Prints the name of the middle connection.
gen_doc() {
  python3 - "$1" "$2" <<'PY'
import json, random, sys

n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20261202)
ts = "2026-11-25T09:30:00Z"
families = ["store_v2_orders", "store_v2_products", "store_v2_customers", "store_v2_content",
            "store_v2_marketing", "store_v2_information", "store_v2_transactions", "store_cart",
            "store_checkout", "store_inventory", "store_sites", "store_channel_settings"]
prefixes = ["shop", "acme-prod", "acme-staging", "wholesale-eu", "outlet-us", "b2b-portal"]

def hex_id():
    return "%016x" % rng.getrandbits(64)

def store_hash(s):  # 10 characters, like a real one
    return "%010x" % (s * 2654435761 % (1 << 40))

iclient = {"id": hex_id(), "name": "app", "client_id": "5c1f0e2a7b3d9e8f1a2b3c4d5e6f708",
           "callback_url": "http://localhost:8765/auth", "secret_store": "file",
           "created_at": ts, "updated_at": ts}
conns = []
for k in range(1, n + 1):
    s = k // 3
    token = k % 7 == 0
    scopes = [] if token else sorted(
        f if rng.random() < 0.5 else f + "_read_only" for f in rng.sample(families, rng.randint(3, 8)))
    c = {"id": hex_id(), "name": "%s-%06d" % (prefixes[k % len(prefixes)], k),
         "auth_type": "token" if token else "oauth2", "store_hash": store_hash(s), "scopes": scopes}
    if not token:
        c["iclient_id"] = iclient["id"]
    c["concurrency"] = rng.randint(1, 25)
    if k % 10 == 0 or (1 <= k % 100 <= 9 and k > 1):
        c["borrow_concurrency_from"] = conns[-1]["id"]
    c.update({"state": "authorized", "created_at": ts, "updated_at": ts})
    if not token:
        c["granted_scopes"] = sorted(scopes + ["store_v2_default", "users_basic_information"])
        c["user"] = {"id": 1000 + k, "username": "dev%d@example.com" % k, "email": "dev%d@example.com" % k}
        c["owner"] = {"id": 7, "email": "owner@example.com"}
        c["account_uuid"] = "12345678-90ab-cdef-1234-%012x" % s
    c.update({"store_name": "Store %d" % s, "store_domain": "store-%d.example.com" % s,
              "authorized_at": ts, "last_verified_at": ts, "token_store": "os", "token_generation": 1})
    conns.append(c)

with open(path, "w") as f:
    json.dump({"version": 2, "iclients": [iclient], "connections": conns}, f, indent=2)
    f.write("\n")
print(conns[n // 2]["name"])
PY
}

count_conns() { "$bin" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# ---- per N ------------------------------------------------------------------------------------

create_oauth="create bench-new --no-authorize --iclient app --store-hash abc123 --scopes store_v2_orders,store_v2_products_read_only --yes"
create_token="create bench-tok --auth-type token --store-hash abc123 --access-token-stdin --yes"

for n in $sizes; do
  echo
  echo "================ N = $n"
  doc="$work/doc-$n.json"
  mid=$(gen_doc "$n" "$doc")
  echo "== document: $n connections, $(($(stat -c %s "$doc") / 1024)) KiB"

  # import into an empty home, timed (each run a fresh home)
  imp_prep=$(prep "import-$n" "rm -rf '$work/imp' && mkdir -m 700 '$work/imp'")
  export BCCONN_HOME="$work/imp"
  "$imp_prep"
  ms=$(warmup=1 runs=$import_runs hf "import ($n)" "$imp_prep" none "$bin import $doc")
  kib=$(rss "$imp_prep" /dev/null "$bin" import "$doc")
  record "$n" "import" "$ms" "$kib" 10000 ""

  # the fixture home: the import, the iClient's secret, three token connections
  export BCCONN_HOME="$work/home-$n"
  mkdir -m 700 "$BCCONN_HOME"
  "$bin" import "$doc" 2>/dev/null
  "$bin" iclient edit app --client-secret-stdin <"$work/secret.txt" 2>/dev/null
  for t in 1 2 3; do
    "$bin" create "tok-$t" --auth-type token --store-hash "tok${t}store" --access-token-stdin --yes \
      <"$work/token.txt" 2>/dev/null
  done
  "$bin" create bench-a --no-authorize --iclient app --store-hash abc123 --scopes store_v2_orders --yes 2>/dev/null
  got=$(count_conns)
  [[ $got -eq $((n + 4)) ]] || { echo "bench/scale.sh: list --json shows $got connections, not $((n + 4))" >&2; exit 1; }
  [[ $("$bin" token tok-2) == "$(cat "$work/token.txt")" ]] || { echo "bench/scale.sh: token tok-2 is wrong" >&2; exit 1; }
  echo "== home: $(($(stat -c %s "$BCCONN_HOME/bcconn.db") / 1024)) KiB bcconn.db, $got connections; show $mid, token tok-2"

  # read-only commands
  ms=$(hf "list ($n)" "" none "$bin list")
  kib=$(rss "" /dev/null "$bin" list)
  record "$n" "list (piped)" "$ms" "$kib" 100 32
  echo "-- list on a pty, COLUMNS=80 ($n)" >&2
  if out=$(python3 "$work/pty_bench.py" "$runs" 3 "$rss_runs" "$bin" list); then
    read -r ms cpu kib <<<"$out"
    ms="$ms $cpu"
  else
    ms=nan kib=0
    echo "list on a pty" >>"$work/failed"
  fi
  record "$n" "list (pty, 80 cols)" "$ms" "$kib" 150 32
  ms=$(hf "list --json ($n)" "" none "$bin list --json")
  kib=$(rss "" /dev/null "$bin" list --json)
  record "$n" "list --json (piped)" "$ms" "$kib" 350 32
  ms=$(hf "show ($n)" "" none "$bin show $mid")
  kib=$(rss "" /dev/null "$bin" show "$mid")
  record "$n" "show" "$ms" "$kib" 5 ""
  ms=$(hf "token ($n)" "" none "$bin token tok-2")
  kib=$(rss "" /dev/null "$bin" token tok-2)
  record "$n" "token (file store)" "$ms" "$kib" 5 ""

  # commands that change the records; --prepare undoes the previous run
  p=$(prep "create-$n" "'$bin' delete bench-new --yes")
  ms=$(hf "create --no-authorize ($n)" "$p" none "$bin $create_oauth")
  # shellcheck disable=SC2086 # the command line splits into words
  kib=$(rss "$p" /dev/null "$bin" $create_oauth)
  record "$n" "create --no-authorize" "$ms" "$kib" 10 ""
  "$p"

  p=$(prep "rename-$n" "'$bin' rename bench-b bench-a")
  ms=$(hf "rename ($n)" "$p" none "$bin rename bench-a bench-b")
  kib=$(rss "$p" /dev/null "$bin" rename bench-a bench-b)
  record "$n" "rename" "$ms" "$kib" 10 ""
  "$p"

  p=$(prep "delete-$n" "'$bin' create bench-del --no-authorize --iclient app --store-hash abc123 --scopes store_v2_orders --yes")
  ms=$(hf "delete ($n)" "$p" none "$bin delete bench-del --yes")
  kib=$(rss "$p" /dev/null "$bin" delete bench-del --yes)
  record "$n" "delete" "$ms" "$kib" 10 ""

  p=$(prep "token-$n" "'$bin' delete bench-tok --yes")
  ms=$(hf "create token, verified ($n)" "$p" sh "$bin $create_token <$work/token.txt")
  # shellcheck disable=SC2086
  kib=$(rss "$p" "$work/token.txt" "$bin" $create_token)
  record "$n" "create --auth-type token" "$ms" "$kib" "" ""
  "$p"

  got=$(count_conns)
  [[ $got -eq $((n + 4)) ]] || echo "bench/scale.sh: WARNING: $got connections after the runs, not $((n + 4))" >&2

  # rclone listremotes over as many remotes, at N=1000
  if [[ $n -eq 1000 ]]; then
    export RCLONE_CONFIG="$work/rclone.conf"
    for ((k = 1; k <= n; k++)); do printf '[r%04d]\ntype = local\n\n' "$k"; done >"$RCLONE_CONFIG"
    [[ $(rclone listremotes | wc -l) -eq $n ]] || { echo "bench/scale.sh: rclone does not see $n remotes" >&2; exit 1; }
    ms=$(hf "rclone listremotes ($n)" "" none "rclone listremotes")
    kib=$(rss "" /dev/null rclone listremotes)
    record "$n" "rclone listremotes" "$ms" "$kib" "" ""
    unset RCLONE_CONFIG
  fi
  rm -rf "$work/imp" "$BCCONN_HOME" "$doc"
done

# ---- summary -------------------------------------------------------------------------------------

echo
echo "== summary: median wall time (hyperfine, $runs runs; import $import_runs), mean CPU time (user + system),"
echo "   max RSS (GNU time, of $rss_runs runs); load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   filesystem $fstype ($work), fsync $fsync_ms ms; binary $(stat -c %s "$bin") bytes;"
echo "   pty figures include $pty_true ms of harness; targets apply at N=100000"
python3 - "$results" <<'PY'
import sys

rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
print("%8s  %-26s %10s %10s %10s   %-22s %s" % ("N", "command", "median", "cpu", "max RSS", "target", "result"))
fails = 0
for n, label, ms, kib, tms, tmib in rows:
    ms, cpu = (ms.split() + ["nan"])[:2]
    ms, cpu, mib = float(ms), float(cpu), int(kib) / 1024  # nan: the command failed
    target, result = [], ""
    if tms:
        target.append(("<= %g s" % (float(tms) / 1000)) if float(tms) >= 1000 else "<= %s ms" % tms)
    if tmib:
        target.append("<= %s MiB" % tmib)
    if n == "100000" and target:
        ok = (not tms or ms <= float(tms)) and (not tmib or mib <= float(tmib))
        result = "pass" if ok else "FAIL"
        fails += not ok
    fmt = lambda t: "failed" if t != t else ("%.2f s" % (t / 1000)) if t >= 1000 else "%.1f ms" % t
    print("%8s  %-26s %10s %10s %6.1f MiB   %-22s %s"
          % (n, label, fmt(ms), fmt(cpu), mib, ", ".join(target), result))
by = {(n, label): float(ms.split()[0]) for n, label, ms, *_ in rows}
if ("1000", "rclone listremotes") in by:
    r = by[("1000", "list (piped)")] / by[("1000", "rclone listremotes")]
    print("  N=1000: bcconn list (piped) / rclone listremotes = %.3fx (target <= 0.1x): %s"
          % (r, "pass" if r <= 0.1 else "FAIL"))
    r = by[("1000", "list (pty, 80 cols)")] / by[("1000", "rclone listremotes")]
    print("  N=1000: bcconn list (pty) / rclone listremotes = %.3fx (for information)" % r)
print("  %d target%s missed at N=100000" % (fails, "" if fails == 1 else "s"))
PY
if [[ -s $work/failed ]]; then
  echo "== these failed (their output is above, after !!):"
  sed 's/^/   /' "$work/failed"
  exit 1
fi
