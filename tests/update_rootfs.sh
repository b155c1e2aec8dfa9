#!/bin/sh
# artsig-update's built-in rootfs-image installer on a simulated device in $T:
# two partition files named like mmcblk0p2/p3 (their trailing digits are what
# mender_boot_part holds), a BootEnvFile, a data dir, a device type file.
# install writes the inactive partition and switches the boot env (exit 0, 4 with
# --reboot-exit-code);
# commit records the provides; rollback restores the boot partition. Refusals
# (tampered, wrong device type, unmet depends, unsigned, wrong key, an update
# already pending) leave the boot env, the stored state and the active
# partition byte for byte as they were. SIGKILL at many points, timed and
# deterministic (state scripts and fake fw_printenv/fw_setenv that kill the
# client), never leaves the boot env pointing at a partition that is not
# completely written, nor unreadable state; a clean install always follows.
# The boot env through U-Boot's tools and GRUB's grub-editenv (both faked over
# files) works as through the BootEnvFile.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"
require_python3

KEY=$T/key
KEYS_JSON="\"ArtifactVerifyKey\":\"$KEY.pub\","
"$ARTSIG" keygen --type ecdsa-p256 -o "$KEY" -p "$KEY.pub" >/dev/null
"$ARTSIG" keygen --type ecdsa-p256 -o "$T/other.key" -p "$T/other.pub" >/dev/null
sim_device() { new_device sim "$KEYS_JSON"; }
# write_art OUT [artsig write options]: a signed rootfs-image of $T/img for "sim".
write_art() {
    out=$1
    shift
    "$ARTSIG" write rootfs-image -f "$T/img" -t sim -k "$KEY" -o "$out" --no-progress "$@" >/dev/null ||
        bad "artsig write $*"
}

head -c 300000 /dev/urandom >"$T/img"
SUM=$(sha256sum "$T/img" | cut -d' ' -f1)
write_art "$T/rel-2.mender" -n rel-2
write_art "$T/rel-3.mender" -n rel-3

echo "== install, commit, show"
sim_device
expect_exit 4 "install rel-2 --reboot-exit-code" upd install --reboot-exit-code "$T/rel-2.mender"
if cmp -s "$T/img" "$PB"; then ok; else bad "p3 does not hold the image"; fi
expect_env "after install" mender_boot_part 3
expect_env "after install" upgrade_available 1
expect_env "after install" bootcount 0
expect_env "after install" mender_boot_part_hex 3
expect_env "other variables kept" bootcmd "run mender_setup"
expect_exit 0 "show-artifact before commit" upd show-artifact
if [ "$(cat "$T/out")" = rel-1 ]; then ok; else bad "provides changed before commit: $(cat "$T/out")"; fi
expect_exit 0 "commit" upd commit
expect_env "after commit" upgrade_available 0
expect_env "after commit" mender_boot_part 3
expect_exit 0 "show-artifact" upd show-artifact
if [ "$(cat "$T/out")" = rel-2 ]; then ok; else bad "show-artifact: $(cat "$T/out")"; fi
expect_provides "name" artifact_name=rel-2
expect_provides "checksum" "rootfs-image.checksum=$SUM"
expect_provides "version" rootfs-image.version=rel-2
expect_provides "a key the rootfs-image does not clear stays" other.app.version=7
if upd show-provides | grep -q '^artifact_group='; then
    bad "artifact_group is cleared by a rootfs-image"
else ok; fi
expect_exit 2 "second commit" upd commit
expect_one_line_error "second commit"
expect_exit 2 "rollback with nothing in progress" upd rollback

