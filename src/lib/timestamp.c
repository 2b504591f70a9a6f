/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/timestamp.h"

static int32_t local_offset_at(time_t t) {
        struct tm tm;

        /* tm_gmtoff is the offset that was in force at t, DST included. */
        if (!localtime_r(&t, &tm))
                return 0;
        return (int32_t) tm.tm_gmtoff;
}

cw_timestamp cw_timestamp_from_utc_ms(int64_t utc_ms) {
        time_t seconds = (time_t) (utc_ms >= 0 ? utc_ms / 1000 : (utc_ms - 999) / 1000);

        return (cw_timestamp) {
                .utc_ms = utc_ms,
                .utc_offset_s = local_offset_at(seconds),
        };
}

cw_timestamp cw_timestamp_now(void) {
        struct timespec now;

        /* localtime_r() does not look at the zone again: a phone that
         * travels (or whose owner sets the zone) changes /etc/localtime,
         * and tzset() reads it anew when it changed (glibc compares the
         * file's inode and mtime; a few syscalls, a few times per call). */
        tzset();
        clock_gettime(CLOCK_REALTIME, &now);
        return cw_timestamp_from_utc_ms((int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000);
}

void cw_timestamp_local_tm(const cw_timestamp *ts, struct tm *ret) {
        int64_t ms = ts->utc_ms + (int64_t) ts->utc_offset_s * 1000;
        time_t shifted = (time_t) (ms >= 0 ? ms / 1000 : (ms - 999) / 1000);

        /* gmtime of UTC shifted by the stored offset is the wall clock that
         * was on the phone then, whatever TZ says today. */
        gmtime_r(&shifted, ret);
        ret->tm_gmtoff = ts->utc_offset_s;
}

int cw_timestamp_format_rfc3339(const cw_timestamp *ts, char buf[static CW_RFC3339_MAX]) {
        struct tm tm;
        int32_t offset = ts->utc_offset_s;
        char sign = '+';
        int n;

        cw_timestamp_local_tm(ts, &tm);
        if (offset < 0) {
                sign = '-';
                offset = -offset;
        }
        n = snprintf(buf, CW_RFC3339_MAX, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec,
                     sign, offset / 3600, (offset / 60) % 60);
        if (n < 0 || n >= CW_RFC3339_MAX)
                return -EOVERFLOW;
        return 0;
}

static int parse_digits(const char **p, int count, int *ret) {
        int value = 0;

        for (int i = 0; i < count; i++) {
                if ((*p)[i] < '0' || (*p)[i] > '9')
                        return -EINVAL;
                value = value * 10 + ((*p)[i] - '0');
        }
        *p += count;
        *ret = value;
        return 0;
}

static int expect(const char **p, char c) {
        if (**p != c)
                return -EINVAL;
        (*p)++;
        return 0;
}

bool cw_timestamp_valid_date(int year, int month, int day) {
        static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

        return month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1] + (month == 2 && leap);
}

int cw_timestamp_parse_rfc3339(const char *text, cw_timestamp *ret) {
        const char *p = text;
        struct tm tm = { 0 };
        int year, month, day, hour, minute, second, millis = 0, offset = 0;

        if (parse_digits(&p, 4, &year) < 0 || expect(&p, '-') < 0 ||
            parse_digits(&p, 2, &month) < 0 || expect(&p, '-') < 0 ||
            parse_digits(&p, 2, &day) < 0 || (*p != 'T' && *p != ' ') ||
            (p++, parse_digits(&p, 2, &hour) < 0) || expect(&p, ':') < 0 ||
            parse_digits(&p, 2, &minute) < 0 || expect(&p, ':') < 0 ||
            parse_digits(&p, 2, &second) < 0)
                return -EINVAL;

        if (*p == '.') {
                int scale = 100;

                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
                        millis += (*p - '0') * scale;
        }

        if (*p == 'Z' || *p == 'z')
                p++;
        else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1, oh, om;

                p++;
                /* "+08:00", and ISO 8601's "+0800" and "+08" (GLib's
                 * format, which ModemManager uses for time stamps). */
                om = 0;
                if (parse_digits(&p, 2, &oh) < 0 || (*p == ':' && (p++, parse_digits(&p, 2, &om) < 0)) ||
                    (*p >= '0' && *p <= '9' && parse_digits(&p, 2, &om) < 0) || oh > 23 || om > 59)
                        return -EINVAL;
                offset = sign * (oh * 3600 + om * 60);
        } else
                return -EINVAL;

        /* A date that is not one (30 February) is refused, not moved on. */
        if (*p != '\0' || !cw_timestamp_valid_date(year, month, day) || hour > 23 || minute > 59 || second > 60)
                return -EINVAL;

        tm.tm_year = year - 1900;
        tm.tm_mon = month - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = minute;
        tm.tm_sec = second;
        *ret = (cw_timestamp) {
                .utc_ms = ((int64_t) timegm(&tm) - offset) * 1000 + millis,
                .utc_offset_s = offset,
        };
        return 0;
}

char *cw_local_time_zone_name(void) {
        const char *tz = getenv("TZ"), *zone;
        char target[512], line[256];
        ssize_t n;
        FILE *f;

        if (tz && *tz) {
                /* ":Asia/Shanghai", or a path into the zone files. */
                tz += tz[0] == ':';
                return strdup((zone = strstr(tz, "zoneinfo/")) ? zone + strlen("zoneinfo/") : tz);
        }
        n = readlink("/etc/localtime", target, sizeof target - 1);
        if (n > 0) {
                target[n] = '\0';
                if ((zone = strstr(target, "zoneinfo/")))
                        return strdup(zone + strlen("zoneinfo/"));
        }
        f = fopen("/etc/timezone", "re");
        if (f) {
                bool found = fgets(line, sizeof line, f) && (line[strcspn(line, " \t\n")] = '\0', line[0]);

                fclose(f);
                if (found)
                        return strdup(line);
        }
        return strdup("UTC");
}
