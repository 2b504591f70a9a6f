/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/catalog.h"
#include "callwitness/log.h"
#include "callwitness/text.h"
#include "audit-db.h"
#include "catalog-db.h"

/* Each entry moves the schema from version i to i + 1, inside one
 * transaction with the user_version bump, so a crash mid-migration leaves
 * the old schema intact. Never edit an entry that has shipped; append. */
static const char *const migrations[CW_CATALOG_SCHEMA_VERSION] = {
        /* 0 → 1 */
        "CREATE TABLE calls ("
        "  id INTEGER PRIMARY KEY,"
        "  backend TEXT NOT NULL,"
        "  modem_call_id TEXT,"
        "  direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'unknown')),"
        "  number TEXT,"
        "  started_at_ms INTEGER NOT NULL, started_offset_s INTEGER NOT NULL,"
        "  answered_at_ms INTEGER, answered_offset_s INTEGER,"
        "  ended_at_ms INTEGER, ended_offset_s INTEGER,"
        "  end_reason TEXT"
        ");"
        "CREATE TABLE call_states ("
        "  id INTEGER PRIMARY KEY,"
        "  call_id INTEGER NOT NULL REFERENCES calls(id),"
        "  state TEXT NOT NULL,"
        "  reason TEXT,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        "CREATE INDEX call_states_by_call ON call_states(call_id);"
        "CREATE TABLE recordings ("
        "  call_id INTEGER PRIMARY KEY REFERENCES calls(id),"
        "  path TEXT NOT NULL UNIQUE,"
        "  duration_ms INTEGER NOT NULL DEFAULT 0,"
        "  size INTEGER NOT NULL DEFAULT 0,"
        "  sha256 TEXT"
        ");"
        "CREATE TABLE tags ("
        "  call_id INTEGER NOT NULL REFERENCES calls(id),"
        "  tag TEXT NOT NULL,"
        "  reason TEXT NOT NULL,"
        "  origin TEXT NOT NULL CHECK (origin IN ('policy', 'manual')),"
        "  PRIMARY KEY (call_id, tag)"
        ");",
        /* 1 → 2: what a recording holds, and warnings raised during a call
         * (a silent side, a failed capture). */
        "ALTER TABLE recordings ADD COLUMN capture_mode TEXT NOT NULL DEFAULT 'separate'"
        "  CHECK (capture_mode IN ('separate', 'mixed', 'local-only'));"
        "CREATE TABLE call_warnings ("
        "  id INTEGER PRIMARY KEY,"
        "  call_id INTEGER NOT NULL REFERENCES calls(id),"
        "  kind TEXT NOT NULL,"
        "  message TEXT NOT NULL,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        "CREATE INDEX call_warnings_by_call ON call_warnings(call_id);",
        /* 2 → 3: the hash-chained audit log (append-only: triggers refuse
         * changes, the chain shows anything done around them), and what a
         * person adds in review: notes, the caller's identity, exports. */
        "CREATE TABLE audit_log ("
        "  seq INTEGER PRIMARY KEY,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL,"
        "  kind TEXT NOT NULL,"
        "  call_id INTEGER,"
        "  body TEXT NOT NULL,"
        "  prev TEXT NOT NULL,"
        "  hash TEXT NOT NULL UNIQUE"
        ");"
        "CREATE INDEX audit_log_by_call ON audit_log(call_id);"
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
        "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
        "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
        "CREATE TABLE notes ("
        "  id INTEGER PRIMARY KEY,"
        "  call_id INTEGER NOT NULL REFERENCES calls(id),"
        "  text TEXT NOT NULL,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        "CREATE INDEX notes_by_call ON notes(call_id);"
        "CREATE TABLE caller_identities ("
        "  call_id INTEGER PRIMARY KEY REFERENCES calls(id),"
        "  company TEXT, employee_id TEXT, name TEXT,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        "CREATE TABLE exports ("
        "  id INTEGER PRIMARY KEY,"
        "  path TEXT NOT NULL,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        "CREATE TABLE export_calls ("
        "  export_id INTEGER NOT NULL REFERENCES exports(id),"
        "  call_id INTEGER NOT NULL,"
        "  PRIMARY KEY (export_id, call_id)"
        ");",
        /* 3 → 4: a call id is never given again, even after a delete: the
         * audit log, notes in bundles and exports already name it. The
         * table is rebuilt with AUTOINCREMENT (SQLite's way to change a
         * table, https://sqlite.org/lang_altertable.html, with foreign keys
         * off: see migrate()), its counter starting past every id the
         * audit log ever named. */
        "CREATE TABLE calls_v4 ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  backend TEXT NOT NULL,"
        "  modem_call_id TEXT,"
        "  direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'unknown')),"
        "  number TEXT,"
        "  started_at_ms INTEGER NOT NULL, started_offset_s INTEGER NOT NULL,"
        "  answered_at_ms INTEGER, answered_offset_s INTEGER,"
        "  ended_at_ms INTEGER, ended_offset_s INTEGER,"
        "  end_reason TEXT"
        ");"
        "INSERT INTO calls_v4 SELECT id, backend, modem_call_id, direction, number, started_at_ms,"
        "  started_offset_s, answered_at_ms, answered_offset_s, ended_at_ms, ended_offset_s, end_reason FROM calls;"
        "DROP TABLE calls;"
        "ALTER TABLE calls_v4 RENAME TO calls;"
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('calls', max("
        "  coalesce((SELECT max(id) FROM calls), 0), coalesce((SELECT max(call_id) FROM audit_log), 0),"
        "  coalesce((SELECT max(call_id) FROM export_calls), 0)));"
        /* Listing reads calls in time order and asks, per call, whether it
         * was exported: years of calls must not make either a full scan. */
        "CREATE INDEX calls_by_start ON calls(started_at_ms);"
        "CREATE INDEX export_calls_by_call ON export_calls(call_id);",
        /* 4 → 5: collectors, the names a user gives to the numbers one
         * company calls from: calls are counted per collector. A number is
         * kept in its canonical form (number.h), and as the user gave it. */
        "CREATE TABLE collectors ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  name TEXT NOT NULL UNIQUE,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        "CREATE TABLE collector_numbers ("
        "  number TEXT PRIMARY KEY,"
        "  collector_id INTEGER NOT NULL REFERENCES collectors(id),"
        "  as_given TEXT NOT NULL,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        /* Tags a person took off a call: judging it again must not put
         * them back. */
        "CREATE TABLE dismissed_tags ("
        "  call_id INTEGER NOT NULL REFERENCES calls(id),"
        "  tag TEXT NOT NULL,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL,"
        "  PRIMARY KEY (call_id, tag)"
        ");"
        /* What the user decided for a number: never record it (family, a
         * doctor), or a label to show with it. */
        "CREATE TABLE number_rules ("
        "  number TEXT PRIMARY KEY,"
        "  record TEXT CHECK (record IN ('never', 'always')),"
        "  label TEXT,"
        "  as_given TEXT NOT NULL,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        /* A collector's call to someone else (family, a friend, the
         * employer), as that person reported it: evidence not recorded
         * here. */
        "CREATE TABLE contact_reports ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  contact TEXT NOT NULL,"
        "  number TEXT,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL,"
        "  note TEXT,"
        "  reported_at_ms INTEGER NOT NULL, reported_offset_s INTEGER NOT NULL"
        ");",
        /* 5 → 6: encounters (a visit at the door recorded from the
         * microphone) and text messages are rows of calls, told apart by
         * kind, so that one timeline, tags, notes and exports hold them
         * all; marks are moments a person pointed at in a recording. */
        "ALTER TABLE calls ADD COLUMN kind TEXT NOT NULL DEFAULT 'call'"
        "  CHECK (kind IN ('call', 'encounter', 'message'));"
        "ALTER TABLE calls ADD COLUMN label TEXT;"
        "CREATE TABLE marks ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  call_id INTEGER NOT NULL REFERENCES calls(id),"
        "  offset_ms INTEGER NOT NULL CHECK (offset_ms >= 0),"
        "  text TEXT NOT NULL,"
        "  live INTEGER NOT NULL,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");"
        "CREATE INDEX marks_by_call ON marks(call_id);",
        /* 6 → 7: what the network delivered of a text message, with the
         * SHA-256 of its canonical text (message.h), by which a message
         * seen again is found. */
        "CREATE TABLE messages ("
        "  call_id INTEGER PRIMARY KEY REFERENCES calls(id),"
        "  sender TEXT, sender_canonical TEXT,"
        "  sent_reported TEXT, sent_at_ms INTEGER, sent_offset_s INTEGER,"
        "  smsc TEXT, text TEXT, data BLOB,"
        "  complete INTEGER NOT NULL, deleted_before_read INTEGER NOT NULL, receipt_known INTEGER NOT NULL,"
        "  seen_at_ms INTEGER NOT NULL, seen_offset_s INTEGER NOT NULL,"
        "  sha256 TEXT NOT NULL"
        ");"
        "CREATE INDEX messages_by_hash ON messages(sha256);",
        /* 7 → 8: how far each record's times can be trusted (clock.h).
         * A catalog made by a build of schema 7 that matched every message
         * by its hash has a unique index; messages delivered twice are two. */
        "DROP INDEX IF EXISTS messages_once;"
        "CREATE INDEX IF NOT EXISTS messages_by_hash ON messages(sha256);"
        "CREATE TABLE clock_checks ("
        "  call_id INTEGER PRIMARY KEY REFERENCES calls(id),"
        "  synced INTEGER,"
        "  network_reported TEXT, network_offset_ms INTEGER,"
        "  at_ms INTEGER NOT NULL, offset_s INTEGER NOT NULL"
        ");",
};

/* Calls and recordings that were finished before the audit log existed
 * enter it once, when the log is created: from then on a row without an
 * entry is a row someone added. */
static int adopt_into_audit_log(cw_catalog *c, const cw_timestamp *now) {
        sqlite3_stmt *stmt;
        int r = 0, rc;

        r = cw_db_run(c, &stmt,
                      "SELECT id, 'call' FROM calls WHERE ended_at_ms IS NOT NULL"
                      " UNION ALL SELECT call_id, 'recording' FROM recordings WHERE sha256 IS NOT NULL"
                      " ORDER BY 1, 2", "");
        if (r < 0)
                return r;
        /* Inserting into audit_log while reading calls and recordings is
         * safe: the SELECT does not read the table being written. */
        while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(stmt, 0);

                r = strcmp(cw_db_column_text(stmt, 1), "call") == 0 ? cw_audit_adopt_call(c, id, now)
                                                                     : cw_audit_log_recording(c, id, now);
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
        return r;
}

int cw_catalog_schema_version(cw_catalog *c, int *ret) {
        sqlite3_stmt *stmt;
        int r = cw_db_run(c, &stmt, "PRAGMA user_version", "");

        if (r < 0)
                return r;
        if (sqlite3_step(stmt) != SQLITE_ROW) {
                sqlite3_finalize(stmt);
                return -EIO;
        }
        *ret = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        return 0;
}

static int migrate(cw_catalog *c, const cw_timestamp *now) {
        int version, r;

        r = cw_catalog_schema_version(c, &version);
        if (r < 0)
                return r;
        if (version > CW_CATALOG_SCHEMA_VERSION) {
                cw_log_debug("catalog: schema %d is newer than this build's %d",
                             version, CW_CATALOG_SCHEMA_VERSION);
                return -EPROTONOSUPPORT;
        }
        for (; version < CW_CATALOG_SCHEMA_VERSION; version++) {
                char bump[64];

                snprintf(bump, sizeof bump, "PRAGMA user_version = %d", version + 1);
                r = cw_db_exec(c, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                if ((r = cw_db_exec(c, migrations[version])) < 0 ||
                    (version + 1 == 3 && (r = adopt_into_audit_log(c, now)) < 0) || (r = cw_db_exec(c, bump)) < 0 ||
                    (r = cw_db_exec(c, "COMMIT")) < 0) {
                        cw_db_exec(c, "ROLLBACK");
                        return r;
                }
                cw_log_debug("catalog: migrated to schema %d", version + 1);
        }
        return 0;
}

static int open_db(const char *path, int flags, cw_catalog **ret) {
        cw_catalog *c = calloc(1, sizeof *c);
        int rc, r;

        if (!c)
                return -ENOMEM;
        /* NOMUTEX: a connection is never shared between threads (the app's
         * export thread opens its own), so its locking is pure cost. */
        rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                r = cw_db_errno(rc);
                goto fail;
        }
        sqlite3_extended_result_codes(c->db, 1);
        /* The CLI reads while the daemon writes: wait for a writer's short
         * transaction rather than fail. */
        sqlite3_busy_timeout(c->db, 5000);
        *ret = c;
        return 0;
fail:
        cw_catalog_free(c);
        return r;
}

int cw_catalog_open(const char *path, const cw_timestamp *now, cw_catalog **ret) {
        cw_catalog *c;
        int r;

        r = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &c);
        if (r < 0)
                return r;
        /* WAL: readers never block the writer. synchronous=FULL: a
         * recording's row is evidence, worth an fsync per commit, and
         * commits happen a few times per call. */
        /* Foreign keys go on after the migrations: one rebuilds the table
         * others refer to, which SQLite allows only with them off. */
        if ((r = cw_db_exec(c, "PRAGMA journal_mode = WAL")) < 0 ||
            (r = cw_db_exec(c, "PRAGMA synchronous = FULL")) < 0 ||
            /* A daemon that runs for months needs few pages: its writes
             * touch the newest rows. (sqlite's default is 2 MB.) */
            (r = cw_db_exec(c, "PRAGMA cache_size = -256")) < 0 ||
            (r = migrate(c, now)) < 0 ||
            (r = cw_db_exec(c, "PRAGMA foreign_keys = ON")) < 0) {
                cw_catalog_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int cw_catalog_open_readonly(const char *path, cw_catalog **ret) {
        cw_catalog *c;
        int version, r;

        r = open_db(path, SQLITE_OPEN_READONLY, &c);
        if (r < 0)
                return r;
        r = cw_catalog_schema_version(c, &version);
        if (r == 0 && version != CW_CATALOG_SCHEMA_VERSION)
                r = version > CW_CATALOG_SCHEMA_VERSION ? -EPROTONOSUPPORT : -EBADMSG;
        if (r < 0) {
                cw_catalog_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

cw_catalog *cw_catalog_free(cw_catalog *c) {
        if (!c)
                return NULL;
        sqlite3_close(c->db);
        free(c);
        return NULL;
}

void cw_catalog_set_busy_timeout(cw_catalog *c, int ms) {
        sqlite3_busy_timeout(c->db, ms);
}

const char *cw_catalog_last_error(cw_catalog *c) {
        return c && c->db ? sqlite3_errmsg(c->db) : "out of memory";
}

/* A state change without its own transaction. */
static int insert_state(cw_catalog *c, int64_t call_id, cw_call_state state, cw_end_reason reason,
                        const cw_timestamp *at) {
        int r;

        r = cw_db_run(c, NULL,
                "INSERT INTO call_states (call_id, state, reason, at_ms, offset_s) VALUES (?, ?, ?, ?, ?)",
                "ittii", call_id, cw_call_state_to_string(state),
                state == CW_CALL_ENDED ? cw_end_reason_to_string(reason) : NULL,
                at->utc_ms, (int64_t) at->utc_offset_s);
        if (r == 0 && state == CW_CALL_ACTIVE)
                r = cw_db_run(c, NULL,
                        "UPDATE calls SET answered_at_ms = ?, answered_offset_s = ?"
                        " WHERE id = ? AND answered_at_ms IS NULL",
                        "iii", at->utc_ms, (int64_t) at->utc_offset_s, call_id);
        if (r == 0 && state == CW_CALL_ENDED)
                r = cw_db_run(c, NULL,
                        "UPDATE calls SET ended_at_ms = ?, ended_offset_s = ?, end_reason = ?"
                        " WHERE id = ? AND ended_at_ms IS NULL",
                        "iiti", at->utc_ms, (int64_t) at->utc_offset_s,
                        cw_end_reason_to_string(reason), call_id);
        if (r == 0 && state == CW_CALL_ENDED)
                r = cw_audit_log_call(c, call_id, at);
        return r;
}

int cw_catalog_add_call_in_transaction(cw_catalog *c, const cw_call_start *start, cw_end_reason reason,
                                       int64_t *id_ret) {
        int r = cw_db_run(c, NULL,
                "INSERT INTO calls (kind, label, backend, modem_call_id, direction, number,"
                "                   started_at_ms, started_offset_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                "ttttttii", cw_record_kind_to_string(start->kind), start->label, start->backend,
                start->modem_call_id, cw_direction_to_string(start->direction), start->number,
                start->appeared.utc_ms, (int64_t) start->appeared.utc_offset_s);

        if (r == 0) {
                *id_ret = sqlite3_last_insert_rowid(c->db);
                r = insert_state(c, *id_ret, start->state, reason, &start->appeared);
        }
        return r;
}

int cw_catalog_add_call(cw_catalog *c, const cw_call_start *start, int64_t *id_ret) {
        int64_t id = 0;
        int r;

        /* One transaction: a caller that retries after "busy" must not
         * find half a call behind it. */
        r = cw_db_exec(c, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = cw_db_commit_or_rollback(c, cw_catalog_add_call_in_transaction(c, start, CW_END_UNKNOWN, &id));
        if (r == 0)
                *id_ret = id;
        return r;
}

int cw_catalog_add_mark(cw_catalog *c, int64_t call_id, int64_t offset_ms, const char *text, bool live,
                        const cw_timestamp *at, int64_t *id_ret) {
        const char *problem;
        json_object *body;
        sqlite3_stmt *stmt;
        int64_t id = 0;
        int r, rc;

        if (offset_ms < 0 || !text || (text[0] && cw_text_check(text, CW_TEXT_LINE, CW_MARK_TEXT_MAX, &problem) < 0))
                return -EINVAL;
        r = cw_db_exec(c, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = cw_db_run(c, &stmt,
                      "SELECT recordings.sha256 IS NOT NULL, recordings.duration_ms FROM calls"
                      " LEFT JOIN recordings ON recordings.call_id = calls.id WHERE calls.id = ?", "i", call_id);
        if (r == 0) {
                rc = sqlite3_step(stmt);
                if (rc != SQLITE_ROW)
                        r = rc == SQLITE_DONE ? -ENOENT : cw_db_errno(rc);
                else if (!live && !sqlite3_column_int(stmt, 0))
                        r = -ENODATA;
                else if (!live && offset_ms > sqlite3_column_int64(stmt, 1))
                        r = -ERANGE;
                sqlite3_finalize(stmt);
        }
        if (r == 0)
                r = cw_db_run(c, NULL, "INSERT INTO marks (call_id, offset_ms, text, live, at_ms, offset_s)"
                                       " VALUES (?, ?, ?, ?, ?, ?)",
                              "iitiii", call_id, offset_ms, text, (int64_t) live, at->utc_ms, (int64_t) at->utc_offset_s);
        if (r == 0) {
                id = sqlite3_last_insert_rowid(c->db);
                body = json_object_new_object();
                json_object_object_add(body, "mark", json_object_new_int64(id));
                json_object_object_add(body, "offset_ms", json_object_new_int64(offset_ms));
                json_object_object_add(body, "text", json_object_new_string(text));
                json_object_object_add(body, "live", json_object_new_boolean(live));
                r = body ? cw_audit_append_in_transaction(c, "mark", call_id,
                                                          json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                                                          at)
                         : -ENOMEM;
                json_object_put(body);
        }
        r = cw_db_commit_or_rollback(c, r);
        if (r == 0 && id_ret)
                *id_ret = id;
        return r;
}

int cw_catalog_set_number(cw_catalog *c, int64_t call_id, const char *number) {
        return cw_db_run(c, NULL, "UPDATE calls SET number = ? WHERE id = ?", "ti", number, call_id);
}

int cw_catalog_add_state(cw_catalog *c, int64_t call_id, cw_call_state state,
                         cw_end_reason reason, const cw_timestamp *at) {
        int r;

        r = cw_db_exec(c, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        return cw_db_commit_or_rollback(c, insert_state(c, call_id, state, reason, at));
}

int cw_catalog_set_policy_tag(cw_catalog *c, int64_t call_id, const cw_tag *tag) {
        /* The WHERE on the upsert keeps a person's manual tag of the same
         * name: the policy never overwrites what a human decided. */
        return cw_db_run(c, NULL,
                   "INSERT INTO tags (call_id, tag, reason, origin) VALUES (?, ?, ?, 'policy')"
                   " ON CONFLICT (call_id, tag) DO UPDATE SET reason = excluded.reason"
                   " WHERE origin = 'policy'",
                   "itt", call_id, tag->name, tag->reason);
}

/* Runs the change to a recording row and, once the file is finished (it has
 * a hash), its audit entry, in one transaction. */
static int commit_recording(cw_catalog *c, int64_t call_id, int r, const cw_timestamp *at) {
        bool finished = false;
        sqlite3_stmt *stmt;

        if (r == 0 && (r = cw_db_run(c, &stmt, "SELECT sha256 IS NOT NULL FROM recordings WHERE call_id = ?", "i",
                                     call_id)) == 0) {
                finished = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0);
                sqlite3_finalize(stmt);
        }
        if (r == 0 && finished)
                r = cw_audit_log_recording(c, call_id, at);
        return cw_db_commit_or_rollback(c, r);
}

int cw_catalog_set_recording(cw_catalog *c, int64_t call_id, const cw_recording_info *rec) {
        int r = cw_db_exec(c, "BEGIN IMMEDIATE");

        if (r < 0)
                return r;
        r = cw_db_run(c, NULL,
                   "INSERT INTO recordings (call_id, path, capture_mode, duration_ms, size, sha256)"
                   " VALUES (?, ?, ?, ?, ?, ?)"
                   " ON CONFLICT (call_id) DO UPDATE SET path = excluded.path, capture_mode = excluded.capture_mode,"
                   " duration_ms = excluded.duration_ms, size = excluded.size, sha256 = excluded.sha256",
                   "ittiit", call_id, rec->relpath, cw_capture_mode_to_string(rec->capture_mode),
                   rec->duration_ms, (int64_t) rec->size, rec->sha256);
        return commit_recording(c, call_id, r, &rec->at);
}

int cw_catalog_add_warning(cw_catalog *c, int64_t call_id, const char *kind, const char *message,
                           const cw_timestamp *at) {
        return cw_db_run(c, NULL,
                   "INSERT INTO call_warnings (call_id, kind, message, at_ms, offset_s) VALUES (?, ?, ?, ?, ?)",
                   "ittii", call_id, kind, message, at->utc_ms, (int64_t) at->utc_offset_s);
}

int cw_catalog_seal_recording(cw_catalog *c, int64_t call_id, uint64_t size, const char *sha256,
                              int64_t duration_ms, const cw_timestamp *at) {
        int r = cw_db_exec(c, "BEGIN IMMEDIATE");

        if (r < 0)
                return r;
        r = cw_db_run(c, NULL, "UPDATE recordings SET size = ?, sha256 = ?, duration_ms = ? WHERE call_id = ?",
                      "itii", (int64_t) size, sha256, duration_ms, call_id);
        return commit_recording(c, call_id, r, at);
}

int cw_catalog_end_orphans(cw_catalog *c, const cw_timestamp *now, int64_t up_to_id,
                           void (*cb)(const cw_orphan *orphan, cw_timestamp *ended, void *userdata),
                           void *userdata) {
        sqlite3_stmt *stmt;
        cw_orphan *orphans = NULL;
        size_t n = 0, allocated = 0;
        int r, rc;

        /* Collect first, then write: a write inside an open SELECT on the
         * same table is legal in sqlite but hard to reason about. */
        r = cw_db_run(c, &stmt,
                "SELECT calls.id, recordings.path, calls.answered_at_ms, calls.answered_offset_s,"
                "       calls.ended_at_ms IS NOT NULL,"
                "       (SELECT at_ms FROM call_states WHERE call_id = calls.id ORDER BY at_ms DESC LIMIT 1),"
                "       (SELECT offset_s FROM call_states WHERE call_id = calls.id ORDER BY at_ms DESC LIMIT 1)"
                " FROM calls"
                " LEFT JOIN recordings ON recordings.call_id = calls.id"
                " WHERE calls.id <= ? AND (calls.ended_at_ms IS NULL"
                "    OR (recordings.path IS NOT NULL AND recordings.sha256 IS NULL AND NOT EXISTS"
                "        (SELECT 1 FROM call_warnings WHERE call_warnings.call_id = calls.id"
                "         AND call_warnings.kind IN ('file-missing', 'file-unreadable'))))"
                " ORDER BY calls.id", "i", up_to_id);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                const unsigned char *path = sqlite3_column_text(stmt, 1);

                if (n == allocated) {
                        size_t grown = allocated ? allocated * 2 : 8;
                        cw_orphan *more = realloc(orphans, grown * sizeof *orphans);

                        if (!more) {
                                r = -ENOMEM;
                                break;
                        }
                        orphans = more;
                        allocated = grown;
                }
                orphans[n] = (cw_orphan) {
                        .id = sqlite3_column_int64(stmt, 0),
                        .relpath = path ? strdup((const char *) path) : NULL,
                };
                orphans[n].answered = cw_db_column_timestamp(stmt, 2, &orphans[n].answered_at);
                orphans[n].ended = sqlite3_column_int(stmt, 4);
                if (!cw_db_column_timestamp(stmt, 5, &orphans[n].last_known))
                        orphans[n].last_known = *now;
                n++;
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);

        for (size_t i = 0; i < n; i++) {
                cw_timestamp ended = *now;

                if (r == 0 && cb)
                        cb(&orphans[i], &ended, userdata);
                if (r == 0 && !orphans[i].ended)
                        r = cw_catalog_add_state(c, orphans[i].id, CW_CALL_ENDED, CW_END_DAEMON_STOPPED, &ended);
                free((char *) orphans[i].relpath);
        }
        free(orphans);
        return r;
}

int cw_catalog_last_call_id(cw_catalog *c, int64_t *ret) {
        sqlite3_stmt *stmt;
        int r = cw_db_run(c, &stmt, "SELECT coalesce(max(id), 0) FROM calls", "");

        if (r < 0)
                return r;
        r = sqlite3_step(stmt) == SQLITE_ROW ? 0 : cw_db_errno(sqlite3_errcode(c->db));
        if (r == 0)
                *ret = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        return r;
}

int cw_catalog_begin_write(cw_catalog *c) {
        return cw_db_exec(c, "BEGIN IMMEDIATE");
}

int cw_catalog_commit(cw_catalog *c) {
        return cw_db_exec(c, "COMMIT");
}

void cw_catalog_rollback(cw_catalog *c) {
        cw_db_exec(c, "ROLLBACK");
}

int cw_catalog_begin_read(cw_catalog *c) {
        /* BEGIN alone takes no snapshot: the first read does. Reading the
         * schema version takes it now. */
        int version, r = cw_db_exec(c, "BEGIN");

        if (r == 0 && (r = cw_catalog_schema_version(c, &version)) < 0)
                cw_db_exec(c, "ROLLBACK");
        return r;
}

void cw_catalog_end_read(cw_catalog *c) {
        cw_db_exec(c, "COMMIT");
}

int cw_catalog_record_export(cw_catalog *c, const char *output, const int64_t *call_ids, size_t n_calls,
                             const char *sums_sha256, const cw_timestamp *at) {
        json_object *body = json_object_new_object(), *ids = json_object_new_array();
        int64_t export_id;
        int r;

        if (!body || !ids) {
                json_object_put(body);
                json_object_put(ids);
                return -ENOMEM;
        }
        r = cw_db_run(c, NULL, "INSERT INTO exports (path, at_ms, offset_s) VALUES (?, ?, ?)", "tii", output,
                      at->utc_ms, (int64_t) at->utc_offset_s);
        export_id = sqlite3_last_insert_rowid(c->db);
        for (size_t i = 0; r == 0 && i < n_calls; i++) {
                r = cw_db_run(c, NULL, "INSERT INTO export_calls (export_id, call_id) VALUES (?, ?)", "ii",
                              export_id, call_ids[i]);
                json_object_array_add(ids, json_object_new_int64(call_ids[i]));
        }
        json_object_object_add(body, "output", json_object_new_string(output));
        json_object_object_add(body, "calls", ids);
        json_object_object_add(body, "sha256sums", json_object_new_string(sums_sha256));
        if (r == 0)
                r = cw_audit_append_in_transaction(c, "export", 0,
                                                   json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), at);
        json_object_put(body);
        return r;
}
