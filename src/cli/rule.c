/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/judgement.h"
#include "callwitness/number-rules.h"
#include "callwitness/number.h"
#include "common.h"
#include "rule.h"

static const char *const rule_usage = N_(
        "Usage: callwitness rule add NUMBER never-record|always-record\n"
        "       callwitness rule add NUMBER label TEXT\n"
        "       callwitness rule remove NUMBER\n"
        "       callwitness rule list\n\n"
        "A number that is never recorded (family, a doctor) still gets its row in\n"
        "the catalog, marked \"not recorded: rule\", and no file. A label is shown\n"
        "with the number. Each change is in the audit log.\n");

static void count_change(const cw_tag_change *change, void *userdata) {
        (*(size_t *) userdata)++;
}

static int print_rule(const cw_number_rule *rule, void *userdata) {
        printf("%-18s  %-14s  %s\n", rule->number,
               rule->record == CW_RECORD_NEVER ? "never-record"
               : rule->record == CW_RECORD_ALWAYS ? "always-record" : "-",
               rule->label ? rule->label : "");
        (*(size_t *) userdata)++;
        return 0;
}

static int list_rules(void) {
        cw_catalog *catalog;
        size_t n = 0;
        int r = cw_cli_open_catalog(false, &catalog, NULL);

        if (r < 0)
                return r == -ENOENT ? 0 : 1;
        r = cw_number_rule_foreach(catalog, print_rule, &n);
        if (r == 0 && n == 0)
                printf(_("No rules: every call is recorded.\n"));
        if (r < 0)
                fprintf(stderr, _("callwitness: reading the catalog failed: %s\n"), cw_catalog_last_error(catalog));
        cw_catalog_free(catalog);
        return r < 0 ? 1 : 0;
}

int cw_cli_rule(int argc, char **argv) {
        cw_timestamp now = cw_timestamp_now();
        cw_record_rule record = CW_RECORD_DEFAULT;
        const char *label = NULL;
        cw_catalog *catalog;
        cw_rulebook *rules;
        size_t changes = 0;
        int r;

        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                fputs(_(rule_usage), stdout);
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "list") == 0)
                return list_rules();
        if (argc == 4 && strcmp(argv[1], "add") == 0 && strcmp(argv[3], "never-record") == 0)
                record = CW_RECORD_NEVER;
        else if (argc == 4 && strcmp(argv[1], "add") == 0 && strcmp(argv[3], "always-record") == 0)
                record = CW_RECORD_ALWAYS;
        else if (argc == 5 && strcmp(argv[1], "add") == 0 && strcmp(argv[3], "label") == 0)
                label = argv[4];
        else if (!(argc == 3 && strcmp(argv[1], "remove") == 0)) {
                fputs(_(rule_usage), stderr);
                return 2;
        }
        if (cw_cli_load_rules(&rules) < 0)
                return 1;
        if (cw_cli_open_catalog(true, &catalog, NULL) < 0) {
                cw_rulebook_free(rules);
                return 1;
        }
        r = cw_number_rule_change(catalog, rules, argv[2], strcmp(argv[1], "remove") == 0, record, label, &now,
                                  count_change, &changes);
        if (r == 0) {
                char canonical[CW_NUMBER_MAX];

                /* The form it is kept in says which country code read it. */
                cw_number_canonical(argv[2], cw_rulebook_country_code(rules), canonical);
                printf(strcmp(argv[1], "remove") == 0 ? _("Rule for %s (%s) removed.\n")
                                                      : _("Rule for %s (%s) recorded.\n"), argv[2], canonical);
                if (changes)
                        printf(ngettext("%zu tag changed.\n", "%zu tags changed.\n", changes), changes);
        } else if (r == -EINVAL)
                fprintf(stderr, _("callwitness rule: '%s' is not a number a rule can name (withheld, or a code), or "
                                  "the label is not one line\n"), argv[2]);
        else if (r == -ENOENT)
                fprintf(stderr, _("callwitness rule: %s has no rule\n"), argv[2]);
        else
                fprintf(stderr, _("callwitness rule: %s\n"), r == -EBUSY ? _("the catalog is busy; try again")
                                                                         : cw_catalog_last_error(catalog));
        cw_catalog_free(catalog);
        cw_rulebook_free(rules);
        return r == 0 ? 0 : r == -EINVAL ? 2 : 1;
}
