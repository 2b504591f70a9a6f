/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ModemManager backend: org.freedesktop.ModemManager1 on the system bus.
 *
 * Modems come from the ObjectManager; calls do not — they are announced by
 * each modem's Modem.Voice interface (ListCalls, CallAdded, CallDeleted).
 * A call's properties are read with one GetAll when it appears, and
 * Call.StateChanged / PropertiesChanged keep them current.
 *
 * Text messages come the same way from Modem.Messaging (List, Added,
 * Deleted). A messaging client (Chatty on Phosh) stores each received
 * message and deletes it from ModemManager at once: a message is read with
 * one GetAll as soon as it is announced, and what could not be read before
 * it went is reported as such. callwitnessd never deletes one. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "dbus-service.h"
#include "dbus-util.h"
#include "modem.h"

#define BACKEND "modemmanager"
#define MM_SERVICE "org.freedesktop.ModemManager1"
#define MM_PATH "/org/freedesktop/ModemManager1"
#define MM_VOICE MM_SERVICE ".Modem.Voice"
#define MM_CALL MM_SERVICE ".Call"
#define MM_MESSAGING MM_SERVICE ".Modem.Messaging"
#define MM_SMS MM_SERVICE ".Sms"
#define MM_TIME MM_SERVICE ".Modem.Time"
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
/* MMSmsState, MMSmsPduType */
enum {
        MM_SMS_STATE_RECEIVING = 2,
        MM_SMS_STATE_RECEIVED = 3,
};
enum {
        MM_SMS_PDU_TYPE_UNKNOWN = 0,
        MM_SMS_PDU_TYPE_DELIVER = 1,
        MM_SMS_PDU_TYPE_CDMA_DELIVER = 32,
};

/* A received message being read: announced, not yet reported. */
typedef struct mm_sms {
        char *path, *modem_path;
        bool listed;             /* found stored by List, not announced by Added */
        bool reading;            /* a GetAll is in flight */
        bool retried;            /* a GetAll failed once, for another reason than the object being gone */
        cw_timestamp announced;  /* when it was announced (or found) */
        /* What was read while its parts were still arriving. */
        char *sender, *sent, *smsc, *text;
        struct mm_sms *next;
} mm_sms;

typedef struct mm_call {
        char *path;
        char *modem_path;
        bool reported;           /* properties read and call_added sent */
        bool listed;             /* found by ListCalls, not announced by CallAdded */
        int64_t direction;       /* cached: a client may delete the call object at its end */
        bool has_number;
        struct mm_call *next;
} mm_call;

typedef struct mm_backend {
        const cw_modem_events *events;
        void *userdata;
        cw_dbus_service *service;
        mm_call *calls;
        mm_sms *messages;
        char *time_modem;        /* a modem that tells the network's time, or NULL */
} mm_backend;

/* A request about one object (a call, a modem), for a reply handler. */
typedef struct path_request {
        mm_backend *backend;
        char *path;
} path_request;

static path_request *path_request_new(mm_backend *b, const char *path) {
        path_request *request = calloc(1, sizeof *request);

        if (request && !(request->path = strdup(path))) {
                free(request);
                return NULL;
        }
        if (request)
                request->backend = b;
        return request;
}

static void path_request_free(void *userdata) {
        path_request *request = userdata;

        free(request->path);
        free(request);
}

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

/* ModemManager creates an incoming call at RING with an empty Number and
 * fills it in when +CLIP arrives. A call answered or ended with the number
 * still empty had it withheld. */
static void settle_number(mm_backend *b, mm_call *call, int64_t state) {
        if (call->has_number || call->direction != MM_CALL_DIRECTION_INCOMING ||
            (state != MM_CALL_STATE_ACTIVE && state != MM_CALL_STATE_TERMINATED))
                return;
        call->has_number = true;
        b->events->call_number(BACKEND, call->path, CW_NUMBER_WITHHELD, b->userdata);
}

