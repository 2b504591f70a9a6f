/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Checking an evidence bundle as a stranger would: nothing but the bundle
 * and, optionally, the public key the phone's owner gave them. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle-private.h"
#include "callwitness/message.h"
#include "callwitness/bundle.h"
#include "callwitness/devicekey.h"
#include "callwitness/hash.h"
#include "problems.h"

#define MAX_LISTED CW_BUNDLE_MAX_ENTRIES
/* A zip unpacks to at most this many times its own size: recordings do
 * not compress, and a bomb is refused before it fills the disk. */
#define MAX_EXPANSION 20

typedef struct listed_file {
        char *name;
        char sha256[CW_SHA256_HEX_LEN + 1];
        bool seen;
} listed_file;

typedef struct checker {
        char *dir;
        char *signing_key;
        cw_problems problems;
        listed_file listed[MAX_LISTED];
        size_t n_listed;
} checker;

static char *read_all(const char *dir, const char *name, size_t *size_ret) {
        char *path, *data = NULL;
        struct stat st;
        int fd;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        free(path);
        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) == 0 && st.st_size < 64 * 1024 * 1024 && (data = malloc((size_t) st.st_size + 1))) {
                if (read(fd, data, (size_t) st.st_size) != st.st_size) {
                        free(data);
                        data = NULL;
                } else {
                        data[st.st_size] = '\0';
                        if (size_ret)
                                *size_ret = (size_t) st.st_size;
                }
        }
        close(fd);
        return data;
}

/* --- unpacking a zip ------------------------------------------------------------ */

static bool safe_name(const char *name) {
        return name[0] != '/' && !strstr(name, "../") && strcmp(name, "..") != 0 &&
               !(strlen(name) >= 3 && strcmp(name + strlen(name) - 3, "/..") == 0);
}

/* Copies an entry's data into fd, counting against *budget. */
static int unpack_entry(struct archive *zip, int fd, uint64_t *budget) {
        const void *block;
        size_t size;
        la_int64_t offset;
        int rc;

        while ((rc = archive_read_data_block(zip, &block, &size, &offset)) == ARCHIVE_OK) {
                if (size > *budget)
                        return -EFBIG;
                *budget -= size;
                if (pwrite(fd, block, size, offset) != (ssize_t) size)
                        return -errno;
        }
        return rc == ARCHIVE_EOF ? 0 : -EBADMSG;
}

/* The first path component of an entry: the bundle's folder. */
static size_t top_length(const char *name) {
        const char *slash = strchr(name, '/');

        return slash ? (size_t) (slash - name) : 0;
}

/* Unpacks into a new temporary folder; *top_ret is the bundle folder in it.
 * Every entry must be inside that one folder: anything beside it would be
 * shown to whoever opens the zip without being part of what is checked. */
