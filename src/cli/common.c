/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/paths.h"
#include "common.h"

int cw_cli_open_catalog(bool writable, cw_catalog **ret, char **data_dir_ret) {
        char *data_dir = NULL, *path = NULL;
        int r;

        r = cw_paths_data_dir(&data_dir);
        if (r < 0) {
                fprintf(stderr, _("callwitness: cannot find the data directory: set HOME or XDG_DATA_HOME\n"));
                return r;
        }
        if (asprintf(&path, "%s/catalog.db", data_dir) < 0) {
                free(data_dir);
                return -ENOMEM;
        }
        /* Opening for writing would create an empty catalog: say instead
         * that nothing was recorded. */
        if (writable && access(path, F_OK) < 0)
                r = -ENOENT;
        else
                r = writable ? cw_catalog_open(path, ret) : cw_catalog_open_readonly(path, ret);
        if (r == -ENOENT)
                fprintf(stderr, _("callwitness: no calls recorded yet (no catalog at %s)\n"), path);
        else if (r == -EPROTONOSUPPORT)
                fprintf(stderr, _("callwitness: %s was written by a newer callwitness\n"), path);
        else if (r == -EBADMSG && !writable)
                fprintf(stderr, _("callwitness: %s is from an older callwitness; start callwitnessd once to "
                                  "update it\n"), path);
        else if (r < 0)
                fprintf(stderr, _("callwitness: cannot open %s: %s\n"), path, strerror(-r));
        free(path);
        if (r == 0 && data_dir_ret)
                *data_dir_ret = data_dir;
        else
                free(data_dir);
        return r;
}
