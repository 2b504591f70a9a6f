/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pulse/rtclock.h>
#include <pulse/timeval.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/log.h"
#include "callwitness/paths.h"
#include "callwitness/clock.h"
#include "callwitness/policy.h"
#include "callwitness/text.h"
#include "call-tags.h"
#include "capture.h"
#include "catalog-writer.h"
#include "mixer.h"
#include "card-switch.h"
#include "recording.h"
#include "tracker.h"

/* After a hang-up, audio up to that instant is still in the sound server's
 * buffers (up to a fragment, 500 ms); wait this long at most for it before
 * padding with silence. */
#define FINISH_DEADLINE_USEC (2 * PA_USEC_PER_SEC)
/* Silence padded at the end at most: more missing means capture failed,
 * and inventing it would make the file claim to be the whole call. */
#define MAX_END_PAD CW_CAPTURE_RATE

typedef struct tracked_call {
        cw_tracker *tracker;
        cw_record_kind kind;
        char *label;             /* an encounter's, or NULL */
        char *backend, *path;
        cw_call_slot *slot;      /* its catalog id, once the catalog has the row */
        cw_call_state state;
        cw_direction direction;
        char *number;
        cw_timestamp appeared, answered;
        bool was_answered;
        bool never_record;       /* a rule for its number, known when it appeared */
        /* Told the capture could not start; its file, if it was opened
         * then, stays without audio (as told) and ends where it began. */
        bool told_no_capture, uncaptured;
        bool not_recorded_told;  /* that it is not recorded */
        cw_tag tags[CW_CALL_TAGS_MAX];
        size_t n_tags;
        char *warnings[CW_CALL_WARNINGS_MAX];   /* "kind: message", for the file's tags */
        size_t warning_kind_len[CW_CALL_WARNINGS_MAX];
        size_t n_warnings;
        cw_recording *recording;
        int recording_error;     /* why the file could not be created, or 0 */
        char *relpath;
        cw_capture_mode capture_mode;
        cw_timestamp ended_at;
        cw_end_reason end_reason;
        pa_time_event *finish_deadline;  /* only while waiting for the last audio */
        struct tracked_call *next;
} tracked_call;

struct cw_tracker {
        pa_mainloop_api *api;
        const cw_config *cfg;
        cw_catalog_writer *writer;
        cw_notifier *notifier;
        char *data_dir;
        char *mixer_state;       /* what to restore of the mixer, kept on disk while it is engaged */
        cw_capture *capture;     /* while any call is in progress */
        int capture_error;       /* why it could not start; 0 once it has */
        cw_mixer *mixer;         /* the configured controls, on while any call is */
        char *card_state;        /* what to put back of the card, kept on disk while it is switched */
        cw_card_switch *card;    /* the configured card profile, while any call is */
        cw_card_switch *card_putting_back;
        pa_defer_event *release;
        tracked_call *calls;
        unsigned encounters;     /* started by this run: names their objects */
        cw_tracker_time_source time_source;
        void *time_source_data;
        const cw_tracker_observer *observer;
        void *observer_userdata;
};

/* What an observer (the session-bus API) is told; each may be unset. */
static void tell_changed(cw_tracker *t) {
        if (t->observer && t->observer->changed)
                t->observer->changed(t->observer_userdata);
}

static bool is_encounter(const tracked_call *call) {
        return call->kind == CW_KIND_ENCOUNTER;
}

static bool phone_call_in_progress(cw_tracker *t) {
        for (tracked_call *call = t->calls; call; call = call->next)
                if (!is_encounter(call))
                        return true;
        return false;
}

/* --- how far the times can be trusted ------------------------------------- */

/* Further than this from the phone's clock, a "network time" is a modem's
 * unset clock, not the network's. */
#define NETWORK_TIME_PLAUSIBLE_MS ((int64_t) 366 * 24 * 3600 * 1000)

typedef struct clock_request {
        cw_tracker *tracker;
        cw_call_slot *slot;
        int synced;
} clock_request;

static void clock_request_free(void *userdata) {
        clock_request *request = userdata;

        cw_call_slot_release(request->slot);
        free(request);
}

static void write_clock(cw_tracker *t, cw_call_slot *slot, const cw_clock_check *check);

static void record_clock(cw_tracker *t, cw_call_slot *slot, int synced, const char *reported, const cw_timestamp *at) {
        cw_clock_check check = { .synced = synced, .at = *at };
        cw_timestamp network;

        /* A modem whose clock the network never set answers its own
         * default (years off): that is no witness of the phone's clock. */
        if (reported && cw_message_parse_network_time(reported, &network) == 0 &&
            llabs(network.utc_ms - at->utc_ms) < NETWORK_TIME_PLAUSIBLE_MS) {
                check.network_reported = reported;
                check.network_offset_ms = network.utc_ms - at->utc_ms;
        } else if (reported)
                cw_log_warning("The network's time '%s' is not understood, or not near enough to the phone's to be "
                               "the network's; not kept", reported);
        write_clock(t, slot, &check);
}

static void write_clock(cw_tracker *t, cw_call_slot *slot, const cw_clock_check *c) {
        cw_clock_check check = *c;

        cw_catalog_writer_set_clock(t->writer, slot, &check);
        if (check.network_reported && llabs(check.network_offset_ms) > CW_CLOCK_WARN_MS) {
                char message[256];

                snprintf(message, sizeof message, "the phone's clock was %.0f s %s the network's (%s): this record's "
                         "times are the phone's", llabs(check.network_offset_ms) / 1000.0,
                         check.network_offset_ms > 0 ? "behind" : "ahead of", check.network_reported);
                cw_log_warning("call %lld: %s", (long long) cw_call_slot_id(slot), message);
                cw_catalog_writer_add_warning(t->writer, slot, "clock-off", message, &check.at);
        }
}

