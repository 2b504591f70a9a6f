/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the user decided for a number: never record it (family, a doctor:
 * the call still gets its catalog row, and no file), or a label to show
 * with it. Numbers are kept canonical (number.h); each change is in the
 * audit log. */

#include <stdbool.h>

#include "callwitness/catalog.h"

typedef enum cw_record_rule {
        CW_RECORD_DEFAULT,      /* no rule: recorded */
        CW_RECORD_NEVER,
        CW_RECORD_ALWAYS,       /* recorded, and said so in the rule list */
} cw_record_rule;

typedef struct cw_number_rule {
        const char *number;     /* canonical */
        const char *as_given;
        cw_record_rule record;
        const char *label;      /* NULL: none */
        cw_timestamp at;
} cw_number_rule;

#define CW_NUMBER_LABEL_MAX 200

/* Sets what is recorded for the number, or (label not NULL) its label.
 * -EINVAL for a withheld number, a code, or a label that is not one line. */
int cw_number_rule_set(cw_catalog *c, const char *number, const char *country_code, cw_record_rule record,
                       const char *label, const cw_timestamp *at);
/* -ENOENT when the number has no rule. */
int cw_number_rule_remove(cw_catalog *c, const char *number, const char *country_code, const cw_timestamp *at);
/* The number's rule; *record CW_RECORD_DEFAULT and *label NULL when none.
 * *label is malloc'ed. */
int cw_number_rule_find(cw_catalog *c, const char *number, const char *country_code, cw_record_rule *record,
                        char **label);
int cw_number_rule_foreach(cw_catalog *c, int (*cb)(const cw_number_rule *rule, void *userdata), void *userdata);
