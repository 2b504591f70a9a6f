/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "callwitness/policy.h"
#include "callwitness/rules.h"
#include "tap.h"

static cw_timestamp local_instant(const char *tz, const char *rfc3339_utc) {
        cw_timestamp ts;

        setenv("TZ", tz, 1);
        tzset();
        if (cw_timestamp_parse_rfc3339(rfc3339_utc, &ts) < 0)
                abort();
        return cw_timestamp_from_utc_ms(ts.utc_ms);
}

/* The night tag by the user's windows alone, as the rules judge it by the
 * local time (the offset stored in the timestamp) at which a call appeared. */
static bool judge_night(const cw_window *windows, size_t n, const cw_timestamp *ts, cw_tag *tag) {
        cw_judge judge = { .night = windows, .n_night = n, .night_set = true };
        cw_contact call = { .at = *ts, .caller = "", .caller_label = "", .number = "" };
        cw_tag tags[CW_JUDGE_TAGS_MAX];

        if (cw_judge_contact(&judge, &call, 0, tags, CW_JUDGE_TAGS_MAX) != 1 || strcmp(tags[0].name, "night") != 0)
                return false;
        *tag = tags[0];
        return true;
}

static bool night_at(const char *windows_text, const char *tz, const char *utc) {
        cw_window windows[CW_WINDOWS_MAX];
        cw_timestamp ts = local_instant(tz, utc);
        size_t n;
        cw_tag tag;

        if (cw_windows_parse(windows_text, windows, CW_WINDOWS_MAX, &n) < 0)
                abort();
        return judge_night(windows, n, &ts, &tag);
}

static void night_window_crossing_midnight(void) {
        const char *tz = "Asia/Shanghai";   /* UTC+8, no DST */

        ok(night_at("21:00-08:00", tz, "2026-11-24T15:40:00Z"), "23:40 in Shanghai is night");
        ok(!night_at("21:00-08:00", tz, "2026-11-24T06:00:00Z"), "14:00 in Shanghai is not night");
        ok(night_at("21:00-08:00", tz, "2026-11-24T16:00:00Z"), "00:00 is night");
        ok(night_at("21:00-08:00", tz, "2026-11-24T22:10:00Z"), "06:10 is night");
}

static void night_window_edges_at_full_hours(void) {
        const char *tz = "Asia/Shanghai";

        ok(night_at("21:00-08:00", tz, "2026-11-24T13:00:00Z"), "21:00:00 starts the window");
        ok(!night_at("21:00-08:00", tz, "2026-11-24T12:59:59Z"), "20:59:59 is before it");
        ok(night_at("21:00-08:00", tz, "2026-11-24T23:59:59Z"), "07:59:59 is inside");
        ok(!night_at("21:00-08:00", tz, "2026-11-25T00:00:00Z"), "08:00:00 ends the window");
        ok(night_at("00:00-06:00", tz, "2026-11-24T16:00:00Z"), "00:00 starts a window from midnight");
        ok(!night_at("00:00-06:00", tz, "2026-11-24T15:59:00Z"), "23:59 is outside 00:00-06:00");
        ok(night_at("22:00-24:00", tz, "2026-11-24T15:59:00Z"), "24:00 is accepted as the end of day");
}

static void several_windows(void) {
        const char *windows = "12:00-13:30, 22:00-06:00";
        const char *tz = "Asia/Shanghai";

        ok(night_at(windows, tz, "2026-11-24T04:15:00Z"), "12:15 is in the lunch window");
        ok(!night_at(windows, tz, "2026-11-24T05:30:00Z"), "13:30 is past it");
        ok(night_at(windows, tz, "2026-11-24T21:00:00Z"), "05:00 is in the night window");
        ok(!night_at(windows, tz, "2026-11-24T13:30:00Z"), "21:30 is in neither");
}

static void dst_change_days(void) {
        /* Europe/London springs forward at 01:00 UTC on 2026-03-29: 07:30 UTC
         * is 08:30 BST there, outside 21:00-08:00; on a naive GMT clock it
         * would be 07:30 and inside. */
        ok(!night_at("21:00-08:00", "Europe/London", "2026-03-29T07:30:00Z"),
           "spring-forward day: 07:30 UTC is 08:30 BST, not night");
        ok(night_at("21:00-08:00", "Europe/London", "2026-03-28T07:30:00Z"),
           "day before: 07:30 UTC is 07:30 GMT, night");
        /* Falls back at 01:00 UTC on 2026-10-25: 07:30 UTC is 07:30 GMT. */
        ok(night_at("21:00-08:00", "Europe/London", "2026-10-25T07:30:00Z"),
           "fall-back day: 07:30 UTC is 07:30 GMT, night");
        ok(!night_at("21:00-08:00", "Europe/London", "2026-10-24T07:30:00Z"),
           "day before: 07:30 UTC is 08:30 BST, not night");
        /* US Eastern falls back on 2026-11-01 at 06:00 UTC. */
        ok(night_at("21:00-08:00", "America/New_York", "2026-11-01T12:30:00Z"),
           "New York fall-back day: 12:30 UTC is 07:30 EST, night");
        ok(!night_at("21:00-08:00", "America/New_York", "2026-10-31T12:30:00Z"),
           "day before: 12:30 UTC is 08:30 EDT, not night");
}

static void several_time_zones(void) {
        const char *utc = "2026-11-24T15:40:00Z";

        ok(night_at("21:00-08:00", "Asia/Shanghai", utc), "23:40 in Shanghai");
        ok(!night_at("21:00-08:00", "Europe/Berlin", utc), "16:40 in Berlin");
        ok(night_at("21:00-08:00", "America/Los_Angeles", utc), "07:40 in Los Angeles is night");
}

static void reason_is_readable(void) {
        cw_window windows[CW_WINDOWS_MAX];
        cw_timestamp ts = local_instant("Asia/Shanghai", "2026-11-24T15:41:00Z");
        size_t n;
        cw_tag tag;

        cw_windows_parse("21:00-08:00", windows, CW_WINDOWS_MAX, &n);
        ok(judge_night(windows, n, &ts, &tag), "tagged");
        ok(strcmp(tag.name, "night") == 0, "tag is called night");
        ok(strstr(tag.reason, "23:41") && strstr(tag.reason, "UTC+08:00") &&
           strstr(tag.reason, "21:00\u201308:00"), "reason names time, offset and window: %s", tag.reason);
}

static void window_syntax_errors(void) {
        cw_window windows[2];
        size_t n;

        ok(cw_windows_parse("9:00-10:00", windows, 2, &n) == 0 && n == 1 &&
           windows[0].start_min == 540, "one-digit hour accepted");
        ok(cw_windows_parse("25:00-08:00", windows, 2, &n) < 0, "25:00 refused");
        ok(cw_windows_parse("21:60-08:00", windows, 2, &n) < 0, "21:60 refused");
        ok(cw_windows_parse("21:00", windows, 2, &n) < 0, "missing end refused");
        ok(cw_windows_parse("21:00-21:00", windows, 2, &n) < 0, "empty window refused");
        ok(cw_windows_parse("", windows, 2, &n) < 0, "empty text refused");
        ok(cw_windows_parse("21:00-08:00,", windows, 2, &n) < 0, "trailing comma refused");
        ok(cw_windows_parse("1:00-2:00,3:00-4:00,5:00-6:00", windows, 2, &n) < 0,
           "more windows than room refused");
}

int main(void) {
        night_window_crossing_midnight();
        night_window_edges_at_full_hours();
        several_windows();
        dst_change_days();
        several_time_zones();
        reason_is_readable();
        window_syntax_errors();
        return tap_done();
}
