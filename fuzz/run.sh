#!/usr/bin/env bash
# Build the fuzz targets with clang's libFuzzer, ASan and UBSan, and run each
# for a bounded time. New inputs go to a scratch folder; crashes to fuzz/findings/
# (turn each into a regression: copy it into fuzz/regressions/<target>/).
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]    (default: 60, all targets)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_session fuzz_body fuzz_reply fuzz_listing fuzz_sasl)
build=${NXPOP3_FUZZ_BUILD:-$here/../build/fuzz}

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DNXPOP3_FUZZ_ENGINE=libfuzzer >/dev/null
cmake --build "$build" -j 2 >/dev/null
mkdir -p "$here/findings"
for target in "${targets[@]}"; do
  corpus=${target#fuzz_}
  scratch=$(mktemp -d)
  echo "== $target for ${seconds}s"
  "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$here/findings/$target-" -print_final_stats=1 \
    "$scratch" "$here/corpus/$corpus" "$here/regressions/$corpus" 2>&1 | tail -n 12
  rm -rf "$scratch"
done
