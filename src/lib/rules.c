/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "callwitness/hash.h"
#include "callwitness/rules.h"
#include "ini-file.h"

#define _(text) gettext(text)

#define MINUTES_PER_DAY (24 * 60)
#define DAY_MS (24LL * 60 * 60 * 1000)
#define IDS_SHOWN 12

static const char *const weekday_names[7] = { "sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
                                              "saturday" };
#define N_(text) (text)
static const char *const weekday_display[7] = { N_("Sunday"), N_("Monday"), N_("Tuesday"), N_("Wednesday"),
                                                N_("Thursday"), N_("Friday"), N_("Saturday") };

/* --- loading ----------------------------------------------------------- */

typedef struct rule_section {
        const char *name;
        size_t offset;          /* of its cw_rule in cw_preset */
        bool calls, minutes, days;   /* which figures it takes (calls as "more_than" but for burst) */
} rule_section;

static const rule_section rule_sections[] = {
        { "quiet-hours", offsetof(cw_preset, quiet_hours), false, false, false },
        { "quiet-days", offsetof(cw_preset, quiet_days_rule), false, false, false },
        { "burst", offsetof(cw_preset, burst), true, true, false },
        { "daily", offsetof(cw_preset, daily), true, false, false },
        { "daily-unanswered", offsetof(cw_preset, daily_unanswered), true, false, false },
        { "daily-connected", offsetof(cw_preset, daily_connected), true, false, false },
        { "weekly", offsetof(cw_preset, weekly), true, false, true },
        { "after-conversation", offsetof(cw_preset, after_conversation), false, false, true },
        { "third-party", offsetof(cw_preset, third_party), false, false, false },
};

#define N_RULE_SECTIONS (sizeof rule_sections / sizeof rule_sections[0])

static cw_rule *rule_of(cw_preset *p, const rule_section *section) {
        return (cw_rule *) ((char *) p + section->offset);
}

static int set_count(cw_ini *ini, const char *section, const char *key, const char *value, int max, int *ret) {
        char *end;
        long n;

        errno = 0;
        n = strtol(value, &end, 10);
        if (errno || end == value || *end || n < 1 || n > max)
                return cw_ini_fail(ini, section, key, "'%s' is not a whole number from 1 to %d", value, max);
        *ret = (int) n;
        return 1;
}

static int set_days(cw_ini *ini, const char *section, const char *key, const char *value, unsigned *ret) {
        char **names = NULL;
        size_t n = 0;
        unsigned days = 0;
        int r = cw_ini_set_list(ini, section, key, value, ", \t", &names, &n);

        for (size_t i = 0; r && i < n; i++) {
                unsigned d = 0;

                while (d < 7 && strcasecmp(names[i], weekday_names[d]) != 0)
                        d++;
                if (d == 7)
                        r = cw_ini_fail(ini, section, key, "'%s' is not a day of the week (sunday … saturday)", names[i]);
                else
                        days |= 1u << d;
        }
        cw_ini_free_list(names, n);
        if (r)
                *ret = days;
        return r;
}

