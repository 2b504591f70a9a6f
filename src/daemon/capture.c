/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <pulse/context.h>
#include <pulse/error.h>
#include <pulse/introspect.h>
#include <pulse/stream.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "capture.h"

enum { SIDE_LOCAL, SIDE_REMOTE, N_SIDES };

/* Up to a second per side: enough for any scheduling hiccup, and the skew
 * rule below keeps a stalled side from ever filling it. */
#define SIDE_CAPACITY CW_CAPTURE_RATE
/* A side that has not delivered for this long is treated as silent, so a
 * stalled source never holds the other side's audio back. */
#define MAX_SKEW (CW_CAPTURE_RATE / 4)
/* Frames handed to the sink per call. */
#define CHUNK 4800
/* 50 ms fragments: few wake-ups during a call, and the file's end stays
 * within a fragment of the hang-up. */
#define FRAGMENT_MS 50

typedef struct side {
        cw_capture *capture;
        pa_stream *stream;
        float samples[SIDE_CAPACITY];
        size_t fill;
} side;

struct cw_capture {
        pa_mainloop_api *api;
        pa_context *context;
        cw_capture_mode mode;
        unsigned n_sides;        /* 2 for separate, 1 for mixed and local-only */
        char *source_names[N_SIDES];
        side sides[N_SIDES];
        cw_capture_sink sink;
        void *userdata;
        float interleaved[CHUNK * 2];
        int failed;
};

static void fail(cw_capture *c, const char *what) {
        char message[256];

        if (c->failed)
                return;
        c->failed = 1;
        snprintf(message, sizeof message, "%s: %s", what, pa_strerror(pa_context_errno(c->context)));
        c->sink.failed(message, c->userdata);
}

static void take_frames(side *s, size_t n) {
        memmove(s->samples, s->samples + n, (s->fill - n) * sizeof s->samples[0]);
        s->fill -= n;
}

/* Hands the frames every side has to the sink, interleaved. With pad, the
 * side that is behind is topped up with silence first. */
static void deliver(cw_capture *c, int pad) {
        size_t target = 0;

        if (pad) {
                for (unsigned i = 0; i < c->n_sides; i++)
                        if (c->sides[i].fill > target)
                                target = c->sides[i].fill;
                for (unsigned i = 0; i < c->n_sides; i++) {
                        memset(c->sides[i].samples + c->sides[i].fill, 0,
                               (target - c->sides[i].fill) * sizeof(float));
                        c->sides[i].fill = target;
                }
        }
        for (;;) {
                size_t n = CHUNK;

                for (unsigned i = 0; i < c->n_sides; i++)
                        if (c->sides[i].fill < n)
                                n = c->sides[i].fill;
                if (n == 0)
                        break;
                for (size_t frame = 0; frame < n; frame++)
                        for (unsigned i = 0; i < c->n_sides; i++)
                                c->interleaved[frame * c->n_sides + i] = c->sides[i].samples[frame];
                for (unsigned i = 0; i < c->n_sides; i++)
                        take_frames(&c->sides[i], n);
                c->sink.frames(c->interleaved, n, c->n_sides, c->userdata);
        }
}

static void append(side *s, const float *samples, size_t n) {
        cw_capture *c = s->capture;

        while (n > 0) {
                size_t room = SIDE_CAPACITY - s->fill, take = n < room ? n : room;

                if (samples)
                        memcpy(s->samples + s->fill, samples, take * sizeof(float));
                else   /* a hole in the stream: silence, so time stays true */
                        memset(s->samples + s->fill, 0, take * sizeof(float));
                s->fill += take;
                n -= take;
                if (samples)
                        samples += take;
                if (s->fill == SIDE_CAPACITY)
                        deliver(c, 1);
        }
}

static void on_read(pa_stream *stream, size_t nbytes, void *userdata) {
        side *s = userdata;
        cw_capture *c = s->capture;
        const void *data;

        while (pa_stream_readable_size(stream) > 0) {
                if (pa_stream_peek(stream, &data, &nbytes) < 0) {
                        fail(c, "Reading a capture stream failed");
                        return;
                }
                if (nbytes == 0)
                        break;
                append(s, data, nbytes / sizeof(float));
                pa_stream_drop(stream);
        }

        deliver(c, c->n_sides == 2 && (c->sides[SIDE_LOCAL].fill > MAX_SKEW + c->sides[SIDE_REMOTE].fill ||
                                       c->sides[SIDE_REMOTE].fill > MAX_SKEW + c->sides[SIDE_LOCAL].fill));
}

