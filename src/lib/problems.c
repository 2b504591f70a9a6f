/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "problems.h"

void cw_problems_add(cw_problems *p, const char *format, ...) {
        char *text = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&text, format, ap) < 0)
                text = NULL;
        va_end(ap);
        p->count++;
        if (p->cb)
                p->cb(text ? text : "(out of memory describing a problem)", p->userdata);
        free(text);
}
