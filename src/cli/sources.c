/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <libintl.h>
#include <pulse/context.h>
#include <pulse/introspect.h>
#include <pulse/mainloop.h>
#include <pulse/timeval.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source-match.h"
#include "sources.h"

#define _(text) gettext(text)
#define MAX_SOURCES 64
#define ASK_TIMEOUT_S 5

typedef struct server_view {
        pa_mainloop *loop;
        char *default_source;
        char *default_monitor;   /* of the default sink */
        char *sources[MAX_SOURCES];
        unsigned n_sources;
        bool complete;
} server_view;

static void done(server_view *v, bool complete) {
        v->complete = complete;
        pa_mainloop_quit(v->loop, 0);
}

static void on_source(pa_context *context, const pa_source_info *info, int eol, void *userdata) {
        server_view *v = userdata;

        if (eol)
                done(v, eol > 0);
        else if (v->n_sources < MAX_SOURCES)
                v->sources[v->n_sources++] = strdup(info->name);
}

static void list_sources(pa_context *context, server_view *v) {
        pa_operation *o = pa_context_get_source_info_list(context, on_source, v);

        if (o)
                pa_operation_unref(o);
        else
                done(v, false);
}

static void on_default_sink(pa_context *context, const pa_sink_info *info, int eol, void *userdata) {
        server_view *v = userdata;

        if (!eol && info->monitor_source_name)
                v->default_monitor = strdup(info->monitor_source_name);
        if (eol)
                list_sources(context, v);
}

static void on_server_info(pa_context *context, const pa_server_info *info, void *userdata) {
        server_view *v = userdata;
        pa_operation *o = NULL;

        if (info->default_source_name)
                v->default_source = strdup(info->default_source_name);
        if (info->default_sink_name)
                o = pa_context_get_sink_info_by_name(context, info->default_sink_name, on_default_sink, v);
        if (o)
                pa_operation_unref(o);
        else
                list_sources(context, v);
}

static void on_context_state(pa_context *context, void *userdata) {
        server_view *v = userdata;
        pa_operation *o;

        switch (pa_context_get_state(context)) {
        case PA_CONTEXT_READY:
                o = pa_context_get_server_info(context, on_server_info, v);
                if (o)
                        pa_operation_unref(o);
                else
                        done(v, false);
                break;
        case PA_CONTEXT_FAILED:
        case PA_CONTEXT_TERMINATED:
                done(v, false);
                break;
        default:
                break;
        }
}

static void on_timeout(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        done(userdata, false);
}

static void ask_server(server_view *v) {
        pa_mainloop_api *api;
        pa_context *context;
        struct timeval deadline;

        if (!(v->loop = pa_mainloop_new()))
                return;
        api = pa_mainloop_get_api(v->loop);
        context = pa_context_new(api, "callwitness doctor");
        if (context) {
                pa_context_set_state_callback(context, on_context_state, v);
                if (pa_context_connect(context, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) >= 0) {
                        pa_gettimeofday(&deadline);
                        pa_timeval_add(&deadline, ASK_TIMEOUT_S * PA_USEC_PER_SEC);
                        api->time_new(api, &deadline, on_timeout, v);
                        pa_mainloop_run(v->loop, NULL);
                }
                /* Disconnecting terminates the context: not a failure. */
                pa_context_set_state_callback(context, NULL, NULL);
                pa_context_disconnect(context);
                pa_context_unref(context);
        }
        pa_mainloop_free(v->loop);
}

/* The capture's rule (source-match.h). */
static const char *resolve(const server_view *v, const char *configured, const char *default_name) {
        if (!configured)
                configured = default_name;
        if (!configured)
                return NULL;
        for (unsigned i = 0; i < v->n_sources; i++)
                if (cw_source_matches(configured, v->sources[i]))
                        return v->sources[i];
        return NULL;
}

static int report_side(const server_view *v, const char *label, const char *configured, const char *default_name,
                       const char *default_what) {
        const char *found = resolve(v, configured, default_name);
        const char *asked = configured ? configured : default_what;

        if (found)
                printf(_("%-10s %s: %s\n"), label, asked, found);
        else if (cw_source_is_pattern(configured))
                printf(_("%-10s %s: no source matches this pattern right now\n"), label, asked);
        else
                printf(_("%-10s %s: no such source right now\n"), label, asked);
        return found ? 0 : 1;
}

int cw_sources_report(cw_capture_mode mode, const char *local_source, const char *remote_source) {
        server_view v = { 0 };
        int missing = -1;

        ask_server(&v);
        if (v.complete) {
                printf(_("Sources:  "));
                for (unsigned i = 0; i < v.n_sources; i++) {
                        const char *mark = v.default_source && strcmp(v.sources[i], v.default_source) == 0
                                           ? _(" (default source)")
                                         : v.default_monitor && strcmp(v.sources[i], v.default_monitor) == 0
                                           ? _(" (monitor of the default sink)") : "";

                        printf("%s%s%s\n", i ? "           " : " ", v.sources[i], mark);
                }
                if (v.n_sources == 0)
                        printf(_(" none\n"));
                missing = report_side(&v, _("Local:"), local_source, v.default_source, _("the default source"));
                if (mode == CW_CAPTURE_SEPARATE)
                        missing += report_side(&v, _("Remote:"), remote_source, v.default_monitor,
                                               _("the default sink's monitor"));
        }
        free(v.default_source);
        free(v.default_monitor);
        for (unsigned i = 0; i < v.n_sources; i++)
                free(v.sources[i]);
        return missing;
}