echo "== install again, roll back"
save_device
expect_exit 0 "install rel-3 from p3" upd install "$T/rel-3.mender"
expect_env "rel-3 goes to p2" mender_boot_part 2
if cmp -s "$T/img" "$PA"; then ok; else bad "p2 does not hold the image"; fi
expect_exit 1 "install while an update is pending" upd install "$T/rel-3.mender"
expect_one_line_error "install while pending"
expect_exit 0 "rollback" upd rollback
expect_env "after rollback" mender_boot_part 3
expect_env "after rollback" mender_boot_part_hex 3
expect_env "after rollback" upgrade_available 0
expect_same "provides after rollback" "$DATA/provides" "$T/provides.saved"
expect_exit 2 "commit after rollback" upd commit
# The bootloader gave up on the new system (bootcount ran out) and went back:
# commit then fails, the provides stay, and nothing is pending any more.
expect_exit 0 "install rel-3 again" upd install "$T/rel-3.mender"
sed -i 's/^mender_boot_part=2$/mender_boot_part=3/; s/^upgrade_available=1$/upgrade_available=0/' "$ENV"
expect_exit 1 "commit after a bootloader rollback" upd commit
expect_one_line_error "commit after a bootloader rollback"
expect_same "provides after a bootloader rollback" "$DATA/provides" "$T/provides.saved"
expect_exit 2 "nothing pending after a bootloader rollback" upd commit
# From stdin too.
expect_exit 0 "install from stdin" sh -c "\"$UPD\" --config \"$DEV/mender.conf\" --data \"$DATA\" install - <\"$T/rel-3.mender\""
expect_exit 0 "commit rel-3" upd commit
expect_provides "rel-3 committed" artifact_name=rel-3

echo "== refusals leave everything as it was"
sim_device
python3 - "$T/rel-2.mender" "$T/tampered.mender" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x01  # a bit of the compressed image: its checks or digest fail
open(sys.argv[2], "wb").write(data)
EOF
"$ARTSIG" write rootfs-image -f "$T/img" -t other-board -k "$KEY" -o "$T/wrongtype.mender" -n rel-2 --no-progress
write_art "$T/depname.mender" -n rel-2 -N rel-0
write_art "$T/depgroup.mender" -n rel-2 -G g2
write_art "$T/depprovide.mender" -n rel-2 -d other.app.version:8
write_art "$T/depmissing.mender" -n rel-2 -d no.such.key:1
"$ARTSIG" write rootfs-image -f "$T/img" -t sim -n rel-2 -o "$T/unsigned.mender" --no-progress
"$ARTSIG" write rootfs-image -f "$T/img" -t sim -n rel-2 -k "$T/other.key" -o "$T/otherkey.mender" --no-progress
save_device
for case in tampered wrongtype depname depgroup depprovide depmissing unsigned otherkey; do
    expect_exit 1 "$case refused" upd install "$T/$case.mender"
    expect_one_line_error "$case"
    expect_device_kept "$case"
done
# The depends that match this device install.
write_art "$T/depok.mender" -n rel-2 -N rel-1 -G g1 -d other.app.version:7
expect_exit 0 "matching depends" upd install "$T/depok.mender"
expect_exit 0 "roll it back" upd rollback
save_device
# No device type file.
mv "$DEV/device_type" "$T/device_type.saved"
expect_exit 1 "no device type file" upd install "$T/rel-2.mender"
expect_one_line_error "no device type file"
expect_device_kept "no device type file"
mv "$T/device_type.saved" "$DEV/device_type"
# A configuration without the partitions refuses rootfs-image.
sed 's/"RootfsPartB":"[^"]*",//' "$DEV/mender.conf" >"$T/nob.conf"
expect_exit 1 "no RootfsPartB" "$UPD" --config "$T/nob.conf" --data "$DATA" install "$T/rel-2.mender"
expect_one_line_error "no RootfsPartB"
expect_device_kept "no RootfsPartB"
# A boot env on a partition that is neither A nor B.
sed -i 's/^mender_boot_part=2$/mender_boot_part=9/' "$ENV"
expect_exit 1 "mender_boot_part matches neither" upd install "$T/rel-2.mender"
expect_one_line_error "mender_boot_part=9"
cp "$T/env.saved" "$ENV"
# A pending trial boot this client did not start: the "inactive" partition
# may be the only good one.
sed -i 's/^upgrade_available=0$/upgrade_available=1/' "$ENV"
expect_exit 1 "foreign pending update" upd install "$T/rel-2.mender"
expect_one_line_error "foreign pending update"
cp "$T/env.saved" "$ENV"
# One command at a time: a commit started from inside an install (by its
# ArtifactInstall_Enter script) finds the data dir locked.
cat >"$T/ArtifactInstall_Enter_01_nested" <<EOF
#!/bin/sh
"$UPD" --config "$DEV/mender.conf" --data "$DATA" commit 2>"$T/nested.err"
echo \$? >"$T/nested.rc"
EOF
write_art "$T/nested.mender" -n rel-2 -s "$T/ArtifactInstall_Enter_01_nested"
expect_exit 0 "install with a nested commit" upd install "$T/nested.mender"
if [ "$(cat "$T/nested.rc")" = 1 ] && grep -q "another artsig-update" "$T/nested.err"; then ok; else
    bad "nested commit: exit $(cat "$T/nested.rc"): $(cat "$T/nested.err")"; fi
