/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The page that changes callwitness.conf: the quiet hours (calls that
 * start in them are tagged "night"), the collection rules, the bitrate and
 * the capture mode; and, in the catalog, the collectors and the rules for
 * numbers.
 * It keeps the rest of the person's file as written, writes only what is
 * valid, and asks a running callwitnessd to read the file again. */

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWidget *cw_prefs_page_new(void);
/* Reads callwitness.conf into the page again; what was typed and not
 * saved is replaced. */
void cw_prefs_page_load(GtkWidget *page);
/* For the tests, as fingers would: types text into "quiet-hours",
 * "bitrate", or a field of the collectors or numbers groups, or chooses
 * the "mode" ("profile", "separate", "mixed", "local-only") or the "rules"
 * (a preset's id, "auto"). FALSE when there is no such field or choice. */
gboolean cw_prefs_page_type(GtkWidget *page, const char *field, const char *text);
/* "save" saves the file's settings, as the Save button does; the
 * collectors and numbers groups take theirs. FALSE when it means nothing
 * here. */
gboolean cw_prefs_page_apply(GtkWidget *page, const char *what);
/* Checks what the page holds for the file and saves it. */
void cw_prefs_page_save(GtkWidget *page);

G_END_DECLS