static void on_network_time(const char *reported, const cw_timestamp *phone, void *userdata) {
        clock_request *request = userdata;

        record_clock(request->tracker, request->slot, request->synced, reported, phone);
}

/* Whether the phone's clock was synchronized, and (when a modem tells it)
 * how far it was from the network's, for the record in slot. */
static void check_clock(cw_tracker *t, cw_call_slot *slot) {
        int synced = cw_clock_synchronized();
        cw_timestamp now = cw_timestamp_now();
        clock_request *request;

        synced = synced < 0 ? -1 : synced;
        if (t->time_source && (request = calloc(1, sizeof *request))) {
                *request = (clock_request) { .tracker = t, .slot = cw_call_slot_ref(slot), .synced = synced };
                if (t->time_source(t->time_source_data, on_network_time, request, clock_request_free) == 0)
                        return;
                clock_request_free(request);   /* -ENODEV: still ours */
        }
        record_clock(t, slot, synced, NULL, &now);
}

void cw_tracker_set_time_source(cw_tracker *t, cw_tracker_time_source source, void *data) {
        t->time_source = source;
        t->time_source_data = data;
}

static long long call_id(const tracked_call *call) {
        return (long long) cw_call_slot_id(call->slot);
}

static tracked_call *find_call(cw_tracker *t, const char *backend, const char *path) {
        for (tracked_call *call = t->calls; call; call = call->next)
                if (strcmp(call->backend, backend) == 0 && strcmp(call->path, path) == 0)
                        return call;
        return NULL;
}

static void complete_end(tracked_call *call);

/* Something the person reviewing this call must know, told everywhere they
 * may look: the log, the catalog, the file's tags and a notification now. */
static void raise_warning(tracked_call *call, const char *kind, const char *message) {
        cw_timestamp now = cw_timestamp_now();

        cw_tracker *t = call->tracker;

        cw_log_warning("%s %lld: %s", cw_record_kind_to_string(call->kind), call_id(call), message);
        cw_catalog_writer_add_warning(t->writer, call->slot, kind, message, &now);
        if (call->n_warnings < CW_CALL_WARNINGS_MAX &&
            asprintf(&call->warnings[call->n_warnings], "%s: %s", kind, message) >= 0)
                call->warning_kind_len[call->n_warnings++] = strlen(kind);
        cw_notifier_send(t->notifier, cw_call_slot_id(call->slot),
                         is_encounter(call) ? "Encounter recording problem" : "Call recording problem", message);
        if (t->observer && t->observer->warning)
                t->observer->warning(cw_call_slot_id(call->slot), kind, message, t->observer_userdata);
        tell_changed(t);
}

static void tell_silence(tracked_call *call, unsigned channels, unsigned silent) {
        if (is_encounter(call)) {
                if (silent & 1u)
                        raise_warning(call, "silent", "the microphone stayed silent for the first 10 seconds of the "
                                                      "encounter; check [audio] local_source");
                return;
        }
        static const struct {
                const char *kind, *message;
        } warnings[2][2] = {
                { { "silent", "the recording stayed silent for the first 10 seconds of the call; "
                              "check [audio] local_source and the capture mode" } },
                { { "silent-local", "the phone's own microphone stayed silent for the first 10 seconds of the call" },
                  { "silent-remote", "the other party's side stayed silent for the first 10 seconds of the call: "
                                     "this phone may not route call audio through the sound server; check "
                                     "[audio] remote_source and the capture mode" } },
        };

        for (unsigned i = 0; i < channels && i < 2; i++)
                if (silent & (1u << i))
                        raise_warning(call, warnings[channels - 1][i].kind, warnings[channels - 1][i].message);
}

static void tell_write_error(tracked_call *call, int error) {
        char *message;

        if (asprintf(&message, "writing the recording failed (%s); the audio from then on is lost, the file is "
                               "kept as far as it was written", strerror(-error)) < 0)
                return;
        raise_warning(call, "write-failed", message);
        free(message);
}

static void on_frames(const float *frames, size_t n_frames, unsigned channels, uint64_t first_frame,
                      void *userdata) {
        cw_tracker *t = userdata;
        tracked_call *next;

        for (tracked_call *call = t->calls; call; call = next) {
                cw_recording_news news;

                next = call->next;
                if (!call->recording || call->uncaptured)
                        continue;
                cw_recording_feed(call->recording, frames, n_frames, channels, first_frame, &news);
                if (news.write_error)
                        tell_write_error(call, news.write_error);
                if (news.silence_checked)
                        tell_silence(call, channels, news.silent_channels);
                if (call->finish_deadline && cw_recording_complete(call->recording))
                        complete_end(call);
        }
}

/* Whether a problem of the capture's sides is this call's: not once it is
 * over and its file closed, nor for a number never recorded; an encounter
 * keeps only the microphone, and the other party's side failing (there is
 * no call) is not its problem. */
static bool capture_problem_concerns(const tracked_call *call, unsigned sides) {
        return (call->state != CW_CALL_ENDED || call->recording) && !call->never_record &&
               (!is_encounter(call) || (sides & CW_CAPTURE_SIDE_LOCAL));
}

static void on_capture_problem(unsigned sides, const char *kind, const char *message, void *userdata) {
        cw_tracker *t = userdata;

        for (tracked_call *call = t->calls; call; call = call->next)
                if (capture_problem_concerns(call, sides))
                        raise_warning(call, kind, message);
        if (!t->calls)
                cw_log_warning("Capture: %s", message);
}

static const cw_capture_sink capture_sink = { .frames = on_frames, .problem = on_capture_problem };

