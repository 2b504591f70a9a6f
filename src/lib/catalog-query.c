/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading calls back out of the catalog, with what review added to them. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/catalog.h"
#include "callwitness/text.h"
#include "catalog-db.h"

/* Everything loaded for one call besides its row; freed after the callback. */
typedef struct call_extras {
        cw_tag *tags;
        bool *tags_manual;
        size_t n_tags;
        char **warnings;
        size_t n_warnings;
        cw_note *notes;
        size_t n_notes;
        char *company, *employee_id, *name;
        bool exported;
        cw_mark *marks;
        size_t n_marks;
        bool has_message;
        cw_message_record message;
        char *message_text[7];        /* what message's strings point into */
        bool has_clock;
        cw_clock_record clock;
        char *clock_network;
} call_extras;

static void extras_clear(call_extras *x) {
        for (size_t i = 0; i < x->n_warnings; i++)
                free(x->warnings[i]);
        for (size_t i = 0; i < x->n_notes; i++)
                free((char *) x->notes[i].text);
        for (size_t i = 0; i < x->n_marks; i++)
                free((char *) x->marks[i].text);
        free(x->marks);
        for (size_t i = 0; i < 7; i++)
                free(x->message_text[i]);
        free(x->clock_network);
        free(x->tags);
        free(x->tags_manual);
        free(x->warnings);
        free(x->notes);
        free(x->company);
        free(x->employee_id);
        free(x->name);
        *x = (call_extras) { 0 };
}

static char *dup_column(sqlite3_stmt *stmt, int column) {
        const char *text = cw_db_column_text(stmt, column);

        return text ? strdup(text) : NULL;
}

/* Grows *array by one element of size bytes; NULL when out of memory. */
static void *grow(void *array_ptr, size_t n, size_t size) {
        void **array = array_ptr;
        void *grown = realloc(*array, (n + 1) * size);

        if (grown)
                *array = grown;
        return grown;
}

/* What is read of each call besides its row: prepared once per listing,
 * not once per call (a catalog of years lists tens of thousands). */
enum { EXTRA_TAGS, EXTRA_WARNINGS, EXTRA_NOTES, EXTRA_IDENTITY, EXTRA_EXPORTED, EXTRA_MARKS, EXTRA_MESSAGE, EXTRA_CLOCK, N_EXTRAS };

static const char *const extra_sql[N_EXTRAS] = {
        [EXTRA_TAGS] = "SELECT tag, reason, origin = 'manual' FROM tags WHERE call_id = ? ORDER BY tag",
        [EXTRA_WARNINGS] = "SELECT kind, message FROM call_warnings WHERE call_id = ? ORDER BY id",
        [EXTRA_NOTES] = "SELECT text, at_ms, offset_s FROM notes WHERE call_id = ? ORDER BY id",
        [EXTRA_IDENTITY] = "SELECT company, employee_id, name FROM caller_identities WHERE call_id = ?",
        [EXTRA_EXPORTED] = "SELECT 1 FROM export_calls WHERE call_id = ? LIMIT 1",
        [EXTRA_MARKS] = "SELECT id, offset_ms, text, live, at_ms, offset_s FROM marks WHERE call_id = ?"
                        " ORDER BY offset_ms, id",
        [EXTRA_MESSAGE] = "SELECT sender, sender_canonical, sent_reported, smsc, text, lower(hex(data)), sha256,"
                          " sent_at_ms, sent_offset_s, complete, deleted_before_read, receipt_known, seen_at_ms,"
                          " seen_offset_s FROM messages WHERE call_id = ?",
        [EXTRA_CLOCK] = "SELECT coalesce(synced, -1), network_reported, network_offset_ms, at_ms, offset_s FROM clock_checks"
                        " WHERE call_id = ?",
};

typedef struct extras_statements {
        sqlite3_stmt *stmt[N_EXTRAS];
} extras_statements;

static void extras_statements_free(extras_statements *e) {
        for (int i = 0; i < N_EXTRAS; i++)
                sqlite3_finalize(e->stmt[i]);
}

static int extras_statements_prepare(cw_catalog *c, extras_statements *e) {
        for (int i = 0; i < N_EXTRAS; i++) {
                int rc = sqlite3_prepare_v2(c->db, extra_sql[i], -1, &e->stmt[i], NULL);

                if (rc != SQLITE_OK) {
                        extras_statements_free(e);
                        return cw_db_errno(rc);
                }
        }
        return 0;
}

