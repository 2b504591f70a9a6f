/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit-db.h"
#include "callwitness/review.h"
#include "callwitness/text.h"
#include "catalog-db.h"

static json_object *text_or_null(const char *text) {
        return text && *text ? json_object_new_string(text) : NULL;
}

/* Appends the audit entry for the change r reports on (made inside the
 * open transaction) and commits both, or rolls both back. body is
 * consumed. */
static int finish(cw_catalog *c, int r, const char *kind, int64_t call_id, json_object *body,
                  const cw_timestamp *at) {
        if (r == 0 && !body)
                r = -ENOMEM;
        if (r == 0)
                r = cw_audit_append_in_transaction(c, kind, call_id,
                                                   json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), at);
        json_object_put(body);
        if (r < 0) {
                cw_db_exec(c, "ROLLBACK");
                return r;
        }
        return cw_db_exec(c, "COMMIT");
}

static int begin(cw_catalog *c, int64_t call_id) {
        int r = cw_db_exec(c, "BEGIN IMMEDIATE");

        if (r < 0)
                return r;
        r = cw_db_call_exists(c, call_id);
        if (r < 0)
                cw_db_exec(c, "ROLLBACK");
        return r;
}

int cw_review_add_note(cw_catalog *c, int64_t call_id, const char *text, const cw_timestamp *at) {
        const char *problem;
        json_object *body;
        int r;

        if (cw_text_check(text, CW_TEXT_LINES, CW_NOTE_MAX, &problem) < 0)
                return -EINVAL;
        if ((r = begin(c, call_id)) < 0)
                return r;
        r = cw_db_run(c, NULL, "INSERT INTO notes (call_id, text, at_ms, offset_s) VALUES (?, ?, ?, ?)", "itii",
                      call_id, text, at->utc_ms, (int64_t) at->utc_offset_s);
        body = json_object_new_object();
        json_object_object_add(body, "text", json_object_new_string(text));
        return finish(c, r, "note", call_id, body, at);
}

int cw_review_set_identity(cw_catalog *c, int64_t call_id, const char *company, const char *employee_id,
                           const char *name, const cw_timestamp *at) {
        const char *fields[] = { company, employee_id, name }, *problem;
        json_object *body;
        int r;

        if (!(company && *company) && !(employee_id && *employee_id) && !(name && *name))
                return -EINVAL;
        for (size_t i = 0; i < 3; i++)
                if (fields[i] && *fields[i] &&
                    cw_text_check(fields[i], CW_TEXT_LINE, CW_IDENTITY_FIELD_MAX, &problem) < 0)
                        return -EINVAL;
        if ((r = begin(c, call_id)) < 0)
                return r;
        r = cw_db_run(c, NULL,
                      "INSERT INTO caller_identities (call_id, company, employee_id, name, at_ms, offset_s)"
                      " VALUES (?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?)"
                      " ON CONFLICT (call_id) DO UPDATE SET company = excluded.company,"
                      " employee_id = excluded.employee_id, name = excluded.name, at_ms = excluded.at_ms,"
                      " offset_s = excluded.offset_s",
                      "itttii", call_id, company ? company : "", employee_id ? employee_id : "", name ? name : "",
                      at->utc_ms, (int64_t) at->utc_offset_s);
        body = json_object_new_object();
        json_object_object_add(body, "company", text_or_null(company));
        json_object_object_add(body, "employee_id", text_or_null(employee_id));
        json_object_object_add(body, "name", text_or_null(name));
        return finish(c, r, "identity", call_id, body, at);
}

int cw_review_tag(cw_catalog *c, int64_t call_id, const char *tag, const char *reason, const cw_timestamp *at) {
        const char *problem;
        json_object *body;
        int r;

        if (cw_text_check(tag, CW_TEXT_LINE, CW_TAG_NAME_MAX - 1, &problem) < 0 || strpbrk(tag, " ,"))
                return -EINVAL;
        if (!reason || !*reason)
                reason = "tagged by hand";
        if (cw_text_check(reason, CW_TEXT_LINE, CW_MANUAL_REASON_MAX, &problem) < 0)
                return -EINVAL;
        if ((r = begin(c, call_id)) < 0)
                return r;
        r = cw_db_run(c, NULL,
                      "INSERT INTO tags (call_id, tag, reason, origin) VALUES (?, ?, ?, 'manual')"
                      " ON CONFLICT (call_id, tag) DO UPDATE SET reason = excluded.reason, origin = 'manual'",
                      "itt", call_id, tag, reason);
        if (r == 0)
                r = cw_db_run(c, NULL, "DELETE FROM dismissed_tags WHERE call_id = ? AND tag = ?", "it", call_id, tag);
        body = json_object_new_object();
        json_object_object_add(body, "tag", json_object_new_string(tag));
        json_object_object_add(body, "reason", json_object_new_string(reason));
        return finish(c, r, "tag", call_id, body, at);
}

