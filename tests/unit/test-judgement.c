/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/catalog.h"
#include "callwitness/contact-reports.h"
#include "callwitness/judgement.h"
#include "callwitness/number-rules.h"
#include "callwitness/review.h"
#include "tap.h"

static char dir[] = "/tmp/test-judgement-XXXXXX";
static char db_path[256];
static const char *presets_dir;

/* 2026-11-24 12:00 in Shanghai (UTC+8) plus minutes. */
static cw_timestamp noon_plus(int minutes) {
        return (cw_timestamp) { .utc_ms = (1795492800LL + minutes * 60LL) * 1000, .utc_offset_s = 8 * 3600 };
}

static int64_t add_call(cw_catalog *c, const char *number, int minutes, bool answered) {
        cw_timestamp t = noon_plus(minutes), end = noon_plus(minutes + 1);
        int64_t id = 0;

        if (cw_catalog_add_call(c, &(cw_call_start) { .backend = "modemmanager", .modem_call_id = "/Call/1",
                                                      .direction = CW_DIRECTION_INCOMING, .number = number,
                                                      .state = CW_CALL_RINGING, .appeared = t }, &id) < 0)
                abort();
        if (answered)
                cw_catalog_add_state(c, id, CW_CALL_ACTIVE, CW_END_UNKNOWN, &t);
        cw_catalog_add_state(c, id, CW_CALL_ENDED, CW_END_HANGUP, &end);
        return id;
}

static int count(const char *query) {
        sqlite3 *db;
        sqlite3_stmt *stmt;
        int n = -1;

        if (sqlite3_open(db_path, &db) != SQLITE_OK || sqlite3_prepare_v2(db, query, -1, &stmt, NULL) != SQLITE_OK)
                abort();
        if (sqlite3_step(stmt) == SQLITE_ROW)
                n = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return n;
}

