#!/bin/sh
# artsig-update daemon and check-update against the Mender-server double
# (tests/mender_server.py) on a simulated device (tests/update_lib.sh: two
# partition files, a BootEnvFile, a data dir). A signed single-file module
# update ends in downloading, installing, success and an inventory with the
# new artifact_name; a rootfs-image update goes through the reboot cycle (the
# reboot command writes a marker; the test then kills the daemon as a reboot
# would and starts it again): commit -> success, or the bootloader back on the
# old partition -> failure with a log saying so. A wrong key, an unsigned
# artifact, a tampered payload and a wrong device type end in failure with a
# log naming the reason, nothing installed, and so does an artifact whose name
# is not the deployment's (as 3.4); an installed name in
# already-installed. A 409 rolls back what was installed and silences the
# deployment; a 401 re-authenticates and repeats the request; a cut download
# resumes with Range; a server in trouble is retried at
# RetryPollIntervalSeconds, RetryPollCount times; a server down (connection
# refused) makes check-update fail in one line and the daemon retry each
# second until the double is back on its port, and poll it. SIGTERM mid-download exits
# 143 and the next start reports the failure and why. SIGKILL at random points of
# rootfs deployments, then a restart: exactly one final status each, and the
# boot env points at a complete image. The CLI commits what the daemon
# installed, and the daemon reports it. https downloads honour SkipVerify and
# present the HttpsClient certificate (as 3.4's); an untrusted storage host
# fails the deployment with the TLS reason in the log.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"
require_python3
. "$SRC/tests/server_lib.sh"

KEY=$T/key
KEYS_JSON="\"ArtifactVerifyKey\":\"$KEY.pub\","
"$ARTSIG" keygen --type ecdsa-p256 -o "$KEY" -p "$KEY.pub" >/dev/null
"$ARTSIG" keygen --type ecdsa-p256 -o "$T/other.key" -p "$T/other.pub" >/dev/null
DEBIAN_MODULES=/usr/share/mender/modules/v3

# The image starts with a marker, so that a byte of the payload can be flipped.
printf 'FLIPME' >"$T/img"
head -c 300000 /dev/urandom >>"$T/img"
rootfs_art() { # rootfs_art NAME [artsig write options]: a rootfs-image of $T/img
    name=$1
    shift
    "$ARTSIG" write rootfs-image -f "$T/img" -t sim -n "$name" -o "$T/$name.mender" \
        --no-progress "$@" >/dev/null || bad "artsig write $name $*"
}
for n in rel-2 rel-3 rel-4 cut-1 abort-2 cli-2; do rootfs_art "$n" -k "$KEY"; done
rootfs_art wrongkey -k "$T/other.key"
rootfs_art unsigned
rootfs_art tampered -k "$KEY" --compression none
python3 - "$T/tampered.mender" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
assert data.count(b"FLIPME") == 1
open(sys.argv[1], "wb").write(data.replace(b"FLIPME", b"FLIPMF"))
EOF
"$ARTSIG" write rootfs-image -f "$T/img" -t other -n othertype -o "$T/othertype.mender" \
    -k "$KEY" --no-progress >/dev/null || bad "artsig write othertype"

# The device: identity, inventory, the reboot command and a mender.conf that
# talks to the double every second. The reboot command gives the boot a new
# id (ArtsigBootIdFile) and writes a marker, and the test plays the rest of
# the reboot (SIGKILL); with $T/reboot.kill present it is a kill just before
# the reboot instead: the daemon dies, the boot id stays; with $T/reboot.slow
# present it takes 30 s, time for a stop signal.
cat /proc/sys/kernel/random/uuid >"$T/boot_id"
cat >"$T/reboot.sh" <<EOF
#!/bin/sh
echo ran >>"$T/reboot.runs"
if [ -e "$T/reboot.slow" ]; then sleep 30; fi
if [ -e "$T/reboot.kill" ]; then
    rm -f "$T/reboot.kill"
    kill -KILL "\$(cat "$T/daemon.pid")"
    exit 0
