/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <getopt.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/audit.h"
#include "common.h"
#include "verify.h"

static void print_problem(const char *problem, void *userdata) {
        printf("%s\n", problem);
}

static int count_entries(const cw_audit_entry *e, void *userdata) {
        (*(int *) userdata)++;
        return 0;
}

static int verify_catalog(void) {
        cw_catalog *catalog = NULL;
        char *data_dir = NULL;
        int problems, entries = 0;

        /* Writable: a catalog from before the audit log gets its log here. */
        if (cw_cli_open_catalog(true, &catalog, &data_dir) < 0)
                return 1;
        problems = cw_audit_verify(catalog, data_dir, print_problem, NULL);
        if (problems < 0)
                fprintf(stderr, _("callwitness verify: reading the catalog failed: %s\n"),
                        cw_catalog_last_error(catalog));
        else if (problems == 0) {
                cw_audit_foreach(catalog, 0, count_entries, &entries);
                printf(_("The catalog, its audit log (%d entries) and every recording match.\n"), entries);
        } else
                printf(ngettext("%d problem found.\n", "%d problems found.\n", (unsigned long) problems), problems);
        cw_catalog_free(catalog);
        free(data_dir);
        return problems == 0 ? 0 : 1;
}

int cw_cli_verify(int argc, char **argv) {
        static const struct option options[] = {
                { "catalog", no_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        bool catalog = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "ch", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        catalog = true;
                        break;
                case 'h':
                        printf(_("Usage: callwitness verify --catalog\n\n"
                                 "Checks the audit log's hash chain, every catalog row and every recording\n"
                                 "against it, and names whatever does not match.\n"));
                        return 0;
                default:
                        return 2;
                }
        if (!catalog || optind != argc) {
                fprintf(stderr, _("Usage: callwitness verify --catalog\n"));
                return 2;
        }
        return verify_catalog();
}