static void forget_call(mm_backend *b, const char *path, cw_end_reason reason) {
        mm_call **link, *call = find_call(b, path, &link);

        if (!call)
                return;
        *link = call->next;
        if (call->reported) {
                settle_number(b, call, MM_CALL_STATE_TERMINATED);
                b->events->call_removed(BACKEND, call->path, reason, b->userdata);
        }
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

static void on_call_props(DBusMessage *reply, void *userdata) {
        path_request *request = userdata;
        mm_backend *b = request->backend;
        call_props props = { .state = -1, .reason = 0, .direction = 0 };
        DBusMessageIter iter;
        mm_call *call = find_call(b, request->path, NULL);

        if (!call || call->reported || !cw_dbus_reply_is(reply, "a{sv}", "ModemManager Call GetAll"))
                return;
        dbus_message_iter_init(reply, &iter);
        cw_dbus_foreach_prop(&iter, read_call_prop, &props);
        if (props.state < 0)
                return;
        /* ModemManager keeps ended calls until a client deletes them: one
         * found ended in the listing ended before we were here, and was
         * recorded (or not) back then. It stays unreported and silent. */
        if (props.state == MM_CALL_STATE_TERMINATED && call->listed) {
                cw_log_debug("modemmanager: call %s ended before callwitnessd saw it", call->path);
                return;
        }

        call->reported = true;
        call->direction = props.direction;
        call->has_number = props.number && props.number[0];
        b->events->call_added(&(cw_modem_call_info) {
                .backend = BACKEND,
                .path = call->path,
                .direction = map_direction(props.direction),
                .number = call->has_number ? props.number : NULL,
                .state = map_state(props.state, props.direction),
        }, b->userdata);
        /* Found already answered (we started mid-call) or ended. */
        settle_number(b, call, props.state);
}

static void add_call(mm_backend *b, const char *modem_path, const char *path, bool listed) {
        path_request *request;
        mm_call *call;

        if (find_call(b, path, NULL))
                return;
        call = calloc(1, sizeof *call);
        if (!call || !(call->path = strdup(path)) || !(call->modem_path = strdup(modem_path)) ||
            !(request = path_request_new(b, path))) {
                cw_log_error("Out of memory tracking a ModemManager call");
                if (call)
                        free(call->path), free(call->modem_path);
                free(call);
                return;
        }
        call->listed = listed;
        call->next = b->calls;
        b->calls = call;
        cw_log_debug("modemmanager: call %s appeared on %s", path, modem_path);
        cw_dbus_call(cw_dbus_service_calls(b->service), MM_SERVICE, path, PROPERTIES, "GetAll", on_call_props,
                     request, path_request_free, DBUS_TYPE_STRING, &(const char *) { MM_CALL }, DBUS_TYPE_INVALID);
}

static void on_list_calls(DBusMessage *reply, void *userdata) {
        path_request *request = userdata;
        char **paths = NULL;
        int n = 0;

        if (cw_dbus_reply_is(reply, "ao", "ModemManager ListCalls") &&
            dbus_message_get_args(reply, NULL, DBUS_TYPE_ARRAY, DBUS_TYPE_OBJECT_PATH, &paths, &n,
                                  DBUS_TYPE_INVALID)) {
                for (int i = 0; i < n; i++)
                        add_call(request->backend, request->path, paths[i], true);
                dbus_free_string_array(paths);
        }
}

/* --- the network's time ---------------------------------------------------- */

typedef struct time_request {
        cw_network_time_fn fn;
        void *userdata;
        void (*free_userdata)(void *);
        bool answered;
} time_request;

static void time_request_free(void *userdata) {
        time_request *request = userdata;

        if (request->free_userdata)
                request->free_userdata(request->userdata);
        free(request);
}

static void on_network_time(DBusMessage *reply, void *userdata) {
        time_request *request = userdata;
        cw_timestamp now = cw_timestamp_now();
        const char *reported = NULL;

        /* Not registered yet, or a modem that has no clock after all. */
        if (!cw_dbus_reply_is(reply, "s", "ModemManager GetNetworkTime") ||
            !dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &reported, DBUS_TYPE_INVALID))
                reported = NULL;
        request->fn(reported && reported[0] ? reported : NULL, &now, request->userdata);
}