static void on_stream_state(pa_stream *stream, void *userdata) {
        side *s = userdata;

        switch (pa_stream_get_state(stream)) {
        case PA_STREAM_READY:
                cw_log_debug("capture: %s stream recording from %s",
                             s == &s->capture->sides[SIDE_LOCAL] ? "local" : "remote",
                             pa_stream_get_device_name(stream));
                break;
        case PA_STREAM_FAILED:
                fail(s->capture, "A capture stream failed");
                break;
        default:
                break;
        }
}

static int connect_side(cw_capture *c, int index, const char *name) {
        static const pa_sample_spec spec = { .format = PA_SAMPLE_FLOAT32NE, .rate = CW_CAPTURE_RATE, .channels = 1 };
        pa_buffer_attr attr = {
                .maxlength = (uint32_t) -1,
                .fragsize = (uint32_t) (CW_CAPTURE_RATE * FRAGMENT_MS / 1000 * sizeof(float)),
        };
        side *s = &c->sides[index];

        s->capture = c;
        s->stream = pa_stream_new(c->context, name, &spec, NULL);
        if (!s->stream)
                return -ENOMEM;
        pa_stream_set_state_callback(s->stream, on_stream_state, s);
        pa_stream_set_read_callback(s->stream, on_read, s);
        if (pa_stream_connect_record(s->stream, c->source_names[index], &attr, PA_STREAM_ADJUST_LATENCY) < 0)
                return -EIO;
        return 0;
}

static void on_default_sink(pa_context *context, const pa_sink_info *info, int eol, void *userdata) {
        cw_capture *c = userdata;

        if (eol)
                return;
        free(c->source_names[SIDE_REMOTE]);
        c->source_names[SIDE_REMOTE] = info ? strdup(info->monitor_source_name) : NULL;
        if (!c->source_names[SIDE_REMOTE] || connect_side(c, SIDE_REMOTE, "call: remote side") < 0)
                fail(c, "Cannot record the monitor of the default sink");
}

static void on_server_info(pa_context *context, const pa_server_info *info, void *userdata) {
        cw_capture *c = userdata;
        pa_operation *o;

        if (!info || !info->default_sink_name) {
                fail(c, "The sound server names no default sink to take the other party from");
                return;
        }
        /* Ask the sink for its monitor rather than trusting
         * "@DEFAULT_MONITOR@": pipewire-pulse 0.3.65 resolves that to the
         * default source, which would record the user twice and the other
         * party never. */
        o = pa_context_get_sink_info_by_name(context, info->default_sink_name, on_default_sink, c);
        if (o)
                pa_operation_unref(o);
        else
                fail(c, "Cannot look up the default sink");
}

static void connect_sides(cw_capture *c) {
        pa_operation *o;

        if (connect_side(c, SIDE_LOCAL, c->mode == CW_CAPTURE_MIXED ? "call: both sides" : "call: local side") < 0) {
                fail(c, "Cannot open the local capture stream");
                return;
        }
        if (c->n_sides == 1)
                return;
        if (c->source_names[SIDE_REMOTE]) {
                if (connect_side(c, SIDE_REMOTE, "call: remote side") < 0)
                        fail(c, "Cannot open the remote capture stream");
                return;
        }
        o = pa_context_get_server_info(c->context, on_server_info, c);
        if (o)
                pa_operation_unref(o);
        else
                fail(c, "Cannot ask the sound server for its default sink");
}

static bool is_pattern(const char *name) {
        return name && strpbrk(name, "*?[");
}

/* Profiles name sources by pattern ("alsa_input.*Modem*"): device names
 * carry bus paths and serials. The first source of the server's list that
 * matches is taken. */
