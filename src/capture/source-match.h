/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The one rule for which sound-server source a configured side means, for
 * the capture and for `callwitness doctor` alike: no name is the default
 * (decided by the caller: the default source, the default sink's monitor);
 * a name with *, ? or [ is a glob pattern and takes the first source in the
 * server's list that matches (device names carry bus paths and serials);
 * any other name must be a source's exact name. */

#include <stdbool.h>

bool cw_source_is_pattern(const char *configured);
/* Whether source_name is what configured names. */
bool cw_source_matches(const char *configured, const char *source_name);
