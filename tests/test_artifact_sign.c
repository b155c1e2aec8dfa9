/* Signing existing artifacts: every vector and artifacts mender-artifact
 * writes here, signed with every key form, verified by the library and by
 * mender-artifact, and compared byte for byte with the input; refusals of
 * signed and malformed artifacts; offline signatures attached; the manifest
 * exported. */
#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <artsig.h>

#include "testutil.h"

#define BLOCK 512
#define PADDED(n) (((n) + BLOCK - 1) / BLOCK * BLOCK)

/* The base vectors, signed or not: each is signed anew (replacing). */
static const char *const vectors[] = {
    "rootfs-gzip-unsigned.mender", "rootfs-gzip-rsa.mender",    "rootfs-gzip-ecdsa.mender",
    "rootfs-gzip-rsa2048.mender",  "rootfs-lzma-ecdsa.mender",  "rootfs-none-rsa.mender",
    "rootfs-v2-rsa.mender",        "module-multi-ecdsa.mender", "module-augment-rsa.mender",
    "bootstrap-ecdsa.mender",
};

/* Private key forms and the public key that checks them; `mender` when
 * mender-artifact 3.9 can verify the result (it has no Ed25519). */
static const struct {
    const char *priv, *pub;
    bool mender;
} keys[] = {
    {"rsa3072.pkcs8.key", "rsa3072.pub", true},   {"rsa3072.pkcs1.key", "rsa3072.pub", true},
    {"ecp256.pkcs8.key", "ecp256.pub", true},     {"ecp256.params.key", "ecp256.pub", true},
    {"ecp256.sec1.key", "ecp256.pub.der", true}, {"ed25519.key", "ed25519.pub", false},
};

static artsig_signer *vec_signer(const char *file)
{
    artsig_key *key = load_vec_key(file);
    artsig_signer *signer;
    ck_assert_int_eq(artsig_signer_new_key(&signer, key), ARTSIG_OK);
    artsig_key_free(key);
    return signer;
}

static int open_out(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_msg(fd >= 0, "cannot create %s", path);
    return fd;
}

static int open_in(const char *path)
{
    int fd = open(path, O_RDONLY);
    ck_assert_msg(fd >= 0, "cannot open %s", path);
    return fd;
}

static int sign_path(const char *in, const char *out, artsig_signer *signer, unsigned flags)
{
    int ifd = open_in(in), ofd = open_out(out);
    int rc = artsig_artifact_sign(ofd, ifd, signer, flags);
    close(ifd);
    close(ofd);
    return rc;
}

static int attach_path(const char *in, const char *out, const uint8_t *sig, size_t len,
                       const artsig_keyring *check, unsigned flags)
{
    int ifd = open_in(in), ofd = open_out(out);
    int rc = artsig_artifact_attach_signature(ofd, ifd, sig, len, check, flags);
    close(ifd);
    close(ofd);
    return rc;
}

/* The whole artifact through the library reader with one public key. */
static int verify_path(const char *path, const char *pub)
{
    artsig_keyring *ring;
    ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
    artsig_key *key = load_vec_key(pub);
    ck_assert_int_eq(artsig_keyring_add(ring, key), ARTSIG_OK);
    artsig_key_free(key);
    artsig_reader *r;
    ck_assert_int_eq(artsig_reader_new(&r, ring, NULL, NULL), ARTSIG_OK);
    int fd = open_in(path);
    int rc = artsig_reader_run_fd(r, fd);
    if (rc == ARTSIG_OK)
        ck_assert_int_eq(artsig_info_signature(artsig_reader_info(r)), ARTSIG_SIG_VERIFIED);
    close(fd);
    artsig_reader_free(r);
    artsig_keyring_free(ring);
    return rc;
}

static void assert_mender_validates(const char *path, const char *pub)
{
    ck_assert_msg(sh("mender-artifact validate -k \"$V/%s\" '%s' >/dev/null 2>&1", pub, path) == 0,
                  "mender-artifact refuses %s signed for %s", path, pub);
}

static off_t file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* Tar members of a mender-artifact output: a ustar header each, no
 * extension headers. Offset of the member after the one at `off`. */