/* Runs one of the statements for call_id and hands each row to add. */
static int each_row(sqlite3_stmt *stmt, int64_t call_id, int (*add)(sqlite3_stmt *, call_extras *), call_extras *x) {
        int r = 0, rc;

        sqlite3_reset(stmt);
        rc = sqlite3_bind_int64(stmt, 1, call_id);
        if (rc != SQLITE_OK)
                return cw_db_errno(rc);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                if ((r = add(stmt, x)) < 0)
                        break;
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = cw_db_errno(rc);
        sqlite3_reset(stmt);
        return r;
}

static int add_tag(sqlite3_stmt *stmt, call_extras *x) {
        if (!grow(&x->tags, x->n_tags, sizeof *x->tags) || !grow(&x->tags_manual, x->n_tags, sizeof *x->tags_manual))
                return -ENOMEM;
        snprintf(x->tags[x->n_tags].name, sizeof x->tags[x->n_tags].name, "%s", cw_db_column_text(stmt, 0));
        /* Reasons are limited at input; one longer (written by hand into the
         * catalog) is cut between characters, never inside one. */
        snprintf(x->tags[x->n_tags].reason, sizeof x->tags[x->n_tags].reason, "%.*s",
                 (int) cw_utf8_fit(cw_db_column_text(stmt, 1), CW_TAG_REASON_MAX - 1), cw_db_column_text(stmt, 1));
        x->tags_manual[x->n_tags++] = sqlite3_column_int(stmt, 2);
        return 0;
}

static int add_warning(sqlite3_stmt *stmt, call_extras *x) {
        if (!grow(&x->warnings, x->n_warnings, sizeof *x->warnings) ||
            asprintf(&x->warnings[x->n_warnings], "%s: %s", cw_db_column_text(stmt, 0), cw_db_column_text(stmt, 1)) < 0)
                return -ENOMEM;
        x->n_warnings++;
        return 0;
}

static int add_note(sqlite3_stmt *stmt, call_extras *x) {
        cw_note note = { .text = dup_column(stmt, 0) };

        cw_db_column_timestamp(stmt, 1, &note.at);
        if (!note.text || !grow(&x->notes, x->n_notes, sizeof *x->notes)) {
                free((char *) note.text);
                return -ENOMEM;
        }
        x->notes[x->n_notes++] = note;
        return 0;
}

static int add_identity(sqlite3_stmt *stmt, call_extras *x) {
        x->company = dup_column(stmt, 0);
        x->employee_id = dup_column(stmt, 1);
        x->name = dup_column(stmt, 2);
        return 0;
}

static int add_exported(sqlite3_stmt *stmt, call_extras *x) {
        x->exported = true;
        return 0;
}

static int add_mark(sqlite3_stmt *stmt, call_extras *x) {
        cw_mark mark = { .id = sqlite3_column_int64(stmt, 0), .offset_ms = sqlite3_column_int64(stmt, 1),
                         .text = dup_column(stmt, 2), .live = sqlite3_column_int(stmt, 3) };

        cw_db_column_timestamp(stmt, 4, &mark.at);
        if (!mark.text || !grow(&x->marks, x->n_marks, sizeof *x->marks)) {
                free((char *) mark.text);
                return -ENOMEM;
        }
        x->marks[x->n_marks++] = mark;
        return 0;
}

static int add_message(sqlite3_stmt *stmt, call_extras *x) {
        cw_message_record *m = &x->message;

        for (int i = 0; i < 7; i++)
                if (sqlite3_column_type(stmt, i) != SQLITE_NULL && !(x->message_text[i] = dup_column(stmt, i)))
                        return -ENOMEM;
        *m = (cw_message_record) {
                .sender = x->message_text[0], .sender_canonical = x->message_text[1],
                .sent_reported = x->message_text[2], .smsc = x->message_text[3], .text = x->message_text[4],
                .data_hex = x->message_text[5] && x->message_text[5][0] ? x->message_text[5] : NULL,
                .sha256 = x->message_text[6],
                .complete = sqlite3_column_int(stmt, 9), .deleted_before_read = sqlite3_column_int(stmt, 10),
                .receipt_known = sqlite3_column_int(stmt, 11),
        };
        m->has_sent = cw_db_column_timestamp(stmt, 7, &m->sent_at);
        cw_db_column_timestamp(stmt, 12, &m->seen_at);
        x->has_message = true;
        return 0;
}

