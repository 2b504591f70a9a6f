/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Text messages as evidence. A received message is a row of calls (kind
 * "message": one timeline, tags, notes and exports with the calls) and a
 * row of messages with what the network delivered, hashed over a canonical
 * text anyone can rebuild (README: "Text messages"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/hash.h"

/* A message as a modem backend saw it. Strings may be NULL: not reported. */
typedef struct cw_message_in {
        const char *backend;            /* "modemmanager", "ofono" */
        const char *modem_message_id;   /* the backend's object path or id */
        const char *sender;             /* as reported */
        const char *sent_reported;      /* the network's time stamp, verbatim */
        const char *smsc;
        const char *text;
        const unsigned char *data;      /* a binary message's bytes */
        size_t data_len;
        bool complete;                  /* read whole: every part received */
        bool deleted_before_read;       /* another program deleted it before it was read */
        bool receipt_known;             /* seen as it arrived (not found already stored) */
        /* This reading may be of a message read before: one found stored
         * (a restart, a listing), or one ModemManager announces again
         * after it restarted. A fresh delivery without it is always kept,
         * even if its text is the same as an earlier one's. */
        bool may_repeat;
        cw_timestamp seen;              /* the phone's time callwitnessd read it */
} cw_message_in;

/* The canonical text's SHA-256: "callwitness-message-v1\n" then, for
 * sender, sent, smsc, text and data (lowercase hex), "NAME:LENGTH:VALUE\n"
 * with LENGTH the value's bytes in decimal (a field not reported is empty).
 * The phone's time is not in it: the same message read twice gives the
 * same hash. */
int cw_message_sha256(const cw_message_in *m, char hex[static CW_SHA256_HEX_LEN + 1]);

/* The network's time stamp as ModemManager or oFono reports it: ISO 8601
 * ("2026-11-24T23:40:05+08"), or, from a modem in text mode, 27.005's
 * "26/11/24,23:40:05+32" (the zone in quarters of an hour). 0 or -EINVAL. */
int cw_message_parse_network_time(const char *text, cw_timestamp *ret);

/* Adds a received message: its row of calls (ended when received, reason
 * "received"), its row of messages and their audit entries, in one
 * transaction. A complete message that may_repeat and is already in the
 * catalog (the same hash) is not added again: *duplicate is set and
 * *id_ret is the earlier one. country_code: for the sender's canonical
 * form (number.h). */
int cw_catalog_add_message(cw_catalog *c, const cw_message_in *m, const char *country_code, int64_t *id_ret,
                           bool *duplicate);
