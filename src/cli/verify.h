/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness verify --catalog: every recording, catalog row and audit-log
 * entry checked against the hash chain. Exit 0 when everything matches, 1
 * when something does not (each named), 2 for bad usage. */
int cw_cli_verify(int argc, char **argv);
