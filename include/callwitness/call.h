/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The vocabulary every part shares to talk about a call. Modem backends map
 * their own enums onto these; the catalog stores the string forms. */

typedef enum cw_direction {
        CW_DIRECTION_UNKNOWN,
        CW_DIRECTION_INCOMING,
        CW_DIRECTION_OUTGOING,
} cw_direction;

typedef enum cw_call_state {
        CW_CALL_RINGING,     /* incoming, not answered yet */
        CW_CALL_WAITING,     /* incoming while another call is active */
        CW_CALL_DIALING,     /* outgoing, the other side not answered yet */
        CW_CALL_ACTIVE,
        CW_CALL_HELD,
        CW_CALL_ENDED,
        _CW_CALL_STATE_MAX,
} cw_call_state;

/* Why a call ended, as far as the modem tells. */
typedef enum cw_end_reason {
        CW_END_UNKNOWN,
        CW_END_HANGUP,           /* normal release, either side */
        CW_END_REFUSED_OR_BUSY,
        CW_END_ERROR,
        CW_END_MODEM_GONE,       /* the modem service vanished mid-call */
        CW_END_DAEMON_STOPPED,   /* callwitnessd stopped or crashed mid-call */
        CW_END_STOPPED,          /* an encounter the user stopped */
        CW_END_RECEIVED,         /* a message: it is whole when it arrives */
        _CW_END_REASON_MAX,
} cw_end_reason;

/* What a row of the catalog records: a phone call, or an encounter (a
 * visit at the door) recorded from the microphone on the user's request. */
typedef enum cw_record_kind {
        CW_KIND_CALL,
        CW_KIND_ENCOUNTER,
        CW_KIND_MESSAGE,         /* a text message received */
        _CW_KIND_MAX,
} cw_record_kind;

const char *cw_record_kind_to_string(cw_record_kind k);     /* "call", "encounter", "message" */
cw_record_kind cw_record_kind_from_string(const char *s);  /* CW_KIND_CALL when unknown */

const char *cw_direction_to_string(cw_direction d);      /* "incoming", "outgoing", "unknown" */
cw_direction cw_direction_from_string(const char *s);
const char *cw_call_state_to_string(cw_call_state s);
const char *cw_end_reason_to_string(cw_end_reason r);
cw_end_reason cw_end_reason_from_string(const char *s);

/* What became of a call, for the person reading the list: "answered",
 * "missed" (incoming, never active), "rejected" (incoming, refused),
 * "unanswered" (outgoing, never active). */
const char *cw_call_outcome(cw_direction d, int was_answered, cw_end_reason r);

/* What a recording holds. */
typedef enum cw_capture_mode {
        CW_CAPTURE_SEPARATE,     /* stereo: left the local side, right the remote */
        CW_CAPTURE_MIXED,        /* mono: one source that carries both voices */
        CW_CAPTURE_LOCAL_ONLY,   /* mono: the other party was not captured */
        _CW_CAPTURE_MODE_MAX,
} cw_capture_mode;

const char *cw_capture_mode_to_string(cw_capture_mode m);   /* "separate", "mixed", "local-only" */
/* Returns 0 or -EINVAL. */
int cw_capture_mode_from_string(const char *s, cw_capture_mode *ret);

/* The number the catalog keeps for a call whose caller ID is hidden. */
#define CW_NUMBER_WITHHELD "withheld"
