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

/* What the tracker tells an observer (the session-bus API); any may be
 * NULL. Ids are catalog ids, 0 while the row is not written yet. */
typedef struct cw_tracker_observer {
        /* The state, the calls in progress or their warnings changed. */
        void (*changed)(void *userdata);
        void (*finished)(int64_t id, const char *relpath, const char *sha256, void *userdata);
        /* The call's policy tags are now these. */
        void (*tagged)(int64_t id, const cw_tag *tags, size_t n_tags, void *userdata);
        void (*warning)(int64_t id, const char *kind, const char *message, void *userdata);
} cw_tracker_observer;

void cw_tracker_set_observer(cw_tracker *t, const cw_tracker_observer *observer, void *userdata);

/* An encounter: the microphone recorded on the user's request, a call
 * arriving meanwhile recorded as usual. One at a time: -EBUSY with *id the
 * one in progress. *id may be 0 while the catalog is locked. */
int cw_tracker_start_encounter(cw_tracker *t, const char *label, int64_t *id);
/* id 0: the encounter in progress. -ENOENT: no such recording in progress;
 * -EPERM: id is a call's (calls end when they are hung up). */
int cw_tracker_stop_encounter(cw_tracker *t, int64_t id);
/* A mark at this instant in the recording of id (0: the call that has the
 * line, else the encounter). -ENOENT: none; -ENODATA: not being recorded
 * (ringing, a rule); -EINVAL: text refused (cw_text_check, one line). */
int cw_tracker_mark(cw_tracker *t, int64_t id, const char *text, int64_t *marked_id, int64_t *offset_ms);

typedef enum cw_tracker_state {
        CW_TRACKER_IDLE,
        CW_TRACKER_RINGING,      /* a call in progress, nothing recorded yet */
        CW_TRACKER_RECORDING,
} cw_tracker_state;

cw_tracker_state cw_tracker_get_state(cw_tracker *t);
/* The ids of the calls and encounters in progress (those written yet). */
size_t cw_tracker_current_ids(cw_tracker *t, int64_t *ids, size_t max);
cw_capture_mode cw_tracker_capture_mode(cw_tracker *t);
typedef void (*cw_tracker_warning_fn)(int64_t id, const char *kind, const char *message, void *userdata);
/* The warnings of the calls in progress. */
void cw_tracker_foreach_warning(cw_tracker *t, cw_tracker_warning_fn cb, void *userdata);

/* Asks the network's time of the modems (cw_modem_backend_ops.network_time
 * over every backend). */
typedef int (*cw_tracker_time_source)(void *data, cw_network_time_fn fn, void *userdata, void (*free_userdata)(void *));
/* From now on, each call and encounter (when its file is finished) and
 * each message (when it arrives) records whether the
 * phone's clock was synchronized and how far it was from the network's. */
void cw_tracker_set_time_source(cw_tracker *t, cw_tracker_time_source source, void *data);

/* The callbacks to hand a modem backend, with the tracker as userdata. */
extern const cw_modem_events cw_tracker_modem_events;
