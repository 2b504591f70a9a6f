/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int fuzz_input_file(const uint8_t *data, size_t size, const char **path) {
        static char name[64];
        int fd = memfd_create("fuzz-input", MFD_CLOEXEC);

        if (fd < 0 || (size && write(fd, data, size) != (ssize_t) size) || lseek(fd, 0, SEEK_SET) < 0)
                abort();
        snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
        if (path)
                *path = name;
        return fd;
}
