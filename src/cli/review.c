/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitness show, note, identify, tag, untag, delete: one call at a time. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/call-json.h"
#include "callwitness/clock.h"
#include "callwitness/review.h"
#include "callwitness/text.h"
#include "collector.h"
#include "common.h"
#include "review.h"

static void local_time(const cw_timestamp *ts, char *buf, size_t size) {
        struct tm tm;
        int offset_min = ts->utc_offset_s / 60;

        cw_timestamp_local_tm(ts, &tm);
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(buf + strlen(buf), size - strlen(buf), " UTC%c%02d:%02d", offset_min < 0 ? '-' : '+',
                 abs(offset_min) / 60, abs(offset_min) % 60);
}

static int print_state(const cw_state_record *state, void *userdata) {
        char when[64];

        local_time(&state->at, when, sizeof when);
        printf("  %s  %s%s%s%s\n", when, state->state, state->reason ? " (" : "", state->reason ? state->reason : "",
               state->reason ? ")" : "");
        return 0;
}

typedef struct show_context {
        cw_catalog *catalog;
        bool as_json;
} show_context;

/* A field the network gave, on one line, written out where it could change
 * how the lines around it read (\u{1b}); the caller frees it. */
static char *shown(const char *text) {
        char *visible = cw_text_visible_line(text ? text : "");

        return visible ? visible : strdup("?");
}

static void print_message(const cw_message_record *m) {
        char when[64], *sent = shown(m->sent_reported), *smsc = shown(m->smsc), *text;

        if (m->has_sent) {
                local_time(&m->sent_at, when, sizeof when);
                printf(_("Sent:      %s (the network's time: %s)\n"), when, sent);
        } else if (m->sent_reported)
                printf(_("Sent:      %s (the network's time, not understood)\n"), sent);
        local_time(&m->seen_at, when, sizeof when);
        printf(m->receipt_known ? _("Received:  %s\n") : _("Read:      %s (found stored when callwitnessd started: "
                                                              "when it arrived is not known)\n"), when);
        if (m->smsc)
                printf(_("SMSC:      %s\n"), smsc);
        if (m->deleted_before_read)
                printf(m->complete || m->text ? _("Deleted:   by another program before callwitnessd read all of it\n")
                                              : _("Deleted:   by another program before callwitnessd could read it: "
                                                  "its text is not known\n"));
        /* As the network delivered it, its lines kept, anything that could
         * change how the lines around it read written out. */
        if (m->text) {
                text = cw_text_visible(m->text);
                printf("%s", _("Text:      "));
                cw_text_write_indented(stdout, text ? text : "?", "           | ");
                printf("\n");
                free(text);
        } else if (!m->data_hex && !m->deleted_before_read)
                printf(_("Text:      (not read: the modem did not give it)\n"));
        if (m->data_hex)
                printf(_("Data:      %s (a binary message, as hex)\n"), m->data_hex);
        if (!m->complete && !m->deleted_before_read && (m->text || m->sender))
                printf(_("Complete:  no: its last part had not arrived when it was kept\n"));
        printf(_("SHA-256:   %s (of its canonical text)\n"), m->sha256);
        free(sent);
        free(smsc);
}

