/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <pulse/timeval.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "dbus-glue.h"

struct cw_dbus_glue {
        DBusConnection *conn;
        pa_mainloop_api *api;
        pa_defer_event *dispatch;
};

static pa_io_event_flags_t watch_to_io_flags(DBusWatch *watch) {
        unsigned flags = dbus_watch_get_flags(watch);
        pa_io_event_flags_t events = PA_IO_EVENT_HANGUP | PA_IO_EVENT_ERROR;

        if (!dbus_watch_get_enabled(watch))
                return PA_IO_EVENT_NULL;
        if (flags & DBUS_WATCH_READABLE)
                events |= PA_IO_EVENT_INPUT;
        if (flags & DBUS_WATCH_WRITABLE)
                events |= PA_IO_EVENT_OUTPUT;
        return events;
}

static void on_io(pa_mainloop_api *api, pa_io_event *e, int fd, pa_io_event_flags_t events, void *userdata) {
        DBusWatch *watch = userdata;
        unsigned flags = 0;

        if (events & PA_IO_EVENT_INPUT)
                flags |= DBUS_WATCH_READABLE;
        if (events & PA_IO_EVENT_OUTPUT)
                flags |= DBUS_WATCH_WRITABLE;
        if (events & PA_IO_EVENT_HANGUP)
                flags |= DBUS_WATCH_HANGUP;
        if (events & PA_IO_EVENT_ERROR)
                flags |= DBUS_WATCH_ERROR;
        dbus_watch_handle(watch, flags);
}

static dbus_bool_t add_watch(DBusWatch *watch, void *userdata) {
        cw_dbus_glue *glue = userdata;
        pa_io_event *e;

        e = glue->api->io_new(glue->api, dbus_watch_get_unix_fd(watch), watch_to_io_flags(watch), on_io, watch);
        if (!e)
                return FALSE;
        dbus_watch_set_data(watch, e, NULL);
        return TRUE;
}

static void remove_watch(DBusWatch *watch, void *userdata) {
        cw_dbus_glue *glue = userdata;
        pa_io_event *e = dbus_watch_get_data(watch);

        if (e)
                glue->api->io_free(e);
        dbus_watch_set_data(watch, NULL, NULL);
}

static void toggle_watch(DBusWatch *watch, void *userdata) {
        cw_dbus_glue *glue = userdata;
        pa_io_event *e = dbus_watch_get_data(watch);

        if (e)
                glue->api->io_enable(e, watch_to_io_flags(watch));
}

/* libdbus timeouts are intervals that re-arm until removed; pa time events
 * are one-shot at an absolute time. */
typedef struct timeout_slot {
        cw_dbus_glue *glue;
        DBusTimeout *timeout;
        pa_time_event *event;
} timeout_slot;

static void arm(timeout_slot *slot) {
        struct timeval tv;

        /* pa_mainloop turns this wall-clock time into its monotonic base
         * when the event is armed, so a later clock jump (NITZ, NTP) does
         * not move it. */
        pa_gettimeofday(&tv);
        pa_timeval_add(&tv, (pa_usec_t) dbus_timeout_get_interval(slot->timeout) * PA_USEC_PER_MSEC);
        slot->glue->api->time_restart(slot->event, &tv);
}

static void on_time(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        timeout_slot *slot = userdata;

        if (!dbus_timeout_get_enabled(slot->timeout))
                return;
        arm(slot);   /* before handling: the handler may remove the timeout */
        dbus_timeout_handle(slot->timeout);
}

static dbus_bool_t add_timeout(DBusTimeout *timeout, void *userdata) {
        cw_dbus_glue *glue = userdata;
        timeout_slot *slot = calloc(1, sizeof *slot);

        if (!slot)
                return FALSE;
        *slot = (timeout_slot) { .glue = glue, .timeout = timeout };
        slot->event = glue->api->time_new(glue->api, NULL, on_time, slot);
        if (!slot->event) {
                free(slot);
                return FALSE;
        }
        if (dbus_timeout_get_enabled(timeout))
                arm(slot);
        dbus_timeout_set_data(timeout, slot, NULL);
        return TRUE;
}

