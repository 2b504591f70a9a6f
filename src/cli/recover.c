/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/paths.h"
#include "callwitness/recover.h"
#include "common.h"
#include "recover.h"

static void print_problem(const char *problem, void *userdata) {
        printf("%s\n", problem);
}

int cw_cli_recover(int argc, char **argv) {
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        cw_timestamp now = cw_timestamp_now();
        cw_recover_result result;
        char *data_dir = NULL;
        bool force = false;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "fh", options, NULL)) >= 0)
                switch (opt) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        printf(_("Usage: callwitness recover [--force]\n\n"
                                 "Rebuilds a lost or damaged catalog from the recordings' own tags and hashes.\n"
                                 "The old catalog is kept aside (catalog.db.broken-TIME), never deleted. A\n"
                                 "catalog that still opens is left alone unless --force. Stop callwitnessd\n"
                                 "first (systemctl --user stop callwitnessd).\n"));
                        return 0;
                default:
                        return 2;
                }
        if (optind != argc) {
                fprintf(stderr, _("Usage: callwitness recover [--force]\n"));
                return 2;
        }
        if (cw_paths_data_dir(&data_dir) < 0) {
                fprintf(stderr, _("callwitness: cannot find the data directory: set HOME or XDG_DATA_HOME\n"));
                return 1;
        }
        r = cw_recover_catalog(data_dir, force, &now, &result, print_problem, NULL);
        if (r == -EEXIST)
                fprintf(stderr, _("callwitness recover: the catalog in %s opens fine; nothing was changed (--force "
                                  "rebuilds it anyway, keeping it aside)\n"), data_dir);
        else if (r == -EBUSY)
                fprintf(stderr, _("callwitness recover: the catalog is in use; stop callwitnessd first\n"));
        else if (r < 0)
                fprintf(stderr, _("callwitness recover: %s\n"), strerror(-r));
        else {
                if (result.set_aside)
                        printf(_("The old catalog was kept as %s.\n"), result.set_aside);
                printf(_("Rebuilt %zu call(s) from their recordings; %zu file(s) could not be used.\n"),
                       result.recovered, result.skipped);
                printf(_("Calls that left no recording (missed ones), notes, caller identities and manual tags were "
                         "only in the old catalog.\n"));
        }
        free(result.set_aside);
        free(data_dir);
        return r < 0 ? 1 : 0;
}
