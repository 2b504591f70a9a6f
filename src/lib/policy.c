/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "callwitness/policy.h"

#define MINUTES_PER_DAY (24 * 60)

static const char *skip_blanks(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* "H:MM" or "HH:MM"; 24:00 is allowed as the end of a window. */
static int parse_clock(const char **p, int *minutes_ret) {
        int hours = 0, minutes = 0, digits = 0;

        while (**p >= '0' && **p <= '9' && digits < 2) {
                hours = hours * 10 + (**p - '0');
                (*p)++;
                digits++;
        }
        if (digits == 0 || **p != ':')
                return -EINVAL;
        (*p)++;
        for (int i = 0; i < 2; i++, (*p)++) {
                if (**p < '0' || **p > '9')
                        return -EINVAL;
                minutes = minutes * 10 + (**p - '0');
        }
        if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0))
                return -EINVAL;
        *minutes_ret = hours * 60 + minutes;
        return 0;
}

int cw_windows_parse(const char *text, cw_window *windows, size_t max, size_t *n_ret) {
        const char *p = skip_blanks(text);
        size_t n = 0;

        if (*p == '\0')
                return -EINVAL;
        for (;;) {
                cw_window w;

                if (n >= max)
                        return -EINVAL;
                if (parse_clock(&p, &w.start_min) < 0)
                        return -EINVAL;
                p = skip_blanks(p);
                if (*p != '-')
                        return -EINVAL;
                p = skip_blanks(p + 1);
                if (parse_clock(&p, &w.end_min) < 0)
                        return -EINVAL;
                w.start_min %= MINUTES_PER_DAY;
                w.end_min %= MINUTES_PER_DAY;
                if (w.start_min == w.end_min)
                        return -EINVAL;
                windows[n++] = w;

                p = skip_blanks(p);
                if (*p == '\0')
                        break;
                if (*p != ',')
                        return -EINVAL;
                p = skip_blanks(p + 1);
        }
        *n_ret = n;
        return 0;
}

void cw_window_format(const cw_window *w, char buf[static CW_WINDOW_TEXT_MAX]) {
        /* U+2013 EN DASH, as a range of times is written. */
        snprintf(buf, CW_WINDOW_TEXT_MAX, "%02d:%02d\u2013%02d:%02d",
                 w->start_min / 60, w->start_min % 60, w->end_min / 60, w->end_min % 60);
}

bool cw_window_contains(const cw_window *w, int minute_of_day) {
        if (w->start_min < w->end_min)
                return minute_of_day >= w->start_min && minute_of_day < w->end_min;
        return minute_of_day >= w->start_min || minute_of_day < w->end_min;
}
