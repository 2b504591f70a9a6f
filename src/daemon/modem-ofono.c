/* SPDX-License-Identifier: GPL-3.0-or-later */
/* oFono backend: org.ofono on the system bus.
 *
 * Modems from Manager.GetModems and ModemAdded/ModemRemoved; a modem takes
 * calls once "org.ofono.VoiceCallManager" is among its Interfaces. Calls
 * arrive with their properties (GetCalls, CallAdded) and change through
 * VoiceCall.PropertyChanged. oFono has no direction property: the state a
 * call is first seen in tells it (incoming/waiting vs dialing/alerting). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "dbus-service.h"
#include "dbus-util.h"
#include "modem.h"

#define BACKEND "ofono"
#define OFONO_SERVICE "org.ofono"
#define OFONO_MANAGER "org.ofono.Manager"
#define OFONO_MODEM "org.ofono.Modem"
#define OFONO_VCM "org.ofono.VoiceCallManager"
#define OFONO_CALL "org.ofono.VoiceCall"
#define OFONO_MESSAGES "org.ofono.MessageManager"

typedef struct ofono_call {
        char *path;
        char *modem_path;
        cw_end_reason disconnect_reason;   /* from DisconnectReason, before the state change */
        struct ofono_call *next;
} ofono_call;

typedef struct ofono_modem {
        char *path;
        bool voice;
        struct ofono_modem *next;
} ofono_modem;

typedef struct ofono_backend {
        const cw_modem_events *events;
        void *userdata;
        cw_dbus_service *service;
        ofono_call *calls;
        ofono_modem *modems;
} ofono_backend;

static bool map_state(const char *state, cw_call_state *ret) {
        static const struct {
                const char *name;
                cw_call_state state;
        } states[] = {
                { "incoming", CW_CALL_RINGING },
                { "waiting", CW_CALL_WAITING },
                { "dialing", CW_CALL_DIALING },
                { "alerting", CW_CALL_DIALING },
                { "active", CW_CALL_ACTIVE },
                { "held", CW_CALL_HELD },
                { "disconnected", CW_CALL_ENDED },
        };

        for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
                if (strcmp(state, states[i].name) == 0) {
                        *ret = states[i].state;
                        return true;
                }
        return false;
}

static cw_direction direction_from_first_state(cw_call_state state) {
        switch (state) {
        case CW_CALL_RINGING:
        case CW_CALL_WAITING:
                return CW_DIRECTION_INCOMING;
        case CW_CALL_DIALING:
                return CW_DIRECTION_OUTGOING;
        default:
                return CW_DIRECTION_UNKNOWN;   /* already active when we started */
        }
}

/* oFono's LineIdentification: the number, "withheld", or empty. */
static const char *map_number(const char *line_identification) {
        if (!line_identification || !line_identification[0])
                return NULL;
        if (strcmp(line_identification, "withheld") == 0)
                return CW_NUMBER_WITHHELD;
        return line_identification;
}

static ofono_call *find_call(ofono_backend *b, const char *path, ofono_call ***link_ret) {
        for (ofono_call **link = &b->calls; *link; link = &(*link)->next)
                if (strcmp((*link)->path, path) == 0) {
                        if (link_ret)
                                *link_ret = link;
                        return *link;
                }
        return NULL;
}

static void forget_call(ofono_backend *b, ofono_call **link, cw_end_reason reason) {
        ofono_call *call = *link;

        *link = call->next;
        b->events->call_removed(BACKEND, call->path, reason, b->userdata);
        free(call->path);
        free(call->modem_path);
        free(call);
}

typedef struct call_props {
        const char *state, *line_identification;
} call_props;

static void read_call_prop(const char *key, DBusMessageIter *value, void *userdata) {
        call_props *props = userdata;

        if (strcmp(key, "State") == 0)
                cw_dbus_get_string(value, &props->state);
        else if (strcmp(key, "LineIdentification") == 0)
                cw_dbus_get_string(value, &props->line_identification);
}

