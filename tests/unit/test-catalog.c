/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/catalog.h"
#include "tap.h"

static char dir[] = "/tmp/test-catalog-XXXXXX";
static char db_path[256];

static void sql(const char *statement) {
        sqlite3 *db;

        if (sqlite3_open(db_path, &db) != SQLITE_OK || sqlite3_exec(db, statement, NULL, NULL, NULL) != SQLITE_OK)
                abort();
        sqlite3_close(db);
}

#define AT(utc_s) (&(cw_timestamp) { .utc_ms = (utc_s) * 1000LL, .utc_offset_s = 8 * 3600 })

static cw_timestamp at(int64_t utc_s) {
        return (cw_timestamp) { .utc_ms = utc_s * 1000, .utc_offset_s = 8 * 3600 };
}

typedef struct seen {
        int calls;
        cw_call_record first;
        char number[64], file[256], tag_reason[CW_TAG_REASON_MAX], outcome[32], end_reason[32];
        size_t n_tags;
} seen;

static int collect(const cw_call_record *call, void *userdata) {
        seen *s = userdata;

        if (s->calls++ == 0) {
                s->first = *call;
                snprintf(s->number, sizeof s->number, "%s", call->number ? call->number : "");
                snprintf(s->file, sizeof s->file, "%s", call->file ? call->file : "");
                snprintf(s->outcome, sizeof s->outcome, "%s", call->outcome ? call->outcome : "");
                snprintf(s->end_reason, sizeof s->end_reason, "%s", call->end_reason ? call->end_reason : "");
                s->n_tags = call->n_tags;
                snprintf(s->tag_reason, sizeof s->tag_reason, "%s", call->n_tags ? call->tags[0].reason : "");
        }
        return 0;
}

static void answered_call_round_trip(void) {
        cw_catalog *c = NULL;
        int64_t id = 0;
        cw_timestamp appeared = at(1795534800), answered = at(1795534805), ended = at(1795534865);
        cw_tag night = { "night", "started at 23:40 local time" };
        seen s = { 0 };
        int version = 0;

        ok(cw_catalog_open(db_path, AT(1795534700), &c) == 0, "new catalog opens");
        ok(cw_catalog_schema_version(c, &version) == 0 && version == CW_CATALOG_SCHEMA_VERSION,
           "schema is at the current version");
        ok(cw_catalog_add_call(c, &(cw_call_start) {
                .backend = "modemmanager", .modem_call_id = "/org/freedesktop/ModemManager1/Call/1",
                .direction = CW_DIRECTION_INCOMING, .number = NULL, .state = CW_CALL_RINGING,
                .appeared = appeared }, &id) == 0 && id > 0, "call added");
        ok(cw_catalog_set_number(c, id, "+8613800138000") == 0, "number arrives later");
        ok(cw_catalog_set_policy_tag(c, id, &night) == 0, "night tag");
        ok(cw_catalog_add_state(c, id, CW_CALL_ACTIVE, CW_END_UNKNOWN, &answered) == 0, "answered");
        ok(cw_catalog_add_state(c, id, CW_CALL_HELD, CW_END_UNKNOWN, AT(1795534830)) == 0, "held");
        ok(cw_catalog_add_state(c, id, CW_CALL_ACTIVE, CW_END_UNKNOWN, AT(1795534840)) == 0, "resumed");
        ok(cw_catalog_add_state(c, id, CW_CALL_ENDED, CW_END_HANGUP, &ended) == 0, "ended");
        ok(cw_catalog_set_recording(c, id, &(cw_recording_info) {
                .relpath = "recordings/2026/11/x.opus", .capture_mode = CW_CAPTURE_MIXED, .duration_ms = 59980,
                .size = 12345, .sha256 = "ab" }) == 0, "recording stored");
        cw_catalog_free(c);

        ok(cw_catalog_open_readonly(db_path, &c) == 0, "reopens read-only");
        ok(cw_catalog_foreach_call(c, false, collect, &s) == 0 && s.calls == 1, "one call listed");
        ok(strcmp(s.number, "+8613800138000") == 0, "number kept");
        ok(s.first.answered && s.first.answered_at.utc_ms == answered.utc_ms,
           "answered_at is the first ACTIVE, not the resume");
        ok(s.first.duration_ms == 60000, "duration answered to ended: %lld", (long long) s.first.duration_ms);
        ok(strcmp(s.outcome, "answered") == 0, "outcome answered");
        ok(strcmp(s.file, "recordings/2026/11/x.opus") == 0 && s.first.file_duration_ms == 59980 &&
           s.first.capture_mode == CW_CAPTURE_MIXED, "recording listed with its capture mode");
        ok(s.n_tags == 1 && strcmp(s.tag_reason, "started at 23:40 local time") == 0, "tag with reason");
        cw_catalog_free(c);
}

