/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "callwitness/audit.h"
#include "callwitness/catalog.h"
#include "callwitness/hash.h"
#include "callwitness/oggfile.h"
#include "callwitness/oggtags.h"
#include "callwitness/recover.h"
#include "problems.h"

#define MAX_FILES 100000

/* What a recording's tags say (call-tags.c in the daemon writes them). */
typedef struct file_tags {
        char *call_id, *direction, *number, *backend, *capture_mode, *started, *answered, *ended, *end_reason;
        char *kind, *label;      /* an encounter's; absent from a call's file */
        cw_tag tags[8];
        size_t n_tags;
        char *warnings[16];
        size_t n_warnings;
} file_tags;

static void take(char **slot, const char *value) {
        free(*slot);
        *slot = strdup(value);
}

/* The value of "KEY=value" when comment starts with key ("KEY="). */
static const char *after_key(const char *comment, const char *key) {
        size_t n = strlen(key);

        return strncmp(comment, key, n) == 0 ? comment + n : NULL;
}

/* The ": " between a tag's name and its reason. (A loop, not strstr():
 * GCC 12 with the sanitizers warns wrongly about strstr on a suffix.) */
static const char *separator(const char *text) {
        for (; *text; text++)
                if (text[0] == ':' && text[1] == ' ')
                        return text;
        return NULL;
}

static void read_tag(const char *comment, void *userdata) {
        static const struct {
                const char *key;
                size_t offset;
        } fields[] = {
                { "CALLWITNESS_CALL_ID=", offsetof(file_tags, call_id) },
                { "CALLWITNESS_DIRECTION=", offsetof(file_tags, direction) },
                { "CALLWITNESS_NUMBER=", offsetof(file_tags, number) },
                { "CALLWITNESS_BACKEND=", offsetof(file_tags, backend) },
                { "CALLWITNESS_CAPTURE_MODE=", offsetof(file_tags, capture_mode) },
                { "CALLWITNESS_STARTED_AT=", offsetof(file_tags, started) },
                { "CALLWITNESS_ANSWERED_AT=", offsetof(file_tags, answered) },
                { "CALLWITNESS_ENDED_AT=", offsetof(file_tags, ended) },
                { "CALLWITNESS_END_REASON=", offsetof(file_tags, end_reason) },
                { "CALLWITNESS_KIND=", offsetof(file_tags, kind) },
                { "CALLWITNESS_LABEL=", offsetof(file_tags, label) },
        };
        file_tags *t = userdata;
        const char *value, *colon;

        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
                if ((value = after_key(comment, fields[i].key))) {
                        take((char **) ((char *) t + fields[i].offset), value);
                        return;
                }
        if ((value = after_key(comment, "CALLWITNESS_TAG=")) && t->n_tags < 8 && (colon = separator(value)) &&
            (size_t) (colon - value) < CW_TAG_NAME_MAX) {
                cw_tag *tag = &t->tags[t->n_tags++];

                snprintf(tag->name, sizeof tag->name, "%.*s", (int) (colon - value), value);
                snprintf(tag->reason, sizeof tag->reason, "%s", colon + 2);
        } else if ((value = after_key(comment, "CALLWITNESS_WARNING=")) && t->n_warnings < 16)
                t->warnings[t->n_warnings++] = strdup(value);
}

static void clear_tags(file_tags *t) {
        char **strings[] = { &t->call_id, &t->direction, &t->number, &t->backend, &t->capture_mode, &t->started,
                             &t->answered, &t->ended, &t->end_reason, &t->kind, &t->label };

        for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
                free(*strings[i]);
        for (size_t i = 0; i < t->n_warnings; i++)
                free(t->warnings[i]);
}

typedef struct recovery {
        cw_catalog *catalog;
        const char *data_dir;
        const cw_timestamp *now;
        cw_problems problems;
        char **files;
        size_t n_files;
        cw_recover_result *result;
} recovery;

/* nftw has no userdata; recovery is single-threaded. */
static recovery *walking;

