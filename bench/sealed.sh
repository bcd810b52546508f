#!/usr/bin/env bash
# Benchmarks of the sealed secret store (issue 18): `bcconn token` from the
# sealed store against the file store (target: at most 1.2x), and one
# `bcconn secrets rotate-key` over 10,000 sealed secrets. The figures are
# printed (lines starting BENCH), not asserted.
#
#   bench/sealed.sh         # from anywhere; builds the release test binary first
#
# Uses hyperfine when it is installed (apt-get install hyperfine), else a
# timing loop.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
cargo test --release --test testsuite -- bench::bench_token_from_the_sealed bench::bench_rotate_key \
  --ignored --nocapture --test-threads 1 2>&1 | grep -oE 'BENCH.*|  +sealed / file.*|test result.*'
