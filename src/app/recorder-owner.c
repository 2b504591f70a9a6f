/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <unistd.h>

#include "recorder-owner.h"

typedef struct owner_check {
        char *owner;
        cw_app_owner_checked done;
        gpointer userdata;
} owner_check;

static void on_unix_user(GObject *source, GAsyncResult *result, gpointer userdata) {
        owner_check *check = userdata;
        GError *error = NULL;
        GVariant *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        guint32 uid = 0;

        if (reply) {
                g_variant_get(reply, "(u)", &uid);
                g_variant_unref(reply);
        }
        /* An owner gone meanwhile is no one's: not ours. */
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                check->done(check->owner, reply && uid == getuid(), check->userdata);
        g_clear_error(&error);
        g_free(check->owner);
        g_free(check);
}

void cw_app_check_owner(GDBusConnection *bus, const char *owner, GCancellable *cancellable,
                        cw_app_owner_checked done, gpointer userdata) {
        owner_check *check = g_new0(owner_check, 1);

        check->owner = g_strdup(owner);
        check->done = done;
        check->userdata = userdata;
        g_dbus_connection_call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionUnixUser", g_variant_new("(s)", owner), G_VARIANT_TYPE("(u)"),
                               G_DBUS_CALL_FLAGS_NONE, 5000, cancellable, on_unix_user, check);
}
