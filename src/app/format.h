/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Words the list and the call page share. */

#include <glib.h>
#include <stdint.h>

#include "callwitness/call.h"
#include "callwitness/timestamp.h"

char *cw_app_format_duration(int64_t ms);
/* "missed", "rejected", … in the user's language; "in progress" for NULL. */
const char *cw_app_outcome_words(const char *outcome);
/* The local time as it was recorded (its own UTC offset), NULL if out of
 * range. */
GDateTime *cw_app_local_time(const cw_timestamp *ts);
/* Day, date, time and UTC offset. */
char *cw_app_format_when(const cw_timestamp *ts);
/* What a recording of that capture mode holds. */
const char *cw_app_capture_words(cw_capture_mode m);
