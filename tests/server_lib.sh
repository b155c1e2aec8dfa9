# The Mender-server double (tests/mender_server.py) for shell tests.
# Usage, after lib.sh: . "$SRC/tests/server_lib.sh"
#   server_start DIR [--tls CERT KEY]  start it; sets SERVER_URL, SERVER_PID, SERVER_DIR
#   server_stop                        stop the one server_start started last
#   server_ctl PATH JSON               POST JSON to /_double/PATH; prints the answer
#   server_state EXPR                  prints Python EXPR over s (GET /_double/state)
#                                      and r (the list of recorded requests): a
#                                      string as it is, anything else as JSON
#   server_wait SECONDS EXPR           wait until EXPR is true; false on timeout
# Every server started is stopped when the test exits, whatever happened; a
# test may add the ids of its own background processes to $STOP_AT_EXIT.
STOP_AT_EXIT=
trap 'for p in $STOP_AT_EXIT; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
# A stop signal (meson's timeout) ends the test through the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

server_start() {
    SERVER_DIR=$1
    shift
    mkdir -p "$SERVER_DIR"
    rm -f "$SERVER_DIR/url"
    python3 "$SRC/tests/mender_server.py" "$SERVER_DIR" "$@" 2>"$SERVER_DIR/stderr" &
    SERVER_PID=$!
    STOP_AT_EXIT="$STOP_AT_EXIT $SERVER_PID"
    i=0
    while [ ! -s "$SERVER_DIR/url" ] && [ $i -lt 100 ] && kill -0 "$SERVER_PID" 2>/dev/null; do
        sleep 0.1 && i=$((i + 1))
    done
    if [ ! -s "$SERVER_DIR/url" ]; then
        bad "the server double did not start: $(cat "$SERVER_DIR/stderr")"
        return 1
    fi
    SERVER_URL=$(cat "$SERVER_DIR/url")
}

server_stop() {
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    return 0
}

# The control port is the server's own; with --tls its certificate is the
# test's, so it is not checked here.
server_py() { # server_py SCRIPT ARGS...: run SCRIPT, which sees ARGS as args
    python3 - "$SERVER_URL" "$SERVER_DIR" "$@" <<'EOF'
import json, ssl, sys, urllib.request, urllib.error
url, directory = sys.argv[1], sys.argv[2]
context = ssl._create_unverified_context()
def call(path, data=None):
    request = urllib.request.Request(url + "/_double/" + path, data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            return answer.read().decode()
    except urllib.error.HTTPError as e:
        sys.exit("server_ctl %s: %d %s" % (path, e.code, e.read().decode()))
def show(value):
    print(value if isinstance(value, str) else json.dumps(value))
def state():
    s = json.loads(call("state"))
    try:
        with open(directory + "/requests.jsonl") as f:
            lines = f.readlines()
    except FileNotFoundError:
        lines = []
    # A line being appended right now is left for the next look.
    return s, [json.loads(line) for line in lines if line.endswith("\n")]
args = sys.argv[4:]
exec(sys.argv[3])
EOF
}

server_ctl() {
    server_py 'print(call(args[0], args[1].encode()))' "$@"
}

server_state() {
    server_py 's, r = state(); show(eval(args[0]))' "$1"
}

server_wait() {
    server_py '
import time
deadline = time.monotonic() + float(args[0])
while True:
    s, r = state()
    if eval(args[1]):
        break
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.2)' "$1" "$2"
}
