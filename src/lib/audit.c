/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit-db.h"
#include "callwitness/audit.h"
#include "callwitness/message.h"
#include "catalog-db.h"
#include "problems.h"

int cw_audit_entry_hash(const cw_audit_entry *e, char hex[static CW_SHA256_HEX_LEN + 1]) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        char call_id[24] = "";
        char *text;
        int n;

        if (e->call_id > 0)
                snprintf(call_id, sizeof call_id, "%" PRId64, e->call_id);
        n = asprintf(&text, "callwitness-audit-v1\n%" PRId64 "\n%" PRId64 "\n%" PRId32 "\n%s\n%s\n%s\n%s", e->seq,
                     e->at.utc_ms, e->at.utc_offset_s, e->kind, call_id, e->prev, e->body);
        if (n < 0)
                return -ENOMEM;
        if (sodium_init() < 0) {
                free(text);
                return -EIO;
        }
        crypto_hash_sha256(digest, (const unsigned char *) text, (unsigned long long) n);
        sodium_bin2hex(hex, CW_SHA256_HEX_LEN + 1, digest, sizeof digest);
        free(text);
        return 0;
}

int cw_audit_append_in_transaction(cw_catalog *c, const char *kind, int64_t call_id, const char *body,
                                   const cw_timestamp *at) {
        char prev[CW_SHA256_HEX_LEN + 1] = CW_AUDIT_GENESIS, hash[CW_SHA256_HEX_LEN + 1];
        cw_audit_entry e = { .seq = 1, .at = *at, .kind = kind, .call_id = call_id, .body = body, .prev = prev };
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", "");
        if (r < 0)
                return r;
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
                e.seq = sqlite3_column_int64(stmt, 0) + 1;
                snprintf(prev, sizeof prev, "%s", cw_db_column_text(stmt, 1) ? cw_db_column_text(stmt, 1) : "");
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return cw_db_errno(rc);
        r = cw_audit_entry_hash(&e, hash);
        if (r < 0)
                return r;
        return cw_db_run(c, NULL,
                         "INSERT INTO audit_log (seq, at_ms, offset_s, kind, call_id, body, prev, hash)"
                         " VALUES (?, ?, ?, ?, NULLIF(?, 0), ?, ?, ?)",
                         "iiitittt", e.seq, at->utc_ms, (int64_t) at->utc_offset_s, kind, call_id, body, prev, hash);
}

/* The columns a "call" entry records, in this order: those of a catalog
 * before encounters (schema 6) when it adopts its calls into the log. */
#define CALL_COLUMNS_BEFORE_ENCOUNTERS \
        "id, direction, number, started_at_ms, started_offset_s, answered_at_ms, answered_offset_s," \
        " ended_at_ms, ended_offset_s, end_reason"
#define CALL_COLUMNS CALL_COLUMNS_BEFORE_ENCOUNTERS ", kind, label"
/* A "message" entry: what the network delivered, as stored. */
#define MESSAGE_COLUMNS \
        "call_id, sender, sender_canonical, sent_reported, sent_at_ms, sent_offset_s, smsc, text," \
        " lower(hex(data)) AS data, complete, deleted_before_read, receipt_known, sha256, seen_at_ms, seen_offset_s"

static void add_column(json_object *body, sqlite3_stmt *row, int column) {
        const char *name = sqlite3_column_name(row, column);

        switch (sqlite3_column_type(row, column)) {
        case SQLITE_NULL:
                json_object_object_add(body, name, NULL);
                break;
        case SQLITE_INTEGER:
                json_object_object_add(body, name, json_object_new_int64(sqlite3_column_int64(row, column)));
                break;
        default:
                json_object_object_add(body, name, json_object_new_string(cw_db_column_text(row, column)));
                break;
        }
}

/* Appends an entry of kind whose body is the row sql selects for call_id,
 * every column but the first (the id) as a JSON member. */
