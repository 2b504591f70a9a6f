/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Follows one service on a bus, as both modem backends must: its signals
 * (one match rule), its arrival and departure (NameOwnerChanged, plus a
 * NameHasOwner at start for a service that is already there), and the
 * method calls in flight to it, cancelled when it leaves or we stop. */

#include <dbus/dbus.h>

#include "dbus-util.h"

typedef struct cw_dbus_service cw_dbus_service;

typedef struct cw_dbus_service_ops {
        void (*appeared)(void *userdata);
        /* In-flight calls are already cancelled when this runs. */
        void (*vanished)(void *userdata);
        /* A signal the service sent; other services' signals never come here. */
        void (*signal)(DBusMessage *msg, void *userdata);
} cw_dbus_service_ops;

int cw_dbus_service_watch(DBusConnection *bus, const char *name, const cw_dbus_service_ops *ops,
                          void *userdata, cw_dbus_service **ret);
/* Stops following; cancels in-flight calls without calling vanished. */
cw_dbus_service *cw_dbus_service_free(cw_dbus_service *s);

/* The set of calls to make to the service through cw_dbus_call(). */
cw_dbus_calls *cw_dbus_service_calls(cw_dbus_service *s);
