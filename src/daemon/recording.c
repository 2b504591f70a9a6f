/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/paths.h"
#include "capture.h"
#include "recording.h"

/* A side silent this long after the answer was not captured. */
#define SILENCE_WINDOW_FRAMES ((uint64_t) 10 * CW_CAPTURE_RATE)
#define MAX_CHANNELS 2
/* Written pages reach the disk every half second; every this many frames
 * they are also synced, so a power cut loses at most about five seconds
 * of a call (the cost: one fdatasync of a few kB every 5 s). */
#define SYNC_FRAMES ((uint64_t) 5 * CW_CAPTURE_RATE)
#define SILENCE_CHUNK 960

/* From frame on, the call's audio is kept or replaced by silence. */
typedef struct audible_span {
        uint64_t frame;
        bool audible;
} audible_span;

struct cw_recording {
        cw_opus_writer *writer;
        char *relpath;
        unsigned channels;
        uint64_t start_frame;
        bool ending;
        uint64_t end_frame;
        audible_span *spans;       /* in order of frame; grows on hold and resume only */
        size_t n_spans;
        int write_error;
        bool write_error_told;
        bool heard[MAX_CHANNELS];
        bool silence_checked;
        uint64_t synced_frames;
        float *picked;             /* the channels kept of a capture with more */
        size_t picked_frames;
};

typedef struct open_request {
        unsigned channels;
        int bitrate;
        const cw_comment_list *tags;
        cw_opus_writer *writer;
} open_request;

static int create_file(const char *path, void *userdata) {
        open_request *request = userdata;

        return cw_opus_writer_open(path, request->channels, request->bitrate,
                                   (const char *const *) request->tags->items, request->tags->n, &request->writer);
}

int cw_recording_open(const char *data_dir, const char *relpath, unsigned channels, int bitrate,
                      const cw_comment_list *tags, uint64_t start_frame, cw_recording **ret) {
        open_request request = { .channels = channels, .bitrate = bitrate, .tags = tags };
        cw_recording *r = calloc(1, sizeof *r);
        int e;

        if (!r || channels == 0 || channels > MAX_CHANNELS) {
                free(r);
                return r ? -EINVAL : -ENOMEM;
        }
        e = cw_paths_create_unique(data_dir, relpath, create_file, &request, &r->relpath);
        if (e < 0) {
                free(r);
                return e;
        }
        r->writer = request.writer;
        r->channels = channels;
        r->start_frame = start_frame;
        *ret = r;
        return 0;
}

const char *cw_recording_relpath(const cw_recording *r) {
        return r->relpath;
}

