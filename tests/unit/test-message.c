/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/message.h"
#include "callwitness/text.h"
#include "tap.h"

static char dir[] = "/tmp/test-message-XXXXXX";
static char db_path[256];

static cw_message_in threat(void) {
        return (cw_message_in) {
                .backend = "modemmanager", .modem_message_id = "/org/freedesktop/ModemManager1/SMS/3",
                .sender = "+8613800138000", .sent_reported = "2026-11-24T23:40:05+08", .smsc = "+8613800250500",
                .text = "pay today", .complete = true, .receipt_known = true,
                .seen = { .utc_ms = 1795534806000, .utc_offset_s = 8 * 3600 },
        };
}

static void canonical_text_is_documented(void) {
        cw_message_in m = threat();
        char hex[CW_SHA256_HEX_LEN + 1], other[CW_SHA256_HEX_LEN + 1];

        /* printf 'callwitness-message-v1\nsender:14:+8613800138000\nsent:22:2026-11-24T23:40:05+08\n'\
         * 'smsc:14:+8613800250500\ntext:9:pay today\ndata:0:\n' | sha256sum */
        ok(cw_message_sha256(&m, hex) == 0 &&
           strcmp(hex, "7dc1f618421988b2583cb237ede4c98a3c95d8239b85a0a81a8d41ccc896c2f5") == 0,
           "the hash of the README's canonical text (%s)", hex);
        m.seen.utc_ms += 60000;
        m.receipt_known = false;
        ok(cw_message_sha256(&m, other) == 0 && strcmp(hex, other) == 0, "when it was read is not in the hash");
        m.text = "pay today\ndata:0:";
        ok(cw_message_sha256(&m, other) == 0 && strcmp(hex, other) != 0, "a text that looks like a field is not one");
        m = threat();
        m.data = (const unsigned char *) "\x01\x02";
        m.data_len = 2;
        ok(cw_message_sha256(&m, other) == 0 && strcmp(hex, other) != 0, "binary data is in the hash");
}

static void network_times(void) {
        cw_timestamp ts;

        ok(cw_message_parse_network_time("2026-11-24T23:40:05+08", &ts) == 0 && ts.utc_ms == 1795534805000 &&
           ts.utc_offset_s == 28800, "ModemManager's ISO 8601");
        ok(cw_message_parse_network_time("26/11/24,23:40:05+32", &ts) == 0 && ts.utc_ms == 1795534805000 &&
           ts.utc_offset_s == 28800, "27.005's text-mode time stamp, zone in quarters");
        ok(cw_message_parse_network_time("26/11/24,23:40:05-14", &ts) == 0 && ts.utc_offset_s == -12600,
           "a zone west of UTC (-03:30)");
        ok(cw_message_parse_network_time("26/13/24,23:40:05+32", &ts) < 0, "month 13 refused");
        ok(cw_message_parse_network_time("26/11/24,23:40:05+32x", &ts) < 0, "trailing text refused");
        ok(cw_message_parse_network_time(NULL, &ts) < 0, "none");
        ok(cw_message_parse_network_time("26/02/29,10:00:00+32", &ts) < 0, "29 February of 2026 refused, not moved on");
        ok(cw_message_parse_network_time("28/02/29,10:00:00+32", &ts) == 0, "29 February of 2028 taken");
        ok(cw_message_parse_network_time("26/11/24,23:40:60+32", &ts) < 0, "second 60 refused");
        ok(cw_message_parse_network_time("+6/+1/+2,+1:+1:+1++8", &ts) < 0, "signs inside refused");
        ok(cw_message_parse_network_time(" 6/11/24,23:40:05+32", &ts) < 0, "blanks refused");
        ok(cw_message_parse_network_time("2026-02-30T10:00:00+08", &ts) < 0, "30 February in ISO 8601 refused");
}

static void stored_once(void) {
        cw_catalog *c = NULL;
        cw_message_in m = threat();
        int64_t first = 0, again = 0, deleted = 0;
        bool duplicate = true;

        cw_catalog_open(db_path, &m.seen, &c);
        ok(cw_catalog_add_message(c, &m, "86", &first, &duplicate) == 0 && first > 0 && !duplicate, "stored");
        m.modem_message_id = "/org/freedesktop/ModemManager1/SMS/0";   /* found stored at a restart */
        m.receipt_known = false;
        m.may_repeat = true;
        ok(cw_catalog_add_message(c, &m, "86", &again, &duplicate) == 0 && again == first && duplicate,
           "seen again (a restart, a listing): the same row");
        m.may_repeat = false;
        m.receipt_known = true;
        ok(cw_catalog_add_message(c, &m, "86", &again, &duplicate) == 0 && again > first && !duplicate,
           "the same text delivered again (oFono, a fresh arrival) is a second message");
        m = (cw_message_in) { .backend = "modemmanager", .modem_message_id = "/SMS/4", .deleted_before_read = true,
                              .seen = m.seen };
        ok(cw_catalog_add_message(c, &m, "86", &deleted, &duplicate) == 0 && deleted > first && !duplicate,
           "one deleted before it was read is a row too");
        ok(cw_catalog_add_message(c, &m, "86", &again, &duplicate) == 0 && again > deleted,
           "incomplete ones are never taken for each other");
        cw_catalog_free(c);
}

int main(void) {
        if (!mkdtemp(dir))
                return 1;
        snprintf(db_path, sizeof db_path, "%s/catalog.db", dir);
        canonical_text_is_documented();
        network_times();
        stored_once();
        {
                char cleanup[400];

                snprintf(cleanup, sizeof cleanup, "rm -rf %s", dir);
                if (system(cleanup) != 0)
                        return 1;
        }
        return tap_done();
}
