/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "callwitness/config.h"
#include "callwitness/paths.h"
#include "catalog-change.h"

char *cw_app_catalog_path(void) {
        char *data_dir = NULL, *path = NULL;

        if (cw_paths_data_dir(&data_dir) == 0)
                path = g_build_filename(data_dir, "catalog.db", NULL);
        free(data_dir);
        return path;
}

int cw_app_open_for_change(const char *catalog_path, cw_catalog **catalog, cw_rulebook **rules, char **error_message) {
        cw_timestamp now = cw_timestamp_now();
        char *error = NULL;
        int r = catalog_path ? cw_config_user_rulebook(rules, &error) : -ENOENT;

        *error_message = NULL;
        if (r == 0 && (r = cw_catalog_open(catalog_path, &now, catalog)) < 0)
                *rules = cw_rulebook_free(*rules);
        if (r < 0) {
                *error_message = g_strdup(error ? error : g_strerror(-r));
                free(error);
                return r;
        }
        cw_catalog_set_busy_timeout(*catalog, 5000);
        return 0;
}
