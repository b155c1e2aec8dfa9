#!/bin/sh
# artsig-update stopped (SIGTERM, SIGINT, SIGHUP) while an update module is
# in ArtifactInstall: the module's process group gets the signal and is gone
# (SIGKILL 10 s later when it ignores it), the failure path runs (rollback,
# ArtifactFailure, Cleanup) with the data dir still locked, and the client
# exits 128+signal. Killed (SIGKILL) inside ArtifactInstall, the next command
# runs Mender's failure path with the artifact's scripts: ArtifactRollback
# when the module has one, ArtifactFailure, Cleanup; a rollback that fails
# keeps the record and the work dir, for the next command to try again.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

UPD=${ARTSIG_UPDATE:-$BUILD/update/artsig-update}
command -v python3 >/dev/null || { bad "python3 is needed (scripts/deps.sh installs it)"; finish; exit; }

DEV=artsig-test-device
LOG=$T/states.log
TREE=$T/data/modules/v3/payloads/0000/tree
mkdir -p "$T/data" "$T/modules" "$T/scripts"
printf 'device_type=%s\n' "$DEV" >"$T/device_type"
printf '{"DeviceTypeFile":"%s","UpdateModulesDir":"%s"}\n' "$T/device_type" "$T/modules" \
    >"$T/mender.conf"
upd() { "$UPD" --config "$T/mender.conf" --data "$T/data" "$@"; }
# A background job of a script ignores SIGINT, and so would the client: it
# starts here with the three signals at their defaults, as from a terminal.
upd_bg() {
    python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$UPD" --config "$T/mender.conf" --data "$T/data" "$@" \
        >"$T/bg.out" 2>"$T/bg.err" &
    bg=$!
}

# probe logs each state. $T/hold: ArtifactInstall waits on a background
# child (a group member) and ArtifactFailure takes 2 s; $T/deaf: the wait
# ignores SIGTERM; $T/kill-STATE: SIGKILL to the client in STATE;
# $T/fail-STATE: STATE fails; $T/no-rollback: SupportsRollback says No.
cat >"$T/modules/probe" <<EOF
#!/bin/sh
echo "\$1" >>"$LOG"
[ -e "$T/fail-\$1" ] && exit 3
[ -e "$T/kill-\$1" ] && kill -9 \$PPID
case "\$1" in
    SupportsRollback) if [ -e "$T/no-rollback" ]; then echo No; else echo Yes; fi ;;
    NeedsArtifactReboot) echo No ;;
    ArtifactInstall)
        if [ -e "$T/hold" ]; then
            [ -e "$T/deaf" ] && trap '' TERM
            sleep 60 &
            echo \$! >"$T/grandchild.pid"
            echo \$\$ >"$T/module.pid"
            wait
        fi ;;
    ArtifactFailure) [ -e "$T/hold" ] && touch "$T/in-failure" && sleep 2 ;;
esac
exit 0
EOF
chmod +x "$T/modules/probe"
for s in ArtifactInstall_Error_00 ArtifactRollback_Enter_00 ArtifactRollback_Leave_00 \
    ArtifactFailure_Enter_00 ArtifactFailure_Leave_00; do
    printf '#!/bin/sh\necho %s >>"%s"\n' "${s%_00}" "$LOG" >"$T/scripts/$s"
done
echo payload >"$T/payload"
expect_exit 0 "artsig write" "$ARTSIG" write module-image -T probe -n probe-1 -t "$DEV" \
    -f "$T/payload" -o "$T/probe.mender" --no-progress