static void missed_call_has_no_file(void) {
        cw_catalog *c = NULL;
        int64_t id;
        seen s = { 0 };

        unlink(db_path);
        cw_catalog_open(db_path, AT(1795534700), &c);
        cw_catalog_add_call(c, &(cw_call_start) {
                .backend = "ofono", .direction = CW_DIRECTION_INCOMING, .number = "withheld",
                .state = CW_CALL_RINGING, .appeared = at(1795534800) }, &id);
        cw_catalog_add_state(c, id, CW_CALL_ENDED, CW_END_HANGUP, AT(1795534830));
        ok(cw_catalog_foreach_call(c, false, collect, &s) == 0 && s.calls == 1 &&
           strcmp(s.outcome, "missed") == 0 && s.file[0] == '\0' && s.first.duration_ms == 0,
           "missed call: row, outcome missed, no file");
        s = (seen) { 0 };
        ok(cw_catalog_foreach_call(c, true, collect, &s) == 0 && s.calls == 0, "untagged call not in --tagged");
        cw_catalog_free(c);
}

typedef struct outcomes {
        char list[128];
} outcomes;

static int collect_outcome(const cw_call_record *call, void *userdata) {
        outcomes *o = userdata;

        strncat(o->list, call->outcome ? call->outcome : "in-progress", sizeof o->list - strlen(o->list) - 2);
        strcat(o->list, ",");
        return 0;
}

static void outcomes_of_unanswered_calls(void) {
        static const struct {
                cw_direction direction;
                cw_end_reason reason;
        } calls[] = {
                { CW_DIRECTION_INCOMING, CW_END_REFUSED_OR_BUSY },   /* the user declined */
                { CW_DIRECTION_OUTGOING, CW_END_REFUSED_OR_BUSY },   /* the other side was busy */
                { CW_DIRECTION_OUTGOING, CW_END_HANGUP },
                { CW_DIRECTION_INCOMING, CW_END_UNKNOWN },           /* the caller gave up */
        };
        cw_catalog *c = NULL;
        outcomes o = { "" };
        int64_t id;

        unlink(db_path);
        cw_catalog_open(db_path, AT(1795534700), &c);
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
                cw_catalog_add_call(c, &(cw_call_start) {
                        .backend = "modemmanager", .direction = calls[i].direction, .number = "1",
                        .state = CW_CALL_RINGING, .appeared = at(1795534800 + (int64_t) i) }, &id);
                cw_catalog_add_state(c, id, CW_CALL_ENDED, calls[i].reason, AT(1795534830 + (int64_t) i));
        }
        cw_catalog_add_call(c, &(cw_call_start) {
                .backend = "modemmanager", .direction = CW_DIRECTION_INCOMING, .number = "1",
                .state = CW_CALL_RINGING, .appeared = at(1795534900) }, &id);
        ok(cw_catalog_foreach_call(c, false, collect_outcome, &o) == 0 &&
           strcmp(o.list, "rejected,unanswered,unanswered,missed,in-progress,") == 0, "outcomes: %s", o.list);
        cw_catalog_free(c);
}

static void policy_never_overwrites_manual_tag(void) {
        cw_catalog *c = NULL;
        int64_t id;
        seen s = { 0 };

        unlink(db_path);
        cw_catalog_open(db_path, AT(1795534700), &c);
        cw_catalog_add_call(c, &(cw_call_start) {
                .backend = "ofono", .direction = CW_DIRECTION_INCOMING, .number = "1",
                .state = CW_CALL_RINGING, .appeared = at(1795534800) }, &id);
        cw_catalog_free(c);
        sql("INSERT INTO tags (call_id, tag, reason, origin) VALUES (1, 'night', 'I say so', 'manual')");
        cw_catalog_open(db_path, AT(1795534700), &c);
        ok(cw_catalog_set_policy_tag(c, id, &(cw_tag) { "night", "policy reason" }) == 0, "upsert ran");
        cw_catalog_foreach_call(c, true, collect, &s);
        ok(strcmp(s.tag_reason, "I say so") == 0, "manual reason kept: %s", s.tag_reason);
        cw_catalog_free(c);
}