static int mm_network_time(void *backend, cw_network_time_fn fn, void *userdata, void (*free_userdata)(void *)) {
        mm_backend *b = backend;
        time_request *request;

        if (!b || !b->time_modem || !b->service || !(request = calloc(1, sizeof *request)))
                return -ENODEV;
        *request = (time_request) { .fn = fn, .userdata = userdata, .free_userdata = free_userdata };
        /* From here the request (and userdata) is the call's: a call that
         * cannot be sent frees it, and the caller must not. */
        cw_dbus_call(cw_dbus_service_calls(b->service), MM_SERVICE, b->time_modem, MM_TIME, "GetNetworkTime",
                     on_network_time, request, time_request_free, DBUS_TYPE_INVALID);
        return 0;
}

static void set_time_modem(mm_backend *b, const char *modem_path) {
        char *copy = modem_path ? strdup(modem_path) : NULL;

        if (modem_path && !copy)
                return;
        free(b->time_modem);
        b->time_modem = copy;
        if (modem_path)
                cw_log_info("ModemManager modem %s tells the network's time", modem_path);
}

/* --- text messages ---------------------------------------------------------- */

static mm_sms *find_sms(mm_backend *b, const char *path, mm_sms ***link_ret) {
        for (mm_sms **link = &b->messages; *link; link = &(*link)->next)
                if (strcmp((*link)->path, path) == 0) {
                        if (link_ret)
                                *link_ret = link;
                        return *link;
                }
        return NULL;
}

static void forget_sms(mm_backend *b, mm_sms *sms) {
        mm_sms **link;

        if (!find_sms(b, sms->path, &link))
                return;
        *link = sms->next;
        free(sms->path);
        free(sms->modem_path);
        free(sms->sender);
        free(sms->sent);
        free(sms->smsc);
        free(sms->text);
        free(sms);
}

typedef struct sms_props {
        int64_t state, pdu_type;
        const char *number, *text, *timestamp, *smsc;
        const unsigned char *data;
        int data_len;
} sms_props;

static void read_sms_prop(const char *key, DBusMessageIter *value, void *userdata) {
        sms_props *props = userdata;

        if (strcmp(key, "State") == 0)
                cw_dbus_get_int(value, &props->state);
        else if (strcmp(key, "PduType") == 0)
                cw_dbus_get_int(value, &props->pdu_type);
        else if (strcmp(key, "Number") == 0)
                cw_dbus_get_string(value, &props->number);
        else if (strcmp(key, "Text") == 0)
                cw_dbus_get_string(value, &props->text);
        else if (strcmp(key, "Timestamp") == 0)
                cw_dbus_get_string(value, &props->timestamp);
        else if (strcmp(key, "SMSC") == 0)
                cw_dbus_get_string(value, &props->smsc);
        else if (strcmp(key, "Data") == 0)
                cw_dbus_get_bytes(value, &props->data, &props->data_len);
}

static const char *nonempty(const char *s) {
        return s && s[0] ? s : NULL;
}

/* Keeps what was read of a message whose parts are still arriving: if it
 * is deleted before the last, this is what is left of it. */
static void keep_partial(mm_sms *sms, const sms_props *props) {
        const char *values[] = { props->number, props->timestamp, props->smsc, props->text };
        char **slots[] = { &sms->sender, &sms->sent, &sms->smsc, &sms->text };

        for (size_t i = 0; i < 4; i++)
                if (nonempty(values[i])) {
                        free(*slots[i]);
                        *slots[i] = strdup(values[i]);
                }
}

/* Reports the message with what is known of it, and forgets it. */
static void report_sms(mm_backend *b, mm_sms *sms, const sms_props *props, bool complete, bool deleted) {
        const char *sent = props && nonempty(props->timestamp) ? props->timestamp : sms->sent;
        cw_message_in m = {
                .backend = BACKEND, .modem_message_id = sms->path,
                .sender = props && nonempty(props->number) ? props->number : sms->sender,
                .sent_reported = sent,
                .smsc = props && nonempty(props->smsc) ? props->smsc : sms->smsc,
                .text = props && nonempty(props->text) ? props->text : sms->text,
                .data = props && props->data_len > 0 ? props->data : NULL,
                .data_len = props && props->data_len > 0 ? (size_t) props->data_len : 0,
                .complete = complete, .deleted_before_read = deleted, .receipt_known = !sms->listed,
                /* ModemManager announces a stored message again after it
                 * restarts; a stamp-less one announced is a new one. */
                .may_repeat = sms->listed || nonempty(sent),
                .seen = sms->announced,
        };

        b->events->message_received(&m, b->userdata);
        forget_sms(b, sms);
}

