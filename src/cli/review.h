/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The commands that look at or change one call. Each returns the exit
 * status: 0 done, 1 refused or failed (said why), 2 bad usage. */

#include <stdbool.h>

int cw_cli_show(int argc, char **argv);
int cw_cli_note(int argc, char **argv);
int cw_cli_identify(int argc, char **argv);
int cw_cli_tag(int argc, char **argv, bool add);
int cw_cli_delete(int argc, char **argv);
