/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The call tracker: one state machine per call, fed by the modem backends.
 * It arms capture when a call appears, opens the recording when the call
 * becomes active, and finishes file and catalog row when it ends. */

#include <pulse/mainloop-api.h>

#include "callwitness/catalog.h"
#include "callwitness/config.h"
#include "callwitness/rules.h"
#include "modem.h"
#include "notifier.h"

typedef struct cw_tracker cw_tracker;

/* cfg and catalog must outlive the tracker; cfg may change between calls
 * (a reload). cfg's mixer controls are on while any call is in progress. */
int cw_tracker_new(pa_mainloop_api *api, const cw_config *cfg, cw_catalog *catalog,
                   cw_notifier *notifier, const char *data_dir, cw_tracker **ret);
/* Ends every call still in progress as stopped by the daemon, finishing
 * their files. NULL is fine. */
cw_tracker *cw_tracker_free(cw_tracker *t);

/* What calls are judged by from now on (rules must outlive their use: set
 * the next before freeing them). Every call in the catalog is judged again
 * with it, each change audited with `because`. */
void cw_tracker_set_rules(cw_tracker *t, const cw_rulebook *rules, const char *because);

/* The callbacks to hand a modem backend, with the tracker as userdata. */
extern const cw_modem_events cw_tracker_modem_events;
