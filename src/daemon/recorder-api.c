/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/log.h"
#include "callwitness/text.h"
#include "call-tags.h"
#include "dbus-util.h"
#include "recorder-api.h"

#define BUS_NAME "org.callwitness.Recorder"
#define OBJECT_PATH "/org/callwitness/Recorder1"
#define INTERFACE "org.callwitness.Recorder1"
#define ERROR_PREFIX INTERFACE ".Error."
#define PROPERTIES "org.freedesktop.DBus.Properties"
/* An encounter's label: one line, like a tag's reason. */
#define LABEL_MAX 256
#define MAX_CURRENT 32

/* doc/org.callwitness.Recorder1.xml, which the tests compare with this. */
static const char introspection[] =
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
        "<node name=\"/org/callwitness/Recorder1\">\n"
        "  <interface name=\"org.callwitness.Recorder1\">\n"
        "    <property name=\"State\" type=\"s\" access=\"read\"/>\n"
        "    <property name=\"CurrentCalls\" type=\"ax\" access=\"read\"/>\n"
        "    <property name=\"CaptureMode\" type=\"s\" access=\"read\"/>\n"
        "    <property name=\"Warnings\" type=\"a(xss)\" access=\"read\"/>\n"
        "    <method name=\"StartEncounter\">\n"
        "      <arg name=\"label\" type=\"s\" direction=\"in\"/>\n"
        "      <arg name=\"id\" type=\"x\" direction=\"out\"/>\n"
        "    </method>\n"
        "    <method name=\"Stop\">\n"
        "      <arg name=\"id\" type=\"x\" direction=\"in\"/>\n"
        "    </method>\n"
        "    <method name=\"Mark\">\n"
        "      <arg name=\"id\" type=\"x\" direction=\"in\"/>\n"
        "      <arg name=\"text\" type=\"s\" direction=\"in\"/>\n"
        "      <arg name=\"offset_ms\" type=\"x\" direction=\"out\"/>\n"
        "    </method>\n"
        "    <method name=\"Reload\"/>\n"
        "    <signal name=\"RecordingFinished\">\n"
        "      <arg name=\"id\" type=\"x\"/>\n"
        "      <arg name=\"path\" type=\"s\"/>\n"
        "      <arg name=\"sha256\" type=\"s\"/>\n"
        "    </signal>\n"
        "    <signal name=\"CallTagged\">\n"
        "      <arg name=\"id\" type=\"x\"/>\n"
        "      <arg name=\"tags\" type=\"as\"/>\n"
        "    </signal>\n"
        "    <signal name=\"Warning\">\n"
        "      <arg name=\"id\" type=\"x\"/>\n"
        "      <arg name=\"kind\" type=\"s\"/>\n"
        "      <arg name=\"message\" type=\"s\"/>\n"
        "    </signal>\n"
        "  </interface>\n"
        "  <interface name=\"org.freedesktop.DBus.Properties\">\n"
        "    <method name=\"Get\">\n"
        "      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
        "      <arg name=\"property_name\" type=\"s\" direction=\"in\"/>\n"
        "      <arg name=\"value\" type=\"v\" direction=\"out\"/>\n"
        "    </method>\n"
        "    <method name=\"GetAll\">\n"
        "      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
        "      <arg name=\"properties\" type=\"a{sv}\" direction=\"out\"/>\n"
        "    </method>\n"
        "    <method name=\"Set\">\n"
        "      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
        "      <arg name=\"property_name\" type=\"s\" direction=\"in\"/>\n"
        "      <arg name=\"value\" type=\"v\" direction=\"in\"/>\n"
        "    </method>\n"
        "    <signal name=\"PropertiesChanged\">\n"
        "      <arg name=\"interface_name\" type=\"s\"/>\n"
        "      <arg name=\"changed_properties\" type=\"a{sv}\"/>\n"
        "      <arg name=\"invalidated_properties\" type=\"as\"/>\n"
        "    </signal>\n"
        "  </interface>\n"
        "  <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
        "    <method name=\"Introspect\">\n"
        "      <arg name=\"xml_data\" type=\"s\" direction=\"out\"/>\n"
        "    </method>\n"
        "  </interface>\n"
        "  <interface name=\"org.freedesktop.DBus.Peer\">\n"
        "    <method name=\"Ping\"/>\n"
        "    <method name=\"GetMachineId\">\n"
        "      <arg name=\"machine_uuid\" type=\"s\" direction=\"out\"/>\n"
        "    </method>\n"
        "  </interface>\n"
        "</node>\n";