static void tell_standing_problem(unsigned sides, const char *kind, const char *message, void *userdata) {
        tracked_call *call = userdata;

        if (capture_problem_concerns(call, sides))
                raise_warning(call, kind, message);
}

/* A call that starts while the capture cannot record it (the sound server
 * away, a side lost, no capture at all): the capture told the calls there
 * were when that began. */
static void tell_capture_failure(tracked_call *call) {
        cw_tracker *t = call->tracker;
        char *message;

        if (t->capture) {
                cw_capture_tell_standing(t->capture, tell_standing_problem, call);
                return;
        }
        if (!t->capture_error || !capture_problem_concerns(call, CW_CAPTURE_SIDES_ALL))
                return;
        if (asprintf(&message, "the %s is not being recorded: the capture could not start (%s)",
                     is_encounter(call) ? "encounter" : "call", strerror(-t->capture_error)) < 0)
                return;
        raise_warning(call, "capture-failed", message);
        call->told_no_capture = true;
        free(message);
}

/* The capture started after it could not: a call told so that has not
 * been answered yet is recorded from its answer after all. */
static void tell_capture_started(cw_tracker *t) {
        for (tracked_call *call = t->calls; call; call = call->next)
                if (call->told_no_capture && !call->recording && call->state != CW_CALL_ENDED)
                        raise_warning(call, "capture-started", "the capture could start after all: this call is "
                                                               "recorded from its answer");
}

/* The profile's (or the configuration's) route of the call into the
 * capture, before the first frame. A missing control is told and the rest
 * still switched. */
static void engage_mixer(cw_tracker *t) {
        char *problems = NULL;
        int r;

        if (t->mixer || !t->cfg->mixer_card || t->cfg->n_mixer_controls == 0)
                return;
        r = cw_mixer_engage(t->cfg->mixer_card, t->cfg->mixer_controls, t->cfg->n_mixer_controls, t->mixer_state,
                            &t->mixer, &problems);
        if (r < 0 || problems)
                cw_log_warning("Mixer for the call: %s", problems ? problems : strerror(-r));
        else
                cw_log_debug("mixer: %zu control(s) on '%s' switched on for the call",
                             t->cfg->n_mixer_controls, t->cfg->mixer_card);
        free(problems);
}

/* A card that cannot be switched for the call may leave it uncaptured:
 * every phone call being recorded carries it. One still ringing is told at
 * its answer, if it still holds: on Droidian the profile becomes available
 * only once the call audio daemon has the card in its call profile, and a
 * call missed meanwhile was never to be recorded. */
static void on_card_problem(const char *message, void *userdata) {
        cw_tracker *t = userdata;

        cw_log_warning("Card profile: %s", message);
        for (tracked_call *call = t->calls; call; call = call->next)
                if (!is_encounter(call) && call->recording && call->state != CW_CALL_ENDED)
                        raise_warning(call, "card-profile", message);
}

static void engage_card(cw_tracker *t) {
        if (t->card || !t->cfg->card_name || !t->cfg->card_profile)
                return;
        if (cw_card_switch_resume(t->card_putting_back, t->cfg->card_profile, on_card_problem, t)) {
                t->card = t->card_putting_back;
                t->card_putting_back = NULL;
                return;
        }
        /* One putting back at a time: an earlier one still going is given up
         * (its state file stays, and ours replaces it). */
        t->card_putting_back = cw_card_switch_free(t->card_putting_back);
        if (cw_card_switch_engage(t->api, t->cfg->card_name, t->cfg->card_profile, t->card_state, on_card_problem,
                                  t, &t->card) < 0)
                cw_log_warning("Card profile: %s", strerror(ENOMEM));
}

static void release_card(cw_tracker *t) {
        if (!t->card)
                return;
        cw_card_switch_release(t->card);
        cw_card_switch_free(t->card_putting_back);
        t->card_putting_back = t->card;
        t->card = NULL;
}

/* for_call: the mixer's route of a phone call is switched on too; an
 * encounter needs the microphone alone. */
static void arm_capture(cw_tracker *t, bool for_call) {
        int r;

        if (t->release) {   /* a new call before the old capture went */
                t->api->defer_free(t->release);
                t->release = NULL;
        }
        if (for_call) {
                engage_mixer(t);
                engage_card(t);
        }
        if (t->capture)
                return;
        r = cw_capture_new(t->api, t->cfg->capture_mode, t->cfg->local_source, t->cfg->remote_source,
                           &capture_sink, t, &t->capture);
        if (r < 0)
                cw_log_error("Cannot start capture: %s", strerror(-r));
        else if (t->capture_error)
                tell_capture_started(t);
        t->capture_error = r < 0 ? r : 0;
}

/* A recording the capture feeds: its timeline must not start again. */
static bool recording_in_progress(cw_tracker *t) {
        for (tracked_call *call = t->calls; call; call = call->next)
                if (call->recording && !call->uncaptured)
                        return true;
        return false;
}

/* The instant of a state change on the capture's timeline, taken before
 * anything slow (a catalog commit) can delay it. */
static uint64_t capture_frame_now(cw_tracker *t) {
        return t->capture ? cw_capture_frame_now(t->capture) : 0;
}

/* The tags a recording carries, from what the tracker knows of the call. */
static void describe_call(const tracked_call *call, const cw_timestamp *ended, cw_end_reason reason,
                          cw_comment_list *list) {
        cw_call_comments(&(cw_call_description) {
                .id = cw_call_slot_id(call->slot), .kind = call->kind, .label = call->label,
                .backend = call->backend, .direction = call->direction, .number = call->number,
                .capture_mode = call->capture_mode, .appeared = call->appeared,
                .answered = call->was_answered ? &call->answered : NULL, .ended = ended, .end_reason = reason,
                .tags = call->tags, .n_tags = call->n_tags,
                .warnings = (const char *const *) call->warnings, .n_warnings = call->n_warnings,
        }, list);
}

