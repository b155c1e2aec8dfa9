# bash completion for artsig-update(1)                     -*- shell-script -*-
# Installed as bash-completion/completions/artsig-update. Works with or
# without the bash-completion package's helpers.

_artsig_update()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        if [[ $cur == = ]]; then
            cur=
            split=true
        elif [[ $prev == = && $cword -ge 2 ]]; then
            prev=${COMP_WORDS[COMP_CWORD - 2]}
            split=true
        fi
    fi

    case $prev in
        --config | -c | --fallback-config | -b | --trusted-certs | -E)
            _artsig_update_paths -f
            return ;;
        --log-level | -l)
            COMPREPLY=($(compgen -W 'error warning info debug' -- "$cur"))
            return ;;
        --data | -d)
            _artsig_update_paths -d
            return ;;
    esac

    # Options may come before or after the command (as Mender's clients take
    # them); find the command, if any.
    local i command=
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --config | -c | --fallback-config | -b | --data | -d | --trusted-certs | -E | \
                --log-level | -l)
                # the option's value, after an '=' word without bash-completion
                if [[ ${words[i + 1]-} == = ]]; then ((i += 2)); else ((i++)); fi ;;
            -* | =) ;;
            *)
                command=${words[i]}
                break ;;
        esac
    done

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W \
            '--config -c --fallback-config -b --data -d --trusted-certs -E --skipverify --reboot-exit-code --log-level -l --help -h --version -v' \
            -- "$cur"))
        return
    fi
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W \
            'install commit rollback show-artifact show-provides show-config daemon check-update send-inventory' \
            -- "$cur"))
        return
    fi

    # install ARTIFACT|URL|-: a file (a URL or - is typed).
    if [[ $command == install && $i -eq $((cword - 1)) ]]; then
        _artsig_update_paths -f
    fi
}

# Files (-f) or directories (-d) matching $cur.
_artsig_update_paths()
{
    if declare -F _filedir >/dev/null; then
        if [[ $1 == -d ]]; then _filedir -d; else _filedir; fi
    else
        compopt -o filenames 2>/dev/null
        local IFS=$'\n'
        COMPREPLY=($(compgen "$1" -- "$cur"))
    fi
} &&
    complete -F _artsig_update artsig-update

# ex: filetype=sh
