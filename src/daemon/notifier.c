/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "dbus-util.h"
#include "notifier.h"

#define NOTIFICATIONS_SERVICE "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
/* Desktop Notifications spec: urgency hint, 2 = critical (stays until
 * dismissed on most servers: the user believes they hold evidence). */
#define URGENCY_CRITICAL 2
/* The app, started by the bus if it is not running (DBusActivatable). */
#define APP_ID "org.callwitness.CallWitness"
#define APP_PATH "/org/callwitness/CallWitness"
#define ACTION_MATCH "type='signal',interface='" NOTIFICATIONS_SERVICE "',member='ActionInvoked'"
/* Notifications still open on the screen that show a call. */
#define SHOWN_MAX 32

struct cw_notifier {
        DBusConnection *session_bus;   /* NULL: notifications go nowhere */
        cw_dbus_calls *calls;
        struct {
                dbus_uint32_t id;
                int64_t call_id;
                char *server;          /* the notification server's unique name */
        } shown[SHOWN_MAX];
        unsigned n_shown;
};

typedef struct pending_notification {
        cw_notifier *notifier;
        int64_t call_id;
} pending_notification;

static void on_app_reply(DBusMessage *reply, void *userdata) {
        /* No app installed (ServiceUnknown): logged at debug level. */
        cw_dbus_reply_is_error(reply, "ActivateAction");
}

/* Tapping a notification about a call opens the app at that call: its
 * GApplication action show-call, as the app's own list would. */
static void open_call(cw_notifier *n, int64_t call_id) {
        DBusMessage *msg = dbus_message_new_method_call(APP_ID, APP_PATH, "org.freedesktop.Application",
                                                        "ActivateAction");
        DBusMessageIter iter, array, variant;
        const char *action = "show-call";
        dbus_int64_t id = call_id;

        if (!msg)
                return;
        dbus_message_iter_init_append(msg, &iter);
        if (dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &action) &&
            dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "v", &array) &&
            dbus_message_iter_open_container(&array, DBUS_TYPE_VARIANT, "x", &variant) &&
            dbus_message_iter_append_basic(&variant, DBUS_TYPE_INT64, &id) &&
            dbus_message_iter_close_container(&array, &variant) && dbus_message_iter_close_container(&iter, &array) &&
            dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &array) &&
            dbus_message_iter_close_container(&iter, &array)) {
                cw_log_info("Opening call %lld in the app, as its notification was tapped", (long long) call_id);
                cw_dbus_send(n->calls, msg, on_app_reply, NULL, NULL);
        }
        dbus_message_unref(msg);
}