typedef enum property {
        PROPERTY_STATE,
        PROPERTY_CURRENT_CALLS,
        PROPERTY_CAPTURE_MODE,
        PROPERTY_WARNINGS,
        N_PROPERTIES,
} property;

static const char *const property_names[N_PROPERTIES] = {
        [PROPERTY_STATE] = "State",
        [PROPERTY_CURRENT_CALLS] = "CurrentCalls",
        [PROPERTY_CAPTURE_MODE] = "CaptureMode",
        [PROPERTY_WARNINGS] = "Warnings",
};

struct cw_recorder_api {
        pa_mainloop_api *api;
        DBusConnection *bus;
        cw_tracker *tracker;
        char *data_dir;
        bool registered;
        cw_recorder_reload_fn reload;
        void *reload_userdata;
        pa_defer_event *announce;     /* enabled only while a change is to be told */
        /* What was last told, to tell only what changed. */
        char *told[N_PROPERTIES];
};

/* --- reading the state --------------------------------------------------- */

static const char *state_name(cw_tracker_state state) {
        switch (state) {
        case CW_TRACKER_RINGING:
                return "ringing";
        case CW_TRACKER_RECORDING:
                return "recording";
        default:
                return "idle";
        }
}

typedef struct warnings_append {
        DBusMessageIter *array;
        bool ok;
        FILE *summary;                /* or, to compare: their text */
} warnings_append;

static void append_warning(int64_t id, const char *kind_text, const char *message_text, void *userdata) {
        warnings_append *w = userdata;
        DBusMessageIter entry;
        dbus_int64_t value = id;
        char *owned_kind, *owned_message;
        const char *kind = cw_dbus_utf8(kind_text, &owned_kind), *message = cw_dbus_utf8(message_text, &owned_message);

        if (w->summary) {
                fprintf(w->summary, "%" PRId64 "\x1f%s\x1f%s\x1e", id, kind, message);
                free(owned_kind);
                free(owned_message);
                return;
        }
        w->ok = w->ok && dbus_message_iter_open_container(w->array, DBUS_TYPE_STRUCT, NULL, &entry) &&
                dbus_message_iter_append_basic(&entry, DBUS_TYPE_INT64, &value) &&
                dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &kind) &&
                dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &message) &&
                dbus_message_iter_close_container(w->array, &entry);
        free(owned_kind);
        free(owned_message);
}

/* The property's value as a variant at iter. */
static bool append_property(cw_recorder_api *a, property p, DBusMessageIter *iter) {
        static const char *const signatures[N_PROPERTIES] = { "s", "ax", "s", "a(xss)" };
        DBusMessageIter variant, array;
        int64_t ids[MAX_CURRENT];
        size_t n;
        const char *text;
        bool ok;

        if (!dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, signatures[p], &variant))
                return false;
        switch (p) {
        case PROPERTY_STATE:
        case PROPERTY_CAPTURE_MODE:
                text = p == PROPERTY_STATE ? state_name(cw_tracker_get_state(a->tracker))
                                           : cw_capture_mode_to_string(cw_tracker_capture_mode(a->tracker));
                ok = dbus_message_iter_append_basic(&variant, DBUS_TYPE_STRING, &text);
                break;
        case PROPERTY_CURRENT_CALLS:
                n = cw_tracker_current_ids(a->tracker, ids, MAX_CURRENT);
                ok = dbus_message_iter_open_container(&variant, DBUS_TYPE_ARRAY, "x", &array);
                for (size_t i = 0; ok && i < n; i++) {
                        dbus_int64_t id = ids[i];

                        ok = dbus_message_iter_append_basic(&array, DBUS_TYPE_INT64, &id);
                }
                ok = ok && dbus_message_iter_close_container(&variant, &array);
                break;
        case PROPERTY_WARNINGS: {
                warnings_append w = { .array = &array, .ok = true };

                ok = dbus_message_iter_open_container(&variant, DBUS_TYPE_ARRAY, "(xss)", &array);
                if (ok)
                        cw_tracker_foreach_warning(a->tracker, append_warning, &w);
                ok = ok && w.ok && dbus_message_iter_close_container(&variant, &array);
                break;
        }
        default:
                ok = false;
        }
        return dbus_message_iter_close_container(iter, &variant) && ok;
}

