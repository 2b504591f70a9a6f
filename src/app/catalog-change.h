/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What a change made on the Preferences page opens, as the CLI opens it:
 * the user's catalog, writable, and the rules calls are judged by. */

#include <glib.h>

#include "callwitness/catalog.h"
#include "callwitness/rules.h"

G_BEGIN_DECLS

/* This user's catalog.db; NULL when there is no data directory. */
char *cw_app_catalog_path(void);
/* 0, or -errno with *error_message (g_free) saying why. The catalog waits
 * for a write of the daemon's as long as a person does. */
int cw_app_open_for_change(const char *catalog_path, cw_catalog **catalog, cw_rulebook **rules, char **error_message);

G_END_DECLS
