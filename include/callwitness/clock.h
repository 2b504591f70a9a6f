/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* How far a reader can trust a record's times: whether the phone's clock
 * was synchronized (NTP, through the kernel's adjtimex status) and, where a
 * modem tells the network's time, how far the phone's clock was from it.
 * One check per call, message and encounter, audited ("clock"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/timestamp.h"

/* A phone clock further than this from the network's is told (log, a
 * "clock-off" warning on the record). */
#define CW_CLOCK_WARN_MS 60000

/* 1: the kernel says the clock is synchronized; 0: it says it is not;
 * -errno: it cannot tell. */
int cw_clock_synchronized(void);

typedef struct cw_clock_check {
        int synced;                   /* 1, 0, or -1 not known */
        const char *network_reported; /* the network's time as the modem gave it; NULL: no modem gave it */
        int64_t network_offset_ms;    /* the network's time minus the phone's, when network_reported */
        cw_timestamp at;              /* the phone's time of the check */
} cw_clock_check;

/* In words, for show and the report: "the phone's clock was synchronized
 * (NTP); 2.0 s behind the network's time (2026-11-24T23:40:05+08)". */
void cw_clock_describe(int synced, const char *network, int64_t offset_ms, char *buf, size_t size);

/* Records the check of call_id, with its audit entry, in one transaction;
 * a record keeps its first check (made as it ended, or as a message arrived). -ENOENT
 * for an unknown call. */
int cw_catalog_set_clock_check(cw_catalog *c, int64_t call_id, const cw_clock_check *check);
