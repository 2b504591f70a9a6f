/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <string.h>

#include "callwitness/call.h"

const char *cw_record_kind_to_string(cw_record_kind k) {
        return k == CW_KIND_ENCOUNTER ? "encounter" : k == CW_KIND_MESSAGE ? "message" : "call";
}

cw_record_kind cw_record_kind_from_string(const char *s) {
        return s && strcmp(s, "encounter") == 0 ? CW_KIND_ENCOUNTER
             : s && strcmp(s, "message") == 0   ? CW_KIND_MESSAGE
                                                : CW_KIND_CALL;
}

const char *cw_direction_to_string(cw_direction d) {
        switch (d) {
        case CW_DIRECTION_INCOMING:
                return "incoming";
        case CW_DIRECTION_OUTGOING:
                return "outgoing";
        default:
                return "unknown";
        }
}

cw_direction cw_direction_from_string(const char *s) {
        if (s && strcmp(s, "incoming") == 0)
                return CW_DIRECTION_INCOMING;
        if (s && strcmp(s, "outgoing") == 0)
                return CW_DIRECTION_OUTGOING;
        return CW_DIRECTION_UNKNOWN;
}

const char *cw_call_state_to_string(cw_call_state s) {
        static const char *const names[_CW_CALL_STATE_MAX] = {
                [CW_CALL_RINGING] = "ringing",
                [CW_CALL_WAITING] = "waiting",
                [CW_CALL_DIALING] = "dialing",
                [CW_CALL_ACTIVE] = "active",
                [CW_CALL_HELD] = "held",
                [CW_CALL_ENDED] = "ended",
        };

        return (unsigned) s < _CW_CALL_STATE_MAX ? names[s] : "unknown";
}

const char *cw_end_reason_to_string(cw_end_reason r) {
        static const char *const names[_CW_END_REASON_MAX] = {
                [CW_END_UNKNOWN] = "unknown",
                [CW_END_HANGUP] = "hangup",
                [CW_END_REFUSED_OR_BUSY] = "refused-or-busy",
                [CW_END_ERROR] = "error",
                [CW_END_MODEM_GONE] = "modem-gone",
                [CW_END_DAEMON_STOPPED] = "daemon-stopped",
                [CW_END_STOPPED] = "stopped",
                [CW_END_RECEIVED] = "received",
        };

        return (unsigned) r < _CW_END_REASON_MAX ? names[r] : "unknown";
}

const char *cw_call_outcome(cw_direction d, int was_answered, cw_end_reason r) {
        if (was_answered)
                return "answered";
        if (d == CW_DIRECTION_OUTGOING)
                return "unanswered";
        if (r == CW_END_REFUSED_OR_BUSY)
                return "rejected";
        return "missed";
}

cw_end_reason cw_end_reason_from_string(const char *s) {
        for (int r = 0; s && r < _CW_END_REASON_MAX; r++)
                if (strcmp(s, cw_end_reason_to_string((cw_end_reason) r)) == 0)
                        return (cw_end_reason) r;
        return CW_END_UNKNOWN;
}

const char *cw_capture_mode_to_string(cw_capture_mode m) {
        static const char *const names[_CW_CAPTURE_MODE_MAX] = {
                [CW_CAPTURE_SEPARATE] = "separate",
                [CW_CAPTURE_MIXED] = "mixed",
                [CW_CAPTURE_LOCAL_ONLY] = "local-only",
        };

        return (unsigned) m < _CW_CAPTURE_MODE_MAX ? names[m] : "separate";
}

int cw_capture_mode_from_string(const char *s, cw_capture_mode *ret) {
        for (int m = 0; s && m < _CW_CAPTURE_MODE_MAX; m++)
                if (strcmp(s, cw_capture_mode_to_string((cw_capture_mode) m)) == 0) {
                        *ret = (cw_capture_mode) m;
                        return 0;
                }
        return -EINVAL;
}
