/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>

#include "callwitness/log.h"
#include "catalog-db.h"

int cw_db_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
                return -EBADMSG;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        default:
                return -EIO;
        }
}

int cw_db_exec(cw_catalog *c, const char *sql) {
        int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

        if (rc != SQLITE_OK)
                cw_log_debug("catalog: %s: %s", sql, sqlite3_errmsg(c->db));
        return cw_db_errno(rc);
}

int cw_db_run(cw_catalog *c, sqlite3_stmt **ret, const char *sql, const char *types, ...) {
        sqlite3_stmt *stmt = NULL;
        va_list ap;
        int rc, index = 1;

        rc = sqlite3_prepare_v2(c->db, sql, -1, &stmt, NULL);
        if (rc != SQLITE_OK) {
                cw_log_debug("catalog: prepare: %s", sqlite3_errmsg(c->db));
                return cw_db_errno(rc);
        }
        va_start(ap, types);
        for (const char *t = types; *t && rc == SQLITE_OK; t++, index++) {
                if (*t == 'i')
                        rc = sqlite3_bind_int64(stmt, index, va_arg(ap, int64_t));
                else if (*t == 'n') {
                        int64_t value = va_arg(ap, int64_t);

                        rc = value == INT64_MIN ? sqlite3_bind_null(stmt, index) : sqlite3_bind_int64(stmt, index, value);
                } else if (*t == 'b') {
                        const void *blob = va_arg(ap, const void *);
                        size_t size = va_arg(ap, size_t);

                        rc = blob && size <= INT32_MAX ? sqlite3_bind_blob(stmt, index, blob, (int) size, SQLITE_TRANSIENT)
                                                       : sqlite3_bind_null(stmt, index);
                }
                else if (*t == 't') {
                        const char *text = va_arg(ap, const char *);

                        rc = text ? sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT)
                                  : sqlite3_bind_null(stmt, index);
                }
        }
        va_end(ap);
        if (rc != SQLITE_OK) {
                sqlite3_finalize(stmt);
                return cw_db_errno(rc);
        }
        if (ret) {
                *ret = stmt;
                return 0;
        }
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE)
                cw_log_debug("catalog: step: %s", sqlite3_errmsg(c->db));
        sqlite3_finalize(stmt);
        return rc == SQLITE_DONE ? 0 : cw_db_errno(rc);
}

bool cw_db_column_timestamp(sqlite3_stmt *stmt, int column, cw_timestamp *ret) {
        if (sqlite3_column_type(stmt, column) == SQLITE_NULL)
                return false;
        *ret = (cw_timestamp) {
                .utc_ms = sqlite3_column_int64(stmt, column),
                .utc_offset_s = sqlite3_column_int(stmt, column + 1),
        };
        return true;
}

const char *cw_db_column_text(sqlite3_stmt *stmt, int column) {
        return (const char *) sqlite3_column_text(stmt, column);
}

int cw_db_call_exists(cw_catalog *c, int64_t call_id) {
        sqlite3_stmt *stmt;
        int r = cw_db_run(c, &stmt, "SELECT 1 FROM calls WHERE id = ?", "i", call_id), rc;

        if (r < 0)
                return r;
        rc = sqlite3_step(stmt);
        sqlite3_finalize(stmt);
        return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : cw_db_errno(rc);
}

int cw_db_commit_or_rollback(cw_catalog *c, int r) {
        if (r < 0) {
                cw_db_exec(c, "ROLLBACK");
                return r;
        }
        return cw_db_exec(c, "COMMIT");
}
