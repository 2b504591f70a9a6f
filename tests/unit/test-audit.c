/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit log: entries chain, verification finds each kind of tampering
 * (a file, a catalog row, a log entry, altered or removed) and names it. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/audit.h"
#include "callwitness/clock.h"
#include "callwitness/catalog.h"
#include "tap.h"

static char dir[] = "/tmp/test-audit-XXXXXX";
static char db_path[256], file_path[400];

static int sql(const char *statement) {
        sqlite3 *db;
        int rc;

        if (sqlite3_open(db_path, &db) != SQLITE_OK)
                abort();
        rc = sqlite3_exec(db, statement, NULL, NULL, NULL);
        sqlite3_close(db);
        return rc;
}

static cw_timestamp at(int64_t utc_s) {
        return (cw_timestamp) { .utc_ms = utc_s * 1000, .utc_offset_s = 8 * 3600 };
}

typedef struct problems {
        int n;
        char text[2048];
} problems;

static void collect(const char *problem, void *userdata) {
        problems *p = userdata;

        p->n++;
        strncat(p->text, problem, sizeof p->text - strlen(p->text) - 2);
        strcat(p->text, " | ");
}

static problems verify(void) {
        problems p = { 0 };
        cw_catalog *c;

        if (cw_catalog_open(db_path, &(cw_timestamp) { 1795534700000, 28800 }, &c) < 0)
                abort();
        if (cw_audit_verify(c, dir, collect, &p) != p.n)
                p.n = -1;
        cw_catalog_free(c);
        return p;
}

/* A catalog with one finished call and its file, as the daemon leaves it. */
static void fresh_catalog(void) {
        cw_catalog *c;
        int64_t id;
        char hex[CW_SHA256_HEX_LEN + 1];
        uint64_t size;
        int fd;
        cw_call_start start = { .backend = "modemmanager", .direction = CW_DIRECTION_INCOMING,
                                .number = "+8613800138000", .state = CW_CALL_RINGING, .appeared = at(1795534800) };

        unlink(db_path);
        tap_write_file(file_path, "OggS pretend audio");
        fd = open(file_path, O_RDONLY);
        if (fd < 0 || cw_sha256_fd(fd, hex, &size) < 0)
                abort();
        close(fd);
        if (cw_catalog_open(db_path, &(cw_timestamp) { 1795534700000, 28800 }, &c) < 0 || cw_catalog_add_call(c, &start, &id) < 0 ||
            cw_catalog_add_state(c, id, CW_CALL_ACTIVE, CW_END_UNKNOWN, &(cw_timestamp) { 1795534805000, 28800 }) < 0 ||
            cw_catalog_set_recording(c, id, &(cw_recording_info) { .relpath = "recordings/call.opus" }) < 0 ||
            cw_catalog_add_state(c, id, CW_CALL_ENDED, CW_END_HANGUP, &(cw_timestamp) { 1795534865000, 28800 }) < 0 ||
            cw_catalog_set_recording(c, id, &(cw_recording_info) { .relpath = "recordings/call.opus", .size = size,
                                                                    .sha256 = hex, .duration_ms = 60000 }) < 0 ||
            cw_audit_append(c, "note", id, "{\"text\":\"said he was from X Collections\"}",
                            &(cw_timestamp) { 1795535000000, 28800 }) < 0)
                abort();
        cw_catalog_free(c);
}

static int count_entry(const cw_audit_entry *e, void *userdata) {
        int *n = userdata;

        (*n)++;
        return 0;
}

static void chain_is_built_and_checks(void) {
        cw_catalog *c;
        problems p;
        int n = 0;

        fresh_catalog();
        if (cw_catalog_open(db_path, &(cw_timestamp) { 1795534700000, 28800 }, &c) < 0)
                abort();
        ok(cw_audit_foreach(c, 0, count_entry, &n) == 0 && n == 3, "call, recording and note entries (%d)", n);
        cw_catalog_free(c);
        p = verify();
        ok(p.n == 0, "an untouched catalog verifies (%s)", p.text);

        ok(sql("UPDATE audit_log SET body = '{}' WHERE seq = 2") != SQLITE_OK,
           "the database refuses to change an entry");
        ok(sql("DELETE FROM audit_log WHERE seq = 2") != SQLITE_OK, "the database refuses to delete an entry");
}

static void entry_hash_is_reproducible(void) {
        cw_audit_entry e = { .seq = 1, .at = { 1000, 3600 }, .kind = "note", .call_id = 7, .body = "{}",
                             .prev = CW_AUDIT_GENESIS };
        char hex[CW_SHA256_HEX_LEN + 1];

        /* What anyone gets with coreutils, as the README tells:
         * printf 'callwitness-audit-v1\n1\n1000\n3600\nnote\n7\n%s\n{}' "$(printf '0%.0s' $(seq 64))" | sha256sum */
        ok(cw_audit_entry_hash(&e, hex) == 0 &&
           strcmp(hex, "aaa7239e17e218db77dd28a9dfac432c777123e6a58986442eaf8031d56b5eb3") == 0,
           "an entry's hash is the documented SHA-256 (%s)", hex);
        e.call_id = 8;
        {
                char other[CW_SHA256_HEX_LEN + 1];

                ok(cw_audit_entry_hash(&e, other) == 0 && strcmp(hex, other) != 0, "every field is in the hash");
        }
}