static size_t next_member(const uint8_t *tar, size_t off)
{
    char size[13] = {0};
    memcpy(size, tar + off + 124, 12);
    return off + BLOCK + PADDED(strtoull(size, NULL, 8));
}

static bool member_is(const uint8_t *tar, size_t off, const char *name)
{
    return strncmp((const char *)tar + off, name, 100) == 0;
}

/* `out` is `in` with a manifest.sig member after manifest (instead of the
 * one `in` had): every other byte unchanged. */
static void assert_only_signature_changed(const char *in_path, const char *out_path)
{
    size_t in_len, out_len;
    uint8_t *in = slurp(in_path, &in_len), *out = slurp(out_path, &out_len);
    size_t head = next_member(in, next_member(in, 0));
    ck_assert(member_is(in, next_member(in, 0), "manifest"));
    size_t in_tail = member_is(in, head, "manifest.sig") ? next_member(in, head) : head;
    ck_assert_uint_ge(out_len, head + BLOCK);
    ck_assert_msg(memcmp(in, out, head) == 0, "%s: bytes before manifest.sig changed", out_path);
    ck_assert(member_is(out, head, "manifest.sig"));
    size_t out_tail = next_member(out, head);
    ck_assert_uint_eq(out_len - out_tail, in_len - in_tail);
    ck_assert_msg(memcmp(in + in_tail, out + out_tail, in_len - in_tail) == 0,
                  "%s: bytes after manifest.sig changed", out_path);
    /* mender-artifact's conventions for the member: 0600, root, epoch. */
    ck_assert_int_eq(strtol((const char *)out + head + 100, NULL, 8), 0600);
    ck_assert_int_eq(strtol((const char *)out + head + 108, NULL, 8), 0);
    ck_assert_int_eq(strtol((const char *)out + head + 136, NULL, 8), 0);
    free(in);
    free(out);
}

/* Sign, then check with the library, mender-artifact and byte for byte. */
static void sign_and_check(const char *in, const char *priv, const char *pub, bool mender)
{
    artsig_signer *signer = vec_signer(priv);
    const char *out = tmp("signed.mender");
    int rc = sign_path(in, out, signer, ARTSIG_SIGN_REPLACE);
    ck_assert_msg(rc == ARTSIG_OK, "%s with %s: %s", in, priv, artsig_last_error());
    artsig_signer_free(signer);
    ck_assert_msg(verify_path(out, pub) == ARTSIG_OK, "%s with %s: %s", in, priv,
                  artsig_last_error());
    if (mender)
        assert_mender_validates(out, pub);
    assert_only_signature_changed(in, out);
}

START_TEST(every_vector_with_every_key)
{
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        char *in = vec_pathf("artifacts/%s", vectors[v]);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            sign_and_check(in, keys[k].priv, keys[k].pub, keys[k].mender);
        free(in);
    }
}
END_TEST

/* What mender-artifact writes without a key, in each form it has. */
START_TEST(mender_artifact_outputs)
{
    ck_assert_int_eq(sh("(head -c 300000 /dev/urandom > img && echo a > a && echo bb > b && "
                        "printf '#!/bin/sh\\nexit 0\\n' > ArtifactInstall_Enter_00 && "
                        "for c in gzip lzma none; do "
                        "mender-artifact write rootfs-image -f img -n r-$c -t dev "
                        "--compression $c -o r-$c.mender || exit 1; done && "
                        "mender-artifact write rootfs-image -v 2 -f img -n v2 -t dev "
                        "-o v2.mender && "
                        "mender-artifact write module-image -T single-file -n m -t dev -t dev2 "
                        "-f a -f b -f img -s ArtifactInstall_Enter_00 -p foo:bar -d baz:qux "
                        "-g grp -o m.mender && "
                        "mender-artifact write bootstrap-artifact -n b -t dev -o b.mender"
                        ") >/dev/null 2>&1"),
                     0);
    static const char *const made[] = {"r-gzip.mender", "r-lzma.mender", "r-none.mender",
                                       "v2.mender",     "m.mender",      "b.mender"};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
        char in[256];
        snprintf(in, sizeof in, "%s", tmp(made[i]));
        sign_and_check(in, "rsa3072.pkcs8.key", "rsa3072.pub", true);
        sign_and_check(in, "ecp256.params.key", "ecp256.pub", true);
        sign_and_check(in, "ed25519.key", "ed25519.pub", false);
    }
}
END_TEST

