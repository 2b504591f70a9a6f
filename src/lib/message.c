/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit-db.h"
#include "callwitness/message.h"
#include "callwitness/number.h"
#include "catalog-db.h"

static void put_field(FILE *f, const char *name, const char *value, size_t len) {
        fprintf(f, "%s:%zu:", name, len);
        fwrite(value, 1, len, f);
        fputc('\n', f);
}

int cw_message_sha256(const cw_message_in *m, char hex[static CW_SHA256_HEX_LEN + 1]) {
        const char *fields[] = { m->sender, m->sent_reported, m->smsc, m->text };
        static const char *const names[] = { "sender", "sent", "smsc", "text" };
        char *text = NULL, *data = cw_hex_encode(m->data, m->data_len);
        size_t size = 0;
        FILE *f;
        int r;

        if (!data || !(f = open_memstream(&text, &size))) {
                free(data);
                return -ENOMEM;
        }
        fputs("callwitness-message-v1\n", f);
        for (size_t i = 0; i < 4; i++)
                put_field(f, names[i], fields[i] ? fields[i] : "", fields[i] ? strlen(fields[i]) : 0);
        put_field(f, "data", data, strlen(data));
        free(data);
        if (fclose(f) != 0) {
                free(text);
                return -ENOMEM;
        }
        r = cw_sha256_buffer(text, size, hex);
        free(text);
        return r;
}

/* n digits at text; -1 when they are not all digits. */
static int digits(const char *text, int n) {
        int value = 0;

        for (int i = 0; i < n; i++) {
                if (text[i] < '0' || text[i] > '9')
                        return -1;
                value = value * 10 + text[i] - '0';
        }
        return value;
}

int cw_message_parse_network_time(const char *text, cw_timestamp *ret) {
        int year, month, day, hour, minute, second, quarters;
        size_t len = text ? strlen(text) : 0;
        struct tm tm;

        if (!text)
                return -EINVAL;
        if (cw_timestamp_parse_rfc3339(text, ret) == 0)
                return 0;
        /* "yy/MM/dd,hh:mm:ss±zz" exactly (27.005 3.3.1): no blanks, no
         * signs inside, a real date. */
        if ((len != 19 && len != 20) || text[2] != '/' || text[5] != '/' || text[8] != ',' || text[11] != ':' ||
            text[14] != ':' || (text[17] != '+' && text[17] != '-'))
                return -EINVAL;
        year = digits(text, 2);
        month = digits(text + 3, 2);
        day = digits(text + 6, 2);
        hour = digits(text + 9, 2);
        minute = digits(text + 12, 2);
        second = digits(text + 15, 2);
        quarters = digits(text + 18, (int) len - 18);
        if (year < 0 || !cw_timestamp_valid_date(2000 + year, month, day) || hour < 0 || hour > 23 || minute < 0 ||
            minute > 59 || second < 0 || second > 59 || quarters < 0 || quarters > 56)
                return -EINVAL;
        tm = (struct tm) { .tm_year = 100 + year, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour,
                           .tm_min = minute, .tm_sec = second };
        *ret = (cw_timestamp) { .utc_offset_s = (text[17] == '-' ? -1 : 1) * quarters * 15 * 60 };
        ret->utc_ms = ((int64_t) timegm(&tm) - ret->utc_offset_s) * 1000;
        return 0;
}

/* The earlier copy of a complete message, if any: its call id, or 0. */
static int find_copy(cw_catalog *c, const char *sha256, int64_t *id) {
        sqlite3_stmt *stmt;
        int r = cw_db_run(c, &stmt, "SELECT call_id FROM messages WHERE sha256 = ? AND complete", "t", sha256), rc;

        if (r < 0)
                return r;
        rc = sqlite3_step(stmt);
        *id = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
        sqlite3_finalize(stmt);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cw_db_errno(rc);
}

int cw_catalog_add_message(cw_catalog *c, const cw_message_in *m, const char *country_code, int64_t *id_ret,
                           bool *duplicate) {
        char sha256[CW_SHA256_HEX_LEN + 1], canonical[CW_NUMBER_MAX];
        cw_timestamp sent, at = m->seen;
        bool has_sent = cw_message_parse_network_time(m->sent_reported, &sent) == 0;
        int64_t id = 0;
        int r;

        *duplicate = false;
        r = cw_message_sha256(m, sha256);
        if (r < 0)
                return r;
        /* Found already stored: when it reached the phone is not known;
         * the network's time is the best there is. */
        if (!m->receipt_known && has_sent)
                at = sent;
        cw_number_canonical(m->sender, country_code, canonical);
        r = cw_db_exec(c, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        if (m->complete && m->may_repeat && (r = find_copy(c, sha256, &id)) == 0 && id > 0) {
                *duplicate = true;
                *id_ret = id;
                return cw_db_commit_or_rollback(c, 0);
        }
        if (r == 0)
                r = cw_catalog_add_call_in_transaction(c, &(cw_call_start) {
                        .kind = CW_KIND_MESSAGE, .backend = m->backend, .modem_call_id = m->modem_message_id,
                        .direction = CW_DIRECTION_INCOMING, .number = m->sender && m->sender[0] ? m->sender : NULL,
                        .state = CW_CALL_ENDED, .appeared = at,
                }, CW_END_RECEIVED, &id);
        if (r == 0)
                r = cw_db_run(c, NULL,
                              "INSERT INTO messages (call_id, sender, sender_canonical, sent_reported, sent_at_ms,"
                              " sent_offset_s, smsc, text, data, complete, deleted_before_read, receipt_known,"
                              " seen_at_ms, seen_offset_s, sha256)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              "ittt" "nn" "ttb" "iii" "iit",
                              id, m->sender, m->sender ? canonical : NULL, m->sent_reported,
                              has_sent ? sent.utc_ms : INT64_MIN, has_sent ? (int64_t) sent.utc_offset_s : INT64_MIN,
                              m->smsc, m->text, m->data, m->data_len, (int64_t) m->complete,
                              (int64_t) m->deleted_before_read, (int64_t) m->receipt_known, m->seen.utc_ms,
                              (int64_t) m->seen.utc_offset_s, sha256);
        if (r == 0)
                r = cw_audit_log_message(c, id, &m->seen);
        r = cw_db_commit_or_rollback(c, r);
        if (r == 0)
                *id_ret = id;
        return r;
}
