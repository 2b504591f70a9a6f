/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dbus/dbus.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/call-json.h"
#include "callwitness/catalog.h"
#include "callwitness/text.h"
#include "common.h"
#include "recorder.h"

#define BUS_NAME "org.callwitness.Recorder"
#define OBJECT_PATH "/org/callwitness/Recorder1"
#define INTERFACE "org.callwitness.Recorder1"
/* The daemon answers from its loop at once; a stalled one is not waited
 * for long. */
#define CALL_TIMEOUT_MS 10000

/* Calls method on callwitnessd with the arguments given, returns its reply
 * or NULL having said in one sentence why there is none. */
static DBusMessage *call_daemon(const char *command, const char *method, int first_arg_type, ...) {
        DBusConnection *bus;
        DBusMessage *msg, *reply;
        DBusError error;
        unsigned long owner;
        va_list ap;
        bool ok;

        dbus_error_init(&error);
        bus = dbus_bus_get_private(DBUS_BUS_SESSION, &error);
        if (!bus) {
                fprintf(stderr, _("callwitness %s: there is no session bus to reach callwitnessd (%s)\n"), command,
                        error.message);
                dbus_error_free(&error);
                return NULL;
        }
        dbus_connection_set_exit_on_disconnect(bus, FALSE);
        /* Whoever holds the name gets what the user says: only the user's
         * own callwitnessd may. */
        owner = dbus_bus_get_unix_user(bus, BUS_NAME, &error);
        if (dbus_error_is_set(&error)) {
                if (dbus_error_has_name(&error, DBUS_ERROR_NAME_HAS_NO_OWNER))
                        fprintf(stderr, _("callwitness %s: callwitnessd is not running (systemctl --user start "
                                          "callwitnessd)\n"), command);
                else
                        fprintf(stderr, _("callwitness %s: %s\n"), command, error.message);
                dbus_error_free(&error);
                dbus_connection_close(bus);
                dbus_connection_unref(bus);
                return NULL;
        }
        if (owner != (unsigned long) getuid()) {
                fprintf(stderr, _("callwitness %s: %s is held by a program of another user (uid %lu), not by your "
                                  "callwitnessd; nothing was sent to it\n"), command, BUS_NAME, owner);
                dbus_connection_close(bus);
                dbus_connection_unref(bus);
                return NULL;
        }
        msg = dbus_message_new_method_call(BUS_NAME, OBJECT_PATH, INTERFACE, method);
        va_start(ap, first_arg_type);
        ok = msg && dbus_message_append_args_valist(msg, first_arg_type, ap);
        va_end(ap);
        /* Not started on demand: the daemon is a systemd user service. */
        if (ok)
                dbus_message_set_auto_start(msg, FALSE);
        reply = ok ? dbus_connection_send_with_reply_and_block(bus, msg, CALL_TIMEOUT_MS, &error) : NULL;
        if (!reply) {
                if (!ok)
                        fprintf(stderr, _("callwitness %s: out of memory\n"), command);
                else if (dbus_error_has_name(&error, DBUS_ERROR_SERVICE_UNKNOWN) ||
                         dbus_error_has_name(&error, DBUS_ERROR_NAME_HAS_NO_OWNER))
                        fprintf(stderr, _("callwitness %s: callwitnessd is not running (systemctl --user start "
                                          "callwitnessd)\n"), command);
                else
                        fprintf(stderr, _("callwitness %s: %s\n"), command, error.message);
                dbus_error_free(&error);
        }
        if (msg)
                dbus_message_unref(msg);
        dbus_connection_close(bus);
        dbus_connection_unref(bus);
        return reply;
}

/* The one int64 a reply carries. */
static bool reply_int64(DBusMessage *reply, int64_t *ret) {
        dbus_int64_t value;

        if (!dbus_message_get_args(reply, NULL, DBUS_TYPE_INT64, &value, DBUS_TYPE_INVALID))
                return false;
        *ret = value;
        return true;
}

