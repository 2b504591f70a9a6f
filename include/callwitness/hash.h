/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* SHA-256 of files, through libsodium. */

#include <stdint.h>

#define CW_SHA256_HEX_LEN 64

/* Hashes the whole file behind fd from offset 0 (pread, so the caller's file
 * position is not moved). Writes lowercase hex. 0 or -errno. */
int cw_sha256_fd(int fd, char hex[static CW_SHA256_HEX_LEN + 1], uint64_t *size_ret);

#include <stddef.h>

/* Bytes as lowercase hex, and back (an odd or bad digit: NULL). Both
 * allocate; NULL when out of memory. */
char *cw_hex_encode(const void *data, size_t size);
unsigned char *cw_hex_decode(const char *hex, size_t *size);

/* SHA-256 of a buffer, lowercase hex. 0 or -EIO. */
int cw_sha256_buffer(const void *data, size_t size, char hex[static CW_SHA256_HEX_LEN + 1]);