fi
cat /proc/sys/kernel/random/uuid >"$T/boot_id"
touch "$T/rebooted"
EOF
chmod +x "$T/reboot.sh"
mkdir -p "$T/inventory"
printf '#!/bin/sh\necho mac=02:00:00:00:00:01\n' >"$T/identity"
printf '#!/bin/sh\necho hostname=testdev\n' >"$T/inventory/mender-inventory-test"
chmod +x "$T/identity" "$T/inventory/mender-inventory-test"
daemon_conf() { # daemon_conf [,"Option":VALUE...]; UpdatePollIntervalSeconds $POLL_S or 1,
    # ArtsigBootIdFile $BOOT_ID_FILE or $T/boot_id
    printf '{%s"DeviceTypeFile":"%s","RootfsPartA":"%s","RootfsPartB":"%s","BootEnvFile":"%s",
 "UpdateModulesDir":"%s","ServerURL":"%s","UpdatePollIntervalSeconds":%s,
 "InventoryPollIntervalSeconds":2,"RetryPollIntervalSeconds":1,"ArtsigAuthKeyType":"ed25519",
 "ArtsigIdentityScript":"%s","ArtsigInventoryDir":"%s",
 "ArtsigRebootCommand":"%s/reboot.sh","ArtsigBootIdFile":"%s"%s}\n' "$KEYS_JSON" \
        "$DEV/device_type" "$PA" "$PB" "$ENV" "$MODULES" "$SERVER_URL" "${POLL_S:-1}" \
        "$T/identity" "$T/inventory" "$T" "${BOOT_ID_FILE:-$T/boot_id}" "${1:-}" >"$DEV/mender.conf"
}
sim_device() {
    new_device sim "$KEYS_JSON"
    ln -s "$DEBIAN_MODULES/single-file" "$MODULES/"
    daemon_conf "$@"
    cp "$PA" "$T/pa.orig"
}

server_start "$T/srv" || { finish; exit; }
offer() { # offer ID ARTIFACT_FILE NAME [DEVICE_TYPES_JSON]
    server_ctl deployment "{\"id\":\"$1\",\"artifact\":\"$2\",\"artifact_name\":\"$3\",
        \"device_types_compatible\":${4:-[\"sim\"]}}" >/dev/null || bad "offering $1"
}
statuses() { server_state "s['deployments']['$1']['statuses']"; }
expect_statuses() { # expect_statuses DEPLOYMENT JSON_LIST
    got=$(statuses "$1")
    if [ "$got" = "$2" ]; then ok; else bad "$1: statuses $got, want $2"; fi
}
expect_log() { # expect_log DEPLOYMENT TEXT: its uploaded log has TEXT
    server_state "' '.join(m['message'] for l in s['deployments']['$1']['logs'] for m in l)" \
        >"$T/log"
    contains "$1: log upload" "$T/log" "$2"
}
wait_for() { # wait_for DESCRIPTION SECONDS EXPR
    server_wait "$2" "$3" || bad "$1: timed out waiting for $3"
}
final_of() { echo "s['deployments']['$1']['statuses'][-1:] in (['success'], ['failure'])"; }

DPID=
daemon_start() {
    rm -f "$T/rebooted"
    "$UPD" --config "$DEV/mender.conf" --data "$DATA" daemon 2>>"$T/daemon.err" &
    DPID=$!
    echo "$DPID" >"$T/daemon.pid"
    STOP_AT_EXIT="$STOP_AT_EXIT $DPID"
}
daemon_stop() { # daemon_stop [SIGNAL]: the exit status of the daemon in $DRC
    kill -"${1:-TERM}" "$DPID" 2>/dev/null
    { wait "$DPID"; } 2>/dev/null
    DRC=$?
}
wait_reboot_started() { # the reboot command began (it may still run)
    i=0
    while [ ! -s "$T/reboot.runs" ] && [ $i -lt 300 ]; do sleep 0.1 && i=$((i + 1)); done
}
wait_reboot() { # wait_reboot DESCRIPTION [SECONDS]: the reboot command ran: play the
    # reboot (SIGKILL), SECONDS (default 0) later
    i=0
    while [ ! -e "$T/rebooted" ] && [ $i -lt 300 ]; do sleep 0.1 && i=$((i + 1)); done
    if [ -e "$T/rebooted" ]; then ok; else bad "$1: the reboot command did not run"; fi
    sleep "${2:-0}"
    daemon_stop KILL
}

echo "== a module update: statuses and inventory"
sim_device
printf '%s' "$T/dest" >"$T/dest_dir" && printf 'app.conf' >"$T/filename"
printf 'version 2\n' >"$T/app.conf" && mkdir -p "$T/dest"
"$ARTSIG" write module-image -T single-file -n mod-2 -t sim -o "$T/mod-2.mender" -k "$KEY" \
    --no-progress -f "$T/dest_dir" -f "$T/filename" -f "$T/app.conf" >/dev/null ||
    bad "artsig write mod-2"
offer d-mod "$T/mod-2.mender" mod-2
daemon_start
wait_for "module" 30 "$(final_of d-mod)"
wait_for "inventory after the update" 10 \
    "any(a['name'] == 'artifact_name' and a['value'] == 'mod-2' for a in (s['inventory'] or []))"
