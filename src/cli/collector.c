/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/judgement.h"
#include "callwitness/number.h"
#include "collector.h"
#include "common.h"

static const char *const collector_usage = N_(
        "Usage: callwitness collector add NAME NUMBER...\n"
        "       callwitness collector remove NAME [NUMBER...]\n"
        "       callwitness collector list\n\n"
        "A collector is the name of a company that calls from several numbers:\n"
        "calls are counted per collector for the frequency rules. Adding or\n"
        "removing judges every call again; each tag that changes is in the\n"
        "audit log.\n");

static const char *const retag_usage = N_(
        "Usage: callwitness retag [--since DATE]\n\n"
        "Judges the calls again (all of them, or those since DATE) by the rules\n"
        "in force, prints each policy tag that appears, changes or goes, and\n"
        "keeps each change in the audit log. Tags set by hand never change.\n");

static void print_change(const cw_tag_change *change, void *userdata) {
        size_t *n = userdata;

        (*n)++;
        printf(_("call %lld: %s %s: %s\n"), (long long) change->call_id, change->tag,
               strcmp(change->change, "added") == 0 ? _("added")
               : strcmp(change->change, "removed") == 0 ? _("removed") : _("changed"),
               change->reason);
}

static void print_summary(size_t changes) {
        if (changes == 0)
                printf(_("No tag changed.\n"));
        else
                printf(ngettext("%zu tag changed.\n", "%zu tags changed.\n", changes), changes);
}

/* Opens what a change needs; prints why not. */
static int open_for_change(cw_catalog **catalog, cw_rulebook **rules) {
        if (cw_cli_load_rules(rules) < 0)
                return -EINVAL;
        if (cw_cli_open_catalog(true, catalog, NULL) < 0) {
                *rules = cw_rulebook_free(*rules);
                return -ENOENT;
        }
        return 0;
}

static int print_collector(const cw_collector_record *collector, void *userdata) {
        char added[CW_RFC3339_MAX];

        cw_timestamp_format_rfc3339(&collector->added, added);
        printf("%s\n", collector->name);
        printf(_("  numbers: "));
        for (size_t i = 0; i < collector->n_numbers; i++)
                printf("%s%s", i ? ", " : "", collector->numbers[i]);
        printf(_("\n  calls: %lld; since %s\n"), (long long) collector->calls, added);
        (*(size_t *) userdata)++;
        return 0;
}

static int explain(int r, const char *name) {
        if (r == -EINVAL)
                fprintf(stderr, _("callwitness collector: a collector needs a name (one line) and numbers, not a "
                                  "withheld caller or a code\n"));
        else if (r == -ENOENT)
                fprintf(stderr, _("callwitness collector: there is no collector '%s' holding those numbers\n"), name);
        else if (r == -EBUSY)
                fprintf(stderr, _("callwitness collector: the catalog is busy; try again\n"));
        else if (r < 0)
                fprintf(stderr, _("callwitness collector: %s\n"), strerror(-r));
        return r < 0 ? 1 : 0;
}

