/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <fnmatch.h>
#include <string.h>

#include "source-match.h"

bool cw_source_is_pattern(const char *configured) {
        return configured && strpbrk(configured, "*?[");
}

bool cw_source_matches(const char *configured, const char *source_name) {
        if (!configured || !source_name)
                return false;
        return cw_source_is_pattern(configured) ? fnmatch(configured, source_name, 0) == 0
                                                : strcmp(configured, source_name) == 0;
}