START_TEST(signed_refused_unless_replace)
{
    char *in = vec_path("artifacts/rootfs-gzip-rsa.mender");
    artsig_signer *signer = vec_signer("ecp256.sec1.key");
    const char *out = tmp("out.mender");
    ck_assert_int_eq(sign_path(in, out, signer, 0), ARTSIG_ESTATE);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "already signed"));
    ck_assert_int_eq(file_size(out), 0);
    ck_assert_int_eq(sign_path(in, out, signer, ARTSIG_SIGN_REPLACE), ARTSIG_OK);
    ck_assert_int_eq(verify_path(out, "ecp256.pub"), ARTSIG_OK);
    ck_assert_int_eq(verify_path(out, "rsa3072.pub"), ARTSIG_EVERIFY);
    assert_only_signature_changed(in, out);
    artsig_signer_free(signer);
    free(in);
}
END_TEST

START_TEST(payload_check_on_request)
{
    char *in = vec_path("artifacts/t-payload-swapped-nokey.mender");
    artsig_signer *signer = vec_signer("rsa3072.pkcs1.key");
    const char *out = tmp("out.mender");
    /* The header checks out; only reading the payload shows the swap. */
    ck_assert_int_eq(sign_path(in, out, signer, ARTSIG_SIGN_REPLACE), ARTSIG_OK);
    ck_assert_int_eq(sign_path(in, out, signer,
                               ARTSIG_SIGN_REPLACE | ARTSIG_SIGN_CHECK_PAYLOADS),
                     ARTSIG_EDIGEST);
    ck_assert_int_eq(file_size(out), 0);
    char *good = vec_path("artifacts/rootfs-gzip-unsigned.mender");
    ck_assert_int_eq(sign_path(good, out, signer, ARTSIG_SIGN_CHECK_PAYLOADS), ARTSIG_OK);
    ck_assert_int_eq(verify_path(out, "rsa3072.pub"), ARTSIG_OK);
    artsig_signer_free(signer);
    free(good);
    free(in);
}
END_TEST

START_TEST(malformed_refused)
{
    static const struct {
        const char *file;
        int status;
    } cases[] = {
        {"t-truncated.mender", ARTSIG_EFORMAT},
        {"t-header-edited.mender", ARTSIG_EDIGEST},
        {"t-duplicate-manifest.mender", ARTSIG_EFORMAT},
        {"t-sig-before-manifest.mender", ARTSIG_EFORMAT},
        {"t-header-first.mender", ARTSIG_EFORMAT},
        {"t-version-4.mender", ARTSIG_EUNSUPPORTED},
        {"t-header-bomb.mender", ARTSIG_ELIMIT},
        {"t-path-traversal.mender", ARTSIG_EMANIFEST},
        {"t-absolute-path.mender", ARTSIG_EMANIFEST},
        {"t-sig-garbage.mender", ARTSIG_ESIGFORMAT},
    };
    artsig_signer *signer = vec_signer("ed25519.key");
    const char *out = tmp("out.mender");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *in = vec_pathf("artifacts/%s", cases[i].file);
        int rc = sign_path(in, out, signer, ARTSIG_SIGN_REPLACE);
        ck_assert_msg(rc == cases[i].status, "%s: %d (%s), want %d", cases[i].file, rc,
                      artsig_last_error(), cases[i].status);
        ck_assert_int_eq(file_size(out), 0);
        free(in);
    }
    artsig_signer_free(signer);
}
END_TEST

/* Cut after the header, where a header-only check does not look: inside the
 * payload, in its padding, and in the end-of-archive blocks. */
START_TEST(truncated_after_header_refused)
{
    char *in = vec_path("artifacts/rootfs-gzip-unsigned.mender");
    size_t len;
    uint8_t *data = slurp(in, &len);
    artsig_signer *signer = vec_signer("ed25519.key");
    const size_t cuts[] = {4000, len / 2, len - 1500, len - 1024, len - 512, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file(tmp("cut.mender"), data, cuts[i]);
        int rc = sign_path(tmp("cut.mender"), tmp("out.mender"), signer, 0);
        ck_assert_msg(rc == ARTSIG_EFORMAT || rc == ARTSIG_ETRUNCATED, "cut at %zu: %d (%s)",
                      cuts[i], rc, artsig_last_error());
    }
    artsig_signer_free(signer);
    free(data);
    free(in);
}
END_TEST