static int log_row(cw_catalog *c, const char *kind, const char *sql, int64_t call_id, const cw_timestamp *at) {
        json_object *body;
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt, sql, "i", call_id);
        if (r < 0)
                return r;
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(stmt);
                return rc == SQLITE_DONE ? -ENOENT : cw_db_errno(rc);
        }
        body = json_object_new_object();
        for (int column = 1; body && column < sqlite3_column_count(stmt); column++)
                add_column(body, stmt, column);
        sqlite3_finalize(stmt);
        if (!body)
                return -ENOMEM;
        r = cw_audit_append_in_transaction(c, kind, call_id,
                                           json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), at);
        json_object_put(body);
        return r;
}

int cw_audit_log_call(cw_catalog *c, int64_t call_id, const cw_timestamp *at) {
        return log_row(c, "call", "SELECT " CALL_COLUMNS " FROM calls WHERE id = ?", call_id, at);
}

int cw_audit_log_message(cw_catalog *c, int64_t call_id, const cw_timestamp *at) {
        return log_row(c, "message", "SELECT " MESSAGE_COLUMNS " FROM messages WHERE call_id = ?", call_id, at);
}

int cw_audit_log_clock(cw_catalog *c, int64_t call_id, const cw_timestamp *at) {
        return log_row(c, "clock", "SELECT call_id, synced, network_reported, network_offset_ms, at_ms, offset_s"
                                   " FROM clock_checks WHERE call_id = ?", call_id, at);
}

int cw_audit_adopt_call(cw_catalog *c, int64_t call_id, const cw_timestamp *at) {
        return log_row(c, "call", "SELECT " CALL_COLUMNS_BEFORE_ENCOUNTERS " FROM calls WHERE id = ?", call_id, at);
}

int cw_audit_log_recording(cw_catalog *c, int64_t call_id, const cw_timestamp *at) {
        return log_row(c, "recording",
                       "SELECT call_id, path AS file, size, sha256, duration_ms, capture_mode FROM recordings"
                       " WHERE call_id = ?", call_id, at);
}

int cw_audit_append(cw_catalog *c, const char *kind, int64_t call_id, const char *body, const cw_timestamp *at) {
        int r = cw_db_exec(c, "BEGIN IMMEDIATE");

        if (r < 0)
                return r;
        r = cw_audit_append_in_transaction(c, kind, call_id, body, at);
        if (r < 0) {
                cw_db_exec(c, "ROLLBACK");
                return r;
        }
        return cw_db_exec(c, "COMMIT");
}

int cw_audit_foreach(cw_catalog *c, int64_t call_id, cw_audit_entry_fn cb, void *userdata) {
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt,
                      "SELECT seq, at_ms, offset_s, kind, call_id, body, prev, hash FROM audit_log"
                      " WHERE ? <= 0 OR call_id = ? ORDER BY seq",
                      "ii", call_id, call_id);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                cw_audit_entry e = {
                        .seq = sqlite3_column_int64(stmt, 0),
                        .kind = cw_db_column_text(stmt, 3),
                        .call_id = sqlite3_column_int64(stmt, 4),
                        .body = cw_db_column_text(stmt, 5),
                        .prev = cw_db_column_text(stmt, 6),
                        .hash = cw_db_column_text(stmt, 7),
                };

                cw_db_column_timestamp(stmt, 1, &e.at);
                if (!e.kind || !e.body || !e.prev || !e.hash) {
                        r = -EBADMSG;
                        break;
                }
                r = cb(&e, userdata);
                if (r != 0)
                        break;
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
        return r;
}

/* --- verification ---------------------------------------------------------- */

/* What the log says about one call: its latest "call" and "recording"
 * entries, and whether it was deleted. */
typedef struct logged_call {
        int64_t id;
        json_object *call;
        json_object *recording;
        json_object *message;
        bool message_seen;       /* the catalog has a messages row for it */
        json_object *clock;
        bool clock_seen;
        bool deleted;
        bool seen_in_catalog;
        bool recording_seen;     /* the catalog has a recording row for it */
} logged_call;

