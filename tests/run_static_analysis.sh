#!/usr/bin/env bash
# Static analysis of the C core (csrc/) and the board code (hw/boards, hw/transport,
# hw/app; not hw/third_party): cppcheck with --enable=all and clang-tidy with the
# bugprone-*, cert-* and clang-analyzer-* checks (.clang-tidy). Exits non-zero on
# any finding that is not explained where it is suppressed:
#   cppcheck:   tests/static_analysis/cppcheck-suppressions.xml (one entry per
#               finding, each with its reason in a comment)
#   clang-tidy: checks left out in .clang-tidy (with the reason), and single
#               findings in tests/static_analysis/clang-tidy-explained.txt
#
# Usage: tests/run_static_analysis.sh     (needs cppcheck, clang-tidy, cmake, the Arm
# toolchain; the board's configure fetches lwIP's headers as the board build does)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${NXPOP3_STATIC_DIR:-$root/build/static-analysis}
here=tests/static_analysis
mkdir -p "$out"

host_sources=$(find csrc -name '*.c' | sort)
board_sources=$(find hw/boards hw/transport hw/app -name '*.c' -not -path '*/third_party/*' | sort)

# Compile commands: the host library as CMake builds it, and the firmware with
# its toolchain, defines and lwIP include paths.
cmake -S csrc -B "$out/host" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake -S hw -B "$out/board" -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null

status=0

echo "== cppcheck $(cppcheck --version | cut -d' ' -f2)"
includes=(-Icsrc/include -Icsrc/pop3 -Icsrc/crypto -Icsrc/transport/posix -Icsrc/transport/scripted
          -Ihw/boards/mps2_an385 -Ihw/transport/lwip -Ihw/transport/lwip/port
          -Ihw/third_party/lwip/src/include)
# shellcheck disable=SC2086  # the source lists are word lists
if ! cppcheck --enable=all --inconclusive --std=c99 --quiet --error-exitcode=1 \
    --suppress-xml="$here/cppcheck-suppressions.xml" \
    --template='{file}:{line}: {severity}: {id}: {message}' \
    --cppcheck-build-dir="$out" "${includes[@]}" $host_sources $board_sources; then
  echo "cppcheck: findings above (fix them, or explain each in $here/cppcheck-suppressions.xml)"
  status=1
fi

echo "== clang-tidy $(clang-tidy --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)"
# shellcheck disable=SC2086
{
  clang-tidy -p "$out/host" --quiet $host_sources 2>/dev/null || true
  clang-tidy -p "$out/board" --quiet --extra-arg=--target=arm-none-eabi \
    --extra-arg=-isystem/usr/lib/arm-none-eabi/include \
    --extra-arg=-Wno-unused-command-line-argument $board_sources 2>/dev/null || true
} >"$out/clang-tidy.txt"
if ! python3 "$here/clang_tidy_findings.py" "$out/clang-tidy.txt" "$here/clang-tidy-explained.txt"; then
  status=1
fi
exit $status
