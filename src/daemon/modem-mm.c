/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ModemManager backend: org.freedesktop.ModemManager1 on the system bus.
 *
 * Modems come from the ObjectManager; calls do not — they are announced by
 * each modem's Modem.Voice interface (ListCalls, CallAdded, CallDeleted).
 * A call's properties are read with one GetAll when it appears, and
 * Call.StateChanged / PropertiesChanged keep them current. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "dbus-util.h"
#include "modem.h"

#define BACKEND "modemmanager"
#define MM_SERVICE "org.freedesktop.ModemManager1"
#define MM_PATH "/org/freedesktop/ModemManager1"
#define MM_VOICE MM_SERVICE ".Modem.Voice"
#define MM_CALL MM_SERVICE ".Call"
#define OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define PROPERTIES "org.freedesktop.DBus.Properties"

/* MMCallState, MMCallStateReason, MMCallDirection from ModemManager-enums.h */
enum {
        MM_CALL_STATE_UNKNOWN = 0,
        MM_CALL_STATE_DIALING = 1,
        MM_CALL_STATE_RINGING_OUT = 2,
        MM_CALL_STATE_RINGING_IN = 3,
        MM_CALL_STATE_ACTIVE = 4,
        MM_CALL_STATE_HELD = 5,
        MM_CALL_STATE_WAITING = 6,
        MM_CALL_STATE_TERMINATED = 7,
};
enum {
        MM_CALL_STATE_REASON_TERMINATED = 4,
        MM_CALL_STATE_REASON_REFUSED_OR_BUSY = 5,
        MM_CALL_STATE_REASON_ERROR = 6,
        MM_CALL_STATE_REASON_AUDIO_SETUP_FAILED = 7,
};
enum {
        MM_CALL_DIRECTION_INCOMING = 1,
        MM_CALL_DIRECTION_OUTGOING = 2,
};

static const char signal_rule[] = "type='signal',sender='" MM_SERVICE "'";
static const char owner_rule[] =
        "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" MM_SERVICE "'";

typedef struct mm_call {
        char *path;
        char *modem_path;
        bool reported;           /* properties read and call_added sent */
        struct mm_call *next;
} mm_call;

typedef struct mm_backend {
        DBusConnection *bus;
        const cw_modem_events *events;
        void *userdata;
        cw_dbus_calls *calls_in_flight;
        mm_call *calls;
} mm_backend;

typedef struct call_props {
        int64_t state, reason, direction;
        const char *number;
} call_props;

static cw_call_state map_state(int64_t state, int64_t direction) {
        switch (state) {
        case MM_CALL_STATE_RINGING_IN:
                return CW_CALL_RINGING;
        case MM_CALL_STATE_WAITING:
                return CW_CALL_WAITING;
        case MM_CALL_STATE_ACTIVE:
                return CW_CALL_ACTIVE;
        case MM_CALL_STATE_HELD:
                return CW_CALL_HELD;
        case MM_CALL_STATE_TERMINATED:
                return CW_CALL_ENDED;
        case MM_CALL_STATE_UNKNOWN:
                /* A new outgoing call before ATD; an incoming one never sits
                 * here, but if it does, it is ringing. */
                return direction == MM_CALL_DIRECTION_INCOMING ? CW_CALL_RINGING : CW_CALL_DIALING;
        default:   /* DIALING, RINGING_OUT */
                return CW_CALL_DIALING;
        }
}

static cw_end_reason map_reason(int64_t reason) {
        switch (reason) {
        case MM_CALL_STATE_REASON_TERMINATED:
                return CW_END_HANGUP;
        case MM_CALL_STATE_REASON_REFUSED_OR_BUSY:
                return CW_END_REFUSED_OR_BUSY;
        case MM_CALL_STATE_REASON_ERROR:
        case MM_CALL_STATE_REASON_AUDIO_SETUP_FAILED:
                return CW_END_ERROR;
        default:
                return CW_END_UNKNOWN;
        }
}

static cw_direction map_direction(int64_t direction) {
        return direction == MM_CALL_DIRECTION_INCOMING ? CW_DIRECTION_INCOMING
             : direction == MM_CALL_DIRECTION_OUTGOING ? CW_DIRECTION_OUTGOING
             : CW_DIRECTION_UNKNOWN;
}

static mm_call *find_call(mm_backend *b, const char *path, mm_call ***link_ret) {
        mm_call **link = &b->calls;

        for (; *link; link = &(*link)->next)
                if (strcmp((*link)->path, path) == 0) {
                        if (link_ret)
                                *link_ret = link;
                        return *link;
                }
        return NULL;
}

