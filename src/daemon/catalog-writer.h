/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The daemon's writes to the catalog, in order, never lost to a catalog that
 * another program holds locked (a CLI in a long transaction, an sqlite3
 * shell) or to a full disk: a write that cannot be made now waits in memory,
 * with every later one behind it, and is retried from the main loop, which
 * it never blocks for long. Each write carries its own time, so a late write
 * records what happened when it happened. */

#include <pulse/mainloop-api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/clock.h"
#include "callwitness/message.h"
#include "callwitness/rules.h"

typedef struct cw_catalog_writer cw_catalog_writer;

/* How long the daemon waits for another writer's transaction inside its
 * loop: long enough for the CLI's short transactions, short enough that
 * audio and D-Bus never notice. Anything longer is retried later. */
#define CW_CATALOG_WRITER_BUSY_MS 50

/* The journal's name in the data directory. */
#define CW_CATALOG_JOURNAL "catalog-pending.jsonl"

/* A call as the writer knows it: its catalog id comes once its row is
 * written, which may be after later writes about it were queued. */
typedef struct cw_call_slot cw_call_slot;

/* journal: where writes still queued at the stop are kept for the next
 * start (cw_catalog_writer_replay()). */
int cw_catalog_writer_new(pa_mainloop_api *api, cw_catalog *catalog, const char *journal,
                          cw_catalog_writer **ret);
/* Waits up to 10 s in all for what is still queued, and appends what it
 * could not write to the journal. */
cw_catalog_writer *cw_catalog_writer_free(cw_catalog_writer *w);

/* At start, before anything else writes: the journal an earlier run left,
 * written in order (with the busy timeout the catalog has). 0 when nothing
 * is left (the journal is removed), -EBUSY or -ENOSPC when the rest still
 * waits in it for a later start. */
int cw_catalog_writer_replay(cw_catalog *catalog, const cw_rulebook *rules, const char *journal);

/* The call's row and first state; the slot is the caller's to release. NULL
 * only when out of memory. */
cw_call_slot *cw_catalog_writer_add_call(cw_catalog_writer *w, const cw_call_start *start);
/* fn runs each time a call's row is written: its id is known from then on
 * (later than its slot was made, when the catalog was locked). */
void cw_catalog_writer_on_row(cw_catalog_writer *w, void (*fn)(void *userdata), void *userdata);
/* The call's catalog id, or 0 while its row is not written yet. */
int64_t cw_call_slot_id(const cw_call_slot *slot);
cw_call_slot *cw_call_slot_ref(cw_call_slot *slot);
cw_call_slot *cw_call_slot_release(cw_call_slot *slot);

void cw_catalog_writer_set_number(cw_catalog_writer *w, cw_call_slot *slot, const char *number);
void cw_catalog_writer_add_state(cw_catalog_writer *w, cw_call_slot *slot, cw_call_state state,
                                 cw_end_reason reason, const cw_timestamp *at);
/* What calls are judged by from now on (a reload may change it); NULL: not
 * judged. The rulebook must outlive its use here. */
void cw_catalog_writer_set_rules(cw_catalog_writer *w, const cw_rulebook *rules);
/* Judges again, when the catalog can be written, every call from since_ms
 * on (the slot's call among them; slot NULL: after no call in particular): policy tags follow, each change audited
 * with `because`. */
void cw_catalog_writer_retag(cw_catalog_writer *w, cw_call_slot *slot, int64_t since_ms, const char *because);
/* Whether the user's rule for the number says never to record it (false
 * when it cannot be read: told in the log). */
bool cw_catalog_writer_never_record(cw_catalog_writer *w, const char *number);
/* The judgement of the slot's call now, against the calls in the catalog
 * (by its time alone if they cannot be read): for the recording's tags.
 * Returns how many tags. */
int cw_catalog_writer_judge(cw_catalog_writer *w, cw_call_slot *slot, const cw_timestamp *at, bool attempt,
                            bool conversation, const char *number, cw_tag *tags, size_t max);
/* A text message received: its rows, once (a message already stored is not
 * stored again: the slot then names the earlier one). The slot is the
 * caller's to release. NULL only when out of memory. */
cw_call_slot *cw_catalog_writer_add_message(cw_catalog_writer *w, const cw_message_in *m);
void cw_catalog_writer_set_recording(cw_catalog_writer *w, cw_call_slot *slot, const cw_recording_info *rec);
/* How far the call's times can be trusted (clock.h). */
void cw_catalog_writer_set_clock(cw_catalog_writer *w, cw_call_slot *slot, const cw_clock_check *check);
/* A mark made during the recording, offset_ms into its file. */
void cw_catalog_writer_add_mark(cw_catalog_writer *w, cw_call_slot *slot, int64_t offset_ms, const char *text,
                                const cw_timestamp *at);
void cw_catalog_writer_add_warning(cw_catalog_writer *w, cw_call_slot *slot, const char *kind,
                                   const char *message, const cw_timestamp *at);
