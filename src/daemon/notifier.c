/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "callwitness/log.h"
#include "dbus-util.h"
#include "notifier.h"

#define NOTIFICATIONS_SERVICE "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
/* Desktop Notifications spec: urgency hint, 2 = critical (stays until
 * dismissed on most servers: the user believes they hold evidence). */
#define URGENCY_CRITICAL 2

struct cw_notifier {
        DBusConnection *session_bus;   /* NULL: notifications go nowhere */
        cw_dbus_calls *calls;
};

int cw_notifier_new(DBusConnection *session_bus, cw_notifier **ret) {
        cw_notifier *n = calloc(1, sizeof *n);

        if (!n)
                return -ENOMEM;
        if (session_bus && !(n->calls = cw_dbus_calls_new(session_bus))) {
                free(n);
                return -ENOMEM;
        }
        n->session_bus = session_bus;
        *ret = n;
        return 0;
}

cw_notifier *cw_notifier_free(cw_notifier *n) {
        if (!n)
                return NULL;
        cw_dbus_calls_free(n->calls);
        free(n);
        return NULL;
}

static void on_notify_reply(DBusMessage *reply, void *userdata) {
        /* ServiceUnknown when no notification daemon runs: logged at debug
         * level by the check, and that is all. */
        cw_dbus_reply_is_error(reply, "Notify");
}

void cw_notifier_send(cw_notifier *n, const char *summary_text, const char *body_text) {
        char *owned_summary, *owned_body;
        const char *summary = cw_dbus_utf8(summary_text, &owned_summary), *body = cw_dbus_utf8(body_text, &owned_body);
        DBusMessage *msg;
        DBusMessageIter iter, array, entry, variant;
        const char *app = "callwitness", *icon = "dialog-warning", *urgency_key = "urgency";
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
            !dbus_message_iter_close_container(&iter, &array) ||
            !dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &array) ||
            !dbus_message_iter_open_container(&array, DBUS_TYPE_DICT_ENTRY, NULL, &entry) ||
            !dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &urgency_key) ||
            !dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "y", &variant) ||
            !dbus_message_iter_append_basic(&variant, DBUS_TYPE_BYTE, &urgency) ||
            !dbus_message_iter_close_container(&entry, &variant) ||
            !dbus_message_iter_close_container(&array, &entry) ||
            !dbus_message_iter_close_container(&iter, &array) ||
            !dbus_message_iter_append_basic(&iter, DBUS_TYPE_INT32, &timeout))
                cw_log_warning("Out of memory: a notification was not sent");
        else
                cw_dbus_send(n->calls, msg, on_notify_reply, NULL, NULL);
        dbus_message_unref(msg);
        free(owned_summary);
        free(owned_body);
}