/* What the log says of one mark. */
typedef struct logged_mark {
        int64_t id, call_id;
        json_object *body;
        bool seen_in_catalog;
} logged_mark;

typedef struct verifier {
        cw_catalog *catalog;
        logged_mark *marks;
        size_t n_marks;
        const char *data_dir;
        cw_problems problems;
        int64_t expected_seq;
        char last_hash[CW_SHA256_HEX_LEN + 1];
        logged_call *calls;
        size_t n_calls, allocated;
} verifier;

static logged_call *logged(verifier *v, int64_t id, bool create) {
        for (size_t i = 0; i < v->n_calls; i++)
                if (v->calls[i].id == id)
                        return &v->calls[i];
        if (!create)
                return NULL;
        if (v->n_calls == v->allocated) {
                size_t grown = v->allocated ? v->allocated * 2 : 32;
                logged_call *calls = realloc(v->calls, grown * sizeof *calls);

                if (!calls)
                        return NULL;
                v->calls = calls;
                v->allocated = grown;
        }
        v->calls[v->n_calls] = (logged_call) { .id = id };
        return &v->calls[v->n_calls++];
}

static void keep(json_object **slot, const char *body) {
        json_object_put(*slot);
        *slot = json_tokener_parse(body);
}

static int check_entry(const cw_audit_entry *e, void *userdata) {
        verifier *v = userdata;
        char hash[CW_SHA256_HEX_LEN + 1];
        logged_call *call;

        if (e->seq != v->expected_seq)
                cw_problems_add(&v->problems, "audit log: entry %" PRId64 " follows entry %" PRId64 ": entries are missing", e->seq,
                        v->expected_seq - 1);
        if (strcmp(e->prev, v->last_hash) != 0)
                cw_problems_add(&v->problems, "audit log: entry %" PRId64 " does not link to the entry before it (chain broken)", e->seq);
        if (cw_audit_entry_hash(e, hash) < 0)
                return -ENOMEM;
        if (strcmp(hash, e->hash) != 0)
                cw_problems_add(&v->problems, "audit log: entry %" PRId64 " (%s) was altered: its content does not give its hash", e->seq,
                        e->kind);
        v->expected_seq = e->seq + 1;
        snprintf(v->last_hash, sizeof v->last_hash, "%s", e->hash);

        if (e->call_id <= 0)
                return 0;
        if (!(call = logged(v, e->call_id, true)))
                return -ENOMEM;
        if (strcmp(e->kind, "call") == 0)
                keep(&call->call, e->body);
        else if (strcmp(e->kind, "recording") == 0)
                keep(&call->recording, e->body);
        else if (strcmp(e->kind, "message") == 0)
                keep(&call->message, e->body);
        else if (strcmp(e->kind, "clock") == 0)
                keep(&call->clock, e->body);
        else if (strcmp(e->kind, "mark") == 0) {
                logged_mark *grown = realloc(v->marks, (v->n_marks + 1) * sizeof *grown);
                json_object *body = json_tokener_parse(e->body), *id;

                if (!grown) {
                        json_object_put(body);
                        return -ENOMEM;
                }
                v->marks = grown;
                v->marks[v->n_marks++] = (logged_mark) {
                        .id = json_object_object_get_ex(body, "mark", &id) ? json_object_get_int64(id) : 0,
                        .call_id = e->call_id, .body = body,
                };
        }
        else if (strcmp(e->kind, "delete") == 0)
                call->deleted = true;
        return 0;
}

static const char *json_text(json_object *o, const char *key) {
        json_object *value;

        return json_object_object_get_ex(o, key, &value) && json_object_is_type(value, json_type_string)
               ? json_object_get_string(value) : NULL;
}

static bool json_int(json_object *o, const char *key, int64_t *ret) {
        json_object *value;

        if (!json_object_object_get_ex(o, key, &value) || !json_object_is_type(value, json_type_int))
                return false;
        *ret = json_object_get_int64(value);
        return true;
}

