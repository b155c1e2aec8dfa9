"""How artsig's facts are held to the shared vectors' meta/*.json: every key
there must be in ours with an equal value, objects compared key by key the
same way and lists item by item (ours may say more). Used by
tests/cli_validate.sh (`python3 tests/meta_agree.py META OURS`) and by the
Python binding's tests."""
import json
import sys


def agree(want, got, where=""):
    """The differences, as a list of "path: what" texts; empty when they agree."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{where}: {got!r} is not an object"]
        errs = []
        for k, v in want.items():
            if k not in got:
                errs.append(f"{where}.{k}: missing")
            else:
                errs += agree(v, got[k], f"{where}.{k}")
        return errs
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{where}: {got!r}, want {want!r}"]
        return [e for i, (w, g) in enumerate(zip(want, got)) for e in agree(w, g, f"{where}[{i}]")]
    return [] if want == got and type(want) is type(got) else [f"{where}: {got!r}, want {want!r}"]


if __name__ == "__main__":
    with open(sys.argv[1]) as meta, open(sys.argv[2]) as ours:
        errs = agree(json.load(meta), json.load(ours))
    print("; ".join(errs))
    sys.exit(1 if errs else 0)