daemon_stop
if [ "$DRC" -eq 143 ]; then ok; else bad "daemon stopped by SIGTERM: exit $DRC, want 143"; fi
expect_statuses d-mod '["downloading", "installing", "success"]'
if cmp -s "$T/app.conf" "$T/dest/app.conf"; then ok; else bad "the module did not install app.conf"; fi
expect_provides "module" artifact_name=mod-2
server_state "[a['value'] for a in s['inventory'] if a['name'] == 'hostname']" >"$T/inv"
contains "inventory script" "$T/inv" testdev
if [ -e "$DATA/deployment.json" ]; then bad "module: deployment record left"; else ok; fi

echo "== refusals: failure, a log naming the reason, nothing installed"
refused() { # refused ID ARTIFACT_FILE REASON [DEVICE_TYPES_JSON]
    sim_device
    save_device
    offer "$1" "$2" "$1" "${4:-}"
    expect_exit 1 "check-update $1" upd check-update
    expect_statuses "$1" '["downloading", "failure"]'
    expect_log "$1" "$3"
    expect_device_kept "$1"
    if [ -e "$DATA/deployment.json" ]; then bad "$1: deployment record left"; else ok; fi
}
refused wrongkey "$T/wrongkey.mender" "signature does not verify: tried 1 key"
refused unsigned "$T/unsigned.mender" "artifact is not signed"
refused tampered "$T/tampered.mender" "digest"
refused othertype "$T/othertype.mender" "is for device types other; this device is sim"
refused deptype "$T/rel-2.mender" "deployment deptype is for device types other, beagle" \
    '["other", "beagle"]'
refused misnamed "$T/rel-2.mender" \
    "deployment misnamed names the artifact misnamed, but the artifact is rel-2"

echo "== the log upload refused: next time only the log, the failure not sent again"
sim_device
offer d-logfail "$T/othertype.mender" othertype
server_ctl fault '{"route": "log", "status": 500}' >/dev/null
expect_exit 1 "check-update, the log refused" upd check-update
if [ -e "$DATA/deployment.json" ]; then ok; else bad "the log refused: nothing left to send it again"; fi
expect_exit 0 "check-update, the log again" upd check-update
expect_statuses d-logfail '["downloading", "failure"]'
n=$(server_state "len([x for x in r if x['route'] == 'status' and x['deployment'] == 'd-logfail'])")
if [ "$n" = 2 ]; then ok; else bad "the log refused: $n status requests, want 2"; fi
expect_log d-logfail "is for device types other; this device is sim"
if [ -e "$DATA/deployment.json" ]; then bad "the log sent: deployment record left"; else ok; fi

echo "== check-update sends the inventory after an update"
sim_device
offer d-modcu "$T/mod-2.mender" mod-2
expect_exit 0 "check-update of a module update" upd check-update
expect_statuses d-modcu '["downloading", "installing", "success"]'
after=$(server_state "[i for i, x in enumerate(r) if x['route'] == 'inventory'][-1:] > [i for i, x in enumerate(r) if x['deployment'] == 'd-modcu']")
if [ "$after" = true ]; then ok; else bad "check-update: no inventory after the success"; fi
server_state "[a['value'] for a in s['inventory'] or [] if a['name'] == 'artifact_name']" >"$T/inv"
if [ "$(cat "$T/inv")" = '["mod-2"]' ]; then ok; else
    bad "check-update: inventory artifact_name $(cat "$T/inv"), want mod-2"; fi

echo "== a deployment record that does not parse: moved aside, the client carries on"
sim_device
printf '{"id": ' >"$DATA/deployment.json"
expect_exit 0 "check-update over a broken record" upd check-update
contains "broken record: said" "$T/err" \
    "$DATA/deployment.json: not a valid record of a deployment; moved aside to $DATA/deployment.json.bad"
if [ "$(cat "$DATA/deployment.json.bad")" = '{"id": ' ]; then ok; else bad "broken record: not kept aside"; fi
if [ -e "$DATA/deployment.json" ]; then bad "broken record: still in place"; else ok; fi
expect_exit 0 "check-update after the broken record" upd check-update
lacks "broken record: said once" "$T/err" "not a valid record"

echo "== already installed"
sim_device
offer d-same "$T/rel-2.mender" rel-1
expect_exit 0 "check-update rel-1 again" upd check-update
expect_statuses d-same '["already-installed"]'

echo "== rootfs through the reboot cycle: commit -> success"
sim_device
offer d-root "$T/rel-2.mender" rel-2
daemon_start
wait_reboot "rel-2"
expect_statuses d-root '["downloading", "installing", "rebooting"]'
expect_env "rebooting into p3" mender_boot_part 3
expect_env "on trial" upgrade_available 1
daemon_start
wait_for "rel-2 success" 30 "$(final_of d-root)"
wait_for "inventory with rel-2" 10 \
    "any(a['name'] == 'artifact_name' and a['value'] == 'rel-2' for a in (s['inventory'] or []))"
daemon_stop
expect_statuses d-root '["downloading", "installing", "rebooting", "success"]'
expect_env "committed" upgrade_available 0
expect_provides "rel-2" artifact_name=rel-2
if cmp -s "$T/img" "$PB"; then ok; else bad "p3 does not hold the image"; fi

