/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness rule: what is recorded of a number, and its label. */

int cw_cli_rule(int argc, char **argv);
