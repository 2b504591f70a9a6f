/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the sound server offers right now, for callwitness doctor: its
 * sources, with the defaults marked, and the source each configured side
 * of the capture resolves to, by the rules the capture itself follows. */

#include "callwitness/call.h"

/* Prints the list and the resolution. Returns how many configured sides
 * resolve to no source, or -1 when the sound server cannot be asked. */
int cw_sources_report(cw_capture_mode mode, const char *local_source, const char *remote_source);
