/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The OpusTags that make a recording describe itself: enough to rebuild
 * the catalog from the files alone. */

#include <stddef.h>
#include <stdint.h>

#include "callwitness/call.h"
#include "callwitness/policy.h"
#include "callwitness/rules.h"
#include "callwitness/timestamp.h"

#define CW_CALL_TAGS_MAX CW_JUDGE_TAGS_MAX
#define CW_CALL_WARNINGS_MAX 8
#define CW_LOCAL_ONLY_WARNING "the other party's side was not captured (capture mode local-only)"

typedef struct cw_call_description {
        int64_t id;
        cw_record_kind kind;             /* a call or an encounter */
        const char *label;               /* an encounter's, or NULL */
        const char *backend;
        cw_direction direction;
        const char *number;              /* NULL: unknown */
        cw_capture_mode capture_mode;
        cw_timestamp appeared;
        const cw_timestamp *answered;    /* NULL: never answered */
        const cw_timestamp *ended;       /* NULL: still in progress */
        cw_end_reason end_reason;
        const cw_tag *tags;
        size_t n_tags;
        const char *const *warnings;     /* "kind: message", raised during the call */
        size_t n_warnings;
} cw_call_description;

typedef struct cw_comment_list {
        char *items[16 + CW_CALL_TAGS_MAX + CW_CALL_WARNINGS_MAX];
        size_t n;
} cw_comment_list;

/* Fills list with "KEY=value" comments; entries that do not fit or cannot
 * be allocated are left out. */
void cw_call_comments(const cw_call_description *call, cw_comment_list *list);
void cw_comment_list_clear(cw_comment_list *list);
