/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "audit-db.h"
#include "callwitness/call-json.h"
#include "callwitness/contact-reports.h"
#include "callwitness/number.h"
#include "callwitness/review.h"
#include "callwitness/text.h"
#include "catalog-db.h"

static bool valid(const cw_contact_report *report) {
        const char *problem;

        if (!report->contact || !report->contact[0] ||
            cw_text_check(report->contact, CW_TEXT_LINE, CW_CONTACT_NAME_MAX, &problem) < 0)
                return false;
        if (report->number && (!report->number[0] || cw_number_is_withheld(report->number) ||
                               strspn(report->number, "+0123456789 -.()") != strlen(report->number) ||
                               strlen(report->number) >= CW_NUMBER_MAX))
                return false;
        return !report->note || cw_text_check(report->note, CW_TEXT_LINES, CW_NOTE_MAX, &problem) == 0;
}

int cw_contact_report_add(cw_catalog *c, const cw_contact_report *report, int64_t *id_ret) {
        json_object *body;
        int64_t id;
        int r;

        if (!valid(report))
                return -EINVAL;
        if ((r = cw_db_exec(c, "BEGIN IMMEDIATE")) < 0)
                return r;
        r = cw_db_run(c, NULL,
                      "INSERT INTO contact_reports (contact, number, at_ms, offset_s, note, reported_at_ms,"
                      " reported_offset_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      "ttiitii", report->contact, report->number, report->at.utc_ms, (int64_t) report->at.utc_offset_s,
                      report->note, report->reported_at.utc_ms, (int64_t) report->reported_at.utc_offset_s);
        id = sqlite3_last_insert_rowid(c->db);
        body = json_object_new_object();
        if (r == 0 && !body)
                r = -ENOMEM;
        if (r == 0) {
                json_object_object_add(body, "id", json_object_new_int64(id));
                json_object_object_add(body, "contact", json_object_new_string(report->contact));
                json_object_object_add(body, "number", report->number ? json_object_new_string(report->number) : NULL);
                json_object_object_add(body, "at", cw_json_timestamp(true, &report->at));
                json_object_object_add(body, "note", report->note ? json_object_new_string(report->note) : NULL);
                r = cw_audit_append_in_transaction(c, "contact-call", 0,
                                                   json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                                                   &report->reported_at);
        }
        json_object_put(body);
        r = cw_db_commit_or_rollback(c, r);
        if (r == 0 && id_ret)
                *id_ret = id;
        return r;
}

int cw_contact_report_foreach(cw_catalog *c, int (*cb)(const cw_contact_report *report, void *userdata),
                              void *userdata) {
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt,
                      "SELECT id, contact, number, at_ms, offset_s, note, reported_at_ms, reported_offset_s"
                      " FROM contact_reports ORDER BY at_ms, id", "");
        if (r < 0)
                return r;
        while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                cw_contact_report report = {
                        .id = sqlite3_column_int64(stmt, 0),
                        .contact = cw_db_column_text(stmt, 1),
                        .number = cw_db_column_text(stmt, 2),
                        .note = cw_db_column_text(stmt, 5),
                };

                cw_db_column_timestamp(stmt, 3, &report.at);
                cw_db_column_timestamp(stmt, 6, &report.reported_at);
                r = cb(&report, userdata);
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
        return r;
}
