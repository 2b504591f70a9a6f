/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "callwitness/call-json.h"

json_object *cw_json_timestamp(bool present, const cw_timestamp *ts) {
        char text[CW_RFC3339_MAX];

        if (!present || cw_timestamp_format_rfc3339(ts, text) < 0)
                return NULL;   /* json-c writes NULL as null */
        return json_object_new_string(text);
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

void cw_format_file_offset(int64_t offset_ms, char text[static CW_FILE_OFFSET_MAX]) {
        int64_t s = offset_ms / 1000;

        if (s >= 3600)
                snprintf(text, CW_FILE_OFFSET_MAX, "%lld:%02lld:%02lld", (long long) (s / 3600),
                         (long long) (s / 60 % 60), (long long) (s % 60));
        else
                snprintf(text, CW_FILE_OFFSET_MAX, "%02lld:%02lld", (long long) (s / 60), (long long) (s % 60));
}

json_object *cw_marks_json(const cw_mark *marks, size_t n) {
        json_object *array = json_object_new_array();

        for (size_t i = 0; array && i < n; i++) {
                json_object *mark = json_object_new_object();
                char in_file[CW_FILE_OFFSET_MAX];

                cw_format_file_offset(marks[i].offset_ms, in_file);
                json_object_object_add(mark, "offset_ms", json_object_new_int64(marks[i].offset_ms));
                json_object_object_add(mark, "in_file", json_object_new_string(in_file));
                json_object_object_add(mark, "text", json_object_new_string(marks[i].text));
                json_object_object_add(mark, "live", json_object_new_boolean(marks[i].live));
                json_object_object_add(mark, "made_at", cw_json_timestamp(true, &marks[i].at));
                json_object_array_add(array, mark);
        }
        return array;
}

json_object *cw_message_json(const cw_message_record *m) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "sender", string_or_null(m->sender));
        json_object_object_add(o, "sender_canonical", string_or_null(m->sender_canonical));
        json_object_object_add(o, "sent_at", cw_json_timestamp(m->has_sent, &m->sent_at));
        json_object_object_add(o, "sent_reported", string_or_null(m->sent_reported));
        json_object_object_add(o, "received_at", cw_json_timestamp(m->receipt_known, &m->seen_at));
        json_object_object_add(o, "read_at", cw_json_timestamp(true, &m->seen_at));
        json_object_object_add(o, "smsc", string_or_null(m->smsc));
        json_object_object_add(o, "text", string_or_null(m->text));
        json_object_object_add(o, "data", string_or_null(m->data_hex));
        json_object_object_add(o, "complete", json_object_new_boolean(m->complete));
        json_object_object_add(o, "deleted_before_read", json_object_new_boolean(m->deleted_before_read));
        json_object_object_add(o, "sha256", string_or_null(m->sha256));
        return o;
}

