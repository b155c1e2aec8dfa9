#!/bin/sh
# What `meson install` puts beside the programs: the man pages artsig(1) and
# artsig-update(1) (plain or gzipped), which must render without a single
# groff or man warning and describe every command and every long option that
# the programs' --help texts list; the bash completions, as bash-completion
# loads them (by command name), naming every command; and, in a build with
# -Ddocs=enabled, the HTML API reference, with a page for every public
# function.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
ARTSIG_UPDATE=${ARTSIG_UPDATE:-$BUILD/update/artsig-update}
MESON=${MESON:-meson}
# man-db's seccomp sandbox is not allowed in every container.
export MAN_DISABLE_SECCOMP=1 LC_ALL=C.UTF-8

D=$T/dest
if DESTDIR=$D "$MESON" install -C "$BUILD" --no-rebuild --quiet >"$T/install.log" 2>&1; then ok
else
    bad "meson install into DESTDIR failed: $(tail -n 5 "$T/install.log")"
    finish
    exit
fi

# The commands and long options a --help text lists.
commands_of() { "$ARTSIG" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}'; }
long_options() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
commands_of >"$T/commands"
[ "$(wc -l <"$T/commands")" -ge 9 ] && ok || bad "artsig --help lists $(wc -l <"$T/commands") commands"

# man: -Dman=disabled builds none; otherwise (auto, enabled) scdoc must have
# built them (scripts/deps.sh installs it).
man_opt=$("$MESON" introspect --buildoptions "$BUILD" 2>/dev/null | python3 -c '
import json, sys
print(next((o["value"] for o in json.load(sys.stdin) if o["name"] == "man"), "auto"))' 2>/dev/null)
if [ "$man_opt" = disabled ]; then
    echo "man pages disabled (-Dman=disabled): not checked"
else
    for page in artsig artsig-update; do
        f=$(find "$D" -path "*/man/man1/$page.1" -o -path "*/man/man1/$page.1.gz" | head -n 1)
        if [ -z "$f" ]; then
            bad "$page.1 not installed under man/man1 (is scdoc installed?)"
            continue
        fi
        ok
        case $f in
            *.gz) gzip -dc "$f" >"$T/$page.1" ;;
            *) cp "$f" "$T/$page.1" ;;
        esac
        # Rendered as man shows it, and through groff with every warning on.
        if command -v man >/dev/null; then
            warnings=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >"$T/$page.txt")
            [ -z "$warnings" ] && ok || bad "man -l $page.1 warns: $warnings"
        else
            bad "man is not installed (scripts/deps.sh installs man-db)"
        fi
        warnings=$(groff -ww -z -t -man "$T/$page.1" 2>&1)
        [ -z "$warnings" ] && ok || bad "groff -ww $page.1 warns: $warnings"
        # man's own rendering when it is there, else groff's.
        [ -s "$T/$page.txt" ] ||
            groff -t -man -Tutf8 -P-cbou "$T/$page.1" >"$T/$page.txt" 2>/dev/null
        grep -q '^NAME' "$T/$page.txt" && grep -q '^SYNOPSIS' "$T/$page.txt" &&
            grep -q '^EXIT STATUS' "$T/$page.txt" && grep -q '^SEE ALSO' "$T/$page.txt" &&
            ok || bad "$page.1 lacks NAME, SYNOPSIS, EXIT STATUS or SEE ALSO"
        # man's hyphenation breaks long option names; compare unbroken words.
        MANWIDTH=400 man -l "$f" >"$T/$page.wide" 2>/dev/null ||
            groff -t -man -Tutf8 -P-cbou -rLL=400n "$T/$page.1" >"$T/$page.wide" 2>/dev/null
    done

    # artsig(1): a subsection per command, and every long option of each.
    if [ -s "$T/artsig.1" ]; then
        while read -r cmd; do
            grep -qx "\.SS $cmd" "$T/artsig.1" && ok || bad "artsig.1 has no section for '$cmd'"
            "$ARTSIG" "$cmd" --help | long_options | while read -r opt; do
                grep -q -- "$opt" "$T/artsig.wide" || echo "$cmd $opt"
            done >"$T/missing"
            [ ! -s "$T/missing" ] && ok || bad "artsig.1 lacks options: $(tr '\n' ' ' <"$T/missing")"
        done <"$T/commands"
        for word in SOURCE_DATE_EPOCH ARTSIG_PKCS11_MODULE pkcs11: 'EXIT STATUS'; do
            grep -q -- "$word" "$T/artsig.wide" && ok || bad "artsig.1 does not mention $word"
        done
    fi
    # artsig-update(1): every command, option and mender.conf key it reads.
    if [ -s "$T/artsig-update.1" ]; then
        "$ARTSIG_UPDATE" --help | awk '/^commands:/ {on = 1; next} /^options:/ {on = 0} on && /^  [a-z]/ {print $1}' >"$T/ucommands"
        [ "$(wc -l <"$T/ucommands")" -ge 5 ] && ok || bad "artsig-update --help lists too few commands"
        { cat "$T/ucommands"; "$ARTSIG_UPDATE" --help | long_options; } | while read -r word; do
            grep -q -- "$word" "$T/artsig-update.wide" || echo "$word"
        done >"$T/missing"
        [ ! -s "$T/missing" ] && ok || bad "artsig-update.1 lacks: $(tr '\n' ' ' <"$T/missing")"
        # The keys update/config.c knows.
        sed -n 's/^ *\[OPT_[A-Z_]*\] = "\([A-Za-z]*\)",$/\1/p' "$SRC/update/config.c" >"$T/keys"
        [ "$(wc -l <"$T/keys")" -ge 10 ] && ok || bad "found $(wc -l <"$T/keys") keys in update/config.c"
        while read -r key; do
            grep -q "$key" "$T/artsig-update.wide" || echo "$key"
        done <"$T/keys" >"$T/missing"
        [ ! -s "$T/missing" ] && ok || bad "artsig-update.1 lacks mender.conf keys: $(tr '\n' ' ' <"$T/missing")"
    fi
