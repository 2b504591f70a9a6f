/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <libintl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/call-json.h"
#include "callwitness/clock.h"
#include "callwitness/report.h"
#include "callwitness/text.h"
#include "callwitness/timestamp.h"

#define _(text) gettext(text)
#define N_(text) (text)
#define MAX_DAYS 62   /* the hour-by-day picture shows the last two months */

/* --- reading the manifest ---------------------------------------------------- */

static json_object *array_of(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

static size_t length(json_object *array) {
        return array ? json_object_array_length(array) : 0;
}

static bool has_tag(json_object *call, const char *tag) {
        json_object *tags = array_of(call, "tags");

        for (size_t i = 0; i < length(tags); i++) {
                const char *name = cw_json_get_string(json_object_array_get_idx(tags, i), "tag");

                if (name && strcmp(name, tag) == 0)
                        return true;
        }
        return false;
}

/* "2026-11-24 23:40" from the RFC 3339 time, in the offset it carries. */
static void local_minute(const char *rfc3339, char *buf, size_t size, struct tm *tm_ret) {
        cw_timestamp ts;
        struct tm tm = { 0 };

        if (!rfc3339 || cw_timestamp_parse_rfc3339(rfc3339, &ts) < 0) {
                snprintf(buf, size, "?");
        } else {
                cw_timestamp_local_tm(&ts, &tm);
                strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
        }
        if (tm_ret)
                *tm_ret = tm;
}

/* A number or name the network gave, on one line, with nothing in it that
 * could change how the report reads (text.h), at most 255 bytes. The
 * buffers are reused: at most four such values per statement. */
static const char *shown(const char *text) {
        static char buffers[4][256];
        static unsigned next;
        char *buf = buffers[next++ % 4], *visible = cw_text_visible_line(text ? text : "");

        snprintf(buf, sizeof buffers[0], "%.*s", visible ? (int) cw_utf8_fit(visible, sizeof buffers[0] - 1) : 1,
                 visible ? visible : "?");
        free(visible);
        return buf;
}

/* A member that should be a string, or "" (a manifest may not be ours). */
static const char *string_of(json_object *o, const char *key) {
        return cw_json_get_string(o, key) ? cw_json_get_string(o, key) : "";
}

/* The call's clock check in words (clock.h), written out where the
 * network's words could change how it reads; false when it has none. */
static bool clock_line(json_object *call, char *buf, size_t size) {
        json_object *clock, *synced;
        char words[512], *visible;

        if (!json_object_object_get_ex(call, "clock", &clock) || !clock)
                return false;
        json_object_object_get_ex(clock, "synchronized", &synced);
        json_object *offset;

        cw_clock_describe(synced ? json_object_get_boolean(synced) : -1, cw_json_get_string(clock, "network_time"),
                          json_object_object_get_ex(clock, "network_offset_ms", &offset) &&
                          json_object_is_type(offset, json_type_int) ? json_object_get_int64(offset) : INT64_MIN,
                          words, sizeof words);
        visible = cw_text_visible_line(words);
        snprintf(buf, size, "%s", visible ? visible : "");
        free(visible);
        return true;
}

static bool is_encounter(json_object *call) {
        return cw_json_get_string(call, "kind") && strcmp(cw_json_get_string(call, "kind"), "encounter") == 0;
}

static bool is_message(json_object *call) {
        return cw_json_get_string(call, "kind") && strcmp(cw_json_get_string(call, "kind"), "message") == 0;
}

/* A message's text as it may be shown (text.h), its data as hex, or why
 * there is none; the caller frees it. */
static char *message_text(json_object *call) {
        json_object *message, *deleted;

        if (!json_object_object_get_ex(call, "message", &message))
                return NULL;
        if (cw_json_get_string(message, "text"))
                return cw_text_visible(cw_json_get_string(message, "text"));
        if (cw_json_get_string(message, "data"))
                return strdup(cw_json_get_string(message, "data"));
        return strdup(json_object_object_get_ex(message, "deleted_before_read", &deleted) &&
                      json_object_get_boolean(deleted) ? _("(not read: deleted by another program first)")
                                                       : _("(not read: the modem did not give it)"));
}

/* Who: the number, or an encounter's label. */
static const char *number_of(json_object *call) {
        if (is_encounter(call))
                return cw_json_get_string(call, "label") ? cw_json_get_string(call, "label") : _("encounter");
        return cw_json_get_string(call, "number") ? shown(cw_json_get_string(call, "number")) : _("unknown");
}

static const char *direction_word(json_object *call) {
        const char *direction = cw_json_get_string(call, "direction");

        if (is_encounter(call))
                return _("enc");
        if (is_message(call))
                return _("sms");
        return direction && strcmp(direction, "outgoing") == 0 ? _("out") : _("in");
}

/* Talk time as m:ss (h:mm:ss from an hour), the same in every language. */
static void print_seconds(FILE *out, int64_t ms) {
        long long s = (long long) (ms + 500) / 1000;

        if (s >= 3600)
                fprintf(out, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
        else
                fprintf(out, "%lld:%02lld", s / 60, s % 60);
}

/* --- summary ------------------------------------------------------------------ */

json_object *cw_report_summary_json(json_object *calls) {
        json_object *summary = json_object_new_object(), *numbers = json_object_new_object(), *list;
        int64_t night = 0, answered = 0, missed = 0, encounters = 0, marks = 0, messages = 0;
        const char *first = NULL, *last = NULL;

        for (size_t i = 0; i < length(calls); i++) {
                json_object *call = json_object_array_get_idx(calls, i), *entry;

                marks += (int64_t) length(array_of(call, "marks"));
                if (is_encounter(call)) {   /* not a call: counted apart */
                        encounters++;
                        continue;
                }
                const char *number = cw_json_get_string(call, "number") ? cw_json_get_string(call, "number") : "unknown";
                const char *outcome = cw_json_get_string(call, "outcome"), *started = cw_json_get_string(call, "started_at");
                bool at_night = has_tag(call, "night");

                if (!json_object_object_get_ex(numbers, number, &entry)) {
                        entry = json_object_new_object();
                        json_object_object_add(entry, "number", json_object_new_string(number));
                        json_object_object_add(entry, "calls", json_object_new_int64(0));
                        json_object_object_add(entry, "messages", json_object_new_int64(0));
                        json_object_object_add(entry, "night", json_object_new_int64(0));
                        json_object_object_add(numbers, number, entry);
                }
                /* Calls per number and at night count calls: a message is
                 * counted apart (its night tag is in the timeline). */
                if (is_message(call)) {
                        messages++;
                        json_object_object_add(entry, "messages",
                                               json_object_new_int64(cw_json_get_int64(entry, "messages") + 1));
                        continue;
                }
                json_object_object_add(entry, "calls", json_object_new_int64(cw_json_get_int64(entry, "calls") + 1));
                json_object_object_add(entry, "night", json_object_new_int64(cw_json_get_int64(entry, "night") + at_night));
                night += at_night;
                answered += outcome && strcmp(outcome, "answered") == 0;
                missed += outcome && (strcmp(outcome, "missed") == 0 || strcmp(outcome, "rejected") == 0);
                if (started && (!first || strcmp(started, first) < 0))
                        first = started;
                if (started && (!last || strcmp(started, last) > 0))
                        last = started;
        }
        list = json_object_new_array();
        json_object_object_foreach(numbers, key, value) {
                (void) key;
                json_object_array_add(list, json_object_get(value));
        }
        json_object_put(numbers);
        json_object_object_add(summary, "calls", json_object_new_int64((int64_t) length(calls) - encounters - messages));
        json_object_object_add(summary, "messages", json_object_new_int64(messages));
        json_object_object_add(summary, "encounters", json_object_new_int64(encounters));
        json_object_object_add(summary, "marks", json_object_new_int64(marks));
        json_object_object_add(summary, "numbers", list);
        json_object_object_add(summary, "night_calls", json_object_new_int64(night));
        json_object_object_add(summary, "answered", json_object_new_int64(answered));
        json_object_object_add(summary, "missed", json_object_new_int64(missed));
        json_object_object_add(summary, "first_call", first ? json_object_new_string(first) : NULL);
        json_object_object_add(summary, "last_call", last ? json_object_new_string(last) : NULL);
        return summary;
}

/* --- the hour-by-day picture -------------------------------------------------- */

typedef struct heatmap {
        char days[MAX_DAYS][11];   /* "2026-11-24", oldest first */
        int counts[MAX_DAYS][24];
        int n_days, max;
} heatmap;

static void build_heatmap(json_object *calls, heatmap *h) {
        memset(h, 0, sizeof *h);
        for (size_t i = 0; i < length(calls); i++) {
                char when[32], day[11];
                struct tm tm;
                int d;

                if (is_encounter(json_object_array_get_idx(calls, i)) || is_message(json_object_array_get_idx(calls, i)))
                        continue;
                local_minute(cw_json_get_string(json_object_array_get_idx(calls, i), "started_at"), when, sizeof when, &tm);
                if (when[0] == '?')
                        continue;
                snprintf(day, sizeof day, "%.10s", when);
                for (d = 0; d < h->n_days && strcmp(h->days[d], day) != 0; d++)
                        ;
                if (d == h->n_days) {
                        if (h->n_days == MAX_DAYS)
                                continue;
                        /* keep the days sorted */
                        for (d = h->n_days; d > 0 && strcmp(h->days[d - 1], day) > 0; d--) {
                                memcpy(h->days[d], h->days[d - 1], sizeof h->days[d]);
                                memcpy(h->counts[d], h->counts[d - 1], sizeof h->counts[d]);
                        }
                        memcpy(h->days[d], day, sizeof h->days[d]);
                        memset(h->counts[d], 0, sizeof h->counts[d]);
                        h->n_days++;
                }
                if (++h->counts[d][tm.tm_hour] > h->max)
                        h->max = h->counts[d][tm.tm_hour];
        }
}

/* --- plain text ----------------------------------------------------------------- */

/* A file's size as a person reads it, the same in every language. */
static void size_words(int64_t bytes, char *buf, size_t size) {
        if (bytes < 1000)
                snprintf(buf, size, "%lld B", (long long) bytes);
        else if (bytes < 999500)   /* not "1000 kB" */
                snprintf(buf, size, "%.0f kB", bytes / 1e3);
        else
                snprintf(buf, size, "%.1f MB", bytes / 1e6);
}

static const char *role_words(const char *role) {
        if (role && strcmp(role, "original") == 0)
                return _("the original recording");
        if (role && (strcmp(role, "mp3-copy") == 0 || strcmp(role, "wav-copy") == 0))
                return _("a copy to play");
        return _("the text message");
}

static bool is_playable_copy(json_object *file) {
        const char *role = cw_json_get_string(file, "role");

        return role && (strcmp(role, "mp3-copy") == 0 || strcmp(role, "wav-copy") == 0);
}

static void text_call_line(FILE *out, json_object *call) {
        char when[32], line[600];
        const char *outcome = cw_json_get_string(call, "outcome");
        json_object *tags = array_of(call, "tags"), *notes = array_of(call, "notes"), *caller;

        json_object *marks = array_of(call, "marks");

        local_minute(cw_json_get_string(call, "started_at"), when, sizeof when, NULL);
        fprintf(out, "%5lld  %s  %-3s  %-18s  ", (long long) cw_json_get_int64(call, "id"), when, direction_word(call),
                number_of(call));
        if (is_encounter(call) && outcome)
                print_seconds(out, cw_json_get_int64(call, "duration_ms"));
        else if (outcome && strcmp(outcome, "answered") == 0)
                print_seconds(out, cw_json_get_int64(call, "duration_ms"));
        else
                fprintf(out, "%s", outcome ? _(outcome) : _("in progress"));
        for (size_t i = 0; i < length(tags); i++)
                fprintf(out, " [%s]", cw_json_get_string(json_object_array_get_idx(tags, i), "tag"));
        fprintf(out, "\n");
        if (is_message(call)) {
                char *text = message_text(call);

                fprintf(out, "%s", _("       text: "));
                cw_text_write_indented(out, text ? text : "", "       | ");
                fputc('\n', out);
                free(text);
        }
        for (size_t i = 0; i < length(tags); i++)
                fprintf(out, "       %s: %s\n", cw_json_get_string(json_object_array_get_idx(tags, i), "tag"),
                        cw_json_get_string(json_object_array_get_idx(tags, i), "reason"));
        if (json_object_object_get_ex(call, "caller", &caller) && caller)
                fprintf(out, _("       caller said: company %s, employee id %s, name %s\n"),
                        cw_json_get_string(caller, "company") ? cw_json_get_string(caller, "company") : "-",
                        cw_json_get_string(caller, "employee_id") ? cw_json_get_string(caller, "employee_id") : "-",
                        cw_json_get_string(caller, "name") ? cw_json_get_string(caller, "name") : "-");
        /* A note's later lines are indented under it: no line of a note can
         * pass for a call's row. */
        for (size_t i = 0; i < length(notes); i++) {
                fprintf(out, "%s", _("       note: "));
                cw_text_write_indented(out, cw_json_get_string(json_object_array_get_idx(notes, i), "text"), "       | ");
                fputc('\n', out);
        }
        if (clock_line(call, line, sizeof line))
                fprintf(out, _("       clock: %s\n"), line);
        /* Where to seek to in the file, with what was said there. */
        for (size_t i = 0; i < length(marks); i++) {
                json_object *mark = json_object_array_get_idx(marks, i);

                fprintf(out, _("       mark at %s in the file: %s\n"), string_of(mark, "in_file"), string_of(mark, "text"));
        }
        /* Which file is which, how big, and the hash SHA256SUMS holds. */
        for (size_t i = 0; i < length(array_of(call, "files")); i++) {
                json_object *file = json_object_array_get_idx(array_of(call, "files"), i);
                char bytes[32];

                size_words(cw_json_get_int64(file, "size"), bytes, sizeof bytes);
                fprintf(out, _("       file: %s (%s, %s), SHA-256 %s\n"), string_of(file, "name"),
                        role_words(cw_json_get_string(file, "role")), bytes, string_of(file, "sha256"));
        }
}

/* "" when there were none: the line is for bundles that hold encounters
 * or marks. */
static void encounters_line(json_object *summary, char *buf, size_t size) {
        long long messages = (long long) cw_json_get_int64(summary, "messages"),
                  encounters = (long long) cw_json_get_int64(summary, "encounters"),
                  marks = (long long) cw_json_get_int64(summary, "marks");

        snprintf(buf, size, _("  Text messages: %lld. Encounters recorded (visits, in person): %lld. Moments marked: "
                              "%lld.\n"), messages, encounters, marks);
        if (!messages && !encounters && !marks)
                buf[0] = '\0';
}

static const char *heat_char(int count) {
        return count == 0 ? "." : count == 1 ? "1" : count == 2 ? "2" : count < 10 ? "#" : "@";
}

/* What both reports start from. */
typedef struct report_head {
        json_object *calls, *summary, *numbers;
        char first[32], last[32], exported[32];
        heatmap h;
} report_head;

static report_head *read_head(json_object *manifest) {
        report_head *r = calloc(1, sizeof *r);

        if (!r)
                return NULL;
        r->calls = array_of(manifest, "calls");
        json_object_object_get_ex(manifest, "summary", &r->summary);
        r->numbers = array_of(r->summary, "numbers");
        local_minute(cw_json_get_string(manifest, "exported_at_local"), r->exported, sizeof r->exported, NULL);
        local_minute(cw_json_get_string(r->summary, "first_call"), r->first, sizeof r->first, NULL);
        local_minute(cw_json_get_string(r->summary, "last_call"), r->last, sizeof r->last, NULL);
        /* Only messages or encounters: there is no first call. */
        if (!cw_json_get_string(r->summary, "first_call")) {
                snprintf(r->first, sizeof r->first, "-");
                snprintf(r->last, sizeof r->last, "-");
        }
        build_heatmap(r->calls, &r->h);
        return r;
}

/* --- what the rules say ------------------------------------------------------ */

#define RULE_TAGS_MAX 16

/* The tags the presets' rules give, each once, in the presets' order. */
static size_t rule_tags(json_object *presets, const char *tags[static RULE_TAGS_MAX]) {
        size_t n = 0;

        for (size_t p = 0; p < length(presets); p++) {
                json_object *rules = array_of(json_object_array_get_idx(presets, p), "rules");

                for (size_t r = 0; r < length(rules); r++) {
                        const char *tag = cw_json_get_string(json_object_array_get_idx(rules, r), "tag");
                        bool seen = !tag;

                        for (size_t k = 0; k < n && !seen; k++)
                                seen = strcmp(tags[k], tag) == 0;
                        if (!seen && n < RULE_TAGS_MAX)
                                tags[n++] = tag;
                }
        }
        return n;
}

static void preset_label(json_object *preset, char *buf, size_t size) {
        if (strcmp(cw_json_get_string(preset, "id") ? cw_json_get_string(preset, "id") : "", "generic") == 0)
                snprintf(buf, size, "%s", _("callwitness default"));
        else
                snprintf(buf, size, "%s (%s)", cw_json_get_string(preset, "name") ? cw_json_get_string(preset, "name") : "",
                         cw_json_get_string(preset, "id"));
}

/* "China (mainland) (cn): quiet hours 22:00–08:00 [source]; callwitness
 * default: quiet hours 21:00–08:00": every rule giving the tag. */
static void rules_giving(json_object *presets, const char *tag, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t p = 0; p < length(presets); p++) {
                json_object *preset = json_object_array_get_idx(presets, p), *rules = array_of(preset, "rules");
                char label[256];

                preset_label(preset, label, sizeof label);
                for (size_t r = 0; r < length(rules) && len < size; r++) {
                        json_object *rule = json_object_array_get_idx(rules, r);
                        const char *source = cw_json_get_string(rule, "source");
                        int n;

                        if (strcmp(cw_json_get_string(rule, "tag") ? cw_json_get_string(rule, "tag") : "", tag) != 0)
                                continue;
                        n = snprintf(buf + len, size - len, "%s%s: %s", len ? "; " : "", label,
                                     cw_json_get_string(rule, "rule") ? cw_json_get_string(rule, "rule") : "");
                        len = n > 0 ? len + (size_t) n : len;
                        if (len < size && source && strcmp(cw_json_get_string(preset, "id"), "generic") != 0) {
                                n = snprintf(buf + len, size - len, " [%s]", source);
                                len = n > 0 ? len + (size_t) n : len;
                        }
                }
        }
}

static int64_t tag_count(json_object *caller, const char *tag) {
        json_object *tags, *count;

        return json_object_object_get_ex(caller, "tags", &tags) && json_object_object_get_ex(tags, tag, &count)
                       ? json_object_get_int64(count) : 0;
}

static void caller_heading(json_object *caller, char *buf, size_t size) {
        json_object *numbers = array_of(caller, "numbers");
        size_t len;
        int n = snprintf(buf, size, ngettext("%s: %lld call", "%s: %lld calls", (unsigned long) cw_json_get_int64(caller, "calls")),
                         shown(cw_json_get_string(caller, "caller")), (long long) cw_json_get_int64(caller, "calls"));

        len = n > 0 && (size_t) n < size ? (size_t) n : size - 1;
        for (size_t i = 0; i < length(numbers) && len + 1 < size; i++) {
                n = snprintf(buf + len, size - len, "%s%s", i ? ", " : " (",
                             shown(json_object_get_string(json_object_array_get_idx(numbers, i))));
                len = n > 0 && len + (size_t) n < size ? len + (size_t) n : size - 1;
        }
        if (length(numbers) && len + 1 < size)
                snprintf(buf + len, size - len, ")");
}

/* The manifest's "rules", ready to print; false when it has none. */
typedef struct rules_view {
        json_object *presets, *callers;
        const char *tags[RULE_TAGS_MAX];
        size_t n_tags;
} rules_view;

static bool read_rules(json_object *manifest, rules_view *v) {
        json_object *rules;

        if (!json_object_object_get_ex(manifest, "rules", &rules))
                return false;
        v->presets = array_of(rules, "presets");
        v->callers = array_of(rules, "callers");
        v->n_tags = rule_tags(v->presets, v->tags);
        return true;
}

/* "c1  2026-11-20 23:10  to Mother, from +86138… (Quick Collect Ltd)" */
static void contact_report_line(json_object *report, char *buf, size_t size) {
        char when[64];
        const char *caller = cw_json_get_string(report, "caller"), *number = cw_json_get_string(report, "number");

        local_minute(cw_json_get_string(report, "at"), when, sizeof when, NULL);
        snprintf(buf, size, _("c%lld  %s  to %s, from %s%s%s%s"), (long long) cw_json_get_int64(report, "id"), when,
                 cw_json_get_string(report, "contact") ? cw_json_get_string(report, "contact") : "",
                 number ? number : _("an unknown number"), caller && number && strcmp(caller, number) != 0 ? " (" : "",
                 caller && number && strcmp(caller, number) != 0 ? caller : "",
                 caller && number && strcmp(caller, number) != 0 ? ")" : "");
}

static void text_contact_reports(json_object *manifest, FILE *out) {
        json_object *reports = array_of(manifest, "contact_reports");
        char line[1024];

        if (!length(reports))
                return;
        fprintf(out, "\n%s\n", _("Calls to other people, as they reported them"));
        for (size_t i = 0; i < length(reports); i++) {
                json_object *report = json_object_array_get_idx(reports, i);

                contact_report_line(report, line, sizeof line);
                fprintf(out, "  %s\n", line);
                if (cw_json_get_string(report, "note")) {
                        fprintf(out, "%s", _("       note: "));
                        cw_text_write_indented(out, cw_json_get_string(report, "note"), "       | ");
                        fputc('\n', out);
                }
        }
}

static void text_rules(json_object *manifest, FILE *out) {
        char line[2048];
        rules_view v;

        if (!read_rules(manifest, &v))
                return;
        fprintf(out, "\n%s\n", _("What the rules say"));
        for (size_t p = 0; p < length(v.presets); p++) {
                json_object *preset = json_object_array_get_idx(v.presets, p);

                preset_label(preset, line, sizeof line);
                fprintf(out, _("  Judged by %s: %s\n"), line,
                        cw_json_get_string(preset, "force") ? cw_json_get_string(preset, "force") : "");
        }
        for (size_t c = 0; c < length(v.callers); c++) {
                json_object *caller = json_object_array_get_idx(v.callers, c);

                caller_heading(caller, line, sizeof line);
                fprintf(out, "  %s\n", line);
                for (size_t t = 0; t < v.n_tags; t++) {
                        rules_giving(v.presets, v.tags[t], line, sizeof line);
                        fprintf(out, ngettext("    %-18s %lld call went past: %s\n", "    %-18s %lld calls went past: %s\n",
                                              (unsigned long) tag_count(caller, v.tags[t])),
                                v.tags[t], (long long) tag_count(caller, v.tags[t]), line);
                }
        }
}

int cw_report_text(json_object *manifest, FILE *out) {
        report_head *head = read_head(manifest);

        if (!head)
                return -ENOMEM;
        json_object *calls = head->calls, *summary = head->summary, *numbers = head->numbers;
        const char *first = head->first, *last = head->last, *exported = head->exported;
        heatmap *h = &head->h;

        fprintf(out, "%s\n", _("Record of phone calls"));
        fprintf(out, _("Exported %s (%s) by callwitness; device key %s\n\n"), exported, cw_json_get_string(manifest, "time_zone"),
                cw_json_get_string(manifest, "device_key_id"));
        fprintf(out, "%s\n", _("Summary"));
        fprintf(out, _("  Calls: %lld. Numbers: %zu. At night: %lld.\n"), (long long) cw_json_get_int64(summary, "calls"),
                length(numbers), (long long) cw_json_get_int64(summary, "night_calls"));
        fprintf(out, _("  Answered: %lld. Not answered: %lld. First call %s, last call %s.\n"),
                (long long) cw_json_get_int64(summary, "answered"), (long long) cw_json_get_int64(summary, "missed"), first, last);
        {
                char line[256];

                encounters_line(summary, line, sizeof line);
                fprintf(out, "%s\n", line);
        }

        fprintf(out, "%s\n", _("Calls per number"));
        for (size_t i = 0; i < length(numbers); i++) {
                json_object *n = json_object_array_get_idx(numbers, i);

                fprintf(out, _("  %-20s calls: %lld, messages: %lld, at night: %lld\n"), shown(cw_json_get_string(n, "number")),
                        (long long) cw_json_get_int64(n, "calls"), (long long) cw_json_get_int64(n, "messages"),
                        (long long) cw_json_get_int64(n, "night"));
        }
        fprintf(out, "\n%s\n", _("Timeline (local time)"));
        for (size_t i = 0; i < length(calls); i++)
                text_call_line(out, json_object_array_get_idx(calls, i));

        text_rules(manifest, out);
        text_contact_reports(manifest, out);
        fprintf(out, "\n%s\n", _("When the calls came (calls per hour of day)"));
        fprintf(out, "             0         1         2   \n             012345678901234567890123\n");
        for (int d = 0; d < h->n_days; d++) {
                fprintf(out, "  %s ", h->days[d]);
                for (int hour = 0; hour < 24; hour++)
                        fputs(heat_char(h->counts[d][hour]), out);
                fputc('\n', out);
        }
        fprintf(out, "\n%s\n", _("Checking this bundle"));
        fprintf(out, _("  sha256sum -c SHA256SUMS\n  minisign -Vm SHA256SUMS -P %s\n"),
                cw_json_get_string(manifest, "device_public_key"));
        free(head);
        return ferror(out) ? -EIO : 0;
}

/* --- HTML --------------------------------------------------------------------------- */

static void html_escaped(FILE *out, const char *text) {
        for (; text && *text; text++)
                switch (*text) {
                case '<': fputs("&lt;", out); break;
                case '>': fputs("&gt;", out); break;
                case '&': fputs("&amp;", out); break;
                case '"': fputs("&quot;", out); break;
                default: fputc(*text, out); break;
                }
}

static void html_headers(FILE *out, const char *const *labels) {
        fprintf(out, "<tr>");
        for (; *labels; labels++) {
                fprintf(out, "<th>");
                html_escaped(out, *labels);
                fprintf(out, "</th>");
        }
        fprintf(out, "</tr>\n");
}

static void html_heatmap(FILE *out, const heatmap *h) {
        const int cell = 12, left = 78, top = 18;
        int width = left + 24 * cell + 4, height = top + h->n_days * cell + 4;

        fprintf(out, "<svg role=\"img\" viewBox=\"0 0 %d %d\" width=\"100%%\" style=\"max-width:%dpx\" "
                     "xmlns=\"http://www.w3.org/2000/svg\"><title>", width, height, width * 2);
        html_escaped(out, _("When the calls came (calls per hour of day)"));
        fprintf(out, "</title>");
        for (int hour = 0; hour < 24; hour += 3)
                fprintf(out, "<text x=\"%d\" y=\"12\" font-size=\"9\">%02d</text>", left + hour * cell, hour);
        for (int d = 0; d < h->n_days; d++) {
                fprintf(out, "<text x=\"0\" y=\"%d\" font-size=\"9\">%s</text>", top + d * cell + 9, h->days[d]);
                for (int hour = 0; hour < 24; hour++) {
                        int count = h->counts[d][hour];
                        /* night hours shaded, calls in red, darker with more */
                        const char *fill = count ? "#c0392b" : (hour < 8 || hour >= 21) ? "#dfe3ea" : "#f4f5f7";
                        double opacity = count ? 0.35 + 0.65 * count / (double) (h->max ? h->max : 1) : 1.0;

                        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                                     "fill-opacity=\"%.2f\"><title>%s %02d:00 — %d</title></rect>",
                                left + hour * cell, top + d * cell, cell - 1, cell - 1, fill, opacity, h->days[d], hour,
                                count);
                }
        }
        fprintf(out, "</svg>\n");
}

