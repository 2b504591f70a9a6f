/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* One call's recording, from its file's creation to its seal: which of the
 * capture's frames belong to it (from the answer to the hang-up), which of
 * those are the call's own audio and which are silence (while it is held
 * and another call has the line), write errors, and the silence watchdog. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call-tags.h"
#include "opus-writer.h"

typedef struct cw_recording cw_recording;

/* Creates data_dir/relpath (a free name is found next to a taken one; the
 * name chosen is cw_recording_relpath()) for the capture's frames from
 * start_frame on. 0 or -errno. */
int cw_recording_open(const char *data_dir, const char *relpath, unsigned channels, int bitrate,
                      const cw_comment_list *tags, uint64_t start_frame, cw_recording **ret);

const char *cw_recording_relpath(const cw_recording *r);

/* From frame on, the call's audio is kept (audible) or replaced by silence. */
int cw_recording_set_audible(cw_recording *r, uint64_t frame, bool audible);

/* What feeding found, each told once. */
typedef struct cw_recording_news {
        int write_error;           /* the first write error (-ENOSPC…), or 0 */
        bool silence_checked;      /* the first 10 s are in: silent_channels is final */
        unsigned silent_channels;  /* bit i: channel i never passed CW_SILENCE_LEVEL */
} cw_recording_news;

/* The capture's frames [first_frame, first_frame + n_frames). A recording
 * of fewer channels than the capture keeps the first ones (an encounter:
 * the microphone). */
void cw_recording_feed(cw_recording *r, const float *frames, size_t n_frames, unsigned channels, uint64_t first_frame,
                       cw_recording_news *news);

/* Where the capture's frame falls in the file, in ms from its start. */
int64_t cw_recording_offset_ms(const cw_recording *r, uint64_t frame);

/* The recording ends at end_frame; true once it holds every frame up to it. */
void cw_recording_end_at(cw_recording *r, uint64_t end_frame);
bool cw_recording_complete(const cw_recording *r);
/* Frames the recording lacks up to its end. */
uint64_t cw_recording_missing(const cw_recording *r);

/* Pads the missing frames with silence (at most max_pad), writes the final
 * tags, fsyncs, hashes, closes and frees r. 0 or the first error; *result as
 * far as it got. */
int cw_recording_finish(cw_recording *r, uint64_t max_pad, const cw_comment_list *final_tags,
                        cw_opus_result *result);