static int unzip(checker *k, const char *zip_path, char **tmp_ret, char **top_ret) {
        struct archive *zip = archive_read_new();
        struct archive_entry *entry;
        char *tmp = NULL, *top = NULL, *top_name = NULL;
        uint64_t budget = CW_BUNDLE_MAX_UNPACKED;
        size_t entries = 0;
        struct stat st;
        int r = 0, rc;

        if (stat(zip_path, &st) == 0 && (uint64_t) st.st_size * MAX_EXPANSION + (64 << 20) < budget)
                budget = (uint64_t) st.st_size * MAX_EXPANSION + (64 << 20);

        if (!zip || asprintf(&tmp, "%s/callwitness-verify-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") < 0)
                return -ENOMEM;
        if (!mkdtemp(tmp)) {
                r = -errno;
                cw_problems_add(&k->problems, "cannot make a temporary folder to unpack %s: %s", zip_path, strerror(-r));
                goto finish;
        }
        archive_read_support_format_zip(zip);
        if (archive_read_open_filename(zip, zip_path, 64 * 1024) != ARCHIVE_OK) {
                r = -EBADMSG;
                cw_problems_add(&k->problems, "%s cannot be read as a zip: %s", zip_path, archive_error_string(zip));
                goto finish;
        }
        while ((rc = archive_read_next_header(zip, &entry)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(entry);
                char *path = NULL;
                int fd;

                if (!safe_name(name)) {
                        r = -EBADMSG;
                        cw_problems_add(&k->problems, "%s: the entry '%s' points outside the bundle", zip_path, name);
                        break;
                }
                if (++entries > CW_BUNDLE_MAX_ENTRIES) {
                        r = -EFBIG;
                        cw_problems_add(&k->problems, "%s holds more than %d entries: refused", zip_path,
                                        CW_BUNDLE_MAX_ENTRIES);
                        break;
                }
                if (!top_name && top_length(name) &&
                    (!(top_name = strndup(name, top_length(name))) ||
                     asprintf(&top, "%s/%s", tmp, top_name) < 0)) {
                        top = NULL;
                        r = -ENOMEM;
                        break;
                }
                if (!top_name || top_length(name) != strlen(top_name) || strncmp(name, top_name, strlen(top_name)) != 0) {
                        r = -EBADMSG;
                        cw_problems_add(&k->problems, "%s: '%s' is outside the bundle's folder%s%s", zip_path, name,
                                        top_name ? " " : "", top_name ? top_name : "");
                        break;
                }
                if (archive_entry_filetype(entry) != AE_IFDIR && archive_entry_filetype(entry) != AE_IFREG) {
                        r = -EBADMSG;
                        cw_problems_add(&k->problems, "%s: '%s' is not a file", zip_path, name);
                        break;
                }
                if (asprintf(&path, "%s/%s", tmp, name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                /* Make the folders on the way; the zip lists files only. */
                for (char *p = strchr(path + strlen(tmp) + 1, '/'); p; p = strchr(p + 1, '/')) {
                        *p = '\0';
                        mkdir(path, 0700);
                        *p = '/';
                }
                if (archive_entry_filetype(entry) == AE_IFDIR) {
                        mkdir(path, 0700);
                        free(path);
                        continue;
                }
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                free(path);
                if (fd < 0 || (r = unpack_entry(zip, fd, &budget)) < 0) {
                        if (fd < 0)
                                cw_problems_add(&k->problems, "%s: '%s' cannot be unpacked: %s", zip_path, name, strerror(errno));
                        else if (r == -EFBIG)
                                cw_problems_add(&k->problems, "%s unpacks to more than %llu bytes: refused", zip_path,
                                                (unsigned long long) (CW_BUNDLE_MAX_UNPACKED - budget));
                        else
                                cw_problems_add(&k->problems, "%s is damaged or cut short: '%s' cannot be unpacked (%s)", zip_path,
                                        name, archive_error_string(zip) ? archive_error_string(zip) : strerror(-r));
                        r = r == -EFBIG ? r : -EBADMSG;
                        if (fd >= 0)
                                close(fd);
                        break;
                }
                close(fd);
        }
        if (r == 0 && rc != ARCHIVE_EOF) {
                r = -EBADMSG;
                cw_problems_add(&k->problems, "%s is damaged or cut short: %s", zip_path, archive_error_string(zip));
        }
        if (r == 0 && !top) {
                r = -EBADMSG;
                cw_problems_add(&k->problems, "%s holds no bundle folder", zip_path);
        }
finish:
        archive_read_free(zip);
        free(top_name);
        *tmp_ret = tmp;
        if (r == 0)
                *top_ret = top;
        else
                free(top);
        return r;
}

/* --- the checks ------------------------------------------------------------------ */

static int read_sums(checker *k, const char *sums) {
        for (const char *line = sums; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                size_t len = strcspn(line, "\n");
                listed_file *f = &k->listed[k->n_listed];

                if (len == 0)
                        continue;
                if (k->n_listed == MAX_LISTED || len < CW_SHA256_HEX_LEN + 3 || line[CW_SHA256_HEX_LEN] != ' ' ||
                    line[CW_SHA256_HEX_LEN + 1] != ' ') {
                        cw_problems_add(&k->problems, "SHA256SUMS: the line '%.*s' is not '<sha256>  <file>'", (int) (len > 80 ? 80 : len),
                                line);
                        continue;
                }
                memcpy(f->sha256, line, CW_SHA256_HEX_LEN);
                f->sha256[CW_SHA256_HEX_LEN] = '\0';
                if (!(f->name = strndup(line + CW_SHA256_HEX_LEN + 2, len - CW_SHA256_HEX_LEN - 2)))
                        return -ENOMEM;
                if (!safe_name(f->name)) {
                        cw_problems_add(&k->problems, "SHA256SUMS names '%s', outside the bundle", f->name);
                        free(f->name);
                        continue;
                }
                k->n_listed++;
        }
        return 0;
}

static listed_file *find_listed(checker *k, const char *name) {
        for (size_t i = 0; i < k->n_listed; i++)
                if (strcmp(k->listed[i].name, name) == 0)
                        return &k->listed[i];
        return NULL;
}

static void check_listed_files(checker *k) {
        for (size_t i = 0; i < k->n_listed; i++) {
                listed_file *f = &k->listed[i];
                char *path, hex[CW_SHA256_HEX_LEN + 1];
                int fd;

                if (asprintf(&path, "%s/%s", k->dir, f->name) < 0)
                        return;
                fd = open(path, O_RDONLY | O_CLOEXEC);
                free(path);
                if (fd < 0) {
                        cw_problems_add(&k->problems, "%s is listed in SHA256SUMS but missing", f->name);
                        continue;
                }
                if (cw_sha256_fd(fd, hex, NULL) < 0 || strcmp(hex, f->sha256) != 0)
                        cw_problems_add(&k->problems, "%s was altered: its SHA-256 is not the one in SHA256SUMS", f->name);
                close(fd);
        }
}

/* nftw has no userdata; checks are single-threaded and short. */
static checker *walking;

static int check_unlisted(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        const char *name = path + strlen(walking->dir) + 1;
        listed_file *f;

        if (type != FTW_F || strcmp(name, "SHA256SUMS") == 0 || strcmp(name, "SHA256SUMS.minisig") == 0)
                return 0;
        if ((f = find_listed(walking, name)))
                f->seen = true;
        else
                cw_problems_add(&walking->problems, "%s is in the bundle but not in SHA256SUMS", name);
        return 0;
}

/* A string member, or NULL: the manifest is read as untrusted input. */
static const char *string_member(json_object *o, const char *key) {
        json_object *value;

        return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &value) &&
               json_object_is_type(value, json_type_string) ? json_object_get_string(value) : NULL;
}

/* A message in the manifest must give the SHA-256 it carries: its text
 * cannot be changed in the manifest alone (SHA256SUMS covers the
 * manifest, but a recipient may read the manifest of a bundle re-signed
 * by someone else). */
static void check_message(checker *k, json_object *call, const char *id_text) {
        json_object *message;
        const char *hex, *sha256;
        char computed[CW_SHA256_HEX_LEN + 1];
        unsigned char *data = NULL;
        size_t len = 0;

        if (!json_object_object_get_ex(call, "message", &message))
                return;
        hex = string_member(message, "data");
        sha256 = string_member(message, "sha256");
        if (!(data = cw_hex_decode(hex ? hex : "", &len))) {
                cw_problems_add(&k->problems, "manifest.json: message %s has data that is not hex", id_text);
                return;
        }
        if (cw_message_sha256(&(cw_message_in) {
                    .sender = string_member(message, "sender"), .sent_reported = string_member(message, "sent_reported"),
                    .smsc = string_member(message, "smsc"), .text = string_member(message, "text"), .data = data,
                    .data_len = len }, computed) == 0 &&
            (!sha256 || strcmp(computed, sha256) != 0))
                cw_problems_add(&k->problems, "manifest.json: message %s does not give the SHA-256 it carries: its "
                                "text or sender was changed", id_text);
        free(data);
}

static void check_manifest(checker *k, json_object *manifest) {
        const char *format = string_member(manifest, "format");
        json_object *calls;

        if (!format || strcmp(format, CW_BUNDLE_FORMAT) != 0)
                cw_problems_add(&k->problems, "manifest.json: not a %s manifest", CW_BUNDLE_FORMAT);
        if (!json_object_is_type(manifest, json_type_object) || !json_object_object_get_ex(manifest, "calls", &calls) ||
            !json_object_is_type(calls, json_type_array)) {
                cw_problems_add(&k->problems, "manifest.json lists no calls");
                return;
        }
        for (size_t i = 0; i < json_object_array_length(calls); i++) {
                json_object *call = json_object_array_get_idx(calls, i), *files, *id = NULL;
                const char *id_text;

                if (!json_object_is_type(call, json_type_object)) {
                        cw_problems_add(&k->problems, "manifest.json: entry %zu of calls is not a call", i + 1);
                        continue;
                }
                json_object_object_get_ex(call, "id", &id);
                id_text = json_object_is_type(id, json_type_int) ? json_object_get_string(id) : "?";
                check_message(k, call, id_text);
                if (!json_object_object_get_ex(call, "files", &files) || !json_object_is_type(files, json_type_array))
                        continue;
                for (size_t j = 0; j < json_object_array_length(files); j++) {
                        json_object *file = json_object_array_get_idx(files, j);
                        const char *name = string_member(file, "name"), *sha256 = string_member(file, "sha256");
                        listed_file *f;

                        if (!name || !sha256) {
                                cw_problems_add(&k->problems, "manifest.json: call %s lists a file without a name or "
                                                "SHA-256", id_text);
                                continue;
                        }
                        f = find_listed(k, name);
                        if (!f)
                                cw_problems_add(&k->problems, "manifest.json: call %s names %s, which SHA256SUMS does not list",
                                        id_text, name);
                        else if (strcmp(f->sha256, sha256) != 0)
                                cw_problems_add(&k->problems, "manifest.json: call %s gives %s a SHA-256 that SHA256SUMS does not",
                                        id_text, name);
                }
        }
}

static void check_signature(checker *k, json_object *manifest, const char *expected_key, const char *sums,
                            size_t sums_size) {
        char *signature = read_all(k->dir, "SHA256SUMS.minisig", NULL);
        const char *named_key = manifest ? string_member(manifest, "device_public_key") : NULL;
        const char *key = expected_key ? expected_key : named_key;
        int r;

        if (key && !(k->signing_key = strdup(key)))
                return;
        if (!signature) {
                cw_problems_add(&k->problems, "SHA256SUMS.minisig is missing: the bundle is not signed");
                return;
        }
        if (!key)
                cw_problems_add(&k->problems, "no public key to check SHA256SUMS.minisig with (manifest.json names none)");
        else if ((r = cw_minisign_verify(key, sums, sums_size, signature)) == -EKEYREJECTED)
                cw_problems_add(&k->problems, "SHA256SUMS.minisig was made with another key than %s", key);
        else if (r < 0)
                cw_problems_add(&k->problems, "SHA256SUMS.minisig %s", r == -EBADE ? "does not match SHA256SUMS: the list was altered"
                                                               : "is damaged");
        if (expected_key && named_key && strcmp(named_key, expected_key) != 0)
                cw_problems_add(&k->problems, "manifest.json names another device key than the one given");
        free(signature);
}

int cw_bundle_verify(const char *path, const char *expected_key, char **signing_key_ret, cw_bundle_problem_fn cb,
                     void *userdata) {
        checker *k = calloc(1, sizeof *k);
        char *tmp = NULL, *sums = NULL;
        json_object *manifest = NULL;
        size_t sums_size = 0;
        struct stat st;
        int r = 0;

        if (!k)
                return -ENOMEM;
        k->problems = (cw_problems) { cb, userdata, 0 };
        if (stat(path, &st) < 0) {
                r = -errno;
                cw_problems_add(&k->problems, "%s: %s", path, strerror(errno));
        } else if (S_ISDIR(st.st_mode))
                k->dir = strdup(path);
        else
                r = unzip(k, path, &tmp, &k->dir);
        if (r == 0 && !k->dir)
                r = -ENOMEM;
        if (r == 0) {
                char *text = read_all(k->dir, "manifest.json", NULL);

                manifest = text ? json_tokener_parse(text) : NULL;
                if (!manifest)
                        cw_problems_add(&k->problems, text ? "manifest.json is not valid JSON" : "manifest.json is missing");
                free(text);
                sums = read_all(k->dir, "SHA256SUMS", &sums_size);
                if (!sums)
                        cw_problems_add(&k->problems, "SHA256SUMS is missing");
                else
                        r = read_sums(k, sums);
        }
        if (r == 0 && sums) {
                check_signature(k, manifest, expected_key, sums, sums_size);
                check_listed_files(k);
                walking = k;
                nftw(k->dir, check_unlisted, 16, FTW_PHYS);
                walking = NULL;
                if (!find_listed(k, "manifest.json") && manifest)
                        cw_problems_add(&k->problems, "manifest.json is not in SHA256SUMS");
                if (manifest)
                        check_manifest(k, manifest);
        }
        if (tmp)
                cw_bundle_remove_tree(tmp);
        r = r < 0 ? r : k->problems.count;
        if (signing_key_ret) {
                *signing_key_ret = k->signing_key;
                k->signing_key = NULL;
        }
        free(k->signing_key);
        json_object_put(manifest);
        for (size_t i = 0; i < k->n_listed; i++)
                free(k->listed[i].name);
        free(sums);
        free(tmp);
        free(k->dir);
        free(k);
        return r;
}
