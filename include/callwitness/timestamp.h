/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Wall-clock instants as evidence needs them: UTC plus the local offset that
 * was in force at that instant, so "23:40 +08:00" survives a later change of
 * time zone or DST. The C library does all zone arithmetic. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct cw_timestamp {
        int64_t utc_ms;          /* milliseconds since the Unix epoch */
        int32_t utc_offset_s;    /* local offset east of UTC at that instant */
} cw_timestamp;

/* Longest RFC 3339 string we produce: "2026-11-24T23:40:05.123+08:00". */
#define CW_RFC3339_MAX 40

cw_timestamp cw_timestamp_now(void);
cw_timestamp cw_timestamp_from_utc_ms(int64_t utc_ms);

/* "2026-11-24T23:40:05+08:00"; returns 0 or -EOVERFLOW. */
int cw_timestamp_format_rfc3339(const cw_timestamp *ts, char buf[static CW_RFC3339_MAX]);

/* Whether the day exists in that month of that (Gregorian) year. */
bool cw_timestamp_valid_date(int year, int month, int day);

/* Parses what cw_timestamp_format_rfc3339() writes (seconds, optional
 * fraction, "Z" or ±HH:MM), and ISO 8601's ±HHMM and ±HH. Returns 0 or
 * -EINVAL. */
int cw_timestamp_parse_rfc3339(const char *text, cw_timestamp *ret);

/* Broken-down local time in the offset stored in the timestamp. */
void cw_timestamp_local_tm(const cw_timestamp *ts, struct tm *ret);

/* The time zone's name ("Asia/Shanghai"): $TZ, else /etc/localtime's link
 * target under zoneinfo/, else /etc/timezone, else "UTC". Malloc'ed; NULL
 * only when out of memory. */
char *cw_local_time_zone_name(void);
