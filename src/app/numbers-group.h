/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The rules for numbers, on the Preferences page: never record a number
 * (family, a doctor: the call keeps its catalog row, without a file),
 * always record it, or give it a label (what `callwitness rule` does).
 * Each change is written to the catalog as the CLI writes it: audited,
 * with every call judged again when what is recorded changes. */

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWidget *cw_numbers_group_new(void);
/* Reads the rules from the catalog again. */
void cw_numbers_group_load(GtkWidget *group);
/* For the tests, as fingers would: types into "rule-number" or
 * "rule-label", or chooses the "rule-kind" ("never-record",
 * "always-record", "label"). FALSE when there is no such field or choice. */
gboolean cw_numbers_group_type(GtkWidget *group, const char *field, const char *text);
/* "add-rule" saves what the form holds; "remove-rule NUMBER" taps that
 * rule's remove button (NUMBER as the list shows it, canonical). FALSE
 * when there is no such thing. */
gboolean cw_numbers_group_apply(GtkWidget *group, const char *what);

G_END_DECLS
