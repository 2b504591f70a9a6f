/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* One interface, two implementations (ModemManager, oFono). A backend
 * follows its service on the system bus — it may start after us, restart or
 * vanish — and reports calls in the shared vocabulary of call.h. Every call
 * is named by (backend name, object path). */

#include <dbus/dbus.h>

#include "callwitness/call.h"
#include "callwitness/message.h"

typedef struct cw_modem_call_info {
        const char *backend;
        const char *path;
        cw_direction direction;
        const char *number;      /* NULL or "" when not (yet) known */
        cw_call_state state;
} cw_modem_call_info;

typedef struct cw_modem_events {
        /* A call the backend did not report before, in its current state. */
        void (*call_added)(const cw_modem_call_info *info, void *userdata);
        void (*call_state)(const char *backend, const char *path, cw_call_state state,
                           cw_end_reason reason, void *userdata);
        void (*call_number)(const char *backend, const char *path, const char *number, void *userdata);
        /* The call object is gone (deleted, modem removed, service gone).
         * The tracker ends it with reason if it has not ended yet. */
        void (*call_removed)(const char *backend, const char *path, cw_end_reason reason, void *userdata);
        /* A text message received, as far as it could be read. The
         * backend reports each once; the catalog stores a message it
         * already has only once. */
        void (*message_received)(const cw_message_in *message, void *userdata);
} cw_modem_events;

/* The network's time as a modem reported it (NULL: it could not be had),
 * and the phone's time when the answer came. */
typedef void (*cw_network_time_fn)(const char *reported, const cw_timestamp *phone, void *userdata);

typedef struct cw_modem_backend_ops {
        const char *name;
        int (*start)(DBusConnection *system_bus, const cw_modem_events *events, void *userdata, void **ret);
        void (*stop)(void *backend);
        /* Asks a modem that tells the network's time (NULL: none can):
         * fn runs once, later; free_userdata after it, or when the
         * backend stops first (also when the question could not be sent:
         * userdata is the backend's from then on). 0 when asked; -ENODEV
         * when no modem tells the time (nothing runs, userdata is still
         * the caller's). */
        int (*network_time)(void *backend, cw_network_time_fn fn, void *userdata, void (*free_userdata)(void *));
} cw_modem_backend_ops;

extern const cw_modem_backend_ops cw_modem_mm_ops;
extern const cw_modem_backend_ops cw_modem_ofono_ops;
