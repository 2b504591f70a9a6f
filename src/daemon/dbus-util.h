/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Small helpers both modem backends need: asynchronous method calls that
 * are cancelled with their owner, following a bus name, and reading
 * a{sv} property dictionaries. */

#include <dbus/dbus.h>
#include <stdbool.h>
#include <stdint.h>

typedef void (*cw_dbus_reply_fn)(DBusMessage *reply, void *userdata);

/* A set of in-flight calls owned by one object: freeing it cancels them, so
 * no reply handler runs on a freed owner. */
typedef struct cw_dbus_calls cw_dbus_calls;

cw_dbus_calls *cw_dbus_calls_new(DBusConnection *conn);
cw_dbus_calls *cw_dbus_calls_free(cw_dbus_calls *calls);
void cw_dbus_calls_cancel_all(cw_dbus_calls *calls);

/* Sends a method call; cb gets the reply or the error message (check with
 * cw_dbus_reply_is_error). free_userdata (may be NULL) runs after cb, or
 * when the call is cancelled; on failure to send it runs at once.
 * Arguments as for dbus_message_append_args. 0 or -ENOMEM. */
int cw_dbus_call(cw_dbus_calls *calls, const char *destination, const char *path,
                 const char *interface, const char *method,
                 cw_dbus_reply_fn cb, void *userdata, void (*free_userdata)(void *),
                 int first_arg_type, ...);

/* The same for a message the caller built; msg is not consumed. */
int cw_dbus_send(cw_dbus_calls *calls, DBusMessage *msg, cw_dbus_reply_fn cb, void *userdata,
                 void (*free_userdata)(void *));

/* For a reply: true when it is an error; logs it at debug level. */
bool cw_dbus_reply_is_error(DBusMessage *reply, const char *what);
/* For a reply: true when it is no error and carries exactly signature.
 * Logs what is wrong at debug level. */
bool cw_dbus_reply_is(DBusMessage *reply, const char *signature, const char *what);

/* A signal a backend reads, with the one signature it can parse. */
typedef struct cw_dbus_signal_handler {
        const char *interface, *member, *signature;
        void (*handle)(DBusMessage *msg, void *userdata);
} cw_dbus_signal_handler;

/* Runs the handler for msg's interface and member, only if msg carries that
 * handler's signature: any client on the bus can send a signal of any shape,
 * and the handlers read arguments without checking their types again. */
void cw_dbus_dispatch_signal(DBusMessage *msg, const cw_dbus_signal_handler *handlers, size_t n_handlers,
                             void *userdata);

/* Adds a match rule without waiting for the bus's answer (errors come back
 * as messages we ignore). */
void cw_dbus_add_match(DBusConnection *conn, const char *rule);
void cw_dbus_remove_match(DBusConnection *conn, const char *rule);

/* Calls cb(key, value_iter) for each entry of an a{sv} at iter, value_iter
 * pointing into the variant. */
typedef void (*cw_dbus_prop_fn)(const char *key, DBusMessageIter *value, void *userdata);
void cw_dbus_foreach_prop(DBusMessageIter *dict, cw_dbus_prop_fn cb, void *userdata);

/* s itself when it is valid UTF-8 (what D-Bus carries: libdbus aborts the
 * process on anything else), else a copy with the bad bytes written out
 * (text.h), kept in *owned for the caller to free. */
const char *cw_dbus_utf8(const char *s, char **owned);

/* Typed reads of a variant's content; false when the type differs. */
bool cw_dbus_get_string(DBusMessageIter *value, const char **ret);
bool cw_dbus_get_int(DBusMessageIter *value, int64_t *ret);   /* i, u, y, x, t */
/* An array of bytes (ay), pointing into the message. */
bool cw_dbus_get_bytes(DBusMessageIter *value, const unsigned char **ret, int *n);
/* True when the variant is a string array containing needle. */
bool cw_dbus_strv_contains(DBusMessageIter *value, const char *needle);