expect_exit 0 "roll back the nested one" upd rollback

# ---- SIGKILL ----
# After any kill: the boot env points at p3 only when p3 holds the whole image
# (and then an update is recorded); the state reads; the next command settles
# what was left, and a clean install and commit follow.
check_after_kill() { # check_after_kill DESCRIPTION IMAGE
    if [ "$(env_of mender_boot_part)" = 3 ]; then
        if cmp -s "$2" "$PB"; then ok; else bad "$1: boot env points at a partial p3"; fi
        if [ -e "$DATA/update.json" ]; then ok; else bad "$1: switched, but nothing recorded"; fi
    else
        expect_env "$1" mender_boot_part 2
        expect_env "$1" upgrade_available 0
    fi
    expect_exit 0 "$1: provides read" upd show-provides
    if [ -e "$DATA/update.json" ] && ! python3 -m json.tool "$DATA/update.json" >/dev/null; then
        bad "$1: update.json unreadable"
    else ok; fi
    expect_same "$1: provides untouched" "$DATA/provides" "$T/provides.saved"
}
# settle DESCRIPTION: undo what a killed install left (a completed one is
# rolled back), so every kill starts from the same device.
settle() {
    upd rollback >/dev/null 2>"$T/settle.err"
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then ok; else bad "$1: rollback after the kill: exit $rc: $(cat "$T/settle.err")"; fi
    expect_env "$1: settled" mender_boot_part 2
    if [ -e "$DATA/update.json" ]; then bad "$1: still recorded after settling"; else ok; fi
}
clean_install() { # clean_install DESCRIPTION ARTIFACT IMAGE [UPD_FUNCTION]
    expect_exit 0 "$1: clean install" ${4:-upd} install "$2"
    if cmp -s "$3" "$PB"; then ok; else bad "$1: clean install wrote p3 wrongly"; fi
    expect_exit 0 "$1: commit" ${4:-upd} commit
    expect_env "$1: committed" upgrade_available 0
}

echo "== SIGKILL while a 200 MiB image streams"
head -c 209715200 /dev/urandom >"$T/big.img"
"$ARTSIG" write rootfs-image -f "$T/big.img" -t sim -n big -k "$KEY" --compression none \
    -o "$T/big.mender" --no-progress
sim_device
save_device
# The kills are spread over the time a whole install takes here, and past it.
start=$(date +%s%N)
expect_exit 0 "timed install of the big image" upd install "$T/big.mender"
ms=$((($(date +%s%N) - start) / 1000000))
settle "timed install"
outcomes=
for pct in 3 10 20 30 40 50 60 70 80 90 95 100 110 150; do
    delay=$(awk "BEGIN { print $ms * $pct / 100000 }")
    "$UPD" --config "$DEV/mender.conf" --data "$DATA" install "$T/big.mender" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    check_after_kill "killed after ${delay}s" "$T/big.img"
    outcomes="$outcomes $pct%:p$(env_of mender_boot_part)"
    settle "killed after ${delay}s"
done
echo "a whole install took ${ms} ms; boot partition after each kill:$outcomes"
clean_install "after timed kills" "$T/big.mender" "$T/big.img"

