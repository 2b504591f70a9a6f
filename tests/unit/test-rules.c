/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/number.h"
#include "callwitness/rules.h"
#include "tap.h"

static const char *presets_dir;

static cw_preset load(const char *id) {
        cw_preset p;
        char *error = NULL;

        if (cw_preset_load_id(presets_dir, id, &p, &error) < 0) {
                printf("# %s\n", error ? error : id);
                abort();
        }
        return p;
}

/* A history: each contact at a local time ("2026-11-24 21:59") in zone. */
typedef struct history {
        cw_contact contacts[128];
        char callers[128][64], numbers[128][CW_NUMBER_MAX];
        size_t n;
        const char *zone;
        const char *country_code;
} history;

static cw_timestamp local_time(const char *zone, const char *text) {
        struct tm tm = { 0 };

        setenv("TZ", zone, 1);
        tzset();
        if (sscanf(text, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                   &tm.tm_sec) < 5)
                abort();
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        tm.tm_isdst = -1;
        return cw_timestamp_from_utc_ms((int64_t) mktime(&tm) * 1000);
}

/* caller: a collector's name, or NULL to count by the number. */
static void add(history *h, const char *when, const char *number, const char *collector, bool answered) {
        cw_contact *c = &h->contacts[h->n];

        cw_number_canonical(number, h->country_code ? h->country_code : "86", h->numbers[h->n]);
        snprintf(h->callers[h->n], sizeof h->callers[0], "%s", collector ? collector : h->numbers[h->n]);
        *c = (cw_contact) { .id = (int64_t) h->n + 1, .at = local_time(h->zone, when), .attempt = true,
                            .conversation = answered, .caller = h->callers[h->n],
                            .caller_label = cw_number_is_withheld(number) ? "withheld callers" : h->callers[h->n],
                            .number = h->numbers[h->n] };
        h->n++;
}

static const cw_tag *judge_last(const history *h, const cw_preset *generic, const cw_preset *jurisdiction,
                                const char *name, cw_tag tags[static CW_JUDGE_TAGS_MAX]) {
        cw_judge judge = { .generic = generic, .jurisdiction = jurisdiction };
        size_t n = cw_judge_contact(&judge, h->contacts, h->n - 1, tags, CW_JUDGE_TAGS_MAX);

        for (size_t i = 0; i < n; i++)
                if (strcmp(tags[i].name, name) == 0)
                        return &tags[i];
        return NULL;
}

static void canonical_numbers(void) {
        char out[CW_NUMBER_MAX];

        cw_number_canonical("+86 138-0013-8000", "86", out);
        ok(strcmp(out, "+8613800138000") == 0, "blanks and dashes go: %s", out);
        cw_number_canonical("008613800138000", "86", out);
        ok(strcmp(out, "+8613800138000") == 0, "00 is the international prefix: %s", out);
        cw_number_canonical("13800138000", "86", out);
        ok(strcmp(out, "+8613800138000") == 0, "a national mobile number gets +86: %s", out);
        cw_number_canonical("010 6552 9988", "86", out);
        ok(strcmp(out, "+861065529988") == 0, "the trunk 0 goes: %s", out);
        cw_number_canonical("(212) 555-0100", "1", out);
        ok(strcmp(out, "+12125550100") == 0, "a US number of 10 digits: %s", out);
        cw_number_canonical("1 212 555 0100", "1", out);
        ok(strcmp(out, "+12125550100") == 0, "a US number with its 1: %s", out);
        cw_number_canonical("011 44 20 7946 0000", "1", out);
        ok(strcmp(out, "+442079460000") == 0, "011 from the US: %s", out);
        cw_number_canonical("95588", "86", out);
        ok(strcmp(out, "95588") == 0, "a service code stays: %s", out);
        cw_number_canonical("13800138000", NULL, out);
        ok(strcmp(out, "13800138000") == 0, "no country code: digits: %s", out);
        cw_number_canonical("*31#", "86", out);
        ok(strcmp(out, "*31#") == 0, "not a number: as written: %s", out);
        cw_number_canonical(NULL, "86", out);
        ok(strcmp(out, CW_NUMBER_WITHHELD) == 0, "no number is withheld");
        cw_number_canonical("Anonymous", "86", out);
        ok(strcmp(out, CW_NUMBER_WITHHELD) == 0, "'Anonymous' is withheld");
        cw_number_canonical("   ", "86", out);
        ok(strcmp(out, CW_NUMBER_WITHHELD) == 0, "blanks are withheld");
        cw_number_canonical("000", "86", out);
        ok(strcmp(out, "000") == 0, "000 is a service code, not +0: %s", out);
        {
                char a[CW_NUMBER_MAX], b[CW_NUMBER_MAX], long_a[120], long_b[120];

                memset(long_a, '1', 100);
                long_a[100] = '\0';
                memcpy(long_b, long_a, 101);
                long_b[99] = '2';
                cw_number_canonical(long_a, "86", a);
                cw_number_canonical(long_b, "86", b);
                ok(strcmp(a, b) != 0 && strncmp(a, "not-a-number:", 13) == 0,
                   "two 100-digit numbers are two keys: %s, %s", a, b);
                cw_number_canonical("138\n0013", "86", a);
                cw_number_canonical("\u202e8000", "86", b);
                ok(strncmp(a, "not-a-number:", 13) == 0 && strncmp(b, "not-a-number:", 13) == 0,
                   "a newline or a bidirectional override is never shown: %s, %s", a, b);
        }
}

