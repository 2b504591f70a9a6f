/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The device's Ed25519 key (libsodium), made on first use, and signatures
 * in minisign's format, so that `minisign -Vm FILE -P PUBLIC_KEY` (the
 * minisign program anyone can install) checks what this phone signed. */

#include <stddef.h>

/* A minisign public key as `minisign -P` takes it: base64 of "Ed", the
 * 8-byte key id and the 32-byte public key. */
#define CW_PUBLIC_KEY_BASE64_LEN 56

typedef struct cw_device_key cw_device_key;

/* Loads the key at path, or makes one there (mode 0600, parent 0700) when
 * there is none; *created says which. A key file others can read is
 * refused with -EPERM, a damaged one with -EBADMSG. */
int cw_device_key_open(const char *path, cw_device_key **ret, int *created);
cw_device_key *cw_device_key_free(cw_device_key *k);

void cw_device_key_public(const cw_device_key *k, char out[static CW_PUBLIC_KEY_BASE64_LEN + 1]);
/* The key id as minisign prints it: 16 upper-case hex digits. */
void cw_device_key_id(const cw_device_key *k, char out[static 17]);

/* A minisign signature file (prehashed, BLAKE2b-512) of data, with
 * trusted_comment signed along. Malloc'ed text in *ret. 0 or -errno. */
int cw_minisign_sign(const cw_device_key *k, const void *data, size_t size, const char *trusted_comment,
                     char **ret);

/* Checks a minisign signature file's text against data and a public key
 * (base64, as cw_device_key_public() writes). 0 when both signatures hold,
 * -EBADMSG for a malformed file or key, -EKEYREJECTED for a key id that
 * is not this key's, -EBADE for a signature that does not hold. */
int cw_minisign_verify(const char *public_key, const void *data, size_t size, const char *signature_file);
