/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What every callwitness command needs: the catalog, opened with an error
 * message a person understands. */

#include <libintl.h>
#include <stdbool.h>
#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/rules.h"

#define _(text) gettext(text)
/* Marks a literal for translation where it is defined; _() translates it where used. */
#define N_(text) text

/* Opens the user's catalog; writable opens (and migrates) it for changes.
 * On failure prints why and returns -errno (-ENOENT: nothing recorded
 * yet). data_dir_ret, if not NULL, receives the data directory. */
int cw_cli_open_catalog(bool writable, cw_catalog **ret, char **data_dir_ret);

/* The rules callwitnessd judges calls by, from the user's configuration
 * (callwitness.conf's [tagging]) and the time zone. On failure prints why
 * and returns -errno. */
int cw_cli_load_rules(cw_rulebook **ret);

/* A date or time the user typed, in local time: "2026-11-24",
 * "2026-11-24 23:40", "2026-11-24T23:40:05", or RFC 3339 with an offset.
 * A bare date means its midnight, or with end_of_day the next midnight (so
 * --until 2026-11-24 includes that day). 0 or -EINVAL. */
int cw_cli_parse_time(const char *text, bool end_of_day, int64_t *utc_ms_ret);

/* A call id argument: a positive whole number. 0 or -EINVAL (printed). */
int cw_cli_parse_id(const char *text, int64_t *ret);

/* The options that choose calls, shared by list and export: add
 * CW_CLI_FILTER_OPTIONS to the getopt_long table and "tT:n:s:u:ml:" to
 * the short options, and pass each option to cw_cli_filter_option(). */
#define CW_CLI_FILTER_OPTIONS \
        { "tagged", no_argument, NULL, 't' }, \
        { "tag", required_argument, NULL, 'T' }, \
        { "number", required_argument, NULL, 'n' }, \
        { "since", required_argument, NULL, 's' }, \
        { "until", required_argument, NULL, 'u' }, \
        { "missed", no_argument, NULL, 'm' }, \
        { "limit", required_argument, NULL, 'l' }
#define CW_CLI_FILTER_SHORT "tT:n:s:u:ml:"

/* 1 when opt (with optarg) was a filter option and is applied, 0 when it
 * is not one, -1 when its value is bad (printed). */
int cw_cli_filter_option(int opt, cw_call_filter *f);
