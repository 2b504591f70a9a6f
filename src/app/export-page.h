/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The page that exports calls as an evidence bundle: which calls (the
 * tagged ones, the call shown, all), folder or zip, the report's language,
 * then where the bundle is, its size and the line a recipient runs to
 * check it. The bundle is written by `callwitness export` in a process of
 * its own: zipping a long call takes seconds, and the report's language
 * is a whole process's. This phone's key is shown. */

#include <gtk/gtk.h>
#include <stdint.h>

G_BEGIN_DECLS

/* done: an export ended; message says how, for a toast. */
GtkWidget *cw_export_page_new(void (*done)(const char *message, void *userdata), void *userdata);
/* The call the "this call" choice means (0: none). */
void cw_export_page_set_call(GtkWidget *page, int64_t id);
/* selection: "tagged", "call" or "all"; format: "folder" or "zip". */
void cw_export_page_choose(GtkWidget *page, const char *selection, const char *format);
void cw_export_page_start(GtkWidget *page);
/* The report's language: "phone", or en, es, zh_CN; FALSE for another. */
gboolean cw_export_page_set_language(GtkWidget *page, const char *code);

G_END_DECLS