static void read_sms(mm_backend *b, mm_sms *sms);

static void on_sms_props(DBusMessage *reply, void *userdata) {
        path_request *request = userdata;
        mm_backend *b = request->backend;
        mm_sms *sms = find_sms(b, request->path, NULL);
        sms_props props = { .state = -1, .pdu_type = MM_SMS_PDU_TYPE_UNKNOWN };
        DBusMessageIter iter;

        if (!sms)
                return;
        sms->reading = false;
        if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR) {
                const char *error = dbus_message_get_error_name(reply);
                bool gone = error && (strcmp(error, DBUS_ERROR_UNKNOWN_OBJECT) == 0 ||
                                      strcmp(error, DBUS_ERROR_UNKNOWN_METHOD) == 0 ||
                                      strcmp(error, DBUS_ERROR_UNKNOWN_INTERFACE) == 0);

                if (!gone && !sms->retried) {
                        /* ModemManager busy or slow: once more. */
                        sms->retried = true;
                        read_sms(b, sms);
                        return;
                }
                /* Gone before it could be read (a messaging client deleted
                 * it at once), or not readable: all that is known is that
                 * it came. */
                cw_log_warning("modemmanager: message %s could not be read (%s): stored as %s", sms->path,
                               error ? error : "no answer", gone ? "deleted before it was read" : "not read");
                report_sms(b, sms, NULL, false, gone);
                return;
        }
        if (!cw_dbus_reply_is(reply, "a{sv}", "ModemManager Sms GetAll")) {
                forget_sms(b, sms);
                return;
        }
        dbus_message_iter_init(reply, &iter);
        cw_dbus_foreach_prop(&iter, read_sms_prop, &props);
        if (props.pdu_type != MM_SMS_PDU_TYPE_DELIVER && props.pdu_type != MM_SMS_PDU_TYPE_CDMA_DELIVER) {
                cw_log_debug("modemmanager: %s is not a received message (PDU type %lld)", sms->path,
                             (long long) props.pdu_type);
                forget_sms(b, sms);
                return;
        }
        if (props.state == MM_SMS_STATE_RECEIVING) {
                /* Its other parts are still coming: PropertiesChanged
                 * tells when it is whole. */
                keep_partial(sms, &props);
                cw_log_debug("modemmanager: message %s is still arriving", sms->path);
                return;
        }
        report_sms(b, sms, &props, true, false);
}

static void read_sms(mm_backend *b, mm_sms *sms) {
        path_request *request = path_request_new(b, sms->path);

        if (!request)
                return;
        sms->reading = true;
        cw_dbus_call(cw_dbus_service_calls(b->service), MM_SERVICE, sms->path, PROPERTIES, "GetAll", on_sms_props,
                     request, path_request_free, DBUS_TYPE_STRING, &(const char *) { MM_SMS }, DBUS_TYPE_INVALID);
}

static void add_sms(mm_backend *b, const char *modem_path, const char *path, bool listed) {
        mm_sms *sms;

        if (find_sms(b, path, NULL))
                return;
        sms = calloc(1, sizeof *sms);
        if (!sms || !(sms->path = strdup(path)) || !(sms->modem_path = strdup(modem_path))) {
                cw_log_error("Out of memory: a text message from ModemManager cannot be read");
                if (sms)
                        free(sms->path);
                free(sms);
                return;
        }
        sms->listed = listed;
        sms->announced = cw_timestamp_now();
        sms->next = b->messages;
        b->messages = sms;
        read_sms(b, sms);
}

