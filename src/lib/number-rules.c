/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "audit-db.h"
#include "callwitness/number-rules.h"
#include "callwitness/number.h"
#include "callwitness/text.h"
#include "catalog-db.h"

static const char *const record_names[] = { [CW_RECORD_DEFAULT] = NULL, [CW_RECORD_NEVER] = "never",
                                            [CW_RECORD_ALWAYS] = "always" };

/* A number a rule can name: not withheld, digits and a leading + only. */
static int canonical_for_rule(const char *number, const char *country_code, char out[static CW_NUMBER_MAX]) {
        cw_number_canonical(number, country_code, out);
        if (strcmp(out, CW_NUMBER_WITHHELD) == 0 || out[strspn(out, "+0123456789")] != '\0')
                return -EINVAL;
        return 0;
}

static int audit(cw_catalog *c, const char *change, const char *canonical, const char *as_given, const char *record,
                 const char *label, const cw_timestamp *at) {
        json_object *body = json_object_new_object();
        int r;

        if (!body)
                return -ENOMEM;
        json_object_object_add(body, "number", json_object_new_string(canonical));
        json_object_object_add(body, "as_given", json_object_new_string(as_given));
        json_object_object_add(body, "change", json_object_new_string(change));
        json_object_object_add(body, "record", record ? json_object_new_string(record) : NULL);
        json_object_object_add(body, "label", label ? json_object_new_string(label) : NULL);
        r = cw_audit_append_in_transaction(c, "number-rule", 0, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                                           at);
        json_object_put(body);
        return r;
}

int cw_number_rule_set(cw_catalog *c, const char *number, const char *country_code, cw_record_rule record,
                       const char *label, const cw_timestamp *at) {
        char canonical[CW_NUMBER_MAX];
        const char *problem;
        int r;

        if (canonical_for_rule(number, country_code, canonical) < 0 ||
            (label && (!label[0] || cw_text_check(label, CW_TEXT_LINE, CW_NUMBER_LABEL_MAX, &problem) < 0)))
                return -EINVAL;
        if ((r = cw_db_exec(c, "BEGIN IMMEDIATE")) < 0)
                return r;
        /* A record rule keeps the label, a label keeps the record rule. */
        r = cw_db_run(c, NULL,
                      "INSERT INTO number_rules (number, record, label, as_given, at_ms, offset_s)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (number) DO UPDATE SET"
                      " record = CASE WHEN ?3 IS NULL THEN ?2 ELSE record END,"
                      " label = coalesce(?3, label), as_given = ?4, at_ms = ?5, offset_s = ?6",
                      "ttttii", canonical, label ? NULL : record_names[record], label, number, at->utc_ms,
                      (int64_t) at->utc_offset_s);
        if (r == 0)
                r = audit(c, "set", canonical, number, label ? NULL : record_names[record], label, at);
        return cw_db_commit_or_rollback(c, r);
}

int cw_number_rule_remove(cw_catalog *c, const char *number, const char *country_code, const cw_timestamp *at) {
        char canonical[CW_NUMBER_MAX];
        int r;

        if (canonical_for_rule(number, country_code, canonical) < 0)
                return -ENOENT;
        if ((r = cw_db_exec(c, "BEGIN IMMEDIATE")) < 0)
                return r;
        r = cw_db_run(c, NULL, "DELETE FROM number_rules WHERE number = ?", "t", canonical);
        if (r == 0 && sqlite3_changes(c->db) == 0)
                r = -ENOENT;
        if (r == 0)
                r = audit(c, "removed", canonical, number, NULL, NULL, at);
        return cw_db_commit_or_rollback(c, r);
}

static cw_record_rule record_from(const char *text) {
        return !text ? CW_RECORD_DEFAULT : strcmp(text, "never") == 0 ? CW_RECORD_NEVER : CW_RECORD_ALWAYS;
}

int cw_number_rule_find(cw_catalog *c, const char *number, const char *country_code, cw_record_rule *record,
                        char **label) {
        char canonical[CW_NUMBER_MAX];
        sqlite3_stmt *stmt;
        int r, rc;

        *record = CW_RECORD_DEFAULT;
        *label = NULL;
        if (canonical_for_rule(number, country_code, canonical) < 0)
                return 0;
        r = cw_db_run(c, &stmt, "SELECT record, label FROM number_rules WHERE number = ?", "t", canonical);
        if (r < 0)
                return r;
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
                *record = record_from(cw_db_column_text(stmt, 0));
                if (cw_db_column_text(stmt, 1) && !(*label = strdup(cw_db_column_text(stmt, 1))))
                        r = -ENOMEM;
        } else if (rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
        return r;
}

int cw_number_rule_foreach(cw_catalog *c, int (*cb)(const cw_number_rule *rule, void *userdata), void *userdata) {
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt, "SELECT number, as_given, record, label, at_ms, offset_s FROM number_rules ORDER BY number",
                      "");
        if (r < 0)
                return r;
        while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                cw_number_rule rule = {
                        .number = cw_db_column_text(stmt, 0),
                        .as_given = cw_db_column_text(stmt, 1),
                        .record = record_from(cw_db_column_text(stmt, 2)),
                        .label = cw_db_column_text(stmt, 3),
                };

                cw_db_column_timestamp(stmt, 4, &rule.at);
                r = cb(&rule, userdata);
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
        return r;
}
