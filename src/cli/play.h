/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness play ID: the recording through the sound server. */
int cw_cli_play(int argc, char **argv);
