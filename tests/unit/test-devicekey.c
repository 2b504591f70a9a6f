/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device key and minisign signatures: made once with private modes,
 * reloaded the same, refused when exposed or damaged; signatures that our
 * verifier and Debian's minisign accept, and reject when anything changes. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "callwitness/devicekey.h"
#include "tap.h"

static char dir[] = "/tmp/test-devicekey-XXXXXX";
static char key_dir[256], key_path[300];

static int minisign_verifies(const char *data_path, const char *public_key) {
        char command[1024];
        int status;

        snprintf(command, sizeof command, "minisign -Vm '%s' -P '%s' >/dev/null 2>&1", data_path, public_key);
        status = system(command);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void key_is_made_once_and_kept_private(void) {
        cw_device_key *k = NULL, *again = NULL;
        char public_key[CW_PUBLIC_KEY_BASE64_LEN + 1], public_again[CW_PUBLIC_KEY_BASE64_LEN + 1], id[17];
        struct stat st;
        int created = -1;

        ok(cw_device_key_open(key_path, &k, &created) == 0 && created == 1, "a key is made on first use");
        ok(stat(key_path, &st) == 0 && (st.st_mode & 0777) == 0600, "the key file is 0600");
        ok(stat(key_dir, &st) == 0 && (st.st_mode & 0777) == 0700, "its directory is made, 0700");
        cw_device_key_public(k, public_key);
        cw_device_key_id(k, id);
        ok(strlen(public_key) == CW_PUBLIC_KEY_BASE64_LEN && strncmp(public_key, "RW", 2) == 0,
           "the public key reads like minisign's (%s)", public_key);
        ok(strlen(id) == 16, "the key id has 16 hex digits (%s)", id);

        ok(cw_device_key_open(key_path, &again, &created) == 0 && created == 0, "the second use loads it");
        cw_device_key_public(again, public_again);
        ok(strcmp(public_key, public_again) == 0, "the same key");
        cw_device_key_free(again);
        cw_device_key_free(k);

        chmod(key_path, 0644);
        ok(cw_device_key_open(key_path, &k, &created) == -EPERM, "a key others can read is refused");
        chmod(key_path, 0600);
}

static void damaged_key_is_refused(void) {
        char path[300];
        cw_device_key *k = NULL;
        int created;

        snprintf(path, sizeof path, "%s/damaged.key", dir);
        tap_write_file(path, "callwitness device key v1\nnot base64 at all\n");
        chmod(path, 0600);
        ok(cw_device_key_open(path, &k, &created) == -EBADMSG && !k, "a damaged key file is refused");
        unlink(path);
}

/* The key file of key_is_made_once_and_kept_private, with one bit of the
 * public half (the last 32 bytes of the secret key) flipped. */
static void key_with_a_damaged_public_half_is_refused(void) {
        char text[512], path[300], *line, encoded[256];
        unsigned char raw[8 + crypto_sign_SECRETKEYBYTES];
        size_t raw_len = 0;
        cw_device_key *k = NULL;
        int created;
        FILE *f = fopen(key_path, "re");
        size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;

        if (f)
                fclose(f);
        text[n] = '\0';
        line = strchr(text, '\n') + 1;
        line[strcspn(line, "\n")] = '\0';
        ok(sodium_base642bin(raw, sizeof raw, line, strlen(line), NULL, &raw_len, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0 && raw_len == sizeof raw, "the key file decodes");
        raw[sizeof raw - 1] ^= 0x01;
        sodium_bin2base64(encoded, sizeof encoded, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
        snprintf(path, sizeof path, "%s/flipped.key", dir);
        snprintf(text, sizeof text, "callwitness device key v1\n%s\n", encoded);
        tap_write_file(path, text);
        chmod(path, 0600);
        ok(cw_device_key_open(path, &k, &created) == -EBADMSG && !k,
           "a key whose public half does not come from its seed is refused");
        unlink(path);
}

static void signatures_hold_and_break(void) {
        static const char data[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  call.opus\n";
        char public_key[CW_PUBLIC_KEY_BASE64_LEN + 1], data_path[300], sig_path[320];
        cw_device_key *k = NULL, *other = NULL;
        char *signature = NULL, *other_signature = NULL, other_path[300], line[200];
        int created;

        cw_device_key_open(key_path, &k, &created);
        cw_device_key_public(k, public_key);
        ok(cw_minisign_sign(k, data, strlen(data), "timestamp:1795534800\tfile:SHA256SUMS", &signature) == 0,
           "signed");
        ok(cw_minisign_verify(public_key, data, strlen(data), signature) == 0, "our verifier accepts it");
        ok(strncmp(signature, "untrusted comment: ", 19) == 0 && strstr(signature, "\ntrusted comment: timestamp:"),
           "four lines with both comments");
        sscanf(strchr(signature, '\n') + 1, "%199s", line);
        {
                unsigned char raw[74];
                size_t len = 0;

                ok(sodium_base642bin(raw, sizeof raw, line, strlen(line), NULL, &len, NULL,
                                     sodium_base64_VARIANT_ORIGINAL) == 0 && len == 74 && memcmp(raw, "ED", 2) == 0,
                   "the signature line is \"ED\", key id, 64-byte signature (prehashed)");
        }

        snprintf(data_path, sizeof data_path, "%s/SHA256SUMS", dir);
        snprintf(sig_path, sizeof sig_path, "%s.minisig", data_path);
        tap_write_file(data_path, data);
        tap_write_file(sig_path, signature);
        ok(minisign_verifies(data_path, public_key), "minisign -V accepts it");
        tap_write_file(data_path, "f3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  call.opus\n");
        ok(!minisign_verifies(data_path, public_key), "minisign -V rejects a changed file");

        ok(cw_minisign_verify(public_key, "x", 1, signature) == -EBADE, "our verifier rejects changed data");
        {
                char *forged = strdup(signature), *comment = strstr(forged, "timestamp:1795534800");

                comment[10] = '2';   /* a different time in the trusted comment */
                ok(cw_minisign_verify(public_key, data, strlen(data), forged) == -EBADE,
                   "a changed trusted comment is rejected");
                tap_write_file(data_path, data);
                tap_write_file(sig_path, forged);
                ok(!minisign_verifies(data_path, public_key), "minisign -V rejects it too");
                free(forged);
        }

        snprintf(other_path, sizeof other_path, "%s/other.key", dir);
        cw_device_key_open(other_path, &other, &created);
        cw_minisign_sign(other, data, strlen(data), "x", &other_signature);
        ok(cw_minisign_verify(public_key, data, strlen(data), other_signature) == -EKEYREJECTED,
           "another device's signature is not this key's");
        ok(cw_minisign_verify("not a key", data, strlen(data), signature) == -EBADMSG, "a malformed key");
        ok(cw_minisign_verify(public_key, data, strlen(data), "untrusted comment: x\n") == -EBADMSG,
           "a truncated signature file");
        {
                char *refused = NULL;

                ok(cw_minisign_sign(k, data, 1, "two\nlines", &refused) == -EINVAL && !refused,
                   "a trusted comment of two lines is refused");
        }

        free(signature);
        free(other_signature);
        cw_device_key_free(other);
        cw_device_key_free(k);
        unlink(data_path);
        unlink(sig_path);
        unlink(other_path);
}

int main(void) {
        if (!mkdtemp(dir))
                return 1;
        /* The key's directory does not exist yet, as on a new phone. */
        snprintf(key_dir, sizeof key_dir, "%s/callwitness", dir);
        snprintf(key_path, sizeof key_path, "%s/device.key", key_dir);

        key_is_made_once_and_kept_private();
        damaged_key_is_refused();
        key_with_a_damaged_public_half_is_refused();
        signatures_hold_and_break();

        unlink(key_path);
        rmdir(key_dir);
        rmdir(dir);
        return tap_done();
}