json_object *cw_call_json(const cw_call_record *call) {
        json_object *o = json_object_new_object(), *tags = json_object_new_array(),
                    *warnings = json_object_new_array(), *notes = json_object_new_array(), *caller = NULL;

        if (!o || !tags || !warnings || !notes) {
                json_object_put(o);
                json_object_put(tags);
                json_object_put(warnings);
                json_object_put(notes);
                return NULL;
        }
        json_object_object_add(o, "id", json_object_new_int64(call->id));
        json_object_object_add(o, "kind", json_object_new_string(cw_record_kind_to_string(call->kind)));
        json_object_object_add(o, "label", string_or_null(call->label));
        json_object_object_add(o, "direction", json_object_new_string(cw_direction_to_string(call->direction)));
        json_object_object_add(o, "number", string_or_null(call->number));
        json_object_object_add(o, "backend", string_or_null(call->backend));
        json_object_object_add(o, "started_at", cw_json_timestamp(true, &call->started));
        json_object_object_add(o, "answered_at", cw_json_timestamp(call->answered, &call->answered_at));
        json_object_object_add(o, "ended_at", cw_json_timestamp(call->ended, &call->ended_at));
        json_object_object_add(o, "outcome", string_or_null(call->outcome));
        json_object_object_add(o, "end_reason", string_or_null(call->end_reason));
        json_object_object_add(o, "duration_ms", json_object_new_int64(call->duration_ms));
        json_object_object_add(o, "file", string_or_null(call->file));
        json_object_object_add(o, "file_duration_ms",
                               call->file ? json_object_new_int64(call->file_duration_ms) : NULL);
        json_object_object_add(o, "size", call->file ? json_object_new_int64((int64_t) call->file_size) : NULL);
        json_object_object_add(o, "sha256", string_or_null(call->sha256));
        json_object_object_add(o, "capture_mode",
                               call->file ? json_object_new_string(cw_capture_mode_to_string(call->capture_mode)) : NULL);
        for (size_t i = 0; i < call->n_tags; i++) {
                json_object *tag = json_object_new_object();

                json_object_object_add(tag, "tag", json_object_new_string(call->tags[i].name));
                json_object_object_add(tag, "reason", json_object_new_string(call->tags[i].reason));
                json_object_object_add(tag, "origin", json_object_new_string(call->tags_manual && call->tags_manual[i]
                                                                             ? "manual" : "policy"));
                json_object_array_add(tags, tag);
        }
        json_object_object_add(o, "tags", tags);
        for (size_t i = 0; i < call->n_warnings; i++)
                json_object_array_add(warnings, json_object_new_string(call->warnings[i]));
        json_object_object_add(o, "warnings", warnings);
        for (size_t i = 0; i < call->n_notes; i++) {
                json_object *note = json_object_new_object();

                json_object_object_add(note, "text", json_object_new_string(call->notes[i].text));
                json_object_object_add(note, "at", cw_json_timestamp(true, &call->notes[i].at));
                json_object_array_add(notes, note);
        }
        json_object_object_add(o, "notes", notes);
        if (call->caller_company || call->caller_employee_id || call->caller_name) {
                caller = json_object_new_object();
                json_object_object_add(caller, "company", string_or_null(call->caller_company));
                json_object_object_add(caller, "employee_id", string_or_null(call->caller_employee_id));
                json_object_object_add(caller, "name", string_or_null(call->caller_name));
        }
        json_object_object_add(o, "caller", caller);
        json_object_object_add(o, "exported", json_object_new_boolean(call->exported));
        json_object_object_add(o, "marks", cw_marks_json(call->marks, call->n_marks));
        if (call->message)
                json_object_object_add(o, "message", cw_message_json(call->message));
        if (call->clock) {
                json_object *clock = json_object_new_object();

                json_object_object_add(clock, "synchronized", call->clock->synced < 0 ? NULL
                                       : json_object_new_boolean(call->clock->synced));
                json_object_object_add(clock, "network_time", string_or_null(call->clock->network_reported));
                json_object_object_add(clock, "network_offset_ms", call->clock->network_reported
                                       ? json_object_new_int64(call->clock->network_offset_ms) : NULL);
                json_object_object_add(clock, "checked_at", cw_json_timestamp(true, &call->clock->at));
                json_object_object_add(o, "clock", clock);
        } else
                json_object_object_add(o, "clock", NULL);
        return o;
}

json_object *cw_state_json(const cw_state_record *state) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "state", json_object_new_string(state->state));
        json_object_object_add(o, "at", cw_json_timestamp(true, &state->at));
        if (state->reason)
                json_object_object_add(o, "reason", json_object_new_string(state->reason));
        return o;
}

json_object *cw_audit_entry_json(const cw_audit_entry *e) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "seq", json_object_new_int64(e->seq));
        json_object_object_add(o, "at_ms", json_object_new_int64(e->at.utc_ms));
        json_object_object_add(o, "offset_s", json_object_new_int(e->at.utc_offset_s));
        json_object_object_add(o, "kind", json_object_new_string(e->kind));
        json_object_object_add(o, "call_id", e->call_id > 0 ? json_object_new_int64(e->call_id) : NULL);
        json_object_object_add(o, "body", json_object_new_string(e->body));
        json_object_object_add(o, "prev", json_object_new_string(e->prev));
        json_object_object_add(o, "hash", json_object_new_string(e->hash));
        return o;
}

int cw_json_append_state(const cw_state_record *state, void *array) {
        json_object *o = cw_state_json(state);

        return o ? json_object_array_add(array, o) : -ENOMEM;
}

int cw_json_append_audit_entry(const cw_audit_entry *e, void *array) {
        json_object *o = cw_audit_entry_json(e);

        return o ? json_object_array_add(array, o) : -ENOMEM;
}
