/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Runs libdbus on libpulse's main loop: watches become io events, timeouts
 * become time events, and dispatching is a defer event enabled only while
 * messages are queued. One loop, no threads, no idle wake-ups. */

#include <dbus/dbus.h>
#include <pulse/mainloop-api.h>

typedef struct cw_dbus_glue cw_dbus_glue;

/* Attaches conn to api. The glue holds a reference on conn. 0 or -ENOMEM. */
int cw_dbus_glue_attach(DBusConnection *conn, pa_mainloop_api *api, cw_dbus_glue **ret);
/* Detaches and drops the reference. NULL is fine. */
cw_dbus_glue *cw_dbus_glue_free(cw_dbus_glue *glue);

/* Opens a private connection to the bus at the given address (or the
 * system/session bus by type when address is NULL) and registers on it. */
int cw_dbus_open_bus(DBusBusType type, DBusConnection **ret, char **error_message);
