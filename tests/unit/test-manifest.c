/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pieces of an evidence manifest and its report: a call as JSON, the
 * summary, and reports that escape what people typed. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/call-json.h"
#include "callwitness/report.h"
#include "tap.h"

static const char *text_at(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static json_object *sample_call(int64_t id, const char *number, bool answered, bool night, const char *note) {
        cw_tag tags[1] = { { "night", "started at 23:40 local time (UTC+08:00), inside the quiet hours 21:00–08:00" } };
        bool manual[1] = { false };
        cw_note notes[1] = { { note, { 1795534900000, 28800 } } };
        cw_call_record call = {
                .id = id, .backend = "modemmanager", .direction = CW_DIRECTION_INCOMING, .number = number,
                .started = { 1795534800000 + (id - 1) * 3600000, 28800 }, .answered = answered,
                .answered_at = { 1795534805000, 28800 }, .ended = true, .ended_at = { 1795534865000, 28800 },
                .end_reason = "hangup", .outcome = answered ? "answered" : "missed",
                .duration_ms = answered ? 60000 : 0, .file = answered ? "recordings/a.opus" : NULL,
                .file_size = 1234, .sha256 = answered ? "ab" : NULL,
                .tags = tags, .tags_manual = manual, .n_tags = night,
                .notes = notes, .n_notes = note != NULL,
                .caller_company = answered ? "Quick Collect Ltd" : NULL, .caller_employee_id = answered ? "QC-1" : NULL,
        };

        return cw_call_json(&call);
}

static void call_json_has_every_field(void) {
        json_object *call = sample_call(1, "+8613800138000", true, true, "threats"), *v, *tags, *caller;

        ok(call != NULL, "a call as JSON");
        ok(strcmp(text_at(call, "started_at"), "2026-11-24T23:40:00+08:00") == 0, "times in the local offset (%s)",
           text_at(call, "started_at"));
        ok(strcmp(text_at(call, "direction"), "incoming") == 0 && strcmp(text_at(call, "outcome"), "answered") == 0,
           "direction and outcome");
        json_object_object_get_ex(call, "tags", &tags);
        v = json_object_array_get_idx(tags, 0);
        ok(strcmp(text_at(v, "origin"), "policy") == 0 && strstr(text_at(v, "reason"), "23:40"),
           "tags with reason and origin");
        json_object_object_get_ex(call, "caller", &caller);
        ok(caller && strcmp(text_at(caller, "employee_id"), "QC-1") == 0 && !text_at(caller, "name"),
           "caller identity, unknown fields null");
        ok(json_object_object_get_ex(call, "notes", &v) && json_object_array_length(v) == 1, "notes");
        ok(text_at(call, "answered_at") && strcmp(text_at(call, "answered_at"), "2026-11-24T23:40:05+08:00") == 0 &&
           text_at(call, "ended_at") && strcmp(text_at(call, "ended_at"), "2026-11-24T23:41:05+08:00") == 0,
           "answer and end in the local offset");
        ok(json_object_object_get_ex(call, "duration_ms", &v) && json_object_get_int64(v) == 60000, "duration_ms");
        ok(text_at(call, "sha256") && strcmp(text_at(call, "sha256"), "ab") == 0 && text_at(call, "file") &&
           strcmp(text_at(call, "file"), "recordings/a.opus") == 0, "file and its SHA-256");
        ok(text_at(call, "end_reason") && strcmp(text_at(call, "end_reason"), "hangup") == 0, "end reason");
        json_object_put(call);

        call = sample_call(2, NULL, false, false, NULL);
        ok(json_object_object_get_ex(call, "caller", &caller) && caller == NULL, "no identity: caller is null");
        ok(json_object_object_get_ex(call, "file", &v) && v == NULL && !text_at(call, "number"),
           "no file, no number: null");
        json_object_put(call);
}

static json_object *sample_manifest(const char *note) {
        json_object *m = json_object_new_object(), *calls = json_object_new_array();

        json_object_array_add(calls, sample_call(1, "+8613800138000", true, true, note));
        json_object_array_add(calls, sample_call(2, "+8613800138000", false, true, NULL));
        json_object_array_add(calls, sample_call(3, "+8613700137000", false, false, NULL));
        json_object_object_add(m, "calls", calls);
        json_object_object_add(m, "summary", cw_report_summary_json(calls));
        json_object_object_add(m, "exported_at_local", json_object_new_string("2026-11-25T10:00:00+08:00"));
        json_object_object_add(m, "time_zone", json_object_new_string("Asia/Shanghai"));
        json_object_object_add(m, "device_key_id", json_object_new_string("0123456789ABCDEF"));
        json_object_object_add(m, "device_public_key", json_object_new_string("RWTEST"));
        return m;
}

static void summary_counts(void) {
        json_object *m = sample_manifest(NULL), *summary, *numbers, *first;

        json_object_object_get_ex(m, "summary", &summary);
        json_object_object_get_ex(summary, "numbers", &numbers);
        first = json_object_array_get_idx(numbers, 0);
        ok(json_object_get_int(json_object_object_get(summary, "calls")) == 3, "3 calls");
        ok(json_object_get_int(json_object_object_get(summary, "night_calls")) == 2, "2 at night");
        ok(json_object_get_int(json_object_object_get(summary, "answered")) == 1 &&
           json_object_get_int(json_object_object_get(summary, "missed")) == 2, "1 answered, 2 missed");
        ok(json_object_array_length(numbers) == 2 && strcmp(text_at(first, "number"), "+8613800138000") == 0 &&
           json_object_get_int(json_object_object_get(first, "calls")) == 2, "per number, in order of first call");
        ok(strcmp(text_at(summary, "first_call"), "2026-11-24T23:40:00+08:00") == 0 &&
           strcmp(text_at(summary, "last_call"), "2026-11-25T01:40:00+08:00") == 0, "first and last call");
        json_object_put(m);
}

static char *render(int (*report)(json_object *, FILE *), json_object *m) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f || report(m, f) != 0)
                abort();
        fclose(f);
        return text;
}

static void reports_show_and_escape(void) {
        json_object *m = sample_manifest("<script>alert(1)</script> & co");
        char *text = render(cw_report_text, m), *html = render(cw_report_html, m);

        ok(strstr(text, "Calls: 3. Numbers: 2. At night: 2.") != NULL, "the text summary");
        ok(strstr(text, "2026-11-24 .......................1") != NULL &&
           strstr(text, "2026-11-25 11......................") != NULL, "the hour-by-day picture in text");
        ok(strstr(html, "<svg") && strstr(html, "<title>2026-11-25 01:00 — 1</title>"), "an SVG picture");
        ok(!strstr(html, "<script>") && strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"),
           "what people typed is escaped");
        ok(strstr(html, "<meta name=\"viewport\"") != NULL, "made for a phone's screen");
        free(text);
        free(html);
        json_object_put(m);
}

int main(void) {
        call_json_has_every_field();
        summary_counts();
        reports_show_and_escape();
        return tap_done();
}
