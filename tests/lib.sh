# Shared by the shell tests: a scratch folder, assertions and a tally.
# Usage: . lib.sh  (expects BUILD and SRC set by the caller)
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/artsig-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
ARTSIG=${ARTSIG_CLI:-$BUILD/cli/artsig}
VEC=${ARTSIG_VECTORS:-$SRC/../shared/vectors}
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_exit CODE DESCRIPTION COMMAND...: run COMMAND, compare its exit code;
# stderr is kept in $T/err for further checks.
expect_exit() {
    want=$1 what=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, want $want: $(head -c 300 "$T/err")"; fi
}

# A refusal must say why in exactly one line on stderr.
expect_one_line_error() {
    n=$(wc -l <"$T/err")
    if [ "$n" -eq 1 ]; then ok; else bad "$1: $n lines on stderr: $(cat "$T/err")"; fi
}

# contains DESCRIPTION FILE TEXT / lacks DESCRIPTION FILE TEXT
contains() { if grep -qF -- "$3" "$2"; then ok; else bad "$1: no \"$3\" in: $(cat "$2")"; fi; }
lacks() { if grep -qF -- "$3" "$2"; then bad "$1: \"$3\" in: $(cat "$2")"; else ok; fi; }

# No temporary file of an output may survive, whatever happened.
no_strays() {
    if ls -A "$1" 2>/dev/null | grep -q '^\.artsig-tmp'; then bad "$2: temporary file left in $1"; else ok; fi
}

# expect_refusal CODE DESCRIPTION DEST COMMAND...: the exit code, one line on
# stderr, nothing on stdout, DEST not written, no temporary file beside it.
expect_refusal() {
    code=$1 refusal=$2 dest=$3
    shift 3
    rm -f "$dest"
    expect_exit "$code" "$refusal" "$@"
    expect_one_line_error "$refusal"
    [ ! -s "$T/out" ] && ok || bad "$refusal: printed $(head -c 100 "$T/out")"
    [ ! -e "$dest" ] && ok || bad "$refusal: $dest was written"
    no_strays "$(dirname "$dest")" "$refusal"
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# need_mender_artifact: stop, failing, unless mender-artifact and python3
# are installed.
need_mender_artifact() {
    if ! command -v mender-artifact >/dev/null || ! command -v python3 >/dev/null; then
        bad "mender-artifact and python3 are needed (scripts/deps.sh installs them)"
        finish
        exit
    fi
}

# build_oracle NAME: build the Go oracle (tests/oracle) offline into
# $BUILD/tests/oracle/oracle-NAME and set ORACLE_DIR and ORACLE. Caches stay
# in the build dir (CI runs as root with no HOME to speak of); no VCS stamp,
# which fails in a checkout owned by another user; one name per test, so that
# tests can build at once. Stops the test, failing, if it does not build.
build_oracle() {
    ORACLE_DIR=$BUILD/tests/oracle
    ORACLE=$ORACLE_DIR/oracle-$1
    mkdir -p "$ORACLE_DIR"
    if ! (cd "$SRC/tests/oracle" &&
          GOCACHE=$ORACLE_DIR/gocache GOPATH=$ORACLE_DIR/gopath GOPROXY=off GOFLAGS= \
          go build -buildvcs=false -o "$ORACLE" .) >"$T/err" 2>&1; then
        bad "building the oracle: $(cat "$T/err")"
        finish
        exit
    fi
}
