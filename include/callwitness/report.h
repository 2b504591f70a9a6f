/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The readable part of an evidence bundle, made from its manifest: a
 * summary (how many calls, from which numbers, how many at night), a
 * timeline, counts per number, and when the calls came (hour of day by
 * day). Plain text and a self-contained HTML page (inline CSS and SVG,
 * readable on a phone, printable), in the language of LC_MESSAGES. */

#include <json-c/json.h>
#include <stdio.h>

/* The manifest's "summary": calls, numbers (with counts), night calls,
 * answered and missed counts, first and last call. New object. */
json_object *cw_report_summary_json(json_object *calls);

/* 0, or -EIO when out could not be written. */
int cw_report_text(json_object *manifest, FILE *out);
int cw_report_html(json_object *manifest, FILE *out);
