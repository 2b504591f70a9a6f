/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <pulse/rtclock.h>
#include <pulse/timeval.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "catalog-writer.h"

/* A write may wait this long for another writer inside the main loop: long
 * enough for the CLI's short transactions, short enough that audio and
 * D-Bus never notice. Anything longer is retried later. */
#define BUSY_TIMEOUT_MS 50
#define RETRY_USEC (500 * PA_USEC_PER_MSEC)
/* On the way out there is no later: wait this long for a locked catalog. */
#define FINAL_BUSY_TIMEOUT_MS 10000

struct cw_call_slot {
        int64_t id;
        unsigned refs;
};

typedef enum pending_kind {
        PENDING_CALL,
        PENDING_NUMBER,
        PENDING_STATE,
        PENDING_TAG,
        PENDING_RECORDING,
        PENDING_WARNING,
} pending_kind;

typedef struct pending {
        pending_kind kind;
        cw_call_slot *slot;
        cw_timestamp at;
        union {
                struct {
                        char *backend, *modem_call_id, *number;
                        cw_direction direction;
                        cw_call_state state;
                } call;
                struct {
                        char *number;
                } number;
                struct {
                        cw_call_state state;
                        cw_end_reason reason;
                } state;
                cw_tag tag;
                struct {
                        char *relpath, *sha256;
                        cw_capture_mode capture_mode;
                        int64_t duration_ms;
                        uint64_t size;
                } recording;
                struct {
                        char *kind, *message;
                } warning;
        };
        struct pending *next;
} pending;

struct cw_catalog_writer {
        pa_mainloop_api *api;
        cw_catalog *catalog;
        pending *head, **tail;
        size_t n_pending;
        pa_time_event *retry;
        pa_usec_t waiting_since;     /* 0 while nothing waits */
        size_t lost_while_waiting;
};

static const char *const pending_names[] = {
        [PENDING_CALL] = "the new call",
        [PENDING_NUMBER] = "the caller's number",
        [PENDING_STATE] = "a state change",
        [PENDING_TAG] = "a tag",
        [PENDING_RECORDING] = "the recording",
        [PENDING_WARNING] = "a warning",
};

static cw_call_slot *slot_ref(cw_call_slot *slot) {
        slot->refs++;
        return slot;
}

cw_call_slot *cw_call_slot_release(cw_call_slot *slot) {
        if (slot && --slot->refs == 0)
                free(slot);
        return NULL;
}

int64_t cw_call_slot_id(const cw_call_slot *slot) {
        return slot ? slot->id : 0;
}

static void pending_free(pending *p) {
        switch (p->kind) {
        case PENDING_CALL:
                free(p->call.backend);
                free(p->call.modem_call_id);
                free(p->call.number);
                break;
        case PENDING_NUMBER:
                free(p->number.number);
                break;
        case PENDING_STATE:
        case PENDING_TAG:
                break;
        case PENDING_RECORDING:
                free(p->recording.relpath);
                free(p->recording.sha256);
                break;
        case PENDING_WARNING:
                free(p->warning.kind);
                free(p->warning.message);
                break;
        }
        cw_call_slot_release(p->slot);
        free(p);
}

/* strdup that keeps NULL and reports failure through *ok. */
static char *copy(const char *s, bool *ok) {
        char *c;

        if (!s)
                return NULL;
        c = strdup(s);
        if (!c)
                *ok = false;
        return c;
}