/* A text that changes exactly when the property does. */
static char *property_text(cw_recorder_api *a, property p) {
        int64_t ids[MAX_CURRENT];
        size_t n, size = 0;
        char *text = NULL;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        switch (p) {
        case PROPERTY_STATE:
                fputs(state_name(cw_tracker_get_state(a->tracker)), f);
                break;
        case PROPERTY_CAPTURE_MODE:
                fputs(cw_capture_mode_to_string(cw_tracker_capture_mode(a->tracker)), f);
                break;
        case PROPERTY_CURRENT_CALLS:
                n = cw_tracker_current_ids(a->tracker, ids, MAX_CURRENT);
                for (size_t i = 0; i < n; i++)
                        fprintf(f, "%" PRId64 " ", ids[i]);
                break;
        case PROPERTY_WARNINGS:
                cw_tracker_foreach_warning(a->tracker, append_warning, &(warnings_append) { .summary = f });
                break;
        default:
                break;
        }
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

/* --- signals ----------------------------------------------------------------- */

static void send_signal(cw_recorder_api *a, DBusMessage *msg) {
        if (!msg)
                return;
        if (!dbus_connection_send(a->bus, msg, NULL))
                cw_log_warning("Out of memory: a signal of the session-bus API was not sent");
        dbus_message_unref(msg);
}

/* PropertiesChanged with what changed since it was last told. Run from the
 * loop, once for any number of changes in one iteration. */
static void on_announce(pa_mainloop_api *api, pa_defer_event *e, void *userdata) {
        cw_recorder_api *a = userdata;
        DBusMessage *msg;
        DBusMessageIter iter, changed, entry, invalidated;
        const char *interface = INTERFACE;
        bool any = false, ok;

        api->defer_enable(e, 0);
        msg = dbus_message_new_signal(OBJECT_PATH, PROPERTIES, "PropertiesChanged");
        if (!msg)
                return;
        dbus_message_iter_init_append(msg, &iter);
        ok = dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &interface) &&
             dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &changed);
        for (int p = 0; ok && p < N_PROPERTIES; p++) {
                char *now = property_text(a, (property) p);

                if (!now || (a->told[p] && strcmp(now, a->told[p]) == 0)) {
                        free(now);
                        continue;
                }
                free(a->told[p]);
                a->told[p] = now;
                any = true;
                ok = dbus_message_iter_open_container(&changed, DBUS_TYPE_DICT_ENTRY, NULL, &entry) &&
                     dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &property_names[p]) &&
                     append_property(a, (property) p, &entry) &&
                     dbus_message_iter_close_container(&changed, &entry);
        }
        ok = ok && dbus_message_iter_close_container(&iter, &changed) &&
             dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "s", &invalidated) &&
             dbus_message_iter_close_container(&iter, &invalidated);
        if (ok && any)
                send_signal(a, msg);
        else
                dbus_message_unref(msg);
}

static void on_changed(void *userdata) {
        cw_recorder_api *a = userdata;

        a->api->defer_enable(a->announce, 1);
}

static void on_finished(int64_t id, const char *relpath, const char *sha256, void *userdata) {
        cw_recorder_api *a = userdata;
        dbus_int64_t value = id;
        char *full, *owned;
        const char *path;
        DBusMessage *msg;

        if (asprintf(&full, "%s/%s", a->data_dir, relpath) < 0)
                return;
        /* A data directory whose name is not UTF-8 is shown written out. */
        path = cw_dbus_utf8(full, &owned);
        msg = dbus_message_new_signal(OBJECT_PATH, INTERFACE, "RecordingFinished");
        if (msg && !dbus_message_append_args(msg, DBUS_TYPE_INT64, &value, DBUS_TYPE_STRING, &path, DBUS_TYPE_STRING,
                                             &sha256, DBUS_TYPE_INVALID)) {
                dbus_message_unref(msg);
                msg = NULL;
        }
        free(full);
        free(owned);
        send_signal(a, msg);
}