echo "== rootfs: the bootloader goes back -> failure"
offer d-back "$T/rel-3.mender" rel-3
daemon_start
wait_reboot "rel-3"
expect_env "rebooting into p2" mender_boot_part 2
# The new system did not come up: the bootloader went back to p3.
printf 'bootcmd=run mender_setup\nmender_boot_part=3\nmender_boot_part_hex=3\nupgrade_available=0\nbootcount=1\n' >"$ENV"
daemon_start
wait_for "rel-3 failure" 30 "$(final_of d-back)"
daemon_stop
expect_statuses d-back '["downloading", "installing", "rebooting", "failure"]'
expect_log d-back "points at the previous partition again"
expect_provides "still rel-2" artifact_name=rel-2
if [ -e "$DATA/update.json" ]; then bad "fallback: update still recorded"; else ok; fi

echo "== killed after recording rebooting, before the reboot: the restart reboots again"
sim_device
offer d-noboot "$T/rel-4.mender" rel-4
touch "$T/reboot.kill"
rm -f "$T/reboot.runs"
daemon_start
wait_reboot_started
daemon_stop KILL
expect_statuses d-noboot '["downloading", "installing", "rebooting"]'
daemon_start
# A slow reboot: the daemon, which polls each second, must only wait for it.
wait_reboot "rel-4, the reboot command again" 2.5
if [ "$(wc -l <"$T/reboot.runs")" -eq 2 ]; then ok; else
    bad "the reboot command ran $(wc -l <"$T/reboot.runs") times, want 2"; fi
expect_statuses d-noboot '["downloading", "installing", "rebooting"]'
expect_env "not committed without a reboot" upgrade_available 1
expect_provides "not committed without a reboot" artifact_name=rel-1
daemon_start
wait_for "rel-4 success after the reboot" 30 "$(final_of d-noboot)"
daemon_stop
expect_statuses d-noboot '["downloading", "installing", "rebooting", "success"]'
expect_env "committed after the reboot" upgrade_available 0
expect_provides "rel-4" artifact_name=rel-4

echo "== rebooting taken only on a later try after a restart: the reboot again, no new deployment"
sim_device
rootfs_art guard-2 -k "$KEY"
offer d-guard "$T/guard-2.mender" guard-2
server_ctl fault '{"route": "status", "status": 500, "skip": 2, "times": 2}' >/dev/null
touch "$T/reboot.kill"
rm -f "$T/reboot.runs"
daemon_start
wait_reboot_started
daemon_stop KILL
daemon_start
wait_reboot "guard-2, the reboot command again" 2.5
expect_statuses d-guard '["downloading", "installing", "rebooting"]'
expect_env "guard-2 still on trial" upgrade_available 1
daemon_start
wait_for "guard-2 success after the reboot" 30 "$(final_of d-guard)"
daemon_stop
expect_statuses d-guard '["downloading", "installing", "rebooting", "success"]'

echo "== an unreadable boot id: no reboot (a restart could not tell), rolled back, failure"
BOOT_ID_FILE=$T/no-boot-id sim_device
save_device
offer d-noid "$T/rel-3.mender" rel-3
expect_exit 1 "check-update without a boot id" upd check-update
if [ -e "$T/rebooted" ]; then bad "rebooted without a boot id"; else ok; fi
expect_statuses d-noid '["downloading", "installing", "failure"]'
expect_log d-noid "boot id $T/no-boot-id: No such file or directory; not rebooting into rel-3"
expect_env "no boot id: rolled back" mender_boot_part 2
expect_env "no boot id: not on trial" upgrade_available 0
expect_same "no boot id: provides" "$DATA/provides" "$T/provides.saved"
if [ -e "$DATA/update.json" ]; then bad "no boot id: update still recorded"; else ok; fi

echo "== SIGTERM while the reboot command runs: the reboot is under way, committed after it"
sim_device
offer d-slowboot "$T/rel-3.mender" rel-3
touch "$T/reboot.slow"
rm -f "$T/reboot.runs"
daemon_start
wait_reboot_started
daemon_stop TERM
rm -f "$T/reboot.slow"
if [ "$DRC" -eq 143 ]; then ok; else bad "SIGTERM in the reboot command: exit $DRC, want 143"; fi
expect_statuses d-slowboot '["downloading", "installing", "rebooting"]'
expect_env "SIGTERM in the reboot command: still into p3" mender_boot_part 3
expect_env "SIGTERM in the reboot command: on trial" upgrade_available 1
cat /proc/sys/kernel/random/uuid >"$T/boot_id" # the reboot
daemon_start
wait_for "d-slowboot success after the reboot" 30 "$(final_of d-slowboot)"
daemon_stop
expect_statuses d-slowboot '["downloading", "installing", "rebooting", "success"]'
expect_provides "rel-3 after a slow reboot" artifact_name=rel-3