static void on_list_messages(DBusMessage *reply, void *userdata) {
        path_request *request = userdata;
        char **paths = NULL;
        int n = 0;

        if (cw_dbus_reply_is(reply, "ao", "ModemManager Messaging.List") &&
            dbus_message_get_args(reply, NULL, DBUS_TYPE_ARRAY, DBUS_TYPE_OBJECT_PATH, &paths, &n,
                                  DBUS_TYPE_INVALID)) {
                for (int i = 0; i < n; i++)
                        add_sms(request->backend, request->path, paths[i], true);
                dbus_free_string_array(paths);
        }
}

static void add_messaging(mm_backend *b, const char *modem_path) {
        path_request *request = path_request_new(b, modem_path);

        if (!request)
                return;
        cw_log_info("ModemManager modem %s has messaging support", modem_path);
        cw_dbus_call(cw_dbus_service_calls(b->service), MM_SERVICE, modem_path, MM_MESSAGING, "List",
                     on_list_messages, request, path_request_free, DBUS_TYPE_INVALID);
}

static void on_message_added(DBusMessage *msg, void *userdata) {
        const char *path;
        dbus_bool_t received;

        if (dbus_message_get_args(msg, NULL, DBUS_TYPE_OBJECT_PATH, &path, DBUS_TYPE_BOOLEAN, &received,
                                  DBUS_TYPE_INVALID) && received)
                add_sms(userdata, dbus_message_get_path(msg), path, false);
}

static void on_message_deleted(DBusMessage *msg, void *userdata) {
        mm_backend *b = userdata;
        const char *path;
        mm_sms *sms;

        if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_OBJECT_PATH, &path, DBUS_TYPE_INVALID) ||
            !(sms = find_sms(b, path, NULL)))
                return;
        /* A GetAll in flight answers with an error and reports it. */
        if (sms->reading)
                return;
        cw_log_warning("modemmanager: message %s was deleted before its last part arrived", path);
        report_sms(b, sms, NULL, false, true);
}

static void sms_properties_changed(mm_backend *b, mm_sms *sms, DBusMessageIter *props_iter) {
        sms_props props = { .state = -1 };

        cw_dbus_foreach_prop(props_iter, read_sms_prop, &props);
        keep_partial(sms, &props);
        if (props.state == MM_SMS_STATE_RECEIVED && !sms->reading)
                read_sms(b, sms);
}

/* The modem, ModemManager or callwitnessd goes: a message whose parts were
 * still arriving is kept as far as it was read. */
static void forget_messages_of(mm_backend *b, const char *modem_path) {
        for (mm_sms *sms = b->messages, *next; sms; sms = next) {
                next = sms->next;
                if (modem_path && strcmp(sms->modem_path, modem_path) != 0)
                        continue;
                /* What was read is kept, a read in flight or not: its
                 * answer will not come now. */
                if (sms->sender || sms->text) {
                        cw_log_warning("modemmanager: message %s is kept incomplete: its last part had not arrived",
                                       sms->path);
                        report_sms(b, sms, NULL, false, false);
                } else
                        forget_sms(b, sms);
        }
}

