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

static int add_tag(sqlite3_stmt *stmt, int col, call_extras *x) {
        if (!grow(&x->tags, x->n_tags, sizeof *x->tags) || !grow(&x->tags_manual, x->n_tags, sizeof *x->tags_manual))
                return -ENOMEM;
        snprintf(x->tags[x->n_tags].name, sizeof x->tags[x->n_tags].name, "%s", cw_db_column_text(stmt, col));
        /* Reasons are limited at input; one longer (written by hand into the
         * catalog) is cut between characters, never inside one. */
        snprintf(x->tags[x->n_tags].reason, sizeof x->tags[x->n_tags].reason, "%.*s",
                 (int) cw_utf8_fit(cw_db_column_text(stmt, col + 1), CW_TAG_REASON_MAX - 1), cw_db_column_text(stmt, col + 1));
        x->tags_manual[x->n_tags++] = sqlite3_column_int(stmt, col + 2);
        return 0;
}

static int add_warning(sqlite3_stmt *stmt, int col, call_extras *x) {
        if (!grow(&x->warnings, x->n_warnings, sizeof *x->warnings) ||
            asprintf(&x->warnings[x->n_warnings], "%s: %s", cw_db_column_text(stmt, col), cw_db_column_text(stmt, col + 1)) < 0)
                return -ENOMEM;
        x->n_warnings++;
        return 0;
}

static int add_note(sqlite3_stmt *stmt, int col, call_extras *x) {
        cw_note note = { .text = dup_column(stmt, col) };

        cw_db_column_timestamp(stmt, col + 1, &note.at);
        if (!note.text || !grow(&x->notes, x->n_notes, sizeof *x->notes)) {
                free((char *) note.text);
                return -ENOMEM;
        }
        x->notes[x->n_notes++] = note;
        return 0;
}

static int add_identity(sqlite3_stmt *stmt, int col, call_extras *x) {
        x->company = dup_column(stmt, col);
        x->employee_id = dup_column(stmt, col + 1);
        x->name = dup_column(stmt, col + 2);
        return 0;
}

static int add_exported(sqlite3_stmt *stmt, int col, call_extras *x) {
        x->exported = true;
        return 0;
}

static int add_mark(sqlite3_stmt *stmt, int col, call_extras *x) {
        cw_mark mark = { .id = sqlite3_column_int64(stmt, col), .offset_ms = sqlite3_column_int64(stmt, col + 1),
                         .text = dup_column(stmt, col + 2), .live = sqlite3_column_int(stmt, col + 3) };

        cw_db_column_timestamp(stmt, col + 4, &mark.at);
        if (!mark.text || !grow(&x->marks, x->n_marks, sizeof *x->marks)) {
                free((char *) mark.text);
                return -ENOMEM;
        }
        x->marks[x->n_marks++] = mark;
        return 0;
}

static int add_message(sqlite3_stmt *stmt, int col, call_extras *x) {
        cw_message_record *m = &x->message;

        for (int i = 0; i < 7; i++)
                if (sqlite3_column_type(stmt, col + i) != SQLITE_NULL && !(x->message_text[i] = dup_column(stmt, col + i)))
                        return -ENOMEM;
        *m = (cw_message_record) {
                .sender = x->message_text[0], .sender_canonical = x->message_text[1],
                .sent_reported = x->message_text[2], .smsc = x->message_text[3], .text = x->message_text[4],
                .data_hex = x->message_text[5] && x->message_text[5][0] ? x->message_text[5] : NULL,
                .sha256 = x->message_text[6],
                .complete = sqlite3_column_int(stmt, col + 9), .deleted_before_read = sqlite3_column_int(stmt, col + 10),
                .receipt_known = sqlite3_column_int(stmt, col + 11),
        };
        m->has_sent = cw_db_column_timestamp(stmt, col + 7, &m->sent_at);
        cw_db_column_timestamp(stmt, col + 12, &m->seen_at);
        x->has_message = true;
        return 0;
}

static int add_clock(sqlite3_stmt *stmt, int col, call_extras *x) {
        if (sqlite3_column_type(stmt, col + 1) != SQLITE_NULL && !(x->clock_network = dup_column(stmt, col + 1)))
                return -ENOMEM;
        x->clock = (cw_clock_record) { .synced = sqlite3_column_int(stmt, col), .network_reported = x->clock_network,
                                       .network_offset_ms = sqlite3_column_int64(stmt, col + 2) };
        cw_db_column_timestamp(stmt, col + 3, &x->clock.at);
        x->has_clock = true;
        return 0;
}

/* What is read of each call besides its calls row. A table with at most
 * one row per call is joined into that row. One with many is read by a
 * statement of its own, prepared once per listing (a catalog of years lists
 * tens of thousands of calls) and run only for the calls whose row says
 * they have some: a statement run for nothing costs more than the probe
 * that skips it. */
