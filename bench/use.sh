#!/usr/bin/env bash
# Benchmarks for using a connection (issue 9): `bcconn api --paginate` over
# 20 pages at level 5, `bcconn status` over 100 connections in 4 pools of
# level 5 (the fake adding 200 ms per API request), and one `bcconn api` GET
# against curl with the same token. The fake BigCommerce runs inside the
# test binary; the figures are printed (lines starting BENCH), not asserted.
#
#   bench/use.sh            # from anywhere; builds the release test binary first
#
# Uses hyperfine when it is installed (apt-get install hyperfine), else a
# timing loop; curl is needed for the third benchmark.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v curl >/dev/null || { echo "bench/use.sh: needs curl" >&2; exit 1; }
cd "$root"
cargo test --release --test testsuite bench:: -- --ignored --nocapture --test-threads 1 2>&1 \
  | grep -E '^(BENCH|      )|test result'
