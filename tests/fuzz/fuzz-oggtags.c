/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recordings are read back (orphans, the catalog rebuilt from files) and
 * their OpusTags rewritten in place: any file may be damaged. */
#include <stdlib.h>
#include <unistd.h>

#include "callwitness/oggtags.h"
#include "fuzz.h"

static void ignore(const char *comment, void *userdata) {
        (void) comment;
        (void) userdata;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const comments[] = { "CALLWITNESS_END_REASON=hangup", "CALLWITNESS_ENDED_AT=2026-11-24T23:41:05+08:00" };
        int fd = fuzz_input_file(data, size, NULL);

        cw_oggtags_read(fd, ignore, NULL);
        cw_oggtags_rewrite(fd, comments, 2);
        cw_oggtags_read(fd, ignore, NULL);
        close(fd);
        return 0;
}
