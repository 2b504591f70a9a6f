/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <getopt.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/audit.h"
#include "callwitness/bundle.h"
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

static int verify_bundle(const char *path, const char *key) {
        char *signing_key = NULL;
        int problems = cw_bundle_verify(path, key, &signing_key, print_problem, NULL);

        if (problems == 0 && key)
                printf(_("%s: every file and the manifest match, and the signature was made with the key you "
                         "gave (%s).\n"), path, key);
        else if (problems == 0)
                /* A bundle signs itself with the key it names: anyone who
                 * doctored it could have signed it anew. */
                printf(_("%s: every file and the manifest match, and the signature was made with the key the "
                         "manifest names (%s).\nThat key was not checked against one you trust: compare it with "
                         "what the phone's owner gets from 'callwitness key', or give it with --key.\n"),
                       path, signing_key ? signing_key : "?");
        else if (problems > 0)
                printf(ngettext("%d problem found.\n", "%d problems found.\n", (unsigned long) problems), problems);
        free(signing_key);
        return problems == 0 ? 0 : 1;
}

static const char verify_usage[] = N_("Usage: callwitness verify --catalog\n"
                                      "       callwitness verify PATH [--key PUBLIC_KEY]\n");

int cw_cli_verify(int argc, char **argv) {
        static const struct option options[] = {
                { "catalog", no_argument, NULL, 'c' },
                { "key", required_argument, NULL, 'k' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *key = NULL;
        bool catalog = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "ck:h", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        catalog = true;
                        break;
                case 'k':
                        key = optarg;
                        break;
                case 'h':
                        fputs(_(verify_usage), stdout);
                        printf(_("\n"
                                 "--catalog checks the audit log's hash chain, every catalog row and every\n"
                                 "recording against it. PATH (a bundle folder or .zip) checks the signature,\n"
                                 "every file's SHA-256, that no file is missing or added, and the manifest;\n"
                                 "--key checks the signature against the key the phone's owner gave you\n"
                                 "rather than the one the manifest names. Both name whatever does not match.\n"));
                        return 0;
                default:
                        return 2;
                }
        if (catalog == (optind < argc) || argc - optind > 1 || (catalog && key)) {
                fputs(_(verify_usage), stderr);
                return 2;
        }
        return catalog ? verify_catalog() : verify_bundle(argv[optind], key);
}
