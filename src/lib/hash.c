/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <sodium.h>
#include <unistd.h>

#include "callwitness/hash.h"

int cw_sha256_fd(int fd, char hex[static CW_SHA256_HEX_LEN + 1], uint64_t *size_ret) {
        crypto_hash_sha256_state state;
        unsigned char digest[crypto_hash_sha256_BYTES];
        unsigned char buffer[64 * 1024];
        uint64_t offset = 0;

        if (sodium_init() < 0)
                return -EIO;
        crypto_hash_sha256_init(&state);
        for (;;) {
                ssize_t n = pread(fd, buffer, sizeof buffer, (off_t) offset);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                crypto_hash_sha256_update(&state, buffer, (unsigned long long) n);
                offset += (uint64_t) n;
        }
        crypto_hash_sha256_final(&state, digest);
        sodium_bin2hex(hex, CW_SHA256_HEX_LEN + 1, digest, sizeof digest);
        if (size_ret)
                *size_ret = offset;
        return 0;
}

int cw_sha256_buffer(const void *data, size_t size, char hex[static CW_SHA256_HEX_LEN + 1]) {
        unsigned char digest[crypto_hash_sha256_BYTES];

        if (sodium_init() < 0)
                return -EIO;
        crypto_hash_sha256(digest, data, size);
        sodium_bin2hex(hex, CW_SHA256_HEX_LEN + 1, digest, sizeof digest);
        return 0;
}
