/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* org.callwitness.Recorder1, the daemon's own API on the session bus
 * (doc/recorder-api.txt): what it is doing, encounters started and stopped,
 * marks, and signals when a recording is finished, a call tagged, a
 * problem met. Only the session's own user is served. It adds nothing to
 * the main loop but the bus connection's watch: no idle wake-ups. */

#include <dbus/dbus.h>
#include <stdbool.h>
#include <pulse/mainloop-api.h>

#include "tracker.h"

typedef struct cw_recorder_api cw_recorder_api;

/* Owns the name org.callwitness.Recorder on bus (already attached to the
 * loop) and serves the tracker's state. data_dir: where recordings' paths
 * are relative to. 0, or -errno with the reason logged (the daemon records
 * without its API). */
int cw_recorder_api_new(pa_mainloop_api *api, DBusConnection *bus, cw_tracker *tracker, const char *data_dir,
                        cw_recorder_api **ret);
cw_recorder_api *cw_recorder_api_free(cw_recorder_api *a);

/* What the Reload method runs: reads the configuration again; false when it
 * was refused (the one in force stays, the reason logged). */
typedef bool (*cw_recorder_reload_fn)(void *userdata);
void cw_recorder_api_set_reload(cw_recorder_api *a, cw_recorder_reload_fn reload_config, void *userdata);