static void start_recording(tracked_call *call, uint64_t frame) {
        cw_tracker *t = call->tracker;
        cw_comment_list tags = { .n = 0 };
        char *relpath = NULL, *message;
        int r;

        /* The capture decides what the file holds; without one the
         * configured mode names the empty file. */
        call->capture_mode = t->capture ? cw_capture_get_mode(t->capture) : t->cfg->capture_mode;
        call->uncaptured = !t->capture;
        /* An encounter is the microphone alone, which hears everyone in
         * the room: one source carrying every voice. */
        if (is_encounter(call))
                call->capture_mode = CW_CAPTURE_MIXED;
        describe_call(call, NULL, CW_END_UNKNOWN, &tags);
        r = is_encounter(call) ? cw_paths_encounter_relpath(&call->appeared, &relpath)
                               : cw_paths_recording_relpath(&call->appeared, call->direction, call->number, &relpath);
        if (r == 0)
                r = cw_recording_open(t->data_dir, relpath, call->capture_mode == CW_CAPTURE_SEPARATE ? 2 : 1,
                                      t->cfg->bitrate, &tags, frame, &call->recording);
        free(relpath);
        cw_comment_list_clear(&tags);
        if (r < 0) {
                /* A full disk at the answer: the call is still in the catalog,
                 * and the person reviewing it learns why it has no file. */
                call->recording_error = r;
                if (asprintf(&message, "the recording could not be created (%s); this %s was not recorded",
                             strerror(-r), cw_record_kind_to_string(call->kind)) >= 0) {
                        raise_warning(call, "write-failed", message);
                        free(message);
                }
                return;
        }
        call->relpath = strdup(cw_recording_relpath(call->recording));
        cw_log_info("%s %lld: recording to %s", cw_record_kind_to_string(call->kind), call_id(call),
                    cw_recording_relpath(call->recording));
        /* In the catalog at once: a crash mid-call still points at the file. */
        cw_catalog_writer_set_recording(t->writer, call->slot, &(cw_recording_info) {
                .relpath = cw_recording_relpath(call->recording), .capture_mode = call->capture_mode,
                .at = cw_timestamp_now(),
        });
        if (call->capture_mode == CW_CAPTURE_LOCAL_ONLY) {
                cw_timestamp now = cw_timestamp_now();

                cw_catalog_writer_add_warning(t->writer, call->slot, "local-only", CW_LOCAL_ONLY_WARNING, &now);
        }
        if (!is_encounter(call) && (message = cw_card_switch_standing_problem(t->card))) {
                raise_warning(call, "card-profile", message);
                free(message);
        }
}

static void finish_recording(tracked_call *call) {
        cw_tracker *t = call->tracker;
        cw_comment_list tags = { .n = 0 };
        cw_opus_result result = { 0 };
        uint64_t missing;
        char *message;
        int r;

        if (!call->recording)
                return;
        missing = cw_recording_missing(call->recording);
        if (missing > MAX_END_PAD &&
            asprintf(&message, "the capture delivered %llu ms less than the call lasted; the recording ends early",
                     (unsigned long long) (missing * 1000 / CW_CAPTURE_RATE)) >= 0) {
                raise_warning(call, "capture-short", message);
                free(message);
        }
        describe_call(call, &call->ended_at, call->end_reason, &tags);
        r = cw_recording_finish(call->recording, MAX_END_PAD, &tags, &result);
        call->recording = NULL;
        cw_comment_list_clear(&tags);
        if (r < 0)
                cw_log_error("call %lld: finishing %s: %s; the file is kept as far as it was written",
                             call_id(call), call->relpath, strerror(-r));
        if (result.tags_error < 0)
                cw_log_warning("call %lld: end time not written into %s: %s", call_id(call),
                               call->relpath, strerror(-result.tags_error));

        cw_catalog_writer_set_recording(t->writer, call->slot, &(cw_recording_info) {
                .relpath = call->relpath,
                .capture_mode = call->capture_mode,
                .duration_ms = result.duration_ms,
                .size = result.size,
                .sha256 = result.sha256[0] ? result.sha256 : NULL,
                .at = cw_timestamp_now(),
        });
        cw_log_info("%s %lld: recording finished, %lld ms, sha256 %s", cw_record_kind_to_string(call->kind),
                    call_id(call), (long long) result.duration_ms, result.sha256);
        if (t->observer && t->observer->finished)
                t->observer->finished(cw_call_slot_id(call->slot), call->relpath, result.sha256,
                                      t->observer_userdata);
}

static void free_call(tracked_call *call) {
        if (call->finish_deadline)
                call->tracker->api->time_free(call->finish_deadline);
        for (size_t i = 0; i < call->n_warnings; i++)
                free(call->warnings[i]);
        free(call->label);
        free(call->backend);
        free(call->path);
        free(call->number);
        free(call->relpath);
        cw_call_slot_release(call->slot);
        free(call);
}

static void on_release(pa_mainloop_api *api, pa_defer_event *e, void *userdata) {
        cw_tracker *t = userdata;

        api->defer_free(e);
        t->release = NULL;
        if (!t->calls)
                t->capture = cw_capture_free(t->capture);
        /* The call's route goes back as soon as no phone call needs it,
         * even while an encounter goes on recording the microphone. */
        if (!phone_call_in_progress(t)) {
                t->mixer = cw_mixer_restore(t->mixer);
                release_card(t);
        }
}

