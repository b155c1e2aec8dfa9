"""Shared fixtures: where the vectors, the sources and the CLI are.

Run by meson (test 'python') with ARTSIG_LIBRARY naming the freshly built
library, ARTSIG_VECTORS the shared vectors, ARTSIG_CLI the built `artsig`
and ARTSIG_SOURCE the source tree. By hand:

    ARTSIG_LIBRARY=build/libartsig/libartsig.so.0 ARTSIG_CLI=build/cli/artsig \
        PYTHONPATH=bindings/python python3 -m pytest bindings/python/tests
"""

import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = pathlib.Path(os.environ.get("ARTSIG_SOURCE") or HERE.parents[2])
VECTORS = pathlib.Path(os.environ.get("ARTSIG_VECTORS") or SOURCE.parent / "shared" / "vectors")


def pytest_report_header(config):
    import artsig

    return [
        f"libartsig {artsig.version()} from {artsig.library_path()}",
        f"vectors: {VECTORS}",
        f"cli: {os.environ.get('ARTSIG_CLI', '(not set: CLI cross-checks skipped)')}",
    ]


def pytest_terminal_summary(terminalreporter):
    """The tally line scripts/test.sh adds up over the whole suite."""
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    terminalreporter.write_line(f"{passed} passed, {failed} failed")


@pytest.fixture(scope="session")
def vec():
    assert (VECTORS / "cases.tsv").is_file(), f"no vectors at {VECTORS} (set ARTSIG_VECTORS)"
    return VECTORS


@pytest.fixture(scope="session")
def source():
    return SOURCE


def subprocess_env():
    """The environment for programs the tests run: without the sanitizer
    runtime run.sh preloads into python3 in sanitized builds."""
    env = dict(os.environ)
    if env.get("ARTSIG_PRELOADED"):
        for var in ("LD_PRELOAD", "ASAN_OPTIONS"):
            original = env.get("ARTSIG_SUBPROCESS_" + var, "")
            if original:
                env[var] = original
            else:
                env.pop(var, None)
    return env


def run(args, **kwargs):
    """subprocess.run with subprocess_env()."""
    return subprocess.run([str(a) for a in args], env=subprocess_env(), **kwargs)


class Cli:
    """The `artsig` command line tool, for cross-checks."""

    def __init__(self, path):
        self.path = path

    def __call__(self, *args, input=None):
        return run(
            [self.path, *args],
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=300,
        )


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("ARTSIG_CLI")
    if not path:
        pytest.skip("ARTSIG_CLI is not set")
    return Cli(path)


def keys_of(vec, spec):
    """cases.tsv's key column: "-" or comma-separated names under keys/."""
    return [] if spec == "-" else [vec / "keys" / k for k in spec.split(",")]


def read_cases(vec):
    lines = (vec / "cases.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    assert header[:4] == ["artifact", "keys", "expect", "what"], header
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]


# The comparison with meta/*.json is the CLI test's, shared with it.
sys.path.insert(0, str(SOURCE / "tests"))
from meta_agree import agree  # noqa: E402,F401
