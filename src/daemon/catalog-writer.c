/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pulse/rtclock.h>
#include <pulse/timeval.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callwitness/call-json.h"
#include "callwitness/judgement.h"
#include "callwitness/number-rules.h"
#include "callwitness/log.h"
#include "callwitness/paths.h"
#include "catalog-writer.h"

#define RETRY_USEC (500 * PA_USEC_PER_MSEC)
/* On the way out there is no later: wait this long in all for a locked
 * catalog (systemd's stop timeout is 90 s); what is still not written then
 * goes to the journal for the next start. */
#define FINAL_WAIT_MS 10000
#define JOURNAL_VERSION 1

struct cw_call_slot {
        int64_t id;
        unsigned refs;
        bool repeat;             /* a message already in the catalog: id is the earlier one's */
};

typedef enum pending_kind {
        PENDING_CALL,
        PENDING_NUMBER,
        PENDING_STATE,
        PENDING_TAG,
        PENDING_RECORDING,
        PENDING_WARNING,
        PENDING_RETAG,
        PENDING_MARK,
        PENDING_MESSAGE,
        PENDING_CLOCK,
        _PENDING_KIND_MAX,
} pending_kind;

typedef struct pending {
        pending_kind kind;
        cw_call_slot *slot;
        cw_timestamp at;
        union {
                struct {
                        char *backend, *modem_call_id, *number, *label;
                        cw_record_kind kind;
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
                struct {
                        int64_t since_ms;
                        char *because;
                } retag;
                struct {
                        int64_t offset_ms;
                        char *text;
                } mark;
                struct {
                        char *backend, *id, *sender, *sent, *smsc, *text;
                        unsigned char *data;
                        size_t data_len;
                        bool complete, deleted_before_read, receipt_known, may_repeat;
                } message;
                struct {
                        int synced;
                        char *network;
                        int64_t offset_ms;
                } clock;
        };
        struct pending *next;
} pending;

struct cw_catalog_writer {
        pa_mainloop_api *api;
        cw_catalog *catalog;
        const cw_rulebook *rules;
        char *journal;
        pending *head, **tail;
        size_t n_pending;
        pa_time_event *retry;
        pa_usec_t waiting_since;     /* 0 while nothing waits */
        size_t lost_while_waiting;
        void (*on_row)(void *userdata);
        void *on_row_userdata;
};

static const char *const pending_names[] = {
        [PENDING_CALL] = "the new call",
        [PENDING_NUMBER] = "the caller's number",
        [PENDING_STATE] = "a state change",
        [PENDING_TAG] = "a tag",
        [PENDING_RECORDING] = "the recording",
        [PENDING_WARNING] = "a warning",
        [PENDING_RETAG] = "the judgement of its tags",
        [PENDING_MARK] = "a mark",
        [PENDING_MESSAGE] = "a text message",
        [PENDING_CLOCK] = "the check of the clock",
};

static cw_call_slot *slot_ref(cw_call_slot *slot) {
        slot->refs++;
        return slot;
}

cw_call_slot *cw_call_slot_ref(cw_call_slot *slot) {
        return slot ? slot_ref(slot) : NULL;
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
                free(p->call.label);
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
        case PENDING_RETAG:
                free(p->retag.because);
                break;
        case PENDING_MARK:
                free(p->mark.text);
                break;
        case PENDING_MESSAGE:
                free(p->message.backend);
                free(p->message.id);
                free(p->message.sender);
                free(p->message.sent);
                free(p->message.smsc);
                free(p->message.text);
                free(p->message.data);
                break;
        case PENDING_CLOCK:
                free(p->clock.network);
                break;
        case _PENDING_KIND_MAX:
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

static void log_tag_change(const cw_tag_change *change, void *userdata) {
        cw_log_info("call %lld: tag %s %s: %s", (long long) change->call_id, change->tag, change->change, change->reason);
}

static int apply_message(cw_catalog_writer *w, pending *p) {
        bool duplicate = false;
        int r = cw_catalog_add_message(w->catalog, &(cw_message_in) {
                .backend = p->message.backend, .modem_message_id = p->message.id, .sender = p->message.sender,
                .sent_reported = p->message.sent, .smsc = p->message.smsc, .text = p->message.text,
                .data = p->message.data, .data_len = p->message.data_len, .complete = p->message.complete,
                .deleted_before_read = p->message.deleted_before_read, .receipt_known = p->message.receipt_known,
                .may_repeat = p->message.may_repeat, .seen = p->at,
        }, w->rules ? cw_rulebook_country_code(w->rules) : NULL, &p->slot->id, &duplicate);

        p->slot->repeat = duplicate;
        if (r == 0 && duplicate)
                cw_log_debug("message %s is in the catalog already (%lld)", p->message.id, (long long) p->slot->id);
        else if (r == 0)
                cw_log_info("message %lld: %s from %s%s", (long long) p->slot->id,
                            p->message.deleted_before_read ? "deleted by another program before it could be read"
                                                           : "received",
                            p->message.sender ? p->message.sender : "an unknown sender",
                            p->message.complete || p->message.deleted_before_read ? "" : " (incomplete)");
        return r;
}

static int apply(cw_catalog_writer *w, pending *p) {
        int64_t id = cw_call_slot_id(p->slot);

        if (p->kind != PENDING_CALL && p->kind != PENDING_MESSAGE && id == 0 && p->slot)
                return -ENOENT;   /* the call's own row could not be written */
        /* A message read again is not new: what was found when it first
         * came stands. */
        if (p->slot && p->slot->repeat && (p->kind == PENDING_CLOCK || p->kind == PENDING_WARNING))
                return 0;
        switch (p->kind) {
        case PENDING_CALL: {
                int r = cw_catalog_add_call(w->catalog, &(cw_call_start) {
                        .kind = p->call.kind, .label = p->call.label,
                        .backend = p->call.backend, .modem_call_id = p->call.modem_call_id,
                        .direction = p->call.direction, .number = p->call.number,
                        .state = p->call.state, .appeared = p->at,
                }, &p->slot->id);

                if (r == 0 && w->on_row)
                        w->on_row(w->on_row_userdata);
                return r;
        }
        case PENDING_NUMBER:
                return cw_catalog_set_number(w->catalog, id, p->number.number);
        case PENDING_STATE:
                return cw_catalog_add_state(w->catalog, id, p->state.state, p->state.reason, &p->at);
        case PENDING_TAG:   /* from the journal of a callwitnessd before judgements were re-run */
                return cw_catalog_set_policy_tag(w->catalog, id, &p->tag);
        case PENDING_RETAG:
                if (!w->rules)
                        return 0;
                if (!p->slot) {   /* the rules, not a call: only when they changed */
                        bool done;
                        int r = cw_catalog_retag_all(w->catalog, w->rules, p->retag.because, true, &p->at,
                                                     log_tag_change, NULL, &done);

                        if (r == 0 && done)
                                cw_log_info("Every call was judged again by the %s preset (%s)",
                                            cw_rulebook_preset(w->rules), p->retag.because);
                        return r;
                }
                return cw_catalog_retag(w->catalog, w->rules, p->retag.since_ms, p->retag.because, &p->at,
                                        log_tag_change, NULL);
        case PENDING_RECORDING:
                return cw_catalog_set_recording(w->catalog, id, &(cw_recording_info) {
                        .relpath = p->recording.relpath, .capture_mode = p->recording.capture_mode,
                        .duration_ms = p->recording.duration_ms, .size = p->recording.size,
                        .sha256 = p->recording.sha256, .at = p->at,
                });
        case PENDING_WARNING:
                return cw_catalog_add_warning(w->catalog, id, p->warning.kind, p->warning.message, &p->at);
        case PENDING_MARK:
                return cw_catalog_add_mark(w->catalog, id, p->mark.offset_ms, p->mark.text, true, &p->at, NULL);
        case PENDING_MESSAGE:
                return apply_message(w, p);
        case PENDING_CLOCK:
                return cw_catalog_set_clock_check(w->catalog, id, &(cw_clock_check) {
                        .synced = p->clock.synced, .network_reported = p->clock.network,
                        .network_offset_ms = p->clock.offset_ms, .at = p->at,
                });
        case _PENDING_KIND_MAX:
                break;
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
                cw_log_error("call %lld: %s was not written to the catalog: %s", (long long) cw_call_slot_id(p->slot),
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

/* Writes the first queued change: 0; an error that may pass (the change
 * stays first); or one that will not (told, and the change dropped). */
static int write_first(cw_catalog_writer *w) {
        int r = apply(w, w->head);

        if (transient(r))
                return r;
        if (r < 0)
                tell_lost(w, w->head, r);
        pop(w);
        return r;
}

static void drop_all(cw_catalog_writer *w) {
        while (w->head)
                pop(w);
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
                int r = write_first(w);

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
                if (r < 0)
                        w->lost_while_waiting++;
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
                             pending_names[p->kind], (long long) cw_call_slot_id(p->slot));
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
        p->slot = slot ? slot_ref(slot) : NULL;
        if (at)
                p->at = *at;
        return p;
}

/* A write that makes a row, with the new slot that will name it. */
static pending *pending_new_row(pending_kind kind, const cw_timestamp *at, cw_call_slot **slot_ret) {
        cw_call_slot *slot = calloc(1, sizeof *slot);
        pending *p;

        if (!slot)
                return NULL;
        slot->refs = 1;
        p = pending_new(kind, slot, at);
        /* The pending write holds its own reference. */
        *slot_ret = p ? slot : cw_call_slot_release(slot);
        return p;
}

cw_call_slot *cw_catalog_writer_add_call(cw_catalog_writer *w, const cw_call_start *start) {
        cw_call_slot *slot;
        pending *p = pending_new_row(PENDING_CALL, &start->appeared, &slot);
        bool ok = true;

        if (!p)
                return NULL;
        p->call.backend = copy(start->backend, &ok);
        p->call.modem_call_id = copy(start->modem_call_id, &ok);
        p->call.number = copy(start->number, &ok);
        p->call.label = copy(start->label, &ok);
        p->call.kind = start->kind;
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

void cw_catalog_writer_retag(cw_catalog_writer *w, cw_call_slot *slot, int64_t since_ms, const char *because) {
        cw_timestamp now = cw_timestamp_now();
        pending *p = pending_new(PENDING_RETAG, slot, &now);
        bool ok = true;

        if (!p)
                return;
        p->retag.since_ms = since_ms;
        p->retag.because = copy(because, &ok);
        submit(w, p, ok && p->retag.because);
}

void cw_catalog_writer_on_row(cw_catalog_writer *w, void (*fn)(void *userdata), void *userdata) {
        w->on_row = fn;
        w->on_row_userdata = userdata;
}

void cw_catalog_writer_set_rules(cw_catalog_writer *w, const cw_rulebook *rules) {
        w->rules = rules;
}

bool cw_catalog_writer_never_record(cw_catalog_writer *w, const char *number) {
        cw_record_rule record;
        char *label = NULL;
        int r;

        if (!number)
                return false;
        r = cw_number_rule_find(w->catalog, number, w->rules ? cw_rulebook_country_code(w->rules) : NULL, &record,
                                &label);
        free(label);
        if (r < 0) {
                /* Recording what should not be beats losing what should. */
                cw_log_warning("The rules for numbers cannot be read (%s); the call is recorded",
                               cw_catalog_last_error(w->catalog));
                return false;
        }
        return record == CW_RECORD_NEVER;
}

int cw_catalog_writer_judge(cw_catalog_writer *w, cw_call_slot *slot, const cw_timestamp *at, bool attempt,
                            bool conversation, const char *number, cw_tag *tags, size_t max) {
        int n;

        if (!w->rules)
                return 0;
        n = cw_catalog_judge_call(w->catalog, w->rules, slot->id, at, attempt, conversation, number, tags, max);
        if (n < 0) {
                /* The calls before it cannot be read: the clock alone still
                 * judges it. */
                cw_contact alone = { .id = slot->id, .at = *at, .attempt = attempt, .conversation = conversation,
                                     .caller = "", .caller_label = "", .number = "" };

                cw_log_warning("The calls before this one cannot be read (%s); it is judged by its time alone",
                               cw_catalog_last_error(w->catalog));
                n = (int) cw_judge_contact(cw_rulebook_judge(w->rules), &alone, 0, tags, max);
        }
        return n;
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

void cw_catalog_writer_add_mark(cw_catalog_writer *w, cw_call_slot *slot, int64_t offset_ms, const char *text,
                                const cw_timestamp *at) {
        pending *p = pending_new(PENDING_MARK, slot, at);
        bool ok = true;

        if (!p)
                return;
        p->mark.offset_ms = offset_ms;
        p->mark.text = copy(text, &ok);
        submit(w, p, ok && p->mark.text);
}

cw_call_slot *cw_catalog_writer_add_message(cw_catalog_writer *w, const cw_message_in *m) {
        cw_call_slot *slot;
        pending *p = pending_new_row(PENDING_MESSAGE, &m->seen, &slot);
        bool ok = true;

        if (!p)
                return NULL;
        p->message.backend = copy(m->backend, &ok);
        p->message.id = copy(m->modem_message_id, &ok);
        p->message.sender = copy(m->sender, &ok);
        p->message.sent = copy(m->sent_reported, &ok);
        p->message.smsc = copy(m->smsc, &ok);
        p->message.text = copy(m->text, &ok);
        if (m->data_len && (p->message.data = malloc(m->data_len)))
                memcpy(p->message.data, m->data, m->data_len);
        p->message.data_len = p->message.data ? m->data_len : 0;
        ok = ok && (!m->data_len || p->message.data) && (!m->backend || p->message.backend) &&
             (!m->modem_message_id || p->message.id);
        p->message.complete = m->complete;
        p->message.deleted_before_read = m->deleted_before_read;
        p->message.receipt_known = m->receipt_known;
        p->message.may_repeat = m->may_repeat;
        submit(w, p, ok);
        return slot;
}

void cw_catalog_writer_set_clock(cw_catalog_writer *w, cw_call_slot *slot, const cw_clock_check *check) {
        pending *p = pending_new(PENDING_CLOCK, slot, &check->at);
        bool ok = true;

        if (!p)
                return;
        p->clock.synced = check->synced;
        p->clock.network = copy(check->network_reported, &ok);
        p->clock.offset_ms = check->network_offset_ms;
        submit(w, p, ok);
}

/* The journal: one JSON object per line, each a write with its own time,
 * in order. A call whose row is not written yet is named by a key that the
 * writes about it share. Private to callwitnessd, read only by the next
 * start. */

static void add_string(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static json_object *pending_to_json(const pending *p, int64_t slot_key) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "v", json_object_new_int(JOURNAL_VERSION));
        json_object_object_add(o, "kind", json_object_new_int(p->kind));
        if (!p->slot)
                ;   /* about no call in particular */
        else if (p->slot->id)
                json_object_object_add(o, "id", json_object_new_int64(p->slot->id));
        else
                json_object_object_add(o, "slot", json_object_new_int64(slot_key));
        json_object_object_add(o, "at_ms", json_object_new_int64(p->at.utc_ms));
        json_object_object_add(o, "offset_s", json_object_new_int(p->at.utc_offset_s));
        switch (p->kind) {
        case PENDING_CALL:
                add_string(o, "backend", p->call.backend);
                add_string(o, "modem_call_id", p->call.modem_call_id);
                add_string(o, "number", p->call.number);
                /* Absent in journals from before encounters: a call. */
                if (p->call.kind == CW_KIND_ENCOUNTER) {
                        add_string(o, "record_kind", cw_record_kind_to_string(p->call.kind));
                        add_string(o, "label", p->call.label);
                }
                json_object_object_add(o, "direction", json_object_new_int(p->call.direction));
                json_object_object_add(o, "state", json_object_new_int(p->call.state));
                break;
        case PENDING_NUMBER:
                add_string(o, "number", p->number.number);
                break;
        case PENDING_STATE:
                json_object_object_add(o, "state", json_object_new_int(p->state.state));
                json_object_object_add(o, "reason", json_object_new_int(p->state.reason));
                break;
        case PENDING_TAG:
                add_string(o, "name", p->tag.name);
                add_string(o, "reason", p->tag.reason);
                break;
        case PENDING_RECORDING:
                add_string(o, "relpath", p->recording.relpath);
                add_string(o, "sha256", p->recording.sha256);
                json_object_object_add(o, "capture_mode", json_object_new_int(p->recording.capture_mode));
                json_object_object_add(o, "duration_ms", json_object_new_int64(p->recording.duration_ms));
                json_object_object_add(o, "size", json_object_new_int64((int64_t) p->recording.size));
                break;
        case PENDING_WARNING:
                add_string(o, "warning_kind", p->warning.kind);
                add_string(o, "message", p->warning.message);
                break;
        case PENDING_RETAG:
                json_object_object_add(o, "since_ms", json_object_new_int64(p->retag.since_ms));
                add_string(o, "because", p->retag.because);
                break;
        case PENDING_MARK:
                json_object_object_add(o, "offset_ms", json_object_new_int64(p->mark.offset_ms));
                add_string(o, "text", p->mark.text);
                break;
        case PENDING_MESSAGE: {
                char *hex = cw_hex_encode(p->message.data, p->message.data_len);

                add_string(o, "backend", p->message.backend);
                add_string(o, "modem_message_id", p->message.id);
                add_string(o, "sender", p->message.sender);
                add_string(o, "sent", p->message.sent);
                add_string(o, "smsc", p->message.smsc);
                add_string(o, "text", p->message.text);
                add_string(o, "data", hex);
                free(hex);
                json_object_object_add(o, "complete", json_object_new_boolean(p->message.complete));
                json_object_object_add(o, "deleted_before_read", json_object_new_boolean(p->message.deleted_before_read));
                json_object_object_add(o, "receipt_known", json_object_new_boolean(p->message.receipt_known));
                json_object_object_add(o, "may_repeat", json_object_new_boolean(p->message.may_repeat));
                break;
        }
        case PENDING_CLOCK:
                json_object_object_add(o, "synced", json_object_new_int(p->clock.synced));
                add_string(o, "network", p->clock.network);
                json_object_object_add(o, "network_offset_ms", json_object_new_int64(p->clock.offset_ms));
                break;
        case _PENDING_KIND_MAX:
                break;
        }
        return o;
}

/* Appends what is queued to the journal and syncs it: a line is either
 * whole on disk or ignored when read. */
static int save_journal(cw_catalog_writer *w) {
        /* Keys unique across the runs that append (a journal not yet
         * replayed gets the next run's lines too): the second, this
         * process's id and the slot's place. */
        int64_t run = (int64_t) time(NULL) << 24 | (int64_t) (getpid() & 0xffff) << 8;
        const cw_call_slot *slots[256];
        size_t n_slots = 0;
        FILE *f;
        int fd, r = 0;

        fd = open(w->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || !(f = fdopen(fd, "a"))) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                return r;
        }
        for (const pending *p = w->head; p; p = p->next) {
                size_t i;
                json_object *o;

                for (i = 0; i < n_slots && slots[i] != p->slot; i++)
                        ;
                if (i == n_slots && n_slots < sizeof slots / sizeof slots[0])
                        slots[n_slots++] = p->slot;
                o = pending_to_json(p, run | (int64_t) (i & 0xff));
                fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                json_object_put(o);
        }
        if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0)
                r = cw_paths_sync_parent(w->journal);
        return r;
}

typedef struct journal_slot {
        int64_t key;
        cw_call_slot *slot;
} journal_slot;

/* The slot a journal line names: one per key, or one holding the id. */
static cw_call_slot *journal_slot_for(json_object *o, journal_slot *slots, size_t *n_slots, size_t max) {
        int64_t key = cw_json_get_int64(o, "slot"), id = cw_json_get_int64(o, "id");
        cw_call_slot *slot;

        for (size_t i = 0; !id && i < *n_slots; i++)
                if (slots[i].key == key)
                        return slots[i].slot;
        if (*n_slots == max || !(slot = calloc(1, sizeof *slot)))
                return NULL;
        slot->id = id;
        slot->refs = 1;
        slots[(*n_slots)++] = (journal_slot) { id ? 0 : key, slot };
        return slot;
}

static pending *pending_from_json(json_object *o, cw_call_slot *slot) {
        cw_timestamp at = { .utc_ms = cw_json_get_int64(o, "at_ms"), .utc_offset_s = (int32_t) cw_json_get_int64(o, "offset_s") };
        int64_t kind = cw_json_get_int64(o, "kind");
        bool ok = true;
        pending *p;

        if (cw_json_get_int64(o, "v") != JOURNAL_VERSION || kind < PENDING_CALL || kind >= _PENDING_KIND_MAX ||
            (!slot && kind != PENDING_RETAG) ||
            !(p = pending_new((pending_kind) kind, slot, &at)))
                return NULL;
        switch (p->kind) {
        case PENDING_CALL:
                p->call.backend = copy(cw_json_get_string(o, "backend"), &ok);
                p->call.modem_call_id = copy(cw_json_get_string(o, "modem_call_id"), &ok);
                p->call.number = copy(cw_json_get_string(o, "number"), &ok);
                p->call.label = copy(cw_json_get_string(o, "label"), &ok);
                p->call.kind = cw_record_kind_from_string(cw_json_get_string(o, "record_kind"));
                p->call.direction = (cw_direction) cw_json_get_int64(o, "direction");
                p->call.state = (cw_call_state) cw_json_get_int64(o, "state");
                ok = ok && p->call.backend && p->call.modem_call_id;
                break;
        case PENDING_NUMBER:
                p->number.number = copy(cw_json_get_string(o, "number"), &ok);
                break;
        case PENDING_STATE:
                p->state.state = (cw_call_state) cw_json_get_int64(o, "state");
                p->state.reason = (cw_end_reason) cw_json_get_int64(o, "reason");
                break;
        case PENDING_TAG:
                ok = cw_json_get_string(o, "name") && cw_json_get_string(o, "reason");
                if (ok) {
                        snprintf(p->tag.name, sizeof p->tag.name, "%s", cw_json_get_string(o, "name"));
                        snprintf(p->tag.reason, sizeof p->tag.reason, "%s", cw_json_get_string(o, "reason"));
                }
                break;
        case PENDING_RECORDING:
                p->recording.relpath = copy(cw_json_get_string(o, "relpath"), &ok);
                p->recording.sha256 = copy(cw_json_get_string(o, "sha256"), &ok);
                p->recording.capture_mode = (cw_capture_mode) cw_json_get_int64(o, "capture_mode");
                p->recording.duration_ms = cw_json_get_int64(o, "duration_ms");
                p->recording.size = (uint64_t) cw_json_get_int64(o, "size");
                ok = ok && p->recording.relpath;
                break;
        case PENDING_WARNING:
                p->warning.kind = copy(cw_json_get_string(o, "warning_kind"), &ok);
                p->warning.message = copy(cw_json_get_string(o, "message"), &ok);
                ok = ok && p->warning.kind && p->warning.message;
                break;
        case PENDING_RETAG:
                p->retag.since_ms = cw_json_get_int64(o, "since_ms");
                p->retag.because = copy(cw_json_get_string(o, "because"), &ok);
                ok = ok && p->retag.because;
                break;
        case PENDING_MARK:
                p->mark.offset_ms = cw_json_get_int64(o, "offset_ms");
                p->mark.text = copy(cw_json_get_string(o, "text"), &ok);
                ok = ok && p->mark.text;
                break;
        case PENDING_MESSAGE: {
                const char *hex = cw_json_get_string(o, "data");
                size_t len = 0;

                p->message.backend = copy(cw_json_get_string(o, "backend"), &ok);
                p->message.id = copy(cw_json_get_string(o, "modem_message_id"), &ok);
                p->message.sender = copy(cw_json_get_string(o, "sender"), &ok);
                p->message.sent = copy(cw_json_get_string(o, "sent"), &ok);
                p->message.smsc = copy(cw_json_get_string(o, "smsc"), &ok);
                p->message.text = copy(cw_json_get_string(o, "text"), &ok);
                p->message.data = cw_hex_decode(hex ? hex : "", &len);
                p->message.data_len = p->message.data ? len : 0;
                p->message.complete = json_object_get_boolean(json_object_object_get(o, "complete"));
                p->message.deleted_before_read = json_object_get_boolean(json_object_object_get(o, "deleted_before_read"));
                p->message.receipt_known = json_object_get_boolean(json_object_object_get(o, "receipt_known"));
                p->message.may_repeat = json_object_get_boolean(json_object_object_get(o, "may_repeat"));
                ok = ok && p->message.backend && p->message.id && p->message.data;
                break;
        }
        case PENDING_CLOCK:
                /* Only 1 or 0 is a state; anything else was not known. */
                p->clock.synced = json_object_object_get_ex(o, "synced", NULL) &&
                                  (cw_json_get_int64(o, "synced") == 0 || cw_json_get_int64(o, "synced") == 1)
                                  ? (int) cw_json_get_int64(o, "synced") : -1;
                p->clock.network = copy(cw_json_get_string(o, "network"), &ok);
                p->clock.offset_ms = cw_json_get_int64(o, "network_offset_ms");
                break;
        case _PENDING_KIND_MAX:
                break;
        }
        if (!ok) {
                pending_free(p);
                return NULL;
        }
        return p;
}

int cw_catalog_writer_replay(cw_catalog *catalog, const cw_rulebook *rules, const char *journal) {
        cw_catalog_writer w = { .catalog = catalog, .rules = rules, .tail = &w.head };
        journal_slot slots[256];
        size_t n_slots = 0, n_bad = 0, n_written = 0;
        char *line = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        f = fopen(journal, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (getline(&line, &size, f) > 0) {
                json_object *o = json_tokener_parse(line);
                bool about_a_call = o && (json_object_object_get_ex(o, "id", NULL) ||
                                          json_object_object_get_ex(o, "slot", NULL));
                cw_call_slot *slot = about_a_call ? journal_slot_for(o, slots, &n_slots, sizeof slots / sizeof slots[0])
                                                  : NULL;
                pending *p = o && (slot || !about_a_call) ? pending_from_json(o, slot) : NULL;

                if (p) {
                        *w.tail = p;
                        w.tail = &p->next;
                        w.n_pending++;
                } else
                        n_bad++;   /* a line cut by a power cut, or not ours */
                json_object_put(o);
        }
        free(line);
        fclose(f);
        for (size_t i = 0; i < n_slots; i++)
                cw_call_slot_release(slots[i].slot);
        while (w.head && !transient(r = write_first(&w)))
                n_written += r == 0;
        if (n_bad)
                cw_log_warning("%zu line(s) of %s could not be read", n_bad, journal);
        if (w.head) {
                /* Still locked: the rest waits for the next start. */
                char *rest;

                cw_log_warning("The catalog cannot be written now (%s); %zu change(s) of the last run wait in %s",
                               cw_catalog_last_error(catalog), w.n_pending, journal);
                if (asprintf(&rest, "%s.rest", journal) >= 0) {
                        unlink(rest);   /* one a crash left would be appended to */
                        w.journal = rest;
                        if (save_journal(&w) == 0)
                                rename(rest, journal);
                        free(rest);
                }
                drop_all(&w);
                return r;
        }
        cw_log_info("%zu change(s) the last run could not write are now in the catalog", n_written);
        if (unlink(journal) < 0)
                return -errno;
        return cw_paths_sync_parent(journal);
}

int cw_catalog_writer_new(pa_mainloop_api *api, cw_catalog *catalog, const char *journal,
                          cw_catalog_writer **ret) {
        cw_catalog_writer *w = calloc(1, sizeof *w);

        if (!w || !(w->journal = strdup(journal))) {
                free(w);
                return -ENOMEM;
        }
        w->api = api;
        w->catalog = catalog;
        w->tail = &w->head;
        cw_catalog_set_busy_timeout(catalog, CW_CATALOG_WRITER_BUSY_MS);
        *ret = w;
        return 0;
}

cw_catalog_writer *cw_catalog_writer_free(cw_catalog_writer *w) {
        pa_usec_t deadline;
        int r;

        if (!w)
                return NULL;
        if (w->retry)
                w->api->time_free(w->retry);
        w->retry = NULL;
        if (w->head)
                cw_log_info("Writing %zu change(s) still waiting for the catalog before stopping", w->n_pending);
        deadline = pa_rtclock_now() + FINAL_WAIT_MS * PA_USEC_PER_MSEC;
        while (w->head) {
                pa_usec_t now = pa_rtclock_now();

                /* One deadline for all of them, not one per write. */
                cw_catalog_set_busy_timeout(w->catalog, now < deadline ? (int) ((deadline - now) / PA_USEC_PER_MSEC)
                                                                       : 0);
                if (transient(write_first(w)))
                        break;
        }
        if (w->head) {
                r = save_journal(w);
                if (r < 0) {
                        cw_log_error("%zu change(s) could not be written to the catalog nor kept in %s (%s); they "
                                     "are lost:", w->n_pending, w->journal, strerror(-r));
                        for (const pending *p = w->head; p; p = p->next)
                                tell_lost(w, p, -EBUSY);
                } else
                        cw_log_warning("The catalog could not be written before stopping (%s); %zu change(s) are "
                                       "kept in %s and written at the next start", cw_catalog_last_error(w->catalog),
                                       w->n_pending, w->journal);
                drop_all(w);
        }
        cw_catalog_set_busy_timeout(w->catalog, CW_CATALOG_WRITER_BUSY_MS);
        free(w->journal);
        free(w);
        return NULL;
}
