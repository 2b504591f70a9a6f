/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The page that says whether calls are being recorded: whether
 * callwitnessd runs and what it is doing (its session-bus API, followed
 * as it changes), the device profile and capture mode it uses, its last
 * warnings, and a button that runs `callwitness doctor` and shows its
 * verdict in its own plain words. */

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWidget *cw_status_page_new(void);
/* Runs the capture check, as the page's button does. */
void cw_status_page_check(GtkWidget *page);

G_END_DECLS
