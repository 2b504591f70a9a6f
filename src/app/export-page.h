/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The page that exports calls as an evidence bundle: which calls (the
 * tagged ones, the call shown, all), folder or zip, then where the bundle
 * is, its size and the line a recipient runs to check it. The bundle is
 * written in a thread of its own (zipping a long call takes seconds) by
 * libcallwitness's cw_export(), recorded in the catalog's audit log as the
 * CLI's export is. This phone's key is shown. */

#include <gtk/gtk.h>
#include <stdint.h>

G_BEGIN_DECLS

/* done: an export ended; message says how, for a toast. */
GtkWidget *cw_export_page_new(const char *data_dir, void (*done)(const char *message, void *userdata),
                              void *userdata);
/* The call the "this call" choice means (0: none). */
void cw_export_page_set_call(GtkWidget *page, int64_t id);
/* selection: "tagged", "call" or "all"; format: "folder" or "zip". */
void cw_export_page_choose(GtkWidget *page, const char *selection, const char *format);
void cw_export_page_start(GtkWidget *page);

G_END_DECLS
