#!/usr/bin/env bash
# The test suite against a build of the C library and its extension with ASan
# and UBSan (-fno-sanitize-recover=all: the first error aborts the run).
# The sanitized package goes into a private folder that shadows the installed
# one; the runtime is preloaded into Python, leak checks off (CPython keeps
# memory to the end by design; our C code has no heap to leak).
#
# Usage: tests/run_sanitized.sh [pytest options...]   (every test folder but hw/, whose
# C code runs on the emulated board, and the tests that build C programs themselves)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${NXPOP3_SANITIZED_DIR:-$root/build/sanitized}
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"

rm -rf "$target"
python3 -m pip install --quiet --no-deps --target "$target" \
  -Ccmake.define.CMAKE_C_FLAGS="$flags" -Cbuild-dir="$root/build/sanitized-build" .

runtime="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export LD_PRELOAD="$runtime"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export PYTHONPATH="$target${PYTHONPATH:+:$PYTHONPATH}"

# Prove the sanitized build is the one under test before trusting a green run.
python3 - <<'PY'
import nxpop3._binding as binding, os, sys
where = os.path.dirname(binding.__file__)
assert where.startswith(os.environ["PYTHONPATH"].split(":")[0]), where
print("sanitized extension:", binding.__file__, file=sys.stderr)
PY

# Left out: tests/c, test_fuzz.py, test_valgrind.py and test_transport_signals_c.py
# build C programs of their own (the fuzzers with these sanitizers; valgrind cannot
# run beside them; CMake's compiler check fails with the runtime preloaded).
paths=(tests/pop3 tests/sasl tests/crypto tests/netx tests/python tests/faults tests/testing tests/cli tests/dovecot
       --ignore=tests/faults/test_fuzz.py --ignore=tests/faults/test_valgrind.py
       --ignore=tests/netx/test_transport_signals_c.py)
python3 -m pytest -p no:cacheprovider "${paths[@]}" "$@"
