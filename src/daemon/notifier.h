/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Desktop notifications through org.freedesktop.Notifications on the
 * session bus. Best effort: no session bus, or no notification daemon on
 * it, is not an error — the warning is in the log and the catalog anyway. */

#include <dbus/dbus.h>

typedef struct cw_notifier cw_notifier;

/* session_bus: attached to the loop, or NULL (notifications go nowhere).
 * Only -ENOMEM. */
int cw_notifier_new(DBusConnection *session_bus, cw_notifier **ret);
cw_notifier *cw_notifier_free(cw_notifier *n);

/* Sends without waiting for an answer. */
void cw_notifier_send(cw_notifier *n, const char *summary, const char *body);
