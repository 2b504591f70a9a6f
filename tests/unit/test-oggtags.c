/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <opus/opusenc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/hash.h"
#include "callwitness/oggtags.h"
#include "callwitness/oggfile.h"
#include "tap.h"

static char path[] = "/tmp/test-oggtags-XXXXXX";

static void make_opus_file(int padding) {
        OggOpusComments *comments = ope_comments_create();
        float silence[960 * 2] = { 0 };
        OggOpusEnc *enc;
        int error;

        ope_comments_add(comments, "TITLE", "before");
        enc = ope_encoder_create_file(path, comments, 48000, 2, 0, &error);
        if (!enc)
                abort();
        ope_encoder_ctl(enc, OPE_SET_COMMENT_PADDING(padding));
        for (int i = 0; i < 50; i++)
                ope_encoder_write_float(enc, silence, 960);
        ope_encoder_drain(enc);
        ope_encoder_destroy(enc);
        ope_comments_destroy(comments);
}

typedef struct found {
        int count;
        char joined[1024];
} found;

static void collect(const char *comment, void *userdata) {
        found *f = userdata;

        f->count++;
        strncat(f->joined, comment, sizeof f->joined - strlen(f->joined) - 2);
        strcat(f->joined, ";");
}

int main(void) {
        const char *end_tags[] = { "TITLE=after", "CALLWITNESS_ENDED_AT=2026-11-24T23:41:05+08:00",
                                   "CALLWITNESS_END_REASON=hangup" };
        char before[CW_SHA256_HEX_LEN + 1], after[CW_SHA256_HEX_LEN + 1];
        char huge[2048];
        const char *too_much[] = { huge };
        found f = { 0 };
        uint64_t size_before, size_after;
        int64_t duration_ms = -1;
        int fd, r;

        fd = mkstemp(path);
        close(fd);
        make_opus_file(1024);
        fd = open(path, O_RDWR | O_CLOEXEC);

        ok(cw_oggtags_read(fd, collect, &f) == 0 && f.count == 1 && strcmp(f.joined, "TITLE=before;") == 0,
           "reads the tags libopusenc wrote: %s", f.joined);
        cw_sha256_fd(fd, before, &size_before);
        ok(cw_oggtags_rewrite(fd, end_tags, 3) == 0, "rewrite fits in the padding");
        f = (found) { 0 };
        ok(cw_oggtags_read(fd, collect, &f) == 0 && f.count == 3 &&
           strstr(f.joined, "CALLWITNESS_END_REASON=hangup"), "new tags read back: %s", f.joined);
        cw_sha256_fd(fd, after, &size_after);
        ok(size_after == size_before && strcmp(before, after) != 0, "same size, new content");

        memset(huge, 'x', sizeof huge - 1);
        huge[sizeof huge - 1] = '\0';
        cw_sha256_fd(fd, before, NULL);
        ok(cw_oggtags_rewrite(fd, too_much, 1) == -ENOSPC, "tags larger than the padding: -ENOSPC");
        cw_sha256_fd(fd, after, NULL);
        ok(strcmp(before, after) == 0, "and the file is untouched");
        close(fd);

        /* 50 frames of 20 ms: one second of audio, as the last page says. */
        fd = open(path, O_RDWR | O_CLOEXEC);
        r = cw_oggfile_duration_ms(fd, &duration_ms);
        ok(r == 0 && duration_ms == 1000, "1 s of audio (%lld ms)", (long long) duration_ms);
        /* A crash cut the last page short: the pages before it count. */
        r = ftruncate(fd, (off_t) size_after - 20) < 0 ? -errno : cw_oggfile_duration_ms(fd, &duration_ms);
        ok(r == 0 && duration_ms > 0 && duration_ms < 1000, "cut short: %lld ms, what the intact pages hold",
           (long long) duration_ms);
        close(fd);

        tap_write_file(path, "not an Ogg file, but long enough to have looked like a header\n");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ok(cw_oggtags_read(fd, collect, &f) == -EBADMSG, "a file that is not Ogg: -EBADMSG");
        ok(cw_oggfile_duration_ms(fd, &duration_ms) == -EBADMSG, "and it has no duration");
        close(fd);

        unlink(path);
        return tap_done();
}