static void on_tagged(int64_t id, const cw_tag *tags, size_t n_tags, void *userdata) {
        cw_recorder_api *a = userdata;
        const char *names[CW_CALL_TAGS_MAX];
        const char **list = names;
        dbus_int64_t value = id;
        DBusMessage *msg;

        for (size_t i = 0; i < n_tags && i < CW_CALL_TAGS_MAX; i++)
                names[i] = tags[i].name;
        msg = dbus_message_new_signal(OBJECT_PATH, INTERFACE, "CallTagged");
        if (msg && !dbus_message_append_args(msg, DBUS_TYPE_INT64, &value, DBUS_TYPE_ARRAY, DBUS_TYPE_STRING, &list,
                                             (int) (n_tags < CW_CALL_TAGS_MAX ? n_tags : CW_CALL_TAGS_MAX),
                                             DBUS_TYPE_INVALID)) {
                dbus_message_unref(msg);
                msg = NULL;
        }
        send_signal(a, msg);
}

static void on_warning(int64_t id, const char *kind_text, const char *message_text, void *userdata) {
        cw_recorder_api *a = userdata;
        dbus_int64_t value = id;
        char *owned_kind, *owned_message;
        const char *kind = cw_dbus_utf8(kind_text, &owned_kind), *message = cw_dbus_utf8(message_text, &owned_message);
        DBusMessage *msg = dbus_message_new_signal(OBJECT_PATH, INTERFACE, "Warning");

        if (msg && !dbus_message_append_args(msg, DBUS_TYPE_INT64, &value, DBUS_TYPE_STRING, &kind, DBUS_TYPE_STRING,
                                             &message, DBUS_TYPE_INVALID)) {
                dbus_message_unref(msg);
                msg = NULL;
        }
        free(owned_kind);
        free(owned_message);
        send_signal(a, msg);
}

static const cw_tracker_observer observer = {
        .changed = on_changed, .finished = on_finished, .tagged = on_tagged, .warning = on_warning,
};

/* --- methods ----------------------------------------------------------------- */

static DBusHandlerResult reply(cw_recorder_api *a, DBusMessage *msg) {
        if (!msg || !dbus_connection_send(a->bus, msg, NULL))
                cw_log_warning("Out of memory: a reply of the session-bus API was not sent");
        if (msg)
                dbus_message_unref(msg);
        return DBUS_HANDLER_RESULT_HANDLED;
}

static DBusHandlerResult reply_error(cw_recorder_api *a, DBusMessage *call, const char *name, const char *format,
                                     ...) __attribute__((format(printf, 4, 5)));

static DBusHandlerResult reply_error(cw_recorder_api *a, DBusMessage *call, const char *name, const char *format,
                                     ...) {
        char message[512];
        va_list ap;

        char *owned;
        DBusHandlerResult result;

        va_start(ap, format);
        vsnprintf(message, sizeof message, format, ap);
        va_end(ap);
        /* A caller's long name cut inside a character is not UTF-8. */
        result = reply(a, dbus_message_new_error(call, name, cw_dbus_utf8(message, &owned)));
        free(owned);
        return result;
}

/* The session bus serves one user, but a bus configured to let others in
 * (or a forwarded socket) would let them stop a recording: whoever is not
 * this process's user is refused. */
static bool caller_is_owner(cw_recorder_api *a, DBusMessage *call) {
        DBusError error;
        unsigned long uid;
        const char *sender = dbus_message_get_sender(call);

        if (!sender)
                return false;
        dbus_error_init(&error);
        uid = dbus_bus_get_unix_user(a->bus, sender, &error);
        if (dbus_error_is_set(&error)) {
                cw_log_debug("session-bus API: the user of %s is not known: %s", sender, error.message);
                dbus_error_free(&error);
                return false;
        }
        return uid == (unsigned long) getuid();
}