static void orphans_are_ended(void) {
        cw_catalog *c = NULL;
        int64_t id;
        seen s = { 0 };

        unlink(db_path);
        cw_catalog_open(db_path, AT(1795534700), &c);
        cw_catalog_add_call(c, &(cw_call_start) {
                .backend = "ofono", .direction = CW_DIRECTION_OUTGOING, .number = "1",
                .state = CW_CALL_DIALING, .appeared = at(1795534800) }, &id);
        cw_catalog_add_state(c, id, CW_CALL_ACTIVE, CW_END_UNKNOWN, AT(1795534810));
        cw_catalog_free(c);

        cw_catalog_open(db_path, AT(1795534700), &c);
        ok(cw_catalog_end_orphans(c, AT(1795534900), id - 1, NULL, NULL) == 0, "orphans of an earlier run ended");
        cw_catalog_foreach_call(c, false, collect, &s);
        ok(!s.first.ended, "a call past the last id of the earlier run is this run's, not an orphan");
        memset(&s, 0, sizeof s);
        ok(cw_catalog_end_orphans(c, AT(1795534900), id, NULL, NULL) == 0, "orphans ended");
        cw_catalog_foreach_call(c, false, collect, &s);
        ok(s.first.ended && strcmp(s.end_reason, "daemon-stopped") == 0,
           "reason daemon-stopped");
        cw_catalog_free(c);
}

static void migrations_and_refusals(void) {
        cw_catalog *c = NULL;
        FILE *f;
        int version = -1;

        /* A version-0 file (sqlite, no schema yet) is migrated in place. */
        unlink(db_path);
        sql("CREATE TABLE unrelated (x)");
        ok(cw_catalog_open(db_path, AT(1795534700), &c) == 0 && cw_catalog_schema_version(c, &version) == 0 &&
           version == CW_CATALOG_SCHEMA_VERSION, "version 0 migrated to the current version");
        cw_catalog_free(c);
        c = NULL;

        ok(cw_catalog_open(db_path, AT(1795534700), &c) == 0, "reopening a current catalog migrates nothing");
        cw_catalog_free(c);
        c = NULL;

        sql("PRAGMA user_version = 99");
        ok(cw_catalog_open(db_path, AT(1795534700), &c) == -EPROTONOSUPPORT && !c, "a newer schema is refused, not touched");
        ok(cw_catalog_open_readonly(db_path, &c) == -EPROTONOSUPPORT, "also read-only");

        unlink(db_path);
        f = fopen(db_path, "we");
        fputs("this is not a database, but it is long enough to have a header......\n", f);
        fclose(f);
        ok(cw_catalog_open(db_path, AT(1795534700), &c) == -EBADMSG, "a corrupt file is a clear error");
        ok(cw_catalog_open_readonly("/nonexistent/catalog.db", &c) < 0, "missing catalog read-only fails");
}

/* Schema 1 as it shipped: a catalog written by callwitness 0.1.0. */
static const char schema_1_fixture[] =
        "CREATE TABLE calls (id INTEGER PRIMARY KEY, backend TEXT NOT NULL, modem_call_id TEXT,"
        "  direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'unknown')), number TEXT,"
        "  started_at_ms INTEGER NOT NULL, started_offset_s INTEGER NOT NULL,"
        "  answered_at_ms INTEGER, answered_offset_s INTEGER, ended_at_ms INTEGER, ended_offset_s INTEGER,"
        "  end_reason TEXT);"
        "CREATE TABLE call_states (id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL REFERENCES calls(id),"
        "  state TEXT NOT NULL, reason TEXT, at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL);"
        "CREATE INDEX call_states_by_call ON call_states(call_id);"
        "CREATE TABLE recordings (call_id INTEGER PRIMARY KEY REFERENCES calls(id), path TEXT NOT NULL UNIQUE,"
        "  duration_ms INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0, sha256 TEXT);"
        "CREATE TABLE tags (call_id INTEGER NOT NULL REFERENCES calls(id), tag TEXT NOT NULL, reason TEXT NOT NULL,"
        "  origin TEXT NOT NULL CHECK (origin IN ('policy', 'manual')), PRIMARY KEY (call_id, tag));"
        "INSERT INTO calls VALUES (1, 'modemmanager', '/Call/1', 'incoming', '+86138', 1795534800000, 28800,"
        "  1795534805000, 28800, 1795534865000, 28800, 'hangup');"
        "INSERT INTO recordings VALUES (1, 'recordings/2026/11/a.opus', 59990, 1234, 'ab');"
        "PRAGMA user_version = 1;";

