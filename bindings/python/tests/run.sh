#!/bin/sh
# The Python binding's pytest suite, as meson's test 'python' runs it:
#   sh bindings/python/tests/run.sh BUILD SRC
# with ARTSIG_LIBRARY, ARTSIG_VECTORS, ARTSIG_CLI and PYTHONPATH set by
# tests/meson.build. Fails when no python3 has pytest (scripts/deps.sh
# installs python3-pytest).
#
# Sanitized builds (ARTSIG_SANITIZED): the library expects the sanitizer
# runtime that sanitized executables link in, and Python is not one of them,
# so the runtime is preloaded (ARTSIG_CC names the compiler that knows where
# it is); LeakSanitizer stays off, as the interpreter keeps memory to the end.
# Without a runtime to preload the test is skipped (77).
set -u
# $1, the build directory, is not needed: ARTSIG_LIBRARY names the library.
SRC=$2

# The first python3 that has pytest: the one on PATH (which may be a
# virtualenv or pyenv's), else the system's, where python3-pytest puts it.
PY=
for candidate in "${ARTSIG_PYTHON:-}" python3 /usr/bin/python3; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import pytest' >/dev/null 2>&1; then
        # The interpreter itself, not a wrapper script (LD_PRELOAD below).
        PY=$("$candidate" -c 'import sys; print(sys.executable)') && break
    fi
done
if [ -z "$PY" ]; then
    echo "no python3 with pytest found (scripts/deps.sh installs python3-pytest)" >&2
    exit 1
fi

if [ -n "${ARTSIG_SANITIZED:-}" ]; then
    cc=${ARTSIG_CC:-cc}
    runtime=
    case $ARTSIG_SANITIZED in
    *address*) names="libclang_rt.asan-$(uname -m).so libasan.so" ;;
    *undefined*) names="libclang_rt.ubsan_standalone-$(uname -m).so libubsan.so" ;;
    *) names= ;;
    esac
    for name in $names; do
        # shellcheck disable=SC2086 # ARTSIG_CC may be a command with arguments
        path=$($cc -print-file-name="$name" 2>/dev/null)
        case $path in /*) [ -f "$path" ] && runtime=$path && break ;; esac
    done
    if [ -z "$runtime" ]; then
        echo "SKIP: no $ARTSIG_SANITIZED runtime to preload into python3 ($cc)" >&2
        exit 77
    fi
    # What the programs the tests run (the CLI, openssl) get instead: the
    # sanitized CLI has its runtime linked in, and checks its leaks.
    ARTSIG_PRELOADED=$runtime
    ARTSIG_SUBPROCESS_LD_PRELOAD=${LD_PRELOAD:-}
    ARTSIG_SUBPROCESS_ASAN_OPTIONS=${ASAN_OPTIONS:-}
    LD_PRELOAD=$runtime${LD_PRELOAD:+:$LD_PRELOAD}
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    export LD_PRELOAD ASAN_OPTIONS ARTSIG_PRELOADED ARTSIG_SUBPROCESS_LD_PRELOAD \
        ARTSIG_SUBPROCESS_ASAN_OPTIONS
fi

cd "$SRC" || exit 1
# No .pytest_cache or __pycache__ in the source tree.
PYTHONDONTWRITEBYTECODE=1 exec "$PY" -m pytest -q -p no:cacheprovider -rs bindings/python/tests
