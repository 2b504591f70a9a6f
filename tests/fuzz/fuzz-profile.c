/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Device profiles: data files anyone may add or edit. */
#include <stdlib.h>
#include <unistd.h>

#include "callwitness/profile.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *path;
        int fd = fuzz_input_file(data, size, &path);
        cw_profile profile = { 0 };
        char *error = NULL;

        if (cw_profile_load(path, &profile, &error) < 0 && !error)
                abort();
        free(error);
        cw_profile_clear(&profile);
        close(fd);
        return 0;
}