static DBusHandlerResult start_encounter(cw_recorder_api *a, DBusMessage *call) {
        const char *label, *problem;
        dbus_int64_t value;
        int64_t id = 0;
        DBusMessage *msg;
        int r;

        if (!dbus_message_get_args(call, NULL, DBUS_TYPE_STRING, &label, DBUS_TYPE_INVALID))
                return reply_error(a, call, DBUS_ERROR_INVALID_ARGS, "StartEncounter takes a label (s)");
        if (label[0] && cw_text_check(label, CW_TEXT_LINE, LABEL_MAX, &problem) < 0)
                return reply_error(a, call, DBUS_ERROR_INVALID_ARGS, "The label is refused: %s", problem);
        r = cw_tracker_start_encounter(a->tracker, label[0] ? label : NULL, &id);
        if (r == -EBUSY)
                return reply_error(a, call, ERROR_PREFIX "Busy", "An encounter is already being recorded (%" PRId64 ")",
                                   id);
        if (r < 0)
                return reply_error(a, call, DBUS_ERROR_FAILED, "The encounter could not be recorded: %s (callwitness "
                                   "show %" PRId64 " says more)", strerror(-r), id);
        value = id;
        msg = dbus_message_new_method_return(call);
        if (msg && !dbus_message_append_args(msg, DBUS_TYPE_INT64, &value, DBUS_TYPE_INVALID)) {
                dbus_message_unref(msg);
                msg = NULL;
        }
        return reply(a, msg);
}

static DBusHandlerResult stop(cw_recorder_api *a, DBusMessage *call) {
        dbus_int64_t id;
        int r;

        if (!dbus_message_get_args(call, NULL, DBUS_TYPE_INT64, &id, DBUS_TYPE_INVALID))
                return reply_error(a, call, DBUS_ERROR_INVALID_ARGS, "Stop takes an id (x)");
        r = cw_tracker_stop_encounter(a->tracker, id);
        if (r == -ENOENT)
                return id ? reply_error(a, call, ERROR_PREFIX "UnknownId", "No encounter %" PRId64 " is being recorded",
                                        (int64_t) id)
                          : reply_error(a, call, ERROR_PREFIX "UnknownId", "No encounter is being recorded");
        if (r == -EPERM)
                return reply_error(a, call, ERROR_PREFIX "NotAnEncounter",
                                   "%" PRId64 " is a phone call: it is recorded until it is hung up", (int64_t) id);
        return reply(a, dbus_message_new_method_return(call));
}

static DBusHandlerResult mark(cw_recorder_api *a, DBusMessage *call) {
        dbus_int64_t id, value;
        const char *text;
        int64_t marked = 0, offset_ms = 0;
        DBusMessage *msg;
        int r;

        if (!dbus_message_get_args(call, NULL, DBUS_TYPE_INT64, &id, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID))
                return reply_error(a, call, DBUS_ERROR_INVALID_ARGS, "Mark takes an id and a text (xs)");
        r = cw_tracker_mark(a->tracker, id, text, &marked, &offset_ms);
        if (r == -EINVAL)
                return reply_error(a, call, DBUS_ERROR_INVALID_ARGS,
                                   "The text is refused: one line of at most %d bytes, without control characters",
                                   CW_MARK_TEXT_MAX);
        if (r == -ENOENT)
                return id ? reply_error(a, call, ERROR_PREFIX "UnknownId", "No call or encounter %" PRId64
                                        " is in progress", (int64_t) id)
                          : reply_error(a, call, ERROR_PREFIX "UnknownId", "Nothing is being recorded");
        if (r == -ENODATA)
                return reply_error(a, call, ERROR_PREFIX "NotRecording", "%" PRId64 " is not being recorded",
                                   (int64_t) id);
        value = offset_ms;
        msg = dbus_message_new_method_return(call);
        if (msg && !dbus_message_append_args(msg, DBUS_TYPE_INT64, &value, DBUS_TYPE_INVALID)) {
                dbus_message_unref(msg);
                msg = NULL;
        }
        return reply(a, msg);
}

