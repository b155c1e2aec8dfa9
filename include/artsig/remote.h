/** @file
 * libartsig — signers that never hold the private key: Google Cloud KMS,
 * HashiCorp Vault's Transit secrets engine, and an external signer program
 * for any other HSM or cloud. Each is an ordinary artsig_signer, so
 * everything that signs with a key file or a PKCS#11 token signs with them.
 *
 * Every signature that comes back is verified against the key's public half
 * before it is used, so a faulty service or program cannot produce an
 * artifact that devices would refuse.
 *
 * Errors of the remote signers: EAUTH (no credentials, or HTTP 401/403),
 * ENOTFOUND (HTTP 404: no such key or version), ENETWORK (connection
 * refused, TLS failure, or no answer within the timeout), EREMOTE (HTTP 5xx
 * or another unexpected status, a CRC32C mismatch, a malformed answer, a
 * signer program that fails), EKEYUNSUPPORTED (a key algorithm Mender
 * artifacts cannot carry), EVERIFY (a signature that does not verify with
 * the key's public half). The detail names the service and, where the
 * service gave one, its own message. Tokens and other secrets are wiped
 * from memory when no longer needed and never appear in error details. */
#ifndef ARTSIG_REMOTE_H
#define ARTSIG_REMOTE_H

#include <artsig/key.h>
#include <artsig/signer.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Settings for the Cloud KMS and Vault signers. An option that is not set
 * is taken from the environment variable named below, read when the signer
 * is made, else from its default. Not for concurrent use by two threads. */
typedef struct artsig_remote_config artsig_remote_config;

/** The settings of artsig_remote_config_set(). */
typedef enum artsig_remote_option {
    /** The service's base URL. Cloud KMS: $ARTSIG_GCP_KMS_ENDPOINT, else
     * https://cloudkms.googleapis.com. Vault: $VAULT_ADDR, else
     * https://127.0.0.1:8200. Plain http:// is refused unless the host is a
     * loopback address (127.0.0.0/8, ::1, localhost). */
    ARTSIG_REMOTE_ENDPOINT = 0,
    /** An access token used as it is. Cloud KMS: $GOOGLE_OAUTH_ACCESS_TOKEN
     * (an OAuth 2.0 bearer token). Vault: $VAULT_TOKEN. */
    ARTSIG_REMOTE_TOKEN = 1,
    /** Cloud KMS, when no token is given: a service-account key file (JSON)
     * whose key signs a JWT that its token_uri exchanges for an access
     * token; $GOOGLE_APPLICATION_CREDENTIALS. Without one either, the token
     * comes from the metadata server of the machine. */
    ARTSIG_REMOTE_CREDENTIALS = 2,
    /** Cloud KMS: the metadata server as host[:port]; $GCE_METADATA_HOST,
     * else metadata.google.internal. It is always reached over plain http,
     * as Google documents. */
    ARTSIG_REMOTE_METADATA_HOST = 3,
    /** Vault: the path the Transit engine is mounted at; $VAULT_MOUNT_PATH,
     * else "transit". */
    ARTSIG_REMOTE_MOUNT = 4,
    /** Vault: the key version to sign with, a decimal number >= 1;
     * $VAULT_KEY_VERSION, else the key's latest version. */
    ARTSIG_REMOTE_KEY_VERSION = 5,
    /** Vault Enterprise: the namespace (X-Vault-Namespace); $VAULT_NAMESPACE. */
    ARTSIG_REMOTE_NAMESPACE = 6,
    /** A PEM file of CA certificates to trust for TLS instead of the system's;
     * Vault: $VAULT_CACERT. */
    ARTSIG_REMOTE_CA_FILE = 7,
    /** Seconds one HTTP request may take, connection included, a decimal
     * number from 1 to 3600; $ARTSIG_REMOTE_TIMEOUT, else 30. */
    ARTSIG_REMOTE_TIMEOUT = 8
} artsig_remote_option;

/** An empty configuration: every option from the environment or its default.
 * On success *out is the caller's (artsig_remote_config_free()). */
ARTSIG_API int artsig_remote_config_new(artsig_remote_config **out);
/** Release a configuration, wiping the token it holds. NULL is a no-op. */
ARTSIG_API void artsig_remote_config_free(artsig_remote_config *cfg);
/** Set an option to a copy of `value`, or with NULL unset it again (back to
 * the environment). A set option is used as it is: its environment variable
 * is not read. EINVAL for an unknown option or a malformed number. */
