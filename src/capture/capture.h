/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Capture of a call through libpulse (PulseAudio or PipeWire's
 * pipewire-pulse). In separate mode: two mono record streams, local (the
 * microphone) and remote (the monitor of the call sink, or a named source),
 * aligned into interleaved stereo frames, left = local, right = remote. In
 * mixed and local-only modes: one mono stream from the local source.
 *
 * Every sample is placed on one timeline, the capture's: frame 0 is the
 * instant of cw_capture_start_now(), frame n is n / 48000 s of the
 * monotonic clock later. A stream is placed once: at the answer, by the
 * time of its last audio before it (small fragments while ringing); or, if
 * it was not delivering then, by its first audio. From there on its
 * samples follow each other as the server counted them (holes become
 * silence), never by when they reach us: a stalled loop or a slow disk
 * delays audio but does not move it. What no stream delivered (a source
 * that went away, a sound server restarting, audio the server dropped) is
 * silence, and is reported. Each stream's clock is measured against the
 * monotonic clock and the stream resampled to it: two sound cards whose
 * clocks differ stay in step. */

#include <pulse/mainloop-api.h>
#include <stddef.h>
#include <stdint.h>

#include "callwitness/call.h"

#define CW_CAPTURE_RATE 48000
/* A side whose samples never pass this (about -54 dBFS) is silent: a
 * digitally silent path is exactly 0, a working microphone's noise floor is
 * above it. */
#define CW_SILENCE_LEVEL 0.002f

typedef struct cw_capture cw_capture;

/* The sides a problem touches: the microphone (the left channel), the other
 * party (the right). */
#define CW_CAPTURE_SIDE_LOCAL 1u
#define CW_CAPTURE_SIDE_REMOTE 2u
#define CW_CAPTURE_SIDES_ALL (CW_CAPTURE_SIDE_LOCAL | CW_CAPTURE_SIDE_REMOTE)

typedef struct cw_capture_sink {
        /* Interleaved frames of channels samples for the capture's frames
         * [first_frame, first_frame + n_frames), in order, each frame once.
         * The buffer is the capture's, valid only during the call. */
        void (*frames)(const float *frames, size_t n_frames, unsigned channels, uint64_t first_frame,
                       void *userdata);
        /* Something a recording in progress must carry: sides, which of
         * the capture's sides it touches (CW_CAPTURE_SIDE_*); kind is a
         * short word ("capture-failed", "capture-gap", "side-lost"),
         * message a sentence. */
        void (*problem)(unsigned sides, const char *kind, const char *message, void *userdata);
} cw_capture_sink;

/* local_source NULL: the server's default source. remote_source NULL: the
 * monitor of the default sink (looked up when the capture starts). Source
 * names may be glob patterns (the first match is taken). Connects
 * asynchronously, and again after the sound server went away. 0 or
 * -errno. */
int cw_capture_new(pa_mainloop_api *api, cw_capture_mode mode, const char *local_source, const char *remote_source,
                   const cw_capture_sink *sink, void *userdata, cw_capture **ret);
cw_capture *cw_capture_free(cw_capture *c);

cw_capture_mode cw_capture_get_mode(const cw_capture *c);
/* The failures that last now (the sound server away, a side that cannot be
 * captured), each as the sink's problem was told it: a call that starts
 * while they last must be told too, and the sink told the calls there were. */
void cw_capture_tell_standing(const cw_capture *c, void (*problem)(unsigned sides, const char *kind,
                                                                   const char *message, void *userdata),
                              void *userdata);

/* Frame 0 of the timeline is now: audio captured before is dropped. */
void cw_capture_start_now(cw_capture *c);
/* The timeline's frame at this instant (0 before cw_capture_start_now). */
uint64_t cw_capture_frame_now(const cw_capture *c);
/* Delivers every frame up to end at once, what no stream delivered yet as
 * silence: a recording that must end now. */
void cw_capture_flush(cw_capture *c, uint64_t end);
