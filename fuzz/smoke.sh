#!/usr/bin/env bash
# A short run of every fuzz target, for CI: build, replay the committed
# corpus, then fuzz each target for its share of what is left of a time
# budget (the build included). cargo fuzz needs the nightly toolchain; without
# it this says so and exits 0. A crash, a failed assertion or a target that
# does not build exits non-zero; a build too slow for the budget is said and
# skipped.
#
#   bash fuzz/smoke.sh [BUDGET_SECONDS]      # default 300
#
# Long runs (what fuzz/README.md reports) use the default build instead:
#   cd fuzz && cargo +nightly fuzz run TARGET work/TARGET corpus/TARGET -- -max_total_time=600
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
budget=${1:-300}
start=$SECONDS
say() { printf '::: fuzz: %s\n' "$*"; }
left() { echo $((budget - (SECONDS - start))); }

if ! cargo +nightly --version >/dev/null 2>&1; then
  say "no nightly toolchain (cargo +nightly): skipping the fuzz run; rustup toolchain install nightly enables it"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  say "cargo-fuzz is missing: installing it (counts against the ${budget} s budget)"
  timeout "$(left)" cargo install cargo-fuzz --locked --quiet
  rc=$?
  if [[ $rc -eq 124 ]]; then
    say "installing cargo-fuzz took more than the budget: skipping the fuzz run"
    exit 0
  elif [[ $rc -ne 0 ]]; then
    say "cannot install cargo-fuzz (exit $rc): skipping the fuzz run"
    exit 0
  fi
fi

mapfile -t targets < <(cargo +nightly fuzz list)
[[ ${#targets[@]} -gt 0 ]] || { say "no targets listed"; exit 1; }
# Unoptimized, no sanitizer: quick to build; a short run looks for panics and
# broken invariants (assertions), which need neither.
flags=(--dev --sanitizer none)
say "building ${#targets[@]} targets (${flags[*]}); $(left) s of ${budget} s left"
timeout "$(left)" cargo +nightly fuzz build "${flags[@]}"
rc=$?
if [[ $rc -eq 124 ]]; then
  say "the build took more than the budget: skipping the runs"
  exit 0
elif [[ $rc -ne 0 ]]; then
  say "the fuzz targets do not build (exit $rc)"
  exit "$rc"
fi

per=$((($(left) - 2 * ${#targets[@]}) / ${#targets[@]}))
((per > 30)) && per=30
if ((per < 1)); then
  say "no time left to fuzz: replaying the corpora only"
  run_args=(-runs=0)
else
  say "fuzzing each target for ${per} s after replaying its corpus"
  run_args=("-max_total_time=${per}")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in "${targets[@]}"; do
  case $t in
  record_file | secrets_file | token_response) dict=dicts/json.dict ;;
  *) dict=dicts/text.dict ;;
  esac
  mkdir -p "$work/$t"
  log="$work/$t.log"
  # New inputs go to $work, never into the committed corpus.
  if cargo +nightly fuzz run "${flags[@]}" "$t" "$work/$t" "corpus/$t" -- \
    "${run_args[@]}" -dict="$dict" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    say "$t: ok, ${execs:-?} executions"
  else
    tail -n 40 "$log" >&2
    say "$t: FAILED (the input is in fuzz/artifacts/$t/; reproduce with cargo +nightly fuzz run $t fuzz/artifacts/$t/<file>)"
    failed+=("$t")
  fi
done
say "$((SECONDS - start)) s in all"
if [[ ${#failed[@]} -gt 0 ]]; then
  say "failed: ${failed[*]}"
  exit 1
fi
