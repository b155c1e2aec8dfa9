# bash completion for artsig(1)                            -*- shell-script -*-
# Installed as bash-completion/completions/artsig. Works with or without the
# bash-completion package's helpers.

_artsig_files()
{
    if declare -F _filedir >/dev/null; then
        _filedir
    else
        compopt -o filenames 2>/dev/null
        local IFS=$'\n'
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_artsig()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        # --opt=value: bash splits at '=' (COMP_WORDBREAKS).
        if [[ $cur == = ]]; then
            cur=
            split=true
        elif [[ $prev == = && $cword -ge 2 ]]; then
            prev=${COMP_WORDS[COMP_CWORD - 2]}
            split=true
        fi
    fi

    local commands='keygen sign-blob verify-blob validate read write sign
        export-manifest attach-signature'

    # The command: the first word after "artsig" that is not an option.
    local i command=
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} != -* ]]; then
            command=${words[i]}
            break
        fi
    done

    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi

    # The command's options, and those of them that take a value.
    local takes opts
    # The signing keys of sign, sign-blob and write besides -k and --key-pkcs11.
    local remote='--gcp-kms-key --vault-transit-key --sign-cmd --sign-cmd-public-key'
    case $command in
        keygen)
            opts='--type -t --output -o --public -p --force -f --help'
            takes='--type -t --output -o --public -p' ;;
        sign-blob)
            opts="--key -k --key-pkcs11 $remote --passphrase-file --help"
            takes="--key -k --key-pkcs11 $remote --passphrase-file" ;;
        verify-blob)
            opts='--key -k --key-pkcs11 --signature -s --help'
            takes='--key -k --key-pkcs11 --signature -s' ;;
        validate)
            opts='--key -k --key-pkcs11 --no-progress --help'
            takes='--key -k --key-pkcs11' ;;
        read)
            opts='--json --key -k --key-pkcs11 --no-progress --help'
            takes='--key -k --key-pkcs11' ;;
        write)
            opts="--artifact-name -n --device-type -t --file -f --type -T
                --output-path -o --key -k --key-pkcs11 $remote --passphrase-file
                --compression --version -v --provides -p --depends -d
                --artifact-name-depends -N --provides-group -g
                --depends-groups -G --clears-provides
                --no-default-clears-provides --script -s --meta-data -m
                --software-name --software-version --software-filesystem
                --no-default-software-version --no-checksum-provide
                --legacy-rootfs-image-checksum --no-progress --help"
            takes="--artifact-name -n --device-type -t --file -f --type -T --output-path -o --key -k --key-pkcs11 $remote --passphrase-file --compression --version -v --provides -p --depends -d --artifact-name-depends -N --provides-group -g --depends-groups -G --clears-provides --script -s --meta-data -m --software-name --software-version --software-filesystem" ;;
        sign)
            opts="--key -k --key-pkcs11 $remote --passphrase-file --output -o
                --output-path --force -f --check-payloads --help"
            takes="--key -k --key-pkcs11 $remote --passphrase-file --output -o --output-path" ;;
        export-manifest)
            opts='--output -o --output-path --help'
            takes='--output -o --output-path' ;;
        attach-signature)
            opts='--key -k --key-pkcs11 --output -o --output-path --force -f
                --check-payloads --help'
            takes='--key -k --key-pkcs11 --output -o --output-path' ;;
        *)
            return ;;
    esac

    # The value of an option.
    case $prev in
        --type | -t | -T)
            if [[ $command == keygen ]]; then
                COMPREPLY=($(compgen -W 'rsa3072 ecdsa-p256 ed25519' -- "$cur"))
                return
            elif [[ $command == write && $prev == -t ]]; then
                return # a device type: free text
            elif [[ $command == write ]]; then
                # -T/--type: the update module, one of those installed.
                local modules=/usr/share/mender/modules/v3
                [[ -d $modules ]] &&
                    COMPREPLY=($(compgen -W "$(cd "$modules" && ls)" -- "$cur"))
                return
            fi
            ;;
        --compression)
            COMPREPLY=($(compgen -W 'none gzip lzma xz zstd' -- "$cur"))
            return ;;
        --version | -v)
            [[ $command == write ]] && COMPREPLY=($(compgen -W '3 2' -- "$cur"))
            return ;;
        --key-pkcs11 | --gcp-kms-key | --vault-transit-key)
            return ;; # a pkcs11: URI, a key's name
        --sign-cmd)
            # A command line, whose first word is a program: one on the PATH,
            # or a path to one.
            if [[ $cur == */* ]]; then
                _artsig_files
            else
                COMPREPLY=($(compgen -c -- "$cur"))
            fi
            return ;;
        --artifact-name | -n | --device-type | --provides | -p | --depends | -d | \
            --artifact-name-depends | -N | --provides-group | -g | --depends-groups | -G | \
            --clears-provides | --software-name | --software-version | \
            --software-filesystem)
            [[ $command == write ]] && return ;;
    esac
    # The other options' values are paths (also as --opt=PATH).
    if [[ " $takes " == *" $prev "* ]] || $split; then
        _artsig_files
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    # write's first argument is the kind of artifact.
    if [[ $command == write ]]; then
        local kind=
        for ((i = i + 1; i < cword; i++)); do
            case ${words[i]} in
                rootfs-image | module-image | bootstrap-artifact) kind=${words[i]} ;;
            esac
        done
        if [[ -z $kind ]]; then
            COMPREPLY=($(compgen -W 'rootfs-image module-image bootstrap-artifact' -- "$cur"))
            return
        fi
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    # Arguments are files (ARTIFACT, FILE, SIGFILE).
    _artsig_files
} &&
    complete -F _artsig artsig

# ex: filetype=sh