static void us_weekly_edge(void) {
        cw_preset generic = load("generic"), us = load("us");
        history h = { .zone = "America/New_York", .country_code = "1" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;
        /* Seven days, one call a day at noon: never a burst or a daily. */
        const char *days[] = { "2026-11-10 12:00", "2026-11-11 12:00", "2026-11-12 12:00", "2026-11-13 12:00",
                               "2026-11-14 12:00", "2026-11-15 12:00", "2026-11-16 10:00", "2026-11-16 12:00" };

        for (size_t i = 0; i < 7; i++)
                add(&h, days[i], "2125550100", NULL, false);
        ok(!judge_last(&h, &generic, &us, "weekly", tags), "the 7th call in 7 days is not weekly");
        add(&h, days[7], "2125550100", NULL, false);
        tag = judge_last(&h, &generic, &us, "weekly", tags);
        ok(tag, "the 8th call in 7 days is weekly");
        if (tag) {
                printf("# %s\n", tag->reason);
                ok(strstr(tag->reason, "12 CFR 1006.14(b)(2)(i)"), "the reason cites the regulation");
                ok(strstr(tag->reason, "more than 7 calls within 7 consecutive days"), "and its figures");
                ok(strstr(tag->reason, "8 calls from"), "and the count");
                ok(strstr(tag->reason, "(calls 1, 2, 3, 4, 5, 6, 7, 8)"), "and the calls");
                ok(strstr(tag->reason, "callwitness default"), "the default fires too and is named");
        }
        /* The first call falls out of the 7 days: 7 in the last 7. */
        h.n = 0;
        add(&h, "2026-11-09 12:00", "2125550100", NULL, false);
        for (size_t i = 1; i < 8; i++)
                add(&h, days[i], "2125550100", NULL, false);
        ok(!judge_last(&h, &generic, &us, "weekly", tags), "8 calls over 8 days are not weekly");
        cw_preset_clear(&generic);
        cw_preset_clear(&us);
}

static void us_after_conversation(void) {
        cw_preset generic = load("generic"), us = load("us");
        history h = { .zone = "America/New_York", .country_code = "1" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;

        add(&h, "2026-11-10 12:00", "2125550100", NULL, true);
        add(&h, "2026-11-16 23:59", "2125550100", NULL, false);
        tag = judge_last(&h, &generic, &us, "after-conversation", tags);
        ok(tag, "a call on the 7th day from the conversation's (its day counted) is after-conversation");
        if (tag) {
                printf("# %s\n", tag->reason);
                ok(strstr(tag->reason, "12 CFR 1006.14(b)(2)(ii)"), "citing the regulation");
        }
        h.n = 1;
        add(&h, "2026-11-17 00:01", "2125550100", NULL, false);
        ok(!judge_last(&h, &generic, &us, "after-conversation", tags), "on the 8th day it is not");
        h.n = 1;
        add(&h, "2026-11-11 12:00", "2125550199", NULL, false);
        ok(!judge_last(&h, &generic, &us, "after-conversation", tags), "another number is another caller");
        cw_preset_clear(&generic);
        cw_preset_clear(&us);
}

static void generic_burst_edge(void) {
        cw_preset generic = load("generic");
        history h = { .zone = "Europe/Madrid" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;

        add(&h, "2026-11-24 12:00:00", "+34600000001", NULL, false);
        add(&h, "2026-11-24 12:04:59", "+34600000001", NULL, false);
        tag = judge_last(&h, &generic, NULL, "burst", tags);
        ok(tag, "4:59 apart is a burst");
        if (tag) {
                printf("# %s\n", tag->reason);
                ok(strstr(tag->reason, "2 calls from +34600000001 within 5 minutes (calls 1, 2)"), "naming both calls");
                ok(strstr(tag->reason, "callwitness default: 2 calls within 5 minutes"), "and the default rule");
        }
        h.n = 1;
        add(&h, "2026-11-24 12:05:01", "+34600000001", NULL, false);
        ok(!judge_last(&h, &generic, NULL, "burst", tags), "5:01 apart is not");
        cw_preset_clear(&generic);
}

static void cn_quiet_hours_edge(void) {
        cw_preset generic = load("generic"), cn = load("cn");
        history h = { .zone = "Asia/Shanghai" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;

        add(&h, "2026-11-24 21:59", "13800138000", NULL, false);
        tag = judge_last(&h, &generic, &cn, "night", tags);
        ok(tag, "21:59 in Shanghai keeps the night tag (the default's 21:00)");
        if (tag) {
                printf("# %s\n", tag->reason);
                ok(strstr(tag->reason, "outside the quiet hours of China (mainland) (cn): 22:00"),
                   "naming cn's 22:00 as the stricter rule");
                ok(strstr(tag->reason, "inside the quiet hours 21:00–08:00 (callwitness default)"), "and the default");
        }
        h.n = 0;
        add(&h, "2026-11-24 22:00", "13800138000", NULL, false);
        tag = judge_last(&h, &generic, &cn, "night", tags);
        ok(tag && strstr(tag->reason, "inside the quiet hours of China (mainland) (cn): 22:00–08:00"),
           "22:00 is inside cn's quiet hours");
        ok(tag && strstr(tag->reason, "China Banking Association"), "citing the guideline");
        {
                cw_window windows[CW_WINDOWS_MAX];
                size_t n;
                cw_judge judge = { .generic = &generic, .jurisdiction = &cn, .night = windows, .night_set = true };

                cw_windows_parse("23:00-06:00", windows, CW_WINDOWS_MAX, &n);
                judge.n_night = n;
                h.n = 0;
                add(&h, "2026-11-24 21:30", "13800138000", NULL, false);
                ok(cw_judge_contact(&judge, h.contacts, 0, tags, CW_JUDGE_TAGS_MAX) == 0,
                   "the user's own quiet hours replace the default's");
                judge.n_night = 0;
                h.n = 0;
                add(&h, "2026-11-24 23:30", "13800138000", NULL, false);
                ok(cw_judge_contact(&judge, h.contacts, 0, tags, CW_JUDGE_TAGS_MAX) == 0, "night = off: no night tag");
        }
        cw_preset_clear(&generic);
        cw_preset_clear(&cn);
}

static void cn_unanswered_per_day(void) {
        cw_preset generic = load("generic"), cn = load("cn");
        history h = { .zone = "Asia/Shanghai" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;
        char when[32];

        for (int i = 0; i < 6; i++) {
                snprintf(when, sizeof when, "2026-11-24 %02d:00", 9 + i);
                add(&h, when, "13800138000", NULL, false);
        }
        tag = judge_last(&h, &generic, &cn, "daily", tags);
        ok(!tag, "6 unanswered calls a day are not daily");
        add(&h, "2026-11-24 16:00", "13800138000", NULL, false);
        tag = judge_last(&h, &generic, &cn, "daily", tags);
        ok(tag, "the 7th unanswered call is daily");
        if (tag) {
                printf("# %s\n", tag->reason);
                ok(strstr(tag->reason, "more than 6 unanswered calls a day"), "cn's cap");
                ok(strstr(tag->reason, "more than 6 calls a day"), "and the default's");
        }
        cw_preset_clear(&generic);
        cw_preset_clear(&cn);
}

static void ie_sunday(void) {
        cw_preset generic = load("generic"), ie = load("ie");
        history h = { .zone = "Europe/Dublin", .country_code = "353" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;

        add(&h, "2026-11-22 12:00", "+353861234567", NULL, false);   /* a Sunday */
        tag = judge_last(&h, &generic, &ie, "quiet-day", tags);
        ok(tag && strstr(tag->reason, "Consumer Credit Act 1995 s. 46") && strstr(tag->reason, "started on a Sunday"),
           "a Sunday noon call under ie is quiet-day");
        if (tag)
                printf("# %s\n", tag->reason);
        h.n = 0;
        add(&h, "2026-11-23 12:00", "+353861234567", NULL, false);
        ok(!judge_last(&h, &generic, &ie, "quiet-day", tags), "a Monday is not");
        h.n = 0;
        add(&h, "2026-11-23 08:30", "+353861234567", NULL, false);
        ok(judge_last(&h, &generic, &ie, "night", tags), "08:30 is before ie's 09:00");
        cw_preset_clear(&generic);
        cw_preset_clear(&ie);
}

static void dst_day(void) {
        cw_preset generic = load("generic"), us = load("us");
        history h = { .zone = "America/New_York", .country_code = "1" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];

        /* 2026-11-01: clocks go back at 02:00; the day has 25 hours. 00:30 and
         * 23:30 are one local day; 23:30 the day before is another. */
        for (int i = 0; i < 6; i++)
                add(&h, "2026-11-01 00:30", "2125550100", NULL, false);
        add(&h, "2026-11-01 23:30", "2125550100", NULL, false);
        ok(judge_last(&h, &generic, &us, "daily", tags), "7 calls in the 25-hour day are one day's");
        h.n = 0;
        add(&h, "2026-10-31 23:30", "2125550100", NULL, false);
        for (int i = 0; i < 6; i++)
                add(&h, "2026-11-01 23:30", "2125550100", NULL, false);
        ok(!judge_last(&h, &generic, &us, "daily", tags), "the day before is another day");
        /* The spring change: 2026-03-08 has 23 hours. */
        h.n = 0;
        add(&h, "2026-03-08 21:30", "2125550100", NULL, false);
        ok(judge_last(&h, &generic, &us, "night", tags) && strstr(tags[0].reason, "UTC-04:00"),
           "21:30 on the spring day is night, at its new offset");
        cw_preset_clear(&generic);
        cw_preset_clear(&us);
}

static void collector_over_three_numbers(void) {
        cw_preset generic = load("generic"), us = load("us");
        history h = { .zone = "Asia/Shanghai" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;
        const char *numbers[] = { "13800138000", "13900139000", "+86 137-0013-7000" };
        char when[32];

        for (int i = 0; i < 8; i++) {
                snprintf(when, sizeof when, "2026-11-%02d 12:00", 17 + i % 7);
                add(&h, when, numbers[i % 3], "Quick Collect Ltd", false);
        }
        tag = judge_last(&h, &generic, &us, "weekly", tags);
        ok(tag, "8 calls in 7 days from three numbers of one collector are weekly");
        if (tag) {
                printf("# %s\n", tag->reason);
                ok(strstr(tag->reason, "from Quick Collect Ltd within 7 days over 3 numbers"), "naming the collector");
        }
        /* Per number, none of them went past. */
        for (size_t i = 0; i < h.n; i++)
                h.contacts[i].caller = h.contacts[i].number;
        ok(!judge_last(&h, &generic, &us, "weekly", tags), "counted per number, no number is weekly");
        cw_preset_clear(&generic);
        cw_preset_clear(&us);
}

static void withheld_callers_count_together(void) {
        cw_preset generic = load("generic");
        history h = { .zone = "Asia/Shanghai" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;

        add(&h, "2026-11-24 12:00", NULL, NULL, false);
        add(&h, "2026-11-24 12:03", "Anonymous", NULL, false);
        tag = judge_last(&h, &generic, NULL, "burst", tags);
        ok(tag && strstr(tag->reason, "from withheld"), "two withheld calls 3 minutes apart are a burst");
        cw_preset_clear(&generic);
}

static void many_calls_name_the_newest(void) {
        cw_preset generic = load("generic");
        history h = { .zone = "Asia/Shanghai" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;
        char when[32];

        for (int i = 0; i < 70; i++) {
                snprintf(when, sizeof when, "2026-11-24 %02d:%02d", 9 + i / 60, i % 60);
                add(&h, when, i % 2 ? "13800138000" : "13900139000", "Quick Collect Ltd", false);
        }
        tag = judge_last(&h, &generic, NULL, "daily", tags);
        ok(tag && strstr(tag->reason, "70 calls from Quick Collect Ltd on 2026-11-24 (local date) over 2 numbers "
                                      "(calls …, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70)"),
           "70 calls in a day: counted all, the newest named: %s", tag ? tag->reason : "");
        cw_preset_clear(&generic);
}

static void outgoing_calls_are_not_attempts(void) {
        cw_preset generic = load("generic");
        history h = { .zone = "Asia/Shanghai" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];

        add(&h, "2026-11-24 12:00", "13800138000", NULL, false);
        add(&h, "2026-11-24 12:01", "13800138000", NULL, false);
        h.contacts[0].attempt = false;
        ok(!judge_last(&h, &generic, NULL, "burst", tags), "the user's own call does not make a burst");
        cw_preset_clear(&generic);
}

static void every_preset_parses_and_cites(void) {
        struct dirent **entries;
        int n = scandir(presets_dir, &entries, NULL, alphasort);
        size_t presets = 0;

        ok(n > 0, "the presets directory lists");
        for (int i = 0; i < n; i++) {
                const char *name = entries[i]->d_name;
                size_t len = strlen(name);
                char path[1024], *error = NULL, line[512];
                cw_preset p;
                bool source_line = false;
                FILE *f;

                if (len > 5 && strcmp(name + len - 5, ".conf") == 0) {
                        snprintf(path, sizeof path, "%s/%s", presets_dir, name);
                        ok(cw_preset_load(path, &p, &error) == 0, "%s parses%s%s", name, error ? ": " : "",
                           error ? error : "");
                        free(error);
                        f = fopen(path, "r");
                        while (f && fgets(line, sizeof line, f))
                                source_line |= strncmp(line, "source = ", 9) == 0;
                        if (f)
                                fclose(f);
                        ok(source_line, "%s has a source line", name);
                        ok(strcmp(p.id, "generic") == 0 || (p.n_quiet > 0 && p.country_code),
                           "%s has quiet hours and a country code", name);
                        cw_preset_clear(&p);
                        presets++;
                }
                free(entries[i]);
        }
        free(entries);
        ok(presets == 8, "8 presets (%zu)", presets);
}

typedef struct figures {
        const cw_preset *preset;
        int missing;
} figures;

/* Each rule in words carries its figures: what a reason shows. */
static int check_figures(const char *tag, const char *rule, const char *source, void *userdata) {
        figures *f = userdata;
        const cw_preset *p = f->preset;
        const cw_rule *r = strcmp(tag, "burst") == 0 ? &p->burst : strcmp(tag, "weekly") == 0 ? &p->weekly
                           : strcmp(tag, "after-conversation") == 0 ? &p->after_conversation : NULL;
        char number[16];

        if (strcmp(tag, "night") == 0 && p->n_quiet) {
                snprintf(number, sizeof number, "%02d:%02d", p->quiet[0].start_min / 60, p->quiet[0].start_min % 60);
                f->missing += !strstr(rule, number);
        }
        if (strcmp(tag, "daily") == 0) {
                int cap = strstr(rule, "unanswered") ? p->daily_unanswered.calls
                          : strstr(rule, "answered") ? p->daily_connected.calls : p->daily.calls;

                snprintf(number, sizeof number, "%d", cap);
                f->missing += !strstr(rule, number);
        }
        if (r) {
                snprintf(number, sizeof number, "%d", r->calls ? r->calls : r->days);
                f->missing += !strstr(rule, number);
        }
        f->missing += !source || !source[0];
        return 0;
}

static void every_rule_shows_its_figures(void) {
        const char *ids[] = { "generic", "us", "cn", "in", "ph", "mx", "uk", "ie" };

        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
                cw_preset p = load(ids[i]);
                figures f = { &p, 0 };

                cw_preset_foreach_rule(&p, check_figures, &f);
                ok(f.missing == 0, "every rule of %s names its figures and source (%d missing)", ids[i], f.missing);
                cw_preset_clear(&p);
        }
}

static void broken_presets_are_refused(void) {
        char dir[] = "/tmp/cw-presets-XXXXXX", path[256], *error = NULL;
        cw_preset p;

        if (!mkdtemp(dir))
                abort();
        snprintf(path, sizeof path, "%s/x.conf", dir);
        tap_write_file(path, "[preset]\nname = X\n[weekly]\nmore_than = 7\ndays = 7\n");
        ok(cw_preset_load(path, &p, &error) == -EINVAL && error && strstr(error, "[weekly] needs its figures and a source"),
           "a rule without a source is refused: %s", error ? error : "");
        free(error);
        error = NULL;
        tap_write_file(path, "[preset]\nname = X\n[burst]\ncalls = many\nsource = s\n");
        ok(cw_preset_load(path, &p, &error) == -EINVAL && error && strstr(error, ":4: [burst] calls"),
           "a figure that is no number is refused: %s", error ? error : "");
        free(error);
        error = NULL;
        ok(cw_preset_load_id(dir, "../x", &p, &error) == -EINVAL, "an id is never a path");
        free(error);
        unlink(path);
        rmdir(dir);
}

static void reasons_are_never_cut_inside_a_character(void) {
        cw_preset generic = load("generic");
        history h = { .zone = "Asia/Shanghai" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];
        const cw_tag *tag;
        char name[1100], when[32];
        bool valid = true;

        /* A collector named with 1020 bytes of Chinese: the reason is cut. */
        name[0] = '\0';
        for (int i = 0; i < 340; i++)
                strcat(name, "\u50ac");
        for (int i = 0; i < 70; i++) {
                snprintf(when, sizeof when, "2026-11-24 %02d:%02d", 9 + i / 60, i % 60);
                add(&h, when, "13800138000", name, false);
        }
        for (size_t i = 0; i < h.n; i++)
                h.contacts[i].caller_label = name;
        tag = judge_last(&h, &generic, NULL, "daily", tags);
        for (size_t i = 0; tag && tag->reason[i];) {
                unsigned char c = (unsigned char) tag->reason[i];
                size_t need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

                for (size_t k = 1; k < need; k++)
                        valid &= ((unsigned char) tag->reason[i + k] & 0xc0) == 0x80;
                i += need;
        }
        ok(tag && valid && strlen(tag->reason) > 1000, "a long reason, cut, is valid UTF-8 (%zu bytes)",
           tag ? strlen(tag->reason) : 0);
        cw_preset_clear(&generic);
}

static void zones_pick_presets(void) {
        const char *tab = getenv("CW_ZONE_TAB");

        ok(strcmp(cw_preset_for_zone("Asia/Shanghai", tab), "cn") == 0, "Asia/Shanghai is cn");
        ok(strcmp(cw_preset_for_zone("America/Chicago", tab), "us") == 0, "America/Chicago is us");
        ok(strcmp(cw_preset_for_zone("Pacific/Honolulu", tab), "us") == 0, "Pacific/Honolulu is us");
        ok(strcmp(cw_preset_for_zone("America/Puerto_Rico", tab), "us") == 0, "America/Puerto_Rico is us");
        {
                char *zone;

                setenv("TZ", ":/usr/share/zoneinfo/Asia/Shanghai", 1);
                zone = cw_local_time_zone_name();
                ok(zone && strcmp(zone, "Asia/Shanghai") == 0, "TZ naming a zone file is that zone: %s", zone);
                free(zone);
        }
        ok(strcmp(cw_preset_for_zone("US/Eastern", tab), "us") == 0, "US/Eastern is us");
        ok(strcmp(cw_preset_for_zone("Asia/Kolkata", tab), "in") == 0, "Asia/Kolkata is in");
        ok(strcmp(cw_preset_for_zone("Asia/Manila", tab), "ph") == 0, "Asia/Manila is ph");
        ok(strcmp(cw_preset_for_zone("America/Monterrey", tab), "mx") == 0, "America/Monterrey is mx");
        ok(strcmp(cw_preset_for_zone("Europe/London", tab), "uk") == 0, "Europe/London is uk");
        ok(strcmp(cw_preset_for_zone("Europe/Dublin", tab), "ie") == 0, "Europe/Dublin is ie");
        ok(strcmp(cw_preset_for_zone("Europe/Madrid", tab), "generic") == 0, "Europe/Madrid is generic");
        ok(strcmp(cw_preset_for_zone(NULL, tab), "generic") == 0, "no zone is generic");
}

int main(int argc, char **argv) {
        if (argc < 2)
                return 2;
        presets_dir = argv[1];
        canonical_numbers();
        us_weekly_edge();
        us_after_conversation();
        generic_burst_edge();
        cn_quiet_hours_edge();
        cn_unanswered_per_day();
        ie_sunday();
        dst_day();
        collector_over_three_numbers();
        withheld_callers_count_together();
        outgoing_calls_are_not_attempts();
        many_calls_name_the_newest();
        every_preset_parses_and_cites();
        broken_presets_are_refused();
        every_rule_shows_its_figures();
        zones_pick_presets();
        reasons_are_never_cut_inside_a_character();
        return tap_done();
}