/* Audit entries whose time is at_ms. */
static int audit_entries_at(int64_t at_ms) {
        sqlite3_stmt *stmt;
        sqlite3 *db;
        int n = -1;

        if (sqlite3_open(db_path, &db) == SQLITE_OK &&
            sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_log WHERE at_ms = ?", -1, &stmt, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(stmt, 1, at_ms);
                if (sqlite3_step(stmt) == SQLITE_ROW)
                        n = sqlite3_column_int(stmt, 0);
                sqlite3_finalize(stmt);
        }
        sqlite3_close(db);
        return n;
}

static void migration_from_schema_1_keeps_calls(void) {
        cw_catalog *c = NULL;
        int version = 0;
        seen s = { 0 };

        unlink(db_path);
        sql(schema_1_fixture);
        ok(cw_catalog_open(db_path, AT(1795534700), &c) == 0 && cw_catalog_schema_version(c, &version) == 0 &&
           version == CW_CATALOG_SCHEMA_VERSION, "schema 1 migrated to %d", CW_CATALOG_SCHEMA_VERSION);
        ok(cw_catalog_foreach_call(c, false, collect, &s) == 0 && s.calls == 1 &&
           strcmp(s.file, "recordings/2026/11/a.opus") == 0 && s.first.file_duration_ms == 59990,
           "the call and its recording survive");
        ok(s.first.capture_mode == CW_CAPTURE_SEPARATE, "old recordings are separate (stereo)");
        ok(audit_entries_at(1795534700000) == 2, "the call and its recording enter the audit log at the time given");
        ok(cw_catalog_add_warning(c, 1, "silent-remote", "the other party stayed silent", AT(1795534820)) == 0,
           "warnings can be added after migration");
        cw_catalog_free(c);
}

static int64_t add_call_at(cw_catalog *c, int64_t utc_s) {
        int64_t id = -1;

        if (cw_catalog_add_call(c, &(cw_call_start) {
                    .backend = "modemmanager", .modem_call_id = "/Call/9", .direction = CW_DIRECTION_INCOMING,
                    .number = "+86139", .state = CW_CALL_RINGING, .appeared = at(utc_s) }, &id) < 0)
                return -1;
        return id;
}

/* Run after migration_from_schema_1_keeps_calls: the audit log names
 * call 1, which is then deleted by hand. */
static void call_ids_are_never_reused(void) {
        cw_catalog *c = NULL;
        int64_t first, second, third;

        sql("DELETE FROM call_warnings WHERE call_id = 1; DELETE FROM recordings WHERE call_id = 1;"
            "DELETE FROM calls WHERE id = 1;");
        cw_catalog_open(db_path, AT(1795534700), &c);
        first = add_call_at(c, 1795534900);
        ok(first == 2, "after the migration, the id of a deleted call the audit log names is not given (%lld)",
           (long long) first);
        second = add_call_at(c, 1795534910);
        cw_catalog_free(c);
        sql("DELETE FROM calls WHERE id = 3");
        cw_catalog_open(db_path, AT(1795534700), &c);
        third = add_call_at(c, 1795534920);
        ok(second == 3 && third == 4, "the newest call's id is not given again after its deletion (%lld, %lld)",
           (long long) second, (long long) third);
        cw_catalog_free(c);
}

typedef struct warnings_seen {
        size_t n;
        char first[256];
} warnings_seen;

static int collect_warnings(const cw_call_record *call, void *userdata) {
        warnings_seen *w = userdata;

        w->n = call->n_warnings;
        snprintf(w->first, sizeof w->first, "%s", call->n_warnings ? call->warnings[0] : "");
        return 0;
}

static void warnings_are_listed(void) {
        cw_catalog *c = NULL;
        warnings_seen w = { 0 };

        cw_catalog_open(db_path, AT(1795534700), &c);
        ok(cw_catalog_foreach_call(c, false, collect_warnings, &w) == 0 && w.n == 1 &&
           strcmp(w.first, "silent-remote: the other party stayed silent") == 0, "warning listed: %s", w.first);
        cw_catalog_free(c);
}

typedef struct marks_seen {
        int calls;
        cw_record_kind kind;
        char label[64], texts[256], outcome[32];
        int64_t offsets[4];
        bool live[4];
        size_t n_marks;
} marks_seen;