static void forget_call(mm_backend *b, const char *path, cw_end_reason reason) {
        mm_call **link, *call = find_call(b, path, &link);

        if (!call)
                return;
        *link = call->next;
        if (call->reported)
                b->events->call_removed(BACKEND, call->path, reason, b->userdata);
        free(call->path);
        free(call->modem_path);
        free(call);
}

static void read_call_prop(const char *key, DBusMessageIter *value, void *userdata) {
        call_props *props = userdata;

        if (strcmp(key, "State") == 0)
                cw_dbus_get_int(value, &props->state);
        else if (strcmp(key, "StateReason") == 0)
                cw_dbus_get_int(value, &props->reason);
        else if (strcmp(key, "Direction") == 0)
                cw_dbus_get_int(value, &props->direction);
        else if (strcmp(key, "Number") == 0)
                cw_dbus_get_string(value, &props->number);
}

typedef struct call_request {
        mm_backend *backend;
        char *path;
} call_request;

static void on_call_props(DBusMessage *reply, void *userdata) {
        call_request *request = userdata;
        mm_backend *b = request->backend;
        call_props props = { .state = -1, .reason = 0, .direction = 0 };
        DBusMessageIter iter;
        mm_call *call = find_call(b, request->path, NULL);

        if (!call || call->reported || cw_dbus_reply_is_error(reply, "ModemManager Call GetAll"))
                return;
        dbus_message_iter_init(reply, &iter);
        cw_dbus_foreach_prop(&iter, read_call_prop, &props);
        if (props.state < 0)
                return;

        call->reported = true;
        b->events->call_added(&(cw_modem_call_info) {
                .backend = BACKEND,
                .path = call->path,
                .direction = map_direction(props.direction),
                .number = props.number,
                .state = map_state(props.state, props.direction),
        }, b->userdata);
}

static void free_call_request(void *userdata) {
        call_request *request = userdata;

        free(request->path);
        free(request);
}

static void add_call(mm_backend *b, const char *modem_path, const char *path) {
        call_request *request;
        mm_call *call;

        if (find_call(b, path, NULL))
                return;
        call = calloc(1, sizeof *call);
        request = calloc(1, sizeof *request);
        if (!call || !request || !(call->path = strdup(path)) || !(call->modem_path = strdup(modem_path)) ||
            !(request->path = strdup(path))) {
                cw_log_error("Out of memory tracking a ModemManager call");
                if (call)
                        free(call->path), free(call->modem_path);
                if (request)
                        free(request->path);
                free(call);
                free(request);
                return;
        }
        call->next = b->calls;
        b->calls = call;
        request->backend = b;
        cw_log_debug("modemmanager: call %s appeared on %s", path, modem_path);
        cw_dbus_call(b->calls_in_flight, MM_SERVICE, path, PROPERTIES, "GetAll", on_call_props, request,
                     free_call_request, DBUS_TYPE_STRING, &(const char *) { MM_CALL }, DBUS_TYPE_INVALID);
}

typedef struct modem_request {
        mm_backend *backend;
        char *modem_path;
} modem_request;

static void on_list_calls(DBusMessage *reply, void *userdata) {
        modem_request *request = userdata;
        char **paths = NULL;
        int n = 0;

        if (!cw_dbus_reply_is_error(reply, "ModemManager ListCalls") &&
            dbus_message_get_args(reply, NULL, DBUS_TYPE_ARRAY, DBUS_TYPE_OBJECT_PATH, &paths, &n,
                                  DBUS_TYPE_INVALID)) {
                for (int i = 0; i < n; i++)
                        add_call(request->backend, request->modem_path, paths[i]);
                dbus_free_string_array(paths);
        }
}

static void free_modem_request(void *userdata) {
        modem_request *request = userdata;

        free(request->modem_path);
        free(request);
}

static void add_modem(mm_backend *b, const char *modem_path) {
        modem_request *request = calloc(1, sizeof *request);

        if (!request || !(request->modem_path = strdup(modem_path))) {
                free(request);
                return;
        }
        request->backend = b;
        cw_log_info("ModemManager modem %s has voice support", modem_path);
        cw_dbus_call(b->calls_in_flight, MM_SERVICE, modem_path, MM_VOICE, "ListCalls",
                     on_list_calls, request, free_modem_request, DBUS_TYPE_INVALID);
}

