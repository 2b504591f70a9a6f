/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What every callwitness command needs: the catalog, opened with an error
 * message a person understands. */

#include <libintl.h>
#include <stdbool.h>

#include "callwitness/catalog.h"

#define _(text) gettext(text)

/* Opens the user's catalog; writable opens (and migrates) it for changes.
 * On failure prints why and returns -errno (-ENOENT: nothing recorded
 * yet). data_dir_ret, if not NULL, receives the data directory. */
int cw_cli_open_catalog(bool writable, cw_catalog **ret, char **data_dir_ret);
