"""Rebuilds an uncompressed artifact (artsig write --compression none) with one
tar entry made into a header that tar readers read differently, in one layer:

  craft_tar.py IN OUT LAYER KIND [RSA_KEY]

LAYER: outer (the member header.tar), header (header.tar's script
scripts/ArtifactInstall_Enter_00, or a new one of that name) or data (the
payload's last file); none is a tar's first entry, which libarchive looks at
harder to tell a tar at all. LAYER tail is the member data/0000.tar, its
header at 256 KiB into the artifact (header.tar grows with zeros after its end
blocks): past the reader's first two 128 KiB input blocks, which are all a
check of the header alone reads. KIND: V (a GNU volume header whose data is the
entry), g (a pax global header before it), S (a GNU sparse entry with an
empty map), nulpath (a pax path with a NUL inside), paxpad (non-zero padding
after pax data), checksum (a digit after the checksum's end, which libarchive
ignores and Go refuses), size (a byte after the size's digits, likewise), a
tar type 1, 2, 3, 5 or 6 (link, symlink, device, directory, FIFO); or, as
writers make them, pax (path, mtime and comment records) or longname (a GNU
long name). The manifest lists header.tar's new digest; with RSA_KEY the
manifest is signed (PKCS#1 v1.5 by openssl), else the artifact is unsigned.
Headers are made byte by byte: Python's tarfile would not write them."""
import hashlib
import io
import subprocess
import sys
import tarfile
import base64

BLOCK = 512
POSIX = b"ustar\x0000"
GNU = b"ustar  \x00"
SCRIPT = "scripts/ArtifactInstall_Enter_00"
TAIL_AT = 256 * 1024


def octal(value, width):
    return b"%0*o\x00" % (width - 1, value)


def header(name, size, typ=b"0", magic=POSIX, linkname=b"", checksum=None, size_field=None):
    h = bytearray(BLOCK)
    h[0:len(name)] = name.encode()
    h[100:108] = octal(0o644, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = size_field or octal(size, 12)
    h[136:148] = octal(0, 12)
    h[156:157] = typ
    h[157:157 + len(linkname)] = linkname
    h[257:265] = magic
    h[329:337] = octal(0, 8)
    h[337:345] = octal(0, 8)
    h[148:156] = b" " * 8
    h[148:156] = checksum or b"%06o\x00 " % sum(h)
    return bytes(h)


def padded(data, fill=b"\x00"):
    return data + fill * (-len(data) % BLOCK)


def entry(name, data, **kw):
    return header(name, len(data), **kw) + padded(data)


def pax(name, records, fill=b"\x00", typ=b"x"):
    body = b""
    for key, value in records:
        rec = b" " + key + b"=" + value + b"\n"
        n = len(rec) + 1
        while len(b"%d" % n) + len(rec) != n:
            n += 1
        body += b"%d" % n + rec
    return header("PaxHeaders/" + name, len(body), typ=typ) + padded(body, fill)


def crafted(kind, name, data):
    """The bytes that take the place of entry `name`."""
    if kind == "V":
        inner = entry(name, data)
        return header(name, len(inner), typ=b"V", magic=GNU) + inner
    if kind == "g":
        return pax(name, [(b"comment", b"global")], typ=b"g") + entry(name, data)
    if kind == "S":
        return header(name, len(data), typ=b"S", magic=GNU) + padded(data)
    if kind == "nulpath":
        return pax(name, [(b"path", name.encode() + b"\x00.hidden")]) + entry(name, data)
    if kind == "paxpad":
        return pax(name, [(b"mtime", b"0")], fill=b"\x01") + entry(name, data)
    if kind == "pax":
        records = [(b"path", name.encode()), (b"mtime", b"1700000000.5"), (b"comment", b"ok")]
        return pax(name, records) + entry(name, data)
    if kind == "longname":
        long_name = header("././@LongLink", len(name) + 1, typ=b"L", magic=GNU)
        return long_name + padded(name.encode() + b"\x00") + entry(name, data, magic=GNU)
    if kind == "checksum":
        plain = header(name, len(data))
        return entry(name, data, checksum=plain[148:154] + b" 7")
    if kind == "size":
        return entry(name, data, size_field=octal(len(data), 12)[:11] + b"X")
    return header(name, 0, typ=kind.encode(), linkname=b"target")


def members(data):
    """(name, bytes) of each entry of an uncompressed tar, in order."""
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return [(m.name, t.extractfile(m).read()) for m in t.getmembers()]


def build(entries):
    return b"".join(entries) + b"\x00" * (2 * BLOCK)


def main(src, out, layer, kind, key=None):
    with open(src, "rb") as f:
        outer = members(f.read())
    outer = [(n, d) for n, d in outer if n != "manifest.sig"]
    parts = dict(outer)
    header_tar = [entry(n, d) for n, d in members(parts["header.tar"])]
    if layer == "header":
        names = [n for n, _ in members(parts["header.tar"])]
        script = b"#!/bin/sh\necho hidden >\"$HIDDEN_MARK\"\n"
        if SCRIPT in names:
            header_tar[names.index(SCRIPT)] = crafted(kind, SCRIPT, script)
        else:
            header_tar.insert(1, crafted(kind, SCRIPT, script))
    parts["header.tar"] = build(header_tar)
    if layer == "tail":
        # version and manifest take a block of header and one of data each.
        before_header_data = 5 * BLOCK
        parts["header.tar"] += b"\x00" * (TAIL_AT - before_header_data - len(parts["header.tar"]))
    if layer == "data":
        files = members(parts["data/0000.tar"])
        kept = [entry(n, d) for n, d in files[:-1]]
        parts["data/0000.tar"] = build(kept + [crafted(kind, *files[-1])])
    digest = hashlib.sha256(parts["header.tar"]).hexdigest()
    parts["manifest"] = b"".join(
        (digest.encode() + b"  header.tar\n") if line.endswith(b"  header.tar") else line + b"\n"
        for line in parts["manifest"].splitlines())
    names = [n for n, _ in outer]
    if key:
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                             input=parts["manifest"], capture_output=True, check=True).stdout
        parts["manifest.sig"] = base64.b64encode(sig)
        names.insert(names.index("manifest") + 1, "manifest.sig")
    target = {"outer": "header.tar", "tail": "data/0000.tar"}.get(layer)
    result = [crafted(kind, n, parts[n]) if n == target
              else entry(n, parts[n]) for n in names]
    with open(out, "wb") as f:
        f.write(build(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