static bool same_text(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void compare_text(verifier *v, int64_t call_id, json_object *entry, const char *key,
                         sqlite3_stmt *row, int column) {
        const char *in_log = json_text(entry, key), *in_row = cw_db_column_text(row, column);

        if (!same_text(in_log, in_row))
                cw_problems_add(&v->problems, "call %" PRId64 ": %s in the catalog ('%s') differs from the audit log ('%s')", call_id,
                        key, in_row ? in_row : "", in_log ? in_log : "");
}

/* For members entries written before the column existed: an entry
 * without kind is of a call (schema 6 added encounters and labels). */
static void compare_text_or(verifier *v, int64_t call_id, json_object *entry, const char *key, const char *missing,
                            sqlite3_stmt *row, int column) {
        const char *in_log = json_object_object_get_ex(entry, key, NULL) ? json_text(entry, key) : missing,
                   *in_row = cw_db_column_text(row, column);

        if (!same_text(in_log, in_row))
                cw_problems_add(&v->problems, "call %" PRId64 ": %s in the catalog ('%s') differs from the audit log ('%s')", call_id,
                        key, in_row ? in_row : "", in_log ? in_log : "");
}

static void compare_int(verifier *v, int64_t call_id, json_object *entry, const char *key,
                        sqlite3_stmt *row, int column) {
        int64_t in_log = 0;
        bool logged_value = json_int(entry, key, &in_log);
        bool row_value = sqlite3_column_type(row, column) != SQLITE_NULL;

        if (logged_value != row_value || (row_value && sqlite3_column_int64(row, column) != in_log))
                cw_problems_add(&v->problems, "call %" PRId64 ": %s in the catalog differs from the audit log", call_id, key);
}

/* row: the columns of CALL_COLUMNS. */
static void check_call_row(verifier *v, sqlite3_stmt *row) {
        int64_t id = sqlite3_column_int64(row, 0);
        logged_call *call = logged(v, id, false);

        if (call)
                call->seen_in_catalog = true;
        if (sqlite3_column_type(row, 7) == SQLITE_NULL) {
                /* In progress: logged when it ends. One the log saw end was
                 * made to look unfinished (verify would skip it). */
                if (!call || !call->call || call->deleted)
                        return;
                cw_problems_add(&v->problems, "call %" PRId64 ": ended according to the audit log, but the "
                                "catalog says it is in progress", id);
        }
        if (!call || !call->call) {
                cw_problems_add(&v->problems, "call %" PRId64 ": ended, but the audit log has no entry for it", id);
                return;
        }
        if (call->deleted)
                cw_problems_add(&v->problems, "call %" PRId64 ": deleted according to the audit log, yet in the catalog", id);
        compare_text(v, id, call->call, "direction", row, 1);
        compare_text(v, id, call->call, "number", row, 2);
        compare_int(v, id, call->call, "started_at_ms", row, 3);
        compare_int(v, id, call->call, "started_offset_s", row, 4);
        compare_int(v, id, call->call, "answered_at_ms", row, 5);
        compare_int(v, id, call->call, "answered_offset_s", row, 6);
        compare_int(v, id, call->call, "ended_at_ms", row, 7);
        compare_int(v, id, call->call, "ended_offset_s", row, 8);
        compare_text(v, id, call->call, "end_reason", row, 9);
        compare_text_or(v, id, call->call, "kind", "call", row, 10);
        compare_text_or(v, id, call->call, "label", NULL, row, 11);
}

static void check_file(verifier *v, int64_t id, const char *relpath, const char *sha256, int64_t size) {
        char hex[CW_SHA256_HEX_LEN + 1], *path;
        uint64_t actual_size = 0;
        int fd, r;

        if (asprintf(&path, "%s/%s", v->data_dir, relpath) < 0)
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                cw_problems_add(&v->problems, "call %" PRId64 ": %s: %s", id, relpath,
                        errno == ENOENT ? "the recording is missing" : strerror(errno));
                free(path);
                return;
        }
        r = cw_sha256_fd(fd, hex, &actual_size);
        close(fd);
        free(path);
        if (r < 0)
                cw_problems_add(&v->problems, "call %" PRId64 ": %s: cannot be read: %s", id, relpath, strerror(-r));
        else if (strcmp(hex, sha256) != 0 || (int64_t) actual_size != size)
                cw_problems_add(&v->problems, "call %" PRId64 ": %s was altered: its SHA-256 is %s, the audit log says %s", id, relpath,
                        hex, sha256);
}

