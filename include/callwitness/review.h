/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What a person does to a call in review: notes, the caller's identity,
 * manual tags, deletion. Each change is an entry in the audit log, written
 * in the same transaction. Unknown call ids give -ENOENT. */

#include <stdbool.h>
#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/timestamp.h"

/* What a person types is refused (-EINVAL) unless cw_text_check() accepts
 * it: a note may have several lines, the rest are one line each. */
#define CW_NOTE_MAX 16384
#define CW_IDENTITY_FIELD_MAX 256
#define CW_MANUAL_REASON_MAX (CW_TAG_REASON_MAX - 1)

int cw_review_add_note(cw_catalog *c, int64_t call_id, const char *text, const cw_timestamp *at);

/* What the caller said about who they are. NULL or "" leaves a field
 * unknown; at least one must be given (-EINVAL). Replaces an earlier one. */
int cw_review_set_identity(cw_catalog *c, int64_t call_id, const char *company, const char *employee_id,
                           const char *name, const cw_timestamp *at);

/* A manual tag; it replaces a policy tag of the same name, and the policy
 * never overwrites it. reason may be NULL ("tagged by hand"). */
int cw_review_tag(cw_catalog *c, int64_t call_id, const char *tag, const char *reason, const cw_timestamp *at);
/* -ENOMSG when the call has no such tag. */
int cw_review_untag(cw_catalog *c, int64_t call_id, const char *tag, const cw_timestamp *at);

/* Why a deletion was refused. */
typedef enum cw_delete_refusal {
        CW_DELETE_OK,
        CW_DELETE_TAGGED,        /* the call is tagged */
        CW_DELETE_EXPORTED,      /* the call is in an exported bundle */
        CW_DELETE_IN_PROGRESS,   /* the call has not ended */
} cw_delete_refusal;

/* Deletes a call: its rows, then its file under data_dir. A tagged or
 * exported call is refused (-EPERM, *refusal says why) unless force; a
 * call in progress always is (-EBUSY). The audit log keeps a "delete"
 * entry with what was removed. When the rows are gone but the file cannot
 * be removed, returns that -errno (verify --catalog then names the file). */
int cw_review_delete(cw_catalog *c, const char *data_dir, int64_t call_id, bool force, const cw_timestamp *at,
                     cw_delete_refusal *refusal);