echo "== 409 on installing: nothing more reported"
sim_device
save_device
offer d-409 "$T/abort-2.mender" abort-2
server_ctl fault '{"route": "status", "status": 409, "skip": 1}' >/dev/null
expect_exit 1 "check-update aborted" upd check-update
server_state "[x['body']['status'] for x in r if x['route'] == 'status' and x['deployment'] == 'd-409']" \
    >"$T/sent"
if [ "$(cat "$T/sent")" = '["downloading", "installing"]' ]; then ok; else
    bad "409 on installing: sent $(cat "$T/sent")"; fi
expect_device_kept "aborted before activation"
server_ctl abort '{"id": "d-409"}' >/dev/null

echo "== 409 on rebooting: the activated update is rolled back"
sim_device
save_device
offer d-409b "$T/abort-2.mender" abort-2
server_ctl fault '{"route": "status", "status": 409, "skip": 2}' >/dev/null
expect_exit 1 "check-update aborted at rebooting" upd check-update
if [ -e "$T/rebooted" ]; then bad "rebooted after a 409"; else ok; fi
expect_env "rolled back" mender_boot_part 2
expect_same "provides after the abort" "$DATA/provides" "$T/provides.saved"
if [ -e "$DATA/update.json" ]; then bad "409: update still recorded"; else ok; fi
server_ctl abort '{"id": "d-409b"}' >/dev/null
n=$(server_state "len([x for x in r if x['route'] == 'status' and x['deployment'] == 'd-409b'])")
if [ "$n" = 3 ]; then ok; else bad "409 on rebooting: $n status requests, want 3"; fi

echo "== 409 once the new system runs: rolled back, and a reboot into the previous one"
sim_device
save_device
offer d-409c "$T/abort-2.mender" abort-2
# "rebooting" is not taken: the reboot goes ahead, the status is owed.
server_ctl fault '{"route": "status", "status": 500, "skip": 2}' >/dev/null
rm -f "$T/reboot.runs"
expect_exit 4 "check-update, rebooting not taken" upd check-update
expect_env "the new system boots next" mender_boot_part 3
server_ctl abort '{"id": "d-409c"}' >/dev/null
expect_exit 4 "check-update after the reboot, aborted: the reboot command ran" upd check-update
expect_env "rolled back after the reboot" mender_boot_part 2
expect_same "provides after the abort after the reboot" "$DATA/provides" "$T/provides.saved"
if [ "$(wc -l <"$T/reboot.runs")" -eq 2 ]; then ok; else
    bad "409 once the new system runs: the reboot command ran $(wc -l <"$T/reboot.runs") times, want 2"; fi
contains "409 once the new system runs: said" "$T/err" "rebooting into the previous system"
if [ -e "$DATA/deployment.json" ] || [ -e "$DATA/update.json" ]; then bad "409 after the reboot: state left"; else ok; fi

echo "== installing not taken (500): sent once, nothing activated, the deployment offered again"
sim_device
save_device
offer d-500 "$T/rel-2.mender" rel-2
server_ctl fault '{"route": "status", "status": 500, "skip": 1}' >/dev/null
expect_exit 1 "check-update, installing refused" upd check-update
contains "installing refused: said" "$T/err" "the server could not be told installing; it is tried again later"
sent_d500() { server_state "[x['body']['status'] for x in r if x['route'] == 'status' and x['deployment'] == 'd-500']"; }
if [ "$(sent_d500)" = '["downloading", "installing"]' ]; then ok; else
    bad "installing refused: sent $(sent_d500), want it once"; fi
expect_device_kept "installing refused"
if [ -e "$DATA/deployment.json" ]; then bad "installing refused: deployment record left"; else ok; fi
expect_exit 4 "check-update, the deployment again" upd check-update
if [ "$(sent_d500)" = '["downloading", "installing", "downloading", "installing", "rebooting"]' ]; then
    ok; else bad "installing refused, then again: sent $(sent_d500)"; fi
expect_exit 0 "check-update after the reboot" upd check-update
expect_statuses d-500 '["downloading", "downloading", "installing", "rebooting", "success"]'

echo "== 401 mid-deployment: authenticate again, the same request again"
sim_device
offer d-401 "$T/rel-4.mender" rel-4
server_ctl fault '{"route": "status", "status": 401, "skip": 1}' >/dev/null
expect_exit 4 "check-update through a 401" upd check-update
server_state "[(x['route'], x['status'], (x['body'] or {}).get('status') if isinstance(x['body'], dict) else None) for x in r if x['route'] in ('auth', 'status') and (x['deployment'] in (None, 'd-401'))][-4:]" >"$T/seq"
if [ "$(cat "$T/seq")" = '[["status", 401, "installing"], ["auth", 200, null], ["status", 204, "installing"], ["status", 204, "rebooting"]]' ]; then
    ok; else bad "401: requests $(cat "$T/seq")"; fi