static int apply(cw_catalog_writer *w, pending *p) {
        int64_t id = p->slot->id;

        if (p->kind != PENDING_CALL && id == 0)
                return -ENOENT;   /* the call's own row could not be written */
        switch (p->kind) {
        case PENDING_CALL:
                return cw_catalog_add_call(w->catalog, &(cw_call_start) {
                        .backend = p->call.backend, .modem_call_id = p->call.modem_call_id,
                        .direction = p->call.direction, .number = p->call.number,
                        .state = p->call.state, .appeared = p->at,
                }, &p->slot->id);
        case PENDING_NUMBER:
                return cw_catalog_set_number(w->catalog, id, p->number.number);
        case PENDING_STATE:
                return cw_catalog_add_state(w->catalog, id, p->state.state, p->state.reason, &p->at);
        case PENDING_TAG:
                return cw_catalog_set_policy_tag(w->catalog, id, &p->tag);
        case PENDING_RECORDING:
                return cw_catalog_set_recording(w->catalog, id, &(cw_recording_info) {
                        .relpath = p->recording.relpath, .capture_mode = p->recording.capture_mode,
                        .duration_ms = p->recording.duration_ms, .size = p->recording.size,
                        .sha256 = p->recording.sha256, .at = p->at,
                });
        case PENDING_WARNING:
                return cw_catalog_add_warning(w->catalog, id, p->warning.kind, p->warning.message, &p->at);
        }
        return -EINVAL;
}

/* Worth waiting for: another writer lets go, space comes back. */
static bool transient(int r) {
        return r == -EBUSY || r == -ENOSPC;
}

static void tell_lost(cw_catalog_writer *w, const pending *p, int r) {
        if (r == -ENOENT)
                cw_log_error("A call's %s was not written to the catalog: the call's own row is missing",
                             pending_names[p->kind]);
        else
                cw_log_error("call %lld: %s was not written to the catalog: %s", (long long) p->slot->id,
                             pending_names[p->kind], cw_catalog_last_error(w->catalog));
}

static void pop(cw_catalog_writer *w) {
        pending *p = w->head;

        w->head = p->next;
        if (!w->head)
                w->tail = &w->head;
        w->n_pending--;
        pending_free(p);
}

static void on_retry(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata);

static void schedule_retry(cw_catalog_writer *w) {
        struct timeval when;

        if (w->retry)
                return;
        pa_gettimeofday(&when);
        pa_timeval_add(&when, RETRY_USEC);
        w->retry = w->api->time_new(w->api, &when, on_retry, w);
}

/* Writes what is queued, in order, until the catalog refuses for a reason
 * that may pass; then tries again later. */
static void drain(cw_catalog_writer *w) {
        while (w->head) {
                int r = apply(w, w->head);

                if (transient(r)) {
                        if (!w->waiting_since) {
                                w->waiting_since = pa_rtclock_now();
                                w->lost_while_waiting = 0;
                                cw_log_warning("The catalog cannot be written now (%s); %zu change(s) are kept "
                                               "in memory and written as soon as it can be",
                                               cw_catalog_last_error(w->catalog), w->n_pending);
                        }
                        schedule_retry(w);
                        return;
                }
                if (r < 0) {
                        tell_lost(w, w->head, r);
                        w->lost_while_waiting++;
                }
                pop(w);
        }
        if (w->waiting_since) {
                cw_log_info("The catalog was written again after %.1f s; %s",
                            (double) (pa_rtclock_now() - w->waiting_since) / PA_USEC_PER_SEC,
                            w->lost_while_waiting ? "some changes were lost (see above)" : "nothing was lost");
                w->waiting_since = 0;
        }
}

static void on_retry(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        cw_catalog_writer *w = userdata;

        api->time_free(e);
        w->retry = NULL;
        drain(w);
}

/* Queues p behind anything still waiting, then writes what can be. */
static void submit(cw_catalog_writer *w, pending *p, bool ok) {
        if (!ok) {
                cw_log_error("Out of memory: %s of call %lld is not written to the catalog",
                             pending_names[p->kind], (long long) p->slot->id);
                pending_free(p);
                return;
        }
        *w->tail = p;
        w->tail = &p->next;
        w->n_pending++;
        /* While something waits, the retry keeps the order. */
        if (!w->retry)
                drain(w);
}

static pending *pending_new(pending_kind kind, cw_call_slot *slot, const cw_timestamp *at) {
        pending *p = calloc(1, sizeof *p);

        if (!p)
                return NULL;
        p->kind = kind;
        p->slot = slot_ref(slot);
        if (at)
                p->at = *at;
        return p;
}

