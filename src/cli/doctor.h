/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness doctor [--seconds N]: exit 0 when every side the capture mode
 * expects has sound, 1 when not (each problem explained), 2 for bad usage. */
int cw_cli_doctor(int argc, char **argv);