static int handle_key(cw_ini *ini, const char *section, const char *key, const char *value, void *userdata) {
        cw_preset *p = userdata;

        if (strcmp(section, "preset") == 0) {
                if (strcmp(key, "name") == 0)
                        return cw_ini_set_text(&p->name, value);
                if (strcmp(key, "force") == 0)
                        return cw_ini_set_text(&p->force, value);
                if (strcmp(key, "country_code") == 0) {
                        if (!value[0] || strspn(value, "0123456789") != strlen(value) || strlen(value) > 4)
                                return cw_ini_fail(ini, section, key, "'%s' is not a calling code (digits, no +)", value);
                        return cw_ini_set_text(&p->country_code, value);
                }
                return cw_ini_fail(ini, section, key, "unknown key");
        }
        for (size_t i = 0; i < N_RULE_SECTIONS; i++) {
                const rule_section *s = &rule_sections[i];
                cw_rule *rule = rule_of(p, s);

                if (strcmp(section, s->name) != 0)
                        continue;
                if (strcmp(key, "source") == 0)
                        return cw_ini_set_text(&rule->source, value);
                if (s->calls && strcmp(key, strcmp(s->name, "burst") == 0 ? "calls" : "more_than") == 0)
                        return set_count(ini, section, key, value, 1000, &rule->calls);
                if (s->minutes && strcmp(key, "minutes") == 0)
                        return set_count(ini, section, key, value, MINUTES_PER_DAY, &rule->minutes);
                if (s->days && strcmp(key, "days") == 0)
                        return set_count(ini, section, key, value, 366, &rule->days);
                if (strcmp(s->name, "quiet-hours") == 0 && strcmp(key, "hours") == 0) {
                        if (cw_windows_parse(value, p->quiet, CW_WINDOWS_MAX, &p->n_quiet) < 0)
                                return cw_ini_fail(ini, section, key, "'%s' is not a list of windows like 22:00-08:00",
                                                   value);
                        return 1;
                }
                if (strcmp(s->name, "quiet-days") == 0 && strcmp(key, "days") == 0)
                        return set_days(ini, section, key, value, &p->quiet_days);
                return cw_ini_fail(ini, section, key, "unknown key");
        }
        return cw_ini_fail(ini, section, key, "unknown section (known: preset, quiet-hours, quiet-days, burst, daily, "
                                              "daily-unanswered, daily-connected, weekly, after-conversation, "
                                              "third-party)");
}

/* A rule is in force only with its source and every figure it needs. */
static const char *incomplete_rule(cw_preset *p) {
        for (size_t i = 0; i < N_RULE_SECTIONS; i++) {
                const rule_section *s = &rule_sections[i];
                cw_rule *rule = rule_of(p, s);
                bool any = rule->source || rule->calls || rule->minutes || rule->days ||
                           (strcmp(s->name, "quiet-hours") == 0 && p->n_quiet) ||
                           (strcmp(s->name, "quiet-days") == 0 && p->quiet_days);
                bool figures = (!s->calls || rule->calls) && (!s->minutes || rule->minutes) &&
                               (!s->days || rule->days) &&
                               (strcmp(s->name, "quiet-hours") != 0 || p->n_quiet) &&
                               (strcmp(s->name, "quiet-days") != 0 || p->quiet_days);

                if (any && (!rule->source || !figures))
                        return s->name;
        }
        return NULL;
}

int cw_preset_load(const char *path, cw_preset *ret, char **error_message) {
        cw_preset p = { 0 };
        const char *incomplete;
        int r = cw_ini_parse(path, handle_key, &p, error_message);

        if (r == 0 && !p.name) {
                if (error_message && asprintf(error_message, "%s: [preset] name is missing", path) < 0)
                        *error_message = NULL;
                r = -EINVAL;
        }
        if (r == 0 && (incomplete = incomplete_rule(&p))) {
                if (error_message && asprintf(error_message, "%s: [%s] needs its figures and a source", path,
                                              incomplete) < 0)
                        *error_message = NULL;
                r = -EINVAL;
        }
        if (r == 0 && !(p.id = cw_ini_id_from_path(path)))
                r = -ENOMEM;
        if (r < 0) {
                cw_preset_clear(&p);
                return r;
        }
        *ret = p;
        return 0;
}

static int load_preset(const char *path, void *ret, char **error_message) {
        return cw_preset_load(path, ret, error_message);
}

int cw_preset_load_id(const char *dir, const char *id, cw_preset *ret, char **error_message) {
        return cw_ini_load_id(dir, id, "preset", load_preset, ret, error_message);
}

void cw_preset_clear(cw_preset *p) {
        free(p->id);
        free(p->name);
        free(p->force);
        free(p->country_code);
        for (size_t i = 0; i < N_RULE_SECTIONS; i++)
                free(rule_of(p, &rule_sections[i])->source);
        *p = (cw_preset) { 0 };
}

/* --- which preset -------------------------------------------------------- */

/* tzdata names a zone's country; a preset is a country's. Old names that
 * zone.tab no longer lists are here too. */
