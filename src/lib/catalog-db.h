/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The catalog's sqlite handle and the small helpers every part of the
 * catalog (calls, audit log, review) uses. Internal to libcallwitness. */

#include <sqlite3.h>
#include <stdbool.h>

#include "callwitness/catalog.h"
#include "callwitness/timestamp.h"

struct cw_catalog {
        sqlite3 *db;
};

/* An sqlite result code as -errno (0 for OK, DONE and ROW). */
int cw_db_errno(int rc);
int cw_db_exec(cw_catalog *c, const char *sql);
/* Prepares sql and binds the arguments described by types ('i' int64, 'n'
 * int64 or NULL for INT64_MIN, 't' text or NULL, 'b' a blob as pointer and
 * size_t, NULL for a NULL pointer). With ret, hands back the statement to step; without, runs
 * it once. 0 or -errno. */
int cw_db_run(cw_catalog *c, sqlite3_stmt **ret, const char *sql, const char *types, ...);

/* 0 when the call's row is there, -ENOENT when not, or the error. */
int cw_db_call_exists(cw_catalog *c, int64_t call_id);

/* Ends the caller's write transaction: COMMIT when r is 0, else ROLLBACK
 * and r. */
int cw_db_commit_or_rollback(cw_catalog *c, int r);

/* cw_catalog_add_call() inside the caller's write transaction; reason is
 * the end reason when start->state is CW_CALL_ENDED. */
int cw_catalog_add_call_in_transaction(cw_catalog *c, const cw_call_start *start, cw_end_reason reason,
                                       int64_t *id_ret);

/* A (ms, offset) column pair; false when NULL. */
bool cw_db_column_timestamp(sqlite3_stmt *stmt, int column, cw_timestamp *ret);
const char *cw_db_column_text(sqlite3_stmt *stmt, int column);