static int collect_file(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        size_t len = strlen(path);

        if (type != FTW_F || len < 5 || strcmp(path + len - 5, ".opus") != 0)
                return 0;
        if (walking->n_files == MAX_FILES)
                return 1;
        if (walking->n_files % 256 == 0) {
                char **more = realloc(walking->files, (walking->n_files + 256) * sizeof *more);

                if (!more)
                        return -1;
                walking->files = more;
        }
        if (!(walking->files[walking->n_files] = strdup(path + strlen(walking->data_dir) + 1)))
                return -1;
        walking->n_files++;
        return 0;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* One file back into the catalog, through the same writes the daemon
 * makes (each ended call and finished recording into the audit log). */
static int recover_file(recovery *v, const char *relpath) {
        char *path = NULL, sha256[CW_SHA256_HEX_LEN + 1], *note = NULL;
        cw_timestamp started, answered, ended;
        cw_capture_mode mode = CW_CAPTURE_SEPARATE;
        file_tags t = { .n_tags = 0 };
        int64_t id, duration_ms = 0;
        uint64_t size = 0;
        int fd, r;

        if (asprintf(&path, "%s/%s", v->data_dir, relpath) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        free(path);
        if (fd < 0) {
                cw_problems_add(&v->problems, "%s: cannot be read: %s; left as it is", relpath, strerror(errno));
                v->result->skipped++;
                return 0;
        }
        r = cw_oggtags_read(fd, read_tag, &t);
        if (r == 0)
                r = cw_sha256_fd(fd, sha256, &size);
        if (r == 0 && cw_oggfile_duration_ms(fd, &duration_ms) < 0)
                duration_ms = 0;
        close(fd);
        if (r < 0 || !t.started || cw_timestamp_parse_rfc3339(t.started, &started) < 0 ||
            cw_capture_mode_from_string(t.capture_mode, &mode) < 0) {
                cw_problems_add(&v->problems, "%s: %s; left as it is", relpath,
                                r < 0 ? "not an Ogg Opus file" : "not a callwitness recording (its tags give no start)");
                v->result->skipped++;
                clear_tags(&t);
                return 0;
        }
        if (!t.answered || cw_timestamp_parse_rfc3339(t.answered, &answered) < 0)
                answered = started;
        /* A file whose writer died has no end: its audio says when the
         * call was last heard. */
        if (!t.ended || cw_timestamp_parse_rfc3339(t.ended, &ended) < 0) {
                ended = answered;
                ended.utc_ms += duration_ms;
                take(&t.end_reason, "daemon-stopped");
        }

        r = cw_catalog_add_call(v->catalog, &(cw_call_start) {
                /* Only what a recording can be: a call or an encounter. */
                .kind = cw_record_kind_from_string(t.kind) == CW_KIND_ENCOUNTER ? CW_KIND_ENCOUNTER : CW_KIND_CALL,
                .label = cw_record_kind_from_string(t.kind) == CW_KIND_ENCOUNTER ? t.label : NULL,
                .backend = t.backend ? t.backend : "unknown",
                .direction = cw_direction_from_string(t.direction),
                .number = t.number && strcmp(t.number, "unknown") != 0 ? t.number : NULL,
                .state = cw_direction_from_string(t.direction) == CW_DIRECTION_OUTGOING ? CW_CALL_DIALING : CW_CALL_RINGING,
                .appeared = started,
        }, &id);
        if (r == 0)
                r = cw_catalog_add_state(v->catalog, id, CW_CALL_ACTIVE, CW_END_UNKNOWN, &answered);
        for (size_t i = 0; r == 0 && i < t.n_tags; i++)
                r = cw_catalog_set_policy_tag(v->catalog, id, &t.tags[i]);
        for (size_t i = 0; r == 0 && i < t.n_warnings; i++) {
                char *colon = t.warnings[i] ? strstr(t.warnings[i], ": ") : NULL;

                if (colon) {
                        *colon = '\0';
                        r = cw_catalog_add_warning(v->catalog, id, t.warnings[i], colon + 2, &answered);
                }
        }
        if (r == 0 && asprintf(&note, "this call was rebuilt from its recording %s (call %s in the catalog that was "
                                      "lost); times, number and tags are what the file's tags say",
                               relpath, t.call_id ? t.call_id : "?") < 0)
                r = -ENOMEM;
        if (r == 0)
                r = cw_catalog_add_warning(v->catalog, id, "recovered", note, v->now);
        if (r == 0)
                r = cw_catalog_set_recording(v->catalog, id, &(cw_recording_info) {
                        .relpath = relpath, .capture_mode = mode, .duration_ms = duration_ms, .size = size,
                        .sha256 = sha256, .at = *v->now,
                });
        if (r == 0)
                r = cw_catalog_add_state(v->catalog, id, CW_CALL_ENDED, cw_end_reason_from_string(t.end_reason), &ended);
        free(note);
        clear_tags(&t);
        if (r == 0)
                v->result->recovered++;
        return r;
}

/* Renames path to path.broken-STAMP, with its -wal and -shm. */
static int set_aside(const char *db_path, const cw_timestamp *now, char **aside_ret) {
        static const char *const suffixes[] = { "-wal", "-shm" };
        char stamp[CW_RFC3339_MAX], *aside, *from, *to;

        cw_timestamp_format_rfc3339(now, stamp);
        if (asprintf(&aside, "%s.broken-%s", db_path, stamp) < 0)
                return -ENOMEM;
        if (rename(db_path, aside) < 0) {
                int r = -errno;

                free(aside);
                return r;
        }
        for (size_t i = 0; i < 2; i++)
                if (asprintf(&from, "%s%s", db_path, suffixes[i]) >= 0) {
                        if (asprintf(&to, "%s%s", aside, suffixes[i]) >= 0) {
                                rename(from, to);
                                free(to);
                        }
                        free(from);
                }
        *aside_ret = aside;
        return 0;
}

static int rebuild(recovery *vp, bool force, cw_recover_result *result) {
        recovery v = *vp;
        const char *data_dir = v.data_dir;
        const cw_timestamp *now = v.now;
        char *db_path = NULL, *recordings = NULL;
        json_object *body;
        cw_catalog *old;
        int r;

        if (asprintf(&db_path, "%s/catalog.db", data_dir) < 0)
                return -ENOMEM;
        if (access(db_path, F_OK) == 0) {
                r = cw_catalog_open_readonly(db_path, &old);
                if (r == 0) {
                        cw_catalog_free(old);
                        if (!force) {
                                free(db_path);
                                return -EEXIST;
                        }
                }
                r = set_aside(db_path, now, &result->set_aside);
                if (r < 0) {
                        free(db_path);
                        return r;
                }
        }
        r = cw_catalog_open(db_path, now, &v.catalog);
        free(db_path);
        if (r < 0)
                return r;
        if (asprintf(&recordings, "%s/recordings", data_dir) < 0) {
                cw_catalog_free(v.catalog);
                return -ENOMEM;
        }
        walking = &v;
        if (access(recordings, F_OK) == 0 && nftw(recordings, collect_file, 16, FTW_PHYS) < 0)
                r = -ENOMEM;
        walking = NULL;
        free(recordings);
        /* Oldest first, as the names begin with the local time. */
        qsort(v.files, v.n_files, sizeof *v.files, compare_names);
        body = json_object_new_object();
        json_object_object_add(body, "set_aside", result->set_aside ? json_object_new_string(result->set_aside)
                                                                    : NULL);
        json_object_object_add(body, "files", json_object_new_int64((int64_t) v.n_files));
        if (r == 0)
                r = cw_audit_append(v.catalog, "recover", 0, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                                    now);
        json_object_put(body);
        for (size_t i = 0; i < v.n_files; i++) {
                if (r == 0)
                        r = recover_file(&v, v.files[i]);
                free(v.files[i]);
        }
        free(v.files);
        cw_catalog_free(v.catalog);
        return r;
}

int cw_recover_catalog(const char *data_dir, bool force, const cw_timestamp *now, cw_recover_result *result,
                       cw_recover_problem_fn cb, void *userdata) {
        recovery v = { .data_dir = data_dir, .now = now, .problems = { cb, userdata, 0 }, .result = result };
        char *db_path;
        int lock_fd, r;

        *result = (cw_recover_result) { 0 };
        /* Not under a running daemon: it holds this lock while it runs. */
        if (asprintf(&db_path, "%s/callwitnessd.lock", data_dir) < 0)
                return -ENOMEM;
        lock_fd = open(db_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        free(db_path);
        if (lock_fd < 0)
                return -errno;
        if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
                r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                close(lock_fd);
                return r;
        }
        r = rebuild(&v, force, result);
        close(lock_fd);
        return r;
}