/* iter at the a{sv} of a call. */
static void add_call(ofono_backend *b, const char *modem_path, const char *path, DBusMessageIter *props_iter) {
        call_props props = { 0 };
        cw_call_state state;
        ofono_call *call;

        if (find_call(b, path, NULL))
                return;
        cw_dbus_foreach_prop(props_iter, read_call_prop, &props);
        if (!props.state || !map_state(props.state, &state)) {
                cw_log_warning("oFono call %s has an unknown state '%s'; ignored", path,
                               props.state ? props.state : "");
                return;
        }
        call = calloc(1, sizeof *call);
        if (!call || !(call->path = strdup(path)) || !(call->modem_path = strdup(modem_path))) {
                cw_log_error("Out of memory tracking an oFono call");
                if (call)
                        free(call->path);
                free(call);
                return;
        }
        /* oFono sends DisconnectReason only when it knows one. */
        call->disconnect_reason = CW_END_UNKNOWN;
        call->next = b->calls;
        b->calls = call;
        b->events->call_added(&(cw_modem_call_info) {
                .backend = BACKEND,
                .path = call->path,
                .direction = direction_from_first_state(state),
                .number = map_number(props.line_identification),
                .state = state,
        }, b->userdata);
}

typedef struct modem_request {
        ofono_backend *backend;
        char *modem_path;
} modem_request;

static void on_get_calls(DBusMessage *reply, void *userdata) {
        modem_request *request = userdata;
        DBusMessageIter iter, calls;

        if (!cw_dbus_reply_is(reply, "a(oa{sv})", "oFono GetCalls"))
                return;
        dbus_message_iter_init(reply, &iter);
        dbus_message_iter_recurse(&iter, &calls);
        for (; dbus_message_iter_get_arg_type(&calls) == DBUS_TYPE_STRUCT; dbus_message_iter_next(&calls)) {
                DBusMessageIter call;
                const char *path;

                dbus_message_iter_recurse(&calls, &call);
                dbus_message_iter_get_basic(&call, &path);
                dbus_message_iter_next(&call);
                add_call(request->backend, request->modem_path, path, &call);
        }
}

static void free_modem_request(void *userdata) {
        modem_request *request = userdata;

        free(request->modem_path);
        free(request);
}

static ofono_modem *find_modem(ofono_backend *b, const char *path, ofono_modem ***link_ret) {
        for (ofono_modem **link = &b->modems; *link; link = &(*link)->next)
                if (strcmp((*link)->path, path) == 0) {
                        if (link_ret)
                                *link_ret = link;
                        return *link;
                }
        return NULL;
}

static void end_calls_of_modem(ofono_backend *b, const char *modem_path, cw_end_reason reason) {
        ofono_call **link = &b->calls;

        while (*link)
                if (strcmp((*link)->modem_path, modem_path) == 0)
                        forget_call(b, link, reason);
                else
                        link = &(*link)->next;
}

static void set_modem_voice(ofono_backend *b, ofono_modem *modem, bool voice) {
        modem_request *request;

        if (modem->voice == voice)
                return;
        modem->voice = voice;
        if (!voice) {
                cw_log_info("oFono modem %s lost voice support", modem->path);
                end_calls_of_modem(b, modem->path, CW_END_MODEM_GONE);
                return;
        }
        cw_log_info("oFono modem %s has voice support", modem->path);
        request = calloc(1, sizeof *request);
        if (!request || !(request->modem_path = strdup(modem->path))) {
                free(request);
                return;
        }
        request->backend = b;
        cw_dbus_call(cw_dbus_service_calls(b->service), OFONO_SERVICE, modem->path, OFONO_VCM, "GetCalls",
                     on_get_calls, request, free_modem_request, DBUS_TYPE_INVALID);
}

static void read_interfaces(const char *key, DBusMessageIter *value, void *userdata) {
        if (strcmp(key, "Interfaces") == 0)
                *(bool *) userdata = cw_dbus_strv_contains(value, OFONO_VCM);
}

/* iter at the a{sv} of a modem. */
static void add_modem(ofono_backend *b, const char *path, DBusMessageIter *props_iter) {
        ofono_modem *modem = find_modem(b, path, NULL);
        bool voice = false;

        if (!modem) {
                modem = calloc(1, sizeof *modem);
                if (!modem || !(modem->path = strdup(path))) {
                        free(modem);
                        return;
                }
                modem->next = b->modems;
                b->modems = modem;
        }
        cw_dbus_foreach_prop(props_iter, read_interfaces, &voice);
        set_modem_voice(b, modem, voice);
}

static void remove_modem(ofono_backend *b, const char *path) {
        ofono_modem **link, *modem = find_modem(b, path, &link);

        if (!modem)
                return;
        cw_log_info("oFono modem %s is gone", path);
        end_calls_of_modem(b, path, CW_END_MODEM_GONE);
        *link = modem->next;
        free(modem->path);
        free(modem);
}