static char *text(const char *query) {
        sqlite3 *db;
        sqlite3_stmt *stmt;
        char *t = NULL;

        if (sqlite3_open(db_path, &db) != SQLITE_OK || sqlite3_prepare_v2(db, query, -1, &stmt, NULL) != SQLITE_OK)
                abort();
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
                t = strdup((const char *) sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return t;
}

static void count_changes(const cw_tag_change *change, void *userdata) {
        (*(int *) userdata)++;
}

static void collector_rejudges_and_leaves_manual_tags(void) {
        cw_rulebook *rules = NULL;
        cw_catalog *c = NULL;
        char *error = NULL, *reason;
        cw_timestamp now = noon_plus(600);
        const char *numbers[] = { "138 0013 8000", "+86 139-0013-9000" };
        int changes = 0;
        int64_t second, fourth;

        ok(cw_rulebook_load(presets_dir, &(cw_rulebook_settings) { .preset = "cn" }, &rules, &error) == 0,
           "the cn rulebook loads%s%s", error ? ": " : "", error ? error : "");
        ok(strcmp(cw_rulebook_country_code(rules), "86") == 0, "its country code is 86");
        ok(cw_catalog_open(db_path, &now, &c) == 0, "catalog opens");
        /* Two numbers taking turns, 3 and 2 minutes apart. */
        add_call(c, "13800138000", 0, false);
        second = add_call(c, "+8613900139000", 3, false);
        add_call(c, "13800138000", 23, true);
        fourth = add_call(c, "+8613900139000", 25, false);
        ok(cw_catalog_retag(c, rules, 0, "test", &now, count_changes, &changes) == 0, "retag runs");
        ok(count("SELECT count(*) FROM tags") == 0, "two numbers minutes apart are no burst (%d changes)", changes);
        ok(cw_review_tag(c, second, "burst", "I say so", &now) == 0, "a person tags the second call burst");

        changes = 0;
        ok(cw_collector_add(c, rules, "Quick Collect Ltd", numbers, 2, &now, count_changes, &changes) == 0,
           "a collector with both numbers is added");
        ok(count("SELECT count(*) FROM collector_numbers WHERE number IN ('+8613800138000', '+8613900139000')") == 2,
           "its numbers are kept canonical");
        ok(count("SELECT count(*) FROM tags WHERE origin = 'manual' AND tag = 'burst' AND reason = 'I say so'") == 1,
           "the manual tag is untouched");
        ok(changes == 1 && count("SELECT count(*) FROM tags WHERE origin = 'policy' AND tag = 'burst'") == 1,
           "the fourth call is now a burst, and only it (%d change)", changes);
        reason = text("SELECT reason FROM tags WHERE tag = 'burst' AND origin = 'policy'");
        ok(reason && strstr(reason, "2 calls from Quick Collect Ltd within 5 minutes over 2 numbers (calls 3, 4)"),
           "naming the collector and both numbers: %s", reason ? reason : "");
        free(reason);
        ok(count("SELECT count(*) FROM audit_log WHERE kind = 'policy-tag' AND call_id = 4 AND body LIKE"
                 " '%\"change\":\"added\"%' AND body LIKE '%\"because\":\"numbers were added to the collector"
                 " Quick Collect Ltd\"%'") == 1, "the change is in the audit log, with why");
        ok(count("SELECT count(*) FROM audit_log WHERE kind = 'collector'") == 1, "and the collector too");

        changes = 0;
        ok(cw_collector_remove(c, rules, "Quick Collect Ltd", NULL, 0, &now, count_changes, &changes) == 0,
           "the collector is removed");
        ok(count("SELECT count(*) FROM tags WHERE origin = 'policy'") == 0 && changes == 1,
           "its burst goes with it (%d change)", changes);
        ok(count("SELECT count(*) FROM audit_log WHERE kind = 'policy-tag' AND body LIKE '%\"change\":\"removed\"%'") == 1,
           "the removal is audited");
        ok(count("SELECT count(*) FROM tags WHERE origin = 'manual'") == 1, "the manual tag stays");

        ok(cw_collector_add(c, rules, "Quick Collect Ltd", numbers, 2, &now, NULL, NULL) == 0 &&
           count("SELECT count(*) FROM tags WHERE origin = 'policy'") == 1, "added again, the burst is back");
        ok(cw_review_untag(c, fourth, "burst", &now) == 0, "a person takes it off");
        changes = 0;
        ok(cw_catalog_retag(c, rules, 0, "by hand", &now, count_changes, &changes) == 0 && changes == 0 &&
           count("SELECT count(*) FROM tags WHERE call_id = 4") == 0, "judging again does not put it back");
        ok(cw_review_tag(c, fourth, "burst", NULL, &now) == 0 &&
           count("SELECT count(*) FROM dismissed_tags") == 0, "tagging it by hand lifts the dismissal");

        ok(cw_collector_remove(c, rules, "Nobody", NULL, 0, &now, NULL, NULL) == -ENOENT, "an unknown collector: ENOENT");
        ok(cw_collector_remove(c, rules, "Quick Collect Ltd", (const char *[]) { "+8613700000000" }, 1, &now, NULL,
                               NULL) == -ENOENT, "a number it does not hold: ENOENT");
        ok(cw_collector_add(c, rules, "X", (const char *[]) { "withheld" }, 1, &now, NULL, NULL) == -EINVAL,
           "a withheld number joins no collector");
        ok(cw_collector_add(c, rules, "", numbers, 1, &now, NULL, NULL) == -EINVAL, "a collector needs a name");
        cw_catalog_free(c);
        cw_rulebook_free(rules);
}

static void judging_a_ringing_call(void) {
        cw_rulebook *rules = NULL;
        cw_catalog *c = NULL;
        cw_timestamp now = noon_plus(300), ring = noon_plus(302);
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        int n;

        if (cw_rulebook_load(presets_dir, &(cw_rulebook_settings) { .preset = "cn" }, &rules, NULL) < 0 ||
            cw_catalog_open(db_path, &now, &c) < 0)
                abort();
        add_call(c, "13700137000", 300, false);
        n = cw_catalog_judge_call(c, rules, 0, &ring, true, false, "+86 137 0013 7000", tags, CW_JUDGE_TAGS_MAX);
        ok(n == 1 && strcmp(tags[0].name, "burst") == 0, "a call not yet written, 2 minutes after the last, is a burst");
        ok(n == 1 && strstr(tags[0].reason, "(calls 5, this call)"), "its reason names the stored call and this one: %s",
           n == 1 ? tags[0].reason : "");
        cw_catalog_free(c);
        cw_rulebook_free(rules);
}

static void judged_again_only_when_the_rules_change(void) {
        cw_rulebook *cn = NULL, *us = NULL;
        cw_catalog *c = NULL;
        cw_timestamp now = noon_plus(800);
        bool done = true;

        if (cw_rulebook_load(presets_dir, &(cw_rulebook_settings) { .preset = "cn" }, &cn, NULL) < 0 ||
            cw_rulebook_load(presets_dir, &(cw_rulebook_settings) { .preset = "us" }, &us, NULL) < 0 ||
            cw_catalog_open(db_path, &now, &c) < 0)
                abort();
        ok(cw_catalog_retag_all(c, cn, "started", true, &now, NULL, NULL, &done) == 0 && done,
           "the first time, every call is judged");
        ok(cw_catalog_retag_all(c, cn, "started", true, &now, NULL, NULL, &done) == 0 && !done,
           "the same rules again: nothing to do");
        ok(cw_catalog_retag_all(c, us, "reloaded", true, &now, NULL, NULL, &done) == 0 && done,
           "another preset: judged again");
        ok(count("SELECT count(*) FROM audit_log WHERE kind = 'rules' AND body LIKE '%\"preset\":\"us\"%'") == 1,
           "the change of rules is in the audit log");
        cw_catalog_free(c);
        cw_rulebook_free(cn);
        cw_rulebook_free(us);
}

static void number_rules(void) {
        cw_catalog *c = NULL;
        cw_timestamp now = noon_plus(700);
        cw_record_rule record;
        char *label = NULL;

        if (cw_catalog_open(db_path, &now, &c) < 0)
                abort();
        ok(cw_number_rule_set(c, "136 0013 6000", "86", CW_RECORD_NEVER, NULL, &now) == 0, "never-record is set");
        ok(cw_number_rule_set(c, "+8613600136000", "86", CW_RECORD_DEFAULT, "Mother", &now) == 0, "a label is set");
        ok(cw_number_rule_find(c, "0086 136-0013-6000", "86", &record, &label) == 0 && record == CW_RECORD_NEVER &&
           label && strcmp(label, "Mother") == 0, "one rule for every form of the number, label and record both kept");
        free(label);
        ok(cw_number_rule_set(c, "withheld", "86", CW_RECORD_NEVER, NULL, &now) == -EINVAL, "withheld: refused");
        ok(cw_number_rule_set(c, "*31#", "86", CW_RECORD_NEVER, NULL, &now) == -EINVAL, "a code: refused");
        ok(cw_number_rule_set(c, "13600136000", "86", CW_RECORD_DEFAULT, "two\nlines", &now) == -EINVAL,
           "a label of two lines: refused");
        ok(count("SELECT count(*) FROM audit_log WHERE kind = 'number-rule'") == 2, "two changes audited");
        ok(cw_number_rule_remove(c, "13600136000", "86", &now) == 0, "removed");
        ok(cw_number_rule_remove(c, "13600136000", "86", &now) == -ENOENT, "removed twice: ENOENT");
        ok(cw_number_rule_find(c, "13600136000", "86", &record, &label) == 0 && record == CW_RECORD_DEFAULT && !label,
           "no rule: the default");
        cw_catalog_free(c);
}

static int count_report(const cw_contact_report *report, void *userdata) {
        (*(int *) userdata)++;
        return 0;
}

static void contact_reports(void) {
        cw_catalog *c = NULL;
        cw_timestamp now = noon_plus(900), then = noon_plus(-60);
        int64_t id = 0;
        int n = 0;

        if (cw_catalog_open(db_path, &now, &c) < 0)
                abort();
        ok(cw_contact_report_add(c, &(cw_contact_report) { .contact = "Mother", .number = "+86 139 0013 9000", .at = then,
                                                           .note = "line one\nline two", .reported_at = now }, &id) == 0 &&
           id == 1, "a report is kept");
        ok(cw_contact_report_add(c, &(cw_contact_report) { .contact = "Mo\nther", .at = then, .reported_at = now }, NULL) ==
           -EINVAL, "a contact of two lines: refused");
        ok(cw_contact_report_add(c, &(cw_contact_report) { .contact = "Mother", .number = "call me", .at = then,
                                                           .reported_at = now }, NULL) == -EINVAL, "a number of words: refused");
        ok(cw_contact_report_add(c, &(cw_contact_report) { .contact = "Mother", .note = "\xe2\x80\xae", .at = then,
                                                           .reported_at = now }, NULL) == -EINVAL, "a bidi note: refused");
        ok(cw_contact_report_foreach(c, count_report, &n) == 0 && n == 1, "one report, nothing refused kept");
        ok(count("SELECT count(*) FROM audit_log WHERE kind = 'contact-call'") == 1, "and its audit entry");
        cw_catalog_free(c);
}

int main(int argc, char **argv) {
        if (argc < 2 || !mkdtemp(dir))
                return 2;
        presets_dir = argv[1];
        snprintf(db_path, sizeof db_path, "%s/catalog.db", dir);
        collector_rejudges_and_leaves_manual_tags();
        judging_a_ringing_call();
        number_rules();
        judged_again_only_when_the_rules_change();
        contact_reports();
        unlink(db_path);
        {
                char path[300];

                snprintf(path, sizeof path, "%s-wal", db_path);
                unlink(path);
                snprintf(path, sizeof path, "%s-shm", db_path);
                unlink(path);
        }
        rmdir(dir);
        return tap_done();
}
