/* How the reader (reader.c) builds the artifact facts (info.c); never installed.
 *
 * The reader calls these in stream order. Header files are handed over only
 * after header.tar's digest matched the manifest, so info.c parses JSON only
 * from authenticated bytes (when keys are in use). Every function returns
 * ARTSIG_OK or a status with asig_fail() detail. */
#ifndef ARTSIG_INFO_INTERNAL_H
#define ARTSIG_INFO_INTERNAL_H

#include "internal.h"

int asig_info_new(artsig_info **out);
void asig_info_free(artsig_info *info);

/* From the `version` member: 2 or 3. */
int asig_info_set_format_version(artsig_info *info, int version);

/* Outer member names in the order met, for the "members" list. */
int asig_info_add_member(artsig_info *info, const char *name);

/* The raw manifest and its parsed form (info keeps a copy of the bytes and
 * takes ownership of `manifest`, even when it fails). Payload file lists
 * (names, digests) are derived from the data/NNNN/FILE entries. `augment` (may
 * be NULL) is the parsed manifest-augment, also owned from here on: its files
 * are listed too but marked as outside the signature. A name in both, or an
 * augment entry other than data/ and header-augment.tar[ext], is EFORMAT. */
int asig_info_set_manifest(artsig_info *info, const uint8_t *raw, size_t raw_len,
                           artsig_manifest *manifest, artsig_manifest *augment);

int asig_info_set_signature(artsig_info *info, artsig_sig_state state, long key_index);

/* One file of header.tar (augment = 0) or header-augment.tar (augment = 1),
 * in archive order, already digest-checked; all of header.tar's before any of
 * header-augment's, and after asig_info_set_manifest(). `name` is its path
 * inside the tar. info.c checks the name against the header grammar and the
 * order, parses JSON within ARTSIG_LIMIT_* and keeps scripts. */
int asig_info_header_file(artsig_info *info, int augment, const char *name,
                          const uint8_t *data, size_t len);
/* All header files were given: cross-checks (header-info present, one
 * type-info per payload, manifest files belong to declared payloads). */
int asig_info_header_done(artsig_info *info);

/* The manifest digest of payload file `name` of payload `payload`, and the
 * index of that file in artsig_info_file() order; ARTSIG_ENOTFOUND when the
 * file is listed in neither manifest. */
int asig_info_find_file(size_t *index, const uint8_t **digest, const artsig_info *info,
                        size_t payload, const char *name);
/* A payload file was read completely with `size` bytes and a matching digest.
 * A second call for the same file is EFORMAT. */
int asig_info_file_done(artsig_info *info, size_t payload, size_t index, uint64_t size);
/* Names of listed files of `payload` that were never marked done (NULL when
 * all were): for "listed file missing" errors. */
const char *asig_info_first_missing_file(const artsig_info *info, size_t payload);

#endif