ARTSIG_API int artsig_remote_config_set(artsig_remote_config *cfg, artsig_remote_option option,
                                        const char *value);

/** A signer whose key is a Cloud KMS key version, named
 * `projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V`.
 * Making it fetches an access token and the key's public half
 * (getPublicKey, with its CRC32C checked), so credentials and the key are
 * proven before any artifact is written. A token from a service account
 * or the metadata server is renewed a minute before it expires; with
 * neither a token nor a credentials file and no metadata server answering,
 * the failure is EAUTH ("no credentials"). Only EC_SIGN_P256_SHA256 and
 * RSA_SIGN_PKCS1_{2048,3072,4096}_SHA256 versions are accepted; others fail
 * with EKEYUNSUPPORTED. Each signature is an asymmetricSign call on the
 * message's SHA-256 digest, with the request and response CRC32C checked as
 * Google requires; an EC signature is turned from DER into r||s. `cfg` may
 * be NULL (everything from the environment). On success *out holds one
 * reference, the caller's (artsig_signer_free()). */
ARTSIG_API int artsig_signer_new_gcp_kms(artsig_signer **out, const char *key_version_name,
                                         const artsig_remote_config *cfg);

/** A signer whose key is the Vault Transit key `key_name`. Making it reads
 * the key (its type and the public key of the version used); rsa-2048,
 * rsa-3072, rsa-4096, ecdsa-p256 and ed25519 keys are accepted. RSA and
 * ECDSA sign the message's SHA-256 digest (`prehashed`), RSA with
 * PKCS#1 v1.5 and ECDSA in JWS marshaling (raw r||s); Ed25519 signs the
 * message itself. The key version (ARTSIG_REMOTE_KEY_VERSION, else the
 * latest when the signer is made) is named in every request, and the
 * `vault:vN:` prefix of the answer must name it too, so the signature and
 * the public key that checks it are of one version. An Ed25519 public key
 * may come as PEM or, as Vault gives it, base64 of its 32 bytes. `cfg` may be NULL. On success *out holds one reference, the
 * caller's (artsig_signer_free()). */
ARTSIG_API int artsig_signer_new_vault_transit(artsig_signer **out, const char *key_name,
                                               const artsig_remote_config *cfg);

/** The environment variable that tells a signer program its key type:
 * "rsa", "ecdsa-p256" or "ed25519". */
#define ARTSIG_SIGN_KEY_TYPE_ENV "ARTSIG_SIGN_KEY_TYPE"
/** A signer program may print at most this many bytes. */
#define ARTSIG_SIGN_CMD_OUTPUT_MAX 65536

/** A signer that runs `command` with /bin/sh -c for each signature: the
 * program reads the bytes to sign on its standard input (for an artifact,
 * its manifest) and finds the key type in $ARTSIG_SIGN_KEY_TYPE; it prints
 * the signature in base64 (for ECDSA P-256 either r||s or DER) and exits 0.
 * Its standard error is the caller's. `public_key` (the signer takes a
 * reference) sets the key type and checks every signature. A program that
 * cannot be started, exits non-zero, is killed or prints no base64 fails
 * with EREMOTE; a signature that does not verify, with EVERIFY. On success
 * *out holds one reference, the caller's (artsig_signer_free()). */
ARTSIG_API int artsig_signer_new_command(artsig_signer **out, const char *command,
                                         artsig_key *public_key);

/** How long artsig_signer_programs_stop() lets the programs end before
 * SIGKILL, in milliseconds. */
#define ARTSIG_SIGN_CMD_STOP_GRACE_MS 5000

/** Stop every signer program (artsig_signer_new_command()) running in this
 * process: send each `sig`, then SIGKILL to any still running after
 * ARTSIG_SIGN_CMD_STOP_GRACE_MS. The library installs no signal handler of
 * its own: a program calls this from its handler of SIGINT, SIGTERM or
 * SIGHUP, so that the signal that ends it does not leave a signer running
 * (a program started from a shell shares its process group, so a Ctrl-C
 * reaches it anyway; `kill` of the caller alone would not). Only the program
 * `sh -c` runs is signalled, not what it started in the background.
 * Async-signal-safe, and callable from any thread; the programs are left
 * for their signing calls to reap, which then fail with EREMOTE. */
ARTSIG_API void artsig_signer_programs_stop(int sig);

#ifdef __cplusplus
}
#endif

#endif
