/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/bundle.h"
#include "common.h"
#include "export.h"
#include "key.h"
#include "media.h"

static const char export_usage[] = N_("Usage: callwitness export [ID... | --tagged | --tag TAG | --number N | "
                                      "--since DATE | --until DATE\n"
                                      "                          | --missed | --limit N] [--lang LANG] -o PATH\n");

int cw_cli_export(int argc, char **argv) {
        static const struct option options[] = {
                CW_CLI_FILTER_OPTIONS,
                { "output", required_argument, NULL, 'o' },
                { "lang", required_argument, NULL, 'L' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        cw_call_filter filter = { 0 };
        cw_export_request request = { .filter = &filter, .now = cw_timestamp_now() };
        cw_export_result result;
        cw_catalog *catalog = NULL;
        cw_device_key *key = NULL;
        cw_rulebook *rules = NULL;
        char *data_dir = NULL, *error = NULL, *zone = NULL;
        const char *language = NULL;
        int64_t *ids = NULL;
        int opt, r, status = 1;

        while ((opt = getopt_long(argc, argv, CW_CLI_FILTER_SHORT "o:h", options, NULL)) >= 0) {
                if ((r = cw_cli_filter_option(opt, &filter)) != 0) {
                        if (r < 0)
                                return 2;
                        continue;
                }
                switch (opt) {
                case 'o':
                        request.output = optarg;
                        break;
                case 'L':
                        language = optarg;
                        break;
                case 'h':
                        fputs(_(export_usage), stdout);
                        printf(_("\n"
                                 "Writes the chosen calls as an evidence bundle: a folder, or a .zip when PATH\n"
                                 "ends in .zip. It holds the recordings byte for byte, a WAV copy of each,\n"
                                 "manifest.json, report.html and report.txt (in your language, or in the one\n"
                                 "--lang names: en, es, zh_CN), SHA256SUMS and SHA256SUMS.minisig, signed\n"
                                 "with this device's key. Anyone can check it with sha256sum -c SHA256SUMS\n"
                                 "and minisign -Vm SHA256SUMS -P <key>, or with callwitness verify PATH.\n"
                                 "Without IDs or filters: nothing is chosen.\n"));
                        return 0;
                default:
                        return 2;
                }
        }
        /* The report, and what this command says, in that language. */
        if (language && cw_cli_set_language("export", language) < 0)
                return 2;
        if (!request.output || !request.output[0]) {
                fprintf(stderr, _("callwitness export: say where with -o PATH\n"));
                return 2;
        }
        if (optind < argc) {
                if (!(ids = calloc((size_t) (argc - optind), sizeof *ids)))
                        return 1;
                for (int i = optind; i < argc; i++)
                        if (cw_cli_parse_id(argv[i], &ids[request.n_ids++]) < 0) {
                                free(ids);
                                return 2;
                        }
                request.ids = ids;
        } else if (!filter.tagged_only && !filter.tag && !filter.number && !filter.has_since && !filter.has_until &&
                   !filter.missed_only && !filter.limit) {
                fprintf(stderr, _("callwitness export: choose calls: IDs, or --tagged, --number, --since …\n"));
                return 2;
        }

        if (cw_cli_open_catalog(true, &catalog, &data_dir) < 0 || cw_cli_device_key(&key) < 0)
                goto finish;
        zone = cw_local_time_zone_name();
        /* Without rules the bundle still goes out, without "what the rules
         * say" (the reason was printed). */
        if (cw_cli_load_rules(&rules) < 0)
                rules = NULL;
        request.rules = rules;
        request.data_dir = data_dir;
        request.key = key;
        request.time_zone = zone ? zone : "UTC";
        r = cw_export(catalog, &request, &result, &error);
        if (r < 0) {
                fprintf(stderr, _("callwitness export: %s; nothing was written\n"), error ? error : strerror(-r));
                goto finish;
        }
        printf(ngettext("Exported %zu call to %s (%zu files, signed).\n",
                        "Exported %zu calls to %s (%zu files, signed).\n", result.n_calls),
               result.n_calls, request.output, result.n_files);
        status = 0;
finish:
        free(ids);
        free(zone);
        cw_rulebook_free(rules);
        free(error);
        free(data_dir);
        cw_device_key_free(key);
        cw_catalog_free(catalog);
        return status;
}
