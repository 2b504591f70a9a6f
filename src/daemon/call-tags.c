/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "call-tags.h"

#define MAX_COMMENTS (sizeof ((cw_comment_list *) 0)->items / sizeof (char *))

__attribute__((format(printf, 2, 3)))
static void add_comment(cw_comment_list *list, const char *format, ...) {
        va_list ap;

        if (list->n >= MAX_COMMENTS)
                return;
        va_start(ap, format);
        if (vasprintf(&list->items[list->n], format, ap) >= 0)
                list->n++;
        va_end(ap);
}

void cw_comment_list_clear(cw_comment_list *list) {
        for (size_t i = 0; i < list->n; i++)
                free(list->items[i]);
        list->n = 0;
}

void cw_call_comments(const cw_call_description *call, cw_comment_list *list) {
        char started[CW_RFC3339_MAX], answered[CW_RFC3339_MAX], ended[CW_RFC3339_MAX];
        const char *number = call->number ? call->number : "unknown";
        bool outgoing = call->direction == CW_DIRECTION_OUTGOING;

        cw_timestamp_format_rfc3339(&call->appeared, started);
        if (call->kind == CW_KIND_ENCOUNTER) {
                add_comment(list, "TITLE=Encounter%s%s", call->label ? ": " : "", call->label ? call->label : "");
                add_comment(list, "CALLWITNESS_KIND=encounter");
                if (call->label)
                        add_comment(list, "CALLWITNESS_LABEL=%s", call->label);
        } else
                add_comment(list, "TITLE=%s call %s %s", outgoing ? "Outgoing" : "Incoming", outgoing ? "to" : "from",
                            number);
        add_comment(list, "DATE=%s", started);
        /* 0: the catalog was locked and has not written the call's row yet;
         * the row then names the file by its path. */
        if (call->id > 0)
                add_comment(list, "CALLWITNESS_CALL_ID=%lld", (long long) call->id);
        add_comment(list, "CALLWITNESS_DIRECTION=%s", cw_direction_to_string(call->direction));
        add_comment(list, "CALLWITNESS_NUMBER=%s", number);
        add_comment(list, "CALLWITNESS_BACKEND=%s", call->backend);
        add_comment(list, "CALLWITNESS_CAPTURE_MODE=%s", cw_capture_mode_to_string(call->capture_mode));
        if (call->capture_mode == CW_CAPTURE_LOCAL_ONLY)
                add_comment(list, "CALLWITNESS_WARNING=%s", CW_LOCAL_ONLY_WARNING);
        add_comment(list, "CALLWITNESS_STARTED_AT=%s", started);
        if (call->answered) {
                cw_timestamp_format_rfc3339(call->answered, answered);
                add_comment(list, "CALLWITNESS_ANSWERED_AT=%s", answered);
        }
        if (call->ended) {
                cw_timestamp_format_rfc3339(call->ended, ended);
                add_comment(list, "CALLWITNESS_ENDED_AT=%s", ended);
                add_comment(list, "CALLWITNESS_END_REASON=%s", cw_end_reason_to_string(call->end_reason));
        }
        for (size_t i = 0; i < call->n_tags; i++)
                add_comment(list, "CALLWITNESS_TAG=%s: %s", call->tags[i].name, call->tags[i].reason);
        for (size_t i = 0; i < call->n_warnings; i++)
                add_comment(list, "CALLWITNESS_WARNING=%s", call->warnings[i]);
}
