/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timex.h>

#include "audit-db.h"
#include "callwitness/clock.h"
#include "catalog-db.h"

#define _(text) gettext(text)

int cw_clock_synchronized(void) {
        struct timex tx = { .modes = 0 };
        int state = ntp_adjtime(&tx);

        if (state < 0)
                return -errno;
        /* TIME_ERROR is what the kernel answers while STA_UNSYNC is set. */
        return state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

int cw_catalog_set_clock_check(cw_catalog *c, int64_t call_id, const cw_clock_check *check) {
        int r = cw_db_exec(c, "BEGIN IMMEDIATE");

        if (r < 0)
                return r;
        r = cw_db_call_exists(c, call_id);
        if (r == 0)
                r = cw_db_run(c, NULL,
                      "INSERT INTO clock_checks (call_id, synced, network_reported, network_offset_ms, at_ms, offset_s)"
                      " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING",
                      "intnii", call_id, check->synced < 0 ? INT64_MIN : (int64_t) check->synced,
                      check->network_reported, check->network_reported ? check->network_offset_ms : INT64_MIN,
                      check->at.utc_ms, (int64_t) check->at.utc_offset_s);
        /* The first check stands: it was made when the record began. */
        if (r == 0 && sqlite3_changes(c->db) == 1)
                r = cw_audit_log_clock(c, call_id, &check->at);
        return cw_db_commit_or_rollback(c, r);
}

void cw_clock_describe(int synced, const char *network, int64_t offset_ms, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s", synced > 0 ? _("the phone's clock was synchronized (NTP)")
                                          : synced == 0 ? _("the phone's clock was not synchronized")
                                                        : _("whether the phone's clock was synchronized is not known"));
        size_t len = n > 0 && (size_t) n < size ? (size_t) n : size - 1;

        if (!network)
                snprintf(buf + len, size - len, "%s", _("; no modem told the network's time"));
        else if (offset_ms == INT64_MIN)
                snprintf(buf + len, size - len, _("; the network's time was %s, the offset is not known"), network);
        else if (llabs(offset_ms) < 1000)
                snprintf(buf + len, size - len, _("; within a second of the network's time (%s)"), network);
        else
                snprintf(buf + len, size - len, offset_ms > 0 ? _("; %.1f s behind the network's time (%s)")
                                                              : _("; %.1f s ahead of the network's time (%s)"),
                         llabs(offset_ms) / 1000.0, network);
}
