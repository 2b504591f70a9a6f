/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitness: review the calls callwitnessd recorded. Reads the catalog
 * only (sqlite WAL lets it read while the daemon writes). */

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/call-json.h"
#include "callwitness/catalog.h"
#include "callwitness/paths.h"
#include "callwitness/text.h"
#include "collector.h"
#include "common.h"
#include "contact.h"
#include "key.h"
#include "media.h"
#include "recorder.h"
#include "review.h"
#include "rule.h"

/* Each call is serialised as it comes (a tree of 30,000 calls costs more
 * than writing them), into a buffer printed only once every call was read:
 * an error leaves no half array on stdout. */
typedef struct json_listing {
        FILE *out;
        size_t n;
} json_listing;

static int print_json_call(const cw_call_record *call, void *userdata) {
        json_listing *listing = userdata;
        json_object *o = cw_call_json(call);

        if (!o)
                return -ENOMEM;
        /* Indented as a member of the array, as a whole tree would be. */
        fputs(listing->n++ ? ",\n  " : "  ", listing->out);
        for (const char *line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);;) {
                const char *end = strchr(line, '\n');

                if (!end) {
                        fputs(line, listing->out);
                        break;
                }
                fwrite(line, 1, (size_t) (end - line), listing->out);
                fputs("\n  ", listing->out);
                line = end + 1;
        }
        json_object_put(o);
        return 0;
}

static void format_duration(int64_t ms, char *buf, size_t size) {
        int64_t s = (ms + 500) / 1000;

        if (s >= 3600)
                snprintf(buf, size, "%lld:%02lld:%02lld", (long long) (s / 3600), (long long) (s / 60 % 60),
                         (long long) (s % 60));
        else
                snprintf(buf, size, "%lld:%02lld", (long long) (s / 60), (long long) (s % 60));
}