static void on_get_modems(DBusMessage *reply, void *userdata) {
        ofono_backend *b = userdata;
        DBusMessageIter iter, modems;

        if (!cw_dbus_reply_is(reply, "a(oa{sv})", "oFono GetModems"))
                return;
        dbus_message_iter_init(reply, &iter);
        dbus_message_iter_recurse(&iter, &modems);
        for (; dbus_message_iter_get_arg_type(&modems) == DBUS_TYPE_STRUCT; dbus_message_iter_next(&modems)) {
                DBusMessageIter modem;
                const char *path;

                dbus_message_iter_recurse(&modems, &modem);
                dbus_message_iter_get_basic(&modem, &path);
                dbus_message_iter_next(&modem);
                add_modem(b, path, &modem);
        }
}

static void service_appeared(void *userdata) {
        ofono_backend *b = userdata;

        cw_log_info("oFono is on the bus");
        cw_dbus_call(cw_dbus_service_calls(b->service), OFONO_SERVICE, "/", OFONO_MANAGER, "GetModems",
                     on_get_modems, b, NULL, DBUS_TYPE_INVALID);
}

static void forget_everything(ofono_backend *b, cw_end_reason reason) {
        while (b->modems)
                remove_modem(b, b->modems->path);
        while (b->calls)   /* calls of modems we never heard of */
                forget_call(b, &b->calls, reason);
}

static void service_vanished(void *userdata) {
        cw_log_info("oFono left the bus");
        forget_everything(userdata, CW_END_MODEM_GONE);
}

static void on_call_property_changed(DBusMessage *msg, void *userdata) {
        ofono_backend *b = userdata;
        const char *path = dbus_message_get_path(msg);
        ofono_call *call = find_call(b, path, NULL);
        DBusMessageIter iter, value;
        const char *name, *text;
        cw_call_state state;

        if (!call || !dbus_message_iter_init(msg, &iter))
                return;
        dbus_message_iter_get_basic(&iter, &name);
        dbus_message_iter_next(&iter);
        dbus_message_iter_recurse(&iter, &value);
        if (!cw_dbus_get_string(&value, &text))
                return;

        if (strcmp(name, "State") == 0) {
                if (!map_state(text, &state)) {
                        cw_log_warning("oFono call %s moved to unknown state '%s'; ignored", path, text);
                        return;
                }
                b->events->call_state(BACKEND, path, state,
                                      state == CW_CALL_ENDED ? call->disconnect_reason : CW_END_UNKNOWN,
                                      b->userdata);
        } else if (strcmp(name, "LineIdentification") == 0 && map_number(text))
                b->events->call_number(BACKEND, path, map_number(text), b->userdata);
}

static void on_disconnect_reason(DBusMessage *msg, void *userdata) {
        ofono_call *call = find_call(userdata, dbus_message_get_path(msg), NULL);
        const char *reason;

        /* "local", "remote" or "network" (doc/voicecall-api.txt); anything
         * else is a reason we cannot name. */
        if (!call || !dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &reason, DBUS_TYPE_INVALID))
                return;
        if (strcmp(reason, "local") == 0 || strcmp(reason, "remote") == 0)
                call->disconnect_reason = CW_END_HANGUP;
        else if (strcmp(reason, "network") == 0)
                call->disconnect_reason = CW_END_ERROR;
        else
                call->disconnect_reason = CW_END_UNKNOWN;
}

static void on_object_added(DBusMessage *msg, void *userdata) {
        ofono_backend *b = userdata;
        DBusMessageIter iter;
        const char *object;

        if (!dbus_message_iter_init(msg, &iter))
                return;
        dbus_message_iter_get_basic(&iter, &object);
        dbus_message_iter_next(&iter);
        if (dbus_message_has_member(msg, "CallAdded")) {
                ofono_modem *modem = find_modem(b, dbus_message_get_path(msg), NULL);

                if (modem && modem->voice)
                        add_call(b, modem->path, object, &iter);
        } else
                add_modem(b, object, &iter);
}

static void on_modem_property_changed(DBusMessage *msg, void *userdata) {
        ofono_backend *b = userdata;
        ofono_modem *modem = find_modem(b, dbus_message_get_path(msg), NULL);
        DBusMessageIter iter, value;
        const char *name;

        if (!modem || !dbus_message_iter_init(msg, &iter))
                return;
        dbus_message_iter_get_basic(&iter, &name);
        if (strcmp(name, "Interfaces") != 0 || !dbus_message_iter_next(&iter))
                return;
        dbus_message_iter_recurse(&iter, &value);
        set_modem_voice(b, modem, cw_dbus_strv_contains(&value, OFONO_VCM));
}

