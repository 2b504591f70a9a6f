/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app's list model without a display: newest first, day headings,
 * filters, search, what a reload tells the list, and a catalog of 10,000
 * calls loaded in one pass. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/catalog.h"
#include "callwitness/review.h"
#include "calls-model.h"
#include "tap.h"

/* 2026-11-24 23:40 in Shanghai. */
#define NIGHT_MS 1795534800000LL
#define AT(ms) (&(cw_timestamp) { .utc_ms = (ms), .utc_offset_s = 28800 })

static int64_t add_call(cw_catalog *c, int64_t at_ms, const char *number, bool answer) {
        int64_t id = 0;

        cw_catalog_add_call(c, &(cw_call_start) {
                .backend = "modemmanager", .modem_call_id = "/Call/1", .direction = CW_DIRECTION_INCOMING,
                .number = number, .state = CW_CALL_RINGING, .appeared = *AT(at_ms) }, &id);
        if (answer)
                cw_catalog_add_state(c, id, CW_CALL_ACTIVE, CW_END_UNKNOWN, AT(at_ms + 5000));
        cw_catalog_add_state(c, id, CW_CALL_ENDED, CW_END_HANGUP, AT(at_ms + 65000));
        return id;
}

typedef struct changes {
        guint position, removed, added, calls;
} changes;

static void on_items_changed(GListModel *list, guint position, guint removed, guint added, gpointer userdata) {
        changes *seen = userdata;

        *seen = (changes) { position, removed, added, seen->calls + 1 };
}

static CwCallItem *item_at(CwCallsModel *model, guint position) {
        return g_list_model_get_item(G_LIST_MODEL(model), position);
}

