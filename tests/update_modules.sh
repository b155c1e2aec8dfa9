#!/bin/sh
# artsig-update runs update modules by Mender's v3 protocol on a simulated
# device (a data dir and a mender.conf in $T): Debian's single-file and
# directory modules, unmodified, install artifacts from mender-artifact 3.9
# and from artsig write, commit, and roll back to the previous version; its
# script module runs a payload. (Its deb module would change the system.)
# Refusals (wrong key, unsigned, a flipped payload byte) leave every
# destination untouched and never run ArtifactInstall. A test module that logs
# each state it is called with pins down the exact state sequences; a
# streaming module reads the payload through stream-next; state scripts run
# in their states, and a failing Enter script stops the install. A module or
# a state script past its timeout from mender.conf fails the install.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

UPD=${ARTSIG_UPDATE:-$BUILD/update/artsig-update}
KEYS=$VEC/keys
DEBIAN_MODULES=/usr/share/mender/modules/v3
if ! command -v mender-artifact >/dev/null || [ ! -x "$DEBIAN_MODULES/single-file" ] ||
    [ ! -x "$DEBIAN_MODULES/directory" ] || [ ! -x "$DEBIAN_MODULES/script" ]; then
    bad "mender-artifact and Debian's update modules are needed (scripts/deps.sh installs them)"
    finish
    exit
fi

DEV=artsig-test-device
DEST=$T/dest # every module writes below here; never outside $T
LOG=$T/states.log
mkdir -p "$T/data" "$T/modules" "$T/in" "$T/art" "$DEST"
printf 'device_type=%s\n' "$DEV" >"$T/device_type"
write_conf() { # write_conf PUBKEY [,"Option":VALUE...]: the device trusts this key
    printf '{"ArtifactVerifyKey":"%s","DeviceTypeFile":"%s","UpdateModulesDir":"%s"%s}\n' \
        "$1" "$T/device_type" "$T/modules" "${2:-}" >"$T/mender.conf"
}
write_conf "$KEYS/ecp256.pub"
upd() { "$UPD" --config "$T/mender.conf" --data "$T/data" "$@"; }

# The modules dir: Debian's modules as they are, and two test modules.
ln -s "$DEBIAN_MODULES/single-file" "$DEBIAN_MODULES/directory" "$DEBIAN_MODULES/script" \
    "$T/modules/"