static void check_recording_row(verifier *v, sqlite3_stmt *row) {
        int64_t id = sqlite3_column_int64(row, 0), logged_size = -1;
        const char *path = cw_db_column_text(row, 1), *sha256 = cw_db_column_text(row, 3);
        logged_call *call = logged(v, id, false);
        const char *logged_path, *logged_sha256;

        if (call)
                call->recording_seen = true;
        if (!sha256) {
                /* Still being written, unless the log saw it finished. */
                if (call && call->recording)
                        cw_problems_add(&v->problems, "call %" PRId64 ": %s is finished according to the audit log, "
                                        "but the catalog lost its SHA-256", id, path);
                else
                        return;
        }
        if (!call || !call->recording) {
                cw_problems_add(&v->problems, "call %" PRId64 ": %s is finished, but the audit log has no entry for it", id, path);
                return;
        }
        logged_path = json_text(call->recording, "file");
        logged_sha256 = json_text(call->recording, "sha256");
        json_int(call->recording, "size", &logged_size);
        if (sha256 && (!same_text(logged_path, path) || !same_text(logged_sha256, sha256) ||
                       logged_size != sqlite3_column_int64(row, 2)))
                cw_problems_add(&v->problems, "call %" PRId64 ": the catalog's recording row (%s) differs from the audit log", id, path);
        if (logged_path && logged_sha256)
                check_file(v, id, logged_path, logged_sha256, logged_size);
}

/* row: the columns of MESSAGE_COLUMNS. The row must match its entry, and
 * its content the hash it carries: a text changed in both the row and a
 * forged entry still shows. */
static void check_message_row(verifier *v, sqlite3_stmt *row) {
        static const struct {
                const char *key;
                int column;
        } texts[] = { { "sender", 1 }, { "sender_canonical", 2 }, { "sent_reported", 3 }, { "smsc", 6 }, { "text", 7 },
                      { "data", 8 }, { "sha256", 12 } };
        int64_t id = sqlite3_column_int64(row, 0);
        logged_call *call = logged(v, id, false);
        const char *data_hex = cw_db_column_text(row, 8);
        char sha256[CW_SHA256_HEX_LEN + 1];
        unsigned char *data;
        size_t data_len = 0;

        if (call)
                call->message_seen = true;
        if (!call || !call->message) {
                cw_problems_add(&v->problems, "message %" PRId64 ": in the catalog, but the audit log has no entry for it",
                                id);
                return;
        }
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
                const char *in_log = json_text(call->message, texts[i].key), *in_row = cw_db_column_text(row, texts[i].column);

                if (!same_text(in_log && in_log[0] ? in_log : NULL, in_row && in_row[0] ? in_row : NULL))
                        cw_problems_add(&v->problems, "message %" PRId64 ": its %s in the catalog differs from the audit log",
                                        id, texts[i].key);
        }
        compare_int(v, id, call->message, "sent_at_ms", row, 4);
        compare_int(v, id, call->message, "sent_offset_s", row, 5);
        compare_int(v, id, call->message, "complete", row, 9);
        compare_int(v, id, call->message, "deleted_before_read", row, 10);
        compare_int(v, id, call->message, "receipt_known", row, 11);
        /* Entries of schema 7's first build do not hold the read time. */
        if (json_object_object_get_ex(call->message, "seen_at_ms", NULL)) {
                compare_int(v, id, call->message, "seen_at_ms", row, 13);
                compare_int(v, id, call->message, "seen_offset_s", row, 14);
        }
        data = cw_hex_decode(data_hex ? data_hex : "", &data_len);
        if (data && cw_message_sha256(&(cw_message_in) {
                    .sender = cw_db_column_text(row, 1), .sent_reported = cw_db_column_text(row, 3),
                    .smsc = cw_db_column_text(row, 6), .text = cw_db_column_text(row, 7), .data = data,
                    .data_len = data_len }, sha256) == 0 &&
            (!cw_db_column_text(row, 12) || strcmp(sha256, cw_db_column_text(row, 12)) != 0))
                cw_problems_add(&v->problems, "message %" PRId64 ": its content does not give the SHA-256 it carries "
                                "(altered)", id);
        free(data);
}

