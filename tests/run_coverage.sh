#!/usr/bin/env bash
# Coverage of the C library, the cffi extension and python/nxpop3 by the test
# suite, and of the C library by the fuzz targets; writes docs/coverage.md and
# exits non-zero when a goal of tests/coverage/report.py is missed.
#
#  1. gcc --coverage build of the library and its extension (Debug, -O0) into a
#     private folder that shadows the installed package, as tests/run_sanitized.sh
#     does for the sanitizers; the suite runs on it under coverage.py (xdist
#     workers and `python -m nxpop3` subprocesses measured too).
#  2. The C test programs that build csrc/ themselves (the signal session, the
#     example under valgrind) with CFLAGS=--coverage; their build folders stay
#     under build/coverage/ for gcovr.
#  3. The fuzz targets: libFuzzer (clang) runs each a fixed number of inputs
#     from a fixed seed, starting from the committed corpus; the corpus it ends
#     with is replayed by a gcc --coverage build of the replay engine.
#  4. gcovr (lines and branches, per file of csrc/) and coverage.py reports,
#     turned into docs/coverage.md and checked against the goals.
#
# Usage: tests/run_coverage.sh [pytest options...]
#   NXPOP3_COVERAGE_DIR  where everything goes (default build/coverage)
#   FUZZ_RUNS            libFuzzer inputs per target (default 20000; the figures
#                        in docs/coverage.md say which count made them)
# Left out of step 1: tests/c (build checks: they compile csrc/ with flags of
# their own and run nothing), tests/faults/test_fuzz.py (step 3 measures the
# fuzzers), the C programs of step 2, and the stack tests of tests/crypto (they
# read the dead stack of an uninstrumented build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${NXPOP3_COVERAGE_DIR:-$root/build/coverage}
fuzz_runs=${FUZZ_RUNS_COVERAGE:-${FUZZ_RUNS:-20000}}
target=$out/package
# Atomic counters: the extension runs C in several threads at once, and racing
# plain counters can come out negative (gcovr then refuses the file).
gcov_flags="--coverage -fprofile-update=atomic -O0 -g"

rm -rf "$out"
mkdir -p "$out"

# 1. The suite on the instrumented package.
python3 -m pip install --quiet --no-deps --target "$target" -Ccmake.build-type=Debug \
  -Ccmake.define.CMAKE_C_FLAGS="$gcov_flags" -Cbuild-dir="$out/package-build" .
cat >"$out/coveragerc" <<EOF
[run]
# The folder, not the package name: scripts run by path (the board's relay, which
# QEMU starts and ends with SIGTERM) are measured too.
source = $target/nxpop3
patch = subprocess
sigterm = true
parallel = true
data_file = $out/python/.coverage
[paths]
nxpop3 =
    python/nxpop3/
    $target/nxpop3/
[report]
omit = */nxpop3/_header_constants.py
EOF
export COVERAGE_RCFILE="$out/coveragerc"
export PYTHONPATH="$target${PYTHONPATH:+:$PYTHONPATH}"
python3 - <<'PY'
import nxpop3._binding as binding, os, sys
where = os.path.dirname(binding.__file__)
assert where.startswith(os.environ["PYTHONPATH"].split(":")[0]), where
print("instrumented extension:", binding.__file__, file=sys.stderr)
PY
c_programs=(tests/netx/test_transport_signals_c.py tests/faults/test_valgrind.py)
python3 -m coverage run -m pytest -p no:cacheprovider tests \
  --ignore=tests/c --ignore=tests/faults/test_fuzz.py --ignore=tests/crypto/test_md5_stack_wipe.py \
  --ignore=tests/crypto/test_crypto_stack_wipe.py \
  "${c_programs[@]/#/--ignore=}" "$@"

# 2. The C programs, compiled with coverage in folders kept for gcovr.
CFLAGS="$gcov_flags" python3 -m pytest -p no:cacheprovider --basetemp="$out/c-programs" \
  "${c_programs[@]}" "$@"

# 3. The fuzz targets: a fixed number of runs from a fixed seed, then replayed.
cmake -S fuzz -B "$out/fuzz-libfuzzer" -DCMAKE_C_COMPILER=clang -DNXPOP3_FUZZ_ENGINE=libfuzzer \
  >/dev/null
cmake --build "$out/fuzz-libfuzzer" -j 2 >/dev/null
cmake -S fuzz -B "$out/fuzz-replay" -DCMAKE_C_COMPILER=gcc -DNXPOP3_FUZZ_ENGINE=replay \
  -DCMAKE_C_FLAGS="--coverage" >/dev/null
cmake --build "$out/fuzz-replay" -j 2 >/dev/null
# SHA-256 runs billions of times in the suite (PBKDF2): counts beyond 2^32 are real,
# not the corrupt data gcovr suspects of them (0: no such check).
gcovr_common=(--root "$root" --filter "$root/csrc/" --exclude-unreachable-branches
              --gcov-suspicious-hits-threshold=0)
fuzz_reports=()
mkdir -p "$out/fuzz-findings"
for source in fuzz/fuzz_*.c; do
  name=$(basename "$source" .c)
  kind=${name#fuzz_}
  corpus="$out/fuzz-corpus/$kind"
  mkdir -p "$corpus"
  inputs=("$corpus")  # libFuzzer writes the inputs it finds into the first folder
  for folder in "fuzz/corpus/$kind" "fuzz/regressions/$kind"; do
    [ -d "$folder" ] && inputs+=("$folder")
  done
  "$out/fuzz-libfuzzer/$name" -seed=1 -runs="$fuzz_runs" -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$out/fuzz-findings/$name-" "${inputs[@]}" >"$out/$name.log" 2>&1 \
    || { tail -n 30 "$out/$name.log"; exit 1; }
  find "$out/fuzz-replay" -name '*.gcda' -delete
  "$out/fuzz-replay/$name" "${inputs[@]}" >/dev/null
  python3 -m gcovr "${gcovr_common[@]}" --json "$out/$name.json" "$out/fuzz-replay"
  fuzz_reports+=("$out/$name.json")
done

# 4. Reports.
python3 -m coverage combine --quiet
python3 -m coverage json --quiet -o "$out/python.json"
python3 -m gcovr "${gcovr_common[@]}" --json "$out/suite.json" "$out/package-build" \
  "$out/c-programs"
python3 tests/coverage/report.py --suite "$out/suite.json" --fuzz "${fuzz_reports[@]}" \
  --python "$out/python.json" --fuzz-runs "$fuzz_runs" --output docs/coverage.md