/* The configuration is read again by the same function SIGHUP and
 * `systemctl --user reload` run, here before the reply, so that the reply
 * says whether it was taken. Over the bus rather than systemctl because
 * the app cannot count on the daemon being a systemd unit (tests, other
 * inits) nor on being allowed to run systemctl (a sandbox); and only the
 * session's own user gets here (on_message). */
static DBusHandlerResult reload(cw_recorder_api *a, DBusMessage *call) {
        if (strcmp(dbus_message_get_signature(call), "") != 0)   /* get_args would ignore extra ones */
                return reply_error(a, call, DBUS_ERROR_INVALID_ARGS, "Reload takes no arguments");
        cw_log_info("Reload asked for over the session bus");
        if (!a->reload)
                return reply_error(a, call, DBUS_ERROR_NOT_SUPPORTED, "This daemon cannot reload");
        if (!a->reload(a->reload_userdata))
                return reply_error(a, call, DBUS_ERROR_FAILED, "callwitnessd refused the configuration and keeps the one "
                                                        "in force; its log says why");
        return reply(a, dbus_message_new_method_return(call));
}

static int find_property(const char *name) {
        for (int p = 0; p < N_PROPERTIES; p++)
                if (strcmp(name, property_names[p]) == 0)
                        return p;
        return -1;
}

static DBusHandlerResult get_property(cw_recorder_api *a, DBusMessage *call) {
        const char *interface, *name;
        DBusMessage *msg;
        DBusMessageIter iter;
        int p;

        if (!dbus_message_get_args(call, NULL, DBUS_TYPE_STRING, &interface, DBUS_TYPE_STRING, &name,
                                   DBUS_TYPE_INVALID))
                return reply_error(a, call, DBUS_ERROR_INVALID_ARGS, "Get takes an interface and a name (ss)");
        if (strcmp(interface, INTERFACE) != 0 || (p = find_property(name)) < 0)
                return reply_error(a, call, DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s.%s", interface, name);
        msg = dbus_message_new_method_return(call);
        if (msg) {
                dbus_message_iter_init_append(msg, &iter);
                if (!append_property(a, (property) p, &iter)) {
                        dbus_message_unref(msg);
                        msg = NULL;
                }
        }
        return reply(a, msg);
}

static DBusHandlerResult get_all_properties(cw_recorder_api *a, DBusMessage *call) {
        const char *interface;
        DBusMessage *msg;
        DBusMessageIter iter, array, entry;
        bool ok;

        if (!dbus_message_get_args(call, NULL, DBUS_TYPE_STRING, &interface, DBUS_TYPE_INVALID))
                return reply_error(a, call, DBUS_ERROR_INVALID_ARGS, "GetAll takes an interface (s)");
        msg = dbus_message_new_method_return(call);
        if (!msg)
                return reply(a, NULL);
        dbus_message_iter_init_append(msg, &iter);
        ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &array);
        /* Another interface's: none, as the specification asks. */
        for (int p = 0; ok && strcmp(interface, INTERFACE) == 0 && p < N_PROPERTIES; p++)
                ok = dbus_message_iter_open_container(&array, DBUS_TYPE_DICT_ENTRY, NULL, &entry) &&
                     dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &property_names[p]) &&
                     append_property(a, (property) p, &entry) && dbus_message_iter_close_container(&array, &entry);
        if (!ok || !dbus_message_iter_close_container(&iter, &array)) {
                dbus_message_unref(msg);
                msg = NULL;
        }
        return reply(a, msg);
}