static void html_call_row(FILE *out, json_object *call) {
        char when[32];
        const char *outcome = cw_json_get_string(call, "outcome");
        json_object *tags = array_of(call, "tags"), *notes = array_of(call, "notes"), *caller = NULL,
                    *marks = array_of(call, "marks");

        local_minute(cw_json_get_string(call, "started_at"), when, sizeof when, NULL);
        fprintf(out, "<tr%s><td>%lld</td><td>%s</td><td>", has_tag(call, "night") ? " class=\"night\"" : "",
                (long long) cw_json_get_int64(call, "id"), when);
        html_escaped(out, direction_word(call));
        fprintf(out, "</td><td>");
        html_escaped(out, number_of(call));
        fprintf(out, "</td><td>");
        if (is_encounter(call) && outcome)
                print_seconds(out, cw_json_get_int64(call, "duration_ms"));
        else if (outcome && strcmp(outcome, "answered") == 0)
                print_seconds(out, cw_json_get_int64(call, "duration_ms"));
        else
                html_escaped(out, outcome ? _(outcome) : _("in progress"));
        fprintf(out, "</td><td>");
        if (is_message(call)) {
                char *text = message_text(call);

                fprintf(out, "<div class=\"sms\">");
                html_escaped(out, text ? text : "");
                fprintf(out, "</div>");
                free(text);
        }
        for (size_t i = 0; i < length(tags); i++) {
                json_object *tag = json_object_array_get_idx(tags, i);

                fprintf(out, "<b>");
                html_escaped(out, cw_json_get_string(tag, "tag"));
                fprintf(out, "</b>: ");
                html_escaped(out, cw_json_get_string(tag, "reason"));
                fprintf(out, "<br>");
        }
        json_object_object_get_ex(call, "caller", &caller);
        if (caller) {
                html_escaped(out, _("caller said:"));
                fprintf(out, " ");
                html_escaped(out, cw_json_get_string(caller, "company") ? cw_json_get_string(caller, "company") : "-");
                fprintf(out, ", ");
                html_escaped(out, cw_json_get_string(caller, "employee_id") ? cw_json_get_string(caller, "employee_id") : "-");
                if (cw_json_get_string(caller, "name")) {
                        fprintf(out, ", ");
                        html_escaped(out, cw_json_get_string(caller, "name"));
                }
                fprintf(out, "<br>");
        }
        for (size_t i = 0; i < length(notes); i++) {
                fprintf(out, "<i>");
                html_escaped(out, cw_json_get_string(json_object_array_get_idx(notes, i), "text"));
                fprintf(out, "</i><br>");
        }
        {
                char clock[600];

                if (clock_line(call, clock, sizeof clock)) {
                        fprintf(out, "<span class=\"clock\">");
                        html_escaped(out, _("clock:"));
                        fprintf(out, " ");
                        html_escaped(out, clock);
                        fprintf(out, "</span><br>");
                }
        }
        for (size_t i = 0; i < length(marks); i++) {
                json_object *mark = json_object_array_get_idx(marks, i);
                char line[CW_MARK_TEXT_MAX + 128];

                snprintf(line, sizeof line, _("mark at %s in the file: %s"), string_of(mark, "in_file"),
                         string_of(mark, "text"));
                fprintf(out, "<span class=\"mark\">");
                html_escaped(out, line);
                fprintf(out, "</span><br>");
        }
        /* The copy plays here, from the unpacked folder (a relative link);
         * every file is named with its size and hash. */
        for (size_t i = 0; i < length(array_of(call, "files")); i++) {
                json_object *file = json_object_array_get_idx(array_of(call, "files"), i);

                if (!is_playable_copy(file))
                        continue;
                fprintf(out, "<audio controls preload=\"none\" src=\"");
                html_escaped(out, string_of(file, "name"));
                fprintf(out, "\"></audio><br>");
        }
        for (size_t i = 0; i < length(array_of(call, "files")); i++) {
                json_object *file = json_object_array_get_idx(array_of(call, "files"), i);
                char bytes[32];

                size_words(cw_json_get_int64(file, "size"), bytes, sizeof bytes);
                fprintf(out, "<span class=\"file\"><a href=\"");
                html_escaped(out, string_of(file, "name"));
                fprintf(out, "\">");
                html_escaped(out, string_of(file, "name"));
                fprintf(out, "</a> (");
                html_escaped(out, role_words(cw_json_get_string(file, "role")));
                fprintf(out, ", %s)<br>SHA-256 <code>", bytes);
                html_escaped(out, string_of(file, "sha256"));
                fprintf(out, "</code></span><br>");
        }
        fprintf(out, "</td></tr>\n");
}

