#!/bin/sh
# Install dependencies, build with gcc and clang (warnings are errors), and run
# the whole test suite. Prints "N passed, N failed" last.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh

build() { # build DIR CC
    if [ -d "$1" ]; then meson setup --reconfigure "$1" -Dwerror=true >/dev/null
    else CC=$2 meson setup "$1" -Dwerror=true >/dev/null; fi
    ninja -C "$1" >/dev/null
}
build build-clang clang
build build-gcc gcc

status=0
meson test -C build-gcc --print-errorlogs --num-processes 2 || status=$?
python3 - build-gcc/meson-logs/testlog.json <<'PY'
import json, re, sys
passed = failed = 0
for line in open(sys.argv[1]):
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
print(f"{passed} passed, {failed} failed")
PY
exit $status
