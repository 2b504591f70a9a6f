/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Appending to the audit log from inside the catalog's own write
 * transactions, so a row and its entry commit together. Internal to
 * libcallwitness. */

#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/timestamp.h"

/* The caller holds a write transaction (BEGIN IMMEDIATE). */
int cw_audit_append_in_transaction(cw_catalog *c, const char *kind, int64_t call_id, const char *body,
                                   const cw_timestamp *at);
/* A "call" entry holding the call's row as it is now. */
int cw_audit_log_call(cw_catalog *c, int64_t call_id, const cw_timestamp *at);
/* A "message" entry holding the message's row (its data as hex). */
int cw_audit_log_message(cw_catalog *c, int64_t call_id, const cw_timestamp *at);
/* A "clock" entry holding the call's clock check. */
int cw_audit_log_clock(cw_catalog *c, int64_t call_id, const cw_timestamp *at);
/* The same for a catalog being migrated to schema 3, whose calls have no
 * kind and label yet. */
int cw_audit_adopt_call(cw_catalog *c, int64_t call_id, const cw_timestamp *at);
/* A "recording" entry holding the call's recording row (file, size, sha256,
 * duration_ms, capture_mode). */
int cw_audit_log_recording(cw_catalog *c, int64_t call_id, const cw_timestamp *at);