int cw_review_untag(cw_catalog *c, int64_t call_id, const char *tag, const cw_timestamp *at) {
        json_object *body;
        int r;

        if ((r = begin(c, call_id)) < 0)
                return r;
        r = cw_db_run(c, NULL, "DELETE FROM tags WHERE call_id = ? AND tag = ?", "it", call_id, tag);
        if (r == 0 && sqlite3_changes(c->db) == 0)
                r = -ENOMSG;
        /* A person's word: the policy does not tag it again. */
        if (r == 0)
                r = cw_db_run(c, NULL,
                              "INSERT INTO dismissed_tags (call_id, tag, at_ms, offset_s) VALUES (?, ?, ?, ?)"
                              " ON CONFLICT (call_id, tag) DO NOTHING",
                              "itii", call_id, tag, at->utc_ms, (int64_t) at->utc_offset_s);
        body = json_object_new_object();
        json_object_object_add(body, "tag", json_object_new_string(tag));
        return finish(c, r, "untag", call_id, body, at);
}

/* What the delete entry keeps of the call, and the refusals that apply. */
static int describe_for_delete(cw_catalog *c, int64_t call_id, json_object *body, char **file,
                               cw_delete_refusal *refusal) {
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt,
                      "SELECT number, direction, started_at_ms, ended_at_ms IS NULL, recordings.path,"
                      "       recordings.sha256,"
                      "       EXISTS (SELECT 1 FROM tags WHERE call_id = calls.id),"
                      "       EXISTS (SELECT 1 FROM export_calls WHERE call_id = calls.id)"
                      " FROM calls LEFT JOIN recordings ON recordings.call_id = calls.id WHERE calls.id = ?",
                      "i", call_id);
        if (r < 0)
                return r;
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
                json_object_object_add(body, "number", text_or_null(cw_db_column_text(stmt, 0)));
                json_object_object_add(body, "direction", json_object_new_string(cw_db_column_text(stmt, 1)));
                json_object_object_add(body, "started_at_ms", json_object_new_int64(sqlite3_column_int64(stmt, 2)));
                json_object_object_add(body, "file", text_or_null(cw_db_column_text(stmt, 4)));
                json_object_object_add(body, "sha256", text_or_null(cw_db_column_text(stmt, 5)));
                *file = cw_db_column_text(stmt, 4) ? strdup(cw_db_column_text(stmt, 4)) : NULL;
                *refusal = sqlite3_column_int(stmt, 3) ? CW_DELETE_IN_PROGRESS
                         : sqlite3_column_int(stmt, 7) ? CW_DELETE_EXPORTED
                         : sqlite3_column_int(stmt, 6) ? CW_DELETE_TAGGED : CW_DELETE_OK;
        }
        sqlite3_finalize(stmt);
        return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : cw_db_errno(rc);
}

int cw_review_delete(cw_catalog *c, const char *data_dir, int64_t call_id, bool force, const cw_timestamp *at,
                     cw_delete_refusal *refusal) {
        static const char *const cascade[] = {
                "DELETE FROM notes WHERE call_id = ?",
                "DELETE FROM marks WHERE call_id = ?",
                "DELETE FROM messages WHERE call_id = ?",
                "DELETE FROM clock_checks WHERE call_id = ?",
                "DELETE FROM caller_identities WHERE call_id = ?",
                "DELETE FROM tags WHERE call_id = ?",
                "DELETE FROM dismissed_tags WHERE call_id = ?",
                "DELETE FROM call_warnings WHERE call_id = ?",
                "DELETE FROM call_states WHERE call_id = ?",
                "DELETE FROM recordings WHERE call_id = ?",
                "DELETE FROM calls WHERE id = ?",
        };
        json_object *body = json_object_new_object();
        char *file = NULL, *path = NULL;
        int r;

        *refusal = CW_DELETE_OK;
        if (!body)
                return -ENOMEM;
        if ((r = cw_db_exec(c, "BEGIN IMMEDIATE")) < 0) {
                json_object_put(body);
                return r;
        }
        r = describe_for_delete(c, call_id, body, &file, refusal);
        if (r == 0 && (*refusal == CW_DELETE_IN_PROGRESS || (*refusal != CW_DELETE_OK && !force)))
                r = *refusal == CW_DELETE_IN_PROGRESS ? -EBUSY : -EPERM;
        json_object_object_add(body, "forced", json_object_new_boolean(force && *refusal != CW_DELETE_OK));
        for (size_t i = 0; r == 0 && i < sizeof cascade / sizeof *cascade; i++)
                r = cw_db_run(c, NULL, cascade[i], "i", call_id);
        r = finish(c, r, "delete", call_id, body, at);
        /* The rows go first: a file left behind is found by verify; a row
         * whose file is gone would look like evidence destroyed. */
        if (r == 0 && file && asprintf(&path, "%s/%s", data_dir, file) >= 0 && unlink(path) < 0 && errno != ENOENT)
                r = -errno;
        free(path);
        free(file);
        return r;
}
