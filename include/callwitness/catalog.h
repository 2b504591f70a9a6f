/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The catalog: one sqlite file (WAL, so the CLI reads while the daemon
 * writes) with a row per call, a row per state change, the recording with its
 * SHA-256, and tags with their reasons. Knows nothing of D-Bus or audio. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callwitness/call.h"
#include "callwitness/hash.h"
#include "callwitness/policy.h"
#include "callwitness/timestamp.h"

typedef struct cw_catalog cw_catalog;

/* The schema version this build writes (PRAGMA user_version). */
#define CW_CATALOG_SCHEMA_VERSION 8

/* Opens (creating and migrating as needed) the catalog. A file written by a
 * newer callwitness is refused with -EPROTONOSUPPORT rather than touched.
 * now: the time of what a migration writes (calls entering the audit log). */
int cw_catalog_open(const char *path, const cw_timestamp *now, cw_catalog **ret);
/* Opens an existing catalog for reading only; no migration. */
int cw_catalog_open_readonly(const char *path, cw_catalog **ret);
cw_catalog *cw_catalog_free(cw_catalog *c);

int cw_catalog_schema_version(cw_catalog *c, int *ret);

/* How long a write waits for another writer's transaction before failing
 * with -EBUSY (5 s by default: the CLI can wait; the daemon's loop cannot). */
void cw_catalog_set_busy_timeout(cw_catalog *c, int ms);

/* Short human-readable text for the last sqlite error, for the caller's one
 * log line. */
const char *cw_catalog_last_error(cw_catalog *c);

typedef struct cw_call_start {
        cw_record_kind kind;
        const char *label;            /* an encounter's, as the user gave it; may be NULL */
        const char *backend;          /* "modemmanager", "ofono"; "callwitness" for an encounter */
        const char *modem_call_id;    /* the backend's object path */
        cw_direction direction;
        const char *number;           /* may be NULL: not known yet */
        cw_call_state state;
        cw_timestamp appeared;
} cw_call_start;

int cw_catalog_add_call(cw_catalog *c, const cw_call_start *start, int64_t *id_ret);
int cw_catalog_set_number(cw_catalog *c, int64_t call_id, const char *number);
/* Appends to the call's timeline; ACTIVE the first time sets answered_at,
 * ENDED sets ended_at and the end reason. */
int cw_catalog_add_state(cw_catalog *c, int64_t call_id, cw_call_state state,
                         cw_end_reason reason, const cw_timestamp *at);
/* A tag computed by the policy replaces the policy's earlier tag of the same
 * name; a manual tag of that name is never overwritten. */
int cw_catalog_set_policy_tag(cw_catalog *c, int64_t call_id, const cw_tag *tag);

typedef struct cw_recording_info {
        const char *relpath;      /* under the data dir */
        cw_capture_mode capture_mode;
        int64_t duration_ms;
        uint64_t size;
        const char *sha256;       /* hex, NULL while recording */
        cw_timestamp at;          /* when: the time of the audit entry of a finished recording */
} cw_recording_info;

int cw_catalog_set_recording(cw_catalog *c, int64_t call_id, const cw_recording_info *rec);
/* Records size, hash and audio length of a call's file as found, touching
 * nothing else: for a file whose writer died with it. */
int cw_catalog_seal_recording(cw_catalog *c, int64_t call_id, uint64_t size, const char *sha256,
                              int64_t duration_ms, const cw_timestamp *at);

/* Something the person reviewing the call must know: the other party's side
 * was not captured, a channel stayed silent. kind is a short word
 * ("local-only", "silent-local", "silent-remote", "capture-failed"),
 * message a sentence. */
int cw_catalog_add_warning(cw_catalog *c, int64_t call_id, const char *kind, const char *message,
                           const cw_timestamp *at);

/* A call left without an end, or with a recording not sealed (no hash), by
 * a daemon that died. */
typedef struct cw_orphan {
        int64_t id;
        const char *relpath;          /* its recording, or NULL */
        bool answered;
        cw_timestamp answered_at;
        bool ended;                   /* the end is in; only the seal is missing */
        cw_timestamp last_known;      /* its last state change */
} cw_orphan;

/* Ends every orphan not ended with CW_END_DAEMON_STOPPED. cb (may be NULL)
 * sees each first, to seal its file (cw_catalog_seal_recording) or say it is
 * gone or unreadable (a "file-missing" or "file-unreadable" warning: the
 * orphan is then not offered again),
 * with *ended set to now: it may set an earlier end (the last audio its file
 * holds), since a phone that died at 23:41 and started at 08:00 did not have
 * an eight-hour call. Only calls up to up_to_id: those of an earlier run,
 * when this is done again later because the catalog was locked. */
int cw_catalog_end_orphans(cw_catalog *c, const cw_timestamp *now, int64_t up_to_id,
                           void (*cb)(const cw_orphan *orphan, cw_timestamp *ended, void *userdata),
                           void *userdata);

/* The highest call id so far (0 if none): the calls of an earlier run. */
int cw_catalog_last_call_id(cw_catalog *c, int64_t *ret);

/* A read snapshot: what is read between begin and end is one consistent
 * state of the catalog, however the daemon writes meanwhile (WAL readers do
 * not block it). */
int cw_catalog_begin_read(cw_catalog *c);
void cw_catalog_end_read(cw_catalog *c);

/* A write transaction around what must happen together with the catalog's
 * change (an export's rename): begin takes the write lock at once. */
