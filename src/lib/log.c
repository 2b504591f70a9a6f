/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "callwitness/log.h"

static int max_level = CW_LOG_INFO;

void cw_log_set_max_level(int level) {
        max_level = level;
}

int cw_log_get_max_level(void) {
        return max_level;
}

void cw_log(int level, const char *format, ...) {
        static int journal = -1;
        va_list ap;

        if (level > max_level)
                return;
        /* journald reads "<N>" as the priority; on a terminal it is noise. */
        if (journal < 0)
                journal = getenv("JOURNAL_STREAM") != NULL;
        if (journal)
                fprintf(stderr, "<%d>", level);

        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}