expect_exit 0 "check-update after the reboot" upd check-update
expect_statuses d-401 '["downloading", "installing", "rebooting", "success"]'

echo "== a cut download resumes with Range"
sim_device
offer d-cut "$T/cut-1.mender" cut-1
server_ctl fault '{"route": "download", "cut_after": 100000}' >/dev/null
expect_exit 4 "check-update with a cut download" upd check-update
server_state "[x['range'] for x in r if x['route'] == 'download' and x['deployment'] == 'd-cut']" \
    >"$T/ranges"
contains "resumed with Range" "$T/ranges" '"bytes=1'
if cmp -s "$T/img" "$PB"; then ok; else bad "cut download: p3 does not hold the image"; fi
expect_exit 0 "check-update after the reboot" upd check-update
expect_statuses d-cut '["downloading", "installing", "rebooting", "success"]'

echo "== a server in trouble: retried every RetryPollIntervalSeconds, RetryPollCount times"
POLL_S=60 sim_device ',"RetryPollCount":3'
server_ctl fault '{"route": "next_v2", "status": 503, "times": -1}' >/dev/null
before=$(server_state "len([x for x in r if x['route'] == 'next_v2'])")
daemon_start
sleep 0.5
n1=$(server_state "len([x for x in r if x['route'] == 'next_v2'])")
sleep 5
n2=$(server_state "len([x for x in r if x['route'] == 'next_v2'])")
daemon_stop
if [ $((n1 - before)) -eq 1 ]; then ok; else bad "503: $((n1 - before)) polls in 0.5 s, want 1"; fi
if [ $((n2 - before)) -eq 3 ]; then ok; else bad "503: $((n2 - before)) polls in 5.5 s, want 3"; fi
server_stop # and a fresh one, without the fault
server_start "$T/srv" || { finish; exit; }

echo "== daemon and CLI: the CLI commits, the daemon reports success"
sim_device
offer d-cli "$T/cli-2.mender" cli-2
daemon_start
wait_reboot "cli-2"
expect_exit 0 "artsig-update commit" upd commit
daemon_start
wait_for "cli-2 success" 30 "$(final_of d-cli)"
daemon_stop
expect_statuses d-cli '["downloading", "installing", "rebooting", "success"]'
expect_provides "cli-2" artifact_name=cli-2
offer d-clirb "$T/rel-3.mender" rel-3
daemon_start
wait_reboot "rel-3 for the CLI's rollback"
expect_exit 0 "artsig-update rollback" upd rollback
daemon_start
wait_for "rolled back: failure" 30 "$(final_of d-clirb)"
daemon_stop
expect_statuses d-clirb '["downloading", "installing", "rebooting", "failure"]'
expect_log d-clirb "the update to rel-3 was rolled back before it was committed"
expect_provides "still cli-2" artifact_name=cli-2

echo "== an update the CLI installed is pending: a deployment fails, saying so"
sim_device
expect_exit 0 "CLI install" upd install "$T/rel-3.mender"
offer d-pend "$T/rel-4.mender" rel-4
expect_exit 1 "check-update over a pending update" upd check-update
expect_statuses d-pend '["downloading", "failure"]'
expect_log d-pend "the update to rel-3 is still in progress"
expect_exit 0 "the CLI commits its own update" upd commit
expect_provides "rel-3" artifact_name=rel-3

echo "== SIGTERM mid-download: exit 143, the next start reports the failure and why"
sim_device
save_device
offer d-term "$T/rel-4.mender" rel-4
server_ctl fault '{"route": "download", "delay": 2}' >/dev/null
daemon_start
wait_for "downloading" 10 "s['deployments']['d-term']['statuses'] == ['downloading']"
daemon_stop TERM
if [ "$DRC" -eq 143 ]; then ok; else bad "SIGTERM mid-download: exit $DRC, want 143"; fi
expect_statuses d-term '["downloading"]'
daemon_start
wait_for "d-term failure" 30 "$(final_of d-term)"
daemon_stop
expect_statuses d-term '["downloading", "failure"]'
expect_log d-term "stopped by signal 15"
expect_device_kept "stopped mid-download"