static void remove_modem(mm_backend *b, const char *modem_path) {
        bool again = true;

        cw_log_info("ModemManager modem %s is gone", modem_path);
        while (again) {
                again = false;
                for (mm_call *call = b->calls; call; call = call->next)
                        if (strcmp(call->modem_path, modem_path) == 0) {
                                forget_call(b, call->path, CW_END_MODEM_GONE);
                                again = true;
                                break;
                        }
        }
}

/* Does the a{sa{sv}} at iter hold the Voice interface? */
static bool interfaces_have_voice(DBusMessageIter *iter) {
        DBusMessageIter entries;

        if (dbus_message_iter_get_arg_type(iter) != DBUS_TYPE_ARRAY)
                return false;
        dbus_message_iter_recurse(iter, &entries);
        for (; dbus_message_iter_get_arg_type(&entries) == DBUS_TYPE_DICT_ENTRY; dbus_message_iter_next(&entries)) {
                DBusMessageIter entry;
                const char *name;

                dbus_message_iter_recurse(&entries, &entry);
                dbus_message_iter_get_basic(&entry, &name);
                if (strcmp(name, MM_VOICE) == 0)
                        return true;
        }
        return false;
}

static void on_managed_objects(DBusMessage *reply, void *userdata) {
        mm_backend *b = userdata;
        DBusMessageIter iter, objects;

        if (cw_dbus_reply_is_error(reply, "ModemManager GetManagedObjects"))
                return;
        dbus_message_iter_init(reply, &iter);
        if (dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_ARRAY)
                return;
        dbus_message_iter_recurse(&iter, &objects);
        for (; dbus_message_iter_get_arg_type(&objects) == DBUS_TYPE_DICT_ENTRY; dbus_message_iter_next(&objects)) {
                DBusMessageIter object;
                const char *path;

                dbus_message_iter_recurse(&objects, &object);
                dbus_message_iter_get_basic(&object, &path);
                dbus_message_iter_next(&object);
                if (interfaces_have_voice(&object))
                        add_modem(b, path);
        }
}

static void service_appeared(mm_backend *b) {
        cw_log_info("ModemManager is on the bus");
        cw_dbus_call(b->calls_in_flight, MM_SERVICE, MM_PATH, OBJECT_MANAGER, "GetManagedObjects",
                     on_managed_objects, b, NULL, DBUS_TYPE_INVALID);
}

static void service_vanished(mm_backend *b) {
        cw_log_info("ModemManager left the bus");
        cw_dbus_calls_cancel_all(b->calls_in_flight);
        while (b->calls)
                forget_call(b, b->calls->path, CW_END_MODEM_GONE);
}

static void on_state_changed(mm_backend *b, DBusMessage *msg) {
        const char *path = dbus_message_get_path(msg);
        mm_call *call = find_call(b, path, NULL);
        dbus_int32_t old_state, new_state;
        dbus_uint32_t reason;

        /* Before GetAll answers, its reply carries the newer state anyway. */
        if (!call || !call->reported ||
            !dbus_message_get_args(msg, NULL, DBUS_TYPE_INT32, &old_state, DBUS_TYPE_INT32, &new_state,
                                   DBUS_TYPE_UINT32, &reason, DBUS_TYPE_INVALID))
                return;
        b->events->call_state(BACKEND, path, map_state(new_state, 0), map_reason(reason), b->userdata);
}

static void read_number_prop(const char *key, DBusMessageIter *value, void *userdata) {
        if (strcmp(key, "Number") == 0)
                cw_dbus_get_string(value, userdata);
}

static void on_properties_changed(mm_backend *b, DBusMessage *msg) {
        const char *path = dbus_message_get_path(msg), *interface, *number = NULL;
        mm_call *call = find_call(b, path, NULL);
        DBusMessageIter iter;

        if (!call || !call->reported || !dbus_message_iter_init(msg, &iter) ||
            dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_STRING)
                return;
        dbus_message_iter_get_basic(&iter, &interface);
        if (strcmp(interface, MM_CALL) != 0 || !dbus_message_iter_next(&iter))
                return;
        cw_dbus_foreach_prop(&iter, read_number_prop, &number);
        if (number && number[0])
                b->events->call_number(BACKEND, path, number, b->userdata);
}