static int print_line(const cw_call_record *call, void *userdata) {
        /* A number (or a sender's name) from the network, on one line, with
         * nothing in it that could change how the list reads. */
        char when[32], duration[32], *number = call->number ? cw_text_visible_line(call->number) : NULL;
        struct tm tm;
        int *count = userdata;

        cw_timestamp_local_tm(&call->started, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        if (!call->ended)
                snprintf(duration, sizeof duration, "%s", _("in progress"));
        else if (call->answered)
                format_duration(call->duration_ms, duration, sizeof duration);
        else
                snprintf(duration, sizeof duration, "%s", call->outcome);

        if (call->kind == CW_KIND_ENCOUNTER)
                printf("%5lld  %s  %-3s  %-18s  %-10s ", (long long) call->id, when, _("enc"),
                       call->label ? call->label : _("encounter"), duration);
        else if (call->kind == CW_KIND_MESSAGE)
                printf("%5lld  %s  %-3s  %-18s  %-10s ", (long long) call->id, when, _("sms"),
                       number ? number : _("unknown"), _(call->outcome));
        else
                printf("%5lld  %s  %-3s  %-18s  %-10s ", (long long) call->id, when,
                       call->direction == CW_DIRECTION_OUTGOING ? _("out") : _("in"),
                       number ? number : _("unknown"), duration);
        free(number);
        if (call->file && call->capture_mode != CW_CAPTURE_SEPARATE && call->kind == CW_KIND_CALL)
                printf(" (%s)", cw_capture_mode_to_string(call->capture_mode));
        for (size_t i = 0; i < call->n_tags; i++)
                printf(" [%s]", call->tags[i].name);
        printf("\n");
        for (size_t i = 0; i < call->n_tags; i++)
                printf("       %s: %s\n", call->tags[i].name, call->tags[i].reason);
        for (size_t i = 0; i < call->n_warnings; i++)
                printf("       %s %s\n", _("warning:"), call->warnings[i]);
        if (call->message && (call->message->text || call->message->data_hex)) {
                /* One line of it: the whole is in show. */
                char *visible = cw_text_visible(call->message->text ? call->message->text : call->message->data_hex);
                const char *text = visible ? visible : "";
                size_t len = strcspn(text, "\n");

                len = cw_utf8_fit(text, len > 72 ? 72 : len);
                printf("       %s%.*s%s\n", call->message->text ? "" : _("data: "), (int) len, text,
                       text[len] ? "…" : "");
                free(visible);
        }
        for (size_t i = 0; i < call->n_marks; i++) {
                char in_file[CW_FILE_OFFSET_MAX];

                cw_format_file_offset(call->marks[i].offset_ms, in_file);
                printf("       %s %s%s%s\n", _("mark"), in_file, call->marks[i].text[0] ? ": " : "",
                       call->marks[i].text);
        }
        (*count)++;
        return 0;
}

/* A literal in N_() (not a macro in _()): xgettext extracts only literals. */
static const char list_usage[] = N_("Usage: callwitness list [--tagged] [--tag TAG] [--number N] [--since DATE] "
                                    "[--until DATE]\n"
                                    "                        [--missed] [--calls | --messages | --encounters] "
                                    "[--limit N] [--json]\n");

static int parse_list_options(int argc, char **argv, cw_call_filter *f, bool *as_json) {
        static const struct option options[] = {
                CW_CLI_FILTER_OPTIONS,
                { "calls", no_argument, NULL, 'C' },
                { "messages", no_argument, NULL, 'M' },
                { "encounters", no_argument, NULL, 'E' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int opt, r;

        while ((opt = getopt_long(argc, argv, CW_CLI_FILTER_SHORT "jh", options, NULL)) >= 0) {
                if ((r = cw_cli_filter_option(opt, f)) != 0) {
                        if (r < 0)
                                return 2;
                        continue;
                }
                switch (opt) {
                case 'C':
                case 'M':
                case 'E': {
                        cw_record_kind kind = opt == 'C' ? CW_KIND_CALL : opt == 'M' ? CW_KIND_MESSAGE : CW_KIND_ENCOUNTER;

                        if (f->has_kind && f->kind != kind) {
                                fputs(_(list_usage), stderr);
                                return 2;
                        }
                        f->has_kind = true;
                        f->kind = kind;
                        break;
                }
                case 'j':
                        *as_json = true;
                        break;
                case 'h':
                        fputs(_(list_usage), stdout);
                        printf(_("\n"
                                 "Lists recorded calls, oldest first. --tagged: only tagged calls; --tag: only\n"
                                 "calls with that tag; --number: only that number; --since/--until: calls that\n"
                                 "started in that local time span (a bare --until date includes that day);\n"
                                 "--missed: incoming calls nobody answered; --calls, --messages, --encounters:\n"
                                 "only phone calls, text messages, or encounters (callwitness record); --limit N:\n"
                                 "the newest N. Calls, messages and encounters are one timeline.\n"));
                        return 0;
                default:
                        return 2;
                }
        }
        if (optind != argc) {
                fputs(_(list_usage), stderr);
                return 2;
        }
        return -1;
}

static int cmd_list(int argc, char **argv) {
        cw_call_filter filter = { 0 };
        bool as_json = false;
        cw_catalog *catalog = NULL;
        int r, count = 0;

        r = parse_list_options(argc, argv, &filter, &as_json);
        if (r >= 0)
                return r;
        r = cw_cli_open_catalog(false, &catalog, NULL);
        if (r == -ENOENT && as_json) {
                printf("[]\n");
                return 0;
        }
        if (r < 0)
                return r == -ENOENT ? 0 : 1;

        if (as_json) {
                json_listing listing = { 0 };
                char *text = NULL;
                size_t size = 0;

                listing.out = open_memstream(&text, &size);
                r = listing.out ? cw_catalog_find_calls(catalog, &filter, print_json_call, &listing) : -ENOMEM;
                if (listing.out && fclose(listing.out) != 0 && r == 0)
                        r = -ENOMEM;
                if (r == 0)
                        printf(listing.n ? "[\n%s\n]\n" : "[]\n", text);
                free(text);
        } else {
                r = cw_catalog_find_calls(catalog, &filter, print_line, &count);
                if (r == 0 && count == 0)
                        printf(!filter.has_kind ? _("Nothing recorded.\n")
                       : filter.kind == CW_KIND_ENCOUNTER ? _("No encounters.\n")
                       : filter.kind == CW_KIND_MESSAGE   ? _("No messages.\n")
                                                          : _("No calls.\n"));
                /* The whole list: what others were called, too. */
                if (r == 0 && !filter.id && !filter.tagged_only && !filter.tag && !filter.number && !filter.has_since &&
                    !filter.has_until && !filter.missed_only && !filter.limit && !filter.has_kind)
                        r = cw_cli_print_contact_reports(catalog);
        }
        if (r < 0)
                fprintf(stderr, _("callwitness: reading the catalog failed: %s\n"), cw_catalog_last_error(catalog));
        cw_catalog_free(catalog);
        return r < 0 ? 1 : 0;
}

static void usage(FILE *out) {
        fprintf(out, _("Usage: callwitness COMMAND [OPTIONS]\n\n"
                       "Commands:\n"
                       "  list [--tagged] [--tag TAG] [--number N] [--since DATE] [--until DATE] [--missed]\n"
                       "       [--calls | --messages | --encounters] [--limit N] [--json]\n"
                       "                             calls, text messages and encounters, oldest first\n"
                       "  show ID [--json]           one call: timeline, tags, notes, caller, file, SHA-256\n"
                       "  play ID                    play a call's recording\n"
                       "  note ID TEXT               add a note to a call\n"
                       "  record [--label TEXT]      record the microphone: a visit at the door (callwitnessd records)\n"
                       "  stop [ID]                  stop recording the encounter\n"
                       "  mark [TEXT]                mark this instant in the call or encounter being recorded\n"
                       "  mark ID --at MM:SS [TEXT]  mark a moment of a finished recording\n"
                       "  identify ID --company NAME --employee-id CODE [--name PERSON]\n"
                       "                             who the caller said they are\n"
                       "  collector add NAME NUMBER..., collector remove NAME [NUMBER...], collector list\n"
                       "                             name the company behind numbers: calls are counted per company\n"
                       "  retag [--since DATE]       judge the calls again by the rules in force\n"
                       "  contact-call --contact NAME --at DATE [--number N] [--note TEXT]\n"
                       "                             a collector's call to someone else, as they reported it\n"
                       "  rule add NUMBER never-record|always-record|label TEXT, rule remove NUMBER, rule list\n"
                       "                             never record a number (family, a doctor), or label it\n"
                       "  tag ID TAG [REASON], untag ID TAG\n"
                       "                             tag by hand (never overwritten by the policy)\n"
                       "  delete ID [--force] [--yes]  delete a call (tagged or exported ones need --force)\n"
                       "  doctor [--seconds N]       check this phone's capture: device, profile, sources, levels\n"
                       "  export [ID... | filters] -o PATH\n"
                       "                             write chosen calls as a signed evidence bundle (folder or .zip)\n"
                       "  verify --catalog           check every recording and catalog row against the audit log\n"
                       "  verify PATH [--key KEY]    check an evidence bundle\n"
                       "  key                        print this device's public key (bundles are signed with it)\n"
                       "  recover [--force]          rebuild a lost or damaged catalog from the recordings\n"));
}

int main(int argc, char **argv) {
        cw_cli_init_locale();

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (cw_cli_is_media_command(argv[1]))
                return cw_cli_media(argc - 1, argv + 1);
        if (strcmp(argv[1], "list") == 0)
                return cmd_list(argc - 1, argv + 1);
        if (strcmp(argv[1], "show") == 0)
                return cw_cli_show(argc - 1, argv + 1);
        if (strcmp(argv[1], "note") == 0)
                return cw_cli_note(argc - 1, argv + 1);
        if (strcmp(argv[1], "identify") == 0)
                return cw_cli_identify(argc - 1, argv + 1);
        if (strcmp(argv[1], "collector") == 0)
                return cw_cli_collector(argc - 1, argv + 1);
        if (strcmp(argv[1], "retag") == 0)
                return cw_cli_retag(argc - 1, argv + 1);
        if (strcmp(argv[1], "rule") == 0)
                return cw_cli_rule(argc - 1, argv + 1);
        if (strcmp(argv[1], "contact-call") == 0)
                return cw_cli_contact_call(argc - 1, argv + 1);
        if (strcmp(argv[1], "record") == 0)
                return cw_cli_record(argc - 1, argv + 1);
        if (strcmp(argv[1], "stop") == 0)
                return cw_cli_stop(argc - 1, argv + 1);
        if (strcmp(argv[1], "mark") == 0)
                return cw_cli_mark(argc - 1, argv + 1);
        if (strcmp(argv[1], "tag") == 0 || strcmp(argv[1], "untag") == 0)
                return cw_cli_tag(argc - 1, argv + 1, strcmp(argv[1], "tag") == 0);
        if (strcmp(argv[1], "delete") == 0)
                return cw_cli_delete(argc - 1, argv + 1);
        if (strcmp(argv[1], "key") == 0)
                return cw_cli_key(argc - 1, argv + 1);
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("callwitness %s\n", CW_VERSION);
                return 0;
        }
        fprintf(stderr, _("callwitness: unknown command '%s'\n"), argv[1]);
        usage(stderr);
        return 2;
}
