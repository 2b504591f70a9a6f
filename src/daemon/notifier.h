/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Desktop notifications through org.freedesktop.Notifications on the
 * session bus. Best effort: no session bus, or no notification daemon on
 * it, is not an error — the warning is in the log and the catalog anyway. */

#include <dbus/dbus.h>
#include <stdint.h>

typedef struct cw_notifier cw_notifier;

/* session_bus: attached to the loop, or NULL (notifications go nowhere).
 * Only -ENOMEM. */
int cw_notifier_new(DBusConnection *session_bus, cw_notifier **ret);
cw_notifier *cw_notifier_free(cw_notifier *n);

/* Sends without waiting for an answer. call_id > 0: the notification is
 * about that call, and tapping it (its "default" action) opens the app,
 * org.callwitness.CallWitness, at the call. */
void cw_notifier_send(cw_notifier *n, int64_t call_id, const char *summary, const char *body);
