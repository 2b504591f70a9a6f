/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "callwitness/text.h"
#include "dbus-util.h"

typedef struct pending {
        cw_dbus_calls *owner;
        DBusPendingCall *call;
        cw_dbus_reply_fn cb;
        void *userdata;
        void (*free_userdata)(void *);
        struct pending *prev, *next;
} pending;

struct cw_dbus_calls {
        DBusConnection *conn;
        pending *head;
};

cw_dbus_calls *cw_dbus_calls_new(DBusConnection *conn) {
        cw_dbus_calls *calls = calloc(1, sizeof *calls);

        if (calls)
                calls->conn = dbus_connection_ref(conn);
        return calls;
}

/* Runs when libdbus drops the pending call: after the reply, or on cancel. */
static void free_pending(void *data) {
        pending *p = data;

        if (p->free_userdata)
                p->free_userdata(p->userdata);
        free(p);
}

static void unlink_pending(pending *p) {
        if (p->prev)
                p->prev->next = p->next;
        else
                p->owner->head = p->next;
        if (p->next)
                p->next->prev = p->prev;
}

void cw_dbus_calls_cancel_all(cw_dbus_calls *calls) {
        while (calls && calls->head) {
                pending *p = calls->head;

                unlink_pending(p);
                dbus_pending_call_cancel(p->call);
                dbus_pending_call_unref(p->call);   /* frees p through free_pending */
        }
}

cw_dbus_calls *cw_dbus_calls_free(cw_dbus_calls *calls) {
        if (!calls)
                return NULL;
        cw_dbus_calls_cancel_all(calls);
        dbus_connection_unref(calls->conn);
        free(calls);
        return NULL;
}

static void on_reply(DBusPendingCall *call, void *userdata) {
        pending *p = userdata;
        DBusMessage *reply = dbus_pending_call_steal_reply(call);

        unlink_pending(p);
        if (reply) {
                p->cb(reply, p->userdata);
                dbus_message_unref(reply);
        }
        dbus_pending_call_unref(call);
}

int cw_dbus_send(cw_dbus_calls *calls, DBusMessage *msg, cw_dbus_reply_fn cb, void *userdata,
                 void (*free_userdata)(void *)) {
        DBusPendingCall *call = NULL;
        pending *p = calloc(1, sizeof *p);

        if (!p || !dbus_connection_send_with_reply(calls->conn, msg, &call, DBUS_TIMEOUT_USE_DEFAULT) || !call) {
                free(p);
                if (free_userdata)
                        free_userdata(userdata);
                return -ENOMEM;
        }
        *p = (pending) { .owner = calls, .call = call, .cb = cb, .userdata = userdata,
                         .free_userdata = free_userdata, .next = calls->head };
        if (calls->head)
                calls->head->prev = p;
        calls->head = p;
        if (!dbus_pending_call_set_notify(call, on_reply, p, free_pending)) {
                unlink_pending(p);
                dbus_pending_call_cancel(call);
                dbus_pending_call_unref(call);
                free_pending(p);
                return -ENOMEM;
        }
        return 0;
}

int cw_dbus_call(cw_dbus_calls *calls, const char *destination, const char *path,
                 const char *interface, const char *method,
                 cw_dbus_reply_fn cb, void *userdata, void (*free_userdata)(void *),
                 int first_arg_type, ...) {
        DBusMessage *msg;
        va_list ap;
        dbus_bool_t appended;
        int r;

        msg = dbus_message_new_method_call(destination, path, interface, method);
        if (!msg) {
                if (free_userdata)
                        free_userdata(userdata);
                return -ENOMEM;
        }
        va_start(ap, first_arg_type);
        appended = dbus_message_append_args_valist(msg, first_arg_type, ap);
        va_end(ap);
        if (!appended) {
                dbus_message_unref(msg);
                if (free_userdata)
                        free_userdata(userdata);
                return -ENOMEM;
        }
        r = cw_dbus_send(calls, msg, cb, userdata, free_userdata);
        dbus_message_unref(msg);
        return r;
}

bool cw_dbus_reply_is_error(DBusMessage *reply, const char *what) {
        DBusError error;

        dbus_error_init(&error);
        if (!dbus_set_error_from_message(&error, reply))
                return false;
        cw_log_debug("%s failed: %s: %s", what, error.name, error.message ? error.message : "");
        dbus_error_free(&error);
        return true;
}

bool cw_dbus_reply_is(DBusMessage *reply, const char *signature, const char *what) {
        if (cw_dbus_reply_is_error(reply, what))
                return false;
        if (dbus_message_has_signature(reply, signature))
                return true;
        cw_log_debug("%s: reply of signature '%s' ignored, expected '%s'", what, dbus_message_get_signature(reply),
                     signature);
        return false;
}

