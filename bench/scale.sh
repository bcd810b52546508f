#!/usr/bin/env bash
# Benchmark at scale (issue 10): `bcconn list`, `list --json` and `create`
# over 100,000 saved connections, and `list --json` over a 10,000-long
# borrowing chain. Reports wall time (hyperfine, median) and peak memory
# (GNU time's max RSS), next to the issue's targets.
#
#   bench/scale.sh              # from anywhere; builds the release binary first
#   N=20000 bench/scale.sh      # another size
#
# Environment: N (default 100000) connections; CHAIN (default 10000) for the
# chain fixture; RUNS (default 10) timed runs per command; BIN to skip the
# build and time that binary. Needs no keyring (create --no-authorize writes
# no secret).
set -euo pipefail

missing=()
for tool in hyperfine python3 cargo; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ -x /usr/bin/time ]] || missing+=("/usr/bin/time")
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "bench/scale.sh: missing: ${missing[*]}" >&2
  echo "  install with: apt-get install hyperfine time  (python3 and cargo too, if listed)" >&2
  exit 1
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${N:-100000}
chain=${CHAIN:-10000}
runs=${RUNS:-10}

if [[ -z ${BIN:-} ]]; then
  echo "== building (cargo build --release --locked in $root)"
  (cd "$root" && cargo build --release --locked)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/bcconn"
  [[ $bin == /* ]] || bin="$root/$bin"
else
  bin=$BIN
fi
[[ -x $bin ]] || { echo "bench/scale.sh: no binary at $bin" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset BCCONN_SECRET_STORE
export NO_COLOR=1

# ---- fixtures -------------------------------------------------------------------

# Record files as bcconn writes them (pretty JSON, the current format):
#  big.json:   N authorized connections with every field, one iClient; every
#              10th borrows its level from the one before;
#  chain.json: CHAIN pending connections, each borrowing from the one before.
python3 - "$work" "$n" "$chain" <<'PY'
import json, random, sys

work, n, chain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(20261125)
ts = "2026-11-25T00:00:00Z"

def new_id(k):
    return "%016x" % (k * 2654435761 % (1 << 64))

iclient = {
    "id": "ffffffffffffffff", "name": "ic", "client_id": "cid",
    "callback_url": "http://localhost:8765/auth", "secret_store": "os",
    "created_at": ts, "updated_at": ts,
}
scopes = ["store_v2_orders", "store_v2_products"]
conns = []
for k in range(1, n + 1):
    c = {
        "id": new_id(k), "name": "conn-%06d" % k, "auth_type": "oauth2",
        "store_hash": "s%06dab" % k, "scopes": scopes,
        "iclient_id": iclient["id"], "concurrency": 3,
    }
    if k % 10 == 0:
        c["borrow_concurrency_from"] = conns[-1]["id"]
    c.update({
        "state": "authorized", "created_at": ts, "updated_at": ts,
        "granted_scopes": scopes + ["store_v2_default", "users_basic_information"],
        "user": {"id": 1, "username": "u@example.com", "email": "u@example.com"},
        "owner": {"id": 2, "email": "o@example.com"},
        "account_uuid": "12345678-90ab-cdef-1234-567890abcdef",
        "store_name": "Store %d" % k, "store_domain": "s%d.example.com" % k,
        "authorized_at": ts, "last_verified_at": ts, "token_store": "os",
    })
    conns.append(c)
with open(f"{work}/big.json", "w") as f:
    json.dump({"version": 2, "iclients": [iclient], "connections": conns}, f, indent=2)
    f.write("\n")

conns = []
for k in range(chain):
    c = {
        "id": new_id(k + 1), "name": "c%d" % k, "auth_type": "oauth2",
        "store_hash": "abc123", "scopes": ["store_v2_orders"],
        "concurrency": k % 20 + 1, "state": "pending",
        "created_at": ts, "updated_at": ts,
    }
    if k:
        c["borrow_concurrency_from"] = conns[-1]["id"]
    conns.append(c)
with open(f"{work}/chain.json", "w") as f:
    json.dump({"version": 2, "iclients": [], "connections": conns}, f, indent=2)
    f.write("\n")
PY

mkdir -m 700 "$work/big" "$work/pretty" "$work/chain"
cp "$work/big.json" "$work/pretty/bcconn.json"
cp "$work/chain.json" "$work/chain/bcconn.json"
# The big file as bcconn itself writes it (one line per record): one write.
cp "$work/big.json" "$work/big/bcconn.json"
BCCONN_HOME="$work/big" "$bin" rename conn-000001 conn-000001 >/dev/null 2>&1
cp "$work/big/bcconn.json" "$work/big.json"
echo "== fixtures: $n connections ($(du -m "$work/big.json" | cut -f1) MB as bcconn writes it, $(du -m "$work/pretty/bcconn.json" | cut -f1) MB pretty-printed), a $chain-long chain ($(du -k "$work/chain.json" | cut -f1) KB)"
echo "   $("$bin" --version 2>/dev/null || echo bcconn) | $(hyperfine --version)"

BCCONN_HOME="$work/big" "$bin" list --json | python3 -c "import json,sys; assert len(json.load(sys.stdin))==$n"

create="$bin create new-conn --no-authorize --iclient ic --store-hash abc123 --scopes store_v2_orders"
reset="cp $work/big.json $work/big/bcconn.json"
names=("list" "list (pretty file)" "list --json" "create" "list --json (chain)")
homes=("$work/big" "$work/pretty" "$work/big" "$work/big" "$work/chain")
cmds=("$bin list" "$bin list" "$bin list --json" "$create" "$bin list --json")
preps=("true" "true" "true" "$reset" "true")
targets=("100 ms, 64 MiB" "-" "-" "150 ms" "100 ms")

# ---- wall time ------------------------------------------------------------------

no_shell=()
if hyperfine -N --runs 1 --style none true >/dev/null 2>&1; then
  no_shell=(-N)
fi
medians=()
for i in "${!names[@]}"; do
  echo "== hyperfine: ${names[$i]}"
  BCCONN_HOME=${homes[$i]} hyperfine "${no_shell[@]}" --warmup 2 --runs "$runs" \
    --prepare "${preps[$i]}" --export-json "$work/h$i.json" -n "${names[$i]}" "${cmds[$i]}"
  medians+=("$(python3 -c "import json; print(json.load(open('$work/h$i.json'))['results'][0]['median']*1000)")")
done

# ---- peak memory ------------------------------------------------------------------

rss=()
for i in "${!names[@]}"; do
  max=0
  for ((r = 0; r < 3; r++)); do
    # (create leaves the big file one connection longer: reset it each time)
    ${preps[$i]}
    # shellcheck disable=SC2086 # the command line splits into words
    BCCONN_HOME=${homes[$i]} /usr/bin/time -f %M -o "$work/rss" ${cmds[$i]} >/dev/null 2>&1
    kib=$(tail -n 1 "$work/rss")
    ((kib > max)) && max=$kib
  done
  rss+=("$max")
done

echo
echo "== summary: $n connections (chain: $chain)"
printf '  %-22s %12s %12s   %s\n' "command" "median" "max RSS" "target"
for i in "${!names[@]}"; do
  printf '  %-22s %9.1f ms %8.1f MiB   %s\n' "${names[$i]}" "${medians[$i]}" \
    "$(awk -v k="${rss[$i]}" 'BEGIN { print k / 1024 }')" "${targets[$i]}"
done
