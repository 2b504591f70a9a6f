/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/bundle.h"
#include "callwitness/devicekey.h"
#include "common.h"
#include "export.h"
#include "key.h"
#include "media.h"

static const char export_usage[] = N_("Usage: callwitness export [ID... | --all | --tagged | --tag TAG | --number N |\n"
                                      "                          --since DATE | --until DATE | --missed | --limit N]\n"
                                      "                          [--copies mp3|wav|none] [--lang LANG] [--json] -o PATH\n");

/* What a program that runs the export (the app) reads: where, how many
 * calls and files, and the key that signed it. */
static void print_json(const char *output, const cw_export_result *result, const cw_device_key *key) {
        char public_key[CW_PUBLIC_KEY_BASE64_LEN + 1];
        json_object *o = json_object_new_object();

        cw_device_key_public(key, public_key);
        json_object_object_add(o, "path", json_object_new_string(output));
        json_object_object_add(o, "calls", json_object_new_int64((int64_t) result->n_calls));
        json_object_object_add(o, "files", json_object_new_int64((int64_t) result->n_files));
        json_object_object_add(o, "public_key", json_object_new_string(public_key));
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
}

int cw_cli_export(int argc, char **argv) {
        static const struct option options[] = {
                CW_CLI_FILTER_OPTIONS,
                { "output", required_argument, NULL, 'o' },
                { "lang", required_argument, NULL, 'L' },
                { "all", no_argument, NULL, 'A' },
                { "json", no_argument, NULL, 'J' },
                { "copies", required_argument, NULL, 'C' },
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
        bool every_call = false, as_json = false, help = false;
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
                case 'A':
                        every_call = true;
                        break;
                case 'J':
                        as_json = true;
                        break;
                case 'C':
                        if (cw_bundle_copies_from_string(optarg, &request.copies) < 0) {
                                fprintf(stderr, _("callwitness export: --copies takes mp3, wav or none, not '%s'\n"),
                                        optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        help = true;   /* after --lang, wherever it stands */
                        break;
                default:
                        return 2;
                }
        }
        /* The report, and what this command says, in that language. */
        if (language && cw_cli_set_language("export", language) < 0)
                return 2;
        if (help) {
                fputs(_(export_usage), stdout);
                printf(_("\n"
                         "Writes the chosen calls as an evidence bundle: a folder, or a .zip when PATH\n"
                         "ends in .zip. It holds the recordings byte for byte, a copy of each that\n"
                         "any player plays (--copies: mp3, both sides mixed, the default; wav; none),\n"
                         "manifest.json, report.html and report.txt (in your language, or in the one\n"
                         "--lang names: en, es, zh_CN), SHA256SUMS and SHA256SUMS.minisig, signed\n"
                         "with this device's key. Anyone can check it with sha256sum -c SHA256SUMS\n"
                         "and minisign -Vm SHA256SUMS -P <key>, or with callwitness verify PATH.\n"
                         "Without IDs or filters: nothing is chosen; --all chooses every call.\n"
                         "--json prints the path, the number of calls and files, and the key.\n"));
                return 0;
        }
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
        } else if (!every_call && !filter.tagged_only && !filter.tag && !filter.number && !filter.has_since &&
                   !filter.has_until && !filter.missed_only && !filter.limit) {
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
        if (as_json)
                print_json(request.output, &result, key);
        else
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
