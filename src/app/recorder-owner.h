/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Whether the holder of callwitnessd's bus name runs as this user. Any
 * program that reaches the session bus can take a free name: the app must
 * not show its state as the daemon's, nor send it the person's requests.
 * The CLI makes the same check. */

#include <gio/gio.h>

G_BEGIN_DECLS

#define CW_RECORDER_NAME "org.callwitness.Recorder"

/* ours: the bus daemon says owner runs as this process's user. Not called
 * when cancellable is cancelled. */
typedef void (*cw_app_owner_checked)(const char *owner, gboolean ours, gpointer userdata);

void cw_app_check_owner(GDBusConnection *bus, const char *owner, GCancellable *cancellable,
                        cw_app_owner_checked done, gpointer userdata);

G_END_DECLS
