/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>

#include "cli-tool.h"

const char *cw_app_cli_path(void) {
        const char *cli = g_getenv("CALLWITNESS_CLI");

        return cli && cli[0] == '/' ? cli : CW_BINDIR "/callwitness";
}