cw_call_slot *cw_catalog_writer_add_call(cw_catalog_writer *w, const cw_call_start *start) {
        cw_call_slot *slot = calloc(1, sizeof *slot);
        pending *p;
        bool ok = true;

        if (!slot)
                return NULL;
        slot->refs = 1;
        p = pending_new(PENDING_CALL, slot, &start->appeared);
        if (!p)
                return cw_call_slot_release(slot);
        p->call.backend = copy(start->backend, &ok);
        p->call.modem_call_id = copy(start->modem_call_id, &ok);
        p->call.number = copy(start->number, &ok);
        p->call.direction = start->direction;
        p->call.state = start->state;
        submit(w, p, ok);
        return slot;
}

void cw_catalog_writer_set_number(cw_catalog_writer *w, cw_call_slot *slot, const char *number) {
        pending *p = pending_new(PENDING_NUMBER, slot, NULL);
        bool ok = true;

        if (!p)
                return;
        p->number.number = copy(number, &ok);
        submit(w, p, ok);
}

void cw_catalog_writer_add_state(cw_catalog_writer *w, cw_call_slot *slot, cw_call_state state,
                                 cw_end_reason reason, const cw_timestamp *at) {
        pending *p = pending_new(PENDING_STATE, slot, at);

        if (!p)
                return;
        p->state.state = state;
        p->state.reason = reason;
        submit(w, p, true);
}

void cw_catalog_writer_set_policy_tag(cw_catalog_writer *w, cw_call_slot *slot, const cw_tag *tag) {
        pending *p = pending_new(PENDING_TAG, slot, NULL);

        if (!p)
                return;
        p->tag = *tag;
        submit(w, p, true);
}

void cw_catalog_writer_set_recording(cw_catalog_writer *w, cw_call_slot *slot, const cw_recording_info *rec) {
        pending *p = pending_new(PENDING_RECORDING, slot, &rec->at);
        bool ok = true;

        if (!p)
                return;
        p->recording.relpath = copy(rec->relpath, &ok);
        p->recording.sha256 = copy(rec->sha256, &ok);
        p->recording.capture_mode = rec->capture_mode;
        p->recording.duration_ms = rec->duration_ms;
        p->recording.size = rec->size;
        submit(w, p, ok);
}

void cw_catalog_writer_add_warning(cw_catalog_writer *w, cw_call_slot *slot, const char *kind,
                                   const char *message, const cw_timestamp *at) {
        pending *p = pending_new(PENDING_WARNING, slot, at);
        bool ok = true;

        if (!p)
                return;
        p->warning.kind = copy(kind, &ok);
        p->warning.message = copy(message, &ok);
        submit(w, p, ok);
}

size_t cw_catalog_writer_pending(const cw_catalog_writer *w) {
        return w->n_pending;
}

int cw_catalog_writer_new(pa_mainloop_api *api, cw_catalog *catalog, cw_catalog_writer **ret) {
        cw_catalog_writer *w = calloc(1, sizeof *w);

        if (!w)
                return -ENOMEM;
        w->api = api;
        w->catalog = catalog;
        w->tail = &w->head;
        cw_catalog_set_busy_timeout(catalog, BUSY_TIMEOUT_MS);
        *ret = w;
        return 0;
}

cw_catalog_writer *cw_catalog_writer_free(cw_catalog_writer *w) {
        if (!w)
                return NULL;
        if (w->retry)
                w->api->time_free(w->retry);
        w->retry = NULL;
        if (w->head) {
                cw_log_info("Writing %zu change(s) still waiting for the catalog before stopping", w->n_pending);
                cw_catalog_set_busy_timeout(w->catalog, FINAL_BUSY_TIMEOUT_MS);
        }
        while (w->head) {
                int r = apply(w, w->head);

                if (r < 0)
                        tell_lost(w, w->head, r);
                pop(w);
        }
        cw_catalog_set_busy_timeout(w->catalog, BUSY_TIMEOUT_MS);
        free(w);
        return NULL;
}
