/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitness's side of the split: hands a media command to
 * callwitness-media. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "media.h"

/* Beside this program first (a build tree holds both; one there but not
 * executable is named in the error, not passed over), then where meson
 * installs it. */
static void find_helper(char *path, size_t size) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        char *slash;

        if (n > 0) {
                self[n] = '\0';
                slash = strrchr(self, '/');
                if (slash && (size_t) snprintf(path, size, "%.*s/callwitness-media", (int) (slash - self), self) < size &&
                    access(path, F_OK) == 0)
                        return;
        }
        snprintf(path, size, "%s", CW_LIBEXECDIR "/callwitness-media");
}

int cw_cli_media(int argc, char **argv) {
        char helper[PATH_MAX];
        char **args = calloc((size_t) argc + 2, sizeof *args);

        if (!args) {
                fprintf(stderr, _("callwitness: out of memory\n"));
                return 1;
        }
        find_helper(helper, sizeof helper);
        args[0] = helper;
        memcpy(args + 1, argv, (size_t) argc * sizeof *argv);
        fflush(NULL);
        execv(helper, args);
        fprintf(stderr, _("callwitness: cannot run %s (it does %s): %s\n"), helper, argv[0], strerror(errno));
        free(args);
        return 1;
}
