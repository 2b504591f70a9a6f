/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitness.conf, as a user might write it, or a broken editor. */
#include <stdlib.h>
#include <unistd.h>

#include "callwitness/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *path;
        int fd = fuzz_input_file(data, size, &path);
        char *error = NULL;
        cw_config cfg;

        cw_config_init_defaults(&cfg);
        if (cw_config_load(path, &cfg, &error) < 0 && !error)
                abort();   /* a rejected file always says why */
        free(error);
        cw_config_clear(&cfg);
        close(fd);
        return 0;
}