static void add_modem(mm_backend *b, const char *modem_path) {
        path_request *request = path_request_new(b, modem_path);

        if (!request)
                return;
        cw_log_info("ModemManager modem %s has voice support", modem_path);
        cw_dbus_call(cw_dbus_service_calls(b->service), MM_SERVICE, modem_path, MM_VOICE, "ListCalls",
                     on_list_calls, request, path_request_free, DBUS_TYPE_INVALID);
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

/* Does the a{sa{sv}} at iter (its type checked by the caller) hold the
 * interface? */
static bool interfaces_have(DBusMessageIter *iter, const char *interface) {
        DBusMessageIter entries;

        dbus_message_iter_recurse(iter, &entries);
        for (; dbus_message_iter_get_arg_type(&entries) == DBUS_TYPE_DICT_ENTRY; dbus_message_iter_next(&entries)) {
                DBusMessageIter entry;
                const char *name;

                dbus_message_iter_recurse(&entries, &entry);
                dbus_message_iter_get_basic(&entry, &name);
                if (strcmp(name, interface) == 0)
                        return true;
        }
        return false;
}

static void on_managed_objects(DBusMessage *reply, void *userdata) {
        mm_backend *b = userdata;
        DBusMessageIter iter, objects;

        if (!cw_dbus_reply_is(reply, "a{oa{sa{sv}}}", "ModemManager GetManagedObjects"))
                return;
        dbus_message_iter_init(reply, &iter);
        dbus_message_iter_recurse(&iter, &objects);
        for (; dbus_message_iter_get_arg_type(&objects) == DBUS_TYPE_DICT_ENTRY; dbus_message_iter_next(&objects)) {
                DBusMessageIter object;
                const char *path;

                dbus_message_iter_recurse(&objects, &object);
                dbus_message_iter_get_basic(&object, &path);
                dbus_message_iter_next(&object);
                if (interfaces_have(&object, MM_VOICE))
                        add_modem(b, path);
                if (interfaces_have(&object, MM_MESSAGING))
                        add_messaging(b, path);
                if (interfaces_have(&object, MM_TIME))
                        set_time_modem(b, path);
        }
}

static void service_appeared(void *userdata) {
        mm_backend *b = userdata;

        cw_log_info("ModemManager is on the bus");
        cw_dbus_call(cw_dbus_service_calls(b->service), MM_SERVICE, MM_PATH, OBJECT_MANAGER, "GetManagedObjects",
                     on_managed_objects, b, NULL, DBUS_TYPE_INVALID);
}

static void service_vanished(void *userdata) {
        mm_backend *b = userdata;

        cw_log_info("ModemManager left the bus");
        set_time_modem(b, NULL);
        while (b->calls)
                forget_call(b, b->calls->path, CW_END_MODEM_GONE);
        forget_messages_of(b, NULL);
}


/* --- signals ------------------------------------------------------------------ */

static void on_state_changed(DBusMessage *msg, void *userdata) {
        mm_backend *b = userdata;
        const char *path = dbus_message_get_path(msg);
        mm_call *call = find_call(b, path, NULL);
        dbus_int32_t old_state, new_state;
        dbus_uint32_t reason;

        /* Before GetAll answers, its reply carries the newer state anyway. */
        if (!call || !call->reported ||
            !dbus_message_get_args(msg, NULL, DBUS_TYPE_INT32, &old_state, DBUS_TYPE_INT32, &new_state,
                                   DBUS_TYPE_UINT32, &reason, DBUS_TYPE_INVALID))
                return;
        settle_number(b, call, new_state);
        b->events->call_state(BACKEND, path, map_state(new_state, call->direction), map_reason(reason),
                              b->userdata);
}

static void read_number_prop(const char *key, DBusMessageIter *value, void *userdata) {
        if (strcmp(key, "Number") == 0)
                cw_dbus_get_string(value, userdata);
}

static void on_properties_changed(DBusMessage *msg, void *userdata) {
        mm_backend *b = userdata;
        const char *path = dbus_message_get_path(msg), *interface, *number = NULL;
        mm_call *call = find_call(b, path, NULL);
        mm_sms *sms = find_sms(b, path, NULL);
        DBusMessageIter iter;

        if (sms && dbus_message_iter_init(msg, &iter)) {
                dbus_message_iter_get_basic(&iter, &interface);
                if (strcmp(interface, MM_SMS) == 0 && dbus_message_iter_next(&iter))
                        sms_properties_changed(b, sms, &iter);
                return;
        }
        if (!call || !call->reported || !dbus_message_iter_init(msg, &iter))
                return;
        dbus_message_iter_get_basic(&iter, &interface);
        if (strcmp(interface, MM_CALL) != 0 || !dbus_message_iter_next(&iter))
                return;
        cw_dbus_foreach_prop(&iter, read_number_prop, &number);
        if (number && number[0]) {
                call->has_number = true;
                b->events->call_number(BACKEND, path, number, b->userdata);
        }
}

static void on_interfaces_added(DBusMessage *msg, void *userdata) {
        mm_backend *b = userdata;
        DBusMessageIter iter;
        const char *modem_path;

        if (!dbus_message_iter_init(msg, &iter))
                return;
        dbus_message_iter_get_basic(&iter, &modem_path);
        dbus_message_iter_next(&iter);
        if (interfaces_have(&iter, MM_VOICE))
                add_modem(b, modem_path);
        if (interfaces_have(&iter, MM_MESSAGING))
                add_messaging(b, modem_path);
        if (interfaces_have(&iter, MM_TIME))
                set_time_modem(b, modem_path);
}

static void on_interfaces_removed(DBusMessage *msg, void *userdata) {
        mm_backend *b = userdata;
        DBusMessageIter iter, names;
        const char *modem_path;

        if (!dbus_message_iter_init(msg, &iter))
                return;
        dbus_message_iter_get_basic(&iter, &modem_path);
        dbus_message_iter_next(&iter);
        dbus_message_iter_recurse(&iter, &names);
        for (; dbus_message_iter_get_arg_type(&names) == DBUS_TYPE_STRING; dbus_message_iter_next(&names)) {
                const char *name;

                dbus_message_iter_get_basic(&names, &name);
                if (strcmp(name, MM_VOICE) == 0)
                        remove_modem(b, modem_path);
                if (strcmp(name, MM_MESSAGING) == 0)
                        forget_messages_of(b, modem_path);
                if (strcmp(name, MM_TIME) == 0 && b->time_modem && strcmp(b->time_modem, modem_path) == 0)
                        set_time_modem(b, NULL);
        }
}

static void on_call_added_signal(DBusMessage *msg, void *userdata) {
        const char *call_path;

        dbus_message_get_args(msg, NULL, DBUS_TYPE_OBJECT_PATH, &call_path, DBUS_TYPE_INVALID);
        add_call(userdata, dbus_message_get_path(msg), call_path, false);
}

static void on_call_deleted_signal(DBusMessage *msg, void *userdata) {
        const char *call_path;

        dbus_message_get_args(msg, NULL, DBUS_TYPE_OBJECT_PATH, &call_path, DBUS_TYPE_INVALID);
        forget_call(userdata, call_path, CW_END_UNKNOWN);
}

/* Signatures as in ModemManager's introspection files
 * (org.freedesktop.ModemManager1.Call.xml, .Modem.Voice.xml). */
static const cw_dbus_signal_handler signal_handlers[] = {
        { MM_CALL, "StateChanged", "iiu", on_state_changed },
        { PROPERTIES, "PropertiesChanged", "sa{sv}as", on_properties_changed },
        { MM_VOICE, "CallAdded", "o", on_call_added_signal },
        { MM_VOICE, "CallDeleted", "o", on_call_deleted_signal },
        { MM_MESSAGING, "Added", "ob", on_message_added },
        { MM_MESSAGING, "Deleted", "o", on_message_deleted },
        { OBJECT_MANAGER, "InterfacesAdded", "oa{sa{sv}}", on_interfaces_added },
        { OBJECT_MANAGER, "InterfacesRemoved", "oas", on_interfaces_removed },
};

static void on_signal(DBusMessage *msg, void *userdata) {
        cw_dbus_dispatch_signal(msg, signal_handlers, sizeof signal_handlers / sizeof signal_handlers[0], userdata);
}

static const cw_dbus_service_ops service_ops = {
        .appeared = service_appeared,
        .vanished = service_vanished,
        .signal = on_signal,
};

static void mm_stop(void *backend) {
        mm_backend *b = backend;

        if (!b)
                return;
        /* Nothing is asked of ModemManager from here on: what is reported
         * below may ask the network's time (the tracker's clock check). */
        set_time_modem(b, NULL);
        b->service = cw_dbus_service_free(b->service);
        while (b->calls)
                forget_call(b, b->calls->path, CW_END_DAEMON_STOPPED);
        forget_messages_of(b, NULL);
        free(b);
}

static int mm_start(DBusConnection *bus, const cw_modem_events *events, void *userdata, void **ret) {
        mm_backend *b = calloc(1, sizeof *b);
        int r;

        if (!b)
                return -ENOMEM;
        b->events = events;
        b->userdata = userdata;
        r = cw_dbus_service_watch(bus, MM_SERVICE, &service_ops, b, &b->service);
        if (r < 0) {
                free(b);
                return r;
        }
        *ret = b;
        return 0;
}

const cw_modem_backend_ops cw_modem_mm_ops = {
        .name = BACKEND,
        .start = mm_start,
        .stop = mm_stop,
        .network_time = mm_network_time,
};