static const char record_usage[] = N_("Usage: callwitness record [--label TEXT]\n");

int cw_cli_record(int argc, char **argv) {
        static const struct option options[] = {
                { "label", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *label = "", *problem;
        DBusMessage *reply;
        int64_t id;
        int opt;

        while ((opt = getopt_long(argc, argv, "l:h", options, NULL)) >= 0)
                switch (opt) {
                case 'l':
                        label = optarg;
                        break;
                case 'h':
                        fputs(_(record_usage), stdout);
                        printf(_("\nRecords the phone's microphone (a visit at the door, a collector in person)\n"
                                 "until callwitness stop: callwitnessd does the recording, so it goes on when\n"
                                 "this terminal closes or the screen locks. A call that comes meanwhile is\n"
                                 "recorded as usual.\n"));
                        return 0;
                default:
                        return 2;
                }
        if (optind != argc) {
                fputs(_(record_usage), stderr);
                return 2;
        }
        if (label[0] && cw_text_check(label, CW_TEXT_LINE, 256, &problem) < 0) {
                fprintf(stderr, _("callwitness record: the label is refused: %s (one line, at most %d bytes)\n"),
                        problem, 256);
                return 2;
        }
        reply = call_daemon("record", "StartEncounter", DBUS_TYPE_STRING, &label, DBUS_TYPE_INVALID);
        if (!reply)
                return 1;
        if (!reply_int64(reply, &id)) {
                dbus_message_unref(reply);
                fprintf(stderr, _("callwitness record: callwitnessd gave an answer this version does not read\n"));
                return 1;
        }
        dbus_message_unref(reply);
        if (id > 0)
                printf(_("Recording encounter %lld. Stop it with: callwitness stop\n"), (long long) id);
        else
                printf(_("Recording the encounter (its id comes once the catalog can be written). Stop it with: "
                         "callwitness stop\n"));
        return 0;
}

int cw_cli_stop(int argc, char **argv) {
        dbus_int64_t value = 0;
        int64_t id = 0;
        DBusMessage *reply;

        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf(_("Usage: callwitness stop [ID]\n\nStops the encounter being recorded (callwitness "
                         "record).\n"));
                return 0;
        }
        if (argc > 2 || (argc == 2 && cw_cli_parse_id(argv[1], &id) < 0)) {
                fprintf(stderr, _("Usage: callwitness stop [ID]\n"));
                return 2;
        }
        value = id;
        reply = call_daemon("stop", "Stop", DBUS_TYPE_INT64, &value, DBUS_TYPE_INVALID);
        if (!reply)
                return 1;
        dbus_message_unref(reply);
        printf(_("Stopped. The recording is sealed in a moment: callwitness list\n"));
        return 0;
}

/* "MM:SS", "H:MM:SS" or seconds, into ms. */
static int parse_offset(const char *text, int64_t *ret) {
        long long parts[3];
        int n = 0;
        bool whole = false;   /* every character read */
        char *end;

        for (const char *p = text; n < 3 && !whole; n++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                errno = 0;
                parts[n] = strtoll(p, &end, 10);
                if (errno || parts[n] > 1000000)
                        return -EINVAL;
                if (*end == '\0') {
                        whole = true;
                        continue;
                }
                if (*end != ':')
                        return -EINVAL;
                p = end + 1;
        }
        if (!whole || n == 0 || (n > 1 && parts[n - 1] >= 60) || (n == 3 && parts[1] >= 60))
                return -EINVAL;
        *ret = (n == 1 ? parts[0] : n == 2 ? parts[0] * 60 + parts[1] : (parts[0] * 60 + parts[1]) * 60 + parts[2]) *
               1000;
        return 0;
}

static const char mark_usage[] = N_("Usage: callwitness mark [TEXT]\n"
                                    "       callwitness mark ID --at MM:SS [TEXT]\n");

/* A mark in a finished recording, written to the catalog by this command. */
static int mark_after(int64_t id, const char *at, const char *text) {
        cw_timestamp now = cw_timestamp_now();
        char in_file[CW_FILE_OFFSET_MAX];
        cw_catalog *catalog;
        int64_t offset_ms;
        int r;

        if (parse_offset(at, &offset_ms) < 0) {
                fprintf(stderr, _("callwitness mark: '%s' is not a time in the recording (MM:SS or H:MM:SS)\n"), at);
                return 2;
        }
        if (cw_cli_open_catalog(true, &catalog, NULL) < 0)
                return 1;
        r = cw_catalog_add_mark(catalog, id, offset_ms, text, false, &now, NULL);
        cw_format_file_offset(offset_ms, in_file);
        if (r == 0)
                printf(_("Marked %s in the recording of %lld.\n"), in_file, (long long) id);
        else if (r == -ENOENT)
                fprintf(stderr, _("callwitness: there is no call %lld\n"), (long long) id);
        else if (r == -ENODATA)
                fprintf(stderr, _("callwitness mark: %lld has no finished recording to mark\n"), (long long) id);
        else if (r == -ERANGE)
                fprintf(stderr, _("callwitness mark: %s is past the end of the recording of %lld\n"), in_file,
                        (long long) id);
        else if (r == -EBUSY)
                fprintf(stderr, _("callwitness: the catalog is busy; try again\n"));
        else
                fprintf(stderr, _("callwitness: the change was not made: %s\n"), strerror(-r));
        cw_catalog_free(catalog);
        return r == 0 ? 0 : 1;
}

int cw_cli_mark(int argc, char **argv) {
        static const struct option options[] = {
                { "at", required_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *at = NULL, *text = "", *problem;
        dbus_int64_t value = 0;
        int64_t id = 0, offset_ms;
        char in_file[CW_FILE_OFFSET_MAX];
        DBusMessage *reply;
        int opt;

        while ((opt = getopt_long(argc, argv, "a:h", options, NULL)) >= 0)
                switch (opt) {
                case 'a':
                        at = optarg;
                        break;
                case 'h':
                        fputs(_(mark_usage), stdout);
                        printf(_("\nMarks this instant in the call (or encounter) being recorded, with what\n"
                                 "happened (\"threatened to come to my home\"). With ID and --at, marks a moment\n"
                                 "of a finished recording, by its time in the file.\n"));
                        return 0;
                default:
                        return 2;
                }
        if (at) {
                if (argc - optind < 1 || argc - optind > 2 || cw_cli_parse_id(argv[optind], &id) < 0) {
                        fputs(_(mark_usage), stderr);
                        return 2;
                }
                text = argc - optind == 2 ? argv[optind + 1] : "";
        } else if (argc - optind > 1) {
                fputs(_(mark_usage), stderr);
                return 2;
        } else if (argc - optind == 1)
                text = argv[optind];
        if (text[0] && cw_text_check(text, CW_TEXT_LINE, CW_MARK_TEXT_MAX, &problem) < 0) {
                fprintf(stderr, _("callwitness mark: the text is refused: %s (one line, at most %d bytes)\n"), problem,
                        CW_MARK_TEXT_MAX);
                return 2;
        }
        if (at)
                return mark_after(id, at, text);
        reply = call_daemon("mark", "Mark", DBUS_TYPE_INT64, &value, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID);
        if (!reply)
                return 1;
        if (!reply_int64(reply, &offset_ms)) {
                dbus_message_unref(reply);
                fprintf(stderr, _("callwitness mark: callwitnessd gave an answer this version does not read\n"));
                return 1;
        }
        dbus_message_unref(reply);
        cw_format_file_offset(offset_ms, in_file);
        printf(_("Marked at %s of the recording in progress.\n"), in_file);
        return 0;
}
