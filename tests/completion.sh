#!/bin/bash
# Bash completion (completions/*.bash), run as bash runs it on <TAB>: the
# completion function with COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT,
# then COMPREPLY compared. Twice: standalone, and with the bash-completion
# package's helpers loaded (as on a Debian system) when they are installed.
# The commands, options and key types come from the programs' --help texts,
# so that a new command or option without its completion fails here.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
ARTSIG_UPDATE=${ARTSIG_UPDATE:-$BUILD/update/artsig-update}

# words LINE: split as readline does with the default COMP_WORDBREAKS: at
# blanks, and '=' and ':' become words of their own.
complete_line() {
    local line=$1 word
    COMP_WORDS=()
    for word in $line; do
        while [[ $word == *[=:]* ]]; do
            local head=${word%%[=:]*}
            [[ -n $head ]] && COMP_WORDS+=("$head")
            COMP_WORDS+=("${word:${#head}:1}")
            word=${word:${#head}+1}
        done
        [[ -n $word ]] && COMP_WORDS+=("$word")
    done
    [[ $line == *' ' || $line == *[=:] ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    local fn
    fn=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
    [[ -n $fn ]] || { bad "no completion registered for ${COMP_WORDS[0]}"; return; }
    "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}

# expect LINE WORD...: COMPREPLY is exactly these words (in any order).
expect() {
    local line=$1
    shift
    complete_line "$line"
    local got want
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
    if [[ $got == "$want" ]]; then ok; else bad "[$mode] '$line': got '$got', want '$want'"; fi
}

# includes LINE WORD...: COMPREPLY holds at least these words.
includes() {
    local line=$1 w missing=
    shift
    complete_line "$line"
    for w in "$@"; do
        printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$w" || missing+=" $w"
    done
    if [[ -z $missing ]]; then ok; else bad "[$mode] '$line': lacks$missing (got: ${COMPREPLY[*]})"; fi
}

commands=$("$ARTSIG" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
key_types=$("$ARTSIG" keygen --help | sed -n 's/.*--type \([a-z0-9|-]*\).*/\1/p' | tr '|' ' ')
ucommands=$("$ARTSIG_UPDATE" --help | awk '/^commands:/ {on = 1; next} /^options:/ {on = 0} on && /^  [a-z]/ {print $1}')
[[ $(wc -w <<<"$commands") -ge 9 && $(wc -w <<<"$key_types") -ge 3 && $(wc -w <<<"$ucommands") -ge 5 ]] &&
    ok || bad "could not read the commands and key types from --help"

mkdir "$T/dir" && : >"$T/dir/release.pem" && : >"$T/dir/release.key" && mkdir "$T/dir/sub"

run_cases() {
    expect 'artsig va' validate
    expect 'artsig sign' sign sign-blob
    # shellcheck disable=SC2086
    expect 'artsig ' $commands --help --version
    expect 'artsig write --compr' --compression
    expect 'artsig write rootfs-image --compression ' none gzip lzma xz zstd
    expect 'artsig write --compression=z' zstd
    # shellcheck disable=SC2086
    expect 'artsig keygen --type ' $key_types
    expect 'artsig keygen -t ed' ed25519
    expect 'artsig write ' rootfs-image module-image bootstrap-artifact
    expect 'artsig write module-image -v ' 2 3
    expect 'artsig write rootfs-image -n ' # a name: nothing offered
    expect 'artsig read --js' --json
    # Paths: key files, artifacts, signatures, outputs.
    expect "artsig validate -k $T/dir/release.p" "$T/dir/release.pem"
    includes "artsig keygen -o $T/dir/" "$T/dir/release.pem" "$T/dir/release.key" "$T/dir/sub"
    includes "artsig sign --key=$T/dir/rel" "$T/dir/release.pem" "$T/dir/release.key"
    expect "artsig verify-blob -k k.pem -s $T/dir/release.k" "$T/dir/release.key"
    expect "artsig validate $T/dir/release.p" "$T/dir/release.pem"
    # Every long option of every command's --help is offered after --.
    local cmd opts
    for cmd in $commands; do
        opts=$("$ARTSIG" "$cmd" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
        # shellcheck disable=SC2086
        includes "artsig $cmd --" $opts --help
    done

    # shellcheck disable=SC2086
    expect 'artsig-update ' $ucommands
    expect 'artsig-update --data /tmp sh' show-artifact show-provides show-config
    expect 'artsig-update -c x.conf in' install
    # shellcheck disable=SC2086
    includes 'artsig-update --' $("$ARTSIG_UPDATE" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
    includes "artsig-update --config $T/dir/rel" "$T/dir/release.pem" "$T/dir/release.key"
    expect "artsig-update --data $T/dir/s" "$T/dir/sub"
    expect "artsig-update install $T/dir/release.p" "$T/dir/release.pem"
    expect 'artsig-update commit ' # takes nothing
}

# Standalone, in a shell without bash-completion.
mode=standalone
(
    passed=0 failed=0
    . "$SRC/completions/artsig.bash" && . "$SRC/completions/artsig-update.bash" || bad "sourcing failed"
    run_cases
    echo "$passed $failed" >"$T/tally1"
)
read -r p f <"$T/tally1" && passed=$((passed + p)) failed=$((failed + f))

mode=bash-completion
bc=/usr/share/bash-completion/bash_completion
if [[ -r $bc ]]; then
    (
        passed=0 failed=0
        # shellcheck disable=SC1090
        . "$bc" >/dev/null 2>&1
        declare -F _init_completion >/dev/null && ok || bad "$bc defines no _init_completion"
        . "$SRC/completions/artsig.bash" && . "$SRC/completions/artsig-update.bash" || bad "sourcing failed"
        run_cases
        echo "$passed $failed" >"$T/tally2"
    )
    read -r p f <"$T/tally2" && passed=$((passed + p)) failed=$((failed + f))
else
    echo "bash-completion not installed: its helpers not tried (scripts/deps.sh installs it)"
fi

finish
