"""The binding's tables against the C headers, and the Error type."""

import re

import pytest

import artsig
from artsig import _errors


def parse_enum(header_text, typedef):
    """{NAME: value} of `typedef enum NAME { ... } NAME;` in a header."""
    m = re.search(r"typedef enum %s \{(.*?)\} %s;" % (typedef, typedef), header_text, re.S)
    assert m, f"enum {typedef} not found"
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", m.group(1), flags=re.S)
    values = {}
    for name, value in re.findall(r"\b([A-Z][A-Z0-9_]*)\s*=\s*(-?\d+)", body):
        values[name] = int(value)
    assert values
    return values


@pytest.fixture(scope="module")
def common_h(source):
    return (source / "include" / "artsig" / "common.h").read_text()


def test_status_table_matches_common_h(common_h):
    header = parse_enum(common_h, "artsig_status")
    ours = {"ARTSIG_" + s.name: int(s) for s in artsig.Status}
    assert ours == header
    last = re.search(r"#define ARTSIG_STATUS_LAST (ARTSIG_\w+)", common_h).group(1)
    assert header[last] == min(header.values())


def test_key_type_table_matches_key_h(source):
    header = parse_enum((source / "include" / "artsig" / "key.h").read_text(), "artsig_key_type")
    assert {"ARTSIG_KEY_" + t.name: int(t) for t in artsig.KeyType} == header


def test_signature_sizes_match_signature_h(source):
    text = (source / "include" / "artsig" / "signature.h").read_text()
    assert int(re.search(r"#define ARTSIG_SIGNATURE_MAX (\d+)", text).group(1)) == artsig._lib.SIGNATURE_MAX


def test_sign_flags_match_writer_h(source):
    text = (source / "include" / "artsig" / "writer.h").read_text()
    flags = dict(re.findall(r"#define (ARTSIG_SIGN_\w+) (\d+)u", text))
    assert {k: int(v) for k, v in flags.items()} == {
        "ARTSIG_SIGN_REPLACE": artsig._lib.SIGN_REPLACE,
        "ARTSIG_SIGN_CHECK_PAYLOADS": artsig._lib.SIGN_CHECK_PAYLOADS,
    }


@pytest.mark.parametrize("status", list(artsig.Status), ids=lambda s: s.name)
def test_every_status_has_a_name_description_and_error(status):
    assert artsig.status_name(status) == "ARTSIG_" + status.name
    description = artsig.strerror(status)
    assert description and "unknown" not in description.lower()
    if status == artsig.Status.OK:
        return
    e = _errors.error(status, "detail")
    assert isinstance(e, artsig.Error)
    assert (e.status, e.name, e.message) == (int(status), "ARTSIG_" + status.name, "detail")
    assert e.description == description
    assert str(e) == f"detail [ARTSIG_{status.name}]"


def test_descriptions_are_distinct():
    descriptions = [artsig.strerror(s) for s in artsig.Status]
    assert len(set(descriptions)) == len(descriptions)


def test_unknown_status_from_a_newer_library():
    e = artsig.Error(-1000)
    assert e.status == -1000
    assert e.name == "ARTSIG_STATUS(-1000)"
    assert e.message  # the library's description of an unknown code


def test_error_without_detail_uses_the_description():
    e = artsig.Error(artsig.Status.EVERIFY)
    assert e.message == artsig.strerror(artsig.Status.EVERIFY)


@pytest.mark.parametrize(
    "status, family",
    [
        ("EKEYUNSUPPORTED", artsig.KeyLoadError),
        ("EPASSPHRASE", artsig.KeyLoadError),
        ("EVERIFY", artsig.VerificationError),
        ("EUNSIGNED", artsig.VerificationError),
        ("EDIGEST", artsig.ArtifactError),
        ("ETRUNCATED", artsig.ArtifactError),
        ("EPIN", artsig.PKCS11Error),
        ("ENOENT", artsig.NotFoundError),
        ("EINVAL", artsig.Error),
    ],
)
def test_families(status, family):
    e = _errors.error(artsig.Status[status], "x")
    assert type(e) is family
    if family is artsig.NotFoundError:
        assert isinstance(e, FileNotFoundError)


def test_version(source):
    v = artsig.version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", v)
    project = re.search(r"version : '([^']+)'", (source / "meson.build").read_text()).group(1)
    assert v == project
