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
#include "callwitness/policy.h"
#include "call-tags.h"
#include "capture.h"
#include "mixer.h"
#include "opus-writer.h"
#include "tracker.h"

/* After a hang-up, audio up to that instant is still in the sound server's
 * buffers; wait this long at most for it before padding with silence. */
#define FINISH_DEADLINE_USEC (1 * PA_USEC_PER_SEC)
/* A side silent (CW_SILENCE_LEVEL) this long after the answer was not
 * captured. */
/* The first audio of a call may arrive late: a sound server wakes an idle
 * source on its old, long period (PulseAudio's null sink took 1.9 s) or a
 * phone opens its microphone late. What arrives then is recent audio, so
 * the gap goes at the start of the file as silence, keeping every word at
 * its true time. Less than this is ordinary fragment latency. */
#define LATE_START_TOLERANCE (CW_CAPTURE_RATE / 10)
#define SILENCE_WINDOW_FRAMES ((uint64_t) 10 * CW_CAPTURE_RATE)

typedef struct tracked_call {
        cw_tracker *tracker;
        char *backend, *path;
        int64_t id;
        cw_call_state state;
        cw_direction direction;
        char *number;
        cw_timestamp appeared, answered;
        bool was_answered;
        cw_tag tags[CW_CALL_TAGS_MAX];
        size_t n_tags;
        cw_opus_writer *writer;
        cw_capture_mode capture_mode;
        bool heard[2];                   /* per channel: sound above CW_SILENCE_LEVEL so far */
        bool silence_checked;
        bool got_audio;
        char *relpath;
        bool write_error_logged;
        pa_usec_t recording_started;     /* monotonic */
        uint64_t frames_due;             /* set at the end: the active period's length */
        cw_timestamp ended_at;
        cw_end_reason end_reason;
        pa_time_event *finish_deadline;  /* only while waiting for the last audio */
        struct tracked_call *next;
} tracked_call;

struct cw_tracker {
        pa_mainloop_api *api;
        const cw_config *cfg;
        cw_catalog *catalog;
        cw_notifier *notifier;
        char *data_dir;
        cw_capture *capture;     /* while any call is in progress */
        cw_mixer *mixer;         /* the configured controls, on while capture is */
        pa_defer_event *release_capture;
        tracked_call *calls;
};

static tracked_call *find_call(cw_tracker *t, const char *backend, const char *path) {
        for (tracked_call *call = t->calls; call; call = call->next)
                if (strcmp(call->backend, backend) == 0 && strcmp(call->path, path) == 0)
                        return call;
        return NULL;
}

static void complete_end(tracked_call *call);

/* Something the person reviewing this call must know, told everywhere they
 * may look: the log, the catalog, and a notification now. */
static void raise_warning(tracked_call *call, const char *kind, const char *message) {
        cw_timestamp now = cw_timestamp_now();

        cw_log_warning("call %lld: %s", (long long) call->id, message);
        if (cw_catalog_add_warning(call->tracker->catalog, call->id, kind, message, &now) < 0)
                cw_log_error("call %lld: catalog: %s", (long long) call->id,
                             cw_catalog_last_error(call->tracker->catalog));
        cw_notifier_send(call->tracker->notifier, "Call recording problem", message);
}

static void watch_silence(tracked_call *call, const float *peaks, unsigned channels) {
        static const struct {
                const char *kind, *message;
        } silent[2][2] = {
                { { "silent", "the recording stayed silent for the first 10 seconds of the call; "
                              "check [audio] local_source and the capture mode" } },
                { { "silent-local", "the phone's own microphone stayed silent for the first 10 seconds of the call" },
                  { "silent-remote", "the other party's side stayed silent for the first 10 seconds of the call: "
                                     "this phone may not route call audio through the sound server; check "
                                     "[audio] remote_source and the capture mode" } },
        };

        for (unsigned i = 0; i < channels && i < 2; i++)
                call->heard[i] |= peaks[i] > CW_SILENCE_LEVEL;
        if (call->silence_checked || cw_opus_writer_frames(call->writer) < SILENCE_WINDOW_FRAMES)
                return;
        call->silence_checked = true;
        for (unsigned i = 0; i < channels && i < 2; i++)
                if (!call->heard[i])
                        raise_warning(call, silent[channels - 1][i].kind, silent[channels - 1][i].message);
}

static void write_silence(tracked_call *call, uint64_t n_frames);

