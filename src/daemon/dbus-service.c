/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "dbus-service.h"

struct cw_dbus_service {
        DBusConnection *bus;
        char *name;
        char *owner;             /* unique name while the service is there */
        char *signal_rule, *owner_rule;
        cw_dbus_calls *calls;
        bool filtering;
        const cw_dbus_service_ops *ops;
        void *userdata;
};

static void set_owner(cw_dbus_service *s, const char *owner) {
        bool was_there = s->owner != NULL;

        free(s->owner);
        s->owner = owner && owner[0] ? strdup(owner) : NULL;
        if (was_there) {
                cw_dbus_calls_cancel_all(s->calls);
                s->ops->vanished(s->userdata);
        }
        if (s->owner)
                s->ops->appeared(s->userdata);
}

static DBusHandlerResult on_message(DBusConnection *conn, DBusMessage *msg, void *userdata) {
        cw_dbus_service *s = userdata;
        const char *name, *old_owner, *new_owner, *sender;

        if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_SIGNAL)
                return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
        if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged")) {
                /* Any client may send a signal named NameOwnerChanged; only
                 * the bus itself says who owns a name. */
                if ((sender = dbus_message_get_sender(msg)) && strcmp(sender, DBUS_SERVICE_DBUS) == 0 &&
                    dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &old_owner,
                                          DBUS_TYPE_STRING, &new_owner, DBUS_TYPE_INVALID) &&
                    strcmp(name, s->name) == 0)
                        set_owner(s, new_owner);
        } else if (s->owner && (sender = dbus_message_get_sender(msg)) && strcmp(sender, s->owner) == 0 &&
                   dbus_message_get_path(msg))
                s->ops->signal(msg, s->userdata);
        /* Other filters (the other backend) may want the message too. */
        return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static void on_get_name_owner(DBusMessage *reply, void *userdata) {
        cw_dbus_service *s = userdata;
        const char *owner;

        /* An error here is the normal "not running yet": NameOwnerChanged
         * will tell when it arrives. */
        if (s->owner || dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR ||
            !dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID)) {
                if (!s->owner)
                        cw_log_info("%s is not running; waiting for it", s->name);
                return;
        }
        set_owner(s, owner);
}

int cw_dbus_service_watch(DBusConnection *bus, const char *name, const cw_dbus_service_ops *ops,
                          void *userdata, cw_dbus_service **ret) {
        cw_dbus_service *s = calloc(1, sizeof *s);

        if (!s)
                return -ENOMEM;
        s->bus = dbus_connection_ref(bus);
        s->ops = ops;
        s->userdata = userdata;
        s->name = strdup(name);
        s->calls = cw_dbus_calls_new(bus);
        if (!s->name || !s->calls ||
            asprintf(&s->signal_rule, "type='signal',sender='%s'", name) < 0 ||
            asprintf(&s->owner_rule, "type='signal',sender='" DBUS_SERVICE_DBUS "',member='NameOwnerChanged',"
                                     "arg0='%s'", name) < 0 ||
            !(s->filtering = dbus_connection_add_filter(bus, on_message, s, NULL))) {
                cw_dbus_service_free(s);
                return -ENOMEM;
        }
        cw_dbus_add_match(bus, s->signal_rule);
        cw_dbus_add_match(bus, s->owner_rule);
        /* Asked after the match is in place, so a start in between is seen
         * by one or the other. */
        cw_dbus_call(s->calls, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "GetNameOwner",
                     on_get_name_owner, s, NULL, DBUS_TYPE_STRING, &s->name, DBUS_TYPE_INVALID);
        *ret = s;
        return 0;
}

cw_dbus_service *cw_dbus_service_free(cw_dbus_service *s) {
        if (!s)
                return NULL;
        if (s->filtering) {
                dbus_connection_remove_filter(s->bus, on_message, s);
                cw_dbus_remove_match(s->bus, s->signal_rule);
                cw_dbus_remove_match(s->bus, s->owner_rule);
        }
        cw_dbus_calls_free(s->calls);
        dbus_connection_unref(s->bus);
        free(s->signal_rule);
        free(s->owner_rule);
        free(s->owner);
        free(s->name);
        free(s);
        return NULL;
}

cw_dbus_calls *cw_dbus_service_calls(cw_dbus_service *s) {
        return s->calls;
}
