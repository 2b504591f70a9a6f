/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "callwitness/contact-reports.h"
#include "callwitness/text.h"
#include "common.h"
#include "contact.h"

static const char *const contact_usage = N_(
        "Usage: callwitness contact-call --contact NAME --at DATE [--number N] [--note TEXT]\n\n"
        "Keeps a call a collector made to someone else (family, a friend, the\n"
        "employer) as that person reported it: who was called, when, from which\n"
        "number, and what they were told. It is kept as reported, not recorded,\n"
        "with an entry in the audit log, and goes into evidence bundles.\n");

static int third_party_rule(const char *tag, const char *rule, const char *source, void *userdata) {
        if (strcmp(tag, "third-party") == 0)
                printf(_("The %s preset says: %s [%s].\n"), (const char *) userdata, rule, source);
        return 0;
}

int cw_cli_contact_call(int argc, char **argv) {
        static const struct option options[] = {
                { "contact", required_argument, NULL, 'c' },
                { "number", required_argument, NULL, 'n' },
                { "at", required_argument, NULL, 'a' },
                { "note", required_argument, NULL, 'N' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        cw_contact_report report = { .reported_at = cw_timestamp_now() };
        const char *at = NULL;
        cw_catalog *catalog;
        cw_rulebook *rules = NULL;
        int64_t id = 0, at_ms;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "c:n:a:N:h", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        report.contact = optarg;
                        break;
                case 'n':
                        report.number = optarg;
                        break;
                case 'a':
                        at = optarg;
                        break;
                case 'N':
                        report.note = optarg;
                        break;
                case 'h':
                        fputs(_(contact_usage), stdout);
                        return 0;
                default:
                        fputs(_(contact_usage), stderr);
                        return 2;
                }
        if (optind != argc || !report.contact || !at) {
                fputs(_(contact_usage), stderr);
                return 2;
        }
        if (cw_cli_parse_time(at, false, &at_ms) < 0) {
                fprintf(stderr, _("callwitness contact-call: '%s' is not a date and time\n"), at);
                return 2;
        }
        report.at = cw_timestamp_from_utc_ms(at_ms);
        if (cw_cli_open_catalog(true, &catalog, NULL) < 0)
                return 1;
        r = cw_contact_report_add(catalog, &report, &id);
        if (r == 0) {
                printf(_("Contact call %lld recorded (as reported, not recorded).\n"), (long long) id);
                if (cw_cli_load_rules(&rules) == 0)
                        cw_preset_foreach_rule(cw_rulebook_jurisdiction(rules), third_party_rule,
                                               (void *) cw_rulebook_preset(rules));
                cw_rulebook_free(rules);
        } else if (r == -EINVAL)
                fprintf(stderr, _("callwitness contact-call: not recorded: the contact must be one line, the number "
                                  "digits, the note text\n"));
        else
                fprintf(stderr, _("callwitness contact-call: %s\n"), cw_catalog_last_error(catalog));
        cw_catalog_free(catalog);
        return r == 0 ? 0 : r == -EINVAL ? 2 : 1;
}

static int print_report(const cw_contact_report *report, void *userdata) {
        char when[32];
        struct tm tm;

        if ((*(size_t *) userdata)++ == 0)
                printf("\n%s\n", _("Calls to other people, as they reported them:"));
        cw_timestamp_local_tm(&report->at, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        printf(_("  c%-4lld %s  to %s, from %s\n"), (long long) report->id, when, report->contact,
               report->number ? report->number : _("an unknown number"));
        /* A note's later lines are indented under it: none can pass for a
         * line of the list. */
        if (report->note) {
                printf("%s", _("       note: "));
                cw_text_write_indented(stdout, report->note, "       | ");
                printf("\n");
        }
        return 0;
}

int cw_cli_print_contact_reports(cw_catalog *catalog) {
        size_t n = 0;

        return cw_contact_report_foreach(catalog, print_report, &n);
}