int cw_recording_set_audible(cw_recording *r, uint64_t frame, bool audible) {
        audible_span *grown;

        if (frame < r->start_frame)
                frame = r->start_frame;
        if (r->n_spans && r->spans[r->n_spans - 1].audible == audible)
                return 0;
        grown = realloc(r->spans, (r->n_spans + 1) * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        r->spans = grown;
        r->spans[r->n_spans++] = (audible_span) { .frame = frame, .audible = audible };
        return 0;
}

/* Whether frame is the call's own audio, and the first frame after it
 * where that may change. */
static bool audible_at(const cw_recording *r, uint64_t frame, uint64_t *until) {
        bool audible = true;

        *until = UINT64_MAX;
        for (size_t i = 0; i < r->n_spans; i++) {
                if (r->spans[i].frame > frame) {
                        *until = r->spans[i].frame;
                        break;
                }
                audible = r->spans[i].audible;
        }
        return audible;
}

static uint64_t written(const cw_recording *r) {
        return cw_opus_writer_frames(r->writer);
}

static void write_frames(cw_recording *r, const float *frames, size_t n) {
        int e;

        if (r->write_error)
                return;
        e = cw_opus_writer_write(r->writer, frames, n);
        if (e < 0)
                r->write_error = e;
}

static void write_silence(cw_recording *r, uint64_t n) {
        static const float silence[MAX_CHANNELS * SILENCE_CHUNK];

        while (n > 0 && !r->write_error) {
                size_t step = n < SILENCE_CHUNK ? (size_t) n : SILENCE_CHUNK;

                write_frames(r, silence, step);
                n -= step;
        }
}

static void watch_silence(cw_recording *r, const float *frames, size_t n, cw_recording_news *news) {
        for (size_t i = 0; i < n * r->channels; i++) {
                float v = frames[i] < 0 ? -frames[i] : frames[i];

                if (v > CW_SILENCE_LEVEL)
                        r->heard[i % r->channels] = true;
        }
        if (r->silence_checked || written(r) < SILENCE_WINDOW_FRAMES)
                return;
        r->silence_checked = true;
        news->silence_checked = true;
        for (unsigned i = 0; i < r->channels; i++)
                if (!r->heard[i])
                        news->silent_channels |= 1u << i;
}

/* The first r->channels of each frame: an encounter keeps the microphone
 * (the capture's left channel) of a capture that also has the call's other
 * side. NULL when out of memory. */
static const float *pick_channels(cw_recording *r, const float *frames, size_t n_frames, unsigned channels) {
        if (n_frames > r->picked_frames) {
                float *grown = realloc(r->picked, n_frames * r->channels * sizeof *grown);

                if (!grown)
                        return NULL;
                r->picked = grown;
                r->picked_frames = n_frames;
        }
        for (size_t i = 0; i < n_frames; i++)
                for (unsigned ch = 0; ch < r->channels; ch++)
                        r->picked[i * r->channels + ch] = frames[i * channels + ch];
        return r->picked;
}

void cw_recording_feed(cw_recording *r, const float *frames, size_t n_frames, unsigned channels, uint64_t first_frame,
                       cw_recording_news *news) {
        uint64_t end = first_frame + n_frames;

        *news = (cw_recording_news) { 0 };
        if (channels < r->channels)
                return;
        if (channels > r->channels) {
                frames = pick_channels(r, frames, n_frames, channels);
                if (!frames) {
                        r->write_error = r->write_error ? r->write_error : -ENOMEM;
                        goto told;
                }
                channels = r->channels;
        }
        if (r->ending && end > r->end_frame)
                end = r->end_frame;
        /* The capture hands each frame once, in order; what comes before
         * the recording's next frame was before its answer. */
        while (!r->write_error) {
                uint64_t next = r->start_frame + written(r), until;
                size_t n;

                if (next >= end)
                        break;
                if (next < first_frame) {   /* the capture had moved on before the answer: silence */
                        write_silence(r, first_frame - next);
                        continue;
                }
                n = (size_t) (end - next);
                if (audible_at(r, next, &until)) {
                        if (until < next + n)
                                n = (size_t) (until - next);
                        write_frames(r, frames + (next - first_frame) * channels, n);
                        watch_silence(r, frames + (next - first_frame) * channels, n, news);
                } else {
                        if (until < next + n)
                                n = (size_t) (until - next);
                        write_silence(r, n);
                }
        }
        if (!r->write_error && written(r) >= r->synced_frames + SYNC_FRAMES) {
                int e = cw_opus_writer_sync(r->writer);

                /* A delayed allocation that fails shows here (ENOSPC, EIO). */
                r->synced_frames = written(r);
                if (e < 0)
                        r->write_error = e;
        }
told:
        if (r->write_error && !r->write_error_told) {
                r->write_error_told = true;
                news->write_error = r->write_error;
        }
}

int64_t cw_recording_offset_ms(const cw_recording *r, uint64_t frame) {
        return frame > r->start_frame ? (int64_t) ((frame - r->start_frame) * 1000 / CW_CAPTURE_RATE) : 0;
}

void cw_recording_end_at(cw_recording *r, uint64_t end_frame) {
        r->ending = true;
        r->end_frame = end_frame < r->start_frame ? r->start_frame : end_frame;
}

uint64_t cw_recording_missing(const cw_recording *r) {
        uint64_t have = r->start_frame + written(r);

        return r->ending && have < r->end_frame ? r->end_frame - have : 0;
}

bool cw_recording_complete(const cw_recording *r) {
        return r->ending && (cw_recording_missing(r) == 0 || r->write_error);
}

int cw_recording_finish(cw_recording *r, uint64_t max_pad, const cw_comment_list *final_tags,
                        cw_opus_result *result) {
        uint64_t missing = cw_recording_missing(r);
        int e;

        write_silence(r, missing < max_pad ? missing : max_pad);
        e = cw_opus_writer_finish(r->writer, (const char *const *) final_tags->items, final_tags->n, result);
        free(r->spans);
        free(r->picked);
        free(r->relpath);
        free(r);
        return e;
}