static void on_source(pa_context *context, const pa_source_info *info, int eol, void *userdata) {
        cw_capture *c = userdata;

        if (eol < 0) {
                fail(c, "Cannot list the sound server's sources");
                return;
        }
        if (!eol) {
                for (unsigned i = 0; i < c->n_sides; i++)
                        if (is_pattern(c->source_names[i]) && fnmatch(c->source_names[i], info->name, 0) == 0) {
                                char *name = strdup(info->name);

                                if (name) {
                                        free(c->source_names[i]);
                                        c->source_names[i] = name;
                                }
                        }
                return;
        }
        for (unsigned i = 0; i < c->n_sides; i++)
                if (is_pattern(c->source_names[i])) {
                        char what[256];

                        snprintf(what, sizeof what, "No source matches '%s'", c->source_names[i]);
                        c->failed = 1;
                        c->sink.failed(what, c->userdata);
                        return;
                }
        connect_sides(c);
}

static void on_context_state(pa_context *context, void *userdata) {
        cw_capture *c = userdata;
        pa_operation *o;

        switch (pa_context_get_state(context)) {
        case PA_CONTEXT_READY:
                if (!is_pattern(c->source_names[SIDE_LOCAL]) && !is_pattern(c->source_names[SIDE_REMOTE])) {
                        connect_sides(c);
                        break;
                }
                o = pa_context_get_source_info_list(context, on_source, c);
                if (o)
                        pa_operation_unref(o);
                else
                        fail(c, "Cannot list the sound server's sources");
                break;
        case PA_CONTEXT_FAILED:
                fail(c, "Cannot reach the sound server");
                break;
        case PA_CONTEXT_TERMINATED:
                fail(c, "The sound server closed the connection");
                break;
        default:
                break;
        }
}

int cw_capture_new(pa_mainloop_api *api, cw_capture_mode mode, const char *local_source, const char *remote_source,
                   const cw_capture_sink *sink, void *userdata, cw_capture **ret) {
        cw_capture *c = calloc(1, sizeof *c);

        if (!c)
                return -ENOMEM;
        c->api = api;
        c->mode = mode;
        c->n_sides = mode == CW_CAPTURE_SEPARATE ? 2 : 1;
        if (c->n_sides == 1)
                remote_source = NULL;
        c->sink = *sink;
        c->userdata = userdata;
        c->source_names[SIDE_LOCAL] = local_source ? strdup(local_source) : NULL;
        c->source_names[SIDE_REMOTE] = remote_source ? strdup(remote_source) : NULL;
        c->context = pa_context_new(api, "callwitness");
        if (!c->context || (remote_source && !c->source_names[SIDE_REMOTE]) ||
            (local_source && !c->source_names[SIDE_LOCAL]))
                goto fail;
        pa_context_set_state_callback(c->context, on_context_state, c);
        /* No autospawn: a phone's sound server is started by the session,
         * and a daemon spawning its own would record nothing useful. */
        if (pa_context_connect(c->context, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0) {
                cw_log_debug("capture: connect: %s", pa_strerror(pa_context_errno(c->context)));
                cw_capture_free(c);
                return -ECONNREFUSED;
        }
        *ret = c;
        return 0;
fail:
        cw_capture_free(c);
        return -ENOMEM;
}

cw_capture *cw_capture_free(cw_capture *c) {
        if (!c)
                return NULL;
        for (int i = 0; i < N_SIDES; i++) {
                if (c->sides[i].stream) {
                        pa_stream_set_state_callback(c->sides[i].stream, NULL, NULL);
                        pa_stream_set_read_callback(c->sides[i].stream, NULL, NULL);
                        pa_stream_disconnect(c->sides[i].stream);
                        pa_stream_unref(c->sides[i].stream);
                }
                free(c->source_names[i]);
        }
        if (c->context) {
                pa_context_set_state_callback(c->context, NULL, NULL);
                pa_context_disconnect(c->context);
                pa_context_unref(c->context);
        }
        free(c);
        return NULL;
}

void cw_capture_discard(cw_capture *c) {
        for (int i = 0; i < N_SIDES; i++)
                c->sides[i].fill = 0;
}

void cw_capture_drain(cw_capture *c) {
        deliver(c, 1);
}

cw_capture_mode cw_capture_get_mode(const cw_capture *c) {
        return c->mode;
}
