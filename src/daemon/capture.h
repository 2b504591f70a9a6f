/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Capture of a call through libpulse (PulseAudio or PipeWire's
 * pipewire-pulse). In separate mode: two mono record streams, local (the
 * microphone) and remote (the monitor of the call sink, or a named source),
 * aligned into interleaved stereo frames, left = local, right = remote. In
 * mixed and local-only modes: one mono stream from the local source. */

#include <pulse/mainloop-api.h>
#include <stddef.h>

#include "callwitness/call.h"

#define CW_CAPTURE_RATE 48000
/* A side whose samples never pass this (about -54 dBFS) is silent: a
 * digitally silent path is exactly 0, a working microphone's noise floor is
 * above it. */
#define CW_SILENCE_LEVEL 0.002f

typedef struct cw_capture cw_capture;

typedef struct cw_capture_sink {
        /* Called from the main loop with interleaved frames of channels
         * samples in a buffer owned by the capture, valid only during the
         * call. */
        void (*frames)(const float *frames, size_t n_frames, unsigned channels, void *userdata);
        /* The sound server went away or refused a stream. Once. */
        void (*failed)(const char *message, void *userdata);
} cw_capture_sink;

/* local_source NULL: the server's default source. remote_source NULL: the
 * monitor of the default sink (looked up when the capture starts). Connects
 * asynchronously. 0 or -errno. */
int cw_capture_new(pa_mainloop_api *api, cw_capture_mode mode, const char *local_source, const char *remote_source,
                   const cw_capture_sink *sink, void *userdata, cw_capture **ret);
cw_capture *cw_capture_free(cw_capture *c);

cw_capture_mode cw_capture_get_mode(const cw_capture *c);

/* Drops what is buffered and not yet delivered: the recording starts now. */
void cw_capture_discard(cw_capture *c);
/* Delivers everything buffered, padding the side that is behind with
 * silence: the recording ends now. */
void cw_capture_drain(cw_capture *c);