echo "== SIGKILL at named points"
# kill_art NAME SCRIPT: an artifact whose state script SCRIPT kills the
# client (its parent), the first time it runs.
kill_art() {
    printf '#!/bin/sh\n[ -e "%s" ] && exit 0\n: >"%s"\nkill -9 $PPID\nsleep 1\n' \
        "$T/$1.killed" "$T/$1.killed" >"$T/$2"
    write_art "$T/$1.mender" -n "$1" -s "$T/$2"
}
kill_art k-enter ArtifactInstall_Enter_10
kill_art k-leave ArtifactInstall_Leave_10
kill_art k-commit ArtifactCommit_Enter_10
kill_art k-commit-leave ArtifactCommit_Leave_10
sim_device
save_device
# Before activation: nothing recorded, nothing switched.
upd install "$T/k-enter.mender" >/dev/null 2>&1
check_after_kill "killed in ArtifactInstall_Enter" "$T/img"
if [ -e "$DATA/update.json" ]; then bad "killed in Enter: an update is recorded"; else ok; fi
clean_install "after a kill in ArtifactInstall_Enter" "$T/rel-2.mender" "$T/img"
# After the switch, before the install is marked done: the next run finds the
# boot env switched to a complete image and carries on to commit.
sim_device
save_device
upd install "$T/k-leave.mender" >/dev/null 2>&1
check_after_kill "killed in ArtifactInstall_Leave" "$T/img"
expect_env "killed in Leave: switched" mender_boot_part 3
expect_exit 0 "commit after a kill in Leave" upd commit
if grep -q "interrupted after the boot environment switched" "$T/err"; then ok; else bad "no warning about the interrupted install: $(cat "$T/err")"; fi
expect_provides "committed after a kill in Leave" artifact_name=k-leave
# A commit killed before it began changing anything, and after it changed
# everything but the record: commit again finishes it; rollback refuses once
# the commit has begun.
sim_device
expect_exit 0 "install k-commit" upd install "$T/k-commit.mender"
upd commit >/dev/null 2>&1
expect_env "killed in ArtifactCommit_Enter" upgrade_available 1
expect_exit 0 "show-artifact after a killed commit" upd show-artifact
if [ "$(cat "$T/out")" = rel-1 ]; then ok; else bad "provides changed by a killed commit: $(cat "$T/out")"; fi
expect_exit 0 "rollback after a kill in ArtifactCommit_Enter" upd rollback
expect_env "rolled back" mender_boot_part 2
sim_device
expect_exit 0 "install k-commit-leave" upd install "$T/k-commit-leave.mender"
upd commit >/dev/null 2>&1
expect_exit 0 "committed before ArtifactCommit_Leave was killed" upd show-artifact
if [ "$(cat "$T/out")" = k-commit-leave ]; then ok; else bad "provides after a kill in Commit_Leave: $(cat "$T/out")"; fi
expect_exit 1 "rollback refuses a begun commit" upd rollback
expect_one_line_error "rollback of a begun commit"
expect_exit 0 "commit finishes it" upd commit
expect_exit 2 "then nothing is pending" upd commit

echo "== SIGKILL inside the boot env switch (U-Boot tools)"
# Fake fw_printenv/fw_setenv over $DEV/ubootenv; $T/setenv-mode makes
# fw_setenv kill the client before or after it applies the script.
mkdir -p "$T/bin"
cat >"$T/bin/fw_printenv" <<EOF
#!/bin/sh
cat "$DEV/ubootenv"
EOF
cat >"$T/bin/fw_setenv" <<EOF
#!/bin/sh
[ "\$1" = -s ] || exit 2
mode=\$(cat "$T/setenv-mode" 2>/dev/null)
[ "\$mode" = kill-before ] && { kill -9 \$PPID; exit 1; }
python3 - "\$2" "$DEV/ubootenv" <<'PY'
import os, sys
env = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[2]) if "=" in l)
for line in open(sys.argv[1]):
    k, v = line.rstrip("\n").split("=", 1)
    if v: env[k] = v
    else: env.pop(k, None)
