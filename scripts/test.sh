#!/bin/sh
# Install dependencies, then build twice with warnings as errors and run the
# whole test suite on each build:
#   build-gcc   gcc, optimised and hardened as released; valgrind.sh runs here
#   build-asan  clang under AddressSanitizer (leaks checked at every exit) and
#               UndefinedBehaviorSanitizer (no recovery: any UB fails)
# then the Debian packages (scripts/deb.sh).
# Sanitizer reports go to files (build-asan/sanitizer/), so that none can hide
# behind a test that expects a non-zero exit; any report fails the run.
# Prints "N passed, N failed" over both runs last.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh

build() { # build DIR CC [MESON_OPTION]...
    dir=$1 cc=$2
    shift 2
    if [ -d "$dir" ]; then meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
    else CC=$cc meson setup "$dir" -Dwerror=true "$@" >/dev/null; fi
    ninja -C "$dir" >/dev/null
}
# -Ddocs=enabled: the API reference too, which fails on any undocumented API.
build build-gcc gcc -Ddocs=enabled
build build-asan clang -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fno-sanitize-recover=all

status=0
meson test -C build-gcc --print-errorlogs --num-processes 2 || status=$?

logs=$PWD/build-asan/sanitizer
rm -rf "$logs" && mkdir -p "$logs"
# tests/meson.build adds tests/lsan.supp (third-party leaks) to LSAN_OPTIONS.
ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:abort_on_error=1:log_path=$logs/report \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$logs/report \
LSAN_OPTIONS=print_suppressions=0 \
    meson test -C build-asan --print-errorlogs --num-processes 2 || status=$?
if [ -n "$(ls "$logs")" ]; then
    for f in "$logs"/*; do echo "== sanitizer report $f"; head -n 60 "$f"; done
    status=1
fi

# The Debian packages, from a copy of the tree, without running the tests again.
sh scripts/deb.sh || status=1

python3 - "$logs" build-gcc/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, os, re, sys
passed = failed = 0
for log in sys.argv[2:]:
    for line in open(log):
        t = json.loads(line)
        # A shell or Check test reports its own tally; count those, else the test itself.
        m = re.findall(r'(\d+) passed, (\d+) failed', t.get('stdout', ''))
        c = re.findall(r'Checks: (\d+), Failures: (\d+), Errors: (\d+)', t.get('stdout', ''))
        if m:
            passed += int(m[-1][0]); failed += int(m[-1][1])
        elif c:
            n, f, e = map(int, c[-1]); passed += n - f - e; failed += f + e
        elif t['result'] == 'OK':
            passed += 1
        if t['result'] not in ('OK', 'SKIP') and not (m and int(m[-1][1])) and not (c and (int(c[-1][1]) or int(c[-1][2]))):
            failed += 1
# Each sanitizer report is a failure, whatever the test that ran into it said.
failed += len(os.listdir(sys.argv[1]))
print(f"{passed} passed, {failed} failed")
PY
exit $status