echo "== SIGKILL at random points, then a restart: one final status, a complete image"
sim_device
for i in 1 2 3 4 5 6 7 8 9 10; do
    rootfs_art "kill-$i" -k "$KEY"
    offer "d-kill-$i" "$T/kill-$i.mender" "kill-$i"
    daemon_start
    sleep "$(python3 -c 'import random; print(random.uniform(0, 1.5))')"
    daemon_stop KILL
    # The restarts: until the deployment has its final status, each reboot
    # (the marker) played by a SIGKILL.
    tries=0
    while [ $tries -lt 4 ] && [ "$(server_state "$(final_of "d-kill-$i")")" != true ]; do
        daemon_start
        waited=0
        while [ ! -e "$T/rebooted" ] && [ $waited -lt 60 ] &&
            [ "$(server_state "$(final_of "d-kill-$i")")" != true ]; do
            sleep 0.25 && waited=$((waited + 1))
        done
        if [ -e "$T/rebooted" ]; then daemon_stop KILL; else daemon_stop; fi
        tries=$((tries + 1))
    done
    finals=$(server_state "sorted(set(x for x in s['deployments']['d-kill-$i']['statuses'] if x in ('success', 'failure')))")
    case $finals in
    '["success"]' | '["failure"]') ok ;;
    *) bad "d-kill-$i: final statuses $finals ($(statuses "d-kill-$i"))" ;;
    esac
    part=$(env_of mender_boot_part)
    name=$(upd show-artifact)
    case $name in
    rel-1) want=$T/pa.orig ;;
    kill-*) want=$T/img ;;
    *) bad "d-kill-$i: installed $name" want=/dev/null ;;
    esac
    if cmp -s "$want" "$DEV/mmcblk0p$part"; then ok; else
        bad "d-kill-$i: p$part (booted) is not the image of $name"; fi
    if [ -e "$DATA/update.json" ] || [ -e "$DATA/deployment.json" ]; then
        bad "d-kill-$i: state left: $(ls "$DATA")"; else ok; fi
done