static DBusHandlerResult on_message(DBusConnection *conn, DBusMessage *msg, void *userdata) {
        mm_backend *b = userdata;
        const char *path = dbus_message_get_path(msg);
        bool appeared;

        if (cw_dbus_is_name_owner_changed(msg, MM_SERVICE, &appeared)) {
                if (appeared)
                        service_appeared(b);
                else
                        service_vanished(b);
        } else if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_SIGNAL || !path)
                ;
        else if (dbus_message_is_signal(msg, MM_CALL, "StateChanged"))
                on_state_changed(b, msg);
        else if (dbus_message_is_signal(msg, PROPERTIES, "PropertiesChanged"))
                on_properties_changed(b, msg);
        else if (dbus_message_is_signal(msg, MM_VOICE, "CallAdded") ||
                 dbus_message_is_signal(msg, MM_VOICE, "CallDeleted")) {
                const char *call_path;

                if (dbus_message_get_args(msg, NULL, DBUS_TYPE_OBJECT_PATH, &call_path, DBUS_TYPE_INVALID)) {
                        if (dbus_message_has_member(msg, "CallAdded"))
                                add_call(b, path, call_path);
                        else
                                forget_call(b, call_path, CW_END_UNKNOWN);
                }
        } else if (dbus_message_is_signal(msg, OBJECT_MANAGER, "InterfacesAdded")) {
                DBusMessageIter iter;
                const char *modem_path;

                dbus_message_iter_init(msg, &iter);
                if (dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_OBJECT_PATH)
                        return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
                dbus_message_iter_get_basic(&iter, &modem_path);
                dbus_message_iter_next(&iter);
                if (interfaces_have_voice(&iter))
                        add_modem(b, modem_path);
        } else if (dbus_message_is_signal(msg, OBJECT_MANAGER, "InterfacesRemoved")) {
                DBusMessageIter iter, names;
                const char *modem_path;

                dbus_message_iter_init(msg, &iter);
                if (dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_OBJECT_PATH)
                        return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
                dbus_message_iter_get_basic(&iter, &modem_path);
                dbus_message_iter_next(&iter);
                if (dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_ARRAY)
                        return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
                dbus_message_iter_recurse(&iter, &names);
                for (; dbus_message_iter_get_arg_type(&names) == DBUS_TYPE_STRING; dbus_message_iter_next(&names)) {
                        const char *name;

                        dbus_message_iter_get_basic(&names, &name);
                        if (strcmp(name, MM_VOICE) == 0)
                                remove_modem(b, modem_path);
                }
        }
        /* Other filters (the oFono backend) may want the same message. */
        return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static void on_name_has_owner(DBusMessage *reply, void *userdata) {
        dbus_bool_t has_owner = FALSE;

        if (!cw_dbus_reply_is_error(reply, "NameHasOwner") &&
            dbus_message_get_args(reply, NULL, DBUS_TYPE_BOOLEAN, &has_owner, DBUS_TYPE_INVALID) && has_owner)
                service_appeared(userdata);
        else
                cw_log_info("ModemManager is not running; waiting for it");
}

static void mm_stop(void *backend) {
        mm_backend *b = backend;

        if (!b)
                return;
        dbus_connection_remove_filter(b->bus, on_message, b);
        cw_dbus_remove_match(b->bus, signal_rule);
        cw_dbus_remove_match(b->bus, owner_rule);
        b->calls_in_flight = cw_dbus_calls_free(b->calls_in_flight);
        while (b->calls)
                forget_call(b, b->calls->path, CW_END_DAEMON_STOPPED);
        dbus_connection_unref(b->bus);
        free(b);
}

static int mm_start(DBusConnection *bus, const cw_modem_events *events, void *userdata, void **ret) {
        mm_backend *b = calloc(1, sizeof *b);

        if (!b)
                return -ENOMEM;
        b->bus = dbus_connection_ref(bus);
        b->events = events;
        b->userdata = userdata;
        b->calls_in_flight = cw_dbus_calls_new(bus);
        if (!b->calls_in_flight || !dbus_connection_add_filter(bus, on_message, b, NULL)) {
                cw_dbus_calls_free(b->calls_in_flight);
                dbus_connection_unref(b->bus);
                free(b);
                return -ENOMEM;
        }
        cw_dbus_add_match(bus, signal_rule);
        cw_dbus_add_match(bus, owner_rule);
        /* Asked after the match is in place, so a start in between is seen
         * by one or the other. */
        cw_dbus_call(b->calls_in_flight, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "NameHasOwner",
                     on_name_has_owner, b, NULL, DBUS_TYPE_STRING, &(const char *) { MM_SERVICE }, DBUS_TYPE_INVALID);
        *ret = b;
        return 0;
}

const cw_modem_backend_ops cw_modem_mm_ops = {
        .name = BACKEND,
        .start = mm_start,
        .stop = mm_stop,
};
