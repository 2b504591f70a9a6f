/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the Preferences page's lists of things kept in the catalog
 * (collectors, rules for numbers) are made of: a row per thing with a
 * button that removes it, and a row that says how the last change went. */

#include <adwaita.h>

G_BEGIN_DECLS

/* A row titled title (never markup) with a remove button labelled
 * remove_label; a tap calls on_remove(title, userdata). Added to group and
 * to rows. */
void cw_removable_row_add(GtkWidget *group, GPtrArray *rows, const char *title, const char *subtitle,
                          const char *remove_label, void (*on_remove)(const char *title, gpointer userdata),
                          gpointer userdata);
/* Takes the rows out of group. */
void cw_removable_rows_clear(GtkWidget *group, GPtrArray *rows);
/* Whether one of rows has this title. */
gboolean cw_removable_rows_has(GPtrArray *rows, const char *title);

/* A row, hidden until cw_outcome_row_show(), added to group. */
AdwActionRow *cw_outcome_row_new(GtkWidget *group);
void cw_outcome_row_show(AdwActionRow *row, const char *title, const char *detail);

G_END_DECLS