/* row: call_id, synced, network_reported, network_offset_ms, at_ms,
 * offset_s of a clock check. */
static void check_clock_row(verifier *v, sqlite3_stmt *row) {
        int64_t id = sqlite3_column_int64(row, 0);
        logged_call *call = logged(v, id, false);
        static const char *const ints[] = { NULL, "synced", NULL, "network_offset_ms", "at_ms", "offset_s" };

        if (!call || !call->clock) {
                cw_problems_add(&v->problems, "call %" PRId64 ": its clock check has no audit-log entry", id);
                return;
        }
        call->clock_seen = true;
        compare_text(v, id, call->clock, "network_reported", row, 2);
        for (int column = 1; column < 6; column++)
                if (ints[column])
                        compare_int(v, id, call->clock, ints[column], row, column);
}

/* row: id, call_id, offset_ms, text, live of a mark. */
static void check_mark_row(verifier *v, sqlite3_stmt *row) {
        int64_t id = sqlite3_column_int64(row, 0), call_id = sqlite3_column_int64(row, 1), offset = 0;
        logged_mark *mark = NULL;
        json_object *live;

        for (size_t i = 0; i < v->n_marks && !mark; i++)
                if (v->marks[i].id == id)
                        mark = &v->marks[i];
        if (!mark) {
                cw_problems_add(&v->problems, "mark %" PRId64 " of call %" PRId64 ": in the catalog, but the audit log "
                                "has no entry for it", id, call_id);
                return;
        }
        mark->seen_in_catalog = true;
        json_int(mark->body, "offset_ms", &offset);
        if (mark->call_id != call_id || offset != sqlite3_column_int64(row, 2) ||
            !same_text(json_text(mark->body, "text"), cw_db_column_text(row, 3)) ||
            !json_object_object_get_ex(mark->body, "live", &live) ||
            json_object_get_boolean(live) != (sqlite3_column_int(row, 4) != 0))
                cw_problems_add(&v->problems, "mark %" PRId64 " of call %" PRId64 ": in the catalog it differs from the "
                                "audit log (its call, time in the file or text was changed)", id, call_id);
}