static void write_frames(tracked_call *call, const float *stereo, size_t n_frames) {
        int r = cw_opus_writer_write(call->writer, stereo, n_frames);

        if (r < 0 && !call->write_error_logged) {
                call->write_error_logged = true;
                cw_log_error("call %lld: writing %s failed: %s; the audio so far is kept",
                             (long long) call->id, call->relpath, strerror(-r));
        }
}

static void on_frames(const float *frames, size_t n_frames, unsigned channels, void *userdata) {
        cw_tracker *t = userdata;
        float peaks[2] = { 0, 0 };
        tracked_call *next;

        /* Once per chunk, shared by every call listening. */
        for (size_t i = 0; i < n_frames * channels; i++) {
                float v = frames[i] < 0 ? -frames[i] : frames[i];

                if (v > peaks[i % channels])
                        peaks[i % channels] = v;
        }

        /* Held calls keep recording: one file per call, with the hold
         * marked in the timeline rather than cut out of the audio. */
        for (tracked_call *call = t->calls; call; call = next) {
                next = call->next;
                /* A writer opened under another capture mode (a reload
                 * between calls) gets no frames of the wrong shape. */
                if (!call->writer || cw_opus_writer_channels(call->writer) != channels)
                        continue;
                if (!call->got_audio) {
                        uint64_t elapsed = (pa_rtclock_now() - call->recording_started) * CW_CAPTURE_RATE /
                                           PA_USEC_PER_SEC;

                        call->got_audio = true;
                        if (elapsed > n_frames + LATE_START_TOLERANCE) {
                                cw_log_info("call %lld: audio began %llu ms after the answer; the file starts with "
                                            "that much silence", (long long) call->id,
                                            (unsigned long long) ((elapsed - n_frames) * 1000 / CW_CAPTURE_RATE));
                                write_silence(call, elapsed - n_frames);
                        }
                }
                write_frames(call, frames, n_frames);
                watch_silence(call, peaks, channels);
                if (call->finish_deadline && cw_opus_writer_frames(call->writer) >= call->frames_due)
                        complete_end(call);
        }
}

static void on_capture_failed(const char *message, void *userdata) {
        cw_tracker *t = userdata;
        char *sentence;

        cw_log_error("Capture failed, calls in progress are not being recorded: %s", message);
        if (asprintf(&sentence, "this call is not being recorded: %s", message) < 0)
                return;
        for (tracked_call *call = t->calls; call; call = call->next)
                if (call->state != CW_CALL_ENDED)
                        raise_warning(call, "capture-failed", sentence);
        free(sentence);
}

static const cw_capture_sink capture_sink = { .frames = on_frames, .failed = on_capture_failed };

/* The profile's (or the configuration's) route of the call into the capture, before the first
 * frame. A missing control is told and the rest still switched. */
static void engage_mixer(cw_tracker *t) {
        char *problems = NULL;
        int r;

        if (t->mixer || !t->cfg->mixer_card || t->cfg->n_mixer_controls == 0)
                return;
        r = cw_mixer_engage(t->cfg->mixer_card, t->cfg->mixer_controls, t->cfg->n_mixer_controls,
                            &t->mixer, &problems);
        if (r < 0 || problems)
                cw_log_warning("Mixer for the call: %s", problems ? problems : strerror(-r));
        else
                cw_log_debug("mixer: %zu control(s) on '%s' switched on for the call",
                             t->cfg->n_mixer_controls, t->cfg->mixer_card);
        free(problems);
}

static void arm_capture(cw_tracker *t) {
        int r;

        if (t->release_capture) {   /* a new call before the old capture went */
                t->api->defer_free(t->release_capture);
                t->release_capture = NULL;
        }
        if (t->capture)
                return;
        engage_mixer(t);
        r = cw_capture_new(t->api, t->cfg->capture_mode, t->cfg->local_source, t->cfg->remote_source,
                           &capture_sink, t, &t->capture);
        if (r < 0)
                cw_log_error("Cannot start capture: %s", strerror(-r));
}

static bool recording_in_progress(cw_tracker *t) {
        for (tracked_call *call = t->calls; call; call = call->next)
                if (call->writer)
                        return true;
        return false;
}

/* The tags a recording carries, from what the tracker knows of the call. */
static void describe_call(const tracked_call *call, const cw_timestamp *ended, cw_end_reason reason,
                          cw_comment_list *list) {
        cw_call_comments(&(cw_call_description) {
                .id = call->id, .backend = call->backend, .direction = call->direction, .number = call->number,
                .capture_mode = call->capture_mode, .appeared = call->appeared,
                .answered = call->was_answered ? &call->answered : NULL, .ended = ended, .end_reason = reason,
                .tags = call->tags, .n_tags = call->n_tags,
        }, list);
}