typedef enum extra_kind {
        EXTRA_JOINED,
        EXTRA_ROWS,
        EXTRA_PRESENT,                /* only whether there is a row */
} extra_kind;

typedef struct extra {
        extra_kind kind;
        const char *table;
        const char *columns;          /* qualified: the joined tables share names */
        int n_columns;                /* of an EXTRA_JOINED */
        const char *order;
        int (*add)(sqlite3_stmt *stmt, int col, call_extras *x);
} extra;

static const extra extras[] = {
        { EXTRA_ROWS, "tags", "tags.tag, tags.reason, tags.origin = 'manual'", 0, "tags.tag", add_tag },
        { EXTRA_ROWS, "call_warnings", "call_warnings.kind, call_warnings.message", 0, "call_warnings.id",
          add_warning },
        { EXTRA_ROWS, "notes", "notes.text, notes.at_ms, notes.offset_s", 0, "notes.id", add_note },
        { EXTRA_ROWS, "marks", "marks.id, marks.offset_ms, marks.text, marks.live, marks.at_ms, marks.offset_s", 0,
          "marks.offset_ms, marks.id", add_mark },
        { EXTRA_PRESENT, "export_calls", NULL, 0, NULL, add_exported },
        { EXTRA_JOINED, "caller_identities",
          "caller_identities.company, caller_identities.employee_id, caller_identities.name", 3, NULL,
          add_identity },
        { EXTRA_JOINED, "messages",
          "messages.sender, messages.sender_canonical, messages.sent_reported, messages.smsc, messages.text,"
          " lower(hex(messages.data)), messages.sha256, messages.sent_at_ms, messages.sent_offset_s,"
          " messages.complete, messages.deleted_before_read, messages.receipt_known, messages.seen_at_ms,"
          " messages.seen_offset_s", 14, NULL, add_message },
        { EXTRA_JOINED, "clock_checks",
          "coalesce(clock_checks.synced, -1), clock_checks.network_reported, clock_checks.network_offset_ms,"
          " clock_checks.at_ms, clock_checks.offset_s", 5, NULL, add_clock },
};

#define N_EXTRAS (sizeof extras / sizeof extras[0])

/* A listing's statement and, for each extra, where its columns start in
 * that statement's row (a flag, then for EXTRA_JOINED its columns) and
 * its own statement (EXTRA_ROWS). */
typedef struct listing {
        sqlite3_stmt *calls;
        int col[N_EXTRAS];
        sqlite3_stmt *rows[N_EXTRAS];
} listing;

static void listing_free(listing *l) {
        sqlite3_finalize(l->calls);
        for (size_t i = 0; i < N_EXTRAS; i++)
                sqlite3_finalize(l->rows[i]);
}

/* Runs an EXTRA_ROWS statement for call_id and hands each row to add. */
static int each_row(sqlite3_stmt *stmt, int64_t call_id, int (*add)(sqlite3_stmt *, int, call_extras *),
                    call_extras *x) {
        int r = 0, rc;

        sqlite3_reset(stmt);
        rc = sqlite3_bind_int64(stmt, 1, call_id);
        if (rc != SQLITE_OK)
                return cw_db_errno(rc);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
                if ((r = add(stmt, 0, x)) < 0)
                        break;
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = cw_db_errno(rc);
        sqlite3_reset(stmt);
        return r;
}

static int load_extras(listing *l, int64_t call_id, call_extras *x) {
        int r = 0;

        for (size_t i = 0; r == 0 && i < N_EXTRAS; i++) {
                if (!sqlite3_column_int(l->calls, l->col[i]))
                        continue;
                r = extras[i].kind == EXTRA_ROWS ? each_row(l->rows[i], call_id, extras[i].add, x)
                                                 : extras[i].add(l->calls, l->col[i] + 1, x);
        }
        if (r < 0)
                extras_clear(x);
        return r;
}

/* The columns of the calls row the loop below reads, in order. */
#define CALL_COLUMNS                                                                                                  \
        "calls.id, calls.backend, calls.direction, calls.number,"                                                      \
        " calls.started_at_ms, calls.started_offset_s, calls.answered_at_ms, calls.answered_offset_s,"                \
        " calls.ended_at_ms, calls.ended_offset_s, calls.end_reason,"                                                 \
        " recordings.path, recordings.duration_ms, recordings.size, recordings.sha256, recordings.capture_mode,"      \
        " calls.kind, calls.label"
enum { N_CALL_COLUMNS = 18 };

/* The statement for a filter; parameters ?1…?11 as cw_catalog_find_calls()
 * binds them (all bound, those of filters not given unused). Fills in
 * l->col. */