static void remove_call(cw_tracker *t, tracked_call *call) {
        for (tracked_call **link = &t->calls; *link; link = &(*link)->next)
                if (*link == call) {
                        *link = call->next;
                        break;
                }
        free_call(call);
        /* Nothing to wake for until the next call; the mixer goes back
         * whether a capture ran or not. Released from the loop, not here:
         * this may run inside the capture's own frame callback. */
        if (((!t->calls && t->capture) || (!phone_call_in_progress(t) && (t->mixer || t->card))) && !t->release)
                t->release = t->api->defer_new(t->api, on_release, t);
        tell_changed(t);
}

static void complete_end(tracked_call *call) {
        finish_recording(call);
        /* The clock is checked once its audio is all in: nothing it does
         * (an answer to wait for, a commit) can touch the recording. */
        check_clock(call->tracker, call->slot);
        remove_call(call->tracker, call);
}

/* Ends the file now: what the server has not delivered by now is silence. */
static void pad_and_complete(tracked_call *call) {
        cw_tracker *t = call->tracker;
        bool other_recording = false;

        /* No longer waiting: the flush below must not complete the call
         * from inside on_frames() while this function still holds it. */
        if (call->finish_deadline) {
                t->api->time_free(call->finish_deadline);
                call->finish_deadline = NULL;
        }
        for (tracked_call *other = t->calls; other; other = other->next)
                other_recording |= other != call && other->recording;
        /* Flushing puts silence where a side is behind, into every
         * recording: only the last one may. Another pads itself. */
        if (t->capture && !other_recording && call->recording)
                cw_capture_flush(t->capture, capture_frame_now(t));
        complete_end(call);
}

static void on_finish_deadline(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        tracked_call *call = userdata;

        cw_log_debug("call %lld: the last audio did not arrive in time; padding with silence", call_id(call));
        pad_and_complete(call);
}

/* The audio up to the hang-up is still in flight; keep writing until the
 * file covers the whole active period, or the deadline passes. */
static void wait_for_last_audio(tracked_call *call, uint64_t end_frame) {
        pa_mainloop_api *api = call->tracker->api;
        struct timeval deadline;

        cw_recording_end_at(call->recording, end_frame);
        cw_log_debug("call %lld: ends at capture frame %llu, %llu frames still to come", call_id(call),
                     (unsigned long long) end_frame, (unsigned long long) cw_recording_missing(call->recording));
        if (cw_recording_complete(call->recording)) {
                complete_end(call);
                return;
        }
        pa_gettimeofday(&deadline);
        pa_timeval_add(&deadline, FINISH_DEADLINE_USEC);
        call->finish_deadline = api->time_new(api, &deadline, on_finish_deadline, call);
        if (!call->finish_deadline)
                pad_and_complete(call);
}

/* The capture's frame at which a call became connected (active or held):
 * the first connected call starts the capture's timeline, before any slow
 * catalog commit can delay the instant. */
static uint64_t connected_at(tracked_call *call, cw_call_state state) {
        cw_tracker *t = call->tracker;

        if ((state == CW_CALL_ACTIVE || state == CW_CALL_HELD) && !call->recording && !call->relpath &&
            t->capture && !recording_in_progress(t))
                cw_capture_start_now(t->capture);
        return capture_frame_now(t);
}

/* The user's rule, not a fault: in the catalog, no notification. */
static void tell_not_recorded(tracked_call *call) {
        cw_timestamp now = cw_timestamp_now();

        cw_log_info("call %lld: not recorded: a rule says never to record this number", call_id(call));
        cw_catalog_writer_add_warning(call->tracker->writer, call->slot, "not-recorded",
                                      "not recorded: rule (callwitness rule list)", &now);
}

/* A connected call's file: opened at the first connection; only the call
 * that has the line gets the audio, a held call's file gets silence and
 * never another call's words. */
static void record_connected(tracked_call *call, cw_call_state state, uint64_t frame) {
        if (call->never_record) {
                if (!call->not_recorded_told)
                        tell_not_recorded(call);
                call->not_recorded_told = true;
                return;
        }
        if (!call->recording && !call->relpath)
                start_recording(call, frame);
        if (call->recording && cw_recording_set_audible(call->recording, frame, state == CW_CALL_ACTIVE) < 0)
                cw_log_error("call %lld: out of memory marking the hold", call_id(call));
}

/* The call's policy tags as the calls before it make them now (for its
 * file), and the catalog's judged again, once it can be written, with the
 * change (each in the audit log). */
static void judge(tracked_call *call, const char *because) {
        cw_tracker *t = call->tracker;
        cw_tag tags[CW_CALL_TAGS_MAX];
        bool changed;
        int n;

        if (is_encounter(call))
                return;   /* no caller, nothing the rules count */
        n = cw_catalog_writer_judge(t->writer, call->slot, &call->appeared, call->direction == CW_DIRECTION_INCOMING,
                                    call->was_answered, call->number, tags, CW_CALL_TAGS_MAX);
        if (n < 0)
                n = 0;
        changed = (size_t) n != call->n_tags;
        for (int i = 0; i < n; i++) {
                bool known = false;

                for (size_t k = 0; k < call->n_tags && !known; k++)
                        known = strcmp(call->tags[k].name, tags[i].name) == 0;
                if (!known)
                        cw_log_info("call %lld: tagged %s: %s", call_id(call), tags[i].name, tags[i].reason);
                changed |= !known;
        }
        memcpy(call->tags, tags, (size_t) n * sizeof tags[0]);
        call->n_tags = (size_t) n;
        cw_catalog_writer_retag(t->writer, call->slot, call->appeared.utc_ms, because);
        if (changed && t->observer && t->observer->tagged)
                t->observer->tagged(cw_call_slot_id(call->slot), call->tags, call->n_tags, t->observer_userdata);
}