int cw_catalog_begin_write(cw_catalog *c);
int cw_catalog_commit(cw_catalog *c);
void cw_catalog_rollback(cw_catalog *c);

/* Inside a write transaction the caller opened (so that it commits only
 * once the bundle is in place): the export of call_ids to output, and
 * its audit entry. */
int cw_catalog_record_export(cw_catalog *c, const char *output, const int64_t *call_ids, size_t n_calls,
                             const char *sums_sha256, const cw_timestamp *at);

/* What the user added about a call in review. */
typedef struct cw_note {
        const char *text;
        cw_timestamp at;
} cw_note;

/* A moment marked in a recording: during it (live) or after the fact. */
typedef struct cw_mark {
        int64_t id;
        int64_t offset_ms;            /* into the recording's file */
        const char *text;             /* "" when none was given */
        bool live;
        cw_timestamp at;              /* when it was made */
} cw_mark;

/* A mark's text: one line, at most this many bytes. */
#define CW_MARK_TEXT_MAX 1024

/* Adds a mark to a call's recording and its "mark" audit entry in one
 * transaction. text is checked (cw_text_check, one line; "" is fine):
 * -EINVAL. An unknown call: -ENOENT. A mark after the fact (!live) must lie
 * within a finished recording: -ERANGE beyond its end, -ENODATA when the
 * call has no finished recording. */
int cw_catalog_add_mark(cw_catalog *c, int64_t call_id, int64_t offset_ms, const char *text, bool live,
                        const cw_timestamp *at, int64_t *id_ret);

/* What the network delivered of a text message (message.h). */
typedef struct cw_message_record {
        const char *sender, *sender_canonical;   /* NULL when never seen */
        const char *sent_reported;    /* the network's time stamp, verbatim */
        bool has_sent;
        cw_timestamp sent_at;         /* parsed from it */
        const char *smsc, *text;
        const char *data_hex;         /* a binary message's bytes, or NULL */
        bool complete;                /* read whole */
        bool deleted_before_read;     /* another program deleted it first */
        bool receipt_known;           /* seen as it arrived; else found stored at start */
        cw_timestamp seen_at;         /* when callwitnessd read it */
        const char *sha256;           /* of its canonical text */
} cw_message_record;

/* How far its times can be trusted (clock.h). */
typedef struct cw_clock_record {
        int synced;                   /* 1, 0, -1 not known */
        const char *network_reported; /* NULL: no modem gave the network's time */
        int64_t network_offset_ms;    /* the network's time minus the phone's */
        cw_timestamp at;
} cw_clock_record;

/* One call as listed. Pointers are valid only during the callback. */
typedef struct cw_call_record {
        int64_t id;
        cw_record_kind kind;
        const char *label;            /* an encounter's; NULL when none */
        const char *backend;
        cw_direction direction;
        const char *number;           /* NULL if never known */
        cw_timestamp started;
        bool answered;
        cw_timestamp answered_at;
        bool ended;
        cw_timestamp ended_at;
        const char *end_reason;       /* NULL while in progress */
        const char *outcome;          /* "answered", "missed", …; NULL while in progress */
        const char *file;             /* relpath or NULL */
        cw_capture_mode capture_mode; /* of the file, if any */
        int64_t duration_ms;          /* answered → ended; 0 if never answered */
        int64_t file_duration_ms;     /* audio in the file */
        uint64_t file_size;
        const char *sha256;
        const cw_tag *tags;
        const bool *tags_manual;      /* per tag: set by a person, not the policy */
        size_t n_tags;
        const char *const *warnings;  /* "kind: message" */
        size_t n_warnings;
        const cw_note *notes;         /* oldest first */
        size_t n_notes;
        /* What the caller said about who they are; NULL when not given. */
        const char *caller_company, *caller_employee_id, *caller_name;
        bool exported;                /* in at least one evidence bundle */
        const cw_mark *marks;         /* by offset */
        size_t n_marks;
        const cw_message_record *message;   /* a message's content; NULL for calls and encounters */
        const cw_clock_record *clock;       /* NULL: not checked (recorded before schema 8) */
} cw_call_record;

typedef int (*cw_catalog_call_fn)(const cw_call_record *call, void *userdata);

/* Which calls to list; zero fields do not filter. */
typedef struct cw_call_filter {
        int64_t id;
        bool tagged_only;
        const char *tag;              /* has this tag */
        const char *number;
        bool has_since, has_until;
        int64_t since_ms, until_ms;   /* started in [since, until) */
        bool missed_only;             /* incoming, ended, never answered */
        bool has_kind;
        cw_record_kind kind;          /* only calls, or only encounters */
        int64_t limit;                /* the newest N (still listed oldest first) */
} cw_call_filter;

/* Calls oldest first. A non-zero return from cb stops and is returned. */
int cw_catalog_find_calls(cw_catalog *c, const cw_call_filter *filter, cw_catalog_call_fn cb, void *userdata);
int cw_catalog_foreach_call(cw_catalog *c, bool tagged_only, cw_catalog_call_fn cb, void *userdata);

/* One step of a call's timeline. */
typedef struct cw_state_record {
        const char *state;            /* "ringing", "active", "held", "ended", … */
        const char *reason;           /* the end reason for "ended", else NULL */
        cw_timestamp at;
} cw_state_record;

typedef int (*cw_catalog_state_fn)(const cw_state_record *state, void *userdata);

/* A call's timeline, in order. */
int cw_catalog_foreach_state(cw_catalog *c, int64_t call_id, cw_catalog_state_fn cb, void *userdata);
