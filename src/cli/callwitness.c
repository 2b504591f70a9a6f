/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitness: review the calls callwitnessd recorded. Reads the catalog
 * only (sqlite WAL lets it read while the daemon writes). */

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/catalog.h"
#include "callwitness/paths.h"
#include "common.h"
#include "doctor.h"
#include "key.h"
#include "verify.h"

static json_object *timestamp_or_null(bool present, const cw_timestamp *ts) {
        char text[CW_RFC3339_MAX];

        if (!present || cw_timestamp_format_rfc3339(ts, text) < 0)
                return NULL;   /* json-c writes NULL as null */
        return json_object_new_string(text);
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static int print_json_call(const cw_call_record *call, void *userdata) {
        json_object *array = userdata, *o = json_object_new_object(), *tags = json_object_new_array(), *warnings;

        if (!o || !tags)
                return -ENOMEM;
        json_object_object_add(o, "id", json_object_new_int64(call->id));
        json_object_object_add(o, "direction", json_object_new_string(cw_direction_to_string(call->direction)));
        json_object_object_add(o, "number", string_or_null(call->number));
        json_object_object_add(o, "backend", string_or_null(call->backend));
        json_object_object_add(o, "started_at", timestamp_or_null(true, &call->started));
        json_object_object_add(o, "answered_at", timestamp_or_null(call->answered, &call->answered_at));
        json_object_object_add(o, "ended_at", timestamp_or_null(call->ended, &call->ended_at));
        json_object_object_add(o, "outcome", string_or_null(call->outcome));
        json_object_object_add(o, "end_reason", string_or_null(call->end_reason));
        json_object_object_add(o, "duration_ms", json_object_new_int64(call->duration_ms));
        json_object_object_add(o, "file", string_or_null(call->file));
        json_object_object_add(o, "file_duration_ms",
                               call->file ? json_object_new_int64(call->file_duration_ms) : NULL);
        json_object_object_add(o, "sha256", string_or_null(call->sha256));
        json_object_object_add(o, "capture_mode",
                               call->file ? json_object_new_string(cw_capture_mode_to_string(call->capture_mode)) : NULL);
        for (size_t i = 0; i < call->n_tags; i++) {
                json_object *tag = json_object_new_object();

                json_object_object_add(tag, "tag", json_object_new_string(call->tags[i].name));
                json_object_object_add(tag, "reason", json_object_new_string(call->tags[i].reason));
                json_object_array_add(tags, tag);
        }
        json_object_object_add(o, "tags", tags);
        warnings = json_object_new_array();
        for (size_t i = 0; i < call->n_warnings; i++)
                json_object_array_add(warnings, json_object_new_string(call->warnings[i]));
        json_object_object_add(o, "warnings", warnings);
        json_object_array_add(array, o);
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
        char when[32], duration[32];
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

        printf("%5lld  %s  %-3s  %-18s  %-10s ", (long long) call->id, when,
               call->direction == CW_DIRECTION_OUTGOING ? _("out") : _("in"),
               call->number ? call->number : _("unknown"), duration);
        if (call->file && call->capture_mode != CW_CAPTURE_SEPARATE)
                printf(" (%s)", cw_capture_mode_to_string(call->capture_mode));
        for (size_t i = 0; i < call->n_tags; i++)
                printf(" [%s]", call->tags[i].name);
        printf("\n");
        for (size_t i = 0; i < call->n_tags; i++)
                printf("       %s: %s\n", call->tags[i].name, call->tags[i].reason);
        for (size_t i = 0; i < call->n_warnings; i++)
                printf("       %s %s\n", _("warning:"), call->warnings[i]);
        (*count)++;
        return 0;
}

static int cmd_list(int argc, char **argv) {
        static const struct option options[] = {
                { "tagged", no_argument, NULL, 't' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        bool tagged = false, as_json = false;
        cw_catalog *catalog = NULL;
        int opt, r, count = 0;

        while ((opt = getopt_long(argc, argv, "tjh", options, NULL)) >= 0)
                switch (opt) {
                case 't':
                        tagged = true;
                        break;
                case 'j':
                        as_json = true;
                        break;
                case 'h':
                        printf(_("Usage: callwitness list [--tagged] [--json]\n"));
                        return 0;
                default:
                        return 2;
                }

        r = cw_cli_open_catalog(false, &catalog, NULL);
        if (r == -ENOENT && as_json) {
                printf("[]\n");
                return 0;
        }
        if (r < 0)
                return r == -ENOENT ? 0 : 1;

        if (as_json) {
                json_object *array = json_object_new_array();

                r = cw_catalog_foreach_call(catalog, tagged, print_json_call, array);
                if (r == 0)
                        printf("%s\n", json_object_to_json_string_ext(array, JSON_C_TO_STRING_PRETTY |
                                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(array);
        } else {
                r = cw_catalog_foreach_call(catalog, tagged, print_line, &count);
                if (r == 0 && count == 0)
                        printf(tagged ? _("No tagged calls.\n") : _("No calls.\n"));
        }
        if (r < 0)
                fprintf(stderr, _("callwitness: reading the catalog failed: %s\n"), cw_catalog_last_error(catalog));
        cw_catalog_free(catalog);
        return r < 0 ? 1 : 0;
}

static void usage(FILE *out) {
        fprintf(out, _("Usage: callwitness COMMAND [OPTIONS]\n\n"
                       "Commands:\n"
                       "  list [--tagged] [--json]   the recorded calls, oldest first\n"
                       "  doctor [--seconds N]       check this phone's capture: device, profile, sources, levels\n"
                       "  verify --catalog           check every recording and catalog row against the audit log\n"
                       "  key                        print this device's public key (bundles are signed with it)\n"));
}

int main(int argc, char **argv) {
        setlocale(LC_ALL, "");
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
        textdomain(GETTEXT_PACKAGE);

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (strcmp(argv[1], "list") == 0)
                return cmd_list(argc - 1, argv + 1);
        if (strcmp(argv[1], "doctor") == 0)
                return cw_cli_doctor(argc - 1, argv + 1);
        if (strcmp(argv[1], "key") == 0)
                return cw_cli_key(argc - 1, argv + 1);
        if (strcmp(argv[1], "verify") == 0)
                return cw_cli_verify(argc - 1, argv + 1);
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