static DBusHandlerResult on_message(DBusConnection *conn, DBusMessage *msg, void *userdata) {
        cw_notifier *n = userdata;
        dbus_uint32_t id;
        const char *action;

        if (!dbus_message_is_signal(msg, NOTIFICATIONS_SERVICE, "ActionInvoked") ||
            !dbus_message_has_signature(msg, "us") ||
            !dbus_message_get_args(msg, NULL, DBUS_TYPE_UINT32, &id, DBUS_TYPE_STRING, &action, DBUS_TYPE_INVALID))
                return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
        /* Only notifications this daemon sent, about a call, and only as
         * the server that showed them says: any client may send this
         * signal, and ids are small numbers. */
        for (unsigned i = 0; i < n->n_shown && i < SHOWN_MAX; i++)
                if (n->shown[i].id == id && strcmp(action, "default") == 0 && n->shown[i].server &&
                    dbus_message_get_sender(msg) && strcmp(dbus_message_get_sender(msg), n->shown[i].server) == 0)
                        open_call(n, n->shown[i].call_id);
        return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

int cw_notifier_new(DBusConnection *session_bus, cw_notifier **ret) {
        cw_notifier *n = calloc(1, sizeof *n);

        if (!n)
                return -ENOMEM;
        if (session_bus && !(n->calls = cw_dbus_calls_new(session_bus))) {
                free(n);
                return -ENOMEM;
        }
        n->session_bus = session_bus;
        if (session_bus) {
                if (!dbus_connection_add_filter(session_bus, on_message, n, NULL)) {
                        cw_dbus_calls_free(n->calls);
                        free(n);
                        return -ENOMEM;
                }
                cw_dbus_add_match(session_bus, ACTION_MATCH);
        }
        *ret = n;
        return 0;
}

cw_notifier *cw_notifier_free(cw_notifier *n) {
        if (!n)
                return NULL;
        if (n->session_bus) {
                cw_dbus_remove_match(n->session_bus, ACTION_MATCH);
                dbus_connection_remove_filter(n->session_bus, on_message, n);
        }
        cw_dbus_calls_free(n->calls);
        for (unsigned i = 0; i < SHOWN_MAX; i++)
                free(n->shown[i].server);
        free(n);
        return NULL;
}

static void on_notify_reply(DBusMessage *reply, void *userdata) {
        pending_notification *p = userdata;
        dbus_uint32_t id;
        unsigned slot;

        /* ServiceUnknown when no notification daemon runs: logged at debug
         * level by the check, and that is all. */
        if (!cw_dbus_reply_is(reply, "u", "Notify") || !p ||
            !dbus_message_get_args(reply, NULL, DBUS_TYPE_UINT32, &id, DBUS_TYPE_INVALID))
                return;
        slot = p->notifier->n_shown++ % SHOWN_MAX;
        free(p->notifier->shown[slot].server);
        p->notifier->shown[slot].server = dbus_message_get_sender(reply) ? strdup(dbus_message_get_sender(reply)) : NULL;
        p->notifier->shown[slot].id = id;
        p->notifier->shown[slot].call_id = p->call_id;
}

void cw_notifier_send(cw_notifier *n, int64_t call_id, const char *summary_text, const char *body_text) {
        char *owned_summary, *owned_body;
        const char *summary = cw_dbus_utf8(summary_text, &owned_summary), *body = cw_dbus_utf8(body_text, &owned_body);
        DBusMessage *msg;
        DBusMessageIter iter, array, entry, variant;
        const char *app = "callwitness", *icon = "dialog-warning", *urgency_key = "urgency";
        const char *default_action = "default", *open_label = "Open", *entry_key = "desktop-entry", *app_id = APP_ID;
        pending_notification *pending = NULL;
        dbus_uint32_t replaces = 0;
        dbus_int32_t timeout = -1;
        unsigned char urgency = URGENCY_CRITICAL;

        if (!n || !n->session_bus) {
                free(owned_summary);
                free(owned_body);
                return;
        }
        msg = dbus_message_new_method_call(NOTIFICATIONS_SERVICE, NOTIFICATIONS_PATH, NOTIFICATIONS_SERVICE,
                                           "Notify");
        if (!msg) {
                free(owned_summary);
                free(owned_body);
                return;
        }
        /* Notify(s app_name, u replaces_id, s app_icon, s summary, s body,
         *        as actions, a{sv} hints, i expire_timeout) */
        dbus_message_iter_init_append(msg, &iter);
        if (!dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &app) ||
            !dbus_message_iter_append_basic(&iter, DBUS_TYPE_UINT32, &replaces) ||
            !dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &icon) ||
            !dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &summary) ||
            !dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &body) ||
            !dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "s", &array) ||
            /* About a call: tapping it opens the app at the call. */
            (call_id > 0 && (!dbus_message_iter_append_basic(&array, DBUS_TYPE_STRING, &default_action) ||
                             !dbus_message_iter_append_basic(&array, DBUS_TYPE_STRING, &open_label))) ||
            !dbus_message_iter_close_container(&iter, &array) ||
            !dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &array) ||
            !dbus_message_iter_open_container(&array, DBUS_TYPE_DICT_ENTRY, NULL, &entry) ||
            !dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &urgency_key) ||
            !dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "y", &variant) ||
            !dbus_message_iter_append_basic(&variant, DBUS_TYPE_BYTE, &urgency) ||
            !dbus_message_iter_close_container(&entry, &variant) ||
            !dbus_message_iter_close_container(&array, &entry) ||
            !dbus_message_iter_open_container(&array, DBUS_TYPE_DICT_ENTRY, NULL, &entry) ||
            !dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &entry_key) ||
            !dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "s", &variant) ||
            !dbus_message_iter_append_basic(&variant, DBUS_TYPE_STRING, &app_id) ||
            !dbus_message_iter_close_container(&entry, &variant) ||
            !dbus_message_iter_close_container(&array, &entry) ||
            !dbus_message_iter_close_container(&iter, &array) ||
            !dbus_message_iter_append_basic(&iter, DBUS_TYPE_INT32, &timeout))
                cw_log_warning("Out of memory: a notification was not sent");
        else {
                if (call_id > 0 && (pending = malloc(sizeof *pending)))
                        *pending = (pending_notification) { n, call_id };
                cw_dbus_send(n->calls, msg, on_notify_reply, pending, free);
        }
        dbus_message_unref(msg);
        free(owned_summary);
        free(owned_body);
}
