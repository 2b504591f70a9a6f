/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Collecting "what does not match" sentences for the verifiers (the audit
 * log, bundles): each goes to a callback and is counted. Internal. */

typedef void (*cw_problem_fn)(const char *problem, void *userdata);

typedef struct cw_problems {
        cw_problem_fn cb;
        void *userdata;
        int count;
} cw_problems;

void cw_problems_add(cw_problems *p, const char *format, ...) __attribute__((format(printf, 2, 3)));