static int add_clock(sqlite3_stmt *stmt, call_extras *x) {
        if (sqlite3_column_type(stmt, 1) != SQLITE_NULL && !(x->clock_network = dup_column(stmt, 1)))
                return -ENOMEM;
        x->clock = (cw_clock_record) { .synced = sqlite3_column_int(stmt, 0), .network_reported = x->clock_network,
                                       .network_offset_ms = sqlite3_column_int64(stmt, 2) };
        cw_db_column_timestamp(stmt, 3, &x->clock.at);
        x->has_clock = true;
        return 0;
}

static int load_extras(extras_statements *e, int64_t call_id, call_extras *x) {
        static int (*const add[N_EXTRAS])(sqlite3_stmt *, call_extras *) = {
                [EXTRA_TAGS] = add_tag, [EXTRA_WARNINGS] = add_warning, [EXTRA_NOTES] = add_note,
                [EXTRA_IDENTITY] = add_identity, [EXTRA_EXPORTED] = add_exported, [EXTRA_MARKS] = add_mark,
                [EXTRA_MESSAGE] = add_message, [EXTRA_CLOCK] = add_clock,
        };
        int r = 0;

        for (int i = 0; r == 0 && i < N_EXTRAS; i++)
                r = each_row(e->stmt[i], call_id, add[i], x);
        if (r < 0)
                extras_clear(x);
        return r;
}

/* The statement for a filter; parameters ?1…?10 as cw_catalog_find_calls()
 * binds them (all bound, those of filters not given unused). */
static char *select_calls_sql(const cw_call_filter *f) {
        /* For the newest N, walking calls newest first stops after N; for
         * all of them, starting from the tags skips the untagged. */
        bool newest = f->limit > 0;
        const char *conditions[] = {
                f->id ? "calls.id = ?1" : NULL,
                !f->tagged_only ? NULL
                : newest ? "EXISTS (SELECT 1 FROM tags WHERE tags.call_id = calls.id) AND ?2"
                         : "calls.id IN (SELECT call_id FROM tags) AND ?2",
                !f->tag ? NULL
                : newest ? "EXISTS (SELECT 1 FROM tags WHERE tags.call_id = calls.id AND tags.tag = ?3)"
                         : "calls.id IN (SELECT call_id FROM tags WHERE tag = ?3)",
                f->number ? "calls.number = ?4" : NULL,
                f->has_since ? "started_at_ms >= ?6 AND ?5" : NULL,
                f->has_until ? "started_at_ms < ?8 AND ?7" : NULL,
                f->missed_only ? "direction = 'incoming' AND ended_at_ms IS NOT NULL AND answered_at_ms IS NULL"
                                 " AND ?9 AND kind = 'call'" : NULL,
                /* ?11 is bound either way: named, or a constant sqlite drops. */
                f->has_kind ? "kind = ?11" : "?11 IS NOT NULL",
        };
        char where[1024] = "1";
        char *sql;

        for (size_t i = 0; i < sizeof conditions / sizeof conditions[0]; i++)
                if (conditions[i]) {
                        strcat(where, " AND ");
                        strcat(where, conditions[i]);
                }
        if (asprintf(&sql,
                "WITH chosen AS ("
                "  SELECT calls.id, backend, direction, number,"
                "         started_at_ms, started_offset_s, answered_at_ms, answered_offset_s,"
                "         ended_at_ms, ended_offset_s, end_reason,"
                "         recordings.path, recordings.duration_ms, recordings.size, recordings.sha256,"
                "         recordings.capture_mode, kind, label"
                "  FROM calls LEFT JOIN recordings ON recordings.call_id = calls.id"
                "  WHERE %s"
                "  ORDER BY started_at_ms DESC, calls.id DESC"
                "  LIMIT CASE WHEN ?10 > 0 THEN ?10 ELSE -1 END"
                ") SELECT * FROM chosen ORDER BY started_at_ms, id", where) < 0)
                return NULL;
        return sql;
}