static void tampering_is_found(void) {
        problems p;

        fresh_catalog();
        tap_write_file(file_path, "OggS other audio!!");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "call 1: recordings/call.opus was altered"), "an altered file: %s", p.text);

        fresh_catalog();
        unlink(file_path);
        p = verify();
        ok(p.n == 1 && strstr(p.text, "the recording is missing"), "a removed file: %s", p.text);

        fresh_catalog();
        sql("UPDATE calls SET number = '+8613900000000'");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "call 1: number in the catalog ('+8613900000000') differs"),
           "an altered call row: %s", p.text);

        fresh_catalog();
        sql("UPDATE calls SET started_at_ms = started_at_ms + 3600000");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "started_at_ms"), "a moved start time: %s", p.text);

        fresh_catalog();
        sql("PRAGMA foreign_keys = OFF; DELETE FROM calls");
        p = verify();
        ok(p.n >= 1 && strstr(p.text, "call 1: in the audit log, but its catalog row is gone"),
           "a removed call row: %s", p.text);

        fresh_catalog();
        sql("UPDATE recordings SET sha256 = 'aa' || substr(sha256, 3)");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "recording row"), "an altered recording row: %s", p.text);

        fresh_catalog();
        sql("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET body = replace(body, 'X Coll', 'Y Coll')");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "entry 3 (note) was altered"), "an altered entry: %s", p.text);

        fresh_catalog();
        sql("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2");
        p = verify();
        ok(strstr(p.text, "entry 3 follows entry 1: entries are missing") &&
           strstr(p.text, "entry 3 does not link to the entry before it"), "a removed entry: %s", p.text);

        fresh_catalog();
        sql("INSERT INTO calls (backend, direction, number, started_at_ms, started_offset_s, ended_at_ms,"
            " ended_offset_s, end_reason) VALUES ('ofono', 'incoming', '+1', 0, 0, 1000, 0, 'hangup')");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "call 2: ended, but the audit log has no entry"), "an added row: %s", p.text);

        fresh_catalog();
        {
                char extra[300];

                snprintf(extra, sizeof extra, "%s/recordings/planted.opus", dir);
                tap_write_file(extra, "OggS");
                p = verify();
                unlink(extra);
        }
        ok(p.n == 1 && strstr(p.text, "recordings/planted.opus: a recording the catalog does not list"),
           "a file nobody recorded: %s", p.text);
}

static void catalog_before_the_log_is_adopted(void) {
        cw_catalog *c;
        problems p;
        int n = 0;

        /* A schema-2 catalog with a finished call, as an earlier version
         * left it: opening it creates the log with entries for what it had. */
        fresh_catalog();
        sql("PRAGMA foreign_keys = OFF; DROP TABLE audit_log; DROP TABLE notes; DROP TABLE caller_identities;"
            " DROP TABLE export_calls; DROP TABLE exports; DROP TABLE collector_numbers; DROP TABLE collectors;"
            " DROP TABLE dismissed_tags; DROP TABLE number_rules; DROP TABLE contact_reports; DROP TABLE marks; DROP TABLE messages; DROP TABLE clock_checks;"
            /* calls as they were: without kind and label */
            " CREATE TABLE calls_v2 AS SELECT id, backend, modem_call_id, direction, number, started_at_ms,"
            " started_offset_s, answered_at_ms, answered_offset_s, ended_at_ms, ended_offset_s, end_reason FROM calls;"
            " DROP TABLE calls; ALTER TABLE calls_v2 RENAME TO calls; PRAGMA user_version = 2");
        if (cw_catalog_open(db_path, &(cw_timestamp) { 1795534700000, 28800 }, &c) < 0)
                abort();
        ok(cw_audit_foreach(c, 1, count_entry, &n) == 0 && n == 2, "the call and its recording are adopted (%d)", n);
        cw_catalog_free(c);
        p = verify();
        ok(p.n == 0, "the adopted catalog verifies (%s)", p.text);
}

/* An encounter's kind and label are in its "call" entry: turning it into a
 * call, or changing what the user called it, is found. Marks are audited. */
