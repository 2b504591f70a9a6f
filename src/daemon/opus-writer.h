/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Writes one call to an Ogg Opus file through libopusenc, owning the file
 * descriptor so that the file can be fsync'ed, its tags completed at the end,
 * and its SHA-256 taken before anyone else sees it. */

#include <stddef.h>
#include <stdint.h>

#include "callwitness/hash.h"

typedef struct cw_opus_writer cw_opus_writer;

/* Creates path (which must not exist) with mode 0600, for 1 (mono) or 2
 * (stereo) channels. comments are "KEY=value" strings for the OpusTags
 * header. 0, -EEXIST, or -errno. */
int cw_opus_writer_open(const char *path, unsigned channels, int bitrate, const char *const *comments,
                        size_t n_comments, cw_opus_writer **ret);

unsigned cw_opus_writer_channels(const cw_opus_writer *w);

/* Encodes interleaved float frames at 48 kHz. Returns 0, or the
 * first write error (-ENOSPC, -EIO…) the file has met; once failed, later
 * frames are dropped but what is on disk stays playable. */
int cw_opus_writer_write(cw_opus_writer *w, const float *frames, size_t n_frames);

/* Pushes what was written so far to the disk (fdatasync). 0 or -errno. */
int cw_opus_writer_sync(cw_opus_writer *w);

/* Frames encoded so far. */
uint64_t cw_opus_writer_frames(const cw_opus_writer *w);

typedef struct cw_opus_result {
        int64_t duration_ms;
        uint64_t size;
        char sha256[CW_SHA256_HEX_LEN + 1];
        int tags_error;          /* 0, or why the final tags could not be written */
} cw_opus_result;

/* Ends the stream, replaces the tags with final_comments (within the
 * reserved padding), fsyncs, hashes and closes. Frees w in every case.
 * Returns 0 or the first error; *result is filled as far as it got. */
int cw_opus_writer_finish(cw_opus_writer *w, const char *const *final_comments, size_t n_final,
                          cw_opus_result *result);