static void print_call(const cw_call_record *call, cw_catalog *catalog) {
        char when[64], *visible, *number = call->number ? shown(call->number) : NULL;

        if (call->kind == CW_KIND_ENCOUNTER)
                printf(_("Encounter %lld: %s\n"), (long long) call->id, call->label ? call->label : _("no label"));
        else if (call->kind == CW_KIND_MESSAGE)
                printf(_("Message %lld from %s\n"), (long long) call->id, number ? number : _("unknown number"));
        else
                printf(_("Call %lld: %s %s\n"), (long long) call->id,
                       call->direction == CW_DIRECTION_OUTGOING ? _("outgoing to") : _("incoming from"),
                       number ? number : _("unknown number"));
        free(number);
        /* A message does not end; its outcome says it all. */
        printf(_("Outcome:   %s%s%s\n"), call->outcome ? _(call->outcome) : _("in progress"),
               call->end_reason && call->kind != CW_KIND_MESSAGE ? _(", ended by ") : "",
               call->end_reason && call->kind != CW_KIND_MESSAGE ? call->end_reason : "");
        printf(_("Timeline:\n"));
        cw_catalog_foreach_state(catalog, call->id, print_state, NULL);
        /* A mark's instant in the call: where it falls in the file, from
         * the answer (when the file starts). */
        for (size_t i = 0; i < call->n_marks; i++) {
                cw_timestamp in_call = cw_timestamp_from_utc_ms(call->answered_at.utc_ms + call->marks[i].offset_ms);
                char in_file[CW_FILE_OFFSET_MAX];

                in_call.utc_offset_s = call->answered_at.utc_offset_s;
                local_time(&in_call, when, sizeof when);
                cw_format_file_offset(call->marks[i].offset_ms, in_file);
                printf(_("  %s  mark at %s in the file%s%s"), when, in_file, call->marks[i].text[0] ? ": " : "",
                       call->marks[i].text);
                if (!call->marks[i].live) {
                        char added[64];

                        local_time(&call->marks[i].at, added, sizeof added);
                        printf(_(" (added afterwards, %s)"), added);
                }
                printf("\n");
        }
        for (size_t i = 0; i < call->n_tags; i++)
                printf(_("Tag:       %s (%s): %s\n"), call->tags[i].name,
                       call->tags_manual[i] ? _("by hand") : _("policy"), call->tags[i].reason);
        for (size_t i = 0; i < call->n_warnings; i++)
                printf(_("Warning:   %s\n"), call->warnings[i]);
        if (call->caller_company || call->caller_employee_id || call->caller_name)
                printf(_("Caller:    company %s, employee id %s, name %s\n"),
                       call->caller_company ? call->caller_company : "-",
                       call->caller_employee_id ? call->caller_employee_id : "-",
                       call->caller_name ? call->caller_name : "-");
        for (size_t i = 0; i < call->n_notes; i++) {
                local_time(&call->notes[i].at, when, sizeof when);
                /* A note's later lines are indented: none can pass for a
                 * line of its own. */
                printf("%s", _("Note:      "));
                cw_text_write_indented(stdout, call->notes[i].text, "           | ");
                printf(" (%s)\n", when);
        }
        if (call->message)
                print_message(call->message);
        else if (call->file) {
                printf(_("File:      %s\n"), call->file);
                printf(_("           %llu bytes, %.1f s, %s\n"), (unsigned long long) call->file_size,
                       call->file_duration_ms / 1000.0, cw_capture_mode_to_string(call->capture_mode));
                printf(_("SHA-256:   %s\n"), call->sha256 ? call->sha256 : _("(still recording)"));
        } else if (call->kind == CW_KIND_ENCOUNTER)
                printf(_("File:      none (the recording could not be made: see the warnings)\n"));
        else
                printf(_("File:      none (the call was never answered)\n"));
        if (call->clock) {
                char words[512];

                cw_clock_describe(call->clock->synced, call->clock->network_reported, call->clock->network_offset_ms,
                                  words, sizeof words);
                /* Its words come from the network: written out, never obeyed. */
                visible = cw_text_visible_line(words);
                printf(_("Clock:     %s\n"), visible ? visible : words);
                free(visible);
        }
        if (call->exported)
                printf(_("Exported:  yes, in at least one evidence bundle\n"));
}

static int show_call(const cw_call_record *call, void *userdata) {
        show_context *ctx = userdata;
        json_object *o, *timeline, *audit;

        if (!ctx->as_json) {
                print_call(call, ctx->catalog);
                return 1;
        }
        if (!(o = cw_call_json(call)))
                return -ENOMEM;
        timeline = json_object_new_array();
        cw_catalog_foreach_state(ctx->catalog, call->id, cw_json_append_state, timeline);
        json_object_object_add(o, "timeline", timeline);
        audit = json_object_new_array();
        cw_audit_foreach(ctx->catalog, call->id, cw_json_append_audit_entry, audit);
        json_object_object_add(o, "audit", audit);
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return 1;
}

int cw_cli_show(int argc, char **argv) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        show_context ctx = { 0 };
        int64_t id;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "jh", options, NULL)) >= 0)
                switch (opt) {
                case 'j':
                        ctx.as_json = true;
                        break;
                case 'h':
                        printf(_("Usage: callwitness show ID [--json]\n\nEverything about one call: its timeline "
                                 "in local time, tags with reasons, warnings,\nthe caller's identity, notes, the "
                                 "file with its size and SHA-256; --json adds\nthe audit-log entries that "
                                 "cover it.\n"));
                        return 0;
                default:
                        return 2;
                }
        if (optind + 1 != argc) {
                fprintf(stderr, _("Usage: callwitness show ID [--json]\n"));
                return 2;
        }
        if (cw_cli_parse_id(argv[optind], &id) < 0)
                return 2;
        if (cw_cli_open_catalog(false, &ctx.catalog, NULL) < 0)
                return 1;
        r = cw_catalog_find_calls(ctx.catalog, &(cw_call_filter) { .id = id }, show_call, &ctx);
        if (r == 0)
                fprintf(stderr, _("callwitness: there is no call %lld\n"), (long long) id);
        else if (r < 0)
                fprintf(stderr, _("callwitness: reading the catalog failed: %s\n"), cw_catalog_last_error(ctx.catalog));
        cw_catalog_free(ctx.catalog);
        return r == 1 ? 0 : 1;
}