/* The manifest of `artifact`, as the offline machine gets it. */
static uint8_t *exported(const char *artifact, size_t *len)
{
    int fd = open_in(artifact);
    uint8_t *manifest;
    ck_assert_msg(artsig_artifact_export_manifest(&manifest, len, fd) == ARTSIG_OK, "%s: %s",
                  artifact, artsig_last_error());
    close(fd);
    return manifest;
}

static artsig_keyring *vec_ring(const char *pub)
{
    artsig_keyring *ring;
    ck_assert_int_eq(artsig_keyring_new(&ring), ARTSIG_OK);
    char *path = vec_pathf("keys/%s", pub);
    ck_assert_int_eq(artsig_keyring_add_file(ring, path), ARTSIG_OK);
    free(path);
    return ring;
}

START_TEST(export_manifest_is_the_member)
{
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        char *in = vec_pathf("artifacts/%s", vectors[v]);
        size_t len, want_len;
        uint8_t *manifest = exported(in, &len);
        ck_assert_int_eq(sh("tar xOf '%s' manifest > want", in), 0);
        uint8_t *want = slurp(tmp("want"), &want_len);
        ck_assert_uint_eq(len, want_len);
        ck_assert(memcmp(manifest, want, len) == 0);
        artsig_free(manifest);
        free(want);
        free(in);
    }
    /* Read once: a pipe will do. */
    char *in = vec_path("artifacts/module-multi-ecdsa.mender");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cat '%s'", in);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    uint8_t *manifest;
    size_t len;
    ck_assert_int_eq(artsig_artifact_export_manifest(&manifest, &len, fileno(p)), ARTSIG_OK);
    ck_assert_uint_gt(len, 0);
    pclose(p);
    artsig_free(manifest);
    /* The same checks as signing. */
    char *bad = vec_path("artifacts/t-header-edited.mender");
    int fd = open_in(bad);
    ck_assert_int_eq(artsig_artifact_export_manifest(&manifest, &len, fd), ARTSIG_EDIGEST);
    ck_assert_ptr_null(manifest);
    close(fd);
    free(bad);
    free(in);
}
END_TEST

/* Export, sign elsewhere with a bare key, attach: as signing in one step. */
START_TEST(attach_offline_signature)
{
    char *in = vec_path("artifacts/rootfs-gzip-unsigned.mender");
    size_t len;
    uint8_t *manifest = exported(in, &len);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        artsig_key *key = load_vec_key(keys[k].priv);
        uint8_t sig[ARTSIG_SIGNATURE_MAX];
        size_t sig_len;
        ck_assert_int_eq(artsig_sign(sig, &sig_len, key, manifest, len), ARTSIG_OK);
        artsig_key_free(key);
        artsig_keyring *ring = vec_ring(keys[k].pub);
        const char *out = tmp("attached.mender");
        ck_assert_msg(attach_path(in, out, sig, sig_len, ring, 0) == ARTSIG_OK, "%s: %s",
                      keys[k].priv, artsig_last_error());
        ck_assert_int_eq(verify_path(out, keys[k].pub), ARTSIG_OK);
        if (keys[k].mender)
            assert_mender_validates(out, keys[k].pub);
        assert_only_signature_changed(in, out);
        /* Without keys only the shape is checked. */
        ck_assert_int_eq(attach_path(in, out, sig, sig_len, NULL, 0), ARTSIG_OK);
        ck_assert_int_eq(verify_path(out, keys[k].pub), ARTSIG_OK);
        artsig_keyring_free(ring);
    }
    artsig_free(manifest);
    free(in);
}
END_TEST