open(sys.argv[2] + ".new", "w").write("".join("%s=%s\n" % kv for kv in env.items()))
os.rename(sys.argv[2] + ".new", sys.argv[2])
PY
[ "\$mode" = kill-after ] && kill -9 \$PPID
exit 0
EOF
chmod +x "$T/bin/fw_printenv" "$T/bin/fw_setenv"
uboot_device() {
    sim_device
    write_conf "$KEYS_JSON" ""
    mv "$ENV" "$DEV/ubootenv"
    ln -s "$DEV/ubootenv" "$ENV" # so env_of reads it
    save_device
    rm -f "$T/setenv-mode"
}
uupd() { PATH="$T/bin:$PATH" upd "$@"; }
uboot_device
expect_exit 0 "install through fw_setenv" uupd install "$T/rel-2.mender"
expect_env "fw_setenv switched" mender_boot_part 3
expect_exit 0 "commit through fw_setenv" uupd commit
expect_env "fw_setenv committed" upgrade_available 0
# Killed by fw_setenv before it changed anything: the record says
# "installing", the boot env was never switched, the next run drops it.
uboot_device
echo kill-before >"$T/setenv-mode"
uupd install "$T/rel-2.mender" >/dev/null 2>&1
check_after_kill "killed before the switch" "$T/img"
expect_env "killed before the switch" mender_boot_part 2
rm -f "$T/setenv-mode"
expect_exit 2 "the next run drops the unswitched record" uupd commit
if grep -q "discarded" "$T/err"; then ok; else bad "no word of the discarded install: $(cat "$T/err")"; fi
expect_exit 0 "then installs" uupd install "$T/rel-2.mender"
expect_exit 0 "and commits" uupd commit
# Killed right after the switch: installed, as the bootloader would boot it.
uboot_device
echo kill-after >"$T/setenv-mode"
uupd install "$T/rel-2.mender" >/dev/null 2>&1
check_after_kill "killed after the switch" "$T/img"
expect_env "killed after the switch" mender_boot_part 3
rm -f "$T/setenv-mode"
expect_exit 0 "rollback after a kill after the switch" uupd rollback
expect_env "rolled back through fw_setenv" mender_boot_part 2
# Killed inside commit's boot env write, after it: commit again.
uboot_device
expect_exit 0 "install for a killed commit" uupd install "$T/rel-2.mender"
echo kill-after >"$T/setenv-mode"
uupd commit >/dev/null 2>&1
rm -f "$T/setenv-mode"
expect_env "commit's write landed" upgrade_available 0
expect_same "provides not yet recorded" "$DATA/provides" "$T/provides.saved"
expect_exit 0 "commit again" uupd commit
expect_provides "commit finished" artifact_name=rel-2
# Killed inside rollback's write: rollback again.
uboot_device
expect_exit 0 "install for a killed rollback" uupd install "$T/rel-2.mender"
echo kill-before >"$T/setenv-mode"
uupd rollback >/dev/null 2>&1
rm -f "$T/setenv-mode"
expect_env "rollback's write never happened" mender_boot_part 3
expect_exit 0 "rollback again" uupd rollback
expect_env "rolled back" mender_boot_part 2
expect_same "rollback kept the provides" "$DATA/provides" "$T/provides.saved"
clean_install "after the U-Boot kills" "$T/rel-2.mender" "$T/img" uupd

echo "== GRUB (grub-editenv) when no U-Boot tools are on PATH"
# A fake grub-editenv over $DEV/grubenv ("-" is its default file), in shell
# built-ins alone: PATH holds nothing else, so fw_printenv cannot be found.
mkdir -p "$T/grubbin"
cat >"$T/grubbin/grub-editenv" <<EOF
#!/bin/sh
f="$DEV/grubenv"
[ "\$1" = - ] || exit 2
cmd=\$2
shift 2
out=
while IFS= read -r line; do
    for a in "\$@"; do
        case \$line in "\${a%%=*}="*) continue 2 ;; esac
    done
    out="\$out\$line
"
done <"\$f"
[ "\$cmd" = list ] && { printf '%s' "\$out"; exit 0; }
[ "\$cmd" = set ] && for a in "\$@"; do out="\$out\$a
"; done
printf '%s' "\$out" >"\$f"
EOF
chmod +x "$T/grubbin/grub-editenv"
sim_device
write_conf "$KEYS_JSON" ""
mv "$ENV" "$DEV/grubenv"
ln -s "$DEV/grubenv" "$ENV"
gupd() { PATH="$T/grubbin" upd "$@"; }
clean_install "grub-editenv" "$T/rel-2.mender" "$T/img" gupd
expect_env "grub-editenv: switched and committed" mender_boot_part 3