expect_exit 0 "artsig write, with scripts" "$ARTSIG" write module-image -T probe -n probe-2 \
    -t "$DEV" -f "$T/payload" -o "$T/scripts.mender" --no-progress \
    $(for s in "$T"/scripts/*; do printf -- '-s %s ' "$s"; done)

states() { tr '\n' ' ' <"$LOG" | sed 's/ $//'; }
expect_states() { # expect_states DESCRIPTION "STATE STATE ..."
    got=$(states)
    if [ "$got" = "$2" ]; then ok; else bad "$1: states [$got], want [$2]"; fi
    : >"$LOG"
}
# wait_for FILE: up to 10 s.
wait_for() {
    i=0
    while [ ! -e "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -e "$1" ]
}
# gone PID: no such process, or only a zombie, within 2 s.
gone() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; do
        [ $i -ge 20 ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
}
expect_ended_cleanly() { # expect_ended_cleanly DESCRIPTION: no record, no work dir
    expect_exit 2 "$1: nothing in progress afterwards" upd commit
    [ ! -e "$TREE" ] && ok || bad "$1: the module's work dir was left"
}

# ---- a stop signal during ArtifactInstall ----
touch "$T/hold"
for sig in TERM:15 INT:2 HUP:1; do
    name=${sig%:*} num=${sig#*:}
    rm -f "$T/module.pid" "$T/grandchild.pid" "$T/in-failure"
    : >"$LOG"
    upd_bg install "$T/probe.mender"
    if wait_for "$T/module.pid"; then ok; else bad "SIG$name: the module never reached ArtifactInstall"; fi
    kill -"$name" "$bg"
    # The failure path runs with the data dir locked: no other command now.
    if wait_for "$T/in-failure"; then
        expect_exit 1 "SIG$name: a command during the failure path" upd rollback
        contains "SIG$name: a command during the failure path" "$T/err" "another artsig-update"
    else
        bad "SIG$name: no ArtifactFailure"
    fi
    wait "$bg"
    rc=$?
    [ "$rc" -eq $((128 + num)) ] && ok || bad "SIG$name: exit $rc, want $((128 + num)): $(cat "$T/bg.err")"
    gone "$(cat "$T/module.pid")" && ok || bad "SIG$name: the module outlived the client"
    gone "$(cat "$T/grandchild.pid")" && ok || bad "SIG$name: the module's child outlived the client"
    expect_states "SIG$name in ArtifactInstall" \
        "Download SupportsRollback ArtifactInstall ArtifactRollback ArtifactFailure Cleanup"
    expect_ended_cleanly "SIG$name"
done

# A module that ignores the signal gets SIGKILL 10 s later.
touch "$T/deaf"
rm -f "$T/module.pid" "$T/in-failure"
upd_bg install "$T/probe.mender"
wait_for "$T/module.pid" && ok || bad "deaf module: never reached ArtifactInstall"
start=$(date +%s)
kill -TERM "$bg"
wait "$bg"
rc=$? took=$(($(date +%s) - start))
[ "$rc" -eq 143 ] && ok || bad "deaf module: exit $rc, want 143: $(cat "$T/bg.err")"
[ "$took" -ge 9 ] && [ "$took" -le 20 ] && ok || bad "deaf module: stopped after ${took}s, want 10"
gone "$(cat "$T/module.pid")" && ok || bad "deaf module: outlived the client"
gone "$(cat "$T/grandchild.pid")" && ok || bad "deaf module: its child outlived the client"
expect_ended_cleanly "deaf module"
rm -f "$T/hold" "$T/deaf"

# ---- SIGKILL inside ArtifactInstall: the next command's recovery ----
touch "$T/kill-ArtifactInstall"
expect_exit 137 "killed in ArtifactInstall, with rollback" upd install "$T/scripts.mender"
rm "$T/kill-ArtifactInstall"
: >"$LOG"
expect_exit 2 "with rollback: the next command" upd rollback
expect_states "with rollback: recovery" "ArtifactInstall_Error ArtifactRollback_Enter \
ArtifactRollback ArtifactRollback_Leave ArtifactFailure_Enter ArtifactFailure \
ArtifactFailure_Leave Cleanup"
expect_ended_cleanly "with rollback"

touch "$T/kill-ArtifactInstall" "$T/no-rollback"
expect_exit 137 "killed in ArtifactInstall, no rollback" upd install "$T/scripts.mender"
rm "$T/kill-ArtifactInstall"
: >"$LOG"
expect_exit 2 "no rollback: the next command" upd rollback
expect_states "no rollback: recovery" \
    "ArtifactInstall_Error ArtifactFailure_Enter ArtifactFailure ArtifactFailure_Leave Cleanup"
expect_ended_cleanly "no rollback"
rm "$T/no-rollback"

# A rollback that fails in recovery keeps the record: the user's rollback
# does not hear "no update in progress", and a later one finishes it.
touch "$T/kill-ArtifactInstall"
expect_exit 137 "killed in ArtifactInstall, rollback failing" upd install "$T/scripts.mender"
rm "$T/kill-ArtifactInstall"
touch "$T/fail-ArtifactRollback"
: >"$LOG"
expect_exit 1 "rollback failing in recovery" upd rollback
contains "rollback failing in recovery" "$T/err" "failed in ArtifactRollback"
[ -e "$T/data/update.json" ] && ok || bad "rollback failing in recovery: the record was dropped"
[ -d "$TREE" ] && ok || bad "rollback failing in recovery: the work dir was removed"
expect_states "rollback failing in recovery" \
    "ArtifactInstall_Error ArtifactRollback_Enter ArtifactRollback"
expect_exit 1 "install while that is pending" upd install "$T/probe.mender"
: >"$LOG"
rm "$T/fail-ArtifactRollback"
expect_exit 2 "rollback, tried again" upd rollback
expect_states "rollback, tried again" "ArtifactInstall_Error ArtifactRollback_Enter \
ArtifactRollback ArtifactRollback_Leave ArtifactFailure_Enter ArtifactFailure \
ArtifactFailure_Leave Cleanup"
expect_ended_cleanly "rollback, tried again"
expect_exit 0 "show-artifact" upd show-artifact
[ "$(cat "$T/out")" = unknown ] && ok || bad "show-artifact after recovery: $(cat "$T/out")"

finish