/* Reports a review change's result; 0 when it was made. */
static int report(int r, int64_t id, const char *done) {
        if (r == 0) {
                printf("%s\n", done);
                return 0;
        }
        if (r == -ENOENT)
                fprintf(stderr, _("callwitness: there is no call %lld\n"), (long long) id);
        else if (r == -EBUSY)
                fprintf(stderr, _("callwitness: the catalog is busy; try again\n"));
        else
                fprintf(stderr, _("callwitness: the change was not made: %s\n"), strerror(-r));
        return 1;
}

/* ID and the arguments after it; NULL catalog when usage is wrong. */
static int open_for_change(int argc, char **argv, int min_args, int max_args, const char *usage, int64_t *id,
                           cw_catalog **catalog) {
        *catalog = NULL;
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("%s", usage);
                return 0;
        }
        if (argc - 1 < min_args || argc - 1 > max_args) {
                fprintf(stderr, "%s", usage);
                return 2;
        }
        if (cw_cli_parse_id(argv[1], id) < 0)
                return 2;
        return cw_cli_open_catalog(true, catalog, NULL) < 0 ? 1 : -1;
}

int cw_cli_note(int argc, char **argv) {
        const char *problem;
        cw_catalog *catalog;
        cw_timestamp now = cw_timestamp_now();
        int64_t id;
        int r = open_for_change(argc, argv, 2, 2, _("Usage: callwitness note ID TEXT\n\nAdds a note to a call "
                                                    "(kept with the time it was written; notes are never "
                                                    "edited,\nonly added).\n"), &id, &catalog);

        if (r >= 0)
                return r;
        if (!argv[2][0]) {
                fprintf(stderr, _("callwitness note: the note is empty\n"));
                cw_catalog_free(catalog);
                return 2;
        }
        if (cw_text_check(argv[2], CW_TEXT_LINES, CW_NOTE_MAX, &problem) < 0) {
                fprintf(stderr, _("callwitness note: not added: %s (at most %d bytes of UTF-8 text)\n"), problem,
                        CW_NOTE_MAX);
                cw_catalog_free(catalog);
                return 2;
        }
        r = report(cw_review_add_note(catalog, id, argv[2], &now), id, _("Note added."));
        cw_catalog_free(catalog);
        return r;
}

static int copy_number(const cw_call_record *call, void *userdata) {
        char **number = userdata;

        *number = call->number ? strdup(call->number) : NULL;
        return 0;
}

