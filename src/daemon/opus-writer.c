/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <opus/opusenc.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "callwitness/log.h"
#include "callwitness/oggtags.h"
#include "capture.h"
#include "opus-writer.h"

/* Room in the OpusTags packet for what is known only at hang-up (end time,
 * end reason, a number that arrived late). */
#define COMMENT_PADDING 4096
/* libopusenc buffers 2 s by default before encoding and up to 1 s per page;
 * a killed daemon must leave at most about a second unwritten. */
#define DECISION_DELAY (CW_CAPTURE_RATE / 10)
#define MUXING_DELAY (CW_CAPTURE_RATE / 2)

struct cw_opus_writer {
        int fd;
        OggOpusEnc *encoder;
        int error;               /* first write error, sticky */
        unsigned channels;
        uint64_t frames;
};

static int on_write(void *userdata, const unsigned char *data, opus_int32 len) {
        cw_opus_writer *w = userdata;

        if (w->error)
                return 1;
        while (len > 0) {
                ssize_t n = write(w->fd, data, (size_t) len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        w->error = -errno;
                        return 1;
                }
                data += n;
                len -= (opus_int32) n;
        }
        return 0;
}

static int on_close(void *userdata) {
        /* The descriptor is ours: finish() still rewrites, syncs and hashes. */
        return 0;
}

static const OpusEncCallbacks callbacks = { .write = on_write, .close = on_close };

static int from_ope_error(int error) {
        return error == OPE_ALLOC_FAIL ? -ENOMEM : -EINVAL;
}

int cw_opus_writer_open(const char *path, unsigned channels, int bitrate, const char *const *comments,
                        size_t n_comments, cw_opus_writer **ret) {
        OggOpusComments *tags = NULL;
        cw_opus_writer *w;
        opus_int32 serial;
        int error = OPE_OK, r;

        if (channels != 1 && channels != 2)
                return -EINVAL;
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->channels = channels;
        w->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (w->fd < 0) {
                r = -errno;
                free(w);
                return r;
        }

        tags = ope_comments_create();
        if (!tags) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t i = 0; i < n_comments; i++)
                if (ope_comments_add_string(tags, comments[i]) != OPE_OK) {
                        r = -EINVAL;
                        goto fail;
                }

        /* Family 0 (plain stereo): mapping family 255 would keep the sides
         * in separate streams, but opusfile, and so most players, refuse it. */
        w->encoder = ope_encoder_create_callbacks(&callbacks, w, tags, CW_CAPTURE_RATE, (int) channels, 0, &error);
        if (!w->encoder) {
                r = from_ope_error(error);
                goto fail;
        }
        /* libopusenc picks its stream serial with rand(); two calls in the
         * same second must not share one. */
        if (getrandom(&serial, sizeof serial, 0) != sizeof serial)
                serial = (opus_int32) getpid();
        if (ope_encoder_ctl(w->encoder, OPE_SET_COMMENT_PADDING(COMMENT_PADDING)) != OPE_OK ||
            ope_encoder_ctl(w->encoder, OPE_SET_DECISION_DELAY(DECISION_DELAY)) != OPE_OK ||
            ope_encoder_ctl(w->encoder, OPE_SET_MUXING_DELAY(MUXING_DELAY)) != OPE_OK ||
            ope_encoder_ctl(w->encoder, OPE_SET_SERIALNO(serial & 0x7fffffff)) != OPE_OK ||
            ope_encoder_ctl(w->encoder, OPUS_SET_BITRATE(bitrate)) != OPE_OK ||
            /* Stereo: not OPUS_SIGNAL_VOICE. SILK's joint stereo at these
             * bitrates bleeds one party into the other's channel (440 Hz
             * left, 1000 Hz right at 32 kbit/s: the right tone reached the
             * left channel at 75 % of the left's own level). CELT keeps them
             * apart (under 10 %, the measuring filter's own leak), and
             * evidence must keep who said what apart. Mono has no channels
             * to keep apart, and SILK suits speech. */
            ope_encoder_ctl(w->encoder, OPUS_SET_SIGNAL(channels == 2 ? OPUS_SIGNAL_MUSIC : OPUS_SIGNAL_VOICE)) != OPE_OK) {
                r = -EINVAL;
                goto fail;
        }
        /* Headers on disk now: even a call killed in its first second leaves
         * a file that says whose call it was. */
        error = ope_encoder_flush_header(w->encoder);
        if (error != OPE_OK || w->error) {
                r = w->error ? w->error : from_ope_error(error);
                goto fail;
        }
        ope_comments_destroy(tags);
        *ret = w;
        return 0;

fail:
        ope_comments_destroy(tags);
        if (w->encoder)
                ope_encoder_destroy(w->encoder);
        close(w->fd);
        unlink(path);
        free(w);
        return r;
}

unsigned cw_opus_writer_channels(const cw_opus_writer *w) {
        return w->channels;
}

int cw_opus_writer_write(cw_opus_writer *w, const float *frames, size_t n_frames) {
        int error;

        if (w->error)
                return w->error;
        error = ope_encoder_write_float(w->encoder, frames, (int) n_frames);
        if (error != OPE_OK && !w->error)
                w->error = from_ope_error(error);
        if (!w->error)
                w->frames += n_frames;
        return w->error;
}

int cw_opus_writer_sync(cw_opus_writer *w) {
        return fdatasync(w->fd) < 0 ? -errno : 0;
}

uint64_t cw_opus_writer_frames(const cw_opus_writer *w) {
        return w->frames;
}

int cw_opus_writer_finish(cw_opus_writer *w, const char *const *final_comments, size_t n_final,
                          cw_opus_result *result) {
        int r = 0, error;

        *result = (cw_opus_result) { .duration_ms = (int64_t) (w->frames * 1000 / CW_CAPTURE_RATE) };

        error = ope_encoder_drain(w->encoder);
        if (error != OPE_OK && !w->error)
                w->error = from_ope_error(error);
        ope_encoder_destroy(w->encoder);
        r = w->error;

        result->tags_error = cw_oggtags_rewrite(w->fd, final_comments, n_final);
        if (fsync(w->fd) < 0 && r == 0)
                r = -errno;
        error = cw_sha256_fd(w->fd, result->sha256, &result->size);
        if (error < 0 && r == 0)
                r = error;
        if (close(w->fd) < 0 && r == 0)
                r = -errno;
        free(w);
        return r;
}