fi

# Bash completions, named as the commands (bash-completion loads them so).
for prog in artsig artsig-update; do
    f=$(find "$D" -path "*/bash-completion/completions/$prog" | head -n 1)
    if [ -n "$f" ] && cmp -s "$f" "$SRC/completions/$prog.bash"; then ok
    else bad "bash completion for $prog not installed as bash-completion/completions/$prog"; fi
done
f=$(find "$D" -path '*/bash-completion/completions/artsig' | head -n 1)
if [ -n "$f" ]; then
    while read -r cmd; do
        grep -qw -- "$cmd" "$f" || echo "$cmd"
    done <"$T/commands" >"$T/missing"
    [ ! -s "$T/missing" ] && ok || bad "the artsig completion lacks commands: $(tr '\n' ' ' <"$T/missing")"
fi

# The API reference, when this build makes it (-Ddocs=enabled).
if [ -f "$BUILD/docs/html/index.html" ]; then
    html=$(find "$D" -path '*/doc/libartsig/html' -type d | head -n 1)
    if [ -n "$html" ] && [ -f "$html/index.html" ]; then
        ok
        # Every exported function has its documentation (Doxygen leaves
        # undocumented ones out; the build fails on them anyway).
        grep -hv '^#' "$SRC"/include/artsig/*.h | tr '\n' ' ' | grep -o 'ARTSIG_API[^(]*(' |
            sed 's/($//; s/.*[ *]//' | sort -u >"$T/functions"
        grep -h 'class="memname"' "$html"/*.html | sed 's/<[^>]*>//g; s/&#160;/ /g' >"$T/memnames"
        while read -r fn; do
            grep -q "[ *]$fn *\$" "$T/memnames" || echo "$fn"
        done <"$T/functions" >"$T/missing"
        [ "$(wc -l <"$T/functions")" -gt 50 ] && [ ! -s "$T/missing" ] && ok ||
            bad "API reference lacks: $(tr '\n' ' ' <"$T/missing")"
    else
        bad "API reference not installed into share/doc/libartsig/html"
    fi
else
    echo "API reference not built (-Ddocs=enabled builds it): not checked"
fi

finish