/* "…/x.opus", then "…/x-2.opus" … if a call in the same second already
 * took the name. */
static int open_recording(tracked_call *call, cw_comment_list *tags) {
        cw_tracker *t = call->tracker;
        char *relpath = NULL, *path = NULL, *slash;
        int r;

        r = cw_paths_recording_relpath(&call->appeared, call->direction, call->number, &relpath);
        if (r < 0)
                return r;
        for (int attempt = 1; attempt <= 9; attempt++) {
                free(path);
                if (attempt > 1) {
                        char *numbered;
                        size_t stem = strlen(relpath) - strlen(".opus");

                        if (asprintf(&numbered, "%.*s-%d.opus", (int) stem, relpath, attempt) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        if (attempt > 2)
                                free(call->relpath);
                        call->relpath = numbered;
                } else
                        call->relpath = relpath;
                if (asprintf(&path, "%s/%s", t->data_dir, call->relpath) < 0) {
                        path = NULL;
                        r = -ENOMEM;
                        break;
                }
                slash = strrchr(path, '/');
                *slash = '\0';
                r = cw_paths_mkdir_p(path, 0700);
                *slash = '/';
                if (r < 0)
                        break;
                r = cw_opus_writer_open(path, call->capture_mode == CW_CAPTURE_SEPARATE ? 2 : 1, t->cfg->bitrate,
                                        (const char *const *) tags->items, tags->n, &call->writer);
                if (r != -EEXIST)
                        break;
        }
        free(path);
        if (call->relpath != relpath)
                free(relpath);
        if (r < 0) {
                free(call->relpath);
                call->relpath = NULL;
        }
        return r;
}

static void start_recording(tracked_call *call) {
        cw_tracker *t = call->tracker;
        cw_comment_list tags = { .n = 0 };
        int r;

        /* Audio captured while ringing is not part of the call; the file
         * starts at the answer. Another call recording keeps its buffer. */
        if (t->capture && !recording_in_progress(t))
                cw_capture_discard(t->capture);

        /* The capture decides what the file holds; without one (the sound
         * server unreachable) the configured mode names the empty file. */
        call->capture_mode = t->capture ? cw_capture_get_mode(t->capture) : t->cfg->capture_mode;
        describe_call(call, NULL, CW_END_UNKNOWN, &tags);
        r = open_recording(call, &tags);
        cw_comment_list_clear(&tags);
        if (r < 0) {
                cw_log_error("call %lld: cannot create the recording: %s", (long long) call->id, strerror(-r));
                return;
        }
        call->recording_started = pa_rtclock_now();
        cw_log_info("call %lld: recording to %s", (long long) call->id, call->relpath);
        /* In the catalog at once: a crash mid-call still points at the file. */
        r = cw_catalog_set_recording(t->catalog, call->id, &(cw_recording_info) {
                .relpath = call->relpath, .capture_mode = call->capture_mode,
        });
        if (r == 0 && call->capture_mode == CW_CAPTURE_LOCAL_ONLY) {
                cw_timestamp now = cw_timestamp_now();

                r = cw_catalog_add_warning(t->catalog, call->id, "local-only", CW_LOCAL_ONLY_WARNING, &now);
        }
        if (r < 0)
                cw_log_error("call %lld: catalog: %s", (long long) call->id, cw_catalog_last_error(t->catalog));
}

static void finish_recording(tracked_call *call, const cw_timestamp *ended, cw_end_reason reason) {
        cw_tracker *t = call->tracker;
        cw_comment_list tags = { .n = 0 };
        cw_opus_result result;
        int r;

        if (!call->writer)
                return;
        describe_call(call, ended, reason, &tags);
        r = cw_opus_writer_finish(call->writer, (const char *const *) tags.items, tags.n, &result);
        call->writer = NULL;
        cw_comment_list_clear(&tags);
        if (r < 0)
                cw_log_error("call %lld: finishing %s: %s; the file is kept as far as it was written",
                             (long long) call->id, call->relpath, strerror(-r));
        if (result.tags_error < 0)
                cw_log_warning("call %lld: end time not written into %s: %s", (long long) call->id,
                               call->relpath, strerror(-result.tags_error));

        r = cw_catalog_set_recording(t->catalog, call->id, &(cw_recording_info) {
                .relpath = call->relpath,
                .capture_mode = call->capture_mode,
                .duration_ms = result.duration_ms,
                .size = result.size,
                .sha256 = result.sha256[0] ? result.sha256 : NULL,
        });
        if (r < 0)
                cw_log_error("call %lld: catalog: %s", (long long) call->id, cw_catalog_last_error(t->catalog));
        cw_log_info("call %lld: recording finished, %lld ms, sha256 %s", (long long) call->id,
                    (long long) result.duration_ms, result.sha256);
}

static void free_call(tracked_call *call) {
        if (call->finish_deadline)
                call->tracker->api->time_free(call->finish_deadline);
        free(call->backend);
        free(call->path);
        free(call->number);
        free(call->relpath);
        free(call);
}

static void on_release_capture(pa_mainloop_api *api, pa_defer_event *e, void *userdata) {
        cw_tracker *t = userdata;

        api->defer_free(e);
        t->release_capture = NULL;
        if (!t->calls) {
                t->capture = cw_capture_free(t->capture);
                t->mixer = cw_mixer_restore(t->mixer);
        }
}

static void remove_call(cw_tracker *t, tracked_call *call) {
        for (tracked_call **link = &t->calls; *link; link = &(*link)->next)
                if (*link == call) {
                        *link = call->next;
                        break;
                }
        free_call(call);
        /* Nothing to wake for until the next call. Released from the loop,
         * not here: this may run inside the capture's own frame callback. */
        if (!t->calls && t->capture && !t->release_capture)
                t->release_capture = t->api->defer_new(t->api, on_release_capture, t);
}

static void complete_end(tracked_call *call) {
        finish_recording(call, &call->ended_at, call->end_reason);
        remove_call(call->tracker, call);
}

static void write_silence(tracked_call *call, uint64_t n_frames) {
        static const float silence[2 * 960];

        while (n_frames > 0 && !call->write_error_logged) {
                size_t n = n_frames < 960 ? (size_t) n_frames : 960;

                write_frames(call, silence, n);
                n_frames -= n;
        }
}

/* Ends the file now: what the server has not delivered by now is silence. */
static void pad_and_complete(tracked_call *call) {
        cw_tracker *t = call->tracker;
        bool other_writer = false;

        /* No longer waiting: the drain below must not complete the call
         * from inside on_frames() while this function still holds it. */
        if (call->finish_deadline) {
                t->api->time_free(call->finish_deadline);
                call->finish_deadline = NULL;
        }
        for (tracked_call *other = t->calls; other; other = other->next)
                other_writer |= other != call && other->writer;
        /* Padding the side that is behind would put a gap into a call that
         * goes on; only the last recording takes what is buffered. */
        if (t->capture && !other_writer)
                cw_capture_drain(t->capture);
        if (call->writer && cw_opus_writer_frames(call->writer) < call->frames_due) {
                uint64_t missing = call->frames_due - cw_opus_writer_frames(call->writer);

                /* Up to a second is audio still in flight; more than that
                 * means capture failed, and inventing silence for it would
                 * make the file claim to be the whole call. */
                if (missing > CW_CAPTURE_RATE) {
                        cw_log_warning("call %lld: capture delivered %llu ms less than the call lasted",
                                       (long long) call->id, (unsigned long long) (missing * 1000 / CW_CAPTURE_RATE));
                        missing = CW_CAPTURE_RATE;
                }
                write_silence(call, missing);
        }
        complete_end(call);
}

static void on_finish_deadline(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        tracked_call *call = userdata;

        cw_log_debug("call %lld: the last audio did not arrive in time; padding with silence", (long long) call->id);
        pad_and_complete(call);
}

/* The audio up to the hang-up is still in flight; keep writing until the
 * file covers the whole active period, or the deadline passes. */
static void wait_for_last_audio(tracked_call *call) {
        pa_mainloop_api *api = call->tracker->api;
        struct timeval deadline;

        call->frames_due = (pa_rtclock_now() - call->recording_started) * CW_CAPTURE_RATE / PA_USEC_PER_SEC;
        if (cw_opus_writer_frames(call->writer) >= call->frames_due) {
                complete_end(call);
                return;
        }
        pa_gettimeofday(&deadline);
        pa_timeval_add(&deadline, FINISH_DEADLINE_USEC);
        call->finish_deadline = api->time_new(api, &deadline, on_finish_deadline, call);
        if (!call->finish_deadline)
                pad_and_complete(call);
}

/* The one place a call changes state. */
static void call_transition(tracked_call *call, cw_call_state state, cw_end_reason reason) {
        cw_tracker *t = call->tracker;
        cw_timestamp now = cw_timestamp_now();
        int r;

        if (call->state == CW_CALL_ENDED || state == call->state)
                return;
        cw_log_debug("call %lld: %s -> %s", (long long) call->id, cw_call_state_to_string(call->state),
                     cw_call_state_to_string(state));

        if (state == CW_CALL_ACTIVE && !call->was_answered) {
                call->was_answered = true;
                call->answered = now;
        }
        r = cw_catalog_add_state(t->catalog, call->id, state, reason, &now);
        if (r < 0)
                cw_log_error("call %lld: catalog: %s", (long long) call->id, cw_catalog_last_error(t->catalog));
        call->state = state;

        switch (state) {
        case CW_CALL_ACTIVE:
                if (!call->writer && !call->relpath)
                        start_recording(call);
                break;
        case CW_CALL_ENDED:
                cw_log_info("call %lld: ended (%s, %s)", (long long) call->id,
                            cw_call_outcome(call->direction, call->was_answered, reason),
                            cw_end_reason_to_string(reason));
                call->ended_at = now;
                call->end_reason = reason;
                if (call->writer)
                        wait_for_last_audio(call);
                else
                        complete_end(call);
                break;
        default:
                break;
        }
}

static void on_call_added(const cw_modem_call_info *info, void *userdata) {
        cw_tracker *t = userdata;
        tracked_call *call;
        cw_tag night;
        int r;

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
        call->state = info->state;

        r = cw_catalog_add_call(t->catalog, &(cw_call_start) {
                .backend = call->backend,
                .modem_call_id = call->path,
                .direction = call->direction,
                .number = call->number,
                .state = call->state,
                .appeared = call->appeared,
        }, &call->id);
        if (r < 0)
                cw_log_error("A new call could not be written to the catalog: %s", cw_catalog_last_error(t->catalog));
        cw_log_info("call %lld: %s %s call appeared", (long long) call->id, cw_call_state_to_string(call->state),
                    cw_direction_to_string(call->direction));
        cw_log_debug("call %lld: number %s", (long long) call->id, call->number ? call->number : "unknown");

        if (cw_policy_night(t->cfg->night, t->cfg->n_night, &call->appeared, &night)) {
                call->tags[call->n_tags++] = night;
                cw_log_info("call %lld: tagged night: %s", (long long) call->id, night.reason);
                if (cw_catalog_set_policy_tag(t->catalog, call->id, &night) < 0)
                        cw_log_error("call %lld: catalog: %s", (long long) call->id, cw_catalog_last_error(t->catalog));
        }

        call->next = t->calls;
        t->calls = call;
        if (call->state == CW_CALL_ENDED) {
                remove_call(t, call);
                return;
        }
        arm_capture(t);
        if (call->state == CW_CALL_ACTIVE || call->state == CW_CALL_HELD) {
                /* Already connected when we first saw it (the daemon started
                 * mid-call): record from now. */
                call->was_answered = true;
                call->answered = call->appeared;
                start_recording(call);
        }
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
        cw_log_debug("call %lld: number is now %s", (long long) call->id, number);
        if (cw_catalog_set_number(t->catalog, call->id, number) < 0)
                cw_log_error("call %lld: catalog: %s", (long long) call->id, cw_catalog_last_error(t->catalog));
}

static void on_call_removed(const char *backend, const char *path, cw_end_reason reason, void *userdata) {
        tracked_call *call = find_call(userdata, backend, path);

        if (call)
                call_transition(call, CW_CALL_ENDED, reason);
}

const cw_modem_events cw_tracker_modem_events = {
        .call_added = on_call_added,
        .call_state = on_call_state,
        .call_number = on_call_number,
        .call_removed = on_call_removed,
};

int cw_tracker_new(pa_mainloop_api *api, const cw_config *cfg, cw_catalog *catalog,
                   cw_notifier *notifier, const char *data_dir, cw_tracker **ret) {
        cw_tracker *t = calloc(1, sizeof *t);

        if (!t || !(t->data_dir = strdup(data_dir))) {
                free(t);
                return -ENOMEM;
        }
        t->api = api;
        t->cfg = cfg;
        t->catalog = catalog;
        t->notifier = notifier;
        *ret = t;
        return 0;
}

cw_tracker *cw_tracker_free(cw_tracker *t) {
        if (!t)
                return NULL;
        /* No waiting for in-flight audio on the way out. */
        while (t->calls) {
                tracked_call *call = t->calls;

                if (call->state != CW_CALL_ENDED)
                        call_transition(call, CW_CALL_ENDED, CW_END_DAEMON_STOPPED);
                if (t->calls == call)
                        pad_and_complete(call);
        }
        if (t->release_capture)
                t->api->defer_free(t->release_capture);
        cw_capture_free(t->capture);
        cw_mixer_restore(t->mixer);
        free(t->data_dir);
        free(t);
        return NULL;
}
