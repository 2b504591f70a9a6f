/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/devicekey.h"
#include "callwitness/paths.h"

#define KEY_FILE_HEADER "callwitness device key v1\n"
#define KEY_ID_BYTES 8
#define SIGNATURE_ALGORITHM "ED"   /* minisign: Ed25519 over BLAKE2b-512 of the file */
#define LEGACY_ALGORITHM "Ed"      /* minisign: Ed25519 over the file itself */
#define PREHASH_BYTES crypto_generichash_BYTES_MAX

struct cw_device_key {
        unsigned char id[KEY_ID_BYTES];
        unsigned char secret[crypto_sign_SECRETKEYBYTES];   /* holds the public key in its last 32 bytes */
};

static const unsigned char *public_part(const cw_device_key *k) {
        return k->secret + crypto_sign_SECRETKEYBYTES - crypto_sign_PUBLICKEYBYTES;
}

/* The secret key holds the seed and, after it, the public key that
 * signatures are checked against. A public half that does not come from
 * the seed (a flipped bit) would sign bundles no one can verify. */
static int check_public_half(const cw_device_key *k) {
        unsigned char seed[crypto_sign_SEEDBYTES], derived_public[crypto_sign_PUBLICKEYBYTES],
                derived_secret[crypto_sign_SECRETKEYBYTES];
        int r = 0;

        crypto_sign_ed25519_sk_to_seed(seed, k->secret);
        if (crypto_sign_seed_keypair(derived_public, derived_secret, seed) < 0 ||
            sodium_memcmp(derived_public, public_part(k), sizeof derived_public) != 0)
                r = -EBADMSG;
        sodium_memzero(seed, sizeof seed);
        sodium_memzero(derived_secret, sizeof derived_secret);
        return r;
}

static int read_key(int fd, cw_device_key *k) {
        char text[256], *line;
        unsigned char raw[KEY_ID_BYTES + crypto_sign_SECRETKEYBYTES];
        size_t raw_len = 0;
        ssize_t n = read(fd, text, sizeof text - 1);

        if (n < 0)
                return -errno;
        text[n] = '\0';
        if (strncmp(text, KEY_FILE_HEADER, strlen(KEY_FILE_HEADER)) != 0)
                return -EBADMSG;
        line = text + strlen(KEY_FILE_HEADER);
        line[strcspn(line, "\n")] = '\0';
        if (sodium_base642bin(raw, sizeof raw, line, strlen(line), NULL, &raw_len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) < 0 || raw_len != sizeof raw)
                return -EBADMSG;
        memcpy(k->id, raw, KEY_ID_BYTES);
        memcpy(k->secret, raw + KEY_ID_BYTES, sizeof k->secret);
        sodium_memzero(raw, sizeof raw);
        sodium_memzero(text, sizeof text);
        return check_public_half(k);
}

static int write_new_key(const char *path, cw_device_key *k) {
        unsigned char raw[KEY_ID_BYTES + crypto_sign_SECRETKEYBYTES], public_key[crypto_sign_PUBLICKEYBYTES];
        char encoded[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)], *text;
        int fd, r = 0, n;

        randombytes_buf(k->id, sizeof k->id);
        crypto_sign_keypair(public_key, k->secret);
        memcpy(raw, k->id, KEY_ID_BYTES);
        memcpy(raw + KEY_ID_BYTES, k->secret, sizeof k->secret);
        sodium_bin2base64(encoded, sizeof encoded, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
        sodium_memzero(raw, sizeof raw);
        n = asprintf(&text, KEY_FILE_HEADER "%s\n", encoded);
        sodium_memzero(encoded, sizeof encoded);
        if (n < 0)
                return -ENOMEM;
        /* O_EXCL: two first uses at once must not each make a key. */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                r = -errno;
        else {
                if (write(fd, text, (size_t) n) != n || fsync(fd) < 0)
                        r = errno ? -errno : -EIO;
                close(fd);
                if (r < 0)
                        unlink(path);
        }
        sodium_memzero(text, (size_t) n);
        free(text);
        return r;
}

