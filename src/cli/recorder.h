/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness record, stop, mark: asking callwitnessd, through its
 * session-bus API, to record an encounter or mark a moment; and marks added
 * to a finished recording, straight into the catalog. */

int cw_cli_record(int argc, char **argv);
int cw_cli_stop(int argc, char **argv);
int cw_cli_mark(int argc, char **argv);