START_TEST(attach_refusals)
{
    char *in = vec_path("artifacts/rootfs-gzip-unsigned.mender");
    char *other = vec_path("artifacts/module-multi-ecdsa.mender");
    const char *out = tmp("out.mender");
    size_t len;
    uint8_t *manifest = exported(other, &len);
    artsig_key *key = load_vec_key("ecp256.sec1.key");
    uint8_t sig[ARTSIG_SIGNATURE_MAX];
    size_t sig_len;
    ck_assert_int_eq(artsig_sign(sig, &sig_len, key, manifest, len), ARTSIG_OK);
    artsig_keyring *ring = vec_ring("ecp256.pub");
    /* Another artifact's manifest. */
    ck_assert_int_eq(attach_path(in, out, sig, sig_len, ring, 0), ARTSIG_EVERIFY);
    ck_assert_int_eq(file_size(out), 0);
    /* The right manifest, a key that did not sign it. */
    artsig_free(manifest);
    manifest = exported(in, &len);
    ck_assert_int_eq(artsig_sign(sig, &sig_len, key, manifest, len), ARTSIG_OK);
    artsig_keyring *wrong = vec_ring("ecp256b.pub");
    ck_assert_int_eq(attach_path(in, out, sig, sig_len, wrong, 0), ARTSIG_EVERIFY);
    ck_assert_int_eq(attach_path(in, out, sig, sig_len, ring, 0), ARTSIG_OK);
    /* Shapes no Mender key makes, with or without keys. */
    static const size_t bad_lengths[] = {0, 1, 32, 63, 65, 100, 255, 1025};
    static uint8_t junk[2048];
    memset(junk, 0x5a, sizeof junk);
    for (size_t i = 0; i < sizeof bad_lengths / sizeof bad_lengths[0]; i++) {
        ck_assert_int_eq(attach_path(in, out, junk, bad_lengths[i], NULL, 0),
                         ARTSIG_ESIGFORMAT);
        ck_assert_int_eq(attach_path(in, out, junk, bad_lengths[i], ring, 0),
                         ARTSIG_ESIGFORMAT);
        ck_assert_int_eq(file_size(out), 0);
    }
    /* Signed already: refused unless replacing, as with signing. */
    ck_assert_int_eq(attach_path(other, out, sig, sig_len, NULL, 0), ARTSIG_ESTATE);
    artsig_keyring_free(wrong);
    artsig_keyring_free(ring);
    artsig_key_free(key);
    artsig_free(manifest);
    free(other);
    free(in);
}
END_TEST

/* What `openssl dgst -sign` makes: DER, which Mender 3.x devices cannot read. */
START_TEST(attach_der_stored_as_raw)
{
    char *in = vec_path("artifacts/rootfs-gzip-unsigned.mender");
    size_t len;
    uint8_t *manifest = exported(in, &len);
    char *key_path = vec_path("keys/ecp256.sec1.key");
    FILE *f = fopen(key_path, "r");
    ck_assert_ptr_nonnull(f);
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(pkey);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t der_len = sizeof der;
    ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey), 1);
    ck_assert_int_eq(EVP_DigestSign(ctx, der, &der_len, manifest, len), 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ck_assert_uint_gt(der_len, 64);

    artsig_keyring *ring = vec_ring("ecp256.pub");
    const char *out = tmp("der.mender");
    ck_assert_int_eq(attach_path(in, out, der, der_len, ring, 0), ARTSIG_OK);
    ck_assert_int_eq(sh("tar xOf der.mender manifest.sig | base64 -d | wc -c | grep -qx 64"), 0);
    ck_assert_int_eq(verify_path(out, "ecp256.pub"), ARTSIG_OK);
    assert_mender_validates(out, "ecp256.pub");
    artsig_keyring_free(ring);
    artsig_free(manifest);
    free(key_path);
    free(in);
}
END_TEST