echo "== many provides"
# A device records at most 16384 provides: each artifact's add up (these
# clear nothing), and the install that would go beyond is refused before
# anything is written. One artifact carries at most ARTSIG_LIMIT_JSON_VALUES
# header values, so the device's own file is filled up to near the bound.
many_art() { # many_art OUT PREFIX: 4000 provides PREFIX.NNNNN, clearing nothing
    out=$1
    # shellcheck disable=SC2046 # one word per option and value
    set -- $(python3 -c "for i in range(4000): print('-p $2.%05d:v' % i)")
    write_art "$out" -n "$2" --no-default-clears-provides --clears-provides 'nothing.*' "$@"
}
many_art "$T/many-a.mender" a
many_art "$T/many-b.mender" b
sim_device
expect_exit 0 "4000 provides: install" upd install "$T/many-a.mender"
expect_exit 0 "4000 provides: commit" upd commit
if [ "$(upd show-provides | grep -c '^a\.[0-9]*=v$')" -eq 4000 ]; then ok; else
    bad "4000 provides: not all recorded"; fi
expect_provides "4000 provides: the device's own kept" other.app.version=7
python3 -c "for i in range(8400): print('c%05d=v' % i)" >>"$DATA/provides"
save_device
expect_exit 1 "16400 provides: refused" upd install "$T/many-b.mender"
expect_one_line_error "16400 provides"
contains "16400 provides: the bound named" "$T/err" "more than 16384 provides"
expect_device_kept "16400 provides"
# A provides file beyond the bound is refused too, naming the file.
python3 -c "for i in range(16385): print('k%05d=v' % i)" >"$DATA/provides"
expect_exit 1 "provides file of 16385 keys" upd show-provides
expect_one_line_error "provides file of 16385 keys"
contains "provides file of 16385 keys" "$T/err" "$DATA/provides"
python3 -c "for i in range(16384): print('k%05d=v' % i)" >"$DATA/provides"
expect_exit 0 "provides file of 16384 keys" upd show-provides
if [ "$(wc -l <"$T/out")" -eq 16384 ]; then ok; else bad "16384 provides: $(wc -l <"$T/out") shown"; fi
printf 'k=1\nk=2\n' >"$DATA/provides"
expect_exit 1 "provides file with a key twice" upd show-provides
contains "provides file with a key twice" "$T/err" "key 'k' appears twice"

# The provides text is bounded too (160 KiB), so that the update record,
# which carries it escaped, can always be read back: three long values are
# refused before anything is written.
long=$(python3 -c "print('v' * 60000)")
write_art "$T/long.mender" -n long -p "x.one:$long" -p "x.two:$long" -p "x.three:$long"
sim_device
save_device
expect_exit 1 "180 kB of provides: refused" upd install "$T/long.mender"
expect_one_line_error "180 kB of provides"
contains "180 kB of provides: the bound named" "$T/err" "163840 bytes"
expect_device_kept "180 kB of provides"
python3 -c "print('k=' + 'v' * 170000)" >"$DATA/provides"
expect_exit 1 "provides file of 170 kB" upd show-provides
contains "provides file of 170 kB" "$T/err" "$DATA/provides"

# A clears glob is matched in O(glob x key) steps: the old backtracking
# matcher took exponential time on this one (bounded here by timeout).
sim_device
printf 'artifact_name=old\n%s=1\n' "$(python3 -c "print('a' * 40)")" >"$DATA/provides"
write_art "$T/glob.mender" -n glob --no-default-clears-provides \
    --clears-provides '*a*a*a*a*a*a*a*a*a*a*a*a*a*b'
expect_exit 0 "hostile clears glob: install" timeout 60 "$UPD" --config "$DEV/mender.conf" \
    --data "$DATA" install "$T/glob.mender"

finish