# probe logs each state; $T/fail-STATE makes that state fail, $T/kill-STATE
# kills the client (the module's parent) with SIGKILL in that state, and
# $T/answer-STATE is what it prints in that state. In Download it copies its
# header/ files to $T/seen/ when that folder exists.
cat >"$T/modules/probe" <<EOF
#!/bin/sh
echo "\$1" >>"$LOG"
[ "\$1" = Download ] && [ -d "$T/seen" ] && cp header/* "$T/seen/"
[ -e "$T/fail-\$1" ] && exit 3
[ -e "$T/kill-\$1" ] && kill -9 \$PPID
[ -e "$T/answer-\$1" ] && exec cat "$T/answer-\$1"
case "\$1" in
    NeedsArtifactReboot) echo No ;;
    SupportsRollback) echo Yes ;;
esac
exit 0
EOF
# streamer takes the payload through stream-next in Download (into tmp/, as a
# module must not install before the verdict) and installs it in ArtifactInstall.
cat >"$T/modules/streamer" <<EOF
#!/bin/sh
set -e
echo "\$1" >>"$LOG"
case "\$1" in
    Download)
        while name=\$(cat stream-next); [ -n "\$name" ]; do
            cat "\$name" >"tmp/\$(basename "\$name")"
        done
        ;;
    ArtifactInstall)
        test ! -e files
        mkdir -p "$DEST/stream"
        cp tmp/* "$DEST/stream/"
        ;;
esac
EOF
# sleeper outlives ModuleTimeoutSeconds in ArtifactInstall, and only then
# would write to the destination.
cat >"$T/modules/sleeper" <<EOF
#!/bin/sh
echo "\$1" >>"$LOG"
if [ "\$1" = ArtifactInstall ]; then
    sleep 30
    mkdir -p "$DEST/sleeper"
fi
exit 0
EOF
chmod +x "$T/modules/probe" "$T/modules/streamer" "$T/modules/sleeper"

# A fingerprint of everything below $DEST: names, types and contents.
snap() { (cd "$DEST" && find . | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
states() { tr '\n' ' ' <"$LOG" | sed 's/ $//'; }
expect_states() { # expect_states DESCRIPTION "STATE STATE ..."
    got=$(states)
    if [ "$got" = "$2" ]; then ok; else bad "$1: states [$got], want [$2]"; fi
    : >"$LOG"
}
expect_file() { # expect_file DESCRIPTION FILE CONTENT
    if [ "$(cat "$2" 2>/dev/null)" = "$3" ]; then ok; else bad "$1: $2 is not \"$3\""; fi
}
expect_nothing_in_progress() {
    expect_exit 2 "$1: nothing to commit" upd commit
}

# ---- inputs ----
# The single-file module reads dest_dir and filename (and permissions)
# from payload files next to the file itself.
single_file_inputs() { # single_file_inputs DIR CONTENT
    mkdir -p "$1"
    printf '%s' "$DEST/sf" >"$1/dest_dir"
    printf 'app.conf' >"$1/filename"
    printf '0640' >"$1/permissions"
    printf '%s\n' "$2" >"$1/app.conf"
}
# The directory module unpacks update.tar into dest_dir.
directory_inputs() { # directory_inputs DIR VERSION
    mkdir -p "$1/tree/sub"
    printf '%s' "$DEST/dir" >"$1/dest_dir"
    echo "$2" >"$1/tree/version"
    echo "only in $2" >"$1/tree/sub/$2"
    tar -cf "$1/update.tar" -C "$1/tree" .
}
single_file_inputs "$T/in/sf1" "version 1"
single_file_inputs "$T/in/sf2" "version 2"
single_file_inputs "$T/in/sf3" "version 3 FLIPME"
directory_inputs "$T/in/dir1" v1
directory_inputs "$T/in/dir2" v2
echo "probe payload FLIPME" >"$T/in/probe.txt"
head -c 300000 /usr/share/common-licenses/GPL-3 >"$T/in/big.txt"
echo small >"$T/in/small.txt"
printf '#!/bin/sh\necho ran >"%s"\n' "$DEST/script-ran" >"$T/in/run.sh"

sf_files() { for f in dest_dir filename permissions app.conf; do printf -- '-f %s ' "$1/$f"; done; }
ma() { # ma OUTPUT NAME TYPE [OPTION...]: mender-artifact 3.9 writes a module-image
    out=$1 name=$2 type=$3
    shift 3
    expect_exit 0 "mender-artifact write $name" mender-artifact write module-image -T "$type" \
        -n "$name" -t "$DEV" -o "$out" "$@"
}
aw() { # aw OUTPUT NAME TYPE [OPTION...]: artsig writes a module-image
    out=$1 name=$2 type=$3
    shift 3
    expect_exit 0 "artsig write $name" "$ARTSIG" write module-image -T "$type" -n "$name" \
        -t "$DEV" -o "$out" --no-progress "$@"
}
EC=$KEYS/ecp256.sec1.key # the form mender-artifact 3.9 reads
# shellcheck disable=SC2046 # the file options split on purpose
{
    ma "$T/art/sf1-ma.mender" sf1-ma single-file $(sf_files "$T/in/sf1") -k "$EC"
    aw "$T/art/sf2-as.mender" sf2-as single-file $(sf_files "$T/in/sf2") -k "$KEYS/ecp256.pkcs8.key"
    aw "$T/art/sf2-as-xz.mender" sf2-as-xz single-file $(sf_files "$T/in/sf2") -k "$EC" \
        --compression lzma
    ma "$T/art/sf2-ma.mender" sf2-ma single-file $(sf_files "$T/in/sf2") -k "$EC"
    aw "$T/art/sf3-wrongkey.mender" sf3-wrongkey single-file $(sf_files "$T/in/sf3") \
        -k "$KEYS/ecp256b.sec1.key"
    aw "$T/art/sf3-unsigned.mender" sf3-unsigned single-file $(sf_files "$T/in/sf3")
    aw "$T/art/sf3-flipped.mender" sf3-flipped single-file $(sf_files "$T/in/sf3") -k "$EC" \
        --compression none
}
dir_files() { printf -- '-f %s -f %s' "$1/dest_dir" "$1/update.tar"; }
# shellcheck disable=SC2046
{
    ma "$T/art/dir1-ma.mender" dir1-ma directory $(dir_files "$T/in/dir1") -k "$EC"
    aw "$T/art/dir2-as.mender" dir2-as directory $(dir_files "$T/in/dir2") -k "$EC"
    ma "$T/art/dir2-ma.mender" dir2-ma directory $(dir_files "$T/in/dir2") -k "$EC"
}
aw "$T/art/script.mender" script-1 script -f "$T/in/run.sh" -k "$EC"
aw "$T/art/probe.mender" probe-1 probe -f "$T/in/probe.txt" -k "$EC"
aw "$T/art/probe-wrongkey.mender" probe-wrongkey probe -f "$T/in/probe.txt" \
    -k "$KEYS/ecp256b.sec1.key"
aw "$T/art/probe-unsigned.mender" probe-unsigned probe -f "$T/in/probe.txt"
aw "$T/art/probe-flipped.mender" probe-flipped probe -f "$T/in/probe.txt" -k "$EC" \
    --compression none
aw "$T/art/sleeper.mender" sleeper-1 sleeper -f "$T/in/probe.txt" -k "$EC"
aw "$T/art/stream.mender" stream-1 streamer -f "$T/in/small.txt" -f "$T/in/big.txt" -k "$EC"
aw "$T/art/stream-flipped.mender" stream-flipped streamer -f "$T/in/probe.txt" -k "$EC" \
    --compression none

# A flipped byte inside a payload file (stored uncompressed, so the byte is
# the file's own): the signature and the header still hold, the digest not.
flip() { # flip ARTIFACT: FLIPME becomes FLIPMF
    at=$(grep -obUa FLIPME "$1" | head -n 1 | cut -d: -f1)
    printf F | dd of="$1" bs=1 seek=$((at + 5)) conv=notrunc 2>/dev/null
}
flip "$T/art/sf3-flipped.mender"
flip "$T/art/probe-flipped.mender"
flip "$T/art/stream-flipped.mender"

# ---- Debian's single-file module ----
expect_exit 0 "single-file from mender-artifact: install" upd install "$T/art/sf1-ma.mender"
expect_file "single-file from mender-artifact: installed" "$DEST/sf/app.conf" "version 1"
mode=$(stat -c %a "$DEST/sf/app.conf")
if [ "$mode" = 640 ]; then ok; else bad "single-file: mode $mode, not the permissions file's"; fi
expect_exit 0 "single-file from mender-artifact: commit" upd commit
expect_exit 0 "show-artifact" upd show-artifact
expect_file "show-artifact after commit" "$T/out" sf1-ma
expect_nothing_in_progress "after commit"

expect_exit 0 "single-file from artsig: install" upd install "$T/art/sf2-as.mender"
expect_file "single-file from artsig: installed" "$DEST/sf/app.conf" "version 2"
expect_exit 0 "single-file from artsig: rollback" upd rollback
expect_file "single-file: rollback restored the previous file" "$DEST/sf/app.conf" "version 1"
expect_exit 0 "show-artifact after rollback" upd show-artifact
expect_file "show-artifact after rollback" "$T/out" sf1-ma
expect_nothing_in_progress "after rollback"

expect_exit 0 "single-file from artsig, xz: install" upd install "$T/art/sf2-as-xz.mender"
expect_exit 0 "single-file from artsig, xz: commit" upd commit
expect_file "single-file from artsig, xz: committed" "$DEST/sf/app.conf" "version 2"
expect_exit 0 "single-file from mender-artifact, again: install" upd install "$T/art/sf2-ma.mender"
expect_exit 0 "single-file from mender-artifact, again: commit" upd commit

# ---- refusals leave the destination untouched ----
before=$(snap)
for a in sf3-wrongkey sf3-unsigned sf3-flipped; do
    expect_exit 1 "$a: refused" upd install "$T/art/$a.mender"
    expect_one_line_error "$a"
    if [ "$(snap)" = "$before" ]; then ok; else bad "$a: the destination changed"; fi
    expect_nothing_in_progress "$a"
    if [ ! -e "$T/data/modules/v3/payloads/0000/tree" ]; then ok; else bad "$a: work dir left"; fi
done
expect_file "refusals: the device still runs what it ran" "$DEST/sf/app.conf" "version 2"

# ---- Debian's directory module ----
expect_exit 0 "directory from mender-artifact: install" upd install "$T/art/dir1-ma.mender"
expect_exit 0 "directory from mender-artifact: commit" upd commit
expect_file "directory: installed" "$DEST/dir/version" v1
v1=$(snap)
expect_exit 0 "directory from artsig: install" upd install "$T/art/dir2-as.mender"
expect_file "directory from artsig: installed" "$DEST/dir/version" v2
if [ -e "$DEST/dir/sub/v2" ] && [ ! -e "$DEST/dir/sub/v1" ]; then ok; else bad "directory: mixed"; fi
expect_exit 0 "directory from artsig: rollback" upd rollback
if [ "$(snap)" = "$v1" ]; then ok; else bad "directory: rollback did not restore v1"; fi
expect_exit 0 "directory from mender-artifact, v2: install" upd install "$T/art/dir2-ma.mender"
expect_exit 0 "directory from mender-artifact, v2: commit" upd commit
expect_file "directory v2: committed" "$DEST/dir/version" v2

# ---- Debian's script module: no rollback, so committed at once ----
expect_exit 0 "script: install" upd install "$T/art/script.mender"
expect_file "script: the payload ran" "$DEST/script-ran" ran
expect_nothing_in_progress "script"

# ---- the exact state sequences ----
: >"$LOG"
expect_exit 0 "probe: install" upd install "$T/art/probe.mender"
expect_states "probe: install" "Download SupportsRollback ArtifactInstall NeedsArtifactReboot"
expect_exit 0 "probe: commit" upd commit
expect_states "probe: commit" "ArtifactCommit Cleanup"
expect_exit 0 "probe: install again" upd install "$T/art/probe.mender"
: >"$LOG"
expect_exit 0 "probe: rollback" upd rollback
expect_states "probe: rollback" "ArtifactRollback Cleanup"

for a in probe-wrongkey probe-unsigned; do
    expect_exit 1 "$a: refused" upd install "$T/art/$a.mender"
    expect_one_line_error "$a"
    expect_states "$a: refused before the module is called" ""
done
expect_exit 1 "probe-flipped: refused" upd install "$T/art/probe-flipped.mender"
expect_one_line_error "probe-flipped"
expect_states "probe-flipped: refused during Download" "Download Cleanup"
expect_nothing_in_progress "probe-flipped"

touch "$T/fail-Download"
expect_exit 1 "probe failing in Download" upd install "$T/art/probe.mender"
expect_one_line_error "probe failing in Download"
expect_states "probe failing in Download" "Download Cleanup"
rm "$T/fail-Download"
touch "$T/fail-ArtifactInstall"
expect_exit 1 "probe failing in ArtifactInstall" upd install "$T/art/probe.mender"
expect_one_line_error "probe failing in ArtifactInstall"
expect_states "probe failing in ArtifactInstall" \
    "Download SupportsRollback ArtifactInstall ArtifactRollback ArtifactFailure Cleanup"
expect_nothing_in_progress "probe failing in ArtifactInstall"
rm "$T/fail-ArtifactInstall"
# Killed inside ArtifactInstall: the next run finds the record and runs the
# module's failure path (update_signals.sh has the variants).
touch "$T/kill-ArtifactInstall"
expect_exit 137 "client killed in ArtifactInstall" upd install "$T/art/probe.mender"
rm "$T/kill-ArtifactInstall"
expect_nothing_in_progress "after a kill in ArtifactInstall"
expect_states "killed in ArtifactInstall, then the next run" \
    "Download SupportsRollback ArtifactInstall ArtifactRollback ArtifactFailure Cleanup"

# ---- answers ----
# SupportsRollback and NeedsArtifactReboot are answered with one word and at
# most one newline: Mender 3.x compares all else it prints (a NUL, a "\r", a
# space), Mender 4.x refuses a second line. Anything else fails the install
# before ArtifactInstall, as an answer neither client reads as this one.
answer() { # answer STATE PRINTF_FORMAT: what probe prints in STATE; $said names it
    # shellcheck disable=SC2059 # the format is the point
    printf "$2" >"$T/answer-$1"
    # For messages: dash's echo would turn the escapes back into bytes.
    said="$1 answered '$(printf '%s' "$2" | sed 's/\\/\\\\/g')'"
}
for reply in 'Yes\000junk' 'Yes\r\n' 'Yes\n\n' ' Yes' 'Yes\nNo\n' 'yes'; do
    answer SupportsRollback "$reply"
    : >"$LOG"
    expect_exit 1 "$said: refused" upd install "$T/art/probe.mender"
    expect_one_line_error "$said"
    contains "$said" "$T/err" "unexpected answer to SupportsRollback"
    expect_states "$said: no install" "Download SupportsRollback Cleanup"
    expect_nothing_in_progress "$said"
done
for reply in 'Yes' 'Yes\n'; do
    answer SupportsRollback "$reply"
    expect_exit 0 "$said" upd install "$T/art/probe.mender"
    expect_exit 0 "$said: rollback" upd rollback
done
rm "$T/answer-SupportsRollback"
answer NeedsArtifactReboot 'No\000Yes'
expect_exit 1 "$said: refused" upd install "$T/art/probe.mender"
contains "$said" "$T/err" '"No?Yes"'
rm "$T/answer-NeedsArtifactReboot"
upd rollback >/dev/null 2>&1
: >"$LOG"

# ---- the module's header/ files are the artifact's own bytes ----
# Meta-data written with odd spacing, and type-info and header-info as the
# writer laid them out: a module must see them byte for byte, not re-encoded.
printf '{ "service" :"app",\n  "ports": [ 8080 ] , "restart":true }' >"$T/in/meta.json"
ma "$T/art/probe-meta.mender" probe-meta probe -f "$T/in/probe.txt" -m "$T/in/meta.json" \
    -k "$EC"
header_member() { # header_member ARTIFACT MEMBER: a header.tar file's bytes, to stdout
    tar xOf "$1" header.tar.gz | tar xzOf - "$2"
}
expect_header_files() { # expect_header_files DESCRIPTION ARTIFACT
    for f in header-info headers/0000/type-info headers/0000/meta-data; do
        seen=$T/seen/$(basename "$f")
        if header_member "$2" "$f" >"$T/want" 2>/dev/null; then
            if cmp -s "$T/want" "$seen"; then ok; else bad "$1: header/$(basename "$f") differs"; fi
        elif [ "$f" = headers/0000/meta-data ]; then # no member: Mender writes null
            expect_file "$1: header/meta-data without a member" "$seen" null
        else
            bad "$1: the artifact has no $f"
        fi
    done
}
mkdir -p "$T/seen"
: >"$LOG"
for a in probe-meta probe; do
    rm -f "$T/seen/"*
    expect_exit 0 "$a: install" upd install "$T/art/$a.mender"
    expect_header_files "$a" "$T/art/$a.mender"
    expect_exit 0 "$a: rollback" upd rollback
done
if [ "$(header_member "$T/art/probe-meta.mender" headers/0000/meta-data | wc -c)" -gt 2 ]; then
    ok; else bad "probe-meta: the artifact has no meta-data to compare"; fi
rm -r "$T/seen"
: >"$LOG"

# ---- a module that streams ----
# It does not answer SupportsRollback: no rollback, so committed at once
# (as Mender does).
: >"$LOG"
expect_exit 0 "streamer: install" upd install "$T/art/stream.mender"
for f in big.txt small.txt; do
    if cmp -s "$T/in/$f" "$DEST/stream/$f"; then ok; else bad "streamer: $f differs"; fi
done
expect_states "streamer: install, committed at once" \
    "Download SupportsRollback ArtifactInstall NeedsArtifactReboot ArtifactCommit Cleanup"
expect_nothing_in_progress "streamer"
before=$(snap)
expect_exit 1 "streamer, flipped: refused" upd install "$T/art/stream-flipped.mender"
expect_one_line_error "streamer, flipped"
expect_states "streamer, flipped: no ArtifactInstall" "Download Cleanup"
if [ "$(snap)" = "$before" ]; then ok; else bad "streamer, flipped: the destination changed"; fi

# ---- state scripts ----
mkdir -p "$T/scripts" "$T/failing"
for s in ArtifactInstall_Enter_00 ArtifactCommit_Leave_50; do
    printf '#!/bin/sh\necho script-%s >>"%s"\n' "$s" "$LOG" >"$T/scripts/$s"
done
printf '#!/bin/sh\necho script-failing >>"%s"\nexit 7\n' "$LOG" \
    >"$T/failing/ArtifactInstall_Enter_00"
aw "$T/art/probe-scripts.mender" probe-scripts probe -f "$T/in/probe.txt" -k "$EC" \
    -s "$T/scripts/ArtifactInstall_Enter_00" -s "$T/scripts/ArtifactCommit_Leave_50"
aw "$T/art/probe-failing.mender" probe-failing probe -f "$T/in/probe.txt" -k "$EC" \
    -s "$T/failing/ArtifactInstall_Enter_00"
: >"$LOG"
expect_exit 0 "scripts: install" upd install "$T/art/probe-scripts.mender"
expect_exit 0 "scripts: commit" upd commit
# Mender runs the Leave scripts before Cleanup; what matters here is each
# script inside its state.
got=$(states)
installed="Download SupportsRollback script-ArtifactInstall_Enter_00 ArtifactInstall"
case "$got" in
    "$installed NeedsArtifactReboot ArtifactCommit "*script-ArtifactCommit_Leave_50*) ok ;;
    *) bad "scripts: states [$got]" ;;
esac
: >"$LOG"
expect_exit 1 "failing Enter script: refused" upd install "$T/art/probe-failing.mender"
expect_one_line_error "failing Enter script"
if grep -q 'ArtifactInstall_Enter_00' "$T/err"; then ok; else bad "failing Enter script: unnamed"; fi
if grep -qx ArtifactInstall "$LOG"; then bad "failing Enter script: ArtifactInstall ran"; else ok; fi
if grep -qx script-failing "$LOG"; then ok; else bad "failing Enter script: it did not run"; fi
expect_nothing_in_progress "failing Enter script"

# ---- timeouts from mender.conf ----
# Past ModuleTimeoutSeconds the module's process group is ended and the
# install fails, naming the timeout, before anything reached the destination.
write_conf "$KEYS/ecp256.pub" ',"ModuleTimeoutSeconds":1'
before=$(snap)
: >"$LOG"
start=$(date +%s)
expect_exit 1 "module past ModuleTimeoutSeconds: refused" upd install "$T/art/sleeper.mender"
took=$(($(date +%s) - start))
expect_one_line_error "module past ModuleTimeoutSeconds"
if grep -q 'ArtifactInstall.*ModuleTimeoutSeconds' "$T/err"; then ok; else
    bad "module timeout: not named: $(cat "$T/err")"; fi
if [ "$took" -lt 20 ]; then ok; else bad "module timeout: took ${took}s"; fi
if [ "$(snap)" = "$before" ]; then ok; else bad "module timeout: the destination changed"; fi
expect_states "module timeout: undone" \
    "Download SupportsRollback ArtifactInstall ArtifactFailure Cleanup"
expect_nothing_in_progress "module timeout"
# A state script past StateScriptTimeoutSeconds fails its state.
mkdir -p "$T/slow"
printf '#!/bin/sh\nsleep 30\n' >"$T/slow/ArtifactInstall_Enter_00"
aw "$T/art/probe-slow.mender" probe-slow probe -f "$T/in/probe.txt" -k "$EC" \
    -s "$T/slow/ArtifactInstall_Enter_00"
write_conf "$KEYS/ecp256.pub" ',"StateScriptTimeoutSeconds":1'
: >"$LOG"
start=$(date +%s)
expect_exit 1 "script past StateScriptTimeoutSeconds: refused" upd install \
    "$T/art/probe-slow.mender"
took=$(($(date +%s) - start))
expect_one_line_error "script past StateScriptTimeoutSeconds"
if grep -q 'ArtifactInstall_Enter_00.*StateScriptTimeoutSeconds' "$T/err"; then ok; else
    bad "script timeout: not named: $(cat "$T/err")"; fi
if [ "$took" -lt 20 ]; then ok; else bad "script timeout: took ${took}s"; fi
if grep -qx ArtifactInstall "$LOG"; then bad "script timeout: ArtifactInstall ran"; else ok; fi
expect_nothing_in_progress "script timeout"
# Not a whole number of seconds, or not at least one: a configuration error.
for opt in ModuleTimeoutSeconds StateScriptTimeoutSeconds; do
    for v in '"x"' 0 -5 1.5; do
        write_conf "$KEYS/ecp256.pub" ",\"$opt\":$v"
        expect_exit 1 "$opt $v: configuration error" upd install "$T/art/probe.mender"
        expect_one_line_error "$opt $v"
        if grep -q "$opt" "$T/err"; then ok; else bad "$opt $v: unnamed: $(cat "$T/err")"; fi
    done
done
write_conf "$KEYS/ecp256.pub"

finish
