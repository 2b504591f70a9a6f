/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The app's timeline as a GListModel, newest first: one small entry per
 * call read from the catalog in one pass, and an item object made only for
 * the rows a list shows (a catalog of 10,000 calls makes no 10,000
 * widgets). Needs no display. */

#include <gio/gio.h>
#include <stdint.h>

#include "callwitness/catalog.h"

G_BEGIN_DECLS

typedef enum {
        CW_CALLS_ALL,
        CW_CALLS_TAGGED,
        CW_CALLS_MISSED,
        CW_CALLS_MESSAGES,
        CW_CALLS_ENCOUNTERS,
} CwCallsFilter;

#define CW_TYPE_CALL_ITEM (cw_call_item_get_type())
G_DECLARE_FINAL_TYPE(CwCallItem, cw_call_item, CW, CALL_ITEM, GObject)

int64_t cw_call_item_get_id(CwCallItem *item);
/* Who called as the person knows them: the identity given, else the
 * number, else "Withheld number"; a visit's label. */
const char *cw_call_item_get_title(CwCallItem *item);
/* Local time as recorded, then the duration or the outcome. */
const char *cw_call_item_get_subtitle(CwCallItem *item);
/* The local day as recorded, e.g. "Tuesday, 24 November 2026". */
const char *cw_call_item_get_day(CwCallItem *item);
const char *cw_call_item_get_icon_name(CwCallItem *item);
/* NULL-terminated tag names. */
const char *const *cw_call_item_get_tags(CwCallItem *item);
gboolean cw_call_item_get_has_warnings(CwCallItem *item);
/* The first item of its day in the list as filtered: shows the day. */
gboolean cw_call_item_get_starts_day(CwCallItem *item);

#define CW_TYPE_CALLS_MODEL (cw_calls_model_get_type())
G_DECLARE_FINAL_TYPE(CwCallsModel, cw_calls_model, CW, CALLS_MODEL, GObject)

CwCallsModel *cw_calls_model_new(void);
/* Reads every call, message and encounter again: 0 or -errno. The items
 * the list shows are replaced (items-changed) only where they differ. */
int cw_calls_model_load(CwCallsModel *model, cw_catalog *catalog);
void cw_calls_model_set_filter(CwCallsModel *model, CwCallsFilter filter);
/* Case-insensitive, in the number, who called, notes, label and text. */
void cw_calls_model_set_search(CwCallsModel *model, const char *text);
/* The position of a call in the list as filtered, or G_MAXUINT. */
guint cw_calls_model_find(CwCallsModel *model, int64_t id);
/* How many entries the catalog had, whatever the filter. */
guint cw_calls_model_get_total(CwCallsModel *model);

G_END_DECLS