static int check_rows(verifier *v) {
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(v->catalog, &stmt, "SELECT " CALL_COLUMNS " FROM calls ORDER BY id", "");
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                check_call_row(v, stmt);
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE)
                return cw_db_errno(rc);

        r = cw_db_run(v->catalog, &stmt, "SELECT call_id, synced, network_reported, network_offset_ms, at_ms, offset_s"
                                         " FROM clock_checks ORDER BY call_id", "");
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                check_clock_row(v, stmt);
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE)
                return cw_db_errno(rc);

        r = cw_db_run(v->catalog, &stmt, "SELECT id, call_id, offset_ms, text, live FROM marks ORDER BY id", "");
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                check_mark_row(v, stmt);
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE)
                return cw_db_errno(rc);
        for (size_t i = 0; i < v->n_marks; i++) {
                logged_call *call = logged(v, v->marks[i].call_id, false);

                if (!v->marks[i].seen_in_catalog && !(call && call->deleted))
                        cw_problems_add(&v->problems, "mark %" PRId64 " of call %" PRId64 ": in the audit log, but gone "
                                        "from the catalog", v->marks[i].id, v->marks[i].call_id);
        }

        r = cw_db_run(v->catalog, &stmt, "SELECT " MESSAGE_COLUMNS " FROM messages ORDER BY call_id", "");
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                check_message_row(v, stmt);
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE)
                return cw_db_errno(rc);

        r = cw_db_run(v->catalog, &stmt, "SELECT call_id, path, size, sha256 FROM recordings ORDER BY call_id", "");
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                check_recording_row(v, stmt);
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE)
                return cw_db_errno(rc);

        for (size_t i = 0; i < v->n_calls; i++) {
                logged_call *call = &v->calls[i];
                const char *file;
                int64_t size = -1;

                if (call->deleted)
                        continue;
                if (!call->seen_in_catalog)
                        cw_problems_add(&v->problems, "call %" PRId64 ": in the audit log, but its catalog row is gone",
                                        call->id);
                else if (call->clock && !call->clock_seen)
                        cw_problems_add(&v->problems, "call %" PRId64 ": its clock check is in the audit log, but gone "
                                        "from the catalog", call->id);
                if (call->seen_in_catalog && call->message && !call->message_seen)
                        cw_problems_add(&v->problems, "message %" PRId64 ": in the audit log, but its text is gone from "
                                        "the catalog", call->id);
                if (!call->recording || call->recording_seen)
                        continue;
                file = json_text(call->recording, "file");
                cw_problems_add(&v->problems, "call %" PRId64 ": the audit log records its recording %s, but the "
                                "catalog's recording row is gone", call->id, file ? file : "");
                json_int(call->recording, "size", &size);
                if (file && json_text(call->recording, "sha256"))
                        check_file(v, call->id, file, json_text(call->recording, "sha256"), size);
        }
        return 0;
}

/* nftw has no userdata: the walk is short and single-threaded. */
static verifier *walking;

static int check_unlisted_file(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        const char *relpath = path + strlen(walking->data_dir) + 1;
        sqlite3_stmt *stmt;
        bool listed = false;

        if (type != FTW_F || strlen(relpath) < 5 || strcmp(relpath + strlen(relpath) - 5, ".opus") != 0)
                return 0;
        if (cw_db_run(walking->catalog, &stmt, "SELECT 1 FROM recordings WHERE path = ?", "t", relpath) == 0) {
                listed = sqlite3_step(stmt) == SQLITE_ROW;
                sqlite3_finalize(stmt);
        }
        if (!listed)
                cw_problems_add(&walking->problems, "%s: a recording the catalog does not list", relpath);
        return 0;
}

int cw_audit_verify(cw_catalog *c, const char *data_dir, cw_audit_problem_fn cb, void *userdata) {
        verifier v = { .catalog = c, .data_dir = data_dir, .problems = { cb, userdata, 0 }, .expected_seq = 1,
                       .last_hash = CW_AUDIT_GENESIS };
        char *recordings = NULL;
        int r;

        /* Log and rows are compared in one snapshot, so a call ending
         * meanwhile is not taken for an inconsistency. Files are then
         * checked against the catalog as it is: a recording's row is
         * written as its file is made. */
        r = cw_catalog_begin_read(c);
        if (r == 0) {
                r = cw_audit_foreach(c, 0, check_entry, &v);
                if (r == 0)
                        r = check_rows(&v);
                cw_catalog_end_read(c);
        }
        if (r == 0 && asprintf(&recordings, "%s/recordings", data_dir) >= 0) {
                walking = &v;
                if (access(recordings, F_OK) == 0)
                        nftw(recordings, check_unlisted_file, 16, FTW_PHYS);
                walking = NULL;
                free(recordings);
        }
        for (size_t i = 0; i < v.n_calls; i++) {
                json_object_put(v.calls[i].call);
                json_object_put(v.calls[i].recording);
                json_object_put(v.calls[i].message);
                json_object_put(v.calls[i].clock);
        }
        for (size_t i = 0; i < v.n_marks; i++)
                json_object_put(v.marks[i].body);
        free(v.marks);
        free(v.calls);
        return r < 0 ? r : v.problems.count;
}