static const struct { const char *country, *preset; } country_presets[] = {
        { "US", "us" }, { "PR", "us" }, { "GU", "us" }, { "VI", "us" }, { "AS", "us" }, { "MP", "us" },
        { "CN", "cn" }, { "IN", "in" }, { "PH", "ph" }, { "MX", "mx" }, { "GB", "uk" }, { "IE", "ie" },
};
static const struct { const char *prefix, *preset; } zone_aliases[] = {
        { "US/", "us" }, { "PRC", "cn" }, { "Asia/Calcutta", "in" }, { "Asia/Chongqing", "cn" },
        { "Asia/Harbin", "cn" }, { "Mexico/", "mx" }, { "GB", "uk" }, { "Eire", "ie" },
};

static const char *country_of_zone(const char *zone, const char *zone_tab, char country[static 3]) {
        char line[512];
        FILE *f = fopen(zone_tab ? zone_tab : "/usr/share/zoneinfo/zone.tab", "re");
        const char *found = NULL;

        if (!f)
                return NULL;
        while (!found && fgets(line, sizeof line, f)) {
                char code[3], coordinates[64], name[256];

                if (line[0] == '#' || sscanf(line, "%2s %63s %255s", code, coordinates, name) != 3)
                        continue;
                if (strcmp(name, zone) == 0) {
                        memcpy(country, code, 3);
                        found = country;
                }
        }
        fclose(f);
        return found;
}

const char *cw_preset_for_zone(const char *zone, const char *zone_tab) {
        char country[3];

        if (!zone)
                return CW_PRESET_GENERIC;
        for (size_t i = 0; i < sizeof zone_aliases / sizeof zone_aliases[0]; i++) {
                size_t len = strlen(zone_aliases[i].prefix);

                if (strncmp(zone, zone_aliases[i].prefix, len) == 0 &&
                    (zone_aliases[i].prefix[len - 1] == '/' || zone[len] == '\0'))
                        return zone_aliases[i].preset;
        }
        if (country_of_zone(zone, zone_tab, country))
                for (size_t i = 0; i < sizeof country_presets / sizeof country_presets[0]; i++)
                        if (strcmp(country, country_presets[i].country) == 0)
                                return country_presets[i].preset;
        return CW_PRESET_GENERIC;
}

/* --- judging ------------------------------------------------------------- */

typedef struct text {
        char *buf;
        size_t size, len;
} text;

__attribute__((format(printf, 2, 3)))
static void append(text *t, const char *format, ...) {
        va_list ap;
        int n;

        if (t->len + 1 >= t->size)
                return;
        va_start(ap, format);
        n = vsnprintf(t->buf + t->len, t->size - t->len, format, ap);
        va_end(ap);
        if (n <= 0)
                return;
        if (t->len + (size_t) n < t->size) {
                t->len += (size_t) n;
                return;
        }
        /* Cut: never inside a character. */
        t->len = t->size - 1;
        {
                size_t lead = t->len;

                while (lead > 0 && ((unsigned char) t->buf[lead - 1] & 0xc0) == 0x80)
                        lead--;
                if (lead > 0 && ((unsigned char) t->buf[lead - 1] & 0x80)) {
                        unsigned char c = (unsigned char) t->buf[lead - 1];
                        size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

                        if (t->len - (lead - 1) < need)
                                t->len = lead - 1;
                }
                t->buf[t->len] = '\0';
        }
}

static int64_t local_day(const cw_timestamp *ts) {
        int64_t local_ms = ts->utc_ms + (int64_t) ts->utc_offset_s * 1000;

        return local_ms >= 0 ? local_ms / DAY_MS : -((-local_ms + DAY_MS - 1) / DAY_MS);
}

