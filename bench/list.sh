#!/usr/bin/env bash
# Benchmark: `bcconn list` over 1,000 saved connections, against
# `rclone listremotes` over 1,000 remotes. Reports wall time (hyperfine) and
# peak memory (GNU time's max RSS).
#
#   bench/list.sh            # from anywhere; builds the release binary first
#
# Environment: RSS_RUNS (default 5) runs per command for the RSS measurement;
# MD_OUT (default /tmp/bcconn-bench-list.md) for hyperfine's markdown table.
# Needs no keyring: `list` reads the record file only.
set -euo pipefail

missing=()
for tool in hyperfine rclone python3 cargo; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ -x /usr/bin/time ]] || missing+=("/usr/bin/time")
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "bench/list.sh: missing: ${missing[*]}" >&2
  echo "  install with: apt-get install hyperfine rclone time  (python3 and cargo too, if listed)" >&2
  exit 1
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=1000
rss_runs=${RSS_RUNS:-5}
md_out=${MD_OUT:-/tmp/bcconn-bench-list.md}

echo "== building (cargo build --release --locked in $root)"
(cd "$root" && cargo build --release --locked)
bin="${CARGO_TARGET_DIR:-$root/target}/release/bcconn"
[[ $bin == /* ]] || bin="$root/$bin"
[[ -x $bin ]] || { echo "bench/list.sh: no binary at $bin" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- fixtures -------------------------------------------------------------------

export BCCONN_HOME="$work/bcconn-home"
export RCLONE_CONFIG="$work/rclone.conf"
unset BCCONN_SECRET_STORE
mkdir -m 700 "$BCCONN_HOME"

# The record file, schema version 1, as bcconn itself writes it (pretty JSON).
python3 - "$BCCONN_HOME/bcconn.json" "$n" <<'PY'
import json, random, sys

path, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261125)  # fixed seed: the same file every run
ids = set()

def new_id():
    while True:
        i = "%016x" % rng.getrandbits(64)
        if i not in ids:
            ids.add(i)
            return i

ts = "2026-11-25T00:00:00Z"
iclient = {
    "id": new_id(), "name": "ic", "client_id": "cid",
    "callback_url": "http://localhost:8765/auth", "secret_store": "os",
    "created_at": ts, "updated_at": ts,
}
scopes = ["store_v2_orders", "store_v2_products"]
conns = []
for k in range(1, n + 1):
    c = {
        "id": new_id(),
        "name": "conn-%04d" % k,
        "auth_type": "oauth2",
        "store_hash": "s%04dabc" % k,
        "scopes": scopes,
        "iclient_id": iclient["id"],
        "concurrency": 3,
    }
    if k % 10 == 0:  # every 10th borrows its level from the one before
        c["borrow_concurrency_from"] = conns[-1]["id"]
    c.update({
        "state": "authorized",
        "created_at": ts,
        "updated_at": ts,
        "granted_scopes": scopes + ["store_v2_default", "users_basic_information"],
        "user": {"id": 1, "username": "u@example.com", "email": "u@example.com"},
        "owner": {"id": 2, "email": "o@example.com"},
        "account_uuid": "12345678-90ab-cdef-1234-567890abcdef",
        "store_name": "Store %d" % k,
        "store_domain": "s%d.example.com" % k,
        "authorized_at": ts,
        "last_verified_at": ts,
        "token_store": "os",
    })
    conns.append(c)

with open(path, "w") as f:
    json.dump({"version": 1, "iclients": [iclient], "connections": conns}, f, indent=2)
    f.write("\n")
PY

for ((k = 1; k <= n; k++)); do
  printf '[r%04d]\ntype = local\n\n' "$k"
done >"$RCLONE_CONFIG"

"$bin" list --json | python3 -c 'import json,sys; assert len(json.load(sys.stdin))==1000'
[[ $(rclone listremotes | wc -l) -eq $n ]] || { echo "bench/list.sh: rclone does not see $n remotes" >&2; exit 1; }
echo "== fixtures: $n connections ($(wc -c <"$BCCONN_HOME/bcconn.json") bytes of records), $n rclone remotes"
echo "   $("$bin" --version 2>/dev/null || echo bcconn) | $(rclone version | head -n 1) | $(hyperfine --version)"

# ---- wall time ------------------------------------------------------------------

# -N (no intermediate shell) exists since hyperfine 1.13; probe rather than parse --help.
no_shell=()
if hyperfine -N --runs 1 --style none true >/dev/null 2>&1; then
  no_shell=(-N)
fi

names=("bcconn list" "bcconn list --json" "rclone listremotes")
cmds=("$bin list" "$bin list --json" "rclone listremotes")
args=()
for i in "${!names[@]}"; do
  args+=(-n "${names[$i]}" "${cmds[$i]}")
done

echo "== hyperfine"
hyperfine "${no_shell[@]}" --warmup 5 --min-runs 30 \
  --export-markdown "$md_out" --export-json "$work/hyperfine.json" "${args[@]}"
echo
echo "== $md_out"
cat "$md_out"

# ---- peak memory ------------------------------------------------------------------

echo
echo "== max RSS over $rss_runs runs each (/usr/bin/time -f %M)"
rss=()
for i in "${!names[@]}"; do
  max=0
  for ((r = 0; r < rss_runs; r++)); do
    # shellcheck disable=SC2086 # the command line splits into words, like hyperfine -N
    /usr/bin/time -f %M -o "$work/rss" ${cmds[$i]} >/dev/null
    kib=$(tail -n 1 "$work/rss")
    ((kib > max)) && max=$kib
  done
  rss+=("$max")
  printf '  %-20s %8d KiB  %7.2f MiB\n' "${names[$i]}" "$max" "$(awk -v k="$max" 'BEGIN { print k / 1024 }')"
done

# ---- summary ------------------------------------------------------------------------

echo
echo "== summary ($n entries each)"
python3 - "$work/hyperfine.json" "${rss[@]}" <<'PY'
import json, sys

results = json.load(open(sys.argv[1]))["results"]
rss = [int(x) for x in sys.argv[2:]]
rows = [(r["command"], r["median"] * 1000, kib) for r, kib in zip(results, rss)]
for name, ms, kib in rows:
    print(f"  {name:<20} median {ms:8.2f} ms   max RSS {kib:7d} KiB ({kib / 1024:.2f} MiB)")
_, base_ms, base_kib = rows[-1]  # rclone listremotes
for name, ms, kib in rows[:-1]:
    print(f"  {name} / rclone listremotes: time x{ms / base_ms:.2f}, memory x{kib / base_kib:.2f}")
PY
