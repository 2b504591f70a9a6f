/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness collector (add, remove, list) and callwitness retag: naming
 * the companies behind numbers, and judging calls again. */

#include "callwitness/catalog.h"

int cw_cli_collector(int argc, char **argv);
int cw_cli_retag(int argc, char **argv);

/* identify --company: the call's number joins that company's collector.
 * Prints what changed. 0 or -errno (printed). */
int cw_cli_join_collector(cw_catalog *catalog, const char *company, const char *number);
