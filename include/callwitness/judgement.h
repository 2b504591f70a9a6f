/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The rules (rules.h) applied to the catalog: who a caller is (a collector
 * the user named, a number, or a withheld caller), the judgement of a new
 * call against the calls before it, and the re-judgement of stored calls,
 * each change of a policy tag in the audit log. Manual tags never change. */

#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/number-rules.h"
#include "callwitness/rules.h"

/* The judgement of a call not yet (or just) in the catalog, against the
 * calls stored before it: for a recording's tags while the call rings.
 * call->caller and caller_label may be NULL: filled from the catalog's
 * collectors and the number. Returns how many tags, or -errno. */
int cw_catalog_judge_call(cw_catalog *c, const cw_rulebook *rules, int64_t id, const cw_timestamp *at, bool attempt,
                          bool conversation, const char *number, cw_tag *tags, size_t max);

/* Who a number counts as: the collector it was named under, else its
 * canonical form, else (withheld) "withheld callers". Malloc'ed in *ret. */
int cw_catalog_caller_of(cw_catalog *c, const cw_rulebook *rules, const char *number, char **ret);

typedef struct cw_tag_change {
        int64_t call_id;
        const char *tag;
        const char *change;       /* "added", "removed", "changed" */
        const char *reason;       /* the new reason (the old one when removed) */
} cw_tag_change;

typedef void (*cw_tag_change_fn)(const cw_tag_change *change, void *userdata);

/* Judges again every call that started at or after since_ms, in one
 * transaction: policy tags appear, change or go, each change an audit entry
 * ("tag", with `because`: "the collector Quick Collect Ltd was added").
 * cb (may be NULL) sees each change. */
int cw_catalog_retag(cw_catalog *c, const cw_rulebook *rules, int64_t since_ms, const char *because,
                     const cw_timestamp *at, cw_tag_change_fn cb, void *userdata);

/* Every call judged again because the rules changed (a start, a reload,
 * `callwitness retag`), and a "rules" audit entry with the rulebook's
 * preset, country code and fingerprint, in one transaction. With
 * only_if_changed, nothing happens when the last "rules" entry has the
 * same fingerprint (*done false). */
int cw_catalog_retag_all(cw_catalog *c, const cw_rulebook *rules, const char *because, bool only_if_changed,
                         const cw_timestamp *at, cw_tag_change_fn cb, void *userdata, bool *done);

/* A number's rule set (what is recorded, or its label) or, with remove,
 * taken away; then, unless only a label changed, every call judged again
 * (the user's own people are not judged): what `callwitness rule` and the
 * app do. The errors of cw_number_rule_set/remove, or the retag's. */
int cw_number_rule_change(cw_catalog *c, const cw_rulebook *rules, const char *number, bool remove,
                          cw_record_rule record, const char *label, const cw_timestamp *at, cw_tag_change_fn cb,
                          void *userdata);

/* Collectors: a name for the numbers one company calls from. Adding numbers
 * to a collector (created if new) moves them from any other; each change is
 * audited and the calls judged again in the same transaction. -EINVAL for a
 * bad name or number, -EEXIST... never: adding twice is fine. */
int cw_collector_add(cw_catalog *c, const cw_rulebook *rules, const char *name, const char *const *numbers,
                     size_t n_numbers, const cw_timestamp *at, cw_tag_change_fn cb, void *userdata);
/* Removes the numbers from the collector, or (n_numbers 0) the collector.
 * -ENOENT if there is no such collector or it does not hold a number. */
int cw_collector_remove(cw_catalog *c, const cw_rulebook *rules, const char *name, const char *const *numbers,
                        size_t n_numbers, const cw_timestamp *at, cw_tag_change_fn cb, void *userdata);

typedef struct cw_collector_record {
        const char *name;
        const char *const *numbers;   /* canonical */
        size_t n_numbers;
        int64_t calls;                /* from its numbers */
        cw_timestamp added;
} cw_collector_record;

int cw_collector_foreach(cw_catalog *c, const cw_rulebook *rules, int (*cb)(const cw_collector_record *collector,
                         void *userdata), void *userdata);

/* As long as a company named by identify may be. */
#define CW_COLLECTOR_NAME_MAX 256
