/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "callwitness/timestamp.h"
#include "tap.h"

int main(void) {
        char text[CW_RFC3339_MAX];
        cw_timestamp ts;

        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        ok(cw_timestamp_parse_rfc3339("2026-11-24T23:40:05+08:00", &ts) == 0 &&
           ts.utc_ms == 1795534805000LL && ts.utc_offset_s == 8 * 3600, "parse with offset");
        ok(cw_timestamp_format_rfc3339(&ts, text) == 0 &&
           strcmp(text, "2026-11-24T23:40:05+08:00") == 0, "round trip: %s", text);

        ts = cw_timestamp_from_utc_ms(1795534805000LL);
        ok(ts.utc_offset_s == 8 * 3600, "offset taken from TZ");

        setenv("TZ", "America/St_Johns", 1);   /* a half-hour, negative offset */
        tzset();
        ts = cw_timestamp_from_utc_ms(1795534805000LL);
        ok(cw_timestamp_format_rfc3339(&ts, text) == 0 &&
           strcmp(text, "2026-11-24T12:10:05-03:30") == 0, "negative half-hour offset: %s", text);

        ok(cw_timestamp_parse_rfc3339("2026-11-24T15:40:05.250Z", &ts) == 0 &&
           ts.utc_ms == 1795534805250LL && ts.utc_offset_s == 0, "Z and fraction");
        ok(cw_timestamp_parse_rfc3339("2026-11-24T15:40", &ts) < 0, "missing seconds refused");
        ok(cw_timestamp_parse_rfc3339("2026-13-24T15:40:00Z", &ts) < 0, "month 13 refused");
        /* ISO 8601's forms, as GLib (and so ModemManager) writes them. */
        ok(cw_timestamp_parse_rfc3339("2026-11-24T23:40:00+0800", &ts) == 0 && ts.utc_ms == 1795534800000LL &&
           ts.utc_offset_s == 8 * 3600, "offset without colon");
        ok(cw_timestamp_parse_rfc3339("2026-11-24T23:40:00+08", &ts) == 0 && ts.utc_ms == 1795534800000LL &&
           ts.utc_offset_s == 8 * 3600, "offset in hours alone");
        ok(cw_timestamp_parse_rfc3339("2026-11-24T23:40:00+8", &ts) < 0, "an offset of one digit refused");
        ok(cw_timestamp_parse_rfc3339("2026-11-24T23:40:00+08:0", &ts) < 0, "an offset cut short refused");
        return tap_done();
}