static char *select_calls_sql(const cw_call_filter *f, listing *l) {
        bool newest = f->limit > 0;
        const char *conditions[] = {
                f->id ? "calls.id = ?1" : NULL,
                !f->tagged_only ? NULL : "EXISTS (SELECT 1 FROM tags WHERE tags.call_id = calls.id) AND ?2",
                !f->tag ? NULL : "EXISTS (SELECT 1 FROM tags WHERE tags.call_id = calls.id AND tags.tag = ?3)",
                f->number ? "calls.number = ?4" : NULL,
                f->has_since ? "calls.started_at_ms >= ?6 AND ?5" : NULL,
                f->has_until ? "calls.started_at_ms < ?8 AND ?7" : NULL,
                f->missed_only ? "calls.direction = 'incoming' AND calls.ended_at_ms IS NOT NULL"
                                 " AND calls.answered_at_ms IS NULL AND ?9 AND calls.kind = 'call'" : NULL,
                /* ?11 is bound either way: named, or a constant sqlite drops. */
                f->has_kind ? "calls.kind = ?11" : "?11 IS NOT NULL",
        };
        char *where = NULL, *columns = NULL, *joins = NULL, *sql = NULL;
        size_t where_size, columns_size, joins_size;
        FILE *w = open_memstream(&where, &where_size), *c = open_memstream(&columns, &columns_size),
             *j = open_memstream(&joins, &joins_size);
        int col = N_CALL_COLUMNS;
        bool ok = w && c && j;

        if (ok) {
                fputs("1", w);
                for (size_t i = 0; i < sizeof conditions / sizeof conditions[0]; i++)
                        if (conditions[i])
                                fprintf(w, " AND %s", conditions[i]);
                for (size_t i = 0; i < N_EXTRAS; i++) {
                        const extra *e = &extras[i];

                        l->col[i] = col++;
                        if (e->kind == EXTRA_JOINED) {
                                fprintf(c, ", %s.call_id IS NOT NULL, %s", e->table, e->columns);
                                fprintf(j, " LEFT JOIN %s ON %s.call_id = calls.id", e->table, e->table);
                                col += e->n_columns;
                        } else
                                fprintf(c, ", EXISTS (SELECT 1 FROM %s WHERE %s.call_id = calls.id)", e->table,
                                        e->table);
                }
        }
        if (w)
                ok = fclose(w) == 0 && ok;
        if (c)
                ok = fclose(c) == 0 && ok;
        if (j)
                ok = fclose(j) == 0 && ok;
        /* The rows come in the order of the index on the start, unsorted:
         * sorting whole rows (twice, for the newest N and then oldest first)
         * took half of a long listing. The newest N are chosen by id. */
        if (!ok || asprintf(&sql,
                            "SELECT " CALL_COLUMNS "%s"
                            " FROM calls LEFT JOIN recordings ON recordings.call_id = calls.id%s"
                            " WHERE %s%s%s%s"
                            " ORDER BY calls.started_at_ms, calls.id",
                            columns, joins, where,
                            newest ? " AND calls.id IN (SELECT calls.id FROM calls WHERE " : "", newest ? where : "",
                            newest ? " ORDER BY calls.started_at_ms DESC, calls.id DESC LIMIT ?10)"
                                   : " AND ?10 IS NOT NULL") < 0)
                sql = NULL;
        free(where);
        free(columns);
        free(joins);
        return sql;
}

static int listing_prepare(cw_catalog *c, const cw_call_filter *f, listing *l) {
        char *sql = select_calls_sql(f, l);
        int r;

        if (!sql)
                return -ENOMEM;
        r = cw_db_run(c, &l->calls, sql, "iittiiiiiit", f->id, (int64_t) f->tagged_only, f->tag, f->number,
                      (int64_t) f->has_since, f->since_ms, (int64_t) f->has_until, f->until_ms,
                      (int64_t) f->missed_only, f->limit, cw_record_kind_to_string(f->kind));
        free(sql);
        for (size_t i = 0; r == 0 && i < N_EXTRAS; i++) {
                char *rows_sql;
                int rc;

                if (extras[i].kind != EXTRA_ROWS)
                        continue;
                if (asprintf(&rows_sql, "SELECT %s FROM %s WHERE %s.call_id = ? ORDER BY %s", extras[i].columns,
                             extras[i].table, extras[i].table, extras[i].order) < 0)
                        return -ENOMEM;
                rc = sqlite3_prepare_v2(c->db, rows_sql, -1, &l->rows[i], NULL);
                free(rows_sql);
                if (rc != SQLITE_OK)
                        r = cw_db_errno(rc);
        }
        return r;
}

int cw_catalog_find_calls(cw_catalog *c, const cw_call_filter *f, cw_catalog_call_fn cb, void *userdata) {
        listing l = { 0 };
        sqlite3_stmt *stmt;
        int r, rc = SQLITE_DONE;

        /* Only the filters given go into the statement (fixed text, the
         * values bound), so that sqlite can use the rowid for one call
         * instead of walking every call. */
        r = listing_prepare(c, f, &l);
        if (r < 0) {
                listing_free(&l);
                return r;
        }
        stmt = l.calls;
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
                r = load_extras(&l, call.id, &x);
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
        listing_free(&l);
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
