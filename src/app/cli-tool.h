/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The command line tool the app runs for what it does in a process of its
 * own (the capture check, an export): the installed one, or CALLWITNESS_CLI
 * for a build that is not installed (the tests). */

const char *cw_app_cli_path(void);