/* A call that ended tagged: the person hears of it now, while they can
 * still write down who called. */
static void tell_tags(tracked_call *call) {
        char summary[256], body[CW_TAG_REASON_MAX + 256], names[128] = "";
        size_t len = 0;

        if (call->n_tags == 0)
                return;
        for (size_t i = 0; i < call->n_tags; i++) {
                int n = snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", call->tags[i].name);

                if (n < 0 || (size_t) n >= sizeof names - len)
                        break;
                len += (size_t) n;
        }
        snprintf(summary, sizeof summary, "Call from %s tagged: %s", call->number ? call->number : "a withheld number",
                 names);
        if (call_id(call) > 0)
                snprintf(body, sizeof body, "%s. Write down who called: callwitness identify %lld --company NAME "
                                            "--employee-id CODE", call->tags[0].reason, call_id(call));
        else
                snprintf(body, sizeof body, "%s. Write down who called: callwitness identify (the call's id in "
                                            "callwitness list) --company NAME --employee-id CODE", call->tags[0].reason);
        cw_notifier_send(call->tracker->notifier, call_id(call) > 0 ? call_id(call) : 0, summary, body);
}

/* The one place a call's state is set, its first included. The first is
 * the one its catalog row was made with (no state row of its own), at the
 * moment it appeared: a call first seen connected (the daemon started
 * mid-call) counts as answered then and is recorded from now; one first
 * seen ended is closed, nothing having been heard of it. */
static void call_enter(tracked_call *call, cw_call_state state, cw_end_reason reason, bool first) {
        cw_tracker *t = call->tracker;
        cw_timestamp now = first ? call->appeared : cw_timestamp_now();
        uint64_t frame;

        if (!first) {
                if (call->state == CW_CALL_ENDED || state == call->state)
                        return;
                cw_log_debug("call %lld: %s -> %s", call_id(call), cw_call_state_to_string(call->state),
                             cw_call_state_to_string(state));
        }
        /* The instant first: the catalog's commits below may take long. */
        frame = connected_at(call, state);
        if ((state == CW_CALL_ACTIVE || state == CW_CALL_HELD) && !call->was_answered) {
                call->was_answered = true;
                call->answered = now;
        }
        if (!first)
                cw_catalog_writer_add_state(t->writer, call->slot, state, reason, &now);
        call->state = state;

        switch (state) {
        case CW_CALL_ACTIVE:
        case CW_CALL_HELD:
                record_connected(call, state, frame);
                break;
        case CW_CALL_ENDED:
                if (first) {
                        tell_changed(t);
                        complete_end(call);
                        return;
                }
                cw_log_info("%s %lld: ended (%s, %s)", cw_record_kind_to_string(call->kind), call_id(call),
                            is_encounter(call) ? "recorded" : cw_call_outcome(call->direction, call->was_answered, reason),
                            cw_end_reason_to_string(reason));
                call->ended_at = now;
                call->end_reason = reason;
                judge(call, "the call ended");
                tell_tags(call);
                if (call->recording)
                        wait_for_last_audio(call, call->uncaptured ? 0 : frame);
                else
                        complete_end(call);
                break;
        default:
                break;
        }
        tell_changed(t);
}

static void call_transition(tracked_call *call, cw_call_state state, cw_end_reason reason) {
        call_enter(call, state, reason, false);
}

static void on_call_added(const cw_modem_call_info *info, void *userdata) {
        cw_tracker *t = userdata;
        tracked_call *call;

        if (find_call(t, info->backend, info->path))
                return;
        call = calloc(1, sizeof *call);
        if (!call || !(call->backend = strdup(info->backend)) || !(call->path = strdup(info->path)) ||
            (info->number && info->number[0] && !(call->number = strdup(info->number)))) {
                cw_log_error("Out of memory: a call cannot be tracked");
                if (call)
                        free_call(call);
                return;
        }
        call->tracker = t;
        call->direction = info->direction;
        call->appeared = cw_timestamp_now();
        /* Capture first: it connects while the catalog's commits run, and
         * is running by the answer (nothing lost at the answer). */
        /* A number never to be recorded is not captured at all. */
        call->never_record = cw_catalog_writer_never_record(t->writer, call->number);
        if (info->state != CW_CALL_ENDED && !call->never_record)
                arm_capture(t, true);

        call->slot = cw_catalog_writer_add_call(t->writer, &(cw_call_start) {
                .backend = call->backend,
                .modem_call_id = call->path,
                .direction = call->direction,
                .number = call->number,
                .state = info->state,
                .appeared = call->appeared,
        });
        if (!call->slot) {
                cw_log_error("Out of memory: a call cannot be tracked");
                free_call(call);
                return;
        }
        cw_log_info("call %lld: %s %s call appeared", call_id(call), cw_call_state_to_string(info->state),
                    cw_direction_to_string(call->direction));
        cw_log_debug("call %lld: number %s", call_id(call), call->number ? call->number : "unknown");

        judge(call, "the call appeared");

        call->next = t->calls;
        t->calls = call;
        /* Its first frame before anything slow; a call that appears ended
         * is gone after call_enter. */
        call_enter(call, info->state, CW_END_UNKNOWN, true);
        if (info->state != CW_CALL_ENDED)
                tell_capture_failure(call);
}

static void on_call_state(const char *backend, const char *path, cw_call_state state, cw_end_reason reason,
                          void *userdata) {
        tracked_call *call = find_call(userdata, backend, path);

        if (call)
                call_transition(call, state, reason);
}