static void remove_timeout(DBusTimeout *timeout, void *userdata) {
        timeout_slot *slot = dbus_timeout_get_data(timeout);

        if (!slot)
                return;
        slot->glue->api->time_free(slot->event);
        free(slot);
        dbus_timeout_set_data(timeout, NULL, NULL);
}

static void toggle_timeout(DBusTimeout *timeout, void *userdata) {
        timeout_slot *slot = dbus_timeout_get_data(timeout);

        if (!slot)
                return;
        if (dbus_timeout_get_enabled(timeout))
                arm(slot);
        else
                slot->glue->api->time_restart(slot->event, NULL);
}

static void on_dispatch(pa_mainloop_api *api, pa_defer_event *e, void *userdata) {
        cw_dbus_glue *glue = userdata;

        /* One message per iteration keeps audio callbacks from starving
         * behind a burst of signals. */
        if (dbus_connection_dispatch(glue->conn) != DBUS_DISPATCH_DATA_REMAINS)
                api->defer_enable(e, 0);
}

static void on_dispatch_status(DBusConnection *conn, DBusDispatchStatus status, void *userdata) {
        cw_dbus_glue *glue = userdata;

        glue->api->defer_enable(glue->dispatch, status == DBUS_DISPATCH_DATA_REMAINS);
}

int cw_dbus_glue_attach(DBusConnection *conn, pa_mainloop_api *api, cw_dbus_glue **ret) {
        cw_dbus_glue *glue = calloc(1, sizeof *glue);

        if (!glue)
                return -ENOMEM;
        glue->conn = dbus_connection_ref(conn);
        glue->api = api;
        glue->dispatch = api->defer_new(api, on_dispatch, glue);
        if (!glue->dispatch)
                goto fail;
        api->defer_enable(glue->dispatch, 0);

        if (!dbus_connection_set_watch_functions(conn, add_watch, remove_watch, toggle_watch, glue, NULL) ||
            !dbus_connection_set_timeout_functions(conn, add_timeout, remove_timeout, toggle_timeout, glue, NULL))
                goto fail;
        dbus_connection_set_dispatch_status_function(conn, on_dispatch_status, glue, NULL);
        if (dbus_connection_get_dispatch_status(conn) == DBUS_DISPATCH_DATA_REMAINS)
                api->defer_enable(glue->dispatch, 1);
        *ret = glue;
        return 0;
fail:
        cw_dbus_glue_free(glue);
        return -ENOMEM;
}

cw_dbus_glue *cw_dbus_glue_free(cw_dbus_glue *glue) {
        if (!glue)
                return NULL;
        dbus_connection_set_dispatch_status_function(glue->conn, NULL, NULL, NULL);
        dbus_connection_set_watch_functions(glue->conn, NULL, NULL, NULL, NULL, NULL);
        dbus_connection_set_timeout_functions(glue->conn, NULL, NULL, NULL, NULL, NULL);
        if (glue->dispatch)
                glue->api->defer_free(glue->dispatch);
        dbus_connection_unref(glue->conn);
        free(glue);
        return NULL;
}

int cw_dbus_open_bus(DBusBusType type, DBusConnection **ret, char **error_message) {
        DBusError error;
        DBusConnection *conn;

        dbus_error_init(&error);
        /* Private, so that closing it at exit is ours to do and leaves no
         * shared connection for a sanitizer to call a leak. */
        conn = dbus_bus_get_private(type, &error);
        if (!conn) {
                if (error_message)
                        *error_message = strdup(error.message ? error.message : "unknown error");
                dbus_error_free(&error);
                return -ECONNREFUSED;
        }
        dbus_connection_set_exit_on_disconnect(conn, FALSE);
        *ret = conn;
        return 0;
}