int cw_device_key_open(const char *path, cw_device_key **ret, int *created) {
        cw_device_key *k;
        struct stat st;
        char *dir;
        int fd, r;

        if (sodium_init() < 0)
                return -EIO;
        if (!(k = sodium_malloc(sizeof *k)))
                return -ENOMEM;
        *created = 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                if (fstat(fd, &st) < 0)
                        r = -errno;
                else if (st.st_mode & (S_IRWXG | S_IRWXO))
                        r = -EPERM;   /* a secret others could have copied */
                else
                        r = read_key(fd, k);
                close(fd);
        } else if (errno == ENOENT) {
                dir = strdup(path);
                r = dir ? cw_paths_mkdir_p(dirname(dir), 0700) : -ENOMEM;
                free(dir);
                if (r == 0)
                        r = write_new_key(path, k);
                if (r == -EEXIST) {   /* made by someone else just now */
                        sodium_free(k);
                        return cw_device_key_open(path, ret, created);
                }
                *created = r == 0;
        } else
                r = -errno;
        if (r < 0) {
                sodium_free(k);
                return r;
        }
        *ret = k;
        return 0;
}

cw_device_key *cw_device_key_free(cw_device_key *k) {
        if (k)
                sodium_free(k);
        return NULL;
}

void cw_device_key_public(const cw_device_key *k, char out[static CW_PUBLIC_KEY_BASE64_LEN + 1]) {
        unsigned char raw[2 + KEY_ID_BYTES + crypto_sign_PUBLICKEYBYTES];

        memcpy(raw, LEGACY_ALGORITHM, 2);   /* a minisign public key always says "Ed" */
        memcpy(raw + 2, k->id, KEY_ID_BYTES);
        memcpy(raw + 2 + KEY_ID_BYTES, public_part(k), crypto_sign_PUBLICKEYBYTES);
        sodium_bin2base64(out, CW_PUBLIC_KEY_BASE64_LEN + 1, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
}

static void format_key_id(const unsigned char id[KEY_ID_BYTES], char out[static 17]) {
        /* minisign prints the little-endian 64-bit number. */
        for (int i = 0; i < KEY_ID_BYTES; i++)
                snprintf(out + 2 * i, 3, "%02X", id[KEY_ID_BYTES - 1 - i]);
}

void cw_device_key_id(const cw_device_key *k, char out[static 17]) {
        format_key_id(k->id, out);
}

int cw_minisign_sign(const cw_device_key *k, const void *data, size_t size, const char *trusted_comment,
                     char **ret) {
        unsigned char prehash[PREHASH_BYTES], line[2 + KEY_ID_BYTES + crypto_sign_BYTES];
        unsigned char global[crypto_sign_BYTES], *signed_comment;
        char line_text[sodium_base64_ENCODED_LEN(sizeof line, sodium_base64_VARIANT_ORIGINAL)];
        char global_text[sodium_base64_ENCODED_LEN(sizeof global, sodium_base64_VARIANT_ORIGINAL)];
        char key_id[17];
        size_t comment_len = strlen(trusted_comment);

        if (strchr(trusted_comment, '\n'))
                return -EINVAL;
        crypto_generichash(prehash, sizeof prehash, data, size, NULL, 0);
        memcpy(line, SIGNATURE_ALGORITHM, 2);
        memcpy(line + 2, k->id, KEY_ID_BYTES);
        crypto_sign_detached(line + 2 + KEY_ID_BYTES, NULL, prehash, sizeof prehash, k->secret);

        /* The global signature covers the signature and the trusted comment,
         * so the comment cannot be swapped. */
        if (!(signed_comment = malloc(crypto_sign_BYTES + comment_len)))
                return -ENOMEM;
        memcpy(signed_comment, line + 2 + KEY_ID_BYTES, crypto_sign_BYTES);
        memcpy(signed_comment + crypto_sign_BYTES, trusted_comment, comment_len);
        crypto_sign_detached(global, NULL, signed_comment, crypto_sign_BYTES + comment_len, k->secret);
        free(signed_comment);

        sodium_bin2base64(line_text, sizeof line_text, line, sizeof line, sodium_base64_VARIANT_ORIGINAL);
        sodium_bin2base64(global_text, sizeof global_text, global, sizeof global, sodium_base64_VARIANT_ORIGINAL);
        format_key_id(k->id, key_id);
        return asprintf(ret, "untrusted comment: signature from callwitness device key %s\n%s\n"
                        "trusted comment: %s\n%s\n", key_id, line_text, trusted_comment, global_text) < 0
               ? -ENOMEM : 0;
}

/* The n-th line of text (0-based) without its newline, in buf. */
static int nth_line(const char *text, int n, char *buf, size_t size) {
        for (; n > 0 && text; n--)
                if ((text = strchr(text, '\n')))
                        text++;
        if (!text || !*text)
                return -EBADMSG;
        size_t len = strcspn(text, "\n");
        if (len >= size)
                return -EBADMSG;
        memcpy(buf, text, len);
        buf[len] = '\0';
        return 0;
}

static int decode(const char *text, unsigned char *out, size_t size) {
        size_t len = 0;

        return sodium_base642bin(out, size, text, strlen(text), NULL, &len, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) == 0 && len == size ? 0 : -EBADMSG;
}

int cw_minisign_verify(const char *public_key, const void *data, size_t size, const char *signature_file) {
        unsigned char key[2 + KEY_ID_BYTES + crypto_sign_PUBLICKEYBYTES];
        unsigned char line[2 + KEY_ID_BYTES + crypto_sign_BYTES], global[crypto_sign_BYTES];
        unsigned char prehash[PREHASH_BYTES], *signed_comment;
        char text[1024];
        const char *comment;
        size_t comment_len;
        int r;

        if (sodium_init() < 0)
                return -EIO;
        if (decode(public_key, key, sizeof key) < 0 || memcmp(key, LEGACY_ALGORITHM, 2) != 0)
                return -EBADMSG;
        if ((r = nth_line(signature_file, 1, text, sizeof text)) < 0 || (r = decode(text, line, sizeof line)) < 0)
                return r;
        if (memcmp(line + 2, key + 2, KEY_ID_BYTES) != 0)
                return -EKEYREJECTED;
        if (memcmp(line, SIGNATURE_ALGORITHM, 2) == 0) {
                crypto_generichash(prehash, sizeof prehash, data, size, NULL, 0);
                r = crypto_sign_verify_detached(line + 2 + KEY_ID_BYTES, prehash, sizeof prehash,
                                                key + 2 + KEY_ID_BYTES);
        } else if (memcmp(line, LEGACY_ALGORITHM, 2) == 0)
                r = crypto_sign_verify_detached(line + 2 + KEY_ID_BYTES, data, size, key + 2 + KEY_ID_BYTES);
        else
                return -EBADMSG;
        if (r != 0)
                return -EBADE;

        if ((r = nth_line(signature_file, 2, text, sizeof text)) < 0 ||
            strncmp(text, "trusted comment: ", strlen("trusted comment: ")) != 0)
                return -EBADMSG;
        comment = text + strlen("trusted comment: ");
        comment_len = strlen(comment);
        if (!(signed_comment = malloc(crypto_sign_BYTES + comment_len)))
                return -ENOMEM;
        memcpy(signed_comment, line + 2 + KEY_ID_BYTES, crypto_sign_BYTES);
        memcpy(signed_comment + crypto_sign_BYTES, comment, comment_len);
        r = nth_line(signature_file, 3, text, sizeof text);
        if (r == 0)
                r = decode(text, global, sizeof global);
        if (r == 0 && crypto_sign_verify_detached(global, signed_comment, crypto_sign_BYTES + comment_len,
                                                  key + 2 + KEY_ID_BYTES) != 0)
                r = -EBADE;
        free(signed_comment);
        return r;
}
