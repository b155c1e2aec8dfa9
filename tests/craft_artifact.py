#!/usr/bin/env python3
"""Craft a version 3 artifact with one rootfs-image file and the given header
JSON, for tests of header files no writer would make.

usage: craft_artifact.py OUT HEADER_INFO TYPE_INFO [--meta-data TEXT]
                         [--key PRIVATE_KEY] [--augment-header-info TEXT]
                         [--version TEXT]

A TEXT starting with @ is the contents of that file. --key signs the manifest
(RSA, PKCS#1 v1.5 over SHA-256, with openssl); --augment-header-info adds a
header-augment.tar.gz holding that header-info, listed in manifest-augment,
outside the signature."""
import argparse
import base64
import gzip
import hashlib
import io
import subprocess
import tarfile


def text(arg):
    if arg.startswith("@"):
        with open(arg[1:], "rb") as f:
            return f.read()
    return arg.encode()


def tar_of(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def manifest_of(listed):
    return "".join("%s  %s\n" % (hashlib.sha256(listed[n]).hexdigest(), n)
                   for n in sorted(listed)).encode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("header_info", type=text)
    p.add_argument("type_info", type=text)
    p.add_argument("--meta-data", type=text)
    p.add_argument("--key")
    p.add_argument("--augment-header-info", type=text)
    p.add_argument("--version", type=text, default=b'{"format":"mender","version":3}')
    a = p.parse_args()

    header = [("header-info", a.header_info), ("headers/0000/type-info", a.type_info)]
    if a.meta_data is not None:
        header.append(("headers/0000/meta-data", a.meta_data))
    image = b"rootfs image\n" * 100
    version = a.version
    header_gz = gzip.compress(tar_of(header), mtime=0)
    manifest = manifest_of({"version": version, "header.tar.gz": header_gz,
                            "data/0000/image.ext4": image})
    members = [("version", version), ("manifest", manifest)]
    if a.key:
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", a.key],
                                   input=manifest, stdout=subprocess.PIPE, check=True).stdout
        members.append(("manifest.sig", base64.b64encode(signature)))
    augment = None
    if a.augment_header_info is not None:
        augment = gzip.compress(tar_of([("header-info", a.augment_header_info)]), mtime=0)
        members.append(("manifest-augment", manifest_of({"header-augment.tar.gz": augment})))
    members.append(("header.tar.gz", header_gz))
    if augment:
        members.append(("header-augment.tar.gz", augment))
    members.append(("data/0000.tar.gz", gzip.compress(tar_of([("image.ext4", image)]), mtime=0)))
    with open(a.out, "wb") as f:
        f.write(tar_of(members))


main()