void cw_dbus_dispatch_signal(DBusMessage *msg, const cw_dbus_signal_handler *handlers, size_t n_handlers,
                             void *userdata) {
        for (size_t i = 0; i < n_handlers; i++) {
                if (!dbus_message_is_signal(msg, handlers[i].interface, handlers[i].member))
                        continue;
                if (dbus_message_has_signature(msg, handlers[i].signature))
                        handlers[i].handle(msg, userdata);
                else
                        cw_log_debug("%s.%s of signature '%s' from %s ignored, expected '%s'", handlers[i].interface,
                                     handlers[i].member, dbus_message_get_signature(msg),
                                     dbus_message_get_sender(msg), handlers[i].signature);
                return;
        }
}

void cw_dbus_add_match(DBusConnection *conn, const char *rule) {
        dbus_bus_add_match(conn, rule, NULL);
}

void cw_dbus_remove_match(DBusConnection *conn, const char *rule) {
        dbus_bus_remove_match(conn, rule, NULL);
}

void cw_dbus_foreach_prop(DBusMessageIter *dict, cw_dbus_prop_fn cb, void *userdata) {
        DBusMessageIter entries;

        if (dbus_message_iter_get_arg_type(dict) != DBUS_TYPE_ARRAY)
                return;
        dbus_message_iter_recurse(dict, &entries);
        for (; dbus_message_iter_get_arg_type(&entries) == DBUS_TYPE_DICT_ENTRY; dbus_message_iter_next(&entries)) {
                DBusMessageIter entry, variant;
                const char *key;

                dbus_message_iter_recurse(&entries, &entry);
                if (dbus_message_iter_get_arg_type(&entry) != DBUS_TYPE_STRING)
                        continue;
                dbus_message_iter_get_basic(&entry, &key);
                dbus_message_iter_next(&entry);
                if (dbus_message_iter_get_arg_type(&entry) != DBUS_TYPE_VARIANT)
                        continue;
                dbus_message_iter_recurse(&entry, &variant);
                cb(key, &variant, userdata);
        }
}

const char *cw_dbus_utf8(const char *s, char **owned) {
        *owned = NULL;
        if (!s || dbus_validate_utf8(s, NULL))
                return s ? s : "";
        *owned = cw_text_visible(s);
        return *owned ? *owned : "(not UTF-8)";
}

bool cw_dbus_get_string(DBusMessageIter *value, const char **ret) {
        int type = dbus_message_iter_get_arg_type(value);

        if (type != DBUS_TYPE_STRING && type != DBUS_TYPE_OBJECT_PATH)
                return false;
        dbus_message_iter_get_basic(value, ret);
        return true;
}

bool cw_dbus_get_bytes(DBusMessageIter *value, const unsigned char **ret, int *n) {
        DBusMessageIter bytes;

        if (dbus_message_iter_get_arg_type(value) != DBUS_TYPE_ARRAY ||
            dbus_message_iter_get_element_type(value) != DBUS_TYPE_BYTE)
                return false;
        dbus_message_iter_recurse(value, &bytes);
        dbus_message_iter_get_fixed_array(&bytes, ret, n);
        return true;
}

bool cw_dbus_get_int(DBusMessageIter *value, int64_t *ret) {
        DBusBasicValue v;

        switch (dbus_message_iter_get_arg_type(value)) {
        case DBUS_TYPE_INT32:
                dbus_message_iter_get_basic(value, &v);
                *ret = v.i32;
                return true;
        case DBUS_TYPE_UINT32:
                dbus_message_iter_get_basic(value, &v);
                *ret = v.u32;
                return true;
        case DBUS_TYPE_BYTE:
                dbus_message_iter_get_basic(value, &v);
                *ret = v.byt;
                return true;
        case DBUS_TYPE_INT64:
        case DBUS_TYPE_UINT64:
                dbus_message_iter_get_basic(value, &v);
                *ret = v.i64;
                return true;
        default:
                return false;
        }
}

bool cw_dbus_strv_contains(DBusMessageIter *value, const char *needle) {
        DBusMessageIter items;

        if (dbus_message_iter_get_arg_type(value) != DBUS_TYPE_ARRAY ||
            dbus_message_iter_get_element_type(value) != DBUS_TYPE_STRING)
                return false;
        dbus_message_iter_recurse(value, &items);
        for (; dbus_message_iter_get_arg_type(&items) == DBUS_TYPE_STRING; dbus_message_iter_next(&items)) {
                const char *item;

                dbus_message_iter_get_basic(&items, &item);
                if (strcmp(item, needle) == 0)
                        return true;
        }
        return false;
}
