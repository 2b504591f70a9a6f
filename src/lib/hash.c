/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

char *cw_hex_encode(const void *data, size_t size) {
        const unsigned char *bytes = data;
        char *hex = malloc(2 * size + 1);

        for (size_t i = 0; hex && i < size; i++)
                snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
        if (hex)
                hex[2 * size] = '\0';
        return hex;
}

static int hex_digit(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

unsigned char *cw_hex_decode(const char *hex, size_t *size) {
        size_t n = hex ? strlen(hex) : 0;
        unsigned char *bytes;

        if (n % 2 || !(bytes = malloc(n / 2 + 1)))
                return NULL;
        for (size_t i = 0; i < n / 2; i++) {
                int high = hex_digit(hex[2 * i]), low = hex_digit(hex[2 * i + 1]);

                if (high < 0 || low < 0) {
                        free(bytes);
                        return NULL;
                }
                bytes[i] = (unsigned char) (high << 4 | low);
        }
        *size = n / 2;
        return bytes;
}
