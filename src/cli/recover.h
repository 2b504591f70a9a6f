/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness recover [--force]: rebuilds a lost or damaged catalog from
 * the recordings. */
int cw_cli_recover(int argc, char **argv);
