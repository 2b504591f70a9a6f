/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Collection rules as published: a preset per jurisdiction (quiet hours and
 * days, caps on calls per day and per week, bursts, the week after a
 * conversation), read from data files, and the judgement of one call
 * against the calls before it. Pure: no catalog, no clock; the caller passes
 * the history. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callwitness/policy.h"
#include "callwitness/timestamp.h"

/* The preset every installation judges by besides its own jurisdiction's. */
#define CW_PRESET_GENERIC "generic"

/* One published rule: its figures and where it is written. A rule whose
 * source is NULL is not in the preset. */
typedef struct cw_rule {
        char *source;
        int calls;              /* burst: this many within `minutes`; caps: more than this many */
        int minutes;            /* burst */
        int days;               /* weekly: the span; after-conversation: how long after */
} cw_rule;

typedef struct cw_preset {
        char *id;               /* the file's name: "us", "cn", … */
        char *name;             /* "United States" */
        char *force;            /* "federal law and regulation" */
        char *country_code;     /* calling code without "+", or NULL */
        cw_window quiet[CW_WINDOWS_MAX];
        size_t n_quiet;
        cw_rule quiet_hours;
        unsigned quiet_days;    /* bit n: weekday n (0 = Sunday) */
        cw_rule quiet_days_rule;
        cw_rule burst;          /* `calls` calls within `minutes` */
        cw_rule daily;          /* more than `calls` attempts in a local day */
        cw_rule daily_unanswered;
        cw_rule daily_connected;
        cw_rule weekly;         /* more than `calls` within `days` consecutive local days */
        cw_rule after_conversation;   /* any attempt within `days` local days from a conversation's */
        cw_rule third_party;    /* calls to people other than the borrower */
} cw_preset;

/* Loads a preset file. Returns 0; -EINVAL with *error_message naming file,
 * line and key; or -errno. */
int cw_preset_load(const char *path, cw_preset *ret, char **error_message);
/* Loads dir/id.conf; an id is a file name, never a path. */
int cw_preset_load_id(const char *dir, const char *id, cw_preset *ret, char **error_message);
void cw_preset_clear(cw_preset *p);

/* The preset of a time zone ("Asia/Shanghai" → "cn"), by the country the
 * system's zone table (zone_tab: tzdata's zone.tab, or NULL for the
 * installed one) puts it in; "generic" for any other. */
const char *cw_preset_for_zone(const char *zone, const char *zone_tab);

/* One call or contact in the history a call is judged against. */
typedef struct cw_contact {
        int64_t id;             /* call id; 0: not in the catalog yet */
        cw_timestamp at;        /* when it appeared (its local offset included) */
        bool attempt;           /* incoming: the caller tried to reach the user */
        bool conversation;      /* answered: the two talked */
        bool message;           /* a text message: judged by the clock; no preset's source counts texts as calls */
        const char *caller;     /* who counts: a collector, a canonical number, or "withheld" */
        unsigned caller_key;    /* 0, or the same for the same caller throughout a history: compared first */
        const char *caller_label;   /* how a person names it: "Quick Collect Ltd", "+86138…" */
        const char *number;     /* canonical (number.h): calls over how many numbers */
} cw_contact;

/* The judgement of contacts[i] against contacts[0..i) (oldest first) under
 * the generic preset and the jurisdiction's (NULL: generic only). night:
 * the user's own quiet hours, replacing the generic ones (n_night 0 with
 * night_off: no night tag at all). Fills up to max tags; returns how many. */
typedef struct cw_judge {
        const cw_preset *generic;
        const cw_preset *jurisdiction;
        const cw_window *night;
        size_t n_night;
        bool night_set;         /* night replaces the generic quiet hours */
} cw_judge;

#define CW_JUDGE_TAGS_MAX 8
size_t cw_judge_contact(const cw_judge *judge, const cw_contact *contacts, size_t i, cw_tag *tags, size_t max);

/* What a catalog's calls are judged by: the generic preset, the
 * jurisdiction's, the user's quiet hours, and the country code numbers are
 * read in. */
typedef struct cw_rulebook cw_rulebook;

typedef struct cw_rulebook_settings {
        const char *preset;          /* an id; NULL: the one of the zone */
        const char *zone;            /* the phone's time zone (NULL: none known) */
        const char *country_code;    /* NULL: the preset's */
        const cw_window *night;      /* the user's quiet hours, if night_set */
        size_t n_night;
        bool night_set;
} cw_rulebook_settings;

/* -EINVAL with *error_message for a preset that does not exist or does not
 * parse. */
int cw_rulebook_load(const char *presets_dir, const cw_rulebook_settings *settings, cw_rulebook **ret,
                     char **error_message);
cw_rulebook *cw_rulebook_free(cw_rulebook *rb);
const cw_judge *cw_rulebook_judge(const cw_rulebook *rb);
/* The jurisdiction's preset id ("cn"), and the country code (NULL: none). */
const char *cw_rulebook_preset(const cw_rulebook *rb);
const char *cw_rulebook_country_code(const cw_rulebook *rb);
/* How many days before a call its judgement looks back. */
int cw_rulebook_span_days(const cw_rulebook *rb);

/* Each rule in force in a preset, in words ("more than 7 calls within 7
 * consecutive days", in the language of LC_MESSAGES), with the tag it
 * gives and its source. A non-zero return from cb stops and is returned. */
typedef int (*cw_rule_fn)(const char *tag, const char *rule, const char *source, void *userdata);
int cw_preset_foreach_rule(const cw_preset *p, cw_rule_fn cb, void *userdata);
/* The two presets a rulebook judges by: the jurisdiction's (the same as
 * the generic one when that is the jurisdiction), and the generic. */
const cw_preset *cw_rulebook_jurisdiction(const cw_rulebook *rb);
const cw_preset *cw_rulebook_generic(const cw_rulebook *rb);

/* What the judgement depends on, hashed: the presets' figures and sources,
 * the user's quiet hours, the country code, and this version of
 * callwitness. The same fingerprint judges every call the same way. */
#define CW_RULES_FINGERPRINT_LEN 64
int cw_rulebook_fingerprint(const cw_rulebook *rb, char out[static CW_RULES_FINGERPRINT_LEN + 1]);
