#!/bin/sh
# Build the Debian packages (debian/) with `dpkg-buildpackage -us -uc -b` in a
# copy of the tree, then check that libartsig0, libartsig-dev, artsig and
# artsig-update were made and hold what they should. The test suite is not run
# again (DEB_BUILD_OPTIONS=nocheck): scripts/test.sh ran it already.
# Usage: sh scripts/deb.sh [OUTDIR]   (the .deb files are left in OUTDIR,
# default a temporary directory that is removed). Prints "deb: N passed,
# N failed" last; exits non-zero on any failure.
set -eu
cd "$(dirname "$0")/.."
src=$PWD
keep=${1:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/artsig-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
version=$(dpkg-parsechangelog -S Version)
upstream=${version%-*}
tree=$work/libartsig-$upstream
mkdir "$tree"

# The files git knows (tracked, and new ones not ignored), so no build
# directory comes along; a plain copy where this is no git checkout.
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard |
        (cd "$src" && xargs -0 cp --parents -a -t "$tree" 2>/dev/null) || true
    # Files deleted in the work tree but still tracked are simply absent.
else
    tar -C "$src" --exclude='./build*' --exclude=./demo-out -cf - . | tar -C "$tree" -xf -
fi

start=$(date +%s)
if (cd "$tree" && DEB_BUILD_OPTIONS="nocheck${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" \
        DEB_BUILD_PROFILES=nocheck dpkg-buildpackage -us -uc -b -Pnocheck) >"$work/build.log" 2>&1; then
    echo "deb: dpkg-buildpackage took $(($(date +%s) - start)) s"
else
    tail -n 40 "$work/build.log"
    echo "deb: dpkg-buildpackage failed (log above)"
    echo "deb: 0 passed, 1 failed"
    exit 1
fi

passed=0 failed=0
check() { # check PACKAGE PATTERN...: the package exists and lists each path
    pkg=$1
    shift
    deb=$(ls "$work/${pkg}_${version}_"*.deb 2>/dev/null | head -n 1)
    if [ -z "$deb" ]; then
        echo "deb: FAIL: no ${pkg}_${version}_*.deb"
        failed=$((failed + 1))
        return
    fi
    dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/$pkg.list"
    for want in "$@"; do
        if grep -qx -- "$want" "$work/$pkg.list"; then passed=$((passed + 1))
        else
            echo "deb: FAIL: $pkg lacks $want"
            failed=$((failed + 1))
        fi
    done
}
check libartsig0 '/usr/lib/[^/]*/libartsig\.so\.0' '/usr/lib/[^/]*/libartsig\.so\.0\.[0-9.]*' \
    '/usr/share/doc/libartsig0/copyright'
check libartsig-dev /usr/include/artsig.h /usr/include/artsig/common.h \
    /usr/include/artsig/version.h '/usr/lib/[^/]*/libartsig\.so' \
    '/usr/lib/[^/]*/pkgconfig/libartsig\.pc' /usr/share/doc/libartsig/html/index.html
check artsig /usr/bin/artsig '/usr/share/man/man1/artsig\.1\.gz' \
    /usr/share/bash-completion/completions/artsig
check artsig-update /usr/bin/artsig-update '/usr/share/man/man1/artsig-update\.1\.gz' \
    /usr/share/bash-completion/completions/artsig-update
# libartsig0 records its symbols (dpkg-gensymbols), and the programs depend on it.
deb=$(ls "$work"/libartsig0_"$version"_*.deb | head -n 1)
if dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -q symbols; then passed=$((passed + 1))
else echo "deb: FAIL: libartsig0 has no symbols file"; failed=$((failed + 1)); fi
for pkg in artsig artsig-update; do
    deb=$(ls "$work/${pkg}_${version}_"*.deb 2>/dev/null | head -n 1)
    if [ -n "$deb" ] && dpkg-deb -f "$deb" Depends | grep -q 'libartsig0 (>= '; then
        passed=$((passed + 1))
    else
        echo "deb: FAIL: $pkg does not depend on libartsig0"
        failed=$((failed + 1))
    fi
done

if [ -n "$keep" ]; then
    mkdir -p "$keep"
    cp "$work"/*.deb "$keep"/
fi
echo "deb: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