static void on_call_removed_signal(DBusMessage *msg, void *userdata) {
        ofono_backend *b = userdata;
        const char *object;
        ofono_call **link;

        dbus_message_get_args(msg, NULL, DBUS_TYPE_OBJECT_PATH, &object, DBUS_TYPE_INVALID);
        if (find_call(b, object, &link))
                forget_call(b, link, (*link)->disconnect_reason);
}

static void on_modem_removed_signal(DBusMessage *msg, void *userdata) {
        const char *object;

        dbus_message_get_args(msg, NULL, DBUS_TYPE_OBJECT_PATH, &object, DBUS_TYPE_INVALID);
        remove_modem(userdata, object);
}

/* Signatures as in oFono's doc/voicecallmanager-api.txt, voicecall-api.txt,
 * manager-api.txt and modem-api.txt. */
typedef struct message_info {
        const char *sender, *sent, *local_sent;
} message_info;

static void read_message_info(const char *key, DBusMessageIter *value, void *userdata) {
        message_info *info = userdata;

        if (strcmp(key, "Sender") == 0)
                cw_dbus_get_string(value, &info->sender);
        else if (strcmp(key, "SentTime") == 0)
                cw_dbus_get_string(value, &info->sent);
        else if (strcmp(key, "LocalSentTime") == 0)
                cw_dbus_get_string(value, &info->local_sent);
}

/* MessageManager.IncomingMessage and ImmediateMessage (a class 0 "flash"
 * message) carry the whole message: nothing can delete it first. */
static void on_incoming_message(DBusMessage *msg, void *userdata) {
        ofono_backend *b = userdata;
        message_info info = { 0 };
        DBusMessageIter iter;
        const char *text;
        char *id;

        dbus_message_iter_init(msg, &iter);
        dbus_message_iter_get_basic(&iter, &text);
        dbus_message_iter_next(&iter);
        cw_dbus_foreach_prop(&iter, read_message_info, &info);
        /* No object names it: the modem and the signal's serial do. */
        if (asprintf(&id, "%s#%u", dbus_message_get_path(msg), dbus_message_get_serial(msg)) < 0)
                return;
        b->events->message_received(&(cw_message_in) {
                .backend = BACKEND, .modem_message_id = id, .sender = info.sender,
                /* SentTime is the network's stamp with the network's zone;
                 * LocalSentTime the same instant in the phone's zone, only
                 * for want of the other. */
                .sent_reported = info.sent ? info.sent : info.local_sent, .text = text, .complete = true,
                .receipt_known = true, .seen = cw_timestamp_now(),
        }, b->userdata);
        free(id);
}

static const cw_dbus_signal_handler signal_handlers[] = {
        { OFONO_MESSAGES, "IncomingMessage", "sa{sv}", on_incoming_message },
        { OFONO_MESSAGES, "ImmediateMessage", "sa{sv}", on_incoming_message },
        { OFONO_CALL, "PropertyChanged", "sv", on_call_property_changed },
        { OFONO_CALL, "DisconnectReason", "s", on_disconnect_reason },
        { OFONO_VCM, "CallAdded", "oa{sv}", on_object_added },
        { OFONO_MANAGER, "ModemAdded", "oa{sv}", on_object_added },
        { OFONO_VCM, "CallRemoved", "o", on_call_removed_signal },
        { OFONO_MANAGER, "ModemRemoved", "o", on_modem_removed_signal },
        { OFONO_MODEM, "PropertyChanged", "sv", on_modem_property_changed },
};

static void on_signal(DBusMessage *msg, void *userdata) {
        cw_dbus_dispatch_signal(msg, signal_handlers, sizeof signal_handlers / sizeof signal_handlers[0], userdata);
}

static const cw_dbus_service_ops service_ops = {
        .appeared = service_appeared,
        .vanished = service_vanished,
        .signal = on_signal,
};

static void ofono_stop(void *backend) {
        ofono_backend *b = backend;

        if (!b)
                return;
        b->service = cw_dbus_service_free(b->service);
        forget_everything(b, CW_END_DAEMON_STOPPED);
        free(b);
}

static int ofono_start(DBusConnection *bus, const cw_modem_events *events, void *userdata, void **ret) {
        ofono_backend *b = calloc(1, sizeof *b);
        int r;

        if (!b)
                return -ENOMEM;
        b->events = events;
        b->userdata = userdata;
        r = cw_dbus_service_watch(bus, OFONO_SERVICE, &service_ops, b, &b->service);
        if (r < 0) {
                free(b);
                return r;
        }
        *ret = b;
        return 0;
}

const cw_modem_backend_ops cw_modem_ofono_ops = {
        .name = BACKEND,
        .start = ofono_start,
        .stop = ofono_stop,
};