START_TEST(descriptors_and_arguments)
{
    char *in = vec_path("artifacts/rootfs-gzip-unsigned.mender");
    artsig_signer *signer = vec_signer("ed25519.key");
    int ifd = open_in(in), ofd = open_out(tmp("out.mender"));
    ck_assert_int_eq(artsig_artifact_sign(ofd, ifd, NULL, 0), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_artifact_sign(ofd, -1, signer, 0), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_artifact_sign(-1, ifd, signer, 0), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_artifact_sign(ofd, ifd, signer, 4), ARTSIG_EINVAL);
    ck_assert_int_eq(artsig_artifact_attach_signature(ofd, ifd, NULL, 64, NULL, 0),
                     ARTSIG_EINVAL);
    /* Writing into the artifact being read. */
    int same = open(in, O_RDONLY);
    ck_assert_int_eq(artsig_artifact_sign(same, ifd, signer, 0), ARTSIG_EINVAL);
    close(same);
    close(ifd);
    close(ofd);

    /* Read twice, so never from a pipe. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cat '%s'", in);
    FILE *p = popen(cmd, "r");
    ofd = open_out(tmp("out.mender"));
    ck_assert_int_eq(artsig_artifact_sign(ofd, fileno(p), signer, 0), ARTSIG_EINVAL);
    ck_assert_ptr_nonnull(strstr(artsig_last_error(), "seekable"));
    pclose(p);
    close(ofd);

    /* The artifact starts where the descriptor stands; the output goes where
     * its descriptor stands, even in append mode (no copy_file_range). */
    ck_assert_int_eq(sh("printf 'skip' > framed.mender && cat '%s' >> framed.mender && "
                        "printf 'kept' > out.mender",
                        in),
                     0);
    ifd = open_in(tmp("framed.mender"));
    ck_assert_int_eq(lseek(ifd, 4, SEEK_SET), 4);
    ofd = open(tmp("out.mender"), O_WRONLY | O_APPEND);
    ck_assert_int_ge(ofd, 0);
    ck_assert_msg(artsig_artifact_sign(ofd, ifd, signer, 0) == ARTSIG_OK, "%s",
                  artsig_last_error());
    close(ifd);
    close(ofd);
    ck_assert_int_eq(sign_path(in, tmp("plain.mender"), signer, 0), ARTSIG_OK);
    ck_assert_int_eq(sh("printf 'kept' | cat - plain.mender | cmp -s - out.mender"), 0);
    artsig_signer_free(signer);
    free(in);
}
END_TEST

/* 200 MiB signed with every payload digest checked, in a few MiB, and
 * through the plain read/write path too (a pipe as output). */
START_TEST(memory_bounded)
{
    ck_assert_int_eq(sh("head -c 209715200 /dev/urandom > big.bin && "
                        "mender-artifact write module-image -T test -n big -t dev "
                        "--compression none -f big.bin -o big.mender >/dev/null && rm big.bin"),
                     0);
    artsig_signer *signer = vec_signer("ecp256.sec1.key");
    long before = max_rss_kib();
    ck_assert_int_eq(sign_path(tmp("big.mender"), tmp("signed.mender"), signer,
                               ARTSIG_SIGN_CHECK_PAYLOADS),
                     ARTSIG_OK);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cat > '%s'", tmp("piped.mender"));
    FILE *p = popen(cmd, "w");
    int ifd = open_in(tmp("big.mender"));
    ck_assert_int_eq(artsig_artifact_sign(fileno(p), ifd, signer, 0), ARTSIG_OK);
    close(ifd);
    ck_assert_int_eq(pclose(p), 0);
    long growth = max_rss_kib() - before;
    ck_assert_msg(growth < 16 * 1024, "peak RSS grew by %ld KiB", growth);
    ck_assert_int_eq(verify_path(tmp("signed.mender"), "ecp256.pub"), ARTSIG_OK);
    ck_assert_int_eq(verify_path(tmp("piped.mender"), "ecp256.pub"), ARTSIG_OK);
    assert_only_signature_changed(tmp("big.mender"), tmp("piped.mender"));
    artsig_signer_free(signer);
}
END_TEST

static Suite *artifact_sign_suite(void)
{
    Suite *s = suite_create("artifact_sign");
    TCase *tc = scratch_tcase("sign");
    tcase_add_test(tc, every_vector_with_every_key);
    tcase_add_test(tc, mender_artifact_outputs);
    tcase_add_test(tc, signed_refused_unless_replace);
    tcase_add_test(tc, payload_check_on_request);
    tcase_add_test(tc, malformed_refused);
    tcase_add_test(tc, truncated_after_header_refused);
    tcase_add_test(tc, export_manifest_is_the_member);
    tcase_add_test(tc, attach_offline_signature);
    tcase_add_test(tc, attach_refusals);
    tcase_add_test(tc, attach_der_stored_as_raw);
    tcase_add_test(tc, descriptors_and_arguments);
    tcase_add_test(tc, memory_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(artifact_sign_suite());
}
