/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recordings are read back (orphans, the catalog rebuilt from files) and
 * their OpusTags rewritten in place: any file may be damaged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/oggfile.h"
#include "callwitness/oggtags.h"
#include "fuzz.h"

typedef struct read_back {
        size_t count;
        int matches;
} read_back;

static void count(const char *comment, void *userdata) {
        read_back *back = userdata;

        back->count++;
        back->matches += strcmp(comment, "CALLWITNESS_END_REASON=hangup") == 0 ||
                         strcmp(comment, "CALLWITNESS_ENDED_AT=2026-11-24T23:41:05+08:00") == 0;
}

static void ignore(const char *comment, void *userdata) {
        (void) comment;
        (void) userdata;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const comments[] = { "CALLWITNESS_END_REASON=hangup", "CALLWITNESS_ENDED_AT=2026-11-24T23:41:05+08:00" };
        int fd = fuzz_input_file(data, size, NULL);
        uint8_t *after = malloc(size + 1);
        read_back back = { 0 };
        int64_t duration_ms = -1;
        ssize_t n;
        int r;

        if (!after)
                abort();
        cw_oggtags_read(fd, ignore, NULL);
        if (cw_oggfile_duration_ms(fd, &duration_ms) == 0 && duration_ms < 0)
                abort();
        r = cw_oggtags_rewrite(fd, comments, 2);
        n = pread(fd, after, size + 1, 0);
        /* A rewrite never changes a file's size; a refused one changes
         * nothing at all; an accepted one reads back exactly what it
         * wrote. */
        if (n != (ssize_t) size || (r < 0 && memcmp(after, data, size) != 0))
                abort();
        if (r == 0 && (cw_oggtags_read(fd, count, &back) != 0 || back.count != 2 || back.matches != 2))
                abort();
        free(after);
        close(fd);
        return 0;
}
