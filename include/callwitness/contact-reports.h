/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Calls a collector made to someone else (family, friends, the employer),
 * as that person reported them: evidence not recorded on this phone, kept
 * with the same audit log as the calls. */

#include <stdint.h>

#include "callwitness/catalog.h"

typedef struct cw_contact_report {
        int64_t id;
        const char *contact;          /* who was called: "Mother" (one line) */
        const char *number;           /* the number that called them, as reported; NULL: not known */
        cw_timestamp at;              /* when that call came, as reported */
        const char *note;             /* what they were told; NULL: nothing */
        cw_timestamp reported_at;     /* when it was written down here */
} cw_contact_report;

#define CW_CONTACT_NAME_MAX 200

/* Adds a report and its "contact-call" audit entry in one transaction.
 * -EINVAL for a contact that is not one line, a number that is not one, a
 * note that is not text. */
int cw_contact_report_add(cw_catalog *c, const cw_contact_report *report, int64_t *id_ret);

/* Oldest (by when the call came) first. */
int cw_contact_report_foreach(cw_catalog *c, int (*cb)(const cw_contact_report *report, void *userdata),
                              void *userdata);
