/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The collectors, on the Preferences page: a company's name for the
 * numbers it calls from, so that its calls are counted together by the
 * frequency rules (what `callwitness collector` does). Each change is
 * written to the catalog as the CLI writes it: audited, with every call
 * judged again in the same transaction. */

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWidget *cw_collectors_group_new(void);
/* Reads the collectors from the catalog again. */
void cw_collectors_group_load(GtkWidget *group);
/* For the tests, as fingers would: types into "collector" (the company) or
 * "collector-numbers". FALSE when there is no such field. */
gboolean cw_collectors_group_type(GtkWidget *group, const char *field, const char *text);
/* "add-collector" adds what the two fields hold; "remove-collector NAME"
 * taps that collector's remove button. FALSE when there is no such thing. */
gboolean cw_collectors_group_apply(GtkWidget *group, const char *what);

G_END_DECLS