static int collect_marks(const cw_call_record *call, void *userdata) {
        marks_seen *m = userdata;

        m->calls++;
        m->kind = call->kind;
        snprintf(m->label, sizeof m->label, "%s", call->label ? call->label : "");
        snprintf(m->outcome, sizeof m->outcome, "%s", call->outcome ? call->outcome : "");
        m->n_marks = call->n_marks;
        m->texts[0] = '\0';
        for (size_t i = 0; i < call->n_marks && i < 4; i++) {
                m->offsets[i] = call->marks[i].offset_ms;
                m->live[i] = call->marks[i].live;
                strncat(m->texts, call->marks[i].text, sizeof m->texts - strlen(m->texts) - 2);
                strcat(m->texts, "|");
        }
        return 0;
}

static void encounters_and_marks(void) {
        cw_catalog *c = NULL;
        int64_t encounter = 0, call = 0;
        marks_seen m = { 0 };

        unlink(db_path);
        cw_catalog_open(db_path, AT(1795534700), &c);
        ok(cw_catalog_add_call(c, &(cw_call_start) { .kind = CW_KIND_ENCOUNTER, .label = "door visit",
                                                      .backend = "callwitness", .modem_call_id = "/encounter/1",
                                                      .state = CW_CALL_ACTIVE, .appeared = at(1795534800) },
                               &encounter) == 0, "an encounter is a row");
        call = add_call_at(c, 1795534810);
        ok(cw_catalog_add_mark(c, encounter, 1000, "live one", true, AT(1795534801), NULL) == 0,
           "a live mark on a recording in progress");
        ok(cw_catalog_add_mark(c, encounter, 500, "", true, AT(1795534801), NULL) == 0, "a mark without text");
        ok(cw_catalog_add_mark(c, encounter, 100, "two\nlines", true, AT(1795534801), NULL) == -EINVAL,
           "a mark of two lines is refused");
        ok(cw_catalog_add_mark(c, 4711, 100, "x", true, AT(1795534801), NULL) == -ENOENT, "an unknown id is refused");
        ok(cw_catalog_add_mark(c, encounter, 100, "x", false, AT(1795534801), NULL) == -ENODATA,
           "after the fact, a recording must be finished");
        cw_catalog_set_recording(c, encounter, &(cw_recording_info) { .relpath = "recordings/e.opus", .sha256 = "ab",
                                                                      .duration_ms = 60000, .at = at(1795534860) });
        ok(cw_catalog_add_mark(c, encounter, 60001, "x", false, AT(1795534900), NULL) == -ERANGE,
           "a mark past the end of the file is refused");
        ok(cw_catalog_add_mark(c, encounter, 59000, "afterwards", false, AT(1795534900), NULL) == 0,
           "a mark within the file, after the fact");
        cw_catalog_add_state(c, encounter, CW_CALL_ENDED, CW_END_STOPPED, AT(1795534860));
        ok(cw_catalog_find_calls(c, &(cw_call_filter) { .has_kind = true, .kind = CW_KIND_ENCOUNTER }, collect_marks,
                                 &m) == 0 && m.calls == 1 && m.kind == CW_KIND_ENCOUNTER &&
           strcmp(m.label, "door visit") == 0 && strcmp(m.outcome, "recorded") == 0, "listed as an encounter (%s)",
           m.outcome);
        ok(m.n_marks == 3 && strcmp(m.texts, "|live one|afterwards|") == 0 && m.offsets[0] == 500 &&
           m.live[1] && !m.live[2], "marks listed by offset (%s)", m.texts);
        m = (marks_seen) { 0 };
        ok(cw_catalog_find_calls(c, &(cw_call_filter) { .has_kind = true, .kind = CW_KIND_CALL }, collect_marks,
                                 &m) == 0 && m.calls == 1 && m.kind == CW_KIND_CALL && m.n_marks == 0,
           "--calls lists the call alone (%lld)", (long long) call);
        cw_catalog_free(c);
}

int main(void) {
        if (!mkdtemp(dir))
                return 1;
        snprintf(db_path, sizeof db_path, "%s/catalog.db", dir);

        answered_call_round_trip();
        missed_call_has_no_file();
        outcomes_of_unanswered_calls();
        policy_never_overwrites_manual_tag();
        orphans_are_ended();
        migrations_and_refusals();
        migration_from_schema_1_keeps_calls();
        warnings_are_listed();
        call_ids_are_never_reused();
        encounters_and_marks();

        unlink(db_path);
        char wal[300];
        snprintf(wal, sizeof wal, "%s-wal", db_path);
        unlink(wal);
        snprintf(wal, sizeof wal, "%s-shm", db_path);
        unlink(wal);
        rmdir(dir);
        return tap_done();
}
