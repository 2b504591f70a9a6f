/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gi18n.h>
#include <string.h>

#include "format.h"

char *cw_app_format_duration(int64_t ms) {
        int64_t s = (ms + 500) / 1000;

        if (s >= 3600)
                return g_strdup_printf("%lld:%02lld:%02lld", (long long) (s / 3600), (long long) (s / 60 % 60),
                                       (long long) (s % 60));
        return g_strdup_printf("%lld:%02lld", (long long) (s / 60), (long long) (s % 60));
}

const char *cw_app_outcome_words(const char *outcome) {
        static const struct {
                const char *outcome, *words;
        } table[] = {
                { "answered", N_("answered") },
                { "missed", N_("missed") },
                { "rejected", N_("rejected") },
                { "unanswered", N_("unanswered") },
                { "recorded", N_("recorded") },
                { "received", N_("received") },
                { "deleted-unread", N_("deleted before it could be read") },
        };

        if (!outcome)
                return _("in progress");
        for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
                if (strcmp(outcome, table[i].outcome) == 0)
                        return _(table[i].words);
        return outcome;
}

GDateTime *cw_app_local_time(const cw_timestamp *ts) {
        GTimeZone *zone = g_time_zone_new_offset(ts->utc_offset_s);
        GDateTime *utc = g_date_time_new_from_unix_utc(ts->utc_ms / 1000);
        GDateTime *local = utc ? g_date_time_to_timezone(utc, zone) : NULL;

        if (utc)
                g_date_time_unref(utc);
        g_time_zone_unref(zone);
        return local;
}

char *cw_app_format_when(const cw_timestamp *ts) {
        GDateTime *local = cw_app_local_time(ts);
        char *text;

        if (!local)
                return g_strdup("?");
        /* TRANSLATORS: when a call came, as in strftime; %z is its UTC offset. */
        text = g_date_time_format(local, _("%A, %-d %B %Y, %H:%M:%S (UTC%:z)"));
        g_date_time_unref(local);
        return text;
}

const char *cw_app_capture_words(cw_capture_mode m) {
        switch (m) {
        case CW_CAPTURE_SEPARATE:
                return _("Both sides, each on its own channel (left: you, right: the other party)");
        case CW_CAPTURE_MIXED:
                return _("Both sides in one channel");
        case CW_CAPTURE_LOCAL_ONLY:
                return _("Only your side: the other party could not be captured");
        default:
                return "?";
        }
}
