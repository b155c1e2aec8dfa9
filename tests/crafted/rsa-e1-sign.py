#!/usr/bin/env python3
"""rsa-e1-sign.py BYTES: the base64 RSA PKCS#1 v1.5 SHA-256 signature of
stdin for any key of a BYTES-byte modulus and public exponent 1, made without
a private key: with e = 1 the padded digest is its own signature. Usable as
an `artsig --sign-cmd` program."""
import base64
import hashlib
import sys

SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
digest_info = SHA256_DIGEST_INFO + hashlib.sha256(sys.stdin.buffer.read()).digest()
padding = b"\xff" * (int(sys.argv[1]) - 3 - len(digest_info))
print(base64.b64encode(b"\x00\x01" + padding + b"\x00" + digest_info).decode())
