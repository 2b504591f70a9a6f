/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Without libFuzzer: runs a target over files and directories given as
 * arguments (its seed corpus), so the targets are exercised by every test
 * run, under the sanitizers too. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path) {
        FILE *f = fopen(path, "rb");
        uint8_t *data;
        long size;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
            !(data = malloc((size_t) size + 1)) || fread(data, 1, (size_t) size, f) != (size_t) size) {
                fprintf(stderr, "cannot read %s\n", path);
                return 1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(data, (size_t) size);
        free(data);
        printf("ok - %s\n", path);
        return 0;
}

int main(int argc, char **argv) {
        int failures = 0, n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                DIR *dir;
                struct dirent *entry;

                if (stat(argv[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
                        failures += run_file(argv[i]);
                        n++;
                        continue;
                }
                if (!(dir = opendir(argv[i])))
                        return 1;
                while ((entry = readdir(dir))) {
                        char path[4096];

                        if (entry->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof path, "%s/%s", argv[i], entry->d_name);
                        failures += run_file(path);
                        n++;
                }
                closedir(dir);
        }
        printf("1..%d\n", n);
        return failures || n == 0;
}
