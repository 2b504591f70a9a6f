/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A call as JSON (json-c), the one shape `callwitness list --json`, `show
 * --json` and an evidence bundle's manifest share. */

#include <json-c/json.h>

#include "callwitness/audit.h"
#include "callwitness/catalog.h"

/* A new object, or NULL when out of memory. Times are RFC 3339 in the
 * offset of the instant. */
json_object *cw_call_json(const cw_call_record *call);

/* A call's marks, oldest offset first, each with its place in the file as
 * a listener's player shows it ("in_file": MM:SS or H:MM:SS). */
json_object *cw_marks_json(const cw_mark *marks, size_t n);

/* A message's content (sender, times, text, data as hex, SHA-256). */
json_object *cw_message_json(const cw_message_record *m);

/* offset_ms as a player shows a position: "01:23", or "1:02:03". */
#define CW_FILE_OFFSET_MAX 32
void cw_format_file_offset(int64_t offset_ms, char text[static CW_FILE_OFFSET_MAX]);

/* An RFC 3339 string, or NULL (JSON null) when !present. */
json_object *cw_json_timestamp(bool present, const cw_timestamp *ts);

/* A timeline step and an audit entry, as the same shape shows them. */
json_object *cw_state_json(const cw_state_record *state);
json_object *cw_audit_entry_json(const cw_audit_entry *e);

/* Members read from JSON that may not be ours (a manifest, a journal):
 * NULL or 0 when missing or of another type. Inline: GCC 12 with the
 * sanitizers misreads the report's translated formats when these are
 * calls it cannot see into ("null format string"). */
static inline const char *cw_json_get_string(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

static inline int64_t cw_json_get_int64(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
               ? json_object_get_int64(v) : 0;
}

/* Callbacks for cw_catalog_foreach_state() and cw_audit_foreach() that
 * append to the json array passed as userdata. */
int cw_json_append_state(const cw_state_record *state, void *array);
int cw_json_append_audit_entry(const cw_audit_entry *e, void *array);