static void format_date(const cw_timestamp *ts, char buf[static 40]) {
        struct tm local;

        cw_timestamp_local_tm(ts, &local);
        snprintf(buf, 40, "%04d-%02d-%02d", local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

/* The contacts that make up a pattern: how many, the newest of them (to
 * name), and over how many numbers. */
#define PATTERN_NUMBERS_MAX 16
typedef struct pattern {
        size_t newest[IDS_SHOWN];   /* newest first */
        size_t n;
        const char *numbers[PATTERN_NUMBERS_MAX];
        size_t n_numbers;           /* PATTERN_NUMBERS_MAX: at least that many */
} pattern;

/* Added newest first. */
static void pattern_add(pattern *p, const cw_contact *contacts, size_t i) {
        const char *number = contacts[i].number;
        bool seen = false;

        if (p->n < IDS_SHOWN)
                p->newest[p->n] = i;
        p->n++;
        for (size_t k = 0; k < p->n_numbers && !seen; k++)
                seen = number && strcmp(p->numbers[k], number) == 0;
        if (!seen && number && p->n_numbers < PATTERN_NUMBERS_MAX)
                p->numbers[p->n_numbers++] = number;
}

static void append_ids(text *t, const cw_contact *contacts, const pattern *p) {
        size_t shown = p->n < IDS_SHOWN ? p->n : IDS_SHOWN;

        append(t, " (%s ", p->n == 1 ? _("call") : _("calls"));
        if (p->n > shown)
                append(t, "…, ");
        for (size_t k = shown; k-- > 0;) {
                const cw_contact *c = &contacts[p->newest[k]];

                if (k + 1 < shown)
                        append(t, ", ");
                if (c->id > 0)
                        append(t, "%lld", (long long) c->id);
                else
                        append(t, "%s", _("this call"));
        }
        append(t, ")");
}

static bool same_caller(const cw_contact *a, const cw_contact *b) {
        if (!a->attempt || !b->attempt)
                return false;
        if (a->caller_key && b->caller_key)
                return a->caller_key == b->caller_key;
        return strcmp(a->caller, b->caller) == 0;
}

/* Who names the rule: "United States (us)", "callwitness default". */
static void append_preset(text *t, const cw_preset *p) {
        if (strcmp(p->id, CW_PRESET_GENERIC) == 0)
                append(t, "%s", _("callwitness default"));
        else
                append(t, "%s (%s)", p->name, p->id);
}

static void append_source(text *t, const cw_rule *rule, const cw_preset *p) {
        if (strcmp(p->id, CW_PRESET_GENERIC) != 0)
                append(t, " [%s; %s]", rule->source, p->force ? p->force : "");
}

typedef enum kind { BURST, DAILY, DAILY_UNANSWERED, DAILY_CONNECTED, WEEKLY, AFTER_CONVERSATION, N_KINDS } kind;

static const cw_rule *rule_for(const cw_preset *p, kind k) {
        const cw_rule *rules[N_KINDS] = { &p->burst, &p->daily, &p->daily_unanswered, &p->daily_connected, &p->weekly,
                                          &p->after_conversation };

        return rules[k]->source ? rules[k] : NULL;
}

static const char *const kind_tags[N_KINDS] = { "burst", "daily", "daily", "daily", "weekly", "after-conversation" };

/* How far back (ms) a kind's pattern can reach: contacts are in time
 * order, so the scan stops there. A day more for local dates. */
static int64_t reach_ms(kind k, const cw_rule *rule) {
        switch (k) {
        case BURST:
                return (int64_t) rule->minutes * 60000;
        case WEEKLY:
        case AFTER_CONVERSATION:
                return ((int64_t) rule->days + 1) * DAY_MS;
        default:
                return 2 * DAY_MS;
        }
}

/* Whether contacts[i] completes the rule's pattern; fills *p. */
static bool fires(kind k, const cw_rule *rule, const cw_contact *contacts, size_t i, pattern *p) {
        const cw_contact *c = &contacts[i];
        int64_t day = local_day(&c->at), reach = reach_ms(k, rule);

        *p = (pattern) { .n = 0 };
        if (!c->attempt || c->message)
                return false;
        if ((k == DAILY_UNANSWERED && c->conversation) || (k == DAILY_CONNECTED && !c->conversation))
                return false;
        pattern_add(p, contacts, i);
        for (size_t j = i; j-- > 0;) {
                const cw_contact *o = &contacts[j];

                if (c->at.utc_ms - o->at.utc_ms > reach)
                        break;
                if (o->message || !same_caller(o, c))
                        continue;
                if (k == AFTER_CONVERSATION) {
                        if (o->conversation && day - local_day(&o->at) < rule->days) {
                                pattern_add(p, contacts, j);
                                return true;
                        }
                        continue;
                }
                if ((k == DAILY_UNANSWERED && o->conversation) || (k == DAILY_CONNECTED && !o->conversation))
                        continue;
                if (k == BURST ||
                    ((k == DAILY || k == DAILY_UNANSWERED || k == DAILY_CONNECTED) && local_day(&o->at) == day) ||
                    (k == WEEKLY && day - local_day(&o->at) < rule->days))
                        pattern_add(p, contacts, j);
        }
        if (k == AFTER_CONVERSATION)
                return false;
        return k == BURST ? p->n >= (size_t) rule->calls : p->n > (size_t) rule->calls;
}

static void append_fact(text *t, kind k, const cw_rule *rule, const cw_contact *contacts, size_t i, const pattern *p) {
        const cw_contact *c = &contacts[i];
        char date[40];
        size_t numbers = p->n_numbers;

        format_date(&c->at, date);
        switch (k) {
        case BURST:
                append(t, _("%zu calls from %s within %d minutes"), p->n, c->caller_label, rule->minutes);
                break;
        case DAILY:
                append(t, _("%zu calls from %s on %s (local date)"), p->n, c->caller_label, date);
                break;
        case DAILY_UNANSWERED:
                append(t, _("%zu unanswered calls from %s on %s (local date)"), p->n, c->caller_label, date);
                break;
        case DAILY_CONNECTED:
                append(t, _("%zu answered calls from %s on %s (local date)"), p->n, c->caller_label, date);
                break;
        case WEEKLY:
                append(t, _("%zu calls from %s within %d days"), p->n, c->caller_label, rule->days);
                break;
        case AFTER_CONVERSATION:
                format_date(&contacts[p->newest[1]].at, date);
                append(t, _("a call from %s after a conversation with them on %s"), c->caller_label, date);
                break;
        case N_KINDS:
                break;
        }
        if (k != AFTER_CONVERSATION && numbers > 1)
                append(t, numbers < PATTERN_NUMBERS_MAX ? _(" over %zu numbers") : _(" over %zu numbers or more"),
                       numbers);
        append_ids(t, contacts, p);
}

static void append_rule(text *t, kind k, const cw_rule *rule) {
        switch (k) {
        case BURST:
                append(t, _("%d calls within %d minutes"), rule->calls, rule->minutes);
                break;
        case DAILY:
                append(t, _("more than %d calls a day"), rule->calls);
                break;
        case DAILY_UNANSWERED:
                append(t, _("more than %d unanswered calls a day"), rule->calls);
                break;
        case DAILY_CONNECTED:
                append(t, _("more than %d answered calls a day"), rule->calls);
                break;
        case WEEKLY:
                append(t, _("more than %d calls within %d consecutive days"), rule->calls, rule->days);
                break;
        case AFTER_CONVERSATION:
                append(t, _("no call within %d days of a telephone conversation"), rule->days);
                break;
        case N_KINDS:
                break;
        }
}

static void append_windows(text *t, const cw_window *windows, size_t n) {
        for (size_t w = 0; w < n; w++) {
                char window_text[CW_WINDOW_TEXT_MAX];

                cw_window_format(&windows[w], window_text);
                append(t, "%s%s", w ? ", " : "", window_text);
        }
}

int cw_preset_foreach_rule(const cw_preset *p, cw_rule_fn cb, void *userdata) {
        char buf[256];
        text t = { .buf = buf, .size = sizeof buf };
        int r;

        if (p->quiet_hours.source) {
                append(&t, "%s", _("quiet hours "));
                append_windows(&t, p->quiet, p->n_quiet);
                if ((r = cb("night", buf, p->quiet_hours.source, userdata)) != 0)
                        return r;
        }
        if (p->quiet_days_rule.source) {
                t.len = 0;
                append(&t, "%s", _("no calls on these days:"));
                for (unsigned d = 0; d < 7; d++)
                        if (p->quiet_days & (1u << d))
                                append(&t, " %s", _(weekday_display[d]));
                if ((r = cb("quiet-day", buf, p->quiet_days_rule.source, userdata)) != 0)
                        return r;
        }
        for (kind k = 0; k < N_KINDS; k++) {
                const cw_rule *rule = rule_for(p, k);

                if (!rule)
                        continue;
                t.len = 0;
                append_rule(&t, k, rule);
                if ((r = cb(kind_tags[k], buf, rule->source, userdata)) != 0)
                        return r;
        }
        /* Judged on the calls to other people a person reports
         * (callwitness contact-call), not on the user's own calls. */
        if (p->third_party.source)
                return cb("third-party", _("no calls to people other than the borrower about the debt"),
                          p->third_party.source, userdata);
        return 0;
}

static cw_tag *find_tag(cw_tag *tags, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(tags[i].name, name) == 0)
                        return &tags[i];
        return NULL;
}

/* The presets a call is judged by: the jurisdiction's first, then the
 * default (once, if they are the same). */
static size_t presets_of(const cw_judge *judge, const cw_preset *presets[static 2]) {
        size_t n = 0;

        if (judge->jurisdiction)
                presets[n++] = judge->jurisdiction;
        if (judge->generic && (!judge->jurisdiction || strcmp(judge->jurisdiction->id, judge->generic->id) != 0))
                presets[n++] = judge->generic;
        return n;
}

static void judge_frequency(const cw_judge *judge, const cw_contact *contacts, size_t i, cw_tag *tags, size_t max,
                            size_t *n_tags) {
        const cw_preset *presets[2];
        size_t n_presets = presets_of(judge, presets);

        for (kind k = 0; k < N_KINDS; k++) {
                text t = { 0 };
                bool fired = false;
                cw_tag *tag;

                for (size_t p = 0; p < n_presets; p++) {
                        const cw_rule *rule = rule_for(presets[p], k);
                        pattern pat;

                        if (!rule || !fires(k, rule, contacts, i, &pat))
                                continue;
                        tag = find_tag(tags, *n_tags, kind_tags[k]);
                        if (!tag) {
                                if (*n_tags >= max)
                                        return;
                                tag = &tags[(*n_tags)++];
                                snprintf(tag->name, sizeof tag->name, "%s", kind_tags[k]);
                                tag->reason[0] = '\0';
                        }
                        t = (text) { .buf = tag->reason, .size = sizeof tag->reason, .len = strlen(tag->reason) };
                        if (!fired) {
                                if (t.len)
                                        append(&t, "; ");
                                append_fact(&t, k, rule, contacts, i, &pat);
                                append(&t, " —");
                        } else
                                append(&t, ";");
                        append(&t, " ");
                        append_preset(&t, presets[p]);
                        append(&t, ": ");
                        append_rule(&t, k, rule);
                        append_source(&t, rule, presets[p]);
                        fired = true;
                }
        }
}

static bool in_windows(const cw_window *windows, size_t n, int minute) {
        for (size_t w = 0; w < n; w++)
                if (cw_window_contains(&windows[w], minute))
                        return true;
        return false;
}

/* Night: inside the jurisdiction's quiet hours or the default ones (or the
 * user's, which replace the default). The jurisdiction's hours are named
 * whenever the call is tagged, inside them or not: the stricter rule is
 * what a complaint cites. */
static void judge_night(const cw_judge *judge, const cw_contact *c, cw_tag *tags, size_t max, size_t *n_tags) {
        const cw_preset *j = judge->jurisdiction && judge->generic && strcmp(judge->jurisdiction->id, judge->generic->id) == 0
                                     ? NULL
                                     : judge->jurisdiction;
        const cw_window *own = judge->night_set ? judge->night : judge->generic ? judge->generic->quiet : NULL;
        size_t n_own = judge->night_set ? judge->n_night : judge->generic ? judge->generic->n_quiet : 0;
        struct tm local;
        int minute, offset = c->at.utc_offset_s;
        bool in_own, in_j;
        cw_tag *tag;
        text t;

        if (judge->night_set && judge->n_night == 0)
                return;   /* night = off */
        cw_timestamp_local_tm(&c->at, &local);
        minute = local.tm_hour * 60 + local.tm_min;
        in_own = in_windows(own, n_own, minute);
        in_j = j && j->quiet_hours.source && in_windows(j->quiet, j->n_quiet, minute);
        if ((!in_own && !in_j) || *n_tags >= max)
                return;
        tag = &tags[(*n_tags)++];
        snprintf(tag->name, sizeof tag->name, "night");
        t = (text) { .buf = tag->reason, .size = sizeof tag->reason };
        tag->reason[0] = '\0';
        if (c->message)
                append(&t, _("arrived at %02d:%02d local time (UTC%c%02d:%02d)"), local.tm_hour, local.tm_min,
                       offset < 0 ? '-' : '+', (offset < 0 ? -offset : offset) / 3600,
                       ((offset < 0 ? -offset : offset) / 60) % 60);
        else
                append(&t, _("started at %02d:%02d local time (UTC%c%02d:%02d)"), local.tm_hour, local.tm_min,
                       offset < 0 ? '-' : '+', (offset < 0 ? -offset : offset) / 3600,
                       ((offset < 0 ? -offset : offset) / 60) % 60);
        if (j && j->quiet_hours.source) {
                append(&t, in_j ? _(", inside the quiet hours of ") : _(", outside the quiet hours of "));
                append_preset(&t, j);
                append(&t, ": ");
                append_windows(&t, j->quiet, j->n_quiet);
                append_source(&t, &j->quiet_hours, j);
        }
        if (in_own) {
                append(&t, "%s", j && j->quiet_hours.source ? "; " : ", ");
                append(&t, "%s", judge->night_set ? _("inside your quiet hours ") : _("inside the quiet hours "));
                append_windows(&t, own, n_own);
                if (!judge->night_set) {
                        append(&t, " (");
                        append(&t, "%s", _("callwitness default"));
                        append(&t, ")");
                }
        }
}

static void judge_quiet_day(const cw_judge *judge, const cw_contact *c, cw_tag *tags, size_t max, size_t *n_tags) {
        const cw_preset *presets[2];
        size_t n_presets = presets_of(judge, presets);
        struct tm local;

        cw_timestamp_local_tm(&c->at, &local);
        for (size_t p = 0; p < n_presets; p++) {
                const cw_preset *preset = presets[p];
                cw_tag *tag;
                text t;

                if (!preset->quiet_days_rule.source || !(preset->quiet_days & (1u << local.tm_wday)) || *n_tags >= max)
                        continue;
                tag = &tags[(*n_tags)++];
                snprintf(tag->name, sizeof tag->name, "quiet-day");
                t = (text) { .buf = tag->reason, .size = sizeof tag->reason };
                tag->reason[0] = '\0';
                append(&t, _("started on a %s — "), _(weekday_display[local.tm_wday]));
                append_preset(&t, preset);
                append(&t, ": ");
                append(&t, _("no calls on these days:"));
                for (unsigned d = 0; d < 7; d++)
                        if (preset->quiet_days & (1u << d))
                                append(&t, " %s", _(weekday_display[d]));
                append_source(&t, &preset->quiet_days_rule, preset);
                return;
        }
}

size_t cw_judge_contact(const cw_judge *judge, const cw_contact *contacts, size_t i, cw_tag *tags, size_t max) {
        size_t n = 0;

        judge_night(judge, &contacts[i], tags, max, &n);
        judge_quiet_day(judge, &contacts[i], tags, max, &n);
        judge_frequency(judge, contacts, i, tags, max, &n);
        return n;
}

/* --- the rulebook ---------------------------------------------------------- */

struct cw_rulebook {
        cw_preset generic, jurisdiction;
        cw_window night[CW_WINDOWS_MAX];
        cw_judge judge;
        char *country_code;
};

int cw_rulebook_load(const char *presets_dir, const cw_rulebook_settings *settings, cw_rulebook **ret,
                     char **error_message) {
        cw_rulebook *rb = calloc(1, sizeof *rb);
        const char *id = settings->preset ? settings->preset : cw_preset_for_zone(settings->zone, NULL);
        const char *country_code;
        int r;

        if (!rb)
                return -ENOMEM;
        r = cw_preset_load_id(presets_dir, CW_PRESET_GENERIC, &rb->generic, error_message);
        if (r == 0)
                r = cw_preset_load_id(presets_dir, id, &rb->jurisdiction, error_message);
        if (r < 0) {
                cw_rulebook_free(rb);
                return r;
        }
        country_code = settings->country_code ? settings->country_code : rb->jurisdiction.country_code;
        if (country_code && !(rb->country_code = strdup(country_code))) {
                cw_rulebook_free(rb);
                return -ENOMEM;
        }
        if (settings->night_set) {
                memcpy(rb->night, settings->night, settings->n_night * sizeof rb->night[0]);
                rb->judge.n_night = settings->n_night;
        }
        rb->judge.generic = &rb->generic;
        rb->judge.jurisdiction = &rb->jurisdiction;
        rb->judge.night = rb->night;
        rb->judge.night_set = settings->night_set;
        *ret = rb;
        return 0;
}

cw_rulebook *cw_rulebook_free(cw_rulebook *rb) {
        if (!rb)
                return NULL;
        cw_preset_clear(&rb->generic);
        cw_preset_clear(&rb->jurisdiction);
        free(rb->country_code);
        free(rb);
        return NULL;
}

const cw_preset *cw_rulebook_jurisdiction(const cw_rulebook *rb) {
        return &rb->jurisdiction;
}

const cw_preset *cw_rulebook_generic(const cw_rulebook *rb) {
        return &rb->generic;
}

const cw_judge *cw_rulebook_judge(const cw_rulebook *rb) {
        return &rb->judge;
}

const char *cw_rulebook_preset(const cw_rulebook *rb) {
        return rb->jurisdiction.id;
}

const char *cw_rulebook_country_code(const cw_rulebook *rb) {
        return rb->country_code;
}

int cw_rulebook_span_days(const cw_rulebook *rb) {
        const cw_preset *presets[] = { &rb->generic, &rb->jurisdiction };
        int days = 1;

        for (size_t i = 0; i < 2; i++) {
                if (presets[i]->weekly.source && presets[i]->weekly.days > days)
                        days = presets[i]->weekly.days;
                if (presets[i]->after_conversation.source && presets[i]->after_conversation.days > days)
                        days = presets[i]->after_conversation.days;
        }
        /* A local day is judged by its date: a day's margin for the offset. */
        return days + 1;
}

static void describe_preset(FILE *f, const cw_preset *p) {
        fprintf(f, "preset %s\n%s\n%s\n%s\n", p->id, p->name, p->force ? p->force : "", p->country_code ? p->country_code : "");
        for (size_t w = 0; w < p->n_quiet; w++)
                fprintf(f, "quiet %d-%d\n", p->quiet[w].start_min, p->quiet[w].end_min);
        fprintf(f, "days %u\n", p->quiet_days);
        for (size_t i = 0; i < N_RULE_SECTIONS; i++) {
                const cw_rule *rule = rule_of((cw_preset *) p, &rule_sections[i]);

                fprintf(f, "%s %s %d %d %d\n", rule_sections[i].name, rule->source ? rule->source : "-", rule->calls,
                        rule->minutes, rule->days);
        }
}

int cw_rulebook_fingerprint(const cw_rulebook *rb, char out[static CW_RULES_FINGERPRINT_LEN + 1]) {
        char *description = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&description, &size);
        int r;

        if (!f)
                return -ENOMEM;
        fprintf(f, "callwitness %s\n", CW_VERSION);
        describe_preset(f, &rb->generic);
        describe_preset(f, &rb->jurisdiction);
        fprintf(f, "country %s\nnight %d", rb->country_code ? rb->country_code : "", rb->judge.night_set);
        for (size_t w = 0; w < rb->judge.n_night; w++)
                fprintf(f, " %d-%d", rb->night[w].start_min, rb->night[w].end_min);
        if (fclose(f) != 0) {
                free(description);
                return -ENOMEM;
        }
        r = cw_sha256_buffer(description, size, out);
        free(description);
        return r;
}