static void html_rules(json_object *manifest, FILE *out) {
        char line[2048];
        rules_view v;

        if (!read_rules(manifest, &v))
                return;
        fprintf(out, "<h2>");
        html_escaped(out, _("What the rules say"));
        fprintf(out, "</h2>\n<p>");
        for (size_t p = 0; p < length(v.presets); p++) {
                json_object *preset = json_object_array_get_idx(v.presets, p);
                char label[256];

                preset_label(preset, label, sizeof label);
                snprintf(line, sizeof line, _("  Judged by %s: %s\n"), label,
                         cw_json_get_string(preset, "force") ? cw_json_get_string(preset, "force") : "");
                html_escaped(out, line);
                fprintf(out, "<br>");
        }
        fprintf(out, "</p>\n");
        for (size_t c = 0; c < length(v.callers); c++) {
                json_object *caller = json_object_array_get_idx(v.callers, c);

                caller_heading(caller, line, sizeof line);
                fprintf(out, "<h3>");
                html_escaped(out, line);
                fprintf(out, "</h3>\n<div class=\"wide\"><table>");
                html_headers(out, (const char *[]) { _("Tag"), _("Calls"), _("Rules"), NULL });
                for (size_t t = 0; t < v.n_tags; t++) {
                        fprintf(out, "<tr><td>");
                        html_escaped(out, v.tags[t]);
                        fprintf(out, "</td><td>%lld</td><td>", (long long) tag_count(caller, v.tags[t]));
                        rules_giving(v.presets, v.tags[t], line, sizeof line);
                        html_escaped(out, line);
                        fprintf(out, "</td></tr>\n");
                }
                fprintf(out, "</table></div>\n");
        }
}