int cw_catalog_find_calls(cw_catalog *c, const cw_call_filter *f, cw_catalog_call_fn cb, void *userdata) {
        extras_statements extras = { { NULL } };
        sqlite3_stmt *stmt;
        char *sql;
        int r, rc;

        r = extras_statements_prepare(c, &extras);
        if (r < 0)
                return r;
        /* Only the filters given go into the statement (fixed text, the
         * values bound), so that sqlite can use the rowid for one call and
         * the tags for tagged calls instead of walking every call. The
         * newest N are chosen first, then listed oldest first. */
        sql = select_calls_sql(f);
        if (!sql) {
                extras_statements_free(&extras);
                return -ENOMEM;
        }
        r = cw_db_run(c, &stmt, sql,
                "iittiiiiiit", f->id, (int64_t) f->tagged_only, f->tag, f->number, (int64_t) f->has_since,
                f->since_ms, (int64_t) f->has_until, f->until_ms, (int64_t) f->missed_only, f->limit,
                cw_record_kind_to_string(f->kind));
        free(sql);
        if (r < 0) {
                extras_statements_free(&extras);
                return r;
        }

        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                cw_call_record call = {
                        .id = sqlite3_column_int64(stmt, 0),
                        .backend = cw_db_column_text(stmt, 1),
                        .direction = cw_direction_from_string(cw_db_column_text(stmt, 2)),
                        .number = cw_db_column_text(stmt, 3),
                        .end_reason = cw_db_column_text(stmt, 10),
                        .file = cw_db_column_text(stmt, 11),
                        .file_duration_ms = sqlite3_column_int64(stmt, 12),
                        .file_size = (uint64_t) sqlite3_column_int64(stmt, 13),
                        .sha256 = cw_db_column_text(stmt, 14),
                        .kind = cw_record_kind_from_string(cw_db_column_text(stmt, 16)),
                        .label = cw_db_column_text(stmt, 17),
                };
                call_extras x = { 0 };

                if (call.file)
                        cw_capture_mode_from_string(cw_db_column_text(stmt, 15), &call.capture_mode);
                cw_db_column_timestamp(stmt, 4, &call.started);
                call.answered = cw_db_column_timestamp(stmt, 6, &call.answered_at);
                call.ended = cw_db_column_timestamp(stmt, 8, &call.ended_at);
                if (call.ended) {
                        call.outcome = call.kind == CW_KIND_ENCOUNTER ? "recorded"
                                     : call.kind == CW_KIND_MESSAGE   ? "received"
                                                                      : cw_call_outcome(call.direction, call.answered,
                                                                                        cw_end_reason_from_string(call.end_reason));
                        if (call.answered)
                                call.duration_ms = call.ended_at.utc_ms - call.answered_at.utc_ms;
                }
                r = load_extras(&extras, call.id, &x);
                if (r < 0)
                        break;
                call.tags = x.tags;
                call.tags_manual = x.tags_manual;
                call.n_tags = x.n_tags;
                call.warnings = (const char *const *) x.warnings;
                call.n_warnings = x.n_warnings;
                call.notes = x.notes;
                call.n_notes = x.n_notes;
                call.caller_company = x.company;
                call.caller_employee_id = x.employee_id;
                call.caller_name = x.name;
                call.exported = x.exported;
                call.marks = x.marks;
                call.n_marks = x.n_marks;
                call.message = x.has_message ? &x.message : NULL;
                call.clock = x.has_clock ? &x.clock : NULL;
                if (call.message && call.message->deleted_before_read)
                        call.outcome = "deleted-unread";
                r = cb(&call, userdata);
                extras_clear(&x);
                if (r != 0)
                        break;
        }
        if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
        extras_statements_free(&extras);
        return r;
}

int cw_catalog_foreach_call(cw_catalog *c, bool tagged_only, cw_catalog_call_fn cb, void *userdata) {
        return cw_catalog_find_calls(c, &(cw_call_filter) { .tagged_only = tagged_only }, cb, userdata);
}

int cw_catalog_foreach_state(cw_catalog *c, int64_t call_id, cw_catalog_state_fn cb, void *userdata) {
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt, "SELECT state, reason, at_ms, offset_s FROM call_states WHERE call_id = ? ORDER BY id",
                      "i", call_id);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                cw_state_record state = { .state = cw_db_column_text(stmt, 0), .reason = cw_db_column_text(stmt, 1) };

                cw_db_column_timestamp(stmt, 2, &state.at);
                r = cb(&state, userdata);
                if (r != 0)
                        break;
        }
        if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
        return r;
}
