/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness contact-call: a collector's call to someone else, as they
 * reported it; and its lines in callwitness list. */

#include "callwitness/catalog.h"

int cw_cli_contact_call(int argc, char **argv);
/* The reported calls, as list prints them after the calls. 0 or -errno. */
int cw_cli_print_contact_reports(cw_catalog *catalog);