echo "== the server down: one line from check-update; the daemon retries every second until it is back"
port=${SERVER_URL##*:}
server_stop
POLL_S=60 sim_device ',"RetryPollCount":100'
expect_exit 1 "check-update, the server down" upd check-update
# (the device key, made now, is an info line)
n=$(grep -vc "^artsig-update: info: " "$T/err")
if [ "$n" -eq 1 ]; then ok; else bad "check-update, the server down: $n lines: $(cat "$T/err")"; fi
contains "the server down: why" "$T/err" "Couldn't connect to server"
: >"$T/daemon.err"
daemon_start
sleep 4.5
# Each try: one poll and one inventory, both refused at once.
tries=$(grep -c "Couldn't connect" "$T/daemon.err")
if [ "$tries" -ge 6 ] && [ "$tries" -le 12 ]; then ok; else
    bad "the server down: $tries failed calls in 4.5 s, want 6 to 12 (each second)"; fi
server_start "$T/srv-back" --port "$port" || { finish; exit; }
# A poll within the retry interval; no deployment is offered, since one
# offered after the start could come after that poll, 60 s too late.
wait_for "a poll once the server is back" 5 "any(x['route'] == 'next_v1_post' for x in r)"
daemon_stop
server_stop

echo "== https downloads: SkipVerify and the client certificate apply to them too"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=device -keyout "$T/client.key" -out "$T/client.crt" 2>/dev/null ||
    bad "openssl req: no certificates"
server_stop
server_start "$T/tls-srv" --tls "$T/tls.crt" "$T/tls.key" || { finish; exit; }
sim_device ',"SkipVerify":true'
offer d-tls "$T/mod-2.mender" mod-2
expect_exit 0 "check-update over https with SkipVerify" upd check-update
expect_statuses d-tls '["downloading", "installing", "success"]'
server_stop
# A storage host that wants a client certificate (openssl s_server), while
# the API is plain http: only the download meets TLS.
(cd "$T" && exec openssl s_server -accept 127.0.0.1:0 -cert tls.crt -key tls.key -Verify 1 \
    -verify_return_error -CAfile client.crt -WWW >"$T/s_server.out" 2>&1) &
STOP_AT_EXIT="$STOP_AT_EXIT $!"
i=0
while ! grep -q '^ACCEPT' "$T/s_server.out" && [ $i -lt 100 ]; do sleep 0.1 && i=$((i + 1)); done
STORE=https://localhost:$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$T/s_server.out")
server_start "$T/srv-store" || { finish; exit; }
tls_refused() { # tls_refused ID REASON [,"Option":VALUE...]
    sim_device "${3:-}"
    save_device
    server_ctl deployment "{\"id\":\"$1\",\"artifact\":\"$T/rel-2.mender\",
        \"artifact_name\":\"rel-2\",\"device_types_compatible\":[\"sim\"],
        \"uri\":\"$STORE/rel-2.mender\"}" >/dev/null || bad "offering $1"
    expect_exit 1 "check-update $1" upd check-update
    expect_statuses "$1" '["downloading", "failure"]'
    expect_log "$1" "$2"
    expect_device_kept "$1"
}
tls_refused d-untrusted "download failed: SSL certificate problem: self-signed certificate"
tls_refused d-nocert "download failed: " ',"SkipVerify":true'
server_state "s['deployments']['d-nocert']['logs'][0][-1]['message']" >"$T/msg"
if [ "$(wc -l <"$T/msg")" -eq 1 ] && ! grep -q "certificate problem" "$T/msg"; then ok; else
    bad "no client certificate: $(cat "$T/msg")"; fi
sim_device ",\"SkipVerify\":true,\"HttpsClient\":{\"Certificate\":\"$T/client.crt\",\"Key\":\"$T/client.key\"}"
server_ctl deployment "{\"id\":\"d-mtls\",\"artifact\":\"$T/rel-2.mender\",
    \"artifact_name\":\"rel-2\",\"device_types_compatible\":[\"sim\"],
    \"uri\":\"$STORE/rel-2.mender\"}" >/dev/null || bad "offering d-mtls"
expect_exit 4 "check-update: the client certificate shown to the storage host" upd check-update
expect_exit 0 "check-update after the reboot" upd check-update
expect_statuses d-mtls '["downloading", "installing", "rebooting", "success"]'
sim_device ",\"SkipVerify\":true,\"HttpsClient\":{\"Certificate\":\"$T/client.crt\",\"Key\":\"$T/client.key\"}"
expect_exit 0 "the CLI's URL install, with SkipVerify and the client certificate" \
    upd install "$STORE/rel-2.mender"
server_stop

echo "== depends, the v1 GET fallback, answers the client must refuse, slow answers"
server_start "$T/srv-more" || { finish; exit; }
# An artifact for another installed release: its own reason in the log.
rootfs_art needs-rel-9 -k "$KEY" -N rel-9
refused depends "$T/needs-rel-9.mender" "depends on artifact_name being one of rel-9; this device has rel-1"
# A server with neither v2 nor v1 POST: the deployment comes from v1 GET,
# with the device's facts in the query; the download carries no token.
sim_device
offer d-get "$T/rel-2.mender" rel-2
server_ctl fault '{"route": "next_v1_post", "status": 404, "times": -1}' >/dev/null
expect_exit 4 "check-update through v1 GET" upd check-update
server_state "[x['query'] for x in r if x['route'] == 'next_v1_get'][-1]" >"$T/query"
contains "v1 GET query" "$T/query" '"artifact_name": "rel-1"'
contains "v1 GET query" "$T/query" '"device_type": "sim"'
expect_statuses d-get '["downloading", "installing", "rebooting"]'
server_state "[x['authorization'] for x in r if x['route'] == 'download']" >"$T/auth"
if grep -qv '^\[\(null, \)*null\]$' "$T/auth"; then bad "a download carried: $(cat "$T/auth")"; else ok; fi
expect_exit 0 "check-update after the reboot" upd check-update
expect_statuses d-get '["downloading", "installing", "rebooting", "success"]'
server_stop
# Garbage JSON for a deployment, or one without device_types_compatible:
# refused in one line, nothing reported or installed, tried again later.
server_start "$T/srv-bad" || { finish; exit; }
bad_offer() { # bad_offer DESCRIPTION REASON
    sim_device
    save_device
    expect_exit 1 "check-update: $1" upd check-update
    n=$(grep -cv -e '^artsig-update: warning: ' -e '^artsig-update: info: ' "$T/err")
    if [ "$n" -eq 1 ]; then ok; else bad "$1: $n error lines: $(cat "$T/err")"; fi
    contains "$1" "$T/err" "$2"
    expect_device_kept "$1"
    if [ -e "$DATA/deployment.json" ]; then bad "$1: deployment record left"; else ok; fi
}
server_ctl fault '{"route": "next_v1_post", "status": 200, "body": "{\"id\": \"x\", \"artifact\": {"}' >/dev/null
bad_offer "garbage JSON" "the deployment offered is not JSON"
server_ctl deployment "{\"id\":\"d-notypes\",\"artifact\":\"$T/rel-2.mender\",\"artifact_name\":\"rel-2\"}" >/dev/null
bad_offer "no device_types_compatible" "has no artifact.device_types_compatible"
expect_statuses d-notypes '[]'
server_stop
# Slow answers (3 s on next, on a status and on the download) are waited
# for: the deployment succeeds.
server_start "$T/srv-slow" || { finish; exit; }
sim_device
offer d-slow "$T/rel-2.mender" rel-2
server_ctl fault '{"route": "next_v1_post", "delay": 3}' >/dev/null
server_ctl fault '{"route": "status", "delay": 3}' >/dev/null
server_ctl fault '{"route": "download", "delay": 3}' >/dev/null
expect_exit 4 "check-update with slow answers" upd check-update
expect_statuses d-slow '["downloading", "installing", "rebooting"]'
server_stop

finish