static void on_call_number(const char *backend, const char *path, const char *number, void *userdata) {
        cw_tracker *t = userdata;
        tracked_call *call = find_call(t, backend, path);
        char *copy;

        if (!call || (call->number && strcmp(call->number, number) == 0) || !(copy = strdup(number)))
                return;
        free(call->number);
        call->number = copy;
        cw_log_debug("call %lld: number is now %s", call_id(call), number);
        cw_catalog_writer_set_number(t->writer, call->slot, number);
        /* The network often names the caller after the call appeared. */
        if (!call->never_record && cw_catalog_writer_never_record(t->writer, number)) {
                if (!call->recording && !call->relpath)
                        call->never_record = true;
                else {
                        cw_timestamp now = cw_timestamp_now();

                        cw_log_warning("call %lld: recorded: its number, which a rule says never to record, became "
                                       "known only after the answer", call_id(call));
                        cw_catalog_writer_add_warning(t->writer, call->slot, "recorded-despite-rule",
                                                      "recorded: the number, which a rule says never to record, was "
                                                      "known only after the answer (callwitness delete removes it)",
                                                      &now);
                }
        }
        judge(call, "the caller's number became known");
}

static void on_call_removed(const char *backend, const char *path, cw_end_reason reason, void *userdata) {
        tracked_call *call = find_call(userdata, backend, path);

        if (call)
                call_transition(call, CW_CALL_ENDED, reason);
}

/* A text message: its rows (once), then every call and message from its
 * time on judged again (a message in the quiet hours is tagged night). */
static void on_message_received(const cw_message_in *message, void *userdata) {
        cw_tracker *t = userdata;
        cw_call_slot *slot = cw_catalog_writer_add_message(t->writer, message);
        cw_timestamp sent;
        int64_t since = message->seen.utc_ms;

        if (!slot) {
                cw_log_error("Out of memory: a text message from %s is not kept",
                             message->sender ? message->sender : "an unknown sender");
                return;
        }
        if (!message->receipt_known && message->sent_reported &&
            cw_message_parse_network_time(message->sent_reported, &sent) == 0)
                since = sent.utc_ms;
        cw_catalog_writer_retag(t->writer, slot, since, "a text message arrived");
        check_clock(t, slot);
        cw_call_slot_release(slot);
}

void cw_tracker_set_observer(cw_tracker *t, const cw_tracker_observer *observer, void *userdata) {
        t->observer = observer;
        t->observer_userdata = userdata;
}

static tracked_call *find_by_id(cw_tracker *t, int64_t id) {
        for (tracked_call *call = t->calls; call; call = call->next)
                if (id > 0 && cw_call_slot_id(call->slot) == id)
                        return call;
        return NULL;
}

static tracked_call *encounter_in_progress(cw_tracker *t) {
        for (tracked_call *call = t->calls; call; call = call->next)
                if (is_encounter(call) && call->state != CW_CALL_ENDED)
                        return call;
        return NULL;
}

int cw_tracker_start_encounter(cw_tracker *t, const char *label, int64_t *id) {
        tracked_call *call, *running = encounter_in_progress(t);

        if (running) {
                *id = cw_call_slot_id(running->slot);
                return -EBUSY;
        }
        call = calloc(1, sizeof *call);
        if (!call)
                return -ENOMEM;
        if ((label && !(call->label = strdup(label))) || !(call->backend = strdup("callwitness")) ||
            asprintf(&call->path, "/encounter/%u", ++t->encounters) < 0) {
                call->path = NULL;   /* asprintf leaves it undefined when it fails */
                free_call(call);
                return -ENOMEM;
        }
        call->tracker = t;
        call->kind = CW_KIND_ENCOUNTER;
        call->direction = CW_DIRECTION_UNKNOWN;
        call->appeared = cw_timestamp_now();
        arm_capture(t, false);
        call->slot = cw_catalog_writer_add_call(t->writer, &(cw_call_start) {
                .kind = CW_KIND_ENCOUNTER, .label = call->label, .backend = call->backend,
                .modem_call_id = call->path, .direction = call->direction, .state = CW_CALL_ACTIVE,
                .appeared = call->appeared,
        });
        if (!call->slot) {
                free_call(call);
                return -ENOMEM;
        }
        call->next = t->calls;
        t->calls = call;
        cw_log_info("encounter %lld: started%s%s", call_id(call), call->label ? ": " : "",
                    call->label ? call->label : "");
        call_enter(call, CW_CALL_ACTIVE, CW_END_UNKNOWN, true);
        tell_capture_failure(call);
        *id = cw_call_slot_id(call->slot);
        if (!call->recording) {
                /* No file (a full disk): said in its row; nothing goes on
                 * that would block the next one. */
                int r = call->recording_error ? call->recording_error : -EIO;

                call_transition(call, CW_CALL_ENDED, CW_END_ERROR);
                return r;
        }
        return 0;
}

int cw_tracker_stop_encounter(cw_tracker *t, int64_t id) {
        tracked_call *call = id ? find_by_id(t, id) : encounter_in_progress(t);

        if (!call || call->state == CW_CALL_ENDED)
                return -ENOENT;
        if (!is_encounter(call))
                return -EPERM;   /* a call ends when it is hung up */
        cw_log_info("encounter %lld: stopped by the user", call_id(call));
        call_transition(call, CW_CALL_ENDED, CW_END_STOPPED);
        return 0;
}

