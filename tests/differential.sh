#!/bin/sh
# Issue 15, "one reading or none": `artsig read --json` against the Go oracle
# (tests/oracle, which reads as mender-artifact 3.9 and the Mender 3.x client
# do) over the shared vectors, every tests/crafted/**/*.mender and the
# oracle's own crafted inputs. Where both accept, the facts must be equal;
# where they disagree, artsig must be the one refusing. The oracle itself is
# held to mender-artifact 3.9: on every input, both accept or both refuse.
# With "fuzz SECONDS": random mutants of the vectors instead, for that long.
BUILD=$1 SRC=$2 MODE=${3:-diff} SECONDS_BOUND=${4:-30}
. "$SRC/tests/lib.sh"

if ! command -v go >/dev/null; then
    echo "SKIP: the Go toolchain is not installed (golang-go, which scripts/deps.sh installs)"
    exit 77
fi

build_oracle "$MODE"

if [ "$MODE" = fuzz ]; then
    # Mutants that break the property are kept in $ORACLE_DIR/fuzz-failures.
    # Not exec'd: the scratch folder is removed on exit.
    (cd "$ORACLE_DIR" && "$ORACLE" fuzz "$ARTSIG" "$VEC/artifacts" 1000000 "$SECONDS_BOUND")
    exit
fi

mkdir "$T/crafted"
"$ORACLE" craft "$VEC/artifacts" "$T/crafted" 2>"$T/err" && ok || bad "crafting: $(cat "$T/err")"

find "$VEC/artifacts" "$T/crafted" "$SRC/tests/crafted" -name '*.mender' 2>/dev/null | sort >"$T/inputs"
[ -s "$T/inputs" ] && ok || bad "no input artifacts"

have_reference=false
command -v mender-artifact >/dev/null && have_reference=true
while read -r f; do
    "$ORACLE" diff "$ARTSIG" "$f" >"$T/verdict" && ok || bad "$(sed "s/^FAIL: //" "$T/verdict")"
    if $have_reference; then
        "$ORACLE" artifact "$f" >"$T/oracle" 2>&1
        oracle_says=$?
        mender-artifact read "$f" >"$T/reference" 2>&1
        reference_says=$?
        if [ $((oracle_says == 0)) -eq $((reference_says == 0)) ]; then ok; else
            bad "$f: the oracle (exit $oracle_says: $(head -c 200 "$T/oracle")) and mender-artifact read (exit $reference_says: $(tail -n 1 "$T/reference")) disagree"
        fi
    fi
done <"$T/inputs"
finish