static DBusHandlerResult on_message(DBusConnection *conn, DBusMessage *call, void *userdata) {
        cw_recorder_api *a = userdata;
        const char *interface = dbus_message_get_interface(call), *member = dbus_message_get_member(call);
        DBusMessage *msg;

        if (dbus_message_get_type(call) != DBUS_MESSAGE_TYPE_METHOD_CALL || !member)
                return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
        if (!caller_is_owner(a, call))
                return reply_error(a, call, DBUS_ERROR_ACCESS_DENIED,
                                   "callwitnessd serves only the user it runs as");
        if (dbus_message_is_method_call(call, "org.freedesktop.DBus.Introspectable", "Introspect")) {
                const char *xml = introspection;

                msg = dbus_message_new_method_return(call);
                if (msg && !dbus_message_append_args(msg, DBUS_TYPE_STRING, &xml, DBUS_TYPE_INVALID)) {
                        dbus_message_unref(msg);
                        msg = NULL;
                }
                return reply(a, msg);
        }
        if (dbus_message_is_method_call(call, PROPERTIES, "Get"))
                return get_property(a, call);
        if (dbus_message_is_method_call(call, PROPERTIES, "GetAll"))
                return get_all_properties(a, call);
        if (dbus_message_is_method_call(call, PROPERTIES, "Set"))
                return reply_error(a, call, DBUS_ERROR_PROPERTY_READ_ONLY, "Every property of %s is read-only",
                                   INTERFACE);
        /* Without an interface, a member of ours is meant (the
         * specification lets a caller leave it out). */
        if (!interface || strcmp(interface, INTERFACE) == 0) {
                if (strcmp(member, "StartEncounter") == 0)
                        return start_encounter(a, call);
                if (strcmp(member, "Stop") == 0)
                        return stop(a, call);
                if (strcmp(member, "Mark") == 0)
                        return mark(a, call);
                if (strcmp(member, "Reload") == 0)
                        return reload(a, call);
        }
        return reply_error(a, call, DBUS_ERROR_UNKNOWN_METHOD, "No method %s.%s", interface ? interface : "",
                           member);
}

static const DBusObjectPathVTable vtable = { .message_function = on_message };

int cw_recorder_api_new(pa_mainloop_api *api, DBusConnection *bus, cw_tracker *tracker, const char *data_dir,
                        cw_recorder_api **ret) {
        cw_recorder_api *a = calloc(1, sizeof *a);
        DBusError error;
        int r;

        if (!a || !(a->data_dir = strdup(data_dir)) || !(a->announce = api->defer_new(api, on_announce, a))) {
                if (a)
                        free(a->data_dir);
                free(a);
                return -ENOMEM;
        }
        api->defer_enable(a->announce, 0);
        a->api = api;
        a->bus = dbus_connection_ref(bus);
        a->tracker = tracker;
        dbus_error_init(&error);
        if (!dbus_connection_try_register_object_path(bus, OBJECT_PATH, &vtable, a, &error)) {
                cw_log_error("Session-bus API: %s", error.message);
                dbus_error_free(&error);
                cw_recorder_api_free(a);
                return -EEXIST;
        }
        a->registered = true;
        /* Queued behind a program that holds the name: the bus hands it
         * over when that one leaves (the CLI checks whose it is). */
        r = dbus_bus_request_name(bus, BUS_NAME, 0, &error);
        if (r == DBUS_REQUEST_NAME_REPLY_IN_QUEUE)
                cw_log_error("Session-bus API: another program holds the name %s; callwitness record, stop and mark "
                             "reach this daemon only once it lets go", BUS_NAME);
        else if (r != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
                cw_log_error("Session-bus API: the name %s cannot be had: %s", BUS_NAME,
                             dbus_error_is_set(&error) ? error.message : "refused");
                dbus_error_free(&error);
                cw_recorder_api_free(a);
                return -EADDRINUSE;
        }
        for (int p = 0; p < N_PROPERTIES; p++)
                a->told[p] = property_text(a, (property) p);
        cw_tracker_set_observer(tracker, &observer, a);
        cw_log_debug("Session-bus API: %s at %s", BUS_NAME, OBJECT_PATH);
        *ret = a;
        return 0;
}

cw_recorder_api *cw_recorder_api_free(cw_recorder_api *a) {
        if (!a)
                return NULL;
        cw_tracker_set_observer(a->tracker, NULL, NULL);
        if (a->registered)
                dbus_connection_unregister_object_path(a->bus, OBJECT_PATH);
        a->api->defer_free(a->announce);
        dbus_connection_unref(a->bus);
        for (int p = 0; p < N_PROPERTIES; p++)
                free(a->told[p]);
        free(a->data_dir);
        free(a);
        return NULL;
}

void cw_recorder_api_set_reload(cw_recorder_api *a, cw_recorder_reload_fn reload_config, void *userdata) {
        if (!a)
                return;
        a->reload = reload_config;
        a->reload_userdata = userdata;
}