int main(void) {
        char dir[64], path[256];
        cw_catalog *c;
        CwCallsModel *model = cw_calls_model_new();
        changes seen = { 0 };
        CwCallItem *item;
        int64_t first, second, third;
        gint64 started;
        double elapsed_ms;
        int loaded;

        /* tmpfs where there is one: 30,000 synced commits below. */
        snprintf(dir, sizeof dir, "%s/cw-test-model-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
                return 1;
        snprintf(path, sizeof path, "%s/catalog.db", dir);
        if (cw_catalog_open(path, AT(NIGHT_MS), &c) < 0)
                return 1;
        first = add_call(c, NIGHT_MS, "+8613800138000", true);
        second = add_call(c, NIGHT_MS + 3600000, "+8613700137000", false);
        third = add_call(c, NIGHT_MS + 86400000, NULL, true);
        cw_catalog_set_policy_tag(c, first, &(cw_tag) { .name = "night", .reason = "at 23:40" });
        cw_review_add_note(c, second, "Threatened to call my EMPLOYER", AT(NIGHT_MS + 7200000));
        cw_review_set_identity(c, first, "QuickCash", "A-1024", NULL, AT(NIGHT_MS + 7200000));

        g_signal_connect(model, "items-changed", G_CALLBACK(on_items_changed), &seen);
        ok(cw_calls_model_load(model, c) == 0, "loads");
        ok(g_list_model_get_n_items(G_LIST_MODEL(model)) == 3, "three calls");
        ok(seen.calls == 1 && seen.position == 0 && seen.removed == 0 && seen.added == 3, "the list is told once");

        item = item_at(model, 0);
        ok(cw_call_item_get_id(item) == third, "newest first");
        ok(strcmp(cw_call_item_get_title(item), "Withheld number") == 0, "a withheld number says so");
        ok(cw_call_item_get_starts_day(item), "the newest starts its day");
        ok(strcmp(cw_call_item_get_day(item), "Wednesday, 25 November 2026") == 0, "day in local time: %s",
           cw_call_item_get_day(item));
        g_object_unref(item);
        item = item_at(model, 1);
        ok(cw_call_item_get_id(item) == second, "then the missed call");
        ok(strcmp(cw_call_item_get_icon_name(item), "call-missed-symbolic") == 0, "missed icon");
        ok(strstr(cw_call_item_get_subtitle(item), "missed") != NULL, "missed: %s", cw_call_item_get_subtitle(item));
        /* 00:40 on the 25th local time: the same day as the newest. */
        ok(!cw_call_item_get_starts_day(item), "same local day as the call above: no heading");
        g_object_unref(item);
        item = item_at(model, 2);
        ok(strcmp(cw_call_item_get_title(item), "QuickCash (+8613800138000)") == 0, "who called, then the number: %s",
           cw_call_item_get_title(item));
        ok(strcmp(cw_call_item_get_subtitle(item), "23:40 · 1:00") == 0, "local time and duration: %s",
           cw_call_item_get_subtitle(item));
        ok(cw_call_item_get_starts_day(item), "the 24th starts its day");
        ok(cw_call_item_get_tags(item)[0] && strcmp(cw_call_item_get_tags(item)[0], "night") == 0 &&
           !cw_call_item_get_tags(item)[1], "its tag");
        g_object_unref(item);
        ok(g_list_model_get_item(G_LIST_MODEL(model), 3) == NULL, "nothing past the end");

        cw_calls_model_set_filter(model, CW_CALLS_TAGGED);
        ok(g_list_model_get_n_items(G_LIST_MODEL(model)) == 1, "tagged: one");
        cw_calls_model_set_filter(model, CW_CALLS_MISSED);
        ok(g_list_model_get_n_items(G_LIST_MODEL(model)) == 1 && cw_calls_model_find(model, second) == 0, "missed: one");
        cw_calls_model_set_filter(model, CW_CALLS_MESSAGES);
        ok(g_list_model_get_n_items(G_LIST_MODEL(model)) == 0 && cw_calls_model_get_total(model) == 3,
           "no texts, three in all");
        cw_calls_model_set_filter(model, CW_CALLS_ALL);
        cw_calls_model_set_search(model, "employer");
        ok(g_list_model_get_n_items(G_LIST_MODEL(model)) == 1 && cw_calls_model_find(model, second) == 0,
           "search finds a note, whatever its case");
        cw_calls_model_set_search(model, "quickcash");
        ok(cw_calls_model_find(model, first) == 0, "and who called");
        cw_calls_model_set_search(model, "13700");
        ok(cw_calls_model_find(model, second) == 0 && cw_calls_model_find(model, first) == G_MAXUINT, "and a number");
        cw_calls_model_set_search(model, "");

        /* A new call: one row at the top, nothing else touched. */
        seen.calls = 0;
        add_call(c, NIGHT_MS + 2 * 86400000, "+8613900139000", false);
        ok(cw_calls_model_load(model, c) == 0, "reloads");
        ok(seen.calls == 1 && seen.position == 0 && seen.removed == 0 && seen.added == 1,
           "a new call is one row added at the top (%u, -%u, +%u)", seen.position, seen.removed, seen.added);
        seen.calls = 0;
        ok(cw_calls_model_load(model, c) == 0 && seen.calls == 0, "nothing changed: the list is not told");
        /* A second tag on a tagged call: its row is told, whatever the filter. */
        cw_catalog_set_policy_tag(c, first, &(cw_tag) { .name = "burst", .reason = "three in an hour" });
        ok(cw_calls_model_load(model, c) == 0 && seen.calls == 1 && seen.removed == 1 && seen.added == 1 &&
           seen.position == 3, "a second tag: its row again (%u, -%u, +%u)", seen.position, seen.removed, seen.added);
        seen.calls = 0;
        /* A new call the same local day as the newest: the heading moves up. */
        add_call(c, NIGHT_MS + 2 * 86400000 + 60000, "+8613900139001", false);
        ok(cw_calls_model_load(model, c) == 0 && seen.calls == 1 && seen.position == 0 && seen.removed == 1 &&
           seen.added == 2, "a new call on the same day: the old top row told too (%u, -%u, +%u)", seen.position,
           seen.removed, seen.added);
        item = item_at(model, 1);
        ok(!cw_call_item_get_starts_day(item), "only the new top row has the day heading");
        g_object_unref(item);
        seen.calls = 0;
        cw_review_add_note(c, first, "second note", AT(NIGHT_MS + 7300000));
        cw_catalog_set_policy_tag(c, second, &(cw_tag) { .name = "burst", .reason = "three in an hour" });
        /* (The note changes nothing the row shows.) */
        loaded = cw_calls_model_load(model, c);
        ok(loaded == 0 && seen.calls == 1 && seen.position == 3 && seen.removed == 1 && seen.added == 1,
           "a note and a tag since: the tagged row alone (%u, -%u, +%u)", seen.position, seen.removed, seen.added);

        /* 10,000 calls in one pass. */
        for (int i = 0; i < 10000; i++)
                add_call(c, NIGHT_MS - (int64_t) (i + 1) * 600000, "+8613800000000", i % 2);
        started = g_get_monotonic_time();
        loaded = cw_calls_model_load(model, c);
        elapsed_ms = (double) (g_get_monotonic_time() - started) / 1000;
        ok(loaded == 0 && g_list_model_get_n_items(G_LIST_MODEL(model)) == 10005, "10,005 calls listed (%.0f ms)",
           elapsed_ms);
        item = item_at(model, 10004);
        ok(item && cw_call_item_get_id(item) > third, "the oldest last");
        g_clear_object(&item);

        g_object_unref(model);
        cw_catalog_free(c);
        snprintf(path, sizeof path, "rm -rf '%s'", dir);
        if (system(path) != 0)
                return 1;
        return tap_done();
}
