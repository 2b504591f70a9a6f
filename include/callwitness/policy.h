/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Tagging policy: plain data in, tags with human-readable reasons out. No
 * clock, no D-Bus, no audio: the caller passes the instant to judge. */

#include <stdbool.h>
#include <stddef.h>

#include "callwitness/timestamp.h"

#define CW_WINDOWS_MAX 8

/* A daily window of local wall-clock time, [start, end). end < start means
 * the window crosses midnight (21:00-08:00). */
typedef struct cw_window {
        int start_min;   /* minutes after local midnight, 0..1439 */
        int end_min;
} cw_window;

/* Parses "21:00-08:00, 12:30-13:30". Returns 0, or -EINVAL for bad syntax,
 * an empty window (start == end) or more than max windows. */
int cw_windows_parse(const char *text, cw_window *windows, size_t max, size_t *n_ret);

/* "21:00–08:00" */
#define CW_WINDOW_TEXT_MAX 48
void cw_window_format(const cw_window *w, char buf[static CW_WINDOW_TEXT_MAX]);

bool cw_window_contains(const cw_window *w, int minute_of_day);

#define CW_TAG_NAME_MAX 32
#define CW_TAG_REASON_MAX 1024

typedef struct cw_tag {
        char name[CW_TAG_NAME_MAX];
        char reason[CW_TAG_REASON_MAX];
} cw_tag;

