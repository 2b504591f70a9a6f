/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness export [ID… | filters] -o PATH: an evidence bundle. */
int cw_cli_export(int argc, char **argv);
