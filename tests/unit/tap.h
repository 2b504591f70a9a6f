/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A minimal TAP producer: meson runs these with protocol 'tap'. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count, tap_failures;

__attribute__((format(printf, 4, 5)))
static int tap_ok(int pass, const char *file, int line, const char *format, ...) {
        va_list ap;

        tap_count++;
        if (!pass)
                tap_failures++;
        printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
        va_start(ap, format);
        vprintf(format, ap);
        va_end(ap);
        printf("\n");
        if (!pass)
                printf("#   failed at %s:%d\n", file, line);
        return pass;
}

#define ok(condition, ...) tap_ok(!!(condition), __FILE__, __LINE__, __VA_ARGS__)

static inline int tap_done(void) {
        printf("1..%d\n", tap_count);
        return tap_failures ? 1 : 0;
}

/* Test fixtures: a file with exactly this text; aborts if it cannot be
 * written, since every check after it would be meaningless. */
static inline void tap_write_file(const char *path, const char *content) {
        FILE *f = fopen(path, "w");

        if (!f)
                abort();
        fputs(content, f);
        fclose(f);
}