int cw_cli_identify(int argc, char **argv) {
        static const struct option options[] = {
                { "company", required_argument, NULL, 'c' },
                { "employee-id", required_argument, NULL, 'e' },
                { "name", required_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *company = NULL, *employee_id = NULL, *name = NULL;
        cw_timestamp now = cw_timestamp_now();
        cw_catalog *catalog;
        int64_t id;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "c:e:n:h", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        company = optarg;
                        break;
                case 'e':
                        employee_id = optarg;
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'h':
                        printf(_("Usage: callwitness identify ID --company NAME --employee-id CODE [--name PERSON]\n\n"
                                 "Records who the caller said they are: the collection company, their\n"
                                 "employee number, their name. A later identify replaces it; the audit\n"
                                 "log keeps both.\n"));
                        return 0;
                default:
                        return 2;
                }
        if (optind + 1 != argc || (!company && !employee_id && !name)) {
                fprintf(stderr, _("Usage: callwitness identify ID --company NAME --employee-id CODE [--name PERSON]\n"));
                return 2;
        }
        if (cw_cli_parse_id(argv[optind], &id) < 0)
                return 2;
        for (size_t i = 0; i < 3; i++) {
                const char *fields[] = { company, employee_id, name }, *problem;

                if (fields[i] && *fields[i] &&
                    cw_text_check(fields[i], CW_TEXT_LINE, CW_IDENTITY_FIELD_MAX, &problem) < 0) {
                        fprintf(stderr, _("callwitness identify: '%s' not recorded: %s (one line, at most %d bytes)\n"),
                                fields[i], problem, CW_IDENTITY_FIELD_MAX);
                        return 2;
                }
        }
        if (cw_cli_open_catalog(true, &catalog, NULL) < 0)
                return 1;
        r = report(cw_review_set_identity(catalog, id, company, employee_id, name, &now), id,
                   _("Caller identity recorded."));
        /* The company names the collector the number calls for: its calls
         * are counted together with the company's other numbers. */
        if (r == 0 && company && *company) {
                char *number = NULL;

                if (cw_catalog_find_calls(catalog, &(cw_call_filter) { .id = id }, copy_number, &number) == 0 &&
                    cw_cli_join_collector(catalog, company, number) < 0)
                        r = 1;
                free(number);
        }
        cw_catalog_free(catalog);
        return r;
}

int cw_cli_tag(int argc, char **argv, bool add) {
        const char *problem;
        cw_catalog *catalog;
        cw_timestamp now = cw_timestamp_now();
        int64_t id;
        int r = open_for_change(argc, argv, 2, add ? 3 : 2,
                                add ? _("Usage: callwitness tag ID TAG [REASON]\n\nTags a call by hand (one word, "
                                        "such as threat or insult). The policy never\noverwrites a tag set "
                                        "by hand.\n")
                                    : _("Usage: callwitness untag ID TAG\n\nRemoves a tag from a call.\n"),
                                &id, &catalog);

        if (r >= 0)
                return r;
        if (add && argc > 3 && argv[3][0] &&
            cw_text_check(argv[3], CW_TEXT_LINE, CW_MANUAL_REASON_MAX, &problem) < 0) {
                fprintf(stderr, _("callwitness tag: the reason was not recorded: %s (one line, at most %d bytes)\n"),
                        problem, CW_MANUAL_REASON_MAX);
                cw_catalog_free(catalog);
                return 2;
        }
        if (add)
                r = cw_review_tag(catalog, id, argv[2], argc > 3 ? argv[3] : NULL, &now);
        else
                r = cw_review_untag(catalog, id, argv[2], &now);
        if (r == -EINVAL)
                fprintf(stderr, _("callwitness tag: '%s' is not a tag: one word of at most 31 bytes\n"), argv[2]);
        else if (r == -ENOMSG)
                fprintf(stderr, _("callwitness: call %lld has no tag '%s'\n"), (long long) id, argv[2]);
        else
                r = report(r, id, add ? _("Tagged.") : _("Tag removed."));
        cw_catalog_free(catalog);
        return r == 0 ? 0 : 1;
}

static bool confirmed(int64_t id) {
        char answer[16];

        printf(_("Delete call %lld and its recording? This cannot be undone. [y/N] "), (long long) id);
        fflush(stdout);
        if (!fgets(answer, sizeof answer, stdin))
                return false;
        return answer[0] == 'y' || answer[0] == 'Y';
}

int cw_cli_delete(int argc, char **argv) {
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "yes", no_argument, NULL, 'y' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        bool force = false, yes = false;
        cw_timestamp now = cw_timestamp_now();
        cw_delete_refusal refusal;
        cw_catalog *catalog;
        char *data_dir = NULL;
        int64_t id;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "fyh", options, NULL)) >= 0)
                switch (opt) {
                case 'f':
                        force = true;
                        break;
                case 'y':
                        yes = true;
                        break;
                case 'h':
                        printf(_("Usage: callwitness delete ID [--force] [--yes]\n\nDeletes a call and its "
                                 "recording after asking. Tagged calls and calls in an\nexported bundle are "
                                 "kept unless --force. The audit log records the deletion.\n--yes: do not "
                                 "ask.\n"));
                        return 0;
                default:
                        return 2;
                }
        if (optind + 1 != argc) {
                fprintf(stderr, _("Usage: callwitness delete ID [--force] [--yes]\n"));
                return 2;
        }
        if (cw_cli_parse_id(argv[optind], &id) < 0)
                return 2;
        if (cw_cli_open_catalog(true, &catalog, &data_dir) < 0)
                return 1;
        if (!yes && !confirmed(id)) {
                printf(_("Nothing deleted.\n"));
                r = 1;
                goto finish;
        }
        r = cw_review_delete(catalog, data_dir, id, force, &now, &refusal);
        if (r == -EPERM)
                fprintf(stderr, refusal == CW_DELETE_TAGGED
                        ? _("callwitness: call %lld is tagged, so it may be evidence; nothing deleted (--force "
                            "deletes it anyway)\n")
                        : _("callwitness: call %lld is in an exported evidence bundle; nothing deleted "
                            "(--force deletes it anyway)\n"), (long long) id);
        else if (r == -EBUSY && refusal == CW_DELETE_IN_PROGRESS)
                fprintf(stderr, _("callwitness: call %lld is still in progress; nothing deleted\n"), (long long) id);
        else
                r = report(r, id, _("Deleted; the audit log records it."));
        r = r == 0 ? 0 : 1;
finish:
        free(data_dir);
        cw_catalog_free(catalog);
        return r;
}