static void encounters_and_marks_are_audited(void) {
        cw_catalog *c;
        int64_t id, mark = 0;
        problems p;
        int n = 0;

        fresh_catalog();
        if (cw_catalog_open(db_path, &(cw_timestamp) { 1795534700000, 28800 }, &c) < 0 ||
            cw_catalog_add_call(c, &(cw_call_start) { .kind = CW_KIND_ENCOUNTER, .label = "door visit",
                                                       .backend = "callwitness", .modem_call_id = "/encounter/1",
                                                       .state = CW_CALL_ACTIVE, .appeared = at(1795535100) }, &id) < 0 ||
            cw_catalog_add_state(c, id, CW_CALL_ENDED, CW_END_STOPPED, &(cw_timestamp) { 1795535160000, 28800 }) < 0)
                abort();
        ok(cw_catalog_add_mark(c, id, 2500, "threatened to come back", true, &(cw_timestamp) { 1795535102500, 28800 },
                               &mark) == 0 && mark > 0, "a live mark is added");
        ok(cw_audit_foreach(c, id, count_entry, &n) == 0 && n == 2, "the encounter and its mark are in the log (%d)", n);
        cw_catalog_free(c);
        p = verify();
        ok(p.n == 0, "the encounter verifies (%s)", p.text);
        sql("UPDATE calls SET label = 'friendly chat' WHERE kind = 'encounter'");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "label"), "a changed label is found (%s)", p.text);
        sql("UPDATE calls SET label = 'door visit', kind = 'call' WHERE label IS NOT NULL");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "kind"), "an encounter turned into a call is found (%s)", p.text);
        sql("UPDATE calls SET kind = 'encounter' WHERE label IS NOT NULL");
        sql("UPDATE marks SET text = 'nothing happened'");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "mark"), "a mark's changed text is found (%s)", p.text);
        sql("UPDATE marks SET text = 'threatened to come back', offset_ms = 1");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "mark"), "a mark moved in the file is found (%s)", p.text);
        sql("DELETE FROM marks");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "gone from the catalog"), "a mark removed is found (%s)", p.text);
        sql("INSERT INTO marks (call_id, offset_ms, text, live, at_ms, offset_s) VALUES (1, 100, 'planted', 1, 0, 0)");
        p = verify();
        ok(p.n == 2 && strstr(p.text, "no entry"), "a mark planted is found (%s)", p.text);
}

static void clock_checks_are_audited(void) {
        cw_catalog *c;
        problems p;

        fresh_catalog();
        if (cw_catalog_open(db_path, &(cw_timestamp) { 1795534700000, 28800 }, &c) < 0)
                abort();
        ok(cw_catalog_set_clock_check(c, 1, &(cw_clock_check) { .synced = 1, .network_reported = "2026-11-24T23:41:05+08",
                                                                 .network_offset_ms = 65000,
                                                                 .at = { 1795534800000, 28800 } }) == 0,
           "a clock check is kept");
        ok(cw_catalog_set_clock_check(c, 4711, &(cw_clock_check) { .synced = 0, .at = { 1795534800000, 28800 } }) ==
           -ENOENT, "not for a call that is not there");
        ok(cw_catalog_set_clock_check(c, 1, &(cw_clock_check) { .synced = 0, .at = { 1795599999000, 28800 } }) == 0,
           "a later check of the same record is taken");
        cw_catalog_free(c);
        if (cw_catalog_open(db_path, &(cw_timestamp) { 1795534700000, 28800 }, &c) < 0)
                abort();
        {
                char words[512];

                cw_clock_describe(1, "2026-11-24T23:41:05+08", INT64_MIN, words, sizeof words);
                ok(strstr(words, "offset is not known") != NULL, "an offset not known is said so (%s)", words);
        }
        cw_catalog_free(c);
        p = verify();
        ok(p.n == 0, "it verifies (%s)", p.text);
        {
                int n = 0;

                if (cw_catalog_open(db_path, &(cw_timestamp) { 1795534700000, 28800 }, &c) < 0)
                        abort();
                cw_audit_foreach(c, 1, count_entry, &n);
                cw_catalog_free(c);
                ok(n == 4, "but the first check stands: one clock entry (%d entries)", n);
        }
        sql("UPDATE clock_checks SET network_offset_ms = 0");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "network_offset_ms"), "an offset made to look right is found (%s)", p.text);
        sql("DELETE FROM clock_checks");
        p = verify();
        ok(p.n == 1 && strstr(p.text, "clock check"), "a check removed is found (%s)", p.text);
}

int main(void) {
        char recordings[320];

        if (!mkdtemp(dir))
                return 1;
        snprintf(db_path, sizeof db_path, "%s/catalog.db", dir);
        snprintf(recordings, sizeof recordings, "%s/recordings", dir);
        snprintf(file_path, sizeof file_path, "%s/call.opus", recordings);
        mkdir(recordings, 0700);

        chain_is_built_and_checks();
        entry_hash_is_reproducible();
        tampering_is_found();
        catalog_before_the_log_is_adopted();
        encounters_and_marks_are_audited();
        clock_checks_are_audited();

        unlink(file_path);
        rmdir(recordings);
        for (const char *suffix = ""; suffix; suffix = strcmp(suffix, "") == 0 ? "-wal" : strcmp(suffix, "-wal") == 0
                                                                                ? "-shm" : NULL) {
                char path[300];

                snprintf(path, sizeof path, "%s%s", db_path, suffix);
                unlink(path);
        }
        rmdir(dir);
        return tap_done();
}