int cw_cli_collector(int argc, char **argv) {
        cw_timestamp now = cw_timestamp_now();
        cw_catalog *catalog = NULL;
        cw_rulebook *rules = NULL;
        size_t changes = 0;
        int r;

        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                fputs(_(collector_usage), stdout);
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "list") == 0) {
                size_t n = 0;

                if (cw_cli_load_rules(&rules) < 0)
                        return 1;
                r = cw_cli_open_catalog(false, &catalog, NULL);
                if (r == 0) {
                        r = cw_collector_foreach(catalog, rules, print_collector, &n);
                        if (r == 0 && n == 0)
                                printf(_("No collectors. Name one with: callwitness collector add NAME NUMBER...\n"));
                        if (r < 0)
                                fprintf(stderr, _("callwitness: reading the catalog failed: %s\n"),
                                        cw_catalog_last_error(catalog));
                } else if (r == -ENOENT)
                        r = 0;
                cw_catalog_free(catalog);
                cw_rulebook_free(rules);
                return r < 0 ? 1 : 0;
        }
        if (argc < 3 || (strcmp(argv[1], "add") == 0 && argc < 4) ||
            (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0)) {
                fputs(_(collector_usage), stderr);
                return 2;
        }
        if (open_for_change(&catalog, &rules) < 0)
                return 1;
        if (strcmp(argv[1], "add") == 0)
                r = cw_collector_add(catalog, rules, argv[2], (const char *const *) argv + 3, (size_t) argc - 3, &now,
                                     print_change, &changes);
        else
                r = cw_collector_remove(catalog, rules, argv[2], (const char *const *) argv + 3, (size_t) argc - 3, &now,
                                        print_change, &changes);
        if (r == 0) {
                printf(strcmp(argv[1], "add") == 0 ? _("Collector %s: numbers added.\n")
                       : argc > 3 ? _("Collector %s: numbers removed.\n") : _("Collector %s removed.\n"), argv[2]);
                print_summary(changes);
        }
        cw_catalog_free(catalog);
        cw_rulebook_free(rules);
        return explain(r, argv[2]);
}

int cw_cli_join_collector(cw_catalog *catalog, const char *company, const char *number) {
        cw_timestamp now = cw_timestamp_now();
        cw_rulebook *rules = NULL;
        size_t changes = 0;
        int r;

        if (cw_number_is_withheld(number)) {
                printf(_("The number was withheld: it joins no collector.\n"));
                return 0;
        }
        if (cw_cli_load_rules(&rules) < 0)
                return -EINVAL;
        r = cw_collector_add(catalog, rules, company, &number, 1, &now, print_change, &changes);
        if (r == 0) {
                printf(_("%s is now counted with the collector %s.\n"), number, company);
                print_summary(changes);
        } else if (r == -EINVAL) {
                /* The company is a valid name (identify checked it): the
                 * number is a code, not one a collector can hold. */
                printf(_("%s is not a number a collector can hold: it joins no collector.\n"), number);
                r = 0;
        } else
                explain(r, company);
        cw_rulebook_free(rules);
        return r;
}

int cw_cli_retag(int argc, char **argv) {
        static const struct option options[] = {
                { "since", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        cw_timestamp now = cw_timestamp_now();
        int64_t since_ms = INT64_MIN / 2;
        cw_catalog *catalog = NULL;
        cw_rulebook *rules = NULL;
        size_t changes = 0;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "s:h", options, NULL)) >= 0)
                switch (opt) {
                case 's':
                        if (cw_cli_parse_time(optarg, false, &since_ms) < 0) {
                                fprintf(stderr, _("callwitness retag: '%s' is not a date\n"), optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        fputs(_(retag_usage), stdout);
                        return 0;
                default:
                        fputs(_(retag_usage), stderr);
                        return 2;
                }
        if (optind != argc) {
                fputs(_(retag_usage), stderr);
                return 2;
        }
        if (open_for_change(&catalog, &rules) < 0)
                return 1;
        if (since_ms == INT64_MIN / 2) {
                bool done;

                r = cw_catalog_retag_all(catalog, rules, "callwitness retag", false, &now, print_change, &changes,
                                         &done);
        } else
                r = cw_catalog_retag(catalog, rules, since_ms, "callwitness retag", &now, print_change, &changes);
        if (r == 0) {
                printf(_("Judged by the %s preset.\n"), cw_rulebook_preset(rules));
                print_summary(changes);
        } else
                fprintf(stderr, _("callwitness retag: %s\n"), r == -EBUSY ? _("the catalog is busy; try again")
                                                                          : cw_catalog_last_error(catalog));
        cw_catalog_free(catalog);
        cw_rulebook_free(rules);
        return r < 0 ? 1 : 0;
}
