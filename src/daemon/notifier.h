/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Desktop notifications through org.freedesktop.Notifications on the
 * session bus. Best effort: no session bus, or no notification daemon on
 * it, is not an error — the warning is in the log and the catalog anyway. */

#include <pulse/mainloop-api.h>

typedef struct cw_notifier cw_notifier;

/* Never fails for want of a bus; only -ENOMEM. */
int cw_notifier_new(pa_mainloop_api *api, cw_notifier **ret);
cw_notifier *cw_notifier_free(cw_notifier *n);

/* Sends without waiting for an answer. */
void cw_notifier_send(cw_notifier *n, const char *summary, const char *body);