int cw_tracker_mark(cw_tracker *t, int64_t id, const char *text, int64_t *marked_id, int64_t *offset_ms) {
        tracked_call *call = id ? find_by_id(t, id) : NULL;
        const char *problem;
        cw_timestamp now = cw_timestamp_now();

        if (text[0] && cw_text_check(text, CW_TEXT_LINE, CW_MARK_TEXT_MAX, &problem) < 0)
                return -EINVAL;
        /* Without an id: the call that has the line, else the encounter. */
        for (tracked_call *c = t->calls; !id && c; c = c->next)
                if (c->recording && c->state == CW_CALL_ACTIVE && (!call || is_encounter(call)))
                        call = c;
        if (!call)
                return -ENOENT;
        if (!call->recording || call->state == CW_CALL_ENDED)
                return -ENODATA;
        *marked_id = call_id(call);
        *offset_ms = cw_recording_offset_ms(call->recording, capture_frame_now(t));
        cw_log_info("%s %lld: marked at %lld ms", cw_record_kind_to_string(call->kind), call_id(call),
                    (long long) *offset_ms);
        cw_catalog_writer_add_mark(t->writer, call->slot, *offset_ms, text, &now);
        return 0;
}

cw_tracker_state cw_tracker_get_state(cw_tracker *t) {
        cw_tracker_state state = CW_TRACKER_IDLE;

        /* One that ended and is only waiting for its last audio is over. */
        for (tracked_call *call = t->calls; call; call = call->next) {
                if (call->state == CW_CALL_ENDED)
                        continue;
                if (call->recording)
                        return CW_TRACKER_RECORDING;
                state = CW_TRACKER_RINGING;
        }
        return state;
}

size_t cw_tracker_current_ids(cw_tracker *t, int64_t *ids, size_t max) {
        size_t n = 0;

        for (tracked_call *call = t->calls; call && n < max; call = call->next)
                if (cw_call_slot_id(call->slot) > 0 && call->state != CW_CALL_ENDED)
                        ids[n++] = cw_call_slot_id(call->slot);
        return n;
}

cw_capture_mode cw_tracker_capture_mode(cw_tracker *t) {
        return t->capture ? cw_capture_get_mode(t->capture) : t->cfg->capture_mode;
}

void cw_tracker_foreach_warning(cw_tracker *t, cw_tracker_warning_fn cb, void *userdata) {
        for (tracked_call *call = t->calls; call; call = call->next)
                for (size_t i = 0; i < call->n_warnings; i++) {
                        char kind[64];

                        snprintf(kind, sizeof kind, "%.*s", (int) call->warning_kind_len[i], call->warnings[i]);
                        cb(cw_call_slot_id(call->slot), kind, call->warnings[i] + call->warning_kind_len[i] + 2,
                           userdata);
                }
}

const cw_modem_events cw_tracker_modem_events = {
        .call_added = on_call_added,
        .call_state = on_call_state,
        .call_number = on_call_number,
        .call_removed = on_call_removed,
        .message_received = on_message_received,
};

/* An id that was 0 is known now: CurrentCalls changed. */
static void on_row_written(void *userdata) {
        tell_changed(userdata);
}

int cw_tracker_new(pa_mainloop_api *api, const cw_config *cfg, cw_catalog *catalog,
                   cw_notifier *notifier, const char *data_dir, cw_tracker **ret) {
        cw_tracker *t = calloc(1, sizeof *t);
        char *problems = NULL, *journal = NULL;
        int r;

        if (!t || !(t->data_dir = strdup(data_dir)) ||
            asprintf(&t->mixer_state, "%s/mixer-restore.state", data_dir) < 0 ||
            asprintf(&t->card_state, "%s/card-restore.state", data_dir) < 0) {
                if (t) {
                        free(t->data_dir);
                        free(t->mixer_state);
                }
                free(t);
                return -ENOMEM;
        }
        /* A daemon that died mid-call left the call's route switched on. */
        r = cw_mixer_restore_saved(t->mixer_state, &problems);
        if (r > 0)
                cw_log_warning("Mixer controls left on by a callwitnessd that stopped during a call were restored");
        else if (r < 0)
                cw_log_warning("Mixer controls left on by a callwitnessd that stopped during a call: %s",
                               problems ? problems : strerror(-r));
        free(problems);
        t->api = api;
        t->cfg = cfg;
        /* And the card it switched. */
        t->card_putting_back = cw_card_switch_restore_saved(api, t->card_state);
        if (asprintf(&journal, "%s/%s", data_dir, CW_CATALOG_JOURNAL) < 0)
                r = -ENOMEM;
        else
                r = cw_catalog_writer_new(api, catalog, journal, &t->writer);
        free(journal);
        if (r < 0) {
                cw_card_switch_free(t->card_putting_back);
                free(t->card_state);
                free(t->mixer_state);
                free(t->data_dir);
                free(t);
                return r;
        }
        t->notifier = notifier;
        cw_catalog_writer_on_row(t->writer, on_row_written, t);
        *ret = t;
        return 0;
}

void cw_tracker_set_rules(cw_tracker *t, const cw_rulebook *rules, const char *because) {
        cw_catalog_writer_set_rules(t->writer, rules);
        if (rules)
                cw_catalog_writer_retag(t->writer, NULL, INT64_MIN / 2, because);
}

cw_tracker *cw_tracker_free(cw_tracker *t) {
        if (!t)
                return NULL;
        t->observer = NULL;
        /* No waiting for in-flight audio on the way out. */
        while (t->calls) {
                tracked_call *call = t->calls;

                if (call->state != CW_CALL_ENDED)
                        call_transition(call, CW_CALL_ENDED, CW_END_DAEMON_STOPPED);
                if (t->calls == call)
                        pad_and_complete(call);
        }
        if (t->release)
                t->api->defer_free(t->release);
        cw_capture_free(t->capture);
        cw_mixer_restore(t->mixer);
        /* A card still switched is put back at the next start. */
        cw_card_switch_free(t->card);
        cw_card_switch_free(t->card_putting_back);
        cw_catalog_writer_free(t->writer);
        free(t->card_state);
        free(t->mixer_state);
        free(t->data_dir);
        free(t);
        return NULL;
}