static void html_contact_reports(json_object *manifest, FILE *out) {
        json_object *reports = array_of(manifest, "contact_reports");
        char line[1024];

        if (!length(reports))
                return;
        fprintf(out, "<h2>");
        html_escaped(out, _("Calls to other people, as they reported them"));
        fprintf(out, "</h2>\n<ul>");
        for (size_t i = 0; i < length(reports); i++) {
                json_object *report = json_object_array_get_idx(reports, i);

                contact_report_line(report, line, sizeof line);
                fprintf(out, "<li>");
                html_escaped(out, line);
                if (cw_json_get_string(report, "note")) {
                        fprintf(out, "<br>");
                        html_escaped(out, cw_json_get_string(report, "note"));
                }
                fprintf(out, "</li>\n");
        }
        fprintf(out, "</ul>\n");
}

int cw_report_html(json_object *manifest, FILE *out) {
        report_head *head = read_head(manifest);
        /* Translators: the language tag of this translation, e.g. es or zh-CN. */
        const char *lang = _("en");
        char line[512];

        if (!head)
                return -ENOMEM;
        json_object *calls = head->calls, *summary = head->summary, *numbers = head->numbers;
        const char *first = head->first, *last = head->last, *exported = head->exported;
        heatmap *h = &head->h;

        fprintf(out, "<!DOCTYPE html>\n<html lang=\"");
        html_escaped(out, lang);
        fprintf(out, "\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
        html_escaped(out, _("Record of phone calls"));
        fprintf(out, "</title><style>"
                     ".sms{white-space:pre-wrap;border-left:3px solid #888;padding-left:.4em;margin:.2em 0}"
                     "body{font-family:sans-serif;margin:1em;line-height:1.4;color:#111}"
                     "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.4em}"
                     ".wide{overflow-x:auto}table{border-collapse:collapse;font-size:.9em}"
                     "td,th{border:1px solid #bbb;padding:.25em .4em;vertical-align:top;text-align:left}"
                     "tr.night td{background:#fbeaea}code{word-break:break-all}audio{width:100%%;max-width:22em;margin:.3em 0}"
                     /* On a phone each call of the timeline is a card, not a
                      * row too wide to read. */
                     "@media (max-width:600px){table.timeline,table.timeline tbody,table.timeline tr,"
                     "table.timeline td{display:block}table.timeline tr:first-child{display:none}"
                     "table.timeline tr{border:1px solid #bbb;margin:0 0 .6em}"
                     "table.timeline td{border:none;display:inline-block}"
                     "table.timeline td:last-child{display:block}"
                     /* The card is tinted, not only its cells: the header
                      * cells sit inline, and tinted alone they left a white
                      * block beside the number. */
                     "table.timeline tr.night{background:#fbeaea}}"
                     "@media print{.wide{overflow:visible}body{margin:0}}"
                     "</style></head><body>\n<h1>");
        html_escaped(out, _("Record of phone calls"));
        fprintf(out, "</h1>\n<p>");
        snprintf(line, sizeof line, _("Exported %s (%s) by callwitness; device key %s"), exported,
                 cw_json_get_string(manifest, "time_zone"), cw_json_get_string(manifest, "device_key_id"));
        html_escaped(out, line);
        fprintf(out, "</p>\n<h2>");
        html_escaped(out, _("Summary"));
        fprintf(out, "</h2>\n<p>");
        snprintf(line, sizeof line, _("Calls: %lld. Numbers: %zu. At night: %lld."),
                 (long long) cw_json_get_int64(summary, "calls"), length(numbers), (long long) cw_json_get_int64(summary, "night_calls"));
        html_escaped(out, line);
        fprintf(out, " ");
        snprintf(line, sizeof line, _("Answered: %lld. Not answered: %lld. First call %s, last call %s."),
                 (long long) cw_json_get_int64(summary, "answered"), (long long) cw_json_get_int64(summary, "missed"), first, last);
        html_escaped(out, line);
        encounters_line(summary, line, sizeof line);
        if (line[0]) {
                fprintf(out, "<br>");
                html_escaped(out, line);
        }
        fprintf(out, "</p>\n<h2>");
        html_escaped(out, _("Calls per number"));
        fprintf(out, "</h2>\n<div class=\"wide\"><table>");
        html_headers(out, (const char *[]) { _("Number"), _("Calls"), _("Messages"), _("At night"), NULL });
        for (size_t i = 0; i < length(numbers); i++) {
                json_object *n = json_object_array_get_idx(numbers, i);

                fprintf(out, "<tr><td>");
                html_escaped(out, shown(cw_json_get_string(n, "number")));
                fprintf(out, "</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>\n", (long long) cw_json_get_int64(n, "calls"),
                        (long long) cw_json_get_int64(n, "messages"), (long long) cw_json_get_int64(n, "night"));
        }
        fprintf(out, "</table></div>\n");
        html_rules(manifest, out);
        html_contact_reports(manifest, out);
        fprintf(out, "<h2>");
        html_escaped(out, _("When the calls came (calls per hour of day)"));
        fprintf(out, "</h2>\n");
        html_heatmap(out, h);
        fprintf(out, "<h2>");
        html_escaped(out, _("Timeline (local time)"));
        fprintf(out, "</h2>\n<div class=\"wide\"><table class=\"timeline\">");
        html_headers(out, (const char *[]) { "#", _("Time"), _("Direction"), _("Number"), _("Duration"),
                                             _("Tags, caller, notes, marks"), NULL });
        for (size_t i = 0; i < length(calls); i++)
                html_call_row(out, json_object_array_get_idx(calls, i));
        fprintf(out, "</table></div>\n<h2>");
        html_escaped(out, _("Checking this bundle"));
        fprintf(out, "</h2>\n<p><code>sha256sum -c SHA256SUMS</code><br><code>minisign -Vm SHA256SUMS -P ");
        html_escaped(out, cw_json_get_string(manifest, "device_public_key"));
        fprintf(out, "</code></p>\n</body></html>\n");
        free(head);
        return ferror(out) ? -EIO : 0;
}

/* Outcomes as words for translators: the manifest keeps the English key. */
static const char *const outcome_words[] __attribute__((unused)) = {
        N_("answered"), N_("missed"), N_("rejected"), N_("unanswered"), N_("recorded"), N_("received"),
        N_("deleted-unread"),
};
