#!/bin/sh
# rsa-exponent.sh KEY E OUT: OUT is KEY's RSA modulus with public exponent E,
# as a SubjectPublicKeyInfo PEM. OpenSSL's tools never generate such weak
# exponents (1, even ones), so the structure is spelt out for asn1parse.
set -eu
modulus=$(openssl rsa -pubin -in "$1" -noout -modulus | sed 's/^Modulus=//')
conf=$(mktemp)
trap 'rm -f "$conf" "$conf.der"' EXIT
cat >"$conf" <<CONF
asn1 = SEQUENCE:spki
[spki]
algorithm = SEQUENCE:rsa_encryption
key = BITWRAP,SEQUENCE:rsa_public_key
[rsa_encryption]
oid = OID:rsaEncryption
parameters = NULL
[rsa_public_key]
n = INTEGER:0x$modulus
e = INTEGER:$2
CONF
openssl asn1parse -genconf "$conf" -noout -out "$conf.der"
openssl pkey -pubin -inform DER -in "$conf.der" -out "$3"
